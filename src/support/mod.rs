//! Reaching out: a trained peer supporter on request, in a private conversation.

pub mod graphql;
pub mod model;
pub mod service;
mod store;
