//! GraphiQL, development only, served from the binary itself (`assets/graphiql/`): it works on a
//! network without internet, and its page names no other host.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::graphql::SharedState;

/// The page, at `GET /graphql`.
const PAGE: &str = include_str!("../assets/graphiql/index.html");

/// The files the page loads, at `GET /graphiql/{name}`: name, content type, bytes.
const FILES: [(&str, &str, &[u8]); 6] = [
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "graphql-ws.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/graphql-ws.min.js"),
    ),
    (
        "start.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/start.js"),
    ),
];

pub async fn page(state: web::Data<SharedState>) -> HttpResponse {
    if state.config.is_production() {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(PAGE)
}

pub async fn file(state: web::Data<SharedState>, name: web::Path<String>) -> HttpResponse {
    let found = FILES.iter().find(|(file, _, _)| *file == name.as_str());
    match found {
        Some((_, content_type, bytes)) if !state.config.is_production() => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
            .body(*bytes),
        _ => HttpResponse::NotFound().finish(),
    }
}
