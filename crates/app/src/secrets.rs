//! TOTP secrets at rest. A secret is sealed by the installation's key-encryption key (the CA's),
//! bound to its application (or, for a ΔΨΠ's, to the account), and kept as `sealed:` and hex; only an installation without a CA
//! (so without a KEK) keeps it as base32. The domain never reads the stored form
//! ([`StoredSecret`] is opaque to it): this module is the one place that turns one into the other.

use certdesk_ca::KeyEncryptionKey;
use certdesk_domain::otp::{EmailCodeKey, StoredSecret, TotpSecret};

const SEALED: &str = "sealed:";

/// What a secret is bound to: the application it confirms signatures for.
fn context(application_id: i64) -> String {
    format!("totp:application:{application_id}")
}

/// What a ΔΨΠ's secret is bound to: the account it is the second factor of.
fn administrator_context(administrator_id: i64) -> String {
    format!("totp:administrator:{administrator_id}")
}

/// The secret as kept at rest.
pub fn seal(
    kek: Option<&KeyEncryptionKey>,
    application_id: i64,
    secret: &TotpSecret,
) -> StoredSecret {
    seal_in(kek, &context(application_id), secret)
}

/// The secret behind what [`seal`] kept; `None` when it cannot be opened (another application's,
/// another KEK's, or no KEK at hand).
pub fn open(
    kek: Option<&KeyEncryptionKey>,
    application_id: i64,
    stored: &StoredSecret,
) -> Option<TotpSecret> {
    open_in(kek, &context(application_id), stored)
}

/// A ΔΨΠ's TOTP secret as kept at rest.
pub fn seal_for_administrator(
    kek: Option<&KeyEncryptionKey>,
    administrator_id: i64,
    secret: &TotpSecret,
) -> StoredSecret {
    seal_in(kek, &administrator_context(administrator_id), secret)
}

/// The secret behind what [`seal_for_administrator`] kept.
pub fn open_for_administrator(
    kek: Option<&KeyEncryptionKey>,
    administrator_id: i64,
    stored: &StoredSecret,
) -> Option<TotpSecret> {
    open_in(kek, &administrator_context(administrator_id), stored)
}

fn seal_in(kek: Option<&KeyEncryptionKey>, context: &str, secret: &TotpSecret) -> StoredSecret {
    match kek {
        Some(kek) => StoredSecret(format!(
            "{SEALED}{}",
            hex::encode(kek.seal(secret.as_bytes(), context))
        )),
        None => StoredSecret(secret.to_base32()),
    }
}

fn open_in(
    kek: Option<&KeyEncryptionKey>,
    context: &str,
    stored: &StoredSecret,
) -> Option<TotpSecret> {
    match stored.0.strip_prefix(SEALED) {
        Some(sealed) => {
            let plain = kek?.open(&hex::decode(sealed).ok()?, context).ok()?;
            TotpSecret::from_slice(&plain)
        }
        None => TotpSecret::from_base32(&stored.0),
    }
}

/// The key email codes are kept under: derived from the KEK, so that the database alone
/// cannot tell a code from its digest. An installation without a CA (which issues nothing)
/// has no KEK; its codes are digested under a fixed key, which guards only against a mix-up
/// of applications.
pub fn email_code_key(kek: Option<&KeyEncryptionKey>) -> EmailCodeKey {
    match kek {
        Some(kek) => EmailCodeKey::new(*kek.derive("email-otp")),
        None => EmailCodeKey::new([0; 32]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek() -> KeyEncryptionKey {
        KeyEncryptionKey::from_hex(&"ab".repeat(32)).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_application_and_key() {
        let secret = TotpSecret::from_bytes([7; TotpSecret::LEN]);
        let stored = seal(Some(&kek()), 1, &secret);
        assert!(stored.0.starts_with(SEALED));
        assert!(!stored.0.contains(&secret.to_base32()));
        assert_eq!(open(Some(&kek()), 1, &stored), Some(secret.clone()));
        assert_eq!(open(Some(&kek()), 2, &stored), None, "another application");
        let other = KeyEncryptionKey::from_hex(&"cd".repeat(32)).unwrap();
        assert_eq!(open(Some(&other), 1, &stored), None, "another key");
        assert_eq!(open(None, 1, &stored), None, "no key");
    }

    #[test]
    fn an_administrators_secret_opens_only_for_that_account() {
        let secret = TotpSecret::from_bytes([5; TotpSecret::LEN]);
        let stored = seal_for_administrator(Some(&kek()), 1, &secret);
        assert!(stored.0.starts_with(SEALED));
        assert_eq!(
            open_for_administrator(Some(&kek()), 1, &stored),
            Some(secret.clone())
        );
        assert_eq!(open_for_administrator(Some(&kek()), 2, &stored), None);
        assert_eq!(open(Some(&kek()), 1, &stored), None, "not an application's");
    }

    #[test]
    fn without_a_kek_the_secret_is_kept_as_base32() {
        let secret = TotpSecret::from_bytes([9; TotpSecret::LEN]);
        let stored = seal(None, 1, &secret);
        assert_eq!(stored.0, secret.to_base32());
        assert_eq!(open(None, 1, &stored), Some(secret));
    }
}
