//! A ΔΨΠ's account (SPEC §9, issue 10): the first login's password change and TOTP enrolment,
//! logins with a second factor over the API and the console, the demo's relaxation, and
//! sessions (rotation, idle timeout, logging out everywhere, revoking a token).

mod api_login;
mod console_setup;
mod demo_notice;
mod other_roles;
mod sessions;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use certdesk_app::Clock;
use certdesk_domain::otp::{TotpSecret, step_at};
use chrono::{DateTime, Duration, Utc};
use reqwest::header::COOKIE;
use serde_json::json;

use crate::helpers::*;

/// A clock that stands still until the test moves it forward: a test that computes a TOTP
/// code must not see the time step change under it (a loaded machine crosses a 30 s boundary
/// between two requests sometimes).
#[derive(Clone)]
pub struct MovingClock {
    start: DateTime<Utc>,
    offset: Arc<AtomicI64>,
}

impl Default for MovingClock {
    fn default() -> MovingClock {
        MovingClock {
            start: Utc::now(),
            offset: Arc::default(),
        }
    }
}

impl MovingClock {
    pub fn clock(&self) -> Clock {
        let (start, offset) = (self.start, self.offset.clone());
        Clock::fixed(move || start + Duration::seconds(offset.load(Ordering::SeqCst)))
    }

    pub fn advance(&self, by: Duration) {
        self.offset.fetch_add(by.num_seconds(), Ordering::SeqCst);
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.start + Duration::seconds(self.offset.load(Ordering::SeqCst))
    }
}

/// A new password that satisfies the policy.
pub const NEW_PASSWORD: &str = "Νέος ισχυρός κωδικός 2025";

/// The text of element `id` (up to the next tag).
pub fn element_text(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let open = start + html[start..].find('>')? + 1;
    let end = open + html[open..].find('<')?;
    Some(html[open..end].trim().to_owned())
}

/// The recovery codes a page lists.
pub fn recovery_codes(html: &str) -> Vec<String> {
    let list = &html[html.find("id=\"recovery-codes\"").expect("the list")..];
    let list = &list[..list.find("</ul>").unwrap()];
    list.split("<code>")
        .skip(1)
        .map(|part| part[..part.find("</code>").unwrap()].to_owned())
        .collect()
}

/// What a fresh account went through to be ready: its secret and recovery codes.
pub struct Enrolled {
    pub secret: TotpSecret,
    pub recovery_codes: Vec<String>,
    /// The console session that did the setup.
    pub session: String,
}

impl TestApp {
    pub async fn api_login_with_otp(
        &self,
        username: &str,
        password: &str,
        otp: &str,
    ) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({ "username": username, "password": password, "otp": otp }))
            .send()
            .await
            .unwrap()
    }

    /// The console's login form submitted as a browser would, sending `earlier_session` as its
    /// session cookie if given.
    pub async fn console_login_form(
        &self,
        username: &str,
        password: &str,
        otp: &str,
        earlier_session: Option<&str>,
    ) -> reqwest::Response {
        let page = self.client.get(self.url("/login")).send().await.unwrap();
        let csrf_cookie = self.cookie_name("certdesk_login_csrf");
        let login_csrf = cookie_value(&page, &csrf_cookie).expect("a login CSRF cookie");
        let html = page.text().await.unwrap();
        let mut cookies = format!("{csrf_cookie}={login_csrf}");
        if let Some(session) = earlier_session {
            cookies.push_str(&format!("; {}", self.session_cookie(session)));
        }
        self.client
            .post(self.url("/login"))
            .header(COOKIE, cookies)
            .form(&[
                ("username", username),
                ("password", password),
                ("otp", otp),
                ("csrf", hidden_csrf(&html).as_str()),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Logs a new account in and goes through its setup in the console: the password becomes
    /// [`NEW_PASSWORD`], and a TOTP app is enrolled with a code at `now`.
    pub async fn set_up_account(&self, admin: &Admin, now: DateTime<Utc>) -> Enrolled {
        let response = self
            .console_login_form(&admin.username, PASSWORD, "", None)
            .await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/account/password");
        let session = cookie_value(&response, &self.cookie_name("certdesk_session")).unwrap();
        let csrf = self.console_csrf(&session, "/account/password").await;
        let changed = self
            .console_post(
                &session,
                "/account/password",
                &[
                    ("csrf", &csrf),
                    ("current_password", PASSWORD),
                    ("new_password", NEW_PASSWORD),
                    ("new_password_confirm", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(changed.status(), 200);
        let html = changed.text().await.unwrap();
        assert!(
            html.contains("Η αλλαγή κωδικού πραγματοποιήθηκε με επιτυχία"),
            "{html}"
        );
        let page = self.console_get(&session, "/account/totp").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        let secret = TotpSecret::from_base32(&element_text(&html, "totp-secret").unwrap())
            .expect("the page shows the key in base32");
        let code = secret.code_at(step_at(now));
        let csrf = hidden_csrf(&html);
        let confirmed = self
            .console_post(
                &session,
                "/account/totp",
                &[("csrf", &csrf), ("code", &code)],
            )
            .await;
        assert_eq!(confirmed.status(), 200);
        let recovery_codes = recovery_codes(&confirmed.text().await.unwrap());
        Enrolled {
            secret,
            recovery_codes,
            session,
        }
    }
}
