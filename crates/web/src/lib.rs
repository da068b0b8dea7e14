//! The web layer of certdesk: the ΔΨΠ console (server-rendered HTML, Greek by default), the JSON
//! API under `/api/v1` with its OpenAPI document, and the static assets. Handlers turn requests
//! into commands for `certdesk_store::workflow` and render the outcome; no rule lives here.

pub mod api;
pub mod console;
pub mod error;
pub mod extract;
pub mod pki;
pub mod portal;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use certdesk_store::Store;
use chrono::{DateTime, Utc};
use tower_http::set_header::SetResponseHeaderLayer;

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Where "now" comes from; tests may set another clock.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(Utc::now))
    }

    pub fn fixed(f: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(f))
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

#[derive(Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (when served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// How long a console session or an API token lasts.
    pub session_hours: i64,
    /// The address users reach certdesk at (e.g. `https://certdesk.example.gr`): the portal's
    /// OAuth2 redirect URI is made from it. Without it, from the request's Host header.
    pub public_url: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            session_hours: 8,
            public_url: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    pub config: WebConfig,
    /// The tax registry the magnifier of «Νέο Ψηφιακό Πιστοποιητικό» asks; without one, the
    /// names come from certdesk's own employee records.
    pub tax_registry: Option<Arc<dyn certdesk_registry::TaxRegistry>>,
    /// The Police ID-card registry against which the portal identifies beneficiaries.
    pub police_registry: Option<Arc<dyn certdesk_registry::PoliceRegistry>>,
    /// The open CA, which signs the CRL and the OCSP responses (none before `certdesk ca init`).
    pub ca: Option<Arc<certdesk_ca::CaIssuer>>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> AppState {
        AppState {
            store,
            clock: Clock::system(),
            config: WebConfig::default(),
            tax_registry: None,
            police_registry: None,
            ca: None,
        }
    }
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(console::routes())
        .merge(portal::routes())
        .merge(pki::routes())
        .nest("/api/v1", api::routes())
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves `app` on `listener` until Ctrl-C / SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_router(listener, app(state)).await
}

/// Serves a router made of [`app`] and more (e.g. the demo's built-in registry) until Ctrl-C /
/// SIGTERM.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
