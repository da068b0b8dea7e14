//! How often something may be tried before it is paused (SPEC §9: login is rate-limited; so are
//! signing codes and the emails that carry them). One policy per purpose. An attempt is *taken*
//! from the store's counter of its [`ThrottleKey`] before the attempt is made, in one atomic
//! statement that answers how many were taken in the current window, and the caller asks
//! [`Policy::admits`]: so concurrent guesses cannot all slip in while the count is low.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

/// What is being throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// A ΔΨΠ's password, guessed at the console's or the API's login: one count for both,
    /// since it is the same password either way.
    AdministratorLogin,
    /// Failed logins from one client address, whatever the username: a guesser who tries many
    /// accounts from one place is paused too, and learns nothing of which accounts exist.
    LoginFromAddress,
    /// Wrong signing passwords or one-time codes of an application in the portal, and wrong
    /// codes at TOTP enrolment.
    SigningCode,
    /// Emails of one-time codes an application asks for.
    CodeSending,
    /// Wrong codes typed to prove the application's email (issue 10).
    EmailProofCode,
}

impl Purpose {
    pub const ALL: [Purpose; 5] = [
        Purpose::AdministratorLogin,
        Purpose::LoginFromAddress,
        Purpose::SigningCode,
        Purpose::CodeSending,
        Purpose::EmailProofCode,
    ];

    /// The prefix of the stored key. None holds ':', so keys of different purposes never
    /// collide (see [`ThrottleKey::storage_key`]).
    pub fn code(self) -> &'static str {
        match self {
            Purpose::AdministratorLogin => "login",
            Purpose::LoginFromAddress => "login-from",
            Purpose::SigningCode => "signing-code",
            Purpose::CodeSending => "code-sending",
            Purpose::EmailProofCode => "email-proof-code",
        }
    }

    pub fn policy(self) -> Policy {
        // The same numbers for the per-subject purposes today; kept apart so each can
        // change on its own. An address is shared by an office behind one NAT: six times more.
        match self {
            Purpose::AdministratorLogin
            | Purpose::SigningCode
            | Purpose::CodeSending
            | Purpose::EmailProofCode => Policy {
                max_attempts: 5,
                window: Duration::minutes(15),
            },
            Purpose::LoginFromAddress => Policy {
                max_attempts: 30,
                window: Duration::minutes(15),
            },
        }
    }
}

/// Counters whose window opened before this have closed, whatever their purpose: the worker
/// deletes them, so that the table holds only what may still pause someone.
pub fn stale_before(now: DateTime<Utc>) -> DateTime<Utc> {
    let longest = Purpose::ALL
        .iter()
        .map(|p| p.policy().window)
        .max()
        .unwrap_or_default();
    now - longest
}

/// At most `max_attempts` within a `window` that opens at the first attempt counted; once it has
/// passed, the count starts again.
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

    /// Whether an attempt may go on, given how many the window holds with it (the answer of
    /// the store's atomic take: 1 for the first).
    pub fn admits(&self, taken_in_window: u64) -> bool {
        taken_in_window <= self.max_attempts
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

    /// Logins from a client address. IPv6 clients are counted by their /64: one host holds a
    /// whole prefix and could otherwise take a new address for every guess.
    pub fn login_from_address(address: IpAddr) -> ThrottleKey {
        let subject = match address {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        };
        ThrottleKey {
            purpose: Purpose::LoginFromAddress,
            subject,
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

    pub fn email_proof_code(application_id: i64) -> ThrottleKey {
        ThrottleKey {
            purpose: Purpose::EmailProofCode,
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
    fn five_attempts_in_fifteen_minutes_per_subject_thirty_per_address() {
        for purpose in Purpose::ALL {
            let policy = purpose.policy();
            let expected = if purpose == Purpose::LoginFromAddress {
                30
            } else {
                5
            };
            assert_eq!(policy.max_attempts, expected, "{purpose:?}");
            assert_eq!(policy.window, Duration::minutes(15), "{purpose:?}");
        }
    }

    #[test]
    fn the_sixth_attempt_in_the_window_is_refused() {
        let policy = Purpose::AdministratorLogin.policy();
        assert!(policy.admits(1));
        assert!(policy.admits(5));
        assert!(!policy.admits(6));
        assert!(!policy.admits(u64::MAX));
    }

    #[test]
    fn counters_are_stale_once_the_longest_window_has_passed() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap();
        assert_eq!(stale_before(now), now - Duration::minutes(15));
    }

    #[test]
    fn addresses_are_counted_per_host_and_ipv6_per_prefix() {
        let key = |s: &str| ThrottleKey::login_from_address(s.parse().unwrap()).storage_key();
        assert_eq!(key("192.0.2.7"), "login-from:192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "login-from:192.0.2.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "login-from:2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
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
                proptest::sample::select(vec![
                    "signing-code",
                    "code-sending",
                    "email-proof-code",
                    "login",
                    "login-from"
                ]),
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
            any::<i64>().prop_map(ThrottleKey::email_proof_code),
            any::<[u8; 4]>().prop_map(|b| ThrottleKey::login_from_address(IpAddr::from(b))),
            any::<[u8; 16]>().prop_map(|b| ThrottleKey::login_from_address(IpAddr::from(b))),
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
            prop_assert_ne!(&login, &ThrottleKey::email_proof_code(id).storage_key());
        }

        #[test]
        fn a_username_never_makes_the_key_of_an_address(username in any_username(), ip in any::<[u8; 4]>()) {
            let login = ThrottleKey::administrator_login(&username).storage_key();
            prop_assert_ne!(login, ThrottleKey::login_from_address(IpAddr::from(ip)).storage_key());
        }
    }
}
