//! The random parts of accounts: bearer tokens (stored as SHA-256), generated passwords, and the
//! salts of password hashes (the hashing itself is the domain's, `certdesk_domain::password`).

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Hashes a password with Argon2id and a fresh random salt. CPU-heavy: call it from a blocking
/// thread in async code (see [`hash_password_off_thread`]).
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    certdesk_domain::password::hash(password, &salt)
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    certdesk_domain::password::verify(password, stored_hash)
}

/// [`hash_password`] on a blocking thread: Argon2id takes tens of milliseconds of CPU.
pub async fn hash_password_off_thread(password: String) -> String {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .expect("hashing does not panic")
}

/// A new random token (256 bits, hex).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A readable random password for generated accounts (no look-alike characters).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect()
}

/// Compares two secrets without stopping at the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_argon2id_with_a_fresh_salt_and_verify() {
        let hash = hash_password("σωστός κωδικός");
        assert!(hash.starts_with("$argon2id$"));
        assert_ne!(
            hash,
            hash_password("σωστός κωδικός"),
            "a fresh salt each time"
        );
        assert!(verify_password("σωστός κωδικός", &hash));
        assert!(!verify_password("λάθος", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn secrets_compare_by_content() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
