//! The PKI over HTTP (SPEC §6, §7), at the addresses the CA writes in its certificates
//! (`certdesk_ca::Authority::crl_url` and the others):
//!
//! - `GET /pki/crl`: the issuing CA's CRL (DER, `application/pkix-crl`), signed afresh for each
//!   request from the revocations in the store (see `certdesk_ca::crl` for why, and for the CRL
//!   number that stays in order across servers);
//! - `POST /pki/ocsp` (an `application/ocsp-request` body) and `GET /pki/ocsp/{request}` (RFC 6960
//!   appendix A: the request in base64, possibly percent-encoded): the OCSP responder, whose
//!   answers are always OCSP responses (`application/ocsp-response`, HTTP 200), unsuccessful
//!   ones included (malformedRequest, internalError when the store fails);
//! - `GET /pki/issuing-ca.crt` and `GET /pki/root-ca.crt`: the CA certificates (DER,
//!   `application/pkix-cert`), the first being the caIssuers address of the certificates.
//! - `GET /pki/root-ca.crl`: the root's CRL about the issuing CA (the issuing CA certificate's
//!   CRL distribution point; see `certdesk_ca::authority::root_crl`).
//!
//! - `GET /pki/pds-en`: the PKI disclosure statement in English (the QcPDS of the certificates;
//!   ETSI EN 319 412-5 wants it reached over HTTPS, which the operator's TLS proxy provides).
//!
//! None of them needs a login. Without a CA (before `certdesk ca init`) every one answers 404.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use certdesk_app::pki::{self, CaCertificate, PkiError};
use certdesk_ca::crl::CRL_CONTENT_TYPE;
use certdesk_ca::ocsp::{RESPONSE_CONTENT_TYPE, decode_get_request};

use crate::AppState;
use crate::routes::Routes;

const CERTIFICATE_CONTENT_TYPE: &str = "application/pkix-cert";
const FRESH: &str = "no-cache";
const STATIC: &str = "public, max-age=86400";

pub fn routes() -> Routes {
    Routes::new()
        .get("/pki/crl", crl)
        .post("/pki/ocsp", ocsp_post)
        .get("/pki/ocsp/", ocsp_get_empty)
        .get("/pki/ocsp/{*request}", ocsp_get)
        .get("/pki/issuing-ca.crt", issuing_ca)
        .get("/pki/root-ca.crt", root_ca)
        .get("/pki/root-ca.crl", root_crl)
        .get("/pki/pds-en", pds_en)
}

/// A publication with its content type and caching, or the reason there is none. These answers
/// are for PKI clients, not people: plain English text.
fn answer(
    body: Result<Vec<u8>, PkiError>,
    content_type: &'static str,
    cache: &'static str,
) -> Response {
    match body {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            ],
            body,
        )
            .into_response(),
        Err(PkiError::NoCa) => (
            StatusCode::NOT_FOUND,
            "No certificate authority is configured here.\n",
        )
            .into_response(),
        Err(PkiError::Unavailable) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The revocation list is unavailable; try again later.\n",
        )
            .into_response(),
        Err(PkiError::Internal) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "The revocation list could not be made.\n",
        )
            .into_response(),
        Err(PkiError::NotPublished) => (
            StatusCode::NOT_FOUND,
            "This certificate authority does not publish it yet.\n",
        )
            .into_response(),
    }
}

async fn crl(State(state): State<AppState>) -> Response {
    answer(pki::crl(&state.app).await, CRL_CONTENT_TYPE, FRESH)
}

async fn ocsp_post(State(state): State<AppState>, body: Bytes) -> Response {
    answer(
        pki::ocsp(&state.app, &body).await,
        RESPONSE_CONTENT_TYPE,
        FRESH,
    )
}

async fn ocsp_get(State(state): State<AppState>, Path(request): Path<String>) -> Response {
    let body = match decode_get_request(&request) {
        Some(der) => pki::ocsp(&state.app, &der).await,
        None => pki::ocsp_malformed(&state.app),
    };
    answer(body, RESPONSE_CONTENT_TYPE, FRESH)
}

async fn ocsp_get_empty(State(state): State<AppState>) -> Response {
    answer(
        pki::ocsp_malformed(&state.app),
        RESPONSE_CONTENT_TYPE,
        FRESH,
    )
}

async fn issuing_ca(State(state): State<AppState>) -> Response {
    let body = pki::ca_certificate(&state.app, CaCertificate::Issuing);
    answer(body, CERTIFICATE_CONTENT_TYPE, STATIC)
}

async fn root_crl(State(state): State<AppState>) -> Response {
    answer(pki::root_crl(&state.app), CRL_CONTENT_TYPE, STATIC)
}

async fn root_ca(State(state): State<AppState>) -> Response {
    let body = pki::ca_certificate(&state.app, CaCertificate::Root);
    answer(body, CERTIFICATE_CONTENT_TYPE, STATIC)
}

/// The PKI disclosure statement (ETSI EN 319 411-1 annex A), in English as QcPDS points to it.
async fn pds_en(State(state): State<AppState>) -> Response {
    let body = pki::disclosure_statement(&state.app).map(String::into_bytes);
    answer(body, "text/plain; charset=utf-8", STATIC)
}
