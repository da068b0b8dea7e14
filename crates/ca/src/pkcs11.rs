//! CA keys in a PKCS#11 token (an HSM, or SoftHSM for tests) instead of sealed by the KEK
//! (issue 5): the token generates an EC P-256 key pair that never leaves it (sensitive, not
//! extractable), and signs. certdesk hashes with SHA-256 and asks the token for a raw ECDSA
//! signature (`CKM_ECDSA`, r‖s), which it encodes as the DER `ECDSA-Sig-Value` X.509 wants.
//!
//! A module is loaded and initialised once per process and kept (PKCS#11 allows one
//! `C_Initialize` per process, and `C_Finalize` would end every other session). A [`Token`] is one
//! logged-in session, behind a mutex: cryptoki's `Session` is `Send` but not `Sync`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CryptokiError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use rand::Rng;
use rcgen::{PublicKeyData, SignatureAlgorithm, SigningKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The DER of the OID prime256v1 (secp256r1): CKA_EC_PARAMS of a P-256 key.
const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// What the stored CA keeps in place of a sealed key: a PKCS#11 URI (RFC 7512) naming the token
/// and the key, `pkcs11:token=<token label>;object=<key label>`.
pub const KEY_REFERENCE_PREFIX: &str = "pkcs11:";

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

/// Where the CA's keys are: the module, the token's label and the user PIN (never logged: the
/// `Debug` of this struct leaves it out).
#[derive(Clone)]
pub struct TokenConfig {
    pub module: PathBuf,
    pub token_label: String,
    pub pin: Zeroizing<String>,
}

impl TokenConfig {
    pub fn new(module: impl Into<PathBuf>, token_label: &str, pin: String) -> TokenConfig {
        TokenConfig {
            module: module.into(),
            token_label: token_label.to_owned(),
            pin: Zeroizing::new(pin),
        }
    }
}

impl std::fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenConfig")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .finish_non_exhaustive()
    }
}

/// The modules loaded in this process, by path.
fn module(path: &Path) -> Result<Pkcs11, TokenError> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut modules = MODULES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(pkcs11) = modules.get(path) {
        return Ok(pkcs11.clone());
    }
    let error = |source| TokenError::Module {
        module: path.display().to_string(),
        source,
    };
    let pkcs11 = Pkcs11::new(path).map_err(error)?;
    match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CryptokiError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(error(e)),
    }
    modules.insert(path.to_owned(), pkcs11.clone());
    Ok(pkcs11)
}

/// A logged-in read-write session with a token.
pub struct Token {
    session: Mutex<Session>,
    label: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl Token {
    /// Opens the module, finds the token by label and logs in with the user PIN.
    pub fn open(config: &TokenConfig) -> Result<Arc<Token>, TokenError> {
        let pkcs11 = module(&config.module)?;
        let label = config.token_label.clone();
        let failed = |what| {
            let label = label.clone();
            move |source| TokenError::Pkcs11 {
                label,
                what,
                source,
            }
        };
        let mut found = None;
        for slot in pkcs11
            .get_slots_with_initialized_token()
            .map_err(failed("listing the slots"))?
        {
            let info = pkcs11
                .get_token_info(slot)
                .map_err(failed("reading the token's description"))?;
            if info.label().trim_end() == config.token_label {
                found = Some(slot);
                break;
            }
        }
        let slot = found.ok_or_else(|| TokenError::NoToken {
            module: config.module.display().to_string(),
            label: label.clone(),
        })?;
        let session = pkcs11
            .open_rw_session(slot)
            .map_err(failed("opening a session"))?;
        let pin = AuthPin::new(config.pin.as_str().into());
        match session.login(UserType::User, Some(&pin)) {
            // Another session of this process is logged in already (PKCS#11 logs in per token).
            Ok(()) | Err(CryptokiError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(CryptokiError::Pkcs11(RvError::PinIncorrect | RvError::PinLenRange, _)) => {
                return Err(TokenError::WrongPin { label });
            }
            Err(e) => return Err(failed("logging in")(e)),
        }
        Ok(Arc::new(Token {
            session: Mutex::new(session),
            label,
        }))
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn error(&self, what: &'static str) -> impl FnOnce(CryptokiError) -> TokenError + '_ {
        move |source| TokenError::Pkcs11 {
            label: self.label.clone(),
            what,
            source,
        }
    }

    fn find(
        &self,
        session: &Session,
        class: ObjectClass,
        key_label: &str,
    ) -> Result<Vec<ObjectHandle>, TokenError> {
        session
            .find_objects(&[
                Attribute::Class(class),
                Attribute::Label(key_label.as_bytes().to_vec()),
            ])
            .map_err(self.error("searching for a key"))
    }

    /// Generates an EC P-256 key pair in the token, labelled `key_label`: the private key
    /// sensitive, not extractable, for signing only. Refuses a label the token already holds.
    pub fn generate_p256(self: &Arc<Self>, key_label: &str) -> Result<TokenKey, TokenError> {
        let session = self.session();
        if !self
            .find(&session, ObjectClass::PRIVATE_KEY, key_label)?
            .is_empty()
        {
            return Err(TokenError::KeyExists {
                label: self.label.clone(),
                key: key_label.to_owned(),
            });
        }
        let mut id = [0u8; 16];
        rand::rng().fill(&mut id);
        let public_template = [
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::KeyType(KeyType::EC),
            Attribute::EcParams(P256_PARAMS.to_vec()),
            Attribute::Verify(true),
            Attribute::Label(key_label.as_bytes().to_vec()),
            Attribute::Id(id.to_vec()),
        ];
        let private_template = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::KeyType(KeyType::EC),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Label(key_label.as_bytes().to_vec()),
            Attribute::Id(id.to_vec()),
        ];
        let (public, private) = session
            .generate_key_pair(
                &Mechanism::EccKeyPairGen,
                &public_template,
                &private_template,
            )
            .map_err(self.error("generating a P-256 key pair"))?;
        let point = self.ec_point(&session, public)?;
        drop(session);
        Ok(TokenKey {
            token: Arc::clone(self),
            private,
            key_label: key_label.to_owned(),
            point,
        })
    }

    /// The key pair labelled `key_label`.
    pub fn find_key(self: &Arc<Self>, key_label: &str) -> Result<TokenKey, TokenError> {
        let session = self.session();
        let no_key = || TokenError::NoKey {
            label: self.label.clone(),
            key: key_label.to_owned(),
        };
        let private = match self
            .find(&session, ObjectClass::PRIVATE_KEY, key_label)?
            .as_slice()
        {
            [one] => *one,
            [] => return Err(no_key()),
            _ => {
                return Err(TokenError::Invalid {
                    label: self.label.clone(),
                    message: format!("several private keys are labelled {key_label:?}"),
                });
            }
        };
        let public = *self
            .find(&session, ObjectClass::PUBLIC_KEY, key_label)?
            .first()
            .ok_or_else(no_key)?;
        let point = self.ec_point(&session, public)?;
        drop(session);
        Ok(TokenKey {
            token: Arc::clone(self),
            private,
            key_label: key_label.to_owned(),
            point,
        })
    }

    /// CKA_EC_POINT of a public key as the uncompressed point (0x04‖x‖y): tokens give it as a DER
    /// OCTET STRING (PKCS#11 2.40), some as the bare point.
    fn ec_point(&self, session: &Session, public: ObjectHandle) -> Result<Vec<u8>, TokenError> {
        let attributes = session
            .get_attributes(public, &[AttributeType::EcPoint])
            .map_err(self.error("reading the public key"))?;
        let raw = attributes
            .into_iter()
            .find_map(|a| match a {
                Attribute::EcPoint(point) => Some(point),
                _ => None,
            })
            .unwrap_or_default();
        let point = match raw.as_slice() {
            [0x04, 0x41, rest @ ..] if rest.len() == 65 => rest.to_vec(),
            [0x04, ..] if raw.len() == 65 => raw,
            _ => {
                return Err(TokenError::Invalid {
                    label: self.label.clone(),
                    message: "the public key is not an uncompressed P-256 point".to_owned(),
                });
            }
        };
        Ok(point)
    }

    /// The raw ECDSA signature (r‖s) of a digest.
    fn sign_digest(&self, key: ObjectHandle, digest: &[u8]) -> Result<Vec<u8>, TokenError> {
        self.session()
            .sign(&Mechanism::Ecdsa, key, digest)
            .map_err(self.error("signing"))
    }
}

/// A P-256 key pair in a token: the public point read once, signatures made by the token.
pub struct TokenKey {
    token: Arc<Token>,
    private: ObjectHandle,
    key_label: String,
    point: Vec<u8>,
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

/// A key in a token, as the stored CA names it (a PKCS#11 URI, RFC 7512).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyReference {
    /// The token's label.
    pub token: String,
    /// The key's label.
    pub object: String,
}

impl std::fmt::Display for KeyReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{KEY_REFERENCE_PREFIX}token={};object={}",
            percent_encode(&self.token),
            percent_encode(&self.object)
        )
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The token key a stored key refers to; `None` for a sealed key.
pub fn key_reference(stored: &[u8]) -> Option<KeyReference> {
    let path = std::str::from_utf8(stored)
        .ok()?
        .strip_prefix(KEY_REFERENCE_PREFIX)?;
    let (mut token, mut object) = (None, None);
    for attribute in path.split(';') {
        match attribute.split_once('=')? {
            ("token", value) => token = Some(percent_decode(value)?),
            ("object", value) => object = Some(percent_decode(value)?),
            _ => {}
        }
    }
    Some(KeyReference {
        token: token?,
        object: object?,
    })
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

    #[test]
    fn a_key_reference_names_the_token_and_the_key() {
        let reference = KeyReference {
            token: "CA token; 1".to_owned(),
            object: ROOT_KEY_LABEL.to_owned(),
        };
        let text = reference.to_string();
        assert_eq!(text, "pkcs11:token=CA%20token%3B%201;object=certdesk-root");
        assert_eq!(key_reference(text.as_bytes()), Some(reference));
        assert_eq!(key_reference(&[0x01, 0x02]), None);
        assert_eq!(key_reference(b"pkcs11:object=x"), None);
    }
}
