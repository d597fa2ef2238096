//! Anonymous wellbeing check-ins: validated instruments, personal trends, group aggregates no one
//! can unpick, and help when a score is worrying.

pub mod graphql;
pub mod instruments;
pub mod model;
pub mod release;
pub mod resources;
pub mod service;
mod store;
