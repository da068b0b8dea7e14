//! The JSON API under `/api/v1` (SPEC §7), described by `/api/v1/openapi.json`.

pub(crate) mod applications;
mod auth;
pub mod employees;
pub mod views;

use axum::Router;
use axum::routing::{get, post};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/employees", get(employees::search))
        .route("/employees/{id}", get(employees::card))
        .route("/applications", post(applications::create))
        .route("/applications/{id}/approve", post(applications::approve))
        .route("/applications/{id}/reject", post(applications::reject))
        .route("/applications/{id}/cancel", post(applications::cancel))
        .route("/applications/{id}/revoke", post(applications::revoke))
        .route(
            "/applications/{id}/certificate",
            get(applications::certificate),
        )
        .route("/openapi.json", get(openapi_json))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn method_not_allowed(
    crate::extract::ApiLang(lang): crate::extract::ApiLang,
) -> crate::error::ApiError {
    crate::error::ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        lang.pick(
            "Η μέθοδος HTTP δεν επιτρέπεται σε αυτή τη διεύθυνση.",
            "This HTTP method is not allowed at this address.",
        ),
    )
}

async fn not_found(
    crate::extract::ApiLang(lang): crate::extract::ApiLang,
) -> crate::error::ApiError {
    crate::error::ApiError::not_found(lang)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "certdesk API",
        description = "Issuance of personal digital-signature certificates: find employees, follow and cancel their applications. Errors are always {\"error\":{\"code\",\"message\",\"field\"?}}, in Greek unless Accept-Language asks for English.",
    ),
    paths(
        auth::login,
        employees::search,
        employees::card,
        applications::create,
        applications::approve,
        applications::reject,
        applications::certificate,
        applications::revoke,
        applications::cancel,
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

pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(openapi())
}
