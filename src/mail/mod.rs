//! E-mail: an outbox written in the transaction that causes a mail, dispatchers that send it
//! after commit (retried with backoff, once across instances), and the transport: an SMTP relay,
//! or in development a folder of `.eml` files. Mails carry no health content and no tracking.

pub mod dispatcher;
pub mod model;
pub mod service;
mod store;
pub mod transport;
