//! What is shown of a certificate: its fingerprint, its PEM, its subject, serial and validity.

use sha2::{Digest, Sha256};

/// The SHA-256 fingerprint of a certificate, as shown on the card (AA:BB:…).
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// PEM of a DER certificate.
pub fn certificate_pem(der: &[u8]) -> String {
    pem_block("CERTIFICATE", der)
}

pub(crate) fn pem_block(label: &str, der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new(label, der.to_vec()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

/// What `certdesk ca show` and the card print of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    pub subject: String,
    pub issuer: String,
    /// Upper-case hexadecimal.
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
}

/// Reads the subject, serial and validity of a DER certificate.
pub fn describe(der: &[u8]) -> Description {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => Description {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            serial: hex::encode_upper(cert.raw_serial()),
            not_before: cert.validity().not_before.to_string(),
            not_after: cert.validity().not_after.to_string(),
        },
        Err(_) => Description {
            subject: "(unreadable certificate)".to_owned(),
            issuer: String::new(),
            serial: String::new(),
            not_before: String::new(),
            not_after: String::new(),
        },
    }
}
