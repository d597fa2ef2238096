//! The workshops' HTTP face outside GraphQL: calendar files a phone subscribes to, certificates
//! to print and to verify.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::documents;
use super::service;
use crate::graphql::SharedState;
use crate::http::answer;
use crate::ids::WorkshopId;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route(
            "/workshops/{id}/calendar.ics",
            web::get().to(workshop_calendar),
        )
        .route("/workshops/{id}/certificate", web::get().to(certificate))
        .route("/calendar/{token}.ics", web::get().to(personal_feed))
        .route("/certificates/{code}", web::get().to(verify_certificate));
}

fn ics(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        // Calendars poll the feed; a stale copy in a shared cache would show a moved workshop.
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .body(body)
}

/// `GET /workshops/{id}/calendar.ics`: one workshop as an event; the online link only for its
/// organiser and confirmed attendees (bearer token); signed out, only workshops open to all.
async fn workshop_calendar(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<SharedState>,
) -> HttpResponse {
    let id = WorkshopId::from_client(path.into_inner());
    answer(&state, &request, |state, auth, locale| async move {
        let entry = service::calendar_entry(&state.db, auth.optional_viewer()?, id).await?;
        Ok(ics(documents::workshop_calendar(&entry, locale)))
    })
    .await
}

/// `GET /calendar/{token}.ics`: the personal feed the secret token opens.
async fn personal_feed(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<SharedState>,
) -> HttpResponse {
    let token = path.into_inner();
    answer(&state, &request, |state, _, locale| async move {
        let entries = service::feed(&state.db, &state.secret, &token).await?;
        Ok(ics(documents::feed_calendar(&entries, locale)))
    })
    .await
}

/// `GET /workshops/{id}/certificate`: the viewer's attendance certificate, a page to print.
async fn certificate(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<SharedState>,
) -> HttpResponse {
    let id = WorkshopId::from_client(path.into_inner());
    answer(&state, &request, |state, auth, locale| async move {
        let certificate = service::certificate(&state.db, auth.viewer()?, id).await?;
        Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                crate::edges::PAGE_WITH_STYLE_POLICY,
            ))
            .body(documents::certificate_page(
                &certificate,
                &state.config.public_url,
                locale,
            )))
    })
    .await
}

/// `GET /certificates/{code}`: what the certificate with this code states, to whoever holds it.
async fn verify_certificate(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<SharedState>,
) -> HttpResponse {
    let code = path.into_inner();
    answer(&state, &request, |state, _, _| async move {
        let certificate = service::verify_certificate(&state.db, code).await?;
        Ok(HttpResponse::Ok().json(documents::certificate_summary(&certificate)))
    })
    .await
}
