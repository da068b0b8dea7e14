//! A ΔΨΠ account's second factor (SPEC §9): what an account must still set up before it may use
//! the console or the API, what a login needs, and the single-use recovery codes.
//!
//! The TOTP codes themselves are [`crate::otp::TotpSecret`]'s, as for beneficiaries. Randomness
//! (the codes' bytes) comes from the caller.

use sha2::{Digest, Sha256};

/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;

/// Random bytes per recovery code: 80 bits, so that a bare hash of one cannot be undone by
/// trying them all (as with tokens), and one hash per code is all the check needs.
pub const RECOVERY_CODE_BYTES: usize = 10;

/// Letters of a recovery code: Crockford's base32, lower case (no i, l, o, u to misread).
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// What an account is, as far as logging in goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountSecurity {
    /// The first password (given by the operator) must be replaced.
    pub must_change_password: bool,
    /// The account must have a second factor (true unless the demo relaxed it).
    pub second_factor_required: bool,
    /// A TOTP app is enrolled.
    pub second_factor_enrolled: bool,
}

/// What an account must still do before the console's other pages or the API are open to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    ChangePassword,
    EnrolSecondFactor,
}

impl AccountSecurity {
    /// The next step of the account's setup, the password first.
    pub fn pending_setup(&self) -> Option<Setup> {
        if self.must_change_password {
            Some(Setup::ChangePassword)
        } else if self.second_factor_required && !self.second_factor_enrolled {
            Some(Setup::EnrolSecondFactor)
        } else {
            None
        }
    }

    /// Whether a login needs a code after the password: once a second factor exists, always
    /// (even on an account the demo relaxed, whose holder chose to enrol).
    pub fn login_needs_code(&self) -> bool {
        self.second_factor_enrolled
    }

    /// The demo's relaxation: the console says so on the account's pages (SPEC §7).
    pub fn relaxed(&self) -> bool {
        !self.second_factor_required
    }
}

/// What was typed as the second factor at login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactorInput {
    /// Six digits: a code of the TOTP app.
    Totp(String),
    /// A recovery code, normalised (see [`normalise_recovery_code`]).
    Recovery(String),
}

impl SecondFactorInput {
    /// `None` when nothing usable was typed (empty, or neither form).
    pub fn parse(input: &str) -> Option<SecondFactorInput> {
        let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Some(SecondFactorInput::Totp(digits));
        }
        normalise_recovery_code(input).map(SecondFactorInput::Recovery)
    }
}

/// A recovery code of `RECOVERY_CODE_BYTES` random bytes, as shown: four groups of four letters.
pub fn recovery_code_from(bytes: [u8; RECOVERY_CODE_BYTES]) -> String {
    // 80 bits are exactly sixteen 5-bit letters.
    let mut bits: u128 = 0;
    for byte in bytes {
        bits = (bits << 8) | u128::from(byte);
    }
    let letters: Vec<char> = (0..16)
        .rev()
        .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
        .collect();
    letters
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A typed recovery code without its dashes and spaces, lower case; `None` unless it has the
/// sixteen letters of one.
pub fn normalise_recovery_code(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (code.len() == 16 && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// What the store keeps of a recovery code: its SHA-256, bound to the account so that one
/// account's codes are worthless for another.
pub fn recovery_code_digest(administrator_id: i64, normalised: &str) -> String {
    hex::encode(Sha256::digest(
        format!("certdesk-recovery:{administrator_id}:{normalised}").as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(must_change: bool, required: bool, enrolled: bool) -> AccountSecurity {
        AccountSecurity {
            must_change_password: must_change,
            second_factor_required: required,
            second_factor_enrolled: enrolled,
        }
    }

    #[test]
    fn setup_asks_for_the_password_first_then_the_second_factor() {
        assert_eq!(
            account(true, true, false).pending_setup(),
            Some(Setup::ChangePassword)
        );
        assert_eq!(
            account(false, true, false).pending_setup(),
            Some(Setup::EnrolSecondFactor)
        );
        assert_eq!(account(false, true, true).pending_setup(), None);
        assert_eq!(
            account(false, false, false).pending_setup(),
            None,
            "the demo's"
        );
        assert_eq!(
            account(true, false, false).pending_setup(),
            Some(Setup::ChangePassword)
        );
    }

    #[test]
    fn a_code_is_needed_once_a_second_factor_exists() {
        assert!(account(false, true, true).login_needs_code());
        assert!(account(false, false, true).login_needs_code(), "chosen");
        assert!(!account(false, true, false).login_needs_code());
        assert!(account(false, false, false).relaxed());
        assert!(!account(false, true, false).relaxed());
    }

    #[test]
    fn the_input_is_a_totp_code_or_a_recovery_code() {
        assert_eq!(
            SecondFactorInput::parse(" 123 456 "),
            Some(SecondFactorInput::Totp("123456".into()))
        );
        let code = recovery_code_from([0xab; RECOVERY_CODE_BYTES]);
        let normalised = code.replace('-', "");
        assert_eq!(
            SecondFactorInput::parse(&code.to_uppercase()),
            Some(SecondFactorInput::Recovery(normalised))
        );
        for nothing in ["", "12345", "1234567", "not-a-code", "abcd-efgh-ijkl-mnop"] {
            assert_eq!(SecondFactorInput::parse(nothing), None, "{nothing}");
        }
    }

    #[test]
    fn recovery_codes_are_four_groups_of_four_and_differ_by_their_bytes() {
        let a = recovery_code_from([0; RECOVERY_CODE_BYTES]);
        assert_eq!(a, "0000-0000-0000-0000");
        let b = recovery_code_from([0xff; RECOVERY_CODE_BYTES]);
        assert_eq!(b, "zzzz-zzzz-zzzz-zzzz");
        let mut bytes = [0; RECOVERY_CODE_BYTES];
        bytes[9] = 1;
        assert_eq!(recovery_code_from(bytes), "0000-0000-0000-0001");
        assert_eq!(
            normalise_recovery_code(" ZZZZ zzzz-zzzz-zzzz "),
            Some("z".repeat(16))
        );
    }

    #[test]
    fn digests_are_bound_to_the_account() {
        let code = "0000000000000001";
        assert_ne!(recovery_code_digest(1, code), recovery_code_digest(2, code));
        assert_eq!(recovery_code_digest(1, code).len(), 64);
        assert_ne!(recovery_code_digest(1, code), code);
    }
}
