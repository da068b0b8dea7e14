//! `/api/docs`: the OpenAPI document, browsable in Swagger UI. The UI's assets are vendored in
//! the binary (nothing is fetched from a CDN) and read the document the API serves at
//! `/api/v1/openapi.json`, so what the page shows is exactly what integrators download.

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::routes::{Route, Routes};

/// Swagger UI sets inline styles on its elements; its page alone may have them. Scripts stay
/// `'self'`: the bundle and its initializer are files served here.
const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

pub fn routes<S: Clone + Send + Sync + 'static>() -> Routes<S> {
    // The crate serves /api/docs/ and what is under it, and redirects /api/docs there.
    let ui = SwaggerUi::new("/api/docs").config(
        Config::new(["/api/v1/openapi.json"])
            .try_it_out_enabled(true)
            .display_request_duration(true),
    );
    let router = Router::from(ui).layer(SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCS_CONTENT_SECURITY_POLICY),
    ));
    let served = ["/api/docs", "/api/docs/", "/api/docs/{*rest}"];
    Routes::from_router(
        router,
        served.map(|path| Route {
            method: "GET",
            path: path.to_owned(),
        }),
    )
}
