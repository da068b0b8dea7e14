//! The password policy of ΔΨΠ accounts (SPEC §9): at least 12 characters, not the username (nor
//! the local part of the work email it is), and not one of the most common passwords. Applied
//! wherever such a password is chosen: the console's change of password and `certdesk admin
//! create` (and the demo's password).

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use crate::validation::{Field, Problem, ValidationError};

/// The embedded list of common passwords (lower case); `#` lines are comments.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
});

/// A ΔΨΠ's password that satisfies the policy. Never shown in debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountPassword(String);

impl fmt::Debug for AccountPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccountPassword(..)")
    }
}

impl AccountPassword {
    pub const MIN_LEN: usize = 12;
    pub const MAX_LEN: usize = 128;

    /// `password` (as typed: spaces count) for the account `username`, the problem named under
    /// `field`.
    pub fn parse(field: Field, password: &str, username: &str) -> Result<Self, ValidationError> {
        let err = |problem| ValidationError::new(field, problem);
        if password.trim().is_empty() {
            return Err(err(Problem::Missing));
        }
        let len = password.chars().count();
        if len < Self::MIN_LEN {
            return Err(err(Problem::TooShort { min: Self::MIN_LEN }));
        }
        if len > Self::MAX_LEN {
            return Err(err(Problem::TooLong { max: Self::MAX_LEN }));
        }
        let folded = password.trim().to_lowercase();
        let username = username.trim().to_lowercase();
        let local_part = username.split('@').next().unwrap_or_default();
        if folded == username || (!local_part.is_empty() && folded == local_part) {
            return Err(err(Problem::SameAsUsername));
        }
        if COMMON.contains(folded.as_str()) {
            return Err(err(Problem::TooCommon));
        }
        Ok(AccountPassword(password.to_owned()))
    }

    /// A new password typed twice, as the change-password form has it.
    pub fn parse_new(
        password: &str,
        confirmation: &str,
        username: &str,
    ) -> Result<Self, ValidationError> {
        let password = Self::parse(Field::NewPassword, password, username)?;
        if password.0 != confirmation {
            return Err(ValidationError::new(
                Field::NewPasswordConfirm,
                Problem::DoesNotMatch,
            ));
        }
        Ok(password)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;

    const USER: &str = "m.konstantinou@mindigital.gr";

    fn problem(password: &str) -> Problem {
        AccountPassword::parse(Field::Password, password, USER)
            .expect_err(password)
            .problem
    }

    #[test]
    fn twelve_characters_at_least() {
        assert_eq!(problem("Ab3$efgh1jk"), Problem::TooShort { min: 12 });
        assert!(AccountPassword::parse(Field::Password, "Ab3$efgh1jkl", USER).is_ok());
        assert!(
            AccountPassword::parse(Field::Password, "Ελληνικός κωδ", USER).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(problem("   "), Problem::Missing);
        assert_eq!(problem(&"x".repeat(129)), Problem::TooLong { max: 128 });
    }

    #[test]
    fn not_the_username_nor_its_local_part_whatever_the_case() {
        assert_eq!(
            problem("M.Konstantinou@MinDigital.gr"),
            Problem::SameAsUsername
        );
        assert_eq!(problem("m.konstantinou"), Problem::SameAsUsername);
        assert_eq!(
            AccountPassword::parse(Field::Password, "administrator7", "Administrator7")
                .unwrap_err()
                .problem,
            Problem::SameAsUsername
        );
        assert!(AccountPassword::parse(Field::Password, "m.konstantinou!", USER).is_ok());
    }

    #[test]
    fn not_a_common_password_whatever_the_case() {
        for common in [
            "password1234",
            "QWERTYUIOP123",
            "123456789012",
            "Passwordpassword",
        ] {
            assert_eq!(problem(common), Problem::TooCommon, "{common}");
        }
        assert!(COMMON.len() > 300, "a few hundred: {}", COMMON.len());
        assert!(COMMON.iter().all(|p| *p == p.to_lowercase()));
    }

    #[test]
    fn messages_name_the_field_and_the_reason() {
        let e = AccountPassword::parse(Field::NewPassword, "password1234", USER).unwrap_err();
        assert_eq!(
            e.message(Lang::El),
            "Νέος κωδικός: είναι από τους πιο συνηθισμένους κωδικούς και μαντεύεται εύκολα· επιλέξτε άλλον"
        );
        assert_eq!(
            e.message(Lang::En),
            "New password: is one of the most common passwords and easily guessed; choose another"
        );
        let e = AccountPassword::parse(Field::Password, "m.konstantinou", USER).unwrap_err();
        assert_eq!(
            e.message(Lang::El),
            "Κωδικός: δεν επιτρέπεται να είναι ίδιος με το όνομα χρήστη"
        );
        assert_eq!(
            e.message(Lang::En),
            "Password: must not be the same as the username"
        );
    }

    #[test]
    fn a_new_password_is_typed_twice_the_same() {
        let ok = AccountPassword::parse_new("ένας καλός κωδικός", "ένας καλός κωδικός", USER);
        assert_eq!(ok.unwrap().expose(), "ένας καλός κωδικός");
        let differs = AccountPassword::parse_new("ένας καλός κωδικός", "ένας άλλος κωδικός", USER)
            .unwrap_err();
        assert_eq!(differs.field, Field::NewPasswordConfirm);
        assert_eq!(differs.problem, Problem::DoesNotMatch);
        let short = AccountPassword::parse_new("short", "short", USER).unwrap_err();
        assert_eq!(short.field, Field::NewPassword);
        assert_eq!(
            format!("{:?}", ok_password()),
            "AccountPassword(..)",
            "never printed"
        );
    }

    fn ok_password() -> AccountPassword {
        AccountPassword::parse(Field::Password, "ένας καλός κωδικός", USER).unwrap()
    }
}
