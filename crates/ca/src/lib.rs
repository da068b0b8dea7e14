//! The certificate authority of certdesk (issue 5, SPEC §6): a root CA and an issuing CA whose
//! private keys are sealed at rest by a key-encryption key ([`kek`]), the certificates of the
//! ETSI EN 319 412-2 natural-person profile ([`authority`], [`extensions`]). Nothing here does
//! IO besides reading the key-encryption key's file: the store keeps what this crate makes.

pub mod authority;
pub mod crl;
pub mod extensions;
pub mod issuer;
pub mod kek;
pub mod ocsp;
pub mod pkcs11;
pub mod remote;

pub use authority::{
    Algorithm, Authority, CaError, CaKey, CaSettings, CertificateRequest, IssuedCertificate,
    SealedAuthority, certificate_pem, fingerprint,
};
pub use issuer::{CaIssuer, DEFAULT_VALIDITY};
pub use kek::{KekError, KeyEncryptionKey};
pub use pkcs11::{TokenConfig, TokenError};
