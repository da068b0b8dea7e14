//! The token: its module, loaded once per process, and a logged-in session with it, which finds
//! and generates the CA's keys and signs with them.

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
use zeroize::Zeroizing;

use super::{TokenError, TokenKey};

/// The DER of the OID prime256v1 (secp256r1): CKA_EC_PARAMS of a P-256 key.
const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

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
    pub(super) label: String,
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

    pub(super) fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn error(
        &self,
        what: &'static str,
    ) -> impl FnOnce(CryptokiError) -> TokenError + '_ {
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
    pub(super) fn sign_digest(
        &self,
        key: ObjectHandle,
        digest: &[u8],
    ) -> Result<Vec<u8>, TokenError> {
        self.session()
            .sign(&Mechanism::Ecdsa, key, digest)
            .map_err(self.error("signing"))
    }
}
