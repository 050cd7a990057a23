//! The span every HTTP request runs in: what a log line inside a request needs to be found
//! again (method, path, request id) and its outcome, and nothing more.
//!
//! `tracing-actix-web`'s default span carries some fifteen OpenTelemetry fields (client IP,
//! user agent, scheme, host, a route found by matching the path a second time, …), and the
//! fmt subscriber formats every one of them into a string when the span opens. Profiling the
//! writer under load showed that as a visible share of its CPU per request, for fields no one
//! here reads: lately exports logs, not traces.
//!
//! A request that ends in an error is said once, in its span: a server's error (5xx) at ERROR,
//! a client's (4xx: a mistyped id, a stale version, a wrong token, a bad query) at INFO.
//! `tracing-actix-web` said every 4xx at WARN, with the error's `Debug` beside the span's
//! `error`: a reader's log warned of every stale link followed, and the writer's of every
//! command refused as the user's own mistake. WARN is kept for what an operator should look
//! at.

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
        let (status, error) = match outcome {
            Ok(response) => (response.status(), response.response().error()),
            Err(error) => (error.as_response_error().status_code(), Some(error)),
        };
        span.record("status", status.as_u16());
        let Some(error) = error else { return };
        span.record("error", tracing::field::display(error));
        span.in_scope(|| {
            if status.is_server_error() {
                tracing::error!("request failed");
            } else {
                tracing::info!("request refused");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use actix_web::{http::StatusCode, test, web, App, HttpResponse};
    use tracing::{Level, Subscriber};
    use tracing_actix_web::TracingLogger;
    use tracing_subscriber::layer::{Context, SubscriberExt};
    use tracing_subscriber::Layer;

    use super::RequestSpan;
    use crate::problem::Problem;

    /// The level and message of every event.
    #[derive(Clone, Default)]
    struct Said(Arc<Mutex<Vec<(Level, String)>>>);

    impl<S: Subscriber> Layer<S> for Said {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            struct Message(String);
            impl tracing::field::Visit for Message {
                fn record_debug(&mut self, field: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                    if field.name() == "message" {
                        self.0 = format!("{v:?}");
                    }
                }
            }
            let mut message = Message(String::new());
            event.record(&mut message);
            let level = *event.metadata().level();
            self.0.lock().unwrap().push((level, message.0));
        }
    }

    #[actix_web::test]
    async fn a_clients_error_is_said_at_info_a_servers_at_error_and_success_not_at_all() {
        let said = Said::default();
        let _guard =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(said.clone()));
        let app = test::init_service(
            App::new()
                .wrap(TracingLogger::<RequestSpan>::new())
                .route("/ok", web::get().to(HttpResponse::Ok))
                .route(
                    "/missing",
                    web::get().to(|| async {
                        Err::<HttpResponse, _>(Problem::not_found("no item \"x\""))
                    }),
                )
                .route(
                    "/broken",
                    web::get().to(|| async {
                        Err::<HttpResponse, _>(Problem::new(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "internal",
                            "Internal error",
                            "the log cannot be read",
                        ))
                    }),
                ),
        )
        .await;
        for (path, status) in [
            ("/ok", StatusCode::OK),
            ("/missing", StatusCode::NOT_FOUND),
            ("/broken", StatusCode::INTERNAL_SERVER_ERROR),
        ] {
            let res =
                test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
            assert_eq!(res.status(), status, "{path}");
        }
        assert_eq!(
            *said.0.lock().unwrap(),
            [
                (Level::INFO, "request refused".to_owned()),
                (Level::ERROR, "request failed".to_owned())
            ]
        );
    }
}
