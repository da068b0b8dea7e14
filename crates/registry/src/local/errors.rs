//! The errors the local registry answers with, as OAuth2 writes them (RFC 6749 §5.2).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::model::ErrorWire;

pub(super) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        Json(ErrorWire {
            error: error.to_owned(),
            error_description: Some(description.to_owned()),
        }),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"certdesk local registry\""),
        );
    }
    response
}

pub(super) fn invalid_client() -> Response {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "unknown client or wrong secret",
    )
}

pub(super) fn not_found() -> Response {
    oauth_error(StatusCode::NOT_FOUND, "not_found", "no such person")
}
