//! How often something may be tried before it is paused (SPEC §9: login is rate-limited; so are
//! signing codes and the emails that carry them). One policy per purpose; the store counts the
//! attempts of a [`ThrottleKey`] since [`Policy::window_start`] and the caller asks
//! [`Policy::allows`].

use chrono::{DateTime, Duration, Utc};

/// What is being throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// A ΔΨΠ's password, guessed at the console's or the API's login: one count for both,
    /// since it is the same password either way.
    AdministratorLogin,
    /// Wrong signing passwords or one-time codes of an application in the portal, and wrong
    /// codes at TOTP enrolment.
    SigningCode,
    /// Emails of one-time codes an application asks for.
    CodeSending,
}

impl Purpose {
    pub const ALL: [Purpose; 3] = [
        Purpose::AdministratorLogin,
        Purpose::SigningCode,
        Purpose::CodeSending,
    ];

    /// The prefix of the stored key. None holds ':', so keys of different purposes never
    /// collide (see [`ThrottleKey::storage_key`]).
    pub fn code(self) -> &'static str {
        match self {
            Purpose::AdministratorLogin => "login",
            Purpose::SigningCode => "signing-code",
            Purpose::CodeSending => "code-sending",
        }
    }

    pub fn policy(self) -> Policy {
        // The same numbers for all three today; kept apart so each can change on its own.
        match self {
            Purpose::AdministratorLogin | Purpose::SigningCode | Purpose::CodeSending => Policy {
                max_attempts: 5,
                window: Duration::minutes(15),
            },
        }
    }
}

/// At most `max_attempts` within any `window`; after it, attempts are allowed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub max_attempts: u64,
    pub window: Duration,
}

impl Policy {
    /// The start of the window that counts at `now`.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.window
    }

    /// Whether one more attempt may be made, given those counted since [`Policy::window_start`].
    pub fn allows(&self, attempts_in_window: u64) -> bool {
        attempts_in_window < self.max_attempts
    }
}

/// What attempts are counted against: a purpose and its subject (a username, an application).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThrottleKey {
    purpose: Purpose,
    subject: String,
}

impl ThrottleKey {
    /// Logins with `username` (spaces around it do not make another account).
    pub fn administrator_login(username: &str) -> ThrottleKey {
        ThrottleKey {
            purpose: Purpose::AdministratorLogin,
            subject: username.trim().to_owned(),
        }
    }

    pub fn signing_code(application_id: i64) -> ThrottleKey {
        ThrottleKey {
            purpose: Purpose::SigningCode,
            subject: application_id.to_string(),
        }
    }

    pub fn code_sending(application_id: i64) -> ThrottleKey {
        ThrottleKey {
            purpose: Purpose::CodeSending,
            subject: application_id.to_string(),
        }
    }

    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    pub fn policy(&self) -> Policy {
        self.purpose.policy()
    }

    /// The key the store counts under: "{purpose code}:{subject}". The purpose code contains no
    /// ':', so the first ':' ends it and a username cannot pass for another purpose's key.
    pub fn storage_key(&self) -> String {
        format!("{}:{}", self.purpose.code(), self.subject)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn five_attempts_in_fifteen_minutes_for_every_purpose() {
        for purpose in Purpose::ALL {
            let policy = purpose.policy();
            assert_eq!(policy.max_attempts, 5, "{purpose:?}");
            assert_eq!(policy.window, Duration::minutes(15), "{purpose:?}");
        }
    }

    #[test]
    fn the_sixth_attempt_in_the_window_is_refused() {
        let policy = Purpose::AdministratorLogin.policy();
        assert!(policy.allows(0));
        assert!(policy.allows(4));
        assert!(!policy.allows(5));
        assert!(!policy.allows(u64::MAX));
    }

    #[test]
    fn the_window_ends_now_and_reaches_back_its_length() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap();
        assert_eq!(
            Purpose::SigningCode.policy().window_start(now),
            Utc.with_ymd_and_hms(2026, 3, 2, 9, 15, 0).unwrap()
        );
    }

    #[test]
    fn keys_name_their_purpose_and_subject() {
        assert_eq!(
            ThrottleKey::administrator_login("  mgeorgiou ").storage_key(),
            "login:mgeorgiou"
        );
        assert_eq!(
            ThrottleKey::signing_code(42).storage_key(),
            "signing-code:42"
        );
        assert_eq!(
            ThrottleKey::code_sending(42).storage_key(),
            "code-sending:42"
        );
        let key = ThrottleKey::code_sending(7);
        assert_eq!(key.purpose(), Purpose::CodeSending);
        assert_eq!(key.policy(), Purpose::CodeSending.policy());
        assert_eq!(
            ThrottleKey::administrator_login(" a "),
            ThrottleKey::administrator_login("a")
        );
    }

    /// Usernames that look like other keys, or hold ':', are the interesting ones.
    fn any_username() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-z:-]{0,12}",
            (
                proptest::sample::select(vec!["signing-code", "code-sending", "login"]),
                any::<i64>()
            )
                .prop_map(|(code, n)| format!("{code}:{n}")),
            any::<i64>().prop_map(|n| n.to_string()),
        ]
    }

    fn any_key() -> impl Strategy<Value = ThrottleKey> {
        prop_oneof![
            any_username().prop_map(|u| ThrottleKey::administrator_login(&u)),
            any::<i64>().prop_map(ThrottleKey::signing_code),
            any::<i64>().prop_map(ThrottleKey::code_sending),
            // Small ids, so that equal keys come up too.
            (0i64..3).prop_map(ThrottleKey::signing_code),
            (0i64..3).prop_map(ThrottleKey::code_sending),
            proptest::sample::select(vec!["0", "1", " 1 ", "login:1"])
                .prop_map(ThrottleKey::administrator_login),
        ]
    }

    proptest! {
        #[test]
        fn storage_keys_are_equal_exactly_when_the_keys_are(a in any_key(), b in any_key()) {
            prop_assert_eq!(a.storage_key() == b.storage_key(), a == b, "{:?} {:?}", a, b);
        }

        #[test]
        fn a_username_never_makes_the_key_of_an_application(username in any_username(), id in any::<i64>()) {
            let login = ThrottleKey::administrator_login(&username).storage_key();
            prop_assert_ne!(&login, &ThrottleKey::signing_code(id).storage_key());
            prop_assert_ne!(&login, &ThrottleKey::code_sending(id).storage_key());
        }
    }
}
