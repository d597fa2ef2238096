//! Signing in through OpenID Connect providers (Pro Santé Connect, a hospital's), the identities
//! linked to accounts, and the professions providers vouch for.

pub mod graphql;
pub mod http;
pub mod model;
pub mod oidc;
pub mod professions;
pub mod service;
mod store;
