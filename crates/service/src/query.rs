//! Query strings into typed parameters, with a problem that names the parameter at fault.
//!
//! serde_urlencoded alone says "invalid digit found in string"; through serde_path_to_error
//! the detail becomes "limit: invalid digit found in string", which a person can act on.

use serde::de::DeserializeOwned;

use crate::Problem;

/// Parses `query` (the part after `?`) into `T`, or a 400 naming the parameter.
pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, Problem> {
    let pairs = form_urlencoded::parse(query.as_bytes());
    serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs)).map_err(|e| {
        match e.path().to_string().as_str() {
            // Not about one parameter (a repeated one, say).
            "." => Problem::bad_request(format!("invalid query string: {}", e.inner())),
            name => Problem::bad_request(format!("{name}: {}", e.inner())),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Q {
        limit: Option<u32>,
        kind: Option<String>,
    }

    #[test]
    fn a_bad_parameter_is_named() {
        assert_eq!(parse::<Q>("limit=5&kind=book").unwrap().limit, Some(5));
        let bad = parse::<Q>("kind=book&limit=abc").unwrap_err();
        assert_eq!(bad.status, 400);
        assert_eq!(bad.detail, "limit: invalid digit found in string");
        let repeated = parse::<Q>("kind=book&kind=tv").unwrap_err();
        assert_eq!(
            repeated.detail,
            "invalid query string: duplicate field `kind`"
        );
    }
}
