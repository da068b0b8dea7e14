//! Proof that the beneficiary controls the work email the ΔΨΠ typed (issue 10, §1): the address
//! goes into the qualified certificate, so it must be shown to reach them. Two ways: the
//! single-use link of the start email («Έναρξη»), or a six-digit code sent to the address and
//! typed back in the portal. Either yields an [`EmailProof`], which only the checks here make;
//! `Command::ProveEmail` carries one, and identification waits for it.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::Lang;
use crate::otp::EmailCodeKey;

/// How long the start email's link proves the address. The link is followed at the first login,
/// usually within days, but the beneficiary may open it only once the ΔΨΠ has approved: 30 days
/// covers that wait while keeping a forgotten mailbox's link from staying good for the 90 days an
/// idle application lives. Afterwards the code fallback still works.
pub const LINK_LIFETIME: Duration = Duration::days(30);

/// How long a code sent to the address is good for (as the signing codes).
pub const CODE_LIFETIME: Duration = crate::otp::EMAIL_CODE_LIFETIME;

/// Which of the two proofs was used; the history records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProofMethod {
    /// The «Έναρξη» link of the start email.
    Link,
    /// A code sent to the address and typed back.
    Code,
}

impl ProofMethod {
    pub fn code(self) -> &'static str {
        match self {
            ProofMethod::Link => "link",
            ProofMethod::Code => "code",
        }
    }

    pub fn parse(code: &str) -> Option<ProofMethod> {
        [ProofMethod::Link, ProofMethod::Code]
            .into_iter()
            .find(|m| m.code() == code)
    }
}

/// The token of a start email's link: the email carries it, the store keeps only its SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkToken {
    token: String,
    hash: String,
    expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token proves the address: it must not reach logs.
        f.debug_struct("LinkToken")
            .field("hash", &self.hash)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl LinkToken {
    /// A token from 32 random bytes (the caller's), hex, good for [`LINK_LIFETIME`] from `now`.
    pub fn new(random: [u8; 32], now: DateTime<Utc>) -> LinkToken {
        let token = hex::encode(random);
        LinkToken {
            hash: token_digest(&token),
            token,
            expires_at: now + LINK_LIFETIME,
        }
    }

    /// What the link carries.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// What the store keeps.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// What the store keeps of it.
    pub fn stored(&self) -> Stored<'_> {
        Stored {
            digest: &self.hash,
            expires_at: self.expires_at,
        }
    }
}

/// Whether `text` has the shape of a link token (64 lowercase hex digits): anything else is
/// refused before it reaches a cookie or the store.
pub fn is_link_token(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The SHA-256 of a token, hex: how the store keeps it.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A secret the store keeps for an application, as a digest with its expiry.
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    pub digest: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// The beneficiary showed control of the application's email. Made only by [`check_link`] and
/// [`check_code`], for the application it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailProof {
    application_id: i64,
    method: ProofMethod,
}

impl EmailProof {
    pub fn application_id(&self) -> i64 {
        self.application_id
    }

    pub fn method(&self) -> ProofMethod {
        self.method
    }
}

/// Why a link or a code proves nothing. One answer for wrong, used, expired and another
/// application's: telling them apart would help a guesser only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofRefused {
    #[error("the email link is not valid")]
    Link,
    #[error("the email code is not valid")]
    Code,
}

impl ProofRefused {
    pub fn message(self, lang: Lang) -> &'static str {
        match self {
            ProofRefused::Link => lang.pick(
                "Ο σύνδεσμος επιβεβαίωσης του email δεν ισχύει: έληξε, χρησιμοποιήθηκε ήδη ή δεν αφορά την αίτησή σας. Η διεύθυνση email δεν επιβεβαιώθηκε. Μπορείτε να ζητήσετε κωδικό επιβεβαίωσης στο email σας.",
                "The email confirmation link is not valid: it expired, was used already or is not for your application. The email address was not confirmed. You can ask for a confirmation code at your email.",
            ),
            ProofRefused::Code => lang.pick(
                "Ο κωδικός επιβεβαίωσης δεν είναι σωστός ή έληξε. Ζητήστε νέο κωδικό αν χρειάζεται.",
                "The confirmation code is wrong or expired. Ask for a new code if needed.",
            ),
        }
    }
}

/// Constant-time equality of two digests.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The link's token against what the store keeps for the beneficiary's application (`None`:
/// no token, or it was used).
pub fn check_link(
    application_id: i64,
    presented: &str,
    stored: Option<Stored<'_>>,
    now: DateTime<Utc>,
) -> Result<EmailProof, ProofRefused> {
    match stored {
        Some(s) if now < s.expires_at && same(&token_digest(presented), s.digest) => {
            Ok(EmailProof {
                application_id,
                method: ProofMethod::Link,
            })
        }
        _ => Err(ProofRefused::Link),
    }
}

/// A typed code against the digest of the latest code sent for the application.
pub fn check_code(
    application_id: i64,
    key: &EmailCodeKey,
    typed: &str,
    stored: Option<Stored<'_>>,
    now: DateTime<Utc>,
) -> Result<EmailProof, ProofRefused> {
    match stored {
        Some(s) if now < s.expires_at && same(&key.digest(application_id, typed), s.digest) => {
            Ok(EmailProof {
                application_id,
                method: ProofMethod::Code,
            })
        }
        _ => Err(ProofRefused::Code),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap()
    }

    fn stored(link: &LinkToken) -> Option<Stored<'_>> {
        Some(link.stored())
    }

    #[test]
    fn the_link_proves_until_it_expires() {
        let link = LinkToken::new([7; 32], t0());
        assert!(is_link_token(link.token()));
        assert_eq!(link.hash(), token_digest(link.token()));
        assert_ne!(link.hash(), link.token());
        let proof = check_link(1, link.token(), stored(&link), t0()).unwrap();
        assert_eq!(
            (proof.application_id(), proof.method()),
            (1, ProofMethod::Link)
        );
        let late = t0() + LINK_LIFETIME;
        assert_eq!(
            check_link(1, link.token(), stored(&link), late),
            Err(ProofRefused::Link)
        );
    }

    #[test]
    fn a_wrong_or_spent_token_proves_nothing() {
        let link = LinkToken::new([7; 32], t0());
        let other = LinkToken::new([8; 32], t0());
        assert!(check_link(1, other.token(), stored(&link), t0()).is_err());
        assert!(check_link(1, link.token(), None, t0()).is_err());
        assert!(check_link(1, "", stored(&link), t0()).is_err());
    }

    #[test]
    fn a_code_proves_its_application_only() {
        let key = EmailCodeKey::new([3; 32]);
        let digest = key.digest(5, "123456");
        let s = Some(Stored {
            digest: &digest,
            expires_at: t0() + CODE_LIFETIME,
        });
        assert_eq!(
            check_code(5, &key, "123456", s, t0()).map(|p| p.method()),
            Ok(ProofMethod::Code)
        );
        assert!(check_code(6, &key, "123456", s, t0()).is_err());
        assert!(check_code(5, &key, "123457", s, t0()).is_err());
        assert!(check_code(5, &key, "123456", s, t0() + CODE_LIFETIME).is_err());
    }

    #[test]
    fn the_token_stays_out_of_debug_output() {
        let link = LinkToken::new([9; 32], t0());
        assert!(!format!("{link:?}").contains(link.token()));
    }

    #[test]
    fn only_hex_tokens_of_the_right_length_pass() {
        assert!(is_link_token(&"a".repeat(64)));
        assert!(!is_link_token(&"a".repeat(63)));
        assert!(!is_link_token(&"A".repeat(64)));
        assert!(!is_link_token(&format!("{};x=1", "a".repeat(59))));
    }
}
