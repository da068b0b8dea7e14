//! The OCSP responder of the issuing CA (RFC 6960), at [`Authority::ocsp_url`].
//!
//! The issuing CA answers for itself: every response is signed by the issuing CA's own key, with
//! the signature algorithm of that key (ECDSA P-256 with SHA-256 by default, sha256WithRSAEncryption
//! for an RSA CA), so relying parties need no delegated responder certificate and the response
//! carries no certificate (`certs` is absent: the client has the issuer already, it asked about
//! it). The responder is named by key (`responderID byKey`, the SHA-1 of the issuing CA's
//! subjectPublicKey BIT STRING contents, RFC 6960 §4.2.1).
//!
//! Answering takes two steps, so that this crate does no IO: [`OcspResponder::parse_request`]
//! reads the request and says which serial numbers it asks about (only those whose CertID names
//! the issuing CA, by SHA-1 or SHA-256 hashes of its name and key); the caller looks them up and
//! hands their statuses to [`OcspResponder::respond`], which signs a BasicOCSPResponse:
//! `good`, `revoked` (with the revocation time and reason) or `unknown`, each with
//! `thisUpdate` = now and `nextUpdate` = now + [`DEFAULT_OCSP_VALIDITY`], the request's nonce
//! echoed. A request the responder cannot read gets [`refusal`]`(MalformedRequest)`. Responses
//! are signed per request, like the CRL: a revocation shows at once on every server.
//!
//! [`Authority::ocsp_url`]: crate::Authority::ocsp_url

// The two steps above and what they share: `request.rs` reads a request (DER, or the base64 of
// a GET), `responder.rs` is the issuing CA as responder (whom a CertID must name, the signing
// key), `response.rs` signs the answer. The statuses, refusals and limits stay here because all
// of them speak of these.

use chrono::{DateTime, Duration, Utc};
use der::Encode;
use x509_ocsp::OcspResponse;

mod request;
mod responder;
mod response;
#[cfg(test)]
mod test_fixtures;

pub use request::{ParsedRequest, decode_get_request, request_for};
pub use responder::OcspResponder;

/// How long an OCSP response is valid: its `nextUpdate` is this long after its `thisUpdate`.
pub const DEFAULT_OCSP_VALIDITY: Duration = Duration::hours(1);

/// The MIME types of RFC 6960 appendix C.
pub const REQUEST_CONTENT_TYPE: &str = "application/ocsp-request";
pub const RESPONSE_CONTENT_TYPE: &str = "application/ocsp-response";

/// The most certificates one request may ask about (each costs a look-up); more is refused as a
/// malformed request. Clients ask about one (RFC 5019 wants exactly one).
pub const MAX_CERTIFICATES_PER_REQUEST: usize = 32;

/// What the store says of one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateStatus {
    /// Issued by this CA and not revoked.
    Good,
    /// Revoked at `at`, with the RFC 5280 CRLReason code `reason` (none, or 0, is written as no
    /// reason).
    Revoked {
        at: DateTime<Utc>,
        reason: Option<i32>,
    },
    /// Not a certificate of this CA.
    Unknown,
}

/// The unsuccessful statuses of RFC 6960 §4.2.1 this responder answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The request could not be read, or asks about nothing, too much, or with a bad nonce.
    MalformedRequest,
    /// The responder failed (e.g. the store did not answer).
    InternalError,
    /// The request carries a critical extension the responder does not know.
    Unauthorized,
}

/// The DER of an OCSPResponse with an unsuccessful status and no response bytes.
pub fn refusal(refusal: Refusal) -> Vec<u8> {
    let response = match refusal {
        Refusal::MalformedRequest => OcspResponse::malformed_request(),
        Refusal::InternalError => OcspResponse::internal_error(),
        Refusal::Unauthorized => OcspResponse::unauthorized(),
    };
    response
        .to_der()
        .expect("an OCSP response of a status alone encodes")
}
