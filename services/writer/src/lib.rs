//! The writer service: the command side of `lately`.
//!
//! A request becomes at most one event: the handler parses the body into domain types
//! ([`body`]), loads the item's stream and folds it, asks `lately_domain::check` whether the
//! event may follow, and appends it with the version it saw as the expected version
//! ([`command`]). Nothing is appended unless every step succeeded.

pub mod body;
pub mod command;
pub mod configuration;
pub mod error;
pub mod routes;
pub mod startup;
pub mod streams;
