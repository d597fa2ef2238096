//! The browser's side of a sign-in: `/auth/{provider}/start`, which the app opens in the system
//! browser, and `/auth/{provider}/callback`, where the provider sends the person back, which
//! sends them on to the app with a one-time code or an error code (never a stack trace).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::service::{self, Callback, Outcome};
use crate::graphql::SharedState;
use crate::http::{answer, client_address};
use crate::i18n::{Localized, Message};

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/auth/{provider}/start", web::get().to(start))
        .route("/auth/{provider}/callback", web::get().to(callback));
}

#[derive(Deserialize)]
struct StartQuery {
    redirect_uri: Option<String>,
}

#[derive(Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// A redirect the browser follows at once and keeps nowhere.
fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// `uri` with `name=value` added to its query.
pub fn with_param(uri: &str, name: &str, value: &str) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().append_pair(name, value);
            url.to_string()
        }
        // The URI was checked against the list when the sign-in started.
        Err(_) => uri.to_owned(),
    }
}

/// `GET /auth/{provider}/start?redirect_uri=…`: to the provider, or back to the app with
/// `?error=` when it cannot be reached; 404 for an unknown provider, 400 for a redirect URI that
/// is not one of the app's, 429 past the caller's sign-in budget.
async fn start(
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<StartQuery>,
    state: web::Data<SharedState>,
) -> HttpResponse {
    let provider = path.into_inner();
    let redirect_uri = query.into_inner().redirect_uri.unwrap_or_default();
    let client = client_address(&request, &state.config.trusted_proxies);
    answer(&state, &request, |state, _, _| async move {
        // Each start writes a row and may ask the provider: it counts as a sign-in call.
        state.passwords.admit(client)?;
        let started = service::start(
            &state.db,
            &state.secret,
            &state.identities,
            &provider,
            &redirect_uri,
            None,
        )
        .await?;
        Ok(match started {
            Ok(url) => redirect(&url),
            Err(failure) => redirect(&with_param(&redirect_uri, "error", failure.code())),
        })
    })
    .await
}

/// `GET /auth/{provider}/callback`: the provider's answer, turned into the app's.
async fn callback(
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<CallbackQuery>,
    state: web::Data<SharedState>,
) -> HttpResponse {
    let provider = path.into_inner();
    let query = query.into_inner();
    let callback = Callback {
        state: query.state,
        code: query.code,
        error: query.error,
    };
    answer(&state, &request, |state, _, locale| async move {
        let finished = service::finish(
            &state.db,
            &state.secret,
            &state.identities,
            &provider,
            callback,
        )
        .await?;
        Ok(match finished {
            Ok((app, Ok(Outcome::SignedIn { code }))) => redirect(&with_param(&app, "code", &code)),
            Ok((app, Ok(Outcome::Linked { provider }))) => {
                redirect(&with_param(&app, "linked", &provider))
            }
            Ok((app, Err(failure))) => redirect(&with_param(&app, "error", failure.code())),
            // No sign-in to finish: nowhere to send the person but back to the app by hand.
            Err(failure) => HttpResponse::BadRequest()
                .content_type("text/plain; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(
                    Message::SignInUnknown {
                        code: failure.code(),
                    }
                    .render(locale),
                ),
        })
    })
    .await
}
