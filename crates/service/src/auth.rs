//! The owner's bearer token: what the writer asks of every write and a reader of the owner's
//! list.

use actix_web::http::header::{self, HeaderMap};

/// Whether the request's `Authorization: Bearer …` is `token`. Compared in constant time, so
/// that how long a refusal takes says nothing of how much of a guess was right.
pub fn presents(headers: &HeaderMap, token: &str) -> bool {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    constant_time_eq::constant_time_eq(presented.trim().as_bytes(), token.as_bytes())
}
