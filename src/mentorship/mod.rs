//! Mentorship: mentor profiles, explained ranked matching, requests and their lifecycle (never
//! leaving a mentee waiting), goals and feedback, and matching rounds for cohorts.

pub mod graphql;
pub mod index;
pub mod matching;
pub mod model;
pub mod service;
mod store;
