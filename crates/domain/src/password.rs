//! Passwords at rest: Argon2id with the argon2 crate's default parameters, as a PHC string.
//!
//! Pure: the caller supplies the salt, because randomness belongs to the edge. Hashing is
//! CPU-heavy by design; in async code call these from a blocking thread.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// The salt length the PHC string format recommends, and the one callers must supply.
pub const SALT_LEN: usize = 16;

/// The PHC string (`$argon2id$v=19$m=…`) of `password` with `salt`.
pub fn hash(password: &str, salt: &[u8; SALT_LEN]) -> String {
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), salt)
        .expect("Argon2id with default parameters and a 16-byte salt cannot fail")
        .to_string()
}

/// Whether `password` is the one hashed in `phc`. A malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    const PASSWORD: &str = "σωστός κωδικός";
    const SALT: [u8; SALT_LEN] = *b"0123456789abcdef";

    /// Argon2 is slow without optimisations: hash once for the tests that only read it.
    static HASHED: LazyLock<String> = LazyLock::new(|| hash(PASSWORD, &SALT));

    #[test]
    fn a_hash_is_argon2id_and_verifies_its_password() {
        assert!(HASHED.starts_with("$argon2id$v=19$"), "{}", *HASHED);
        assert!(verify(PASSWORD, &HASHED));
    }

    #[test]
    fn another_password_does_not_verify() {
        assert!(!verify("λάθος κωδικός", &HASHED));
        assert!(!verify("", &HASHED));
        assert!(!verify("σωστός κωδικός ", &HASHED), "spaces count");
    }

    #[test]
    fn a_malformed_hash_never_matches() {
        assert!(!verify(PASSWORD, ""));
        assert!(!verify(PASSWORD, "not a hash"));
        assert!(!verify(PASSWORD, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA"));
        let truncated = &HASHED[..HASHED.len() - 4];
        assert!(!verify(PASSWORD, truncated));
    }

    #[test]
    fn the_hash_depends_on_the_salt_and_is_deterministic() {
        let other = hash(PASSWORD, b"fedcba9876543210");
        assert_ne!(other, *HASHED);
        assert!(verify(PASSWORD, &other));
        assert_eq!(hash(PASSWORD, &SALT), *HASHED);
    }
}
