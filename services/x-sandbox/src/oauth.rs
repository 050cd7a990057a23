//! OAuth 1.0a HMAC-SHA1 signature verification (RFC 5849 §3.4), as X does it for user-context
//! requests. A JSON body is not part of the signature; query parameters are.

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;

/// RFC 3986 unreserved characters stay; everything else is percent-encoded.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, ENCODE).to_string()
}

pub struct Keys<'a> {
    pub consumer_key: &'a str,
    pub consumer_secret: &'a str,
    pub token: &'a str,
    pub token_secret: &'a str,
}

/// The `oauth_*` parameters of an `Authorization: OAuth …` header, decoded.
fn parse_header(header: &str) -> Result<Vec<(String, String)>, String> {
    let rest = header
        .strip_prefix("OAuth ")
        .ok_or("missing `Authorization: OAuth …` header")?;
    rest.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("malformed parameter {p:?}"))?;
            let v = v.trim_matches('"');
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            Ok((decode(k), decode(v)))
        })
        .collect()
}

/// The signature a client holding `keys` computes for this request.
pub fn signature(
    method: &str,
    url: &str,
    params: &[(String, String)],
    consumer_secret: &str,
    token_secret: &str,
) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "oauth_signature")
        .map(|(k, v)| (encode(k), encode(v)))
        .collect();
    pairs.sort();
    let normalized = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let base = format!(
        "{}&{}&{}",
        method.to_uppercase(),
        encode(url),
        encode(&normalized)
    );
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks the header's keys, timestamp and signature. The error says which check failed.
pub fn verify(
    method: &str,
    url: &str,
    query: &[(String, String)],
    header: &str,
    keys: &Keys<'_>,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let oauth = parse_header(header)?;
    let get = |name: &str| {
        oauth
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| format!("missing {name}"))
    };
    if get("oauth_signature_method")? != "HMAC-SHA1" {
        return Err("oauth_signature_method must be HMAC-SHA1".into());
    }
    if get("oauth_consumer_key")? != keys.consumer_key {
        return Err("unknown consumer key".into());
    }
    if get("oauth_token")? != keys.token {
        return Err("unknown access token".into());
    }
    let ts: i64 = get("oauth_timestamp")?
        .parse()
        .map_err(|_| "bad oauth_timestamp")?;
    if (now.timestamp() - ts).abs() > 300 {
        return Err("oauth_timestamp is more than 5 minutes off".into());
    }
    let presented = get("oauth_signature")?;
    let mut params = oauth.clone();
    params.extend(query.iter().cloned());
    let expected = signature(
        method,
        url,
        &params,
        keys.consumer_secret,
        keys.token_secret,
    );
    if constant_time_eq::constant_time_eq(expected.as_bytes(), presented.as_bytes()) {
        Ok(())
    } else {
        Err("invalid signature".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of RFC 5849 §3.4.1 / Twitter's "Creating a signature" guide.
    #[test]
    fn matches_the_published_twitter_example() {
        let params: Vec<(String, String)> = [
            (
                "status",
                "Hello Ladies + Gentlemen, a signed OAuth request!",
            ),
            ("include_entities", "true"),
            ("oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"),
            ("oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1318622958"),
            (
                "oauth_token",
                "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
            ),
            ("oauth_version", "1.0"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let sig = signature(
            "POST",
            "https://api.twitter.com/1.1/statuses/update.json",
            &params,
            "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
            "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
        );
        assert_eq!(sig, "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
    }
}
