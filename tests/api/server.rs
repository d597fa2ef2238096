//! The HTTP surface: health, GraphiQL, limits, production hardening, the schema file.

use relais::config::Environment;
use serde_json::json;

use crate::helpers::{Backend, TestApp, error_code, spawn_app_in};

on_both_backends!(
    health_names_the_backend,
    malformed_and_oversized_requests_are_refused
);

async fn health_names_the_backend(app: TestApp) {
    let response = app
        .http
        .get(format!("{}/health", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], app.state.db.backend().name());

    let graphiql = app
        .http
        .get(format!("{}/graphql", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await.unwrap().contains("graphiql"));
}

async fn malformed_and_oversized_requests_are_refused(app: TestApp) {
    let response = app
        .http
        .post(format!("{}/graphql", app.base_url))
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");

    let huge = "x".repeat(relais::app::MAX_BODY_BYTES + 1);
    let response = app
        .post_graphql(
            json!({ "query": format!("{{ me {{ email }} }} # {huge}") }),
            &[],
        )
        .await;
    assert_eq!(response.status(), 413);

    // Queries deeper than the limit are refused before they run.
    let deep = format!(
        "{{ {}__typename{} }}",
        "me { user { ".repeat(7),
        " } }".repeat(7)
    );
    let answer = app.gql(None, &deep, json!({})).await;
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too deep"),
        "{answer}"
    );
    assert_eq!(error_code(&answer), "BAD_USER_INPUT");
}

#[tokio::test]
async fn production_hides_graphiql_introspection_and_suggestions() {
    let app = spawn_app_in(Backend::Sqlite, Environment::Production)
        .await
        .unwrap();
    let graphiql = app
        .http
        .get(format!("{}/graphql", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(graphiql.status(), 404);
    let answer = app
        .gql(None, "{ __schema { types { name } } }", json!({}))
        .await;
    assert_eq!(answer["data"]["__schema"], json!(null), "{answer}");
    let answer = app.gql(None, "{ usr(id: \"x\") { id } }", json!({})).await;
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");

    let dev = crate::helpers::spawn_app(Backend::Sqlite).await.unwrap();
    let answer = dev.gql(None, "{ usr(id: \"x\") { id } }", json!({})).await;
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Did you mean"),
        "{answer}"
    );
}

#[test]
fn schema_file_matches_the_code() {
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
            .expect("schema.graphql is checked in");
    assert!(
        checked_in == relais::graphql::sdl(),
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_503_when_the_database_stops_answering() {
    let Some(relay) = crate::helpers::CuttableRelay::to_test_postgres().await else {
        eprintln!("TEST_POSTGRES_URL unset: health outage test skipped");
        return;
    };
    let app = crate::helpers::spawn_app_on(relay.database_url.clone()).await;
    let health = format!("{}/health", app.base_url);
    assert_eq!(app.http.get(&health).send().await.unwrap().status(), 200);
    relay.cut();
    let response = app.http.get(&health).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "status": "unavailable", "database": "postgres" })
    );
}
