//! The web layer of certdesk: the ΔΨΠ console (server-rendered HTML, Greek by default), the
//! beneficiary's portal, the JSON API under `/api/v1` with its OpenAPI document, the PKI's
//! publications, and the static assets. A handler translates HTTP into a call of a use case of
//! `certdesk-app` and renders the outcome; no rule lives here, and no handler builds a scope: it
//! acts through the [`Administrator`](certdesk_app::admin::Administrator) or the
//! [`Beneficiary`](certdesk_app::portal::Beneficiary) its extractor was handed.

pub mod api;
pub mod console;
pub mod cookies;
pub mod csc;
pub mod error;
pub mod extract;
mod headers;
pub mod metrics;
pub mod pki;
pub mod portal;
mod qr;
pub mod routes;
pub mod serve;
pub mod sign_api;
pub mod texts;
pub mod view;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use certdesk_app::App;

pub use routes::{Route, Routes};
pub use serve::{ServeLimits, serve_router, serve_router_until, serve_router_with};

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// How the web layer itself is set up (everything else is the installation's, in [`App`]).
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Served over TLS (directly or behind a proxy): cookies are `Secure` with the `__Host-`
    /// prefix (`cookies::name`), and answers carry `Strict-Transport-Security`.
    pub secure_cookies: bool,
    /// `/metrics` answers only a scraper that presents it as a bearer token (`serve
    /// --metrics-token`); without it, `/metrics` is open (see [`metrics`]).
    pub metrics_token: Option<metrics::MetricsToken>,
}

/// What every handler receives.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: WebConfig,
}

/// Every route of the web layer.
fn routes() -> Routes {
    let (api, _) = api::routes();
    let (sign_api, _) = sign_api::routes();
    let (csc_v1, _) = csc::routes(csc::Version::V1);
    let (csc_v2, _) = csc::routes(csc::Version::V2);
    Routes::new()
        .merge(console::routes())
        .merge(portal::routes())
        .merge(pki::routes())
        .nest(api::BASE, api)
        .nest(sign_api::BASE, sign_api)
        .nest(csc::V1, csc_v1)
        .nest(csc::V2, csc_v2)
        .merge(api::docs::routes())
        .merge(metrics::routes())
        .get("/healthz", || async { "ok" })
}

/// What the router serves: every method and path, in the order they were added.
pub fn route_table() -> Vec<Route> {
    routes().into_parts().1
}

/// The whole application.
pub fn router(app: App, config: WebConfig) -> Router {
    let router = routes()
        .into_parts()
        .0
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    let router = headers::security_headers(router, &config)
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(request_span));
    metrics::track(router, app.metrics().clone()).with_state(AppState { app, config })
}

/// The span of a request in the logs: its method and path, never its query, which may carry a
/// secret (the «Έναρξη» link's token, the registry's login code).
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
    )
}

#[cfg(test)]
mod tests {
    /// The web layer reaches data only through the `Administrator` or `Beneficiary` its
    /// extractors were handed: it never names a scope, nor the unscoped store.
    #[test]
    fn no_handler_builds_a_scope_or_reaches_the_whole_store() {
        fn sources(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    sources(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    found.push(path);
                }
            }
        }
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        assert!(files.len() > 10, "the sources were found");
        let this_file = std::path::Path::new(file!()).file_name().unwrap();
        for file in files.iter().filter(|f| f.file_name() != Some(this_file)) {
            let text = std::fs::read_to_string(file).unwrap();
            for forbidden in ["Scope::", ".store()", "certdesk_app::workflow"] {
                assert!(
                    !text.contains(forbidden),
                    "{} uses {forbidden}: act through an Administrator or a Beneficiary",
                    file.display()
                );
            }
        }
    }

    /// A route added past `Routes` would be missing from `route_table`, and so from the
    /// authorization matrix that walks it.
    #[test]
    fn every_route_is_added_through_the_route_table() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![src.clone()];
        let mut checked = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") || path.ends_with("routes.rs") {
                    continue;
                }
                checked += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                // Tests (this one included) may name what they look for.
                let code = text.split("#[cfg(test)]").next().unwrap();
                for forbidden in [
                    ".route(",
                    ".route_service(",
                    ".nest_service(",
                    "Router::new()",
                ] {
                    assert!(
                        !code.contains(forbidden),
                        "{} uses {forbidden}: add routes through routes::Routes",
                        path.display()
                    );
                }
            }
        }
        assert!(checked > 10, "the sources were found");
    }
}
