//! CA keys in a PKCS#11 token (an HSM, or SoftHSM for tests) instead of sealed by the KEK
//! (issue 5): the token generates an EC P-256 key pair that never leaves it (sensitive, not
//! extractable), and signs. certdesk hashes with SHA-256 and asks the token for a raw ECDSA
//! signature (`CKM_ECDSA`, r‖s), which it encodes as the DER `ECDSA-Sig-Value` X.509 wants.
//!
//! A module is loaded and initialised once per process and kept (PKCS#11 allows one
//! `C_Initialize` per process, and `C_Finalize` would end every other session). A [`Token`] is one
//! logged-in session, behind a mutex: cryptoki's `Session` is `Send` but not `Sync`.

// The parts: `token.rs` is the module and the logged-in session (finding, generating, signing in
// the token), `key.rs` the CA key in it as rcgen signs with it, `reference.rs` how the stored CA
// names that key. The key labels and the error, which all of them use, stay here.

use cryptoki::error::Error as CryptokiError;

mod key;
mod reference;
mod token;

pub use key::{KeyProtection, TokenKey, ecdsa_sig_value};
pub use reference::{KEY_REFERENCE_PREFIX, KeyReference, key_reference};
pub use token::{Token, TokenConfig};

/// The labels of the CA's keys in the token.
pub const ROOT_KEY_LABEL: &str = "certdesk-root";
pub const ISSUING_KEY_LABEL: &str = "certdesk-issuing";

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot load the PKCS#11 module {module}: {source}")]
    Module {
        module: String,
        source: CryptokiError,
    },
    #[error("no initialised token labelled {label:?} in the PKCS#11 module {module}")]
    NoToken { module: String, label: String },
    #[error("wrong user PIN for the PKCS#11 token {label:?} (CERTDESK_PKCS11_PIN)")]
    WrongPin { label: String },
    #[error("the PKCS#11 token {label:?} has no private key labelled {key:?}")]
    NoKey { label: String, key: String },
    #[error("the PKCS#11 token {label:?} already holds a key labelled {key:?}")]
    KeyExists { label: String, key: String },
    #[error("the PKCS#11 token {label:?}: {what}: {source}")]
    Pkcs11 {
        label: String,
        what: &'static str,
        source: CryptokiError,
    },
    #[error("the PKCS#11 token {label:?}: {message}")]
    Invalid { label: String, message: String },
}
