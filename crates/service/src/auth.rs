//! The owner's bearer token: what the writer asks of every write, and the owner's routes of
//! the other services (a reader's list with private items, the notifier's retry) ask of theirs.

use actix_web::http::header::{self, HeaderMap};
use actix_web::http::StatusCode;

use crate::Problem;

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

/// Who may use a service's owner routes, from its `LATELY_OWNER_TOKEN` and
/// `LATELY_INSECURE_LOCAL`.
#[derive(Clone)]
pub enum OwnerAccess {
    /// Whoever presents this bearer token.
    Token(String),
    /// Anyone who reaches the service (`LATELY_INSECURE_LOCAL`).
    Open,
    /// Nobody: no token was configured, so the routes are off rather than open.
    Off,
}

impl OwnerAccess {
    /// A blank token counts as none: an empty `LATELY_OWNER_TOKEN=` in a compose file must
    /// not make the empty string a password.
    pub fn new(token: Option<&str>, insecure_local: bool) -> Self {
        match token.map(str::trim) {
            Some(t) if !t.is_empty() => Self::Token(t.to_owned()),
            _ if insecure_local => Self::Open,
            _ => Self::Off,
        }
    }

    /// Lets the owner through. `what` names the route in the refusal ("the owner's list").
    pub fn check(&self, headers: &HeaderMap, what: &str) -> Result<(), Problem> {
        match self {
            Self::Open => Ok(()),
            Self::Off => Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                format!(
                    "{what} is off on this service: set LATELY_OWNER_TOKEN (to the writer's \
                     token) to turn it on"
                ),
            )),
            Self::Token(token) if presents(headers, token) => Ok(()),
            Self::Token(_) => Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Unauthorized",
                format!(
                    "{what} needs the owner's token: send it as `Authorization: Bearer <token>`"
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn bearer(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        h
    }

    #[test]
    fn a_blank_token_is_no_token() {
        // `LATELY_OWNER_TOKEN=` in a compose file: the empty string must not be a password.
        let off = OwnerAccess::new(Some("  "), false);
        assert_eq!(off.check(&bearer(""), "it").unwrap_err().status, 403);
        assert!(OwnerAccess::new(Some(""), true)
            .check(&HeaderMap::new(), "it")
            .is_ok());
    }

    #[test]
    fn only_the_token_passes() {
        let access = OwnerAccess::new(Some(" s3cret "), true);
        assert!(access.check(&bearer("s3cret"), "it").is_ok());
        for wrong in [bearer("s3cre"), bearer("s3cret2"), HeaderMap::new()] {
            let refusal = access.check(&wrong, "the owner's list").unwrap_err();
            assert_eq!(refusal.status, 401);
            assert!(refusal
                .detail
                .starts_with("the owner's list needs the owner's token"));
        }
    }
}
