//! Errors as `application/problem+json` (RFC 9457): a machine-readable `type`, a short
//! `title`, the HTTP `status`, and a `detail` that tells a person exactly what to fix.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::Serialize;
use serde_json::{Map, Value};

pub const CONTENT_TYPE: &str = "application/problem+json";

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Extension members, e.g. `current_version` on a conflict.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    retry_after: Option<u32>,
}

impl Problem {
    /// `slug` becomes the problem type `https://lately.dev/problems/{slug}` — a stable,
    /// documented identifier (see the README), not a page that must resolve.
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("https://lately.dev/problems/{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            extra: Map::new(),
            retry_after: None,
        }
    }

    /// Adds an extension member. Not one of RFC 9457's own (`type`, `title`, `status`,
    /// `detail`): the JSON would hold the key twice, and most parsers keep the second.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        debug_assert!(
            !["type", "title", "status", "detail", "instance"].contains(&key),
            "{key} is a standard member of a problem"
        );
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    /// Adds a `Retry-After` header (seconds) to the response.
    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn response(&self) -> HttpResponse {
        let mut res = HttpResponseBuilder::new(self.status());
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)));
        if let Some(s) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        if self.status() == StatusCode::UNAUTHORIZED {
            res.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"lately\""),
            ));
        }
        res.json(self)
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            detail,
        )
        .retry_after(1)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.title, self.status, self.detail)
    }
}

impl actix_web::ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status()
    }
    fn error_response(&self) -> HttpResponse {
        self.response()
    }
}

/// Default service for unknown paths.
pub async fn no_such_route(req: actix_web::HttpRequest) -> HttpResponse {
    Problem::not_found(format!("there is no route {} {}", req.method(), req.path())).response()
}

/// Default service of a resource that supports only `allow` (e.g. `"POST"`): 405 with an
/// `Allow` header.
pub fn allow(allow: &'static str) -> actix_web::Route {
    actix_web::web::to(move |req: actix_web::HttpRequest| async move {
        let mut res = Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            format!(
                "{} is not supported on {} (only {allow})",
                req.method(),
                req.path()
            ),
        )
        .response();
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
        res
    })
}

/// A read-only resource: GET and HEAD only; any other method is a 405 problem.
///
/// A HEAD is answered by the GET's handler, whose body the server leaves unsent: actix-web
/// routes it to no GET route by itself, and uptime monitors and link checkers ask with it.
pub fn get<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    use actix_web::guard;
    actix_web::web::resource(path)
        .route(
            actix_web::web::route()
                .guard(guard::Any(guard::Get()).or(guard::Head()))
                .to(handler),
        )
        .default_service(allow("GET, HEAD"))
}

/// A POST-only resource: any other method gets a 405 problem with `Allow: POST`.
pub fn post<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    actix_web::web::resource(path)
        .route(actix_web::web::post().to(handler))
        .default_service(allow("POST"))
}
