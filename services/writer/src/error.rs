//! Every way a write can fail, and the problem+json answer for each.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use lately_domain::Rejection;
use lately_log::{AppendError, LogError};
use lately_service::Problem;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or wrong bearer token")]
    Unauthorized,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The body is not JSON at all (or a header is unreadable): 400.
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed JSON whose values break a rule: 422.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Rejected(Rejection),
    #[error("the Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        Self::Rejected(r)
    }
}

impl From<LogError> for ApiError {
    fn from(e: LogError) -> Self {
        if e.is_unavailable() {
            Self::Unavailable(e.to_string())
        } else {
            Self::Internal(e.to_string())
        }
    }
}

impl From<AppendError> for ApiError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Conflict {
                expected, current, ..
            } => Self::Rejected(Rejection::VersionMismatch { expected, current }),
            AppendError::EventIdReused { .. } => Self::IdempotencyKeyReused,
            AppendError::Invalid(why) => Self::Internal(why.to_owned()),
            AppendError::Log(e) => e.into(),
        }
    }
}

impl ApiError {
    fn problem(&self) -> Problem {
        let detail = self.to_string();
        match self {
            Self::Unauthorized => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Unauthorized",
                "send the writer's token as `Authorization: Bearer <token>`",
            ),
            Self::UnsupportedMediaType(_) => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                detail,
            ),
            Self::PayloadTooLarge(_) => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                detail,
            ),
            Self::BadRequest(_) => {
                Problem::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request", detail)
            }
            Self::Invalid(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "Invalid request",
                detail,
            ),
            Self::Rejected(r) => rejection_problem(r),
            Self::IdempotencyKeyReused => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "this Idempotency-Key was already used for a different request; use a new key for a new request",
            ),
            Self::Unavailable(_) => Problem::unavailable(format!(
                "the event log is unavailable, nothing was written; retry shortly ({detail})"
            )),
            Self::Internal(_) => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "the writer failed unexpectedly; nothing was acknowledged. The error is in its log.",
            ),
        }
    }
}

fn rejection_problem(r: &Rejection) -> Problem {
    let detail = r.to_string();
    match r {
        Rejection::NotFound => Problem::not_found(detail),
        Rejection::NothingToChange
        | Rejection::NotListenable(_)
        | Rejection::StartAfterFinish { .. }
        | Rejection::FinishBeforeStart { .. }
        | Rejection::FinishBeforePrevious { .. } => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Invalid request",
            detail,
        ),
        Rejection::VersionMismatch { expected, current } => Problem::new(
            StatusCode::CONFLICT,
            "version-conflict",
            "Version conflict",
            detail,
        )
        .with("expected_version", *expected)
        .with("current_version", *current),
        Rejection::AlreadyExists
        | Rejection::Removed
        | Rejection::AlreadyInProgress
        | Rejection::NotInProgress(_)
        | Rejection::StartNotInProgress(_)
        | Rejection::NeverFinished
        | Rejection::NothingToRetract
        | Rejection::NothingToUnstart
        | Rejection::NotAbandoned(_)
        | Rejection::FinishNotMovable
        | Rejection::NotRemoved => {
            Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", detail)
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.problem().status()
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(e) = self {
            tracing::error!(error = %e, "internal error");
        }
        // A 401 carries its `WWW-Authenticate` from `Problem` itself.
        self.problem().response()
    }
}
