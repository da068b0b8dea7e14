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
//!
//! - `GET /pki/pds-en`: the PKI disclosure statement in English (the QcPDS of the certificates;
//!   ETSI EN 319 412-5 wants it reached over HTTPS, which the operator's TLS proxy provides).
//!
//! None of them needs a login. Without a CA (before `certdesk ca init`) every one answers 404.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use certdesk_ca::crl::{CRL_CONTENT_TYPE, DEFAULT_CRL_VALIDITY, RevokedCertificate};
use certdesk_ca::ocsp::{
    CertificateStatus, DEFAULT_OCSP_VALIDITY, RESPONSE_CONTENT_TYPE, Refusal, decode_get_request,
    refusal,
};

use crate::AppState;

/// The MIME type of a DER certificate (RFC 2585).
const CERTIFICATE_CONTENT_TYPE: &str = "application/pkix-cert";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pki/crl", get(crl))
        .route("/pki/ocsp", post(ocsp_post))
        .route("/pki/ocsp/", get(ocsp_get_empty))
        .route("/pki/ocsp/{*request}", get(ocsp_get))
        .route("/pki/issuing-ca.crt", get(issuing_ca))
        .route("/pki/root-ca.crt", get(root_ca))
        .route("/pki/pds-en", get(pds_en))
}

fn no_ca() -> Response {
    (
        StatusCode::NOT_FOUND,
        "No certificate authority is configured here.\n",
    )
        .into_response()
}

fn der(content_type: &'static str, cache_control: &'static str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control),
            ),
        ],
        body,
    )
        .into_response()
}

/// What is signed per request may change at the next revocation: caches must ask again.
const FRESH: &str = "no-cache";
/// The CA certificates do not change.
const STATIC: &str = "public, max-age=86400";

async fn crl(State(state): State<AppState>) -> Response {
    let Some(ca) = state.ca.as_ref() else {
        return no_ca();
    };
    let revoked = match state.store.revocations().await {
        Ok(revoked) => revoked,
        Err(error) => {
            tracing::error!(%error, "the CRL: the store did not list the revocations");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "The revocation list is unavailable; try again later.\n",
            )
                .into_response();
        }
    };
    let entries: Vec<RevokedCertificate> = revoked
        .into_iter()
        .map(|revocation| RevokedCertificate {
            revoked_at: revocation.revoked_at,
            reason: revocation.revocation_reason,
            serial: revocation.serial,
        })
        .collect();
    match ca
        .authority
        .sign_crl(&entries, state.clock.now(), DEFAULT_CRL_VALIDITY)
    {
        Ok(body) => der(CRL_CONTENT_TYPE, FRESH, body),
        Err(error) => {
            tracing::error!(%error, "the CRL could not be signed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The revocation list could not be made.\n",
            )
                .into_response()
        }
    }
}

fn ocsp_answer(body: Vec<u8>) -> Response {
    der(RESPONSE_CONTENT_TYPE, FRESH, body)
}

async fn ocsp_post(State(state): State<AppState>, body: Bytes) -> Response {
    ocsp(&state, &body).await
}

async fn ocsp_get(State(state): State<AppState>, Path(request): Path<String>) -> Response {
    if state.ca.is_none() {
        return no_ca();
    }
    match decode_get_request(&request) {
        Some(der) => ocsp(&state, &der).await,
        None => ocsp_answer(refusal(Refusal::MalformedRequest)),
    }
}

async fn ocsp_get_empty(State(state): State<AppState>) -> Response {
    if state.ca.is_none() {
        return no_ca();
    }
    ocsp_answer(refusal(Refusal::MalformedRequest))
}

/// Answers the DER OCSPRequest `request`: each certificate it asks about is looked up by serial
/// number (when the request names the issuing CA), and the response signed by the issuing CA.
async fn ocsp(state: &AppState, request: &[u8]) -> Response {
    let Some(ca) = state.ca.as_ref() else {
        return no_ca();
    };
    let responder = match ca.authority.ocsp_responder() {
        Ok(responder) => responder,
        Err(error) => {
            tracing::error!(%error, "the OCSP responder cannot answer");
            return ocsp_answer(refusal(Refusal::InternalError));
        }
    };
    let parsed = match responder.parse_request(request) {
        Ok(parsed) => parsed,
        Err(refused) => return ocsp_answer(refusal(refused)),
    };
    let mut statuses = Vec::with_capacity(parsed.serials().len());
    for serial in parsed.serials() {
        let status = match serial {
            None => CertificateStatus::Unknown,
            Some(serial) => match state.store.certificate_by_serial(serial).await {
                Ok(None) => CertificateStatus::Unknown,
                Ok(Some(certificate)) => match certificate.revoked_at {
                    None => CertificateStatus::Good,
                    Some(at) => CertificateStatus::Revoked {
                        at,
                        reason: certificate.revocation_reason,
                    },
                },
                Err(error) => {
                    tracing::error!(%error, "OCSP: the store did not find a certificate");
                    return ocsp_answer(refusal(Refusal::InternalError));
                }
            },
        };
        statuses.push(status);
    }
    match responder.respond(&parsed, &statuses, state.clock.now(), DEFAULT_OCSP_VALIDITY) {
        Ok(body) => ocsp_answer(body),
        Err(error) => {
            tracing::error!(%error, "the OCSP response could not be signed");
            ocsp_answer(refusal(Refusal::InternalError))
        }
    }
}

async fn issuing_ca(State(state): State<AppState>) -> Response {
    match state.ca.as_ref() {
        Some(ca) => der(
            CERTIFICATE_CONTENT_TYPE,
            STATIC,
            ca.authority.sealed().issuing_der.clone(),
        ),
        None => no_ca(),
    }
}

async fn root_ca(State(state): State<AppState>) -> Response {
    match state.ca.as_ref() {
        Some(ca) => der(
            CERTIFICATE_CONTENT_TYPE,
            STATIC,
            ca.authority.sealed().root_der.clone(),
        ),
        None => no_ca(),
    }
}

/// The PKI disclosure statement (ETSI EN 319 411-1 annex A), in English as QcPDS points to it.
async fn pds_en(State(state): State<AppState>) -> Response {
    let Some(ca) = state.ca.as_ref() else {
        return no_ca();
    };
    let sealed = ca.authority.sealed();
    let issuing = certdesk_ca::authority::describe(&sealed.issuing_der);
    let body = format!(
        "PKI disclosure statement\n\
         ========================\n\n\
         Certification authority: {subject}\n\
         Certificates: personal certificates for electronic signatures of the employees of the\n\
         organisations served by this installation (ETSI EN 319 412-2 natural person, policy\n\
         QCP-n-qscd 0.4.0.194112.1.2). The private key is generated and kept by the service for\n\
         remote signing, sealed at rest.\n\
         Validity: three years; there is no renewal: a new application is made.\n\
         Identification: the tax registry (TaxisNet) login and the Police ID-card registry.\n\
         Revocation: by the organisation's certificate administrators, at the employee's request\n\
         (cessationOfOperation) or by decision of the organisation, a court or a supervisory\n\
         authority (privilegeWithdrawn). Status: CRL at {crl}, OCSP at {ocsp}.\n",
        subject = issuing.subject,
        crl = ca.authority.crl_url(),
        ocsp = ca.authority.ocsp_url(),
    );
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        body,
    )
        .into_response()
}
