//! The plumbing every `lately` service shares, so that each binary only holds what is its own:
//! the owner's token ([`auth`]), structured logs ([`telemetry`]) and the span each request runs
//! in ([`request_span`]), Prometheus metrics ([`metrics`]), RFC 9457 problem responses
//! ([`problem`]), query strings parsed with the parameter at fault named ([`query`]) and
//! shutdown on SIGTERM ([`shutdown`]).

pub mod auth;
pub mod health;
pub mod metrics;
pub mod problem;
pub mod query;
pub mod request_span;
pub mod secrets;
pub mod shutdown;
pub mod telemetry;

pub use problem::Problem;
