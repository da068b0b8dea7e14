//! The CA opened: its issuing key (in memory or in its token) and the addresses it publishes.

use rcgen::{Issuer, KeyPair, PublicKeyData, SignatureAlgorithm, SigningKey};

use super::sealed::ISSUING_KEY_CONTEXT;
use super::{CaError, SealedAuthority};
use crate::kek::KeyEncryptionKey;
use crate::pkcs11::{Token, TokenConfig, TokenKey};

/// The issuing CA's private key: in memory (opened from its sealed PKCS#8), or in a PKCS#11
/// token.
#[derive(Debug)]
pub enum CaKey {
    Sealed(KeyPair),
    Token(TokenKey),
}

impl PublicKeyData for CaKey {
    fn der_bytes(&self) -> &[u8] {
        match self {
            CaKey::Sealed(key) => key.der_bytes(),
            CaKey::Token(key) => key.der_bytes(),
        }
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        match self {
            CaKey::Sealed(key) => PublicKeyData::algorithm(key),
            CaKey::Token(key) => key.algorithm(),
        }
    }
}

impl SigningKey for CaKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        match self {
            CaKey::Sealed(key) => key.sign(msg),
            CaKey::Token(key) => key.sign(msg),
        }
    }
}

/// The CA, open: the issuing key in memory or in its token, ready to sign.
pub struct Authority {
    pub(super) issuer: Issuer<'static, CaKey>,
    sealed: SealedAuthority,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("public_url", &self.sealed.public_url)
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// Opens the stored CA with `kek`; a wrong KEK is a clear error, not a garbled key. A CA
    /// whose keys are in a PKCS#11 token needs [`Authority::open_with_token`].
    pub fn open(sealed: SealedAuthority, kek: &KeyEncryptionKey) -> Result<Authority, CaError> {
        Authority::open_with_token(sealed, kek, None)
    }

    /// Opens the stored CA with `kek` and, for a CA whose keys are in a PKCS#11 token, the
    /// token (its absence is then a clear error, as is a wrong PIN). `token` is ignored for a CA
    /// whose keys are sealed.
    pub fn open_with_token(
        sealed: SealedAuthority,
        kek: &KeyEncryptionKey,
        token: Option<&TokenConfig>,
    ) -> Result<Authority, CaError> {
        if kek.fingerprint() != sealed.kek_fingerprint {
            return Err(CaError::WrongKek {
                given: kek.fingerprint(),
                expected: sealed.kek_fingerprint.clone(),
            });
        }
        let key = match sealed.token_key() {
            None => {
                let pkcs8 = kek.open(&sealed.sealed_issuing_key, ISSUING_KEY_CONTEXT)?;
                CaKey::Sealed(KeyPair::try_from(pkcs8.as_slice())?)
            }
            Some(reference) => {
                let Some(token) = token else {
                    return Err(CaError::TokenNeeded {
                        token: reference.token,
                    });
                };
                let label = reference.object.as_str();
                let key = Token::open(token)?.find_key(label)?;
                let matches = x509_parser::parse_x509_certificate(&sealed.issuing_der).is_ok_and(
                    |(_, cert)| {
                        cert.public_key().subject_public_key.data.as_ref() == key.der_bytes()
                    },
                );
                if !matches {
                    return Err(CaError::Invalid(format!(
                        "the key labelled {label:?} in the PKCS#11 token {:?} is not the issuing \
                         CA's key",
                        token.token_label
                    )));
                }
                CaKey::Token(key)
            }
        };
        let issuer = Issuer::from_ca_cert_der(&sealed.issuing_der.as_slice().into(), key)?;
        Ok(Authority { issuer, sealed })
    }

    pub fn sealed(&self) -> &SealedAuthority {
        &self.sealed
    }

    pub fn crl_url(&self) -> String {
        format!("{}/pki/crl", self.sealed.public_url)
    }

    pub fn ocsp_url(&self) -> String {
        format!("{}/pki/ocsp", self.sealed.public_url)
    }

    pub fn issuing_certificate_url(&self) -> String {
        format!("{}/pki/issuing-ca.crt", self.sealed.public_url)
    }

    /// The PKI disclosure statement's address (QcPDS). ETSI EN 319 412-5 wants it over HTTPS,
    /// while the CRL's address must be plain HTTP or LDAP (EN 319 412-2 §4.3.11): the same host,
    /// always `https://`.
    pub fn pds_url(&self) -> String {
        let url = &self.sealed.public_url;
        let host_and_path = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        format!("https://{host_and_path}/pki/pds-en")
    }

    /// The issuing CA's signing key (for CRLs and OCSP responses).
    pub fn issuer(&self) -> &Issuer<'static, CaKey> {
        &self.issuer
    }
}
