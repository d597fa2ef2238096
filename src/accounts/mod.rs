//! People: registration, sign-in, profiles, roles and account erasure.

pub mod graphql;
pub mod loaders;
pub mod model;
pub mod service;
mod store;
