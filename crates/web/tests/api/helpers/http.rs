//! HTTP helpers: the JSON API's and the console's requests, and checks of their answers.

use std::fmt::Display;

use reqwest::header::{ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use super::{Admin, PASSWORD, TestApp};

impl TestApp {
    // ---- the JSON API ------------------------------------------------------------------------

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap()
    }

    pub async fn token_for(&self, admin: &Admin) -> String {
        let response = self.login(&admin.username, PASSWORD).await;
        assert_eq!(response.status(), 200, "login of {}", admin.username);
        let body: Value = response.json().await.unwrap();
        assert!(body["expires_at"].is_string(), "{body}");
        body["token"].as_str().expect("a token").to_owned()
    }

    /// A bearer token of the default administrator.
    pub async fn token(&self) -> String {
        self.token_for(&self.admin).await
    }

    pub async fn search(&self, token: &str, query: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .get(self.url("/api/v1/employees"))
            .bearer_auth(token)
            .query(query)
            .send()
            .await
            .unwrap()
    }

    /// A search that must succeed; returns the body.
    pub async fn search_ok(&self, token: &str, query: &[(&str, &str)]) -> Value {
        let response = self.search(token, query).await;
        assert_eq!(response.status(), 200, "search {query:?}");
        response.json().await.unwrap()
    }

    pub async fn card(&self, token: &str, employee_id: impl Display) -> reqwest::Response {
        self.client
            .get(self.url(&format!("/api/v1/employees/{employee_id}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// The employee card, which must be visible; returns the body.
    pub async fn card_ok(&self, token: &str, employee_id: i64) -> Value {
        let response = self.card(token, employee_id).await;
        assert_eq!(response.status(), 200, "card of employee {employee_id}");
        response.json().await.unwrap()
    }

    pub async fn cancel(
        &self,
        token: &str,
        application_id: impl Display,
        body: Option<Value>,
    ) -> reqwest::Response {
        let request = self
            .client
            .post(self.url(&format!("/api/v1/applications/{application_id}/cancel")))
            .bearer_auth(token);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        request.send().await.unwrap()
    }

    pub async fn create_application(&self, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/applications"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The same request in English.
    pub async fn create_application_en(&self, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/applications"))
            .bearer_auth(token)
            .header(ACCEPT_LANGUAGE, "en")
            .json(body)
            .send()
            .await
            .unwrap()
    }

    // ---- the console -------------------------------------------------------------------------

    /// Logs in through the console's form; returns the session cookie's value.
    pub async fn console_login(&self, admin: &Admin) -> String {
        let response = self.console_login_response(admin).await;
        cookie_value(&response, &self.cookie_name("certdesk_session")).expect("a session cookie")
    }

    /// Logs in through the console's form; returns the successful login's answer.
    pub async fn console_login_response(&self, admin: &Admin) -> reqwest::Response {
        let page = self.client.get(self.url("/login")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let csrf_cookie = self.cookie_name("certdesk_login_csrf");
        let login_csrf = cookie_value(&page, &csrf_cookie).expect("a login CSRF cookie");
        let html = page.text().await.unwrap();
        let form_csrf = hidden_csrf(&html);
        assert_eq!(form_csrf, login_csrf, "the form carries the cookie's token");

        let response = self
            .client
            .post(self.url("/login"))
            .header(COOKIE, format!("{csrf_cookie}={login_csrf}"))
            .form(&[
                ("username", admin.username.as_str()),
                ("password", PASSWORD),
                ("csrf", form_csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "a successful login redirects");
        assert_eq!(location(&response), "/employees");
        response
    }

    /// Logs in an account of any role through the console's form: the session cookie and where
    /// the login sent them.
    pub async fn console_login_as(&self, account: &Admin) -> (String, String) {
        let page = self.client.get(self.url("/login")).send().await.unwrap();
        let csrf_cookie = self.cookie_name("certdesk_login_csrf");
        let csrf = cookie_value(&page, &csrf_cookie).expect("a login CSRF cookie");
        let response = self
            .client
            .post(self.url("/login"))
            .header(COOKIE, format!("{csrf_cookie}={csrf}"))
            .form(&[
                ("username", account.username.as_str()),
                ("password", PASSWORD),
                ("csrf", csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "login of {}", account.username);
        let session = cookie_value(&response, &self.cookie_name("certdesk_session"))
            .expect("a session cookie");
        (session, location(&response))
    }

    /// The `Cookie` header of a console session.
    pub fn session_cookie(&self, session: &str) -> String {
        format!("{}={session}", self.cookie_name("certdesk_session"))
    }

    /// The CSRF token of the form on the console page at `path`.
    pub async fn console_csrf(&self, session: &str, path: &str) -> String {
        hidden_csrf(&self.console_get(session, path).await.text().await.unwrap())
    }

    pub async fn console_get(&self, session: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header(COOKIE, self.session_cookie(session))
            .send()
            .await
            .unwrap()
    }

    pub async fn console_post(
        &self,
        session: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header(COOKIE, self.session_cookie(session))
            .form(form)
            .send()
            .await
            .unwrap()
    }
}

/// The value a `Set-Cookie` header of `response` gives cookie `name`.
pub fn cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The whole `Set-Cookie` header of `response` that sets cookie `name` (with its attributes).
pub fn set_cookie_header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.split_once('=').is_some_and(|(k, _)| k.trim() == name))
        .map(str::to_owned)
}

/// A cookie set behind TLS: `__Host-` prefixed, Secure, for the whole site, no Domain.
pub fn assert_host_cookie(response: &reqwest::Response, base: &str) {
    let name = format!("__Host-{base}");
    let header = set_cookie_header(response, &name)
        .unwrap_or_else(|| panic!("a {name} cookie in {:?}", response.headers()));
    let attributes: Vec<&str> = header.split(';').map(str::trim).skip(1).collect();
    for wanted in ["Secure", "Path=/", "HttpOnly"] {
        assert!(attributes.contains(&wanted), "{wanted} in {header}");
    }
    assert!(
        !attributes
            .iter()
            .any(|a| a.to_ascii_lowercase().starts_with("domain")),
        "no Domain in {header}"
    );
    assert!(
        cookie_value(response, base).is_none(),
        "no unprefixed {base}"
    );
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The value of the first hidden input `name="csrf"` of a page.
pub fn hidden_csrf(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).expect("a hidden csrf input") + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_owned()
}

/// Checks an API error: the status, `{"error":{"code","message"}}` with a non-empty message;
/// returns the `error` object.
pub async fn assert_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "status; body: {text}");
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the error body is JSON ({e}): {text}"));
    let error = &body["error"];
    assert_eq!(error["code"], code, "error code; body: {text}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "a non-empty error message; body: {text}"
    );
    error.clone()
}

/// Any 4xx in the API's error format (never a 5xx); returns the status and the `error` object.
pub async fn assert_client_error(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert!(
        (400..500).contains(&status),
        "a 4xx, got {status}; body: {text}"
    );
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the error body is JSON ({e}): {text}"));
    assert!(
        body["error"]["code"]
            .as_str()
            .is_some_and(|c| !c.is_empty()),
        "error.code; body: {text}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "error.message; body: {text}"
    );
    (status, body["error"].clone())
}

/// Whether a text has Greek letters.
pub fn has_greek(s: &str) -> bool {
    s.chars().any(|c| ('\u{0370}'..='\u{03FF}').contains(&c))
}
