//! The certificate authority: a root CA and an issuing CA, created once (`certdesk ca init`), kept
//! with their private keys sealed by the key-encryption key, and opened at start-up to issue the
//! beneficiaries' certificates (SPEC §6: ETSI EN 319 412-2, natural person).

// One file per step of the CA's life: `creation.rs` makes the two CA certificates and their keys,
// `sealed.rs` is the CA as stored, `open.rs` the CA opened (its key and its addresses),
// `issue.rs` the beneficiaries' certificates, `root_crl.rs` the root's CRL about the issuing CA,
// `print.rs` what is shown of a certificate. The error
// and the certificate fields that creation and issuing share stay here.

use chrono::{DateTime, Utc};
use rand::Rng;
use rcgen::DnValue;

use crate::kek::KekError;
use crate::pkcs11::TokenError;

mod creation;
mod issue;
mod open;
mod print;
mod root_crl;
mod sealed;

pub use creation::{Algorithm, CaSettings, create, create_in_token};
pub use issue::{CertificateRequest, IssuedCertificate};
pub use open::{Authority, CaKey};
pub use print::{Description, certificate_pem, describe, fingerprint};
pub use root_crl::{
    ROOT_CRL_RENEWAL, ROOT_CRL_VALIDITY, root_crl_due, root_crl_url, sign_root_crl,
};
pub use sealed::{SealedAuthority, beneficiary_key_context};

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error(transparent)]
    Kek(#[from] KekError),
    #[error(
        "the key-encryption key given (fingerprint {given}) is not the one the CA was created with (fingerprint {expected})"
    )]
    WrongKek { given: String, expected: String },
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(
        "the CA's private keys are in the PKCS#11 token {token:?}: give the module and the token \
         (--pkcs11-module / CERTDESK_PKCS11_MODULE, --pkcs11-token / CERTDESK_PKCS11_TOKEN) and \
         the user PIN in CERTDESK_PKCS11_PIN"
    )]
    TokenNeeded { token: String },
    #[error("certificate error: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("{0}")]
    Invalid(String),
}

fn to_time(at: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(at.timestamp()).expect("a representable time")
}

fn printable(text: &str) -> Result<DnValue, CaError> {
    Ok(DnValue::PrintableString(text.try_into().map_err(|_| {
        CaError::Invalid(format!("{text:?} is not a PrintableString"))
    })?))
}

/// A positive 128-bit serial number (RFC 5280 §4.1.2.2: at most 20 octets, positive).
fn random_serial() -> Vec<u8> {
    let mut serial = [0u8; 16];
    rand::rng().fill(&mut serial);
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    serial.to_vec()
}
