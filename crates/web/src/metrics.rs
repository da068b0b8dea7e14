//! `/metrics` for whoever runs the installation, and the latency of every request, counted by the
//! route template that matched it (`certdesk_app::metrics`).
//!
//! Who may read it: the exposition holds aggregate counts only (no personal data, no ids: routes
//! are templates), so it is open on the listener, as Prometheus expects of a target. Where the
//! listener is reachable from outside and that is not wanted, `serve --metrics-token` asks for
//! `Authorization: Bearer <token>` instead.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use certdesk_app::metrics::{CONTENT_TYPE, Metrics, RequestLabels};
use certdesk_app::tokens::constant_time_eq;

use crate::{AppState, Routes};

/// The secret a scraper presents when `serve --metrics-token` is given. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// A token of at least 16 characters, or `None` for an empty one.
    pub fn new(token: &str) -> Result<Option<MetricsToken>, &'static str> {
        let token = token.trim();
        match token.chars().count() {
            0 => Ok(None),
            1..16 => Err("the metrics token must have at least 16 characters"),
            _ => Ok(Some(MetricsToken(token.to_owned()))),
        }
    }

    fn admits(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .is_some_and(|given| constant_time_eq(given.trim().as_bytes(), self.0.as_bytes()))
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(..)")
    }
}

pub(crate) fn routes() -> Routes {
    Routes::new().get("/metrics", exposition)
}

async fn exposition(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token
        && !token.admits(&headers)
    {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "Authorization: Bearer <metrics token>\n",
        )
            .into_response();
    }
    let body = state.app.metrics_exposition().await;
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        body,
    )
        .into_response()
}

/// Times every request of `router` into `metrics`. Layered on the whole router, it runs inside
/// the routing, where the matched route is known; the fallback's requests count as `unmatched`.
pub(crate) fn track<S>(router: Router<S>, metrics: Metrics) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(axum::middleware::from_fn_with_state(metrics, time_request))
}

async fn time_request(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let began = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let response = next.run(request).await;
    let labels = RequestLabels::new(
        method.as_str(),
        route.as_deref(),
        response.status().as_u16(),
    );
    metrics.observe_request(&labels, began.elapsed());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_admits_only_its_bearer() {
        let token = MetricsToken::new("s3cret-s3cret-s3cret").unwrap().unwrap();
        let mut headers = HeaderMap::new();
        assert!(!token.admits(&headers));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer s3cret-s3cret-s3crex"),
        );
        assert!(!token.admits(&headers));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer s3cret-s3cret-s3cret"),
        );
        assert!(token.admits(&headers));
        assert_eq!(format!("{token:?}"), "MetricsToken(..)");
        assert_eq!(MetricsToken::new(" ").unwrap(), None);
        assert!(MetricsToken::new("short").is_err());
    }
}
