//! The CA's key in a token: a P-256 key pair whose private half never leaves it, as rcgen signs
//! with it, and how its signatures are encoded.

use std::sync::Arc;

use cryptoki::object::{Attribute, AttributeType, ObjectHandle};
use rcgen::{PublicKeyData, SignatureAlgorithm, SigningKey};
use sha2::{Digest, Sha256};

use super::{KeyReference, Token, TokenError};

/// A P-256 key pair in a token: the public point read once, signatures made by the token.
pub struct TokenKey {
    pub(super) token: Arc<Token>,
    pub(super) private: ObjectHandle,
    pub(super) key_label: String,
    pub(super) point: Vec<u8>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey")
            .field("token", &self.token.label)
            .field("key_label", &self.key_label)
            .finish_non_exhaustive()
    }
}

impl TokenKey {
    pub fn key_label(&self) -> &str {
        &self.key_label
    }

    pub fn token(&self) -> &Arc<Token> {
        &self.token
    }

    /// The private key's handle in the token's session.
    pub fn private_handle(&self) -> ObjectHandle {
        self.private
    }

    /// How the token protects the private key (read back from the token).
    pub fn protection(&self) -> Result<KeyProtection, TokenError> {
        let session = self.token.session();
        let attributes = session
            .get_attributes(
                self.private,
                &[
                    AttributeType::Sensitive,
                    AttributeType::Extractable,
                    AttributeType::NeverExtractable,
                    AttributeType::Value,
                ],
            )
            .map_err(self.token.error("reading the private key's attributes"))?;
        let mut protection = KeyProtection {
            sensitive: false,
            extractable: true,
            never_extractable: false,
            value_readable: false,
        };
        for attribute in attributes {
            match attribute {
                Attribute::Sensitive(v) => protection.sensitive = v,
                Attribute::Extractable(v) => protection.extractable = v,
                Attribute::NeverExtractable(v) => protection.never_extractable = v,
                Attribute::Value(_) => protection.value_readable = true,
                _ => {}
            }
        }
        Ok(protection)
    }

    /// What the stored CA keeps for this key: `pkcs11:token=<token label>;object=<key label>`.
    pub fn reference(&self) -> Vec<u8> {
        KeyReference {
            token: self.token.label.clone(),
            object: self.key_label.clone(),
        }
        .to_string()
        .into_bytes()
    }

    /// Signs `message` (SHA-256, then ECDSA in the token) and returns the DER ECDSA-Sig-Value.
    pub fn sign_message(&self, message: &[u8]) -> Result<Vec<u8>, TokenError> {
        let digest = Sha256::digest(message);
        let raw = self.token.sign_digest(self.private, &digest)?;
        if raw.len() != 64 {
            return Err(TokenError::Invalid {
                label: self.token.label.clone(),
                message: format!("a P-256 signature of {} bytes, not 64", raw.len()),
            });
        }
        Ok(ecdsa_sig_value(&raw[..32], &raw[32..]))
    }
}

/// The protection attributes of a private key in a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyProtection {
    /// CKA_SENSITIVE.
    pub sensitive: bool,
    /// CKA_EXTRACTABLE.
    pub extractable: bool,
    /// CKA_NEVER_EXTRACTABLE.
    pub never_extractable: bool,
    /// Whether C_GetAttributeValue gave CKA_VALUE (the private scalar).
    pub value_readable: bool,
}

/// The DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` of r and s (big-endian).
pub fn ecdsa_sig_value(r: &[u8], s: &[u8]) -> Vec<u8> {
    fn integer(bytes: &[u8]) -> Vec<u8> {
        let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        let mut value = bytes[start..].to_vec();
        if value.first().is_none_or(|&b| b & 0x80 != 0) {
            value.insert(0, 0);
        }
        let mut der = vec![0x02, value.len() as u8];
        der.extend(value);
        der
    }
    let body = [integer(r), integer(s)].concat();
    let mut der = vec![0x30, body.len() as u8];
    der.extend(body);
    der
}

impl PublicKeyData for TokenKey {
    fn der_bytes(&self) -> &[u8] {
        &self.point
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl SigningKey for TokenKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.sign_message(msg).map_err(|e| {
            // rcgen's error carries no detail: say what went wrong where it is seen.
            eprintln!("certdesk: {e}");
            rcgen::Error::RemoteKeyError
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_value_is_a_der_sequence_of_two_positive_integers() {
        let r = [0x80u8; 32];
        let mut s = [0u8; 32];
        s[31] = 1;
        let der = ecdsa_sig_value(&r, &s);
        // r gains a leading zero (its top bit is set); s loses its leading zeros.
        assert_eq!(&der[..4], &[0x30, 38, 0x02, 33]);
        assert_eq!(der[4], 0);
        assert_eq!(&der[der.len() - 3..], &[0x02, 1, 1]);
    }
}
