//! The key-encryption key (KEK): every private key certdesk keeps (the CA's, the beneficiaries')
//! is sealed with it (AES-256-GCM) before it reaches the database. The KEK itself never does: it
//! comes from a file or the environment.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

/// The format tag at the start of a sealed key: version 1 is AES-256-GCM, 96-bit random nonce.
const MAGIC: &[u8; 4] = b"CDK1";
const NONCE_LEN: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KekError {
    #[error(
        "the key-encryption key must be 64 hexadecimal characters (32 bytes); generate one with `openssl rand -hex 32`"
    )]
    Format,
    #[error("cannot read the key-encryption key file {path}: {reason}")]
    Unreadable { path: String, reason: String },
    /// The sealed data was not sealed with this key (or was altered).
    #[error(
        "the key-encryption key does not open the sealed keys: it is not the key they were sealed with, or they were altered"
    )]
    WrongKey,
    #[error("the sealed key is not in a format certdesk knows")]
    Malformed,
}

/// A 256-bit key-encryption key, wiped from memory when dropped.
pub struct KeyEncryptionKey([u8; 32]);

impl Drop for KeyEncryptionKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyEncryptionKey({})", self.fingerprint())
    }
}

impl KeyEncryptionKey {
    /// From 64 hexadecimal characters (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<KeyEncryptionKey, KekError> {
        let text = Zeroizing::new(text.trim().to_owned());
        let bytes = Zeroizing::new(hex::decode(text.as_str()).map_err(|_| KekError::Format)?);
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| KekError::Format)?;
        Ok(KeyEncryptionKey(key))
    }

    /// From a file holding the 64 hexadecimal characters.
    pub fn from_file(path: &std::path::Path) -> Result<KeyEncryptionKey, KekError> {
        let text =
            Zeroizing::new(
                std::fs::read_to_string(path).map_err(|e| KekError::Unreadable {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?,
            );
        KeyEncryptionKey::from_hex(&text)
    }

    /// A new random key, and its hexadecimal form (to be written where the operator keeps it).
    pub fn generate() -> (KeyEncryptionKey, Zeroizing<String>) {
        let mut key = [0u8; 32];
        rand::rng().fill(&mut key);
        let text = Zeroizing::new(hex::encode(key));
        (KeyEncryptionKey(key), text)
    }

    /// Names the key without revealing it (the first 16 hex digits of a SHA-256 of it), so that
    /// a wrong key is recognised before anything is decrypted.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::new_with_prefix(b"certdesk-kek-fingerprint:")
            .chain_update(self.0)
            .finalize();
        hex::encode(&digest[..8])
    }

    /// Seals `plaintext`, bound to `context` (e.g. "ca:issuing", "application:42"): a sealed key
    /// opens only under the context it was sealed for, so rows cannot be swapped.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Vec<u8> {
        let cipher = Aes256Gcm::new_from_slice(&self.0).expect("a 32-byte key");
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill(&mut nonce);
        let ciphertext = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .expect("AES-GCM encryption does not fail for these sizes");
        let mut sealed = Vec::with_capacity(MAGIC.len() + NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(MAGIC);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// A key for another use (`purpose`, e.g. "email-otp"), derived from this one by
    /// HMAC-SHA256: whoever holds it learns nothing of the KEK, nor of another purpose's key.
    pub fn derive(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("a 32-byte key");
        mac.update(b"certdesk-kek-derive:");
        mac.update(purpose.as_bytes());
        Zeroizing::new(mac.finalize().into_bytes().into())
    }

    /// Opens what [`KeyEncryptionKey::seal`] sealed for `context`.
    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Zeroizing<Vec<u8>>, KekError> {
        let rest = sealed.strip_prefix(MAGIC).ok_or(KekError::Malformed)?;
        if rest.len() < NONCE_LEN + 16 {
            return Err(KekError::Malformed);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| KekError::Malformed)?;
        let cipher = Aes256Gcm::new_from_slice(&self.0).expect("a 32-byte key");
        cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| KekError::WrongKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_differ_by_purpose_and_by_kek() {
        let kek = KeyEncryptionKey::from_hex(&"ab".repeat(32)).unwrap();
        let other = KeyEncryptionKey::from_hex(&"cd".repeat(32)).unwrap();
        assert_eq!(*kek.derive("email-otp"), *kek.derive("email-otp"));
        assert_ne!(*kek.derive("email-otp"), *kek.derive("other"));
        assert_ne!(*kek.derive("email-otp"), *other.derive("email-otp"));
        assert_ne!(kek.derive("email-otp").as_slice(), [0xab; 32].as_slice());
    }

    #[test]
    fn sealed_keys_open_only_with_the_same_key_and_context() {
        let (kek, _) = KeyEncryptionKey::generate();
        let secret = b"-----BEGIN PRIVATE KEY----- not really";
        let sealed = kek.seal(secret, "application:7");
        assert!(!sealed.windows(secret.len()).any(|w| w == secret));
        assert_eq!(
            kek.open(&sealed, "application:7").unwrap().as_slice(),
            secret
        );
        assert_eq!(kek.open(&sealed, "application:8"), Err(KekError::WrongKey));
        let (other, _) = KeyEncryptionKey::generate();
        assert_eq!(
            other.open(&sealed, "application:7"),
            Err(KekError::WrongKey)
        );
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(kek.open(&altered, "application:7"), Err(KekError::WrongKey));
        assert_eq!(kek.open(b"junk", "application:7"), Err(KekError::Malformed));
        // Two seals of the same key differ (fresh nonce).
        assert_ne!(kek.seal(secret, "x"), kek.seal(secret, "x"));
    }

    #[test]
    fn the_key_is_read_as_hex_and_named_by_a_fingerprint() {
        let (kek, text) = KeyEncryptionKey::generate();
        let again = KeyEncryptionKey::from_hex(&format!("  {}\n", text.as_str())).unwrap();
        assert_eq!(kek.fingerprint(), again.fingerprint());
        assert_eq!(kek.fingerprint().len(), 16);
        assert!(!kek.fingerprint().contains(&text[..16]));
        assert!(format!("{kek:?}").contains(&kek.fingerprint()));
        assert!(!format!("{kek:?}").contains(text.as_str()));
        assert_eq!(
            KeyEncryptionKey::from_hex("abc").unwrap_err(),
            KekError::Format
        );
        assert_eq!(
            KeyEncryptionKey::from_hex(&"zz".repeat(32)).unwrap_err(),
            KekError::Format
        );
    }
}
