//! One-time passwords of the beneficiary (SPEC §2: a TOTP authenticator app, RFC 6238, or a code
//! sent to the work email), the channel chosen at identification and the signing credentials.
//!
//! Randomness comes from the caller (secrets and email codes are made at the edge); here are
//! the rules: which codes are accepted at which time, and that a code is accepted only once.
//! How password and code together make a signature is in [`crate::signing`].

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use totp_rs::{Builder, Secret, Totp};

use crate::validation::{Field, Problem, ValidationError};

/// Seconds per TOTP step (RFC 6238's recommended value, what every authenticator app uses).
pub const STEP_SECONDS: i64 = 30;

/// Steps of clock difference tolerated either side of the server's step (RFC 6238 §5.2).
pub const SKEW_STEPS: i64 = 1;

/// How far, in steps either side of the server's, «Συγχρονισμός OTP» looks for the two codes of
/// a drifting authenticator app: 20 steps, ten minutes.
pub const RESYNC_WINDOW_STEPS: i64 = 20;

/// How long a code sent by email can be used.
pub const EMAIL_CODE_LIFETIME: Duration = Duration::minutes(10);

/// How the beneficiary receives one-time passwords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtpChannel {
    /// An authenticator app. `secret` is its shared secret as kept at rest (see
    /// [`StoredSecret`]); `last_step` is the last step whose code was accepted: a code is
    /// accepted once, so only later steps count. `drift` is how many steps the app's clock runs
    /// ahead of the server's (behind, when negative), as the last resynchronisation found it
    /// ([`TotpSecret::resynchronise`]); zero until then.
    Totp {
        secret: StoredSecret,
        last_step: i64,
        drift: i64,
    },
    /// A six-digit code sent to the work email when the beneficiary asks for one.
    Email,
}

impl OtpChannel {
    pub fn code(&self) -> &'static str {
        match self {
            OtpChannel::Totp { .. } => ChannelChoice::Totp.code(),
            OtpChannel::Email => ChannelChoice::Email.code(),
        }
    }

    /// The channel as a stored row has it: its code, the stored TOTP secret, the last step
    /// used and the app's drift. `None` for a row that is not a channel (an unknown code, or
    /// TOTP without a secret). A TOTP channel that never accepted a code has no last step:
    /// every step is later.
    pub fn from_stored(
        code: &str,
        totp_secret: Option<String>,
        totp_last_step: Option<i64>,
        totp_drift: i64,
    ) -> Option<OtpChannel> {
        match (code, totp_secret) {
            ("email", _) => Some(OtpChannel::Email),
            ("totp", Some(secret)) => Some(OtpChannel::Totp {
                secret: StoredSecret(secret),
                last_step: totp_last_step.unwrap_or(i64::MIN),
                drift: totp_drift,
            }),
            _ => None,
        }
    }
}

/// The channel a beneficiary picks at identification, before a TOTP secret exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelChoice {
    Totp,
    Email,
}

impl ChannelChoice {
    /// The code in forms and in the stored row.
    pub fn code(self) -> &'static str {
        match self {
            ChannelChoice::Totp => "totp",
            ChannelChoice::Email => "email",
        }
    }

    /// The choice as a form sends it (surrounding spaces ignored).
    pub fn parse(input: &str) -> Result<ChannelChoice, ValidationError> {
        match input.trim() {
            "" => Err(ValidationError::new(Field::OtpChannel, Problem::Missing)),
            "totp" => Ok(ChannelChoice::Totp),
            "email" => Ok(ChannelChoice::Email),
            _ => Err(ValidationError::new(Field::OtpChannel, Problem::Format)),
        }
    }
}

/// What the beneficiary signs with: the signing password (as an Argon2id hash, see
/// [`crate::password::hash`]) and the channel of one-time passwords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningCredentials {
    pub password_hash: String,
    pub otp: OtpChannel,
}

/// A TOTP secret as kept at rest: sealed by the key-encryption key (`sealed:` and hex), which
/// only the edge holds, or, on an installation without a KEK, its base32 form. The rules never
/// read it; the edge turns it back into a [`TotpSecret`] to check a code.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSecret(pub String);

impl std::fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredSecret(..)")
    }
}

/// The shared secret of a TOTP app: 160 random bits (RFC 4226 §4 recommends 160).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never in logs.
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    pub const LEN: usize = 20;

    pub fn from_bytes(bytes: [u8; Self::LEN]) -> TotpSecret {
        TotpSecret(bytes.to_vec())
    }

    /// The secret's bytes (to be sealed).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// From bytes (once unsealed): at least 128 bits.
    pub fn from_slice(bytes: &[u8]) -> Option<TotpSecret> {
        (bytes.len() >= 16).then(|| TotpSecret(bytes.to_vec()))
    }

    /// The secret as an authenticator app takes it when typed (RFC 4648 base32, no padding).
    pub fn to_base32(&self) -> String {
        Secret::from(self.0.clone()).to_base32()
    }

    /// Reads a stored or typed base32 secret (spaces and case ignored).
    pub fn from_base32(text: &str) -> Option<TotpSecret> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let secret = Secret::try_from_base32(cleaned.trim_end_matches('=')).ok()?;
        let bytes = secret.as_bytes().to_vec();
        (bytes.len() >= 16).then_some(TotpSecret(bytes))
    }

    /// The `otpauth://` URI an authenticator app reads from the QR code.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let label = format!("{issuer}:{account}");
        format!(
            "otpauth://totp/{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
            percent_encode(&label),
            self.to_base32(),
            percent_encode(issuer),
        )
    }

    fn totp(&self) -> Totp {
        Builder::new()
            .with_secret(self.0.clone())
            .build()
            .expect("a 160-bit secret with the RFC 6238 defaults is valid")
    }

    /// The code of `step`.
    pub fn code_at(&self, step: i64) -> String {
        let seconds = u64::try_from(step.max(0) * STEP_SECONDS).unwrap_or(0);
        self.totp().generate(seconds).to_string()
    }

    /// The step at which `code` is valid at `now` (allowing [`SKEW_STEPS`] either side) that is
    /// later than `last_step`; `None` when the code is wrong, too old, or already used.
    pub fn verify(&self, code: &str, now: DateTime<Utc>, last_step: Option<i64>) -> Option<i64> {
        self.verify_drifted(code, now, last_step, 0)
    }

    /// As [`TotpSecret::verify`], for an app whose clock runs `drift` steps from the server's:
    /// the steps around the app's own are the ones that count.
    pub fn verify_drifted(
        &self,
        code: &str,
        now: DateTime<Utc>,
        last_step: Option<i64>,
        drift: i64,
    ) -> Option<i64> {
        let code = code.trim();
        let current = step_at(now).saturating_add(drift);
        (current - SKEW_STEPS..=current + SKEW_STEPS)
            .filter(|step| last_step.is_none_or(|last| *step > last))
            .find(|step| same_code(&self.code_at(*step), code))
    }

    /// Enrolment: two codes the app showed one after the other, around `now`. Returns the step of
    /// the second (the last one used).
    pub fn verify_consecutive(&self, first: &str, second: &str, now: DateTime<Utc>) -> Option<i64> {
        let current = step_at(now);
        (current - SKEW_STEPS..=current + SKEW_STEPS)
            .filter(|step| same_code(&self.code_at(*step), second.trim()))
            .find(|step| same_code(&self.code_at(step - 1), first.trim()))
    }
}

impl TotpSecret {
    /// «Συγχρονισμός OTP»: two codes the app showed one after the other, looked for within
    /// [`RESYNC_WINDOW_STEPS`] either side of the server's step at `now`. Both must be later than
    /// `last_step` (a code counts once, here too). When several pairs match (a chance of about
    /// one in 10^10), the one nearest the server's clock is taken.
    pub fn resynchronise(
        &self,
        first: &str,
        second: &str,
        now: DateTime<Utc>,
        last_step: Option<i64>,
    ) -> Option<Resynchronisation> {
        let current = step_at(now);
        let (first, second) = (first.trim(), second.trim());
        (current - RESYNC_WINDOW_STEPS..=current + RESYNC_WINDOW_STEPS)
            .filter(|step| last_step.is_none_or(|last| step - 1 > last))
            .filter(|step| same_code(&self.code_at(*step), second))
            .filter(|step| same_code(&self.code_at(step - 1), first))
            .min_by_key(|step| (step - current).abs())
            .map(|step| Resynchronisation {
                first_step: step - 1,
                last_step: step,
                drift: step - current,
            })
    }
}

/// What a resynchronisation found: the steps of the two codes (both used up by it) and the
/// drift of the app's clock, which later codes are checked with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resynchronisation {
    pub first_step: i64,
    /// The step of the second code: the last one used.
    pub last_step: i64,
    /// The app's step minus the server's, when the second code was typed.
    pub drift: i64,
}

/// The TOTP step of an instant.
pub fn step_at(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(STEP_SECONDS)
}

/// Compares two codes without stopping at the first difference.
fn same_code(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The key under which email codes are kept. A bare hash of six digits is undone by trying the
/// million codes; an HMAC under a key the database does not hold is not. The installation
/// derives it from its key-encryption key.
#[derive(Clone)]
pub struct EmailCodeKey([u8; 32]);

impl std::fmt::Debug for EmailCodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmailCodeKey(..)")
    }
}

impl EmailCodeKey {
    pub const fn new(key: [u8; 32]) -> EmailCodeKey {
        EmailCodeKey(key)
    }

    /// How an email code is kept: its HMAC-SHA256, bound to the application so that a code of
    /// one application is worthless for another.
    pub fn digest(&self, application_id: i64, code: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(format!("certdesk-email-otp:{application_id}:{}", code.trim()).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// A six-digit email code from 32 random bits (the caller's), with no bias worth measuring.
pub fn email_code_from(random: u32) -> String {
    format!("{:06}", random % 1_000_000)
}

fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// RFC 6238 appendix B's SHA-1 key, "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret(b"12345678901234567890".to_vec())
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).unwrap()
    }

    #[test]
    fn codes_are_those_of_rfc_6238() {
        // Appendix B gives 8 digits; the 6-digit code is their last six.
        let secret = rfc_secret();
        assert_eq!(secret.code_at(step_at(at(59))), "287082");
        assert_eq!(secret.code_at(step_at(at(1_111_111_109))), "081804");
        assert_eq!(secret.code_at(step_at(at(1_234_567_890))), "005924");
        assert_eq!(secret.code_at(step_at(at(2_000_000_000))), "279037");
    }

    #[test]
    fn base32_round_trips_and_tolerates_spaces_and_case() {
        let secret = rfc_secret();
        assert_eq!(secret.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq"),
            Some(secret)
        );
        assert_eq!(TotpSecret::from_base32("not base32!"), None);
        assert_eq!(TotpSecret::from_base32("GEZDGNBV"), None, "too short");
    }

    #[test]
    fn a_code_is_accepted_within_one_step_and_only_once() {
        let secret = rfc_secret();
        let now = at(1_700_000_000);
        let step = step_at(now);
        assert_eq!(secret.verify(&secret.code_at(step), now, None), Some(step));
        assert_eq!(
            secret.verify(&secret.code_at(step - 1), now, None),
            Some(step - 1)
        );
        assert_eq!(
            secret.verify(&secret.code_at(step + 1), now, None),
            Some(step + 1)
        );
        assert_eq!(secret.verify(&secret.code_at(step - 2), now, None), None);
        assert_eq!(secret.verify(&secret.code_at(step + 2), now, None), None);
        // Used already: the same step, or an earlier one, no longer counts.
        assert_eq!(secret.verify(&secret.code_at(step), now, Some(step)), None);
        assert_eq!(
            secret.verify(&secret.code_at(step - 1), now, Some(step)),
            None
        );
        assert_eq!(
            secret.verify(&secret.code_at(step + 1), now, Some(step)),
            Some(step + 1)
        );
        assert_eq!(secret.verify("000000x", now, None), None);
        assert_eq!(secret.verify("", now, None), None);
    }

    #[test]
    fn enrolment_needs_two_consecutive_codes_in_order() {
        let secret = rfc_secret();
        let now = at(1_700_000_000);
        let step = step_at(now);
        let code = |s| secret.code_at(s);
        assert_eq!(
            secret.verify_consecutive(&code(step - 1), &code(step), now),
            Some(step)
        );
        assert_eq!(
            secret.verify_consecutive(&code(step), &code(step + 1), now),
            Some(step + 1)
        );
        assert_eq!(
            secret.verify_consecutive(&code(step), &code(step - 1), now),
            None
        );
        assert_eq!(
            secret.verify_consecutive(&code(step), &code(step), now),
            None
        );
        assert_eq!(
            secret.verify_consecutive(&code(step - 3), &code(step - 2), now),
            None,
            "too old"
        );
    }

    #[test]
    fn two_consecutive_codes_within_ten_minutes_find_the_drift() {
        let secret = rfc_secret();
        let now = at(1_700_000_000);
        let server = step_at(now);
        let code = |s| secret.code_at(s);
        for drift in [-20, -7, -2, 0, 1, 5, 20] {
            let app = server + drift;
            assert_eq!(
                secret.resynchronise(&code(app - 1), &code(app), now, None),
                Some(Resynchronisation {
                    first_step: app - 1,
                    last_step: app,
                    drift,
                }),
                "drift {drift}"
            );
        }
        // Beyond ten minutes, out of order, or twice the same code: nothing.
        for (first, second) in [
            (server + 20, server + 21),
            (server - 22, server - 21),
            (server + 3, server + 2),
            (server + 3, server + 3),
        ] {
            assert_eq!(
                secret.resynchronise(&code(first), &code(second), now, None),
                None,
                "{first} {second}"
            );
        }
        assert_eq!(secret.resynchronise("", "", now, None), None);
    }

    #[test]
    fn codes_used_before_do_not_resynchronise() {
        let secret = rfc_secret();
        let now = at(1_700_000_000);
        let app = step_at(now) + 6;
        let (first, second) = (secret.code_at(app - 1), secret.code_at(app));
        assert_eq!(
            secret.resynchronise(&first, &second, now, Some(app - 1)),
            None
        );
        assert_eq!(secret.resynchronise(&first, &second, now, Some(app)), None);
        assert!(
            secret
                .resynchronise(&first, &second, now, Some(app - 2))
                .is_some()
        );
    }

    #[test]
    fn a_remembered_drift_moves_the_window_of_later_codes() {
        let secret = rfc_secret();
        let now = at(1_700_000_000);
        let server = step_at(now);
        let drift = 8;
        let ahead = secret.code_at(server + drift);
        assert_eq!(
            secret.verify(&ahead, now, None),
            None,
            "out of the usual window"
        );
        assert_eq!(
            secret.verify_drifted(&ahead, now, None, drift),
            Some(server + drift)
        );
        assert_eq!(
            secret.verify_drifted(&secret.code_at(server + drift + 1), now, None, drift),
            Some(server + drift + 1)
        );
        assert_eq!(
            secret.verify_drifted(&secret.code_at(server + drift + 2), now, None, drift),
            None
        );
        // Still once only.
        assert_eq!(
            secret.verify_drifted(&ahead, now, Some(server + drift), drift),
            None
        );
        // Zero drift is the plain check.
        let plain = secret.code_at(server);
        assert_eq!(
            secret.verify_drifted(&plain, now, None, 0),
            secret.verify(&plain, now, None)
        );
    }

    #[test]
    fn the_otpauth_uri_names_issuer_account_and_secret() {
        let uri = rfc_secret().otpauth_uri("certdesk", "e.papadopoulou");
        assert_eq!(
            uri,
            "otpauth://totp/certdesk%3Ae.papadopoulou?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=certdesk&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn email_codes_are_six_digits_and_bound_to_the_application() {
        assert_eq!(email_code_from(42), "000042");
        assert_eq!(email_code_from(4_294_967_295), "967295");
        let key = EmailCodeKey::new([1; 32]);
        assert_ne!(key.digest(1, "123456"), key.digest(2, "123456"));
        assert_eq!(key.digest(1, " 123456 "), key.digest(1, "123456"));
        assert_ne!(
            key.digest(1, "123456"),
            EmailCodeKey::new([2; 32]).digest(1, "123456"),
            "another key, another digest"
        );
        assert!(!format!("{key:?}").contains('1'), "the key is not printed");
    }

    #[test]
    fn the_channel_choice_is_totp_or_email() {
        assert_eq!(ChannelChoice::parse("totp"), Ok(ChannelChoice::Totp));
        assert_eq!(ChannelChoice::parse(" email "), Ok(ChannelChoice::Email));
        for choice in [ChannelChoice::Totp, ChannelChoice::Email] {
            assert_eq!(ChannelChoice::parse(choice.code()), Ok(choice));
        }
        assert_eq!(
            ChannelChoice::parse(" "),
            Err(ValidationError::new(Field::OtpChannel, Problem::Missing))
        );
        for bad in ["sms", "TOTP", "e-mail"] {
            let err = ChannelChoice::parse(bad).unwrap_err();
            assert_eq!(
                err,
                ValidationError::new(Field::OtpChannel, Problem::Format)
            );
            assert_eq!(
                err.message(crate::Lang::El),
                "Τρόπος λήψης κωδικού μίας χρήσης: επιλέξτε εφαρμογή επαλήθευσης ή email"
            );
        }
    }

    #[test]
    fn a_stored_row_decodes_to_its_channel() {
        let secret = || Some("sealed:00ff".to_owned());
        assert_eq!(
            OtpChannel::from_stored("email", None, None, 0),
            Some(OtpChannel::Email)
        );
        assert_eq!(
            OtpChannel::from_stored("totp", secret(), Some(56_666_666), -3),
            Some(OtpChannel::Totp {
                secret: StoredSecret("sealed:00ff".to_owned()),
                last_step: 56_666_666,
                drift: -3,
            })
        );
        // No step used yet: any step counts.
        assert_eq!(
            OtpChannel::from_stored("totp", secret(), None, 0),
            Some(OtpChannel::Totp {
                secret: StoredSecret("sealed:00ff".to_owned()),
                last_step: i64::MIN,
                drift: 0,
            })
        );
        assert_eq!(OtpChannel::from_stored("totp", None, Some(1), 0), None);
        assert_eq!(OtpChannel::from_stored("sms", secret(), None, 0), None);
        assert_eq!(OtpChannel::from_stored("", None, None, 0), None);
        assert_eq!(
            OtpChannel::from_stored(" email", None, None, 0),
            None,
            "stored exactly"
        );
        for channel in [
            OtpChannel::Email,
            OtpChannel::from_stored("totp", secret(), Some(3), 2).unwrap(),
        ] {
            assert_eq!(
                OtpChannel::from_stored(channel.code(), secret(), Some(3), 2),
                Some(channel)
            );
        }
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        assert_eq!(format!("{:?}", rfc_secret()), "TotpSecret(..)");
    }
}
