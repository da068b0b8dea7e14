//! The web layer of certdesk: the ΔΨΠ console (server-rendered HTML, Greek by default), the
//! beneficiary's portal, the JSON API under `/api/v1` with its OpenAPI document, the PKI's
//! publications, and the static assets. A handler translates HTTP into a call of a use case of
//! `certdesk-app` and renders the outcome; no rule lives here, and no handler builds a scope: it
//! acts through the [`Administrator`](certdesk_app::admin::Administrator) or the
//! [`Beneficiary`](certdesk_app::portal::Beneficiary) its extractor was handed.

pub mod api;
pub mod console;
pub mod cookies;
pub mod error;
pub mod extract;
mod headers;
pub mod pki;
pub mod portal;
mod qr;
pub mod serve;
pub mod texts;
pub mod view;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use certdesk_app::App;

pub use serve::{ServeLimits, serve_router, serve_router_until, serve_router_with};

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// How the web layer itself is set up (everything else is the installation's, in [`App`]).
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Served over TLS (directly or behind a proxy): cookies are `Secure` with the `__Host-`
    /// prefix (`cookies::name`), and answers carry `Strict-Transport-Security`.
    pub secure_cookies: bool,
}

/// What every handler receives.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: WebConfig,
}

/// The whole application.
pub fn router(app: App, config: WebConfig) -> Router {
    let (api, _) = api::router();
    let router = Router::new()
        .merge(console::routes())
        .merge(portal::routes())
        .merge(pki::routes())
        .nest("/api/v1", api)
        .merge(api::docs::routes())
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    headers::security_headers(router, &config)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(AppState { app, config })
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
}
