//! Who is calling: passwords, opaque tokens, sessions, and the request's viewer.

pub mod gate;
pub mod model;
pub mod password;
pub mod secret;
pub mod service;
mod store;
pub mod throttle;
pub mod turns;
pub mod viewer;

pub use gate::{ClientAddress, PasswordGate};
pub use secret::Secret;
pub use viewer::{Auth, Viewer};
