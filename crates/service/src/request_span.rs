//! The span every HTTP request runs in: what a log line inside a request needs to be found
//! again (method, path, request id) and its outcome, and nothing more.
//!
//! `tracing-actix-web`'s default span carries some fifteen OpenTelemetry fields (client IP,
//! user agent, scheme, host, a route found by matching the path a second time, …), and the
//! fmt subscriber formats every one of them into a string when the span opens. Profiling the
//! writer under load showed that as a visible share of its CPU per request, for fields no one
//! here reads: lately exports logs, not traces.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::field::Empty;
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

/// Use as `TracingLogger::<RequestSpan>::new()`.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request.extensions().get::<RequestId>().copied();
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = request.path(),
            request_id = request_id.map(tracing::field::display),
            status = Empty,
            error = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        match outcome {
            Ok(response) => {
                span.record("status", response.status().as_u16());
                if let Some(error) = response.response().error() {
                    span.record("error", tracing::field::display(error));
                }
            }
            Err(error) => {
                span.record("status", error.as_response_error().status_code().as_u16());
                span.record("error", tracing::field::display(error));
            }
        }
    }
}
