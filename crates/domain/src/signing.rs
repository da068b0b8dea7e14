//! Signing an application needs proof (SPEC §2, `awaiting_signature`): the right signing
//! password and a one-time code that counts once. Only [`OtpClaim::conclude`] makes a
//! [`SigningProof`], and [`Command::Sign`](crate::Command::Sign) carries one, so the rules cannot
//! be asked to sign without the checks having passed.
//!
//! The checks are split in two because a code must count once even under concurrent requests:
//! [`check`] decides what the code would be (a TOTP step, an email code's digest), the store
//! claims it atomically, and [`OtpClaim::conclude`] turns a successful claim into the proof.

use chrono::{DateTime, Utc};

use crate::otp::{EmailCodeKey, OtpChannel, SigningCredentials, TotpSecret};
use crate::password;
use crate::validation::{Field, Problem, SigningPassword, ValidationError};

/// That the beneficiary proved, with password and one-time code, that they sign this
/// application. No public constructor: see [`OtpClaim::conclude`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningProof {
    application_id: i64,
}

impl SigningProof {
    pub fn application_id(&self) -> i64 {
        self.application_id
    }
}

/// What the store must still claim, atomically, for the code to count once: mark the TOTP step
/// as used (only if it is later than the last used one), or take the email code (only if it is
/// still there and fresh). Only [`check`] makes one (its fields are private), so a proof always
/// follows a right password and a code checked against the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpClaim {
    application_id: i64,
    code: ClaimedCode,
}

/// The code a claim is for, as the store claims it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimedCode {
    /// The TOTP step whose code was given.
    TotpStep(i64),
    /// The digest of the email code given (see [`EmailCodeKey::digest`]).
    EmailCode(String),
}

impl OtpClaim {
    pub fn application_id(&self) -> i64 {
        self.application_id
    }

    pub fn code(&self) -> &ClaimedCode {
        &self.code
    }

    /// The store's answer: `claimed` is false when another request used the code first (or the
    /// email code was not there), which makes it a wrong code.
    pub fn conclude(self, claimed: bool) -> Result<SigningProof, SigningFailure> {
        if !claimed {
            return Err(SigningFailure::WrongCode);
        }
        Ok(SigningProof {
            application_id: self.application_id,
        })
    }
}

/// The outcome of [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningCheck {
    /// Password and code are right; the code still has to be claimed.
    Claim(OtpClaim),
    Refused(SigningFailure),
}

/// Why signing was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningFailure {
    WrongPassword,
    /// Wrong, too old, already used, or not checkable (a TOTP secret that cannot be unsealed).
    WrongCode,
}

impl SigningFailure {
    /// The form field the failure is shown at.
    pub fn field(self) -> Field {
        match self {
            SigningFailure::WrongPassword => Field::SigningPassword,
            SigningFailure::WrongCode => Field::Otp,
        }
    }

    pub fn error(self) -> ValidationError {
        ValidationError::new(self.field(), Problem::Incorrect)
    }
}

/// That a signing password matched a stored Argon2id hash. Made only by [`verify_password`], and
/// good only for credentials with that very hash. Verifying costs tens of milliseconds, so the
/// edge runs it off the async threads; a made-up history (the demo's) verifies once and signs
/// many applications whose credentials share the hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPassword {
    password_hash: String,
}

impl VerifiedPassword {
    /// What a login's token keeps of the verification (the CSC API's, issue 11): the SHA-256 of
    /// the hash the password matched, not the hash itself.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&self.password_hash)
    }

    /// The password verified at a login whose token kept `fingerprint`: good only while the
    /// credentials still have the hash it matched, so a new signing password ends the token.
    pub fn remembered(
        fingerprint: &str,
        credentials: &SigningCredentials,
    ) -> Option<VerifiedPassword> {
        (fingerprint_of(&credentials.password_hash) == fingerprint).then(|| VerifiedPassword {
            password_hash: credentials.password_hash.clone(),
        })
    }
}

fn fingerprint_of(password_hash: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(password_hash.as_bytes()))
}

/// Verifies `password` against `password_hash` (Argon2id); `None` when it does not match.
pub fn verify_password(password: &str, password_hash: &str) -> Option<VerifiedPassword> {
    password::verify(password, password_hash).then(|| VerifiedPassword {
        password_hash: password_hash.to_owned(),
    })
}

/// «Αλλαγή κωδικού ψηφιακής υπογραφής» (issue 11): the holder types the signing password they
/// have and a new one twice. The new one follows the policy of the one chosen at identification
/// ([`SigningPassword`]) and differs from the current one; the current one must verify against
/// the credentials' hash. There is no other way to a new signing password: a forgotten one
/// leads to a revocation request and a new application.
///
/// Two steps, as for signing: [`PasswordChange::parse`] checks what was typed (cheap, every
/// problem at once), the edge verifies the current password off the async threads
/// ([`verify_password`]), and [`PasswordChange::conclude`] gives the new password only for a
/// current one that verified against these very credentials.
pub struct PasswordChange {
    current: String,
    new: SigningPassword,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never in logs.
        f.write_str("PasswordChange(..)")
    }
}

impl PasswordChange {
    pub fn parse(
        current: &str,
        new: &str,
        confirmation: &str,
    ) -> Result<PasswordChange, Vec<ValidationError>> {
        let mut errors = Vec::new();
        if current.is_empty() {
            errors.push(ValidationError::new(
                Field::CurrentSigningPassword,
                Problem::Missing,
            ));
        }
        match SigningPassword::parse_new(new, confirmation) {
            Ok(new) if errors.is_empty() && new.expose() == current => {
                errors.push(ValidationError::new(
                    Field::NewSigningPassword,
                    Problem::SameAsCurrent,
                ));
            }
            Ok(new) if errors.is_empty() => {
                return Ok(PasswordChange {
                    current: current.to_owned(),
                    new,
                });
            }
            Ok(_) => {}
            Err(error) => errors.push(error),
        }
        Err(errors)
    }

    /// The current password as typed, to verify.
    pub fn current(&self) -> &str {
        &self.current
    }

    /// The new password, once `verified` (what [`verify_password`] gave for [`Self::current`])
    /// matched `credentials`.
    pub fn conclude(
        self,
        credentials: &SigningCredentials,
        verified: Option<&VerifiedPassword>,
    ) -> Result<SigningPassword, ValidationError> {
        match verified {
            Some(v) if v.password_hash == credentials.password_hash => Ok(self.new),
            _ => Err(ValidationError::new(
                Field::CurrentSigningPassword,
                Problem::Incorrect,
            )),
        }
    }
}

/// Checks the one-time `code` of application `application_id`, once its signing password was
/// verified: `password` is what [`verify_password`] gave for the password typed (`None`: it did
/// not match). `totp_secret` is the unsealed secret of a TOTP channel (`None` when it cannot be
/// unsealed). An email code is digested under `email_codes`, as it was kept.
///
/// The password comes first and a wrong one ends the check: a code is used up only with the
/// right password, so someone guessing passwords cannot burn the beneficiary's codes.
pub fn check(
    application_id: i64,
    credentials: &SigningCredentials,
    totp_secret: Option<&TotpSecret>,
    password: Option<&VerifiedPassword>,
    email_codes: &EmailCodeKey,
    code: &str,
    now: DateTime<Utc>,
) -> SigningCheck {
    if password.is_none_or(|p| p.password_hash != credentials.password_hash) {
        return SigningCheck::Refused(SigningFailure::WrongPassword);
    }
    match &credentials.otp {
        OtpChannel::Totp {
            last_step, drift, ..
        } => {
            match totp_secret
                .and_then(|secret| secret.verify_drifted(code, now, Some(*last_step), *drift))
            {
                Some(step) => SigningCheck::Claim(OtpClaim {
                    application_id,
                    code: ClaimedCode::TotpStep(step),
                }),
                None => SigningCheck::Refused(SigningFailure::WrongCode),
            }
        }
        // Whether the code is right is known only to the store, which holds its digest.
        OtpChannel::Email => SigningCheck::Claim(OtpClaim {
            application_id,
            code: ClaimedCode::EmailCode(email_codes.digest(application_id, code)),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use chrono::TimeZone;

    use super::*;
    use crate::Lang;
    use crate::otp::{StoredSecret, step_at};

    const PASSWORD: &str = "κωδικός-υπογραφής";

    /// Argon2 is slow without optimisations: one hash for all the tests.
    const KEY: EmailCodeKey = EmailCodeKey::new([3; 32]);
    static HASH: LazyLock<String> = LazyLock::new(|| password::hash(PASSWORD, b"signing-salt-16b"));

    /// The password verified once against [`HASH`].
    static VERIFIED: LazyLock<Option<VerifiedPassword>> =
        LazyLock::new(|| verify_password(PASSWORD, &HASH));

    fn secret() -> TotpSecret {
        TotpSecret::from_bytes(*b"12345678901234567890")
    }

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000, 0).unwrap()
    }

    fn totp_credentials(last_step: i64) -> SigningCredentials {
        SigningCredentials {
            password_hash: HASH.clone(),
            otp: OtpChannel::Totp {
                secret: StoredSecret("sealed:..".to_owned()),
                last_step,
                drift: 0,
            },
        }
    }

    fn email_credentials() -> SigningCredentials {
        SigningCredentials {
            password_hash: HASH.clone(),
            otp: OtpChannel::Email,
        }
    }

    #[test]
    fn the_right_password_and_totp_code_claim_that_step_and_prove_signing() {
        let step = step_at(now());
        let code = secret().code_at(step);
        let outcome = check(
            4,
            &totp_credentials(step - 5),
            Some(&secret()),
            VERIFIED.as_ref(),
            &KEY,
            &code,
            now(),
        );
        let SigningCheck::Claim(claim) = outcome else {
            panic!("expected a claim, got {outcome:?}");
        };
        assert_eq!(claim.application_id(), 4);
        assert_eq!(claim.code(), &ClaimedCode::TotpStep(step));
        let proof = claim.conclude(true).unwrap();
        assert_eq!(proof.application_id(), 4);
    }

    #[test]
    fn a_wrong_password_is_refused_even_with_the_right_code() {
        let step = step_at(now());
        for credentials in [totp_credentials(step - 5), email_credentials()] {
            let outcome = check(
                4,
                &credentials,
                Some(&secret()),
                verify_password("λάθος-κωδικός", &HASH).as_ref(),
                &KEY,
                &secret().code_at(step),
                now(),
            );
            assert_eq!(
                outcome,
                SigningCheck::Refused(SigningFailure::WrongPassword)
            );
        }
    }

    #[test]
    fn a_used_old_or_wrong_code_is_refused_with_the_right_password() {
        let step = step_at(now());
        let refused = |last_step: i64, code: &str, secret: Option<&TotpSecret>| {
            check(
                4,
                &totp_credentials(last_step),
                secret,
                VERIFIED.as_ref(),
                &KEY,
                code,
                now(),
            )
        };
        let wrong = SigningCheck::Refused(SigningFailure::WrongCode);
        let current = secret().code_at(step);
        assert_eq!(refused(step, &current, Some(&secret())), wrong, "used");
        assert_eq!(
            refused(step - 10, &secret().code_at(step - 3), Some(&secret())),
            wrong,
            "too old"
        );
        let other = if current == "000000" {
            "111111"
        } else {
            "000000"
        };
        assert_eq!(refused(step - 10, other, Some(&secret())), wrong, "wrong");
        assert_eq!(
            refused(step - 10, &current, None),
            wrong,
            "secret unreadable"
        );
    }

    #[test]
    fn an_email_code_is_claimed_by_its_digest() {
        let outcome = check(
            9,
            &email_credentials(),
            None,
            VERIFIED.as_ref(),
            &KEY,
            " 123456 ",
            now(),
        );
        let SigningCheck::Claim(claim) = outcome else {
            panic!("expected a claim, got {outcome:?}");
        };
        assert_eq!(claim.application_id(), 9);
        assert_eq!(
            claim.code(),
            &ClaimedCode::EmailCode(KEY.digest(9, "123456"))
        );
    }

    #[test]
    fn a_code_claimed_by_someone_else_is_a_wrong_code() {
        let SigningCheck::Claim(claim) = check(
            9,
            &email_credentials(),
            None,
            VERIFIED.as_ref(),
            &KEY,
            "123456",
            now(),
        ) else {
            panic!("expected a claim");
        };
        assert_eq!(claim.conclude(false), Err(SigningFailure::WrongCode));
    }

    #[test]
    fn a_password_verified_against_other_credentials_signs_nothing() {
        let other = password::hash(PASSWORD, b"another-salt-16b");
        let verified = verify_password(PASSWORD, &other);
        assert!(verified.is_some(), "the password matches its own hash");
        assert_eq!(
            check(
                9,
                &email_credentials(),
                None,
                verified.as_ref(),
                &KEY,
                "123456",
                now()
            ),
            SigningCheck::Refused(SigningFailure::WrongPassword)
        );
        assert_eq!(verify_password("λάθος", &HASH), None);
    }

    #[test]
    fn a_remembered_password_holds_only_while_the_hash_is_the_same() {
        let verified = VERIFIED.clone().unwrap();
        let fingerprint = verified.fingerprint();
        assert_ne!(fingerprint, *HASH, "the hash itself is not kept");
        let remembered = VerifiedPassword::remembered(&fingerprint, &email_credentials());
        assert_eq!(remembered.as_ref(), Some(&verified));
        assert!(matches!(
            check(
                9,
                &email_credentials(),
                None,
                remembered.as_ref(),
                &KEY,
                "123456",
                now()
            ),
            SigningCheck::Claim(_)
        ));
        let changed = SigningCredentials {
            password_hash: password::hash("νέος-κωδικός", b"another-salt-16b"),
            otp: OtpChannel::Email,
        };
        assert_eq!(VerifiedPassword::remembered(&fingerprint, &changed), None);
    }

    #[test]
    fn a_password_change_needs_the_current_password_and_a_new_one_under_the_policy() {
        let change = PasswordChange::parse(PASSWORD, "νέος-κωδικός-2026", "νέος-κωδικός-2026")
            .expect("a good change");
        assert_eq!(change.current(), PASSWORD);
        assert_eq!(format!("{change:?}"), "PasswordChange(..)");
        let new = change
            .conclude(&email_credentials(), VERIFIED.as_ref())
            .unwrap();
        assert_eq!(new.expose(), "νέος-κωδικός-2026");

        let fields = |r: Result<PasswordChange, Vec<ValidationError>>| -> Vec<(Field, Problem)> {
            r.unwrap_err()
                .into_iter()
                .map(|e| (e.field, e.problem))
                .collect()
        };
        assert_eq!(
            fields(PasswordChange::parse("", "short", "short")),
            [
                (Field::CurrentSigningPassword, Problem::Missing),
                (Field::NewSigningPassword, Problem::TooShort { min: 10 }),
            ]
        );
        assert_eq!(
            fields(PasswordChange::parse(
                PASSWORD,
                "νέος-κωδικός-2026",
                "νέος-κωδικός"
            )),
            [(Field::NewSigningPasswordConfirm, Problem::DoesNotMatch)]
        );
        assert_eq!(
            fields(PasswordChange::parse(PASSWORD, PASSWORD, PASSWORD)),
            [(Field::NewSigningPassword, Problem::SameAsCurrent)]
        );
        assert_eq!(
            ValidationError::new(Field::NewSigningPassword, Problem::SameAsCurrent)
                .message(Lang::El),
            "Νέος κωδικός υπογραφής: πρέπει να διαφέρει από τον τρέχοντα κωδικό"
        );
    }

    #[test]
    fn a_wrong_current_password_changes_nothing() {
        let change =
            PasswordChange::parse("λάθος-κωδικός", "νέος-κωδικός-2026", "νέος-κωδικός-2026")
                .unwrap();
        let wrong = change.conclude(
            &email_credentials(),
            verify_password("λάθος-κωδικός", &HASH).as_ref(),
        );
        let error = wrong.unwrap_err();
        assert_eq!(
            error.message(Lang::El),
            "Τρέχων κωδικός υπογραφής: δεν είναι σωστός"
        );
        // A password verified against other credentials is no proof for these.
        let other = password::hash(PASSWORD, b"another-salt-16b");
        let change =
            PasswordChange::parse(PASSWORD, "νέος-κωδικός-2026", "νέος-κωδικός-2026").unwrap();
        assert!(
            change
                .conclude(
                    &email_credentials(),
                    verify_password(PASSWORD, &other).as_ref()
                )
                .is_err()
        );
    }

    #[test]
    fn failures_are_shown_at_their_field() {
        assert_eq!(
            SigningFailure::WrongPassword.error().message(Lang::El),
            "Κωδικός υπογραφής: δεν είναι σωστός"
        );
        assert_eq!(
            SigningFailure::WrongCode.error(),
            ValidationError::new(Field::Otp, Problem::Incorrect)
        );
    }
}
