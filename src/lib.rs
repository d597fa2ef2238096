//! Relais: the GraphQL backend of a peer-support app for health professionals.
//!
//! The binary (`src/main.rs`) and the integration tests share everything here.

/// mimalloc instead of glibc's allocator: a request allocates and frees thousands of small
/// objects across threads, where glibc's arenas spent a fifth of the server's time
/// (BENCHMARKS.md, "The allocator"). Built without transparent huge pages (`no_thp`), which
/// nearly doubled the resident memory of a busy server.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod accounts;
pub mod app;
pub mod auth;
pub mod background;
pub mod checkins;
pub mod cli;
pub mod compression;
pub mod config;
pub mod conversations;
pub mod db;
pub mod edges;
pub mod error;
pub mod graphiql;
pub mod graphql;
pub mod groups;
pub mod http;
pub mod i18n;
pub mod identities;
pub mod ids;
pub mod mail;
pub mod mentorship;
pub mod metrics;
pub mod notifications;
pub mod outage;
pub mod pagination;
pub mod privacy;
pub mod reports;
pub mod seed;
pub mod support;
pub mod telemetry;
pub mod validate;
pub mod websocket;
pub mod workshops;
