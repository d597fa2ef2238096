//! Telling people things: devices, preferences, the in-app inbox, and push delivery through a
//! transactional outbox and FCM HTTP v1.

pub mod dispatcher;
pub mod fcm;
pub mod graphql;
pub mod model;
pub mod push_message;
pub mod reminders;
pub mod service;
mod store;
