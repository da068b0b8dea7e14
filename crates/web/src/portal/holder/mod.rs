//! The pages of the holder of an issued certificate (issue 11): «Αλλαγή κωδικού ψηφιακής
//! υπογραφής» ([`signing_password`]), «Συγχρονισμός OTP» ([`otp_sync`]), «Αίτημα ανάκλησης»
//! ([`revocation_request`]) and «Ιστορικό υπογραφών» ([`signatures`]). Each is at a path of its
//! own; the application page links to them once the certificate is issued. The use cases are
//! `certdesk_app::portal::holder`'s.

mod otp_sync;
mod revocation_request;
mod signatures;
mod signing_password;
pub mod texts;

use axum::http::StatusCode;
use axum::response::Response;
use certdesk_app::AppError;
use certdesk_store::StoreError;

use super::{PortalUser, message_page, no_application, portal_message, see_portal};
use crate::error::WebError;
use crate::routes::Routes;
pub use texts::{HolderTexts, holder_texts};

pub fn routes() -> Routes {
    Routes::new()
        .get("/portal/signing-password", signing_password::page)
        .post("/portal/signing-password", signing_password::submit)
        .get("/portal/otp-sync", otp_sync::page)
        .post("/portal/otp-sync", otp_sync::submit)
        .get("/portal/revocation-request", revocation_request::page)
        .post("/portal/revocation-request", revocation_request::submit)
        .get("/portal/signatures", signatures::page)
}

/// How a holder's page answers a refusal: the page again with every reason (`page` renders it
/// with the messages and the status); the application page when there is no issued certificate
/// to act on; a page of its own when the store or the installation failed.
fn refused(
    user: &PortalUser,
    error: AppError,
    page: impl FnOnce(Vec<String>, StatusCode) -> Response,
) -> Response {
    let lang = user.lang;
    match error {
        AppError::NotAtStep => see_portal(None),
        AppError::NotFound => no_application(user),
        AppError::InvalidFields(errors) => page(
            errors.iter().map(|e| e.message(lang)).collect(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        error @ (AppError::Store(StoreError::Unavailable(_)) | AppError::Configuration(_)) => {
            message_page(lang, user.who.csrf_token(), &error.into())
        }
        error => {
            let error = WebError::from(error);
            page(vec![portal_message(&error, lang)], error.status())
        }
    }
}
