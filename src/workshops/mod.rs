//! Workshops and meetups: scheduling, capacity with a fair waitlist, reminders, attendance,
//! ratings, training hours and certificates, calendar feeds.

mod documents;
pub mod graphql;
pub mod http;
pub mod model;
pub mod service;
mod store;
