//! The CA as stored, and the contexts its keys and the beneficiaries' keys are sealed under.

use chrono::{DateTime, Utc};

use super::Algorithm;
use crate::pkcs11;

/// The CA as stored: certificates in the clear, private keys sealed (or, for a CA whose keys are
/// in a PKCS#11 token, `pkcs11:<key label>` in place of each sealed key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedAuthority {
    pub root_der: Vec<u8>,
    pub issuing_der: Vec<u8>,
    pub sealed_root_key: Vec<u8>,
    pub sealed_issuing_key: Vec<u8>,
    /// Which KEK sealed the keys (its fingerprint, not the key). A CA in a token records it too:
    /// the KEK still seals the beneficiaries' keys.
    pub kek_fingerprint: String,
    pub algorithm: Algorithm,
    pub public_url: String,
    pub created_at: DateTime<Utc>,
    /// The root's latest CRL (DER, see `root_crl`); `None` for a CA made before certdesk
    /// signed one, until `certdesk serve` signs it.
    pub root_crl: Option<Vec<u8>>,
}

impl SealedAuthority {
    /// Where the CA's issuing key is: `None` when sealed by the KEK, else the token and the
    /// key's label in it.
    pub fn token_key(&self) -> Option<pkcs11::KeyReference> {
        pkcs11::key_reference(&self.sealed_issuing_key)
    }

    /// Where the keys are, as `certdesk ca show` prints it.
    pub fn key_location(&self) -> String {
        match (
            pkcs11::key_reference(&self.sealed_root_key),
            self.token_key(),
        ) {
            (Some(root), Some(issuing)) if root.token == issuing.token => format!(
                "PKCS#11 token {:?} (keys labelled {:?} and {:?})",
                issuing.token, root.object, issuing.object
            ),
            (Some(root), Some(issuing)) => format!(
                "PKCS#11 tokens {:?} (root key {:?}) and {:?} (issuing key {:?})",
                root.token, root.object, issuing.token, issuing.object
            ),
            (None, Some(issuing)) => format!(
                "PKCS#11 token {:?} (issuing key {:?}); the root key sealed by the \
                 key-encryption key",
                issuing.token, issuing.object
            ),
            _ => "sealed by the key-encryption key".to_owned(),
        }
    }
}

pub(super) const ROOT_KEY_CONTEXT: &str = "ca:root";
pub(super) const ISSUING_KEY_CONTEXT: &str = "ca:issuing";

/// The sealing context of a beneficiary's key.
pub fn beneficiary_key_context(application_id: i64) -> String {
    format!("application:{application_id}")
}
