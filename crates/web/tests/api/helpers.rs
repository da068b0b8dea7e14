//! The test harness: a real server on a random port over a fresh database of the store under test
//! (`CERTDESK_TEST_STORE`, see `backend.rs`), and fixtures that go through the store and the domain
//! directly (fast, no HTTP).

use std::fmt::Display;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};

use certdesk_domain::certificate::CertificateIssuer;
use certdesk_domain::transition::{RevocationCategory, decide, start};
use certdesk_domain::validation::{Reason, Username, afm_with_check_digit};
use certdesk_domain::{Actor, Command, HistoryEntry, Status};
use certdesk_store::credentials::hash_password;
use certdesk_store::{
    ApplicationContact, ApplicationRecord, NewAdministrator, NewEmployee, Scope, Store,
};
use certdesk_web::AppState;
use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use crate::backend::{TestDatabase, backend};

/// The password of every test administrator.
pub const PASSWORD: &str = "Σωστός κωδικός 2024!";

/// Argon2 is slow in debug builds: hash the one password once for the whole test binary.
static PASSWORD_HASH: LazyLock<String> = LazyLock::new(|| hash_password(PASSWORD));

/// One CA for the whole test binary (its KEK in [`TEST_KEK_HEX`]), as `certdesk ca init` makes.
static TEST_CA: LazyLock<(Arc<certdesk_ca::CaIssuer>, certdesk_store::AuthorityRecord)> =
    LazyLock::new(|| {
        let kek = certdesk_ca::KeyEncryptionKey::from_hex(TEST_KEK_HEX).unwrap();
        let sealed = certdesk_ca::authority::create(
            &certdesk_ca::CaSettings::new("http://pki.certdesk.gr"),
            &kek,
            Utc::now(),
        )
        .unwrap();
        let record = certdesk_store::AuthorityRecord {
            algorithm: sealed.algorithm.code().to_owned(),
            public_url: sealed.public_url.clone(),
            root_der: sealed.root_der.clone(),
            issuing_der: sealed.issuing_der.clone(),
            sealed_root_key: sealed.sealed_root_key.clone(),
            sealed_issuing_key: sealed.sealed_issuing_key.clone(),
            kek_fingerprint: sealed.kek_fingerprint.clone(),
            created_at: sealed.created_at,
        };
        let authority = certdesk_ca::Authority::open(sealed, &kek).unwrap();
        let issuer = certdesk_ca::CaIssuer {
            authority,
            kek,
            validity: certdesk_ca::DEFAULT_VALIDITY,
        };
        (Arc::new(issuer), record)
    });

pub const TEST_KEK_HEX: &str = "6b65792d656e6372797074696f6e2d6b65792d666f722d7465737473212121ab";

/// The test CA, as the issuance job sees it.
pub fn test_ca() -> Arc<certdesk_ca::CaIssuer> {
    TEST_CA.0.clone()
}

/// The test CA as stored (spawn_app stores it in every test database).
pub fn test_ca_record() -> certdesk_store::AuthorityRecord {
    TEST_CA.1.clone()
}

/// ΑΦΜs unique within the binary (hence within every test's database).
static NEXT_AFM: AtomicU32 = AtomicU32::new(10_000_000);

pub fn next_afm() -> String {
    afm_with_check_digit(&format!("{:08}", NEXT_AFM.fetch_add(1, Ordering::Relaxed)))
}

/// A valid-looking ΑΦΜ whose check digit is wrong.
pub fn afm_with_wrong_check_digit() -> String {
    let mut afm = next_afm();
    let last = afm.pop().unwrap().to_digit(10).unwrap();
    afm.push(char::from_digit((last + 1) % 10, 10).unwrap());
    afm
}

/// The five states of SPEC §2 from which a ΔΨΠ may cancel.
pub const PENDING: [Status; 5] = [
    Status::AwaitingDataCheck,
    Status::AwaitingApproval,
    Status::AwaitingIdentification,
    Status::AwaitingSignature,
    Status::AwaitingIssuance,
];

pub const REJECTED_EL: &str = "Απορρίφθηκε η αίτηση έκδοσης του πιστοποιητικού";

pub fn cancelled_description(admin_full_name: &str) -> String {
    format!("Η έκδοση του πιστοποιητικού ακυρώθηκε από τον χρήστη {admin_full_name}")
}

#[derive(Debug, Clone)]
pub struct Admin {
    pub id: i64,
    pub username: String,
    pub full_name: String,
}

impl Admin {
    pub fn actor(&self) -> Actor {
        Actor::administrator(self.id, self.full_name.clone())
    }
}

#[derive(Debug, Clone)]
pub struct Employee {
    pub id: i64,
    pub afm: String,
    pub surname: String,
    pub given_name: String,
    pub email: String,
}

pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    pub store: Arc<dyn Store>,
    /// Follows no redirects, so that tests see the 303s themselves.
    pub client: reqwest::Client,
    /// The organisation of `admin`.
    pub org_id: i64,
    pub admin: Admin,
    /// The test's own database (a SQLite file, or a PostgreSQL database dropped with the app).
    pub database: TestDatabase,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// As `spawn_app`, with the application's state adjusted first (e.g. a registry connector).
pub async fn spawn_app_with(configure: impl FnOnce(&mut AppState)) -> TestApp {
    spawn_app_with_store_options(|_| {}, configure).await
}

/// As `spawn_app_with`, with the store's options adjusted too (e.g. an issuance delay).
pub async fn spawn_app_with_store_options(
    store_options: impl FnOnce(&mut certdesk_store::StoreOptions),
    configure: impl FnOnce(&mut AppState),
) -> TestApp {
    let database = TestDatabase::create().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a random port");
    let address = format!("http://{}", listener.local_addr().unwrap());
    // As `certdesk serve` does: the emails link to this server's portal.
    let mut options = certdesk_store::StoreOptions {
        portal_url: Some(format!("{address}/portal")),
        ..Default::default()
    };
    store_options(&mut options);
    let store = certdesk_store::connect_with(database.url(), options)
        .await
        .unwrap_or_else(|e| panic!("open the {:?} store: {e}", backend()));
    store.save_authority(&test_ca_record()).await.unwrap();
    let mut state = AppState::new(store.clone());
    state.config.public_url = Some(address.clone());
    state.ca = Some(test_ca());
    configure(&mut state);
    let router = certdesk_web::app(state);
    tokio::spawn(async move {
        axum::serve(listener, router)
            .await
            .expect("the server runs");
    });

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let org = store
        .create_organisation("MINDIGITAL", "Υπουργείο Ψηφιακής Διακυβέρνησης", Utc::now())
        .await
        .unwrap();
    let mut app = TestApp {
        address,
        store,
        client,
        org_id: org.id,
        admin: Admin {
            id: 0,
            username: String::new(),
            full_name: String::new(),
        },
        database,
    };
    app.admin = app
        .add_admin(org.id, "dpp@mindigital.gr", "Μαρία Κωνσταντίνου")
        .await;
    app
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    // ---- fixtures through the store ---------------------------------------------------------

    pub async fn add_admin(&self, organisation_id: i64, username: &str, full_name: &str) -> Admin {
        let id = self
            .store
            .create_administrator(
                &NewAdministrator {
                    username: username.to_owned(),
                    full_name: full_name.to_owned(),
                    password_hash: PASSWORD_HASH.clone(),
                    organisation_ids: vec![organisation_id],
                },
                Utc::now(),
            )
            .await
            .expect("create an administrator");
        Admin {
            id,
            username: username.to_owned(),
            full_name: full_name.to_owned(),
        }
    }

    /// Another organisation with its own ΔΨΠ.
    pub async fn add_organisation_with_admin(&self, code: &str) -> (i64, Admin) {
        let org = self
            .store
            .create_organisation(code, &format!("Φορέας {code}"), Utc::now())
            .await
            .unwrap();
        let admin = self
            .add_admin(
                org.id,
                &format!("dpp@{}.gr", code.to_lowercase()),
                "Γεώργιος Αλεξίου",
            )
            .await;
        (org.id, admin)
    }

    pub async fn add_employee_to(
        &self,
        organisation_id: i64,
        surname: &str,
        given_name: &str,
        unit: &str,
    ) -> Employee {
        let afm = next_afm();
        let email = format!("u{afm}@example.gr");
        let ids = self
            .store
            .insert_employees(
                organisation_id,
                &[NewEmployee {
                    afm: afm.clone(),
                    surname: surname.to_owned(),
                    given_name: given_name.to_owned(),
                    father_name: "Ιωάννης".to_owned(),
                    id_card: None,
                    birth_date: None,
                    email: Some(email.clone()),
                    mobile: None,
                    unit: unit.to_owned(),
                    position: "Υπάλληλος".to_owned(),
                }],
                Utc::now(),
            )
            .await
            .expect("insert an employee");
        Employee {
            id: ids[0],
            afm,
            surname: surname.to_owned(),
            given_name: given_name.to_owned(),
            email,
        }
    }

    /// An employee of the default organisation.
    pub async fn add_employee(&self, surname: &str, given_name: &str) -> Employee {
        self.add_employee_to(self.org_id, surname, given_name, "Τμήμα Πληροφορικής")
            .await
    }

    /// Starts an application for `employee` and drives it, through the domain's rules, to
    /// `target` (any state of SPEC §2). Returns the application id.
    pub async fn drive_application(&self, employee: &Employee, target: Status) -> i64 {
        self.drive_application_at(employee, target, Utc::now())
            .await
    }

    /// As `drive_application`, with every step of the history at `now` (a past time makes an
    /// application that has been idle since then).
    pub async fn drive_application_at(
        &self,
        employee: &Employee,
        target: Status,
        now: DateTime<Utc>,
    ) -> i64 {
        let admin = self.admin.actor();
        let beneficiary = Actor::beneficiary(
            employee.id,
            format!("{} {}", employee.given_name, employee.surname),
        );
        let first = start(0, &admin, now).unwrap();
        let contact = ApplicationContact {
            email: employee.email.clone(),
            mobile: None,
        };
        let id = self
            .store
            .create_application(employee.id, &contact, &first)
            .await
            .expect("create an application");

        let (reach, last) = match target {
            Status::Rejected => (
                Status::AwaitingApproval,
                Some((
                    Command::Reject {
                        reason: Reason::parse_required(Some("Δεν χρειάζεται υπογραφή")).unwrap(),
                    },
                    admin.clone(),
                )),
            ),
            Status::Revoked => (
                Status::Issued,
                Some((
                    Command::Revoke {
                        category: RevocationCategory::EmployeeRequest,
                        description: None,
                    },
                    admin.clone(),
                )),
            ),
            Status::Expired => (
                Status::Issued,
                Some((
                    Command::ExpireCertificate {
                        not_after: DateTime::<Utc>::MIN_UTC,
                    },
                    Actor::system(),
                )),
            ),
            other => (other, None),
        };
        let line = [
            Status::AwaitingDataCheck,
            Status::AwaitingApproval,
            Status::AwaitingIdentification,
            Status::AwaitingSignature,
            Status::AwaitingIssuance,
            Status::Issued,
        ];
        let reach_index = line.iter().position(|s| *s == reach).unwrap();
        let mut path: Vec<(Command, Actor)> = line[1..=reach_index]
            .iter()
            .map(|step| match step {
                Status::AwaitingApproval => (Command::ConfirmData, beneficiary.clone()),
                Status::AwaitingIdentification => (Command::Approve, admin.clone()),
                Status::AwaitingSignature => (
                    Command::CompleteIdentification {
                        username: Username::parse(&format!("benef{id}")).unwrap(),
                        credentials: certdesk_domain::otp::SigningCredentials {
                            password_hash: PASSWORD_HASH.clone(),
                            otp: certdesk_domain::otp::OtpChannel::Email,
                        },
                    },
                    beneficiary.clone(),
                ),
                Status::AwaitingIssuance => (Command::Sign, beneficiary.clone()),
                _ => (
                    Command::Issue {
                        certificate: test_ca()
                            .issue(
                                &certdesk_domain::certificate::CertificateSubject {
                                    application_id: id,
                                    given_name: employee.given_name.clone(),
                                    surname: employee.surname.clone(),
                                    afm: employee.afm.clone(),
                                    organisation: "Υπουργείο Ψηφιακής Διακυβέρνησης".to_owned(),
                                    unit: "Τμήμα Πληροφορικής".to_owned(),
                                    email: employee.email.clone(),
                                },
                                now,
                            )
                            .unwrap(),
                    },
                    Actor::system(),
                ),
            })
            .collect();
        path.extend(last);
        for (command, actor) in path {
            let application = self.application(id).await;
            let transition = decide(&application.as_domain(), &command, &actor, now).unwrap();
            self.store.commit_transition(&transition).await.unwrap();
        }
        assert_eq!(self.application(id).await.status, target);
        id
    }

    /// A new employee of the default organisation whose application is in `target`.
    pub async fn application_in(&self, target: Status) -> (Employee, i64) {
        self.application_in_at(target, Utc::now()).await
    }

    /// As `application_in`, the whole history at `now`.
    pub async fn application_in_at(&self, target: Status, now: DateTime<Utc>) -> (Employee, i64) {
        let n = NEXT_AFM.load(Ordering::Relaxed);
        let employee = self
            .add_employee(&format!("Δοκιμ{}", to_greek_letters(n)), "Πέτρος")
            .await;
        let id = self.drive_application_at(&employee, target, now).await;
        (employee, id)
    }

    pub async fn application(&self, id: i64) -> ApplicationRecord {
        self.store
            .application(&Scope::Everything, id)
            .await
            .unwrap()
            .expect("the application exists")
    }

    pub async fn history(&self, id: i64) -> Vec<HistoryEntry> {
        self.store.history(id).await.unwrap()
    }

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
        let page = self.client.get(self.url("/login")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let login_csrf = cookie_value(&page, "certdesk_login_csrf").expect("a login CSRF cookie");
        let html = page.text().await.unwrap();
        let form_csrf = hidden_csrf(&html);
        assert_eq!(form_csrf, login_csrf, "the form carries the cookie's token");

        let response = self
            .client
            .post(self.url("/login"))
            .header(COOKIE, format!("certdesk_login_csrf={login_csrf}"))
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
        cookie_value(&response, "certdesk_session").expect("a session cookie")
    }

    /// The CSRF token of the form on the console page at `path`.
    pub async fn console_csrf(&self, session: &str, path: &str) -> String {
        hidden_csrf(&self.console_get(session, path).await.text().await.unwrap())
    }

    pub async fn console_get(&self, session: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header(COOKIE, format!("certdesk_session={session}"))
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
            .header(COOKIE, format!("certdesk_session={session}"))
            .form(form)
            .send()
            .await
            .unwrap()
    }
}

/// Spells a number in Greek letters, so that generated surnames are distinct words.
fn to_greek_letters(mut n: u32) -> String {
    const LETTERS: [char; 10] = ['α', 'β', 'γ', 'δ', 'ε', 'ζ', 'η', 'θ', 'κ', 'λ'];
    let mut out = Vec::new();
    loop {
        out.push(LETTERS[(n % 10) as usize]);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.iter().rev().collect()
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
