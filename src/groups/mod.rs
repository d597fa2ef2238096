//! Peer groups: discovery, membership with approval, posts and replies, moderation, blocking.

#[cfg(feature = "bench")]
pub mod bench;
pub mod graphql;
pub mod loaders;
pub mod model;
pub mod service;
mod store;
