//! The JSON API under `/api/v1` (SPEC §7), described by `/api/v1/openapi.json`.
//!
//! Each operation is registered with utoipa-axum's `routes!`, which adds the route to the router
//! and its `#[utoipa::path]` to the document in one step: a route cannot be served without being
//! documented, nor documented without being served.

pub(crate) mod applications;
mod auth;
pub mod docs;
pub mod employees;
mod import;
pub mod views;

use std::sync::LazyLock;

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::WebError;
use crate::routes::{Route, Routes};

/// Where the API lives; the operations' paths in the document are under it.
pub const BASE: &str = "/api/v1";

/// The import's path, whose requests may take longer than others (`ServeLimits::import_timeout`).
pub const IMPORT_PATH: &str = "/api/v1/employees/import";

/// The API's routes (relative to [`BASE`]: every operation of the document, and the document
/// itself) and the OpenAPI document.
pub fn routes() -> (Routes, utoipa::openapi::OpenApi) {
    let (router, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(employees::search))
        .routes(routes!(employees::card))
        .routes(routes!(import::import))
        .routes(routes!(applications::create))
        .routes(routes!(applications::approve))
        .routes(routes!(applications::reject))
        .routes(routes!(applications::cancel))
        .routes(routes!(applications::revoke))
        .routes(routes!(applications::certificate))
        .split_for_parts();
    let operations = operations(&document);
    let routes = Routes::from_router(router, operations)
        // The document itself is not an operation of the API.
        .get("/openapi.json", openapi_json)
        .map_router(|router| {
            router
                .fallback(not_found)
                .method_not_allowed_fallback(method_not_allowed)
                .layer(axum::middleware::from_fn(crate::error::localize))
        });
    (routes, with_base(document))
}

/// The method and path of every operation the document describes.
pub(crate) fn operations(document: &utoipa::openapi::OpenApi) -> Vec<Route> {
    let mut found = Vec::new();
    for (path, item) in &document.paths.paths {
        let methods = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in methods {
            if operation.is_some() {
                found.push(Route {
                    method,
                    path: path.clone(),
                });
            }
        }
    }
    found
}

/// The handlers' paths are relative to the API's base; the document names them in full.
fn with_base(document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    with_prefix(document, BASE)
}

/// A document whose paths are relative to `base`, with them in full.
pub(crate) fn with_prefix(
    mut document: utoipa::openapi::OpenApi,
    base: &str,
) -> utoipa::openapi::OpenApi {
    let paths = std::mem::take(&mut document.paths.paths);
    document.paths.paths = paths
        .into_iter()
        .map(|(path, item)| (format!("{base}{path}"), item))
        .collect();
    document
}

async fn method_not_allowed() -> WebError {
    WebError::MethodNotAllowed
}

async fn not_found() -> WebError {
    WebError::NotFound
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "certdesk API",
        description = "Issuance of personal digital-signature certificates: find employees, follow and cancel their applications. Errors are always {\"error\":{\"code\",\"message\",\"field\"?}}, in Greek unless Accept-Language asks for English.",
    ),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document, as `/api/v1/openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| routes().1);
    DOCUMENT.clone()
}

async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(openapi())
}
