//! Private 1:1 conversations: a thread between two people that another feature opens (an active
//! mentorship, a taken support request) and closes when it ends, after which it is read-only.

pub mod graphql;
pub mod loaders;
pub mod model;
pub mod service;
mod store;
