//! The beneficiary's portal over HTTP: the login through a real local registry (OAuth2 code flow,
//! driven the way a browser does it), the data check, identification against the Police record,
//! username, signing password, TOTP or email codes, signing; and its bad input.

mod document_timestamps;
mod documents;
mod email_proof;
mod enrolment;
mod holder;
mod identification;
mod journey;
mod login;
mod otp_sync;
mod pkce;
mod revocation_request;
mod signatures;
mod signing;
mod signing_password;
mod verified_names;

use std::sync::Arc;

use certdesk_domain::Status;
use certdesk_domain::employee::EmployeeInput;
use certdesk_domain::otp::{TotpSecret, step_at};
use certdesk_domain::validation::Afm;
use chrono::Utc;
use reqwest::header::{CACHE_CONTROL, COOKIE};
use serde_json::json;

use crate::helpers::*;

const PEOPLE_HEADER: &str = "afm,surname,given_name,father_name,birth_date,id_card,police_surname,police_given_name,police_father_name,police_birth_date";
const SIGNING_PASSWORD: &str = "υπογραφή-2026!";

/// A person of the registries' file, and the same person as an employee of the test organisation.
pub(crate) struct Person {
    pub(crate) afm: String,
    pub(crate) employee_id: i64,
    pub(crate) email: String,
}

/// A running local registry (tax and Police) with `lines` of people.
async fn local_registry(lines: &str) -> String {
    let people =
        certdesk_registry::local::People::from_csv(format!("{PEOPLE_HEADER}\n{lines}").as_bytes())
            .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(certdesk_registry::local::serve(
        listener, people, "certdesk", "secret",
    ));
    address
}

fn connectors(
    address: &str,
) -> (
    Arc<dyn certdesk_registry::TaxRegistry>,
    Arc<dyn certdesk_registry::PoliceRegistry>,
) {
    let config = certdesk_registry::RegistryConfig::new(address, "certdesk", "secret");
    (
        Arc::new(certdesk_registry::HttpTaxRegistry::new(&config).unwrap()),
        Arc::new(certdesk_registry::HttpPoliceRegistry::new(&config).unwrap()),
    )
}

/// An app whose registries know one person (`police` overrides the Police columns), and that
/// person as an employee with an application started by the ΔΨΠ through the API.
async fn portal_app_with(police: &str, police_address: Option<String>) -> (TestApp, Person) {
    portal_app_serving(police, police_address, Serving::default()).await
}

/// As `portal_app_with`, served with another web configuration (e.g. as behind TLS).
async fn portal_app_serving(
    police: &str,
    police_address: Option<String>,
    serving: Serving,
) -> (TestApp, Person) {
    portal_app_with_hr(police, police_address, serving, DEFAULT_HR).await
}

/// The HR record's names of the portal's person (surname, given name, father's name): the tax
/// registry's, in capitals without accents.
const DEFAULT_HR: (&str, &str, &str) = ("ΚΑΡΑΓΙΑΝΝΗ", "ΕΛΕΝΗ", "ΔΗΜΗΤΡΙΟΣ");

/// As `portal_app_serving`, with the HR record naming the person `hr`.
async fn portal_app_with_hr(
    police: &str,
    police_address: Option<String>,
    serving: Serving,
    hr: (&str, &str, &str),
) -> (TestApp, Person) {
    let afm = next_afm();
    let registry = local_registry(&format!(
        "{afm},Καραγιάννη,Ελένη,Δημήτριος,1988-06-15,ΑΚ123456,{police}\n"
    ))
    .await;
    let (tax, police_registry) = connectors(&registry);
    let police_registry = match police_address {
        Some(address) => connectors(&address).1,
        None => police_registry,
    };
    let app = spawn_app_serving(
        serving,
        |_| {},
        move |app| {
            app.registries.tax = Some(tax);
            app.registries.police = Some(police_registry);
        },
    )
    .await;
    let record = EmployeeInput {
        afm: &afm,
        surname: hr.0,
        given_name: hr.1,
        father_name: hr.2,
        id_card: "ΑΚ123456",
        birth_date: "1988-06-15",
        unit: "Τμήμα Α",
        ..Default::default()
    }
    .validate()
    .unwrap();
    let ids = app
        .store
        .insert_employees(app.org_id, &[record], Utc::now())
        .await
        .unwrap();
    let email = format!("e.karagianni.{afm}@example.gr");
    let token = app.token().await;
    let created = app
        .create_application(&token, &json!({"afm": afm, "email": email}))
        .await;
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    let person = Person {
        afm,
        employee_id: ids[0],
        email,
    };
    (app, person)
}

pub(crate) async fn portal_app() -> (TestApp, Person) {
    portal_app_with(",,,", None).await
}

/// The registry's login as a browser does it; returns the portal session cookie's value.
pub(crate) async fn portal_login(app: &TestApp, afm: &str) -> String {
    let response = portal_login_response(app, afm).await;
    cookie_value(&response, &app.cookie_name("certdesk_portal")).expect("a portal session cookie")
}

/// The registry's login as a browser does it; returns certdesk's answer to the callback.
async fn portal_login_response(app: &TestApp, afm: &str) -> reqwest::Response {
    let (callback, state_cookie) = login_until_callback(app, afm).await;
    let response = app
        .client
        .get(&callback)
        .header(
            COOKIE,
            format!(
                "{}={state_cookie}",
                app.cookie_name("certdesk_portal_state")
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    assert_eq!(location(&response), "/portal");
    response
}

/// Up to the registry's redirect back to certdesk: the callback URL and the state cookie.
async fn login_until_callback(app: &TestApp, afm: &str) -> (String, String) {
    let start = app
        .client
        .get(app.url("/portal/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 303);
    let authorize = location(&start);
    let state_cookie =
        cookie_value(&start, &app.cookie_name("certdesk_portal_state")).expect("a state cookie");
    let url = reqwest::Url::parse(&authorize).unwrap();
    let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["redirect_uri"], app.url("/portal/callback"));
    let form_url = url.join("authorize").unwrap();
    let login = app
        .client
        .post(form_url)
        .form(&[
            ("client_id", query["client_id"].as_str()),
            ("redirect_uri", query["redirect_uri"].as_str()),
            ("state", query["state"].as_str()),
            ("code_challenge", query["code_challenge"].as_str()),
            (
                "code_challenge_method",
                query["code_challenge_method"].as_str(),
            ),
            ("afm", afm),
            ("password", "οποιοσδήποτε"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    (location(&login), state_cookie)
}

async fn portal_get(app: &TestApp, session: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header(COOKIE, portal_cookie(app, session))
        .send()
        .await
        .unwrap()
}

/// The `Cookie` header of a portal session.
fn portal_cookie(app: &TestApp, session: &str) -> String {
    format!("{}={session}", app.cookie_name("certdesk_portal"))
}

pub(crate) async fn portal_page(app: &TestApp, session: &str) -> String {
    let response = portal_get(app, session, "/portal").await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// Posts a portal form with the page's CSRF token.
async fn portal_post(
    app: &TestApp,
    session: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = hidden_csrf(&portal_page(app, session).await);
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    form.extend_from_slice(fields);
    app.client
        .post(app.url(path))
        .header(COOKIE, portal_cookie(app, session))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The text of the element with this id (the first text node after its opening tag).
fn text_of(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("#{id} in {html}"));
    let open_end = start + html[start..].find('>').unwrap() + 1;
    let close = open_end + html[open_end..].find('<').unwrap();
    html[open_end..close].trim().to_owned()
}

async fn status_of(app: &TestApp, person: &Person) -> Status {
    let id = application_id(app, person).await;
    app.application(id).await.status
}

/// The application the portal shows the person: their latest.
async fn application_id(app: &TestApp, person: &Person) -> i64 {
    app.store
        .latest_application_of(&Afm::parse(&person.afm).unwrap())
        .await
        .unwrap()
        .expect("the person has an application")
        .id
}

/// Logs in, proves the email with the start email's link, confirms and has the ΔΨΠ approve:
/// the application awaits identification.
async fn up_to_identification(app: &TestApp, person: &Person) -> String {
    let session = portal_login(app, &person.afm).await;
    let proven = follow_start_link(app, &session, &start_link(app, person).await).await;
    assert_eq!(proven.status(), 200);
    confirm_and_approve(app, person, &session).await;
    session
}

/// The «Έναρξη» link of the start email in the outbox.
async fn start_link(app: &TestApp, person: &Person) -> String {
    let id = application_id(app, person).await;
    let outbox = app.store.outbox(id).await.unwrap();
    let text = &outbox.first().expect("the start email").body_text;
    let line = text
        .lines()
        .find(|l| l.starts_with("Έναρξη: "))
        .unwrap_or_else(|| panic!("an «Έναρξη» line in {text}"));
    line["Έναρξη: ".len()..].to_owned()
}

/// Follows a link to `/portal/start` as a logged-in browser: the token goes into the link's
/// cookie, and `/portal` spends it. Returns the answer of `/portal`.
async fn follow_start_link(app: &TestApp, session: &str, link: &str) -> reqwest::Response {
    let started = app
        .client
        .get(link)
        .header(COOKIE, portal_cookie(app, session))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 303, "{link}");
    assert_eq!(location(&started), "/portal");
    let kept = cookie_value(&started, &app.cookie_name("certdesk_email_link")).expect("kept");
    app.client
        .get(app.url("/portal"))
        .header(
            COOKIE,
            format!(
                "{}; {}={kept}",
                portal_cookie(app, session),
                app.cookie_name("certdesk_email_link")
            ),
        )
        .send()
        .await
        .unwrap()
}

/// As `up_to_identification`, without proving the email.
async fn up_to_identification_unproven(app: &TestApp, person: &Person) -> String {
    let session = portal_login(app, &person.afm).await;
    confirm_and_approve(app, person, &session).await;
    session
}

/// The beneficiary confirms the data and the ΔΨΠ approves.
async fn confirm_and_approve(app: &TestApp, person: &Person, session: &str) {
    let confirmed = portal_post(app, session, "/portal/confirm", &[]).await;
    assert_eq!(confirmed.status(), 303);
    let id = application_id(app, person).await;
    let token = app.token().await;
    let approved = app
        .client
        .post(app.url(&format!("/api/v1/applications/{id}/approve")))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200, "{}", approved.text().await.unwrap());
}

fn identification_form<'a>(username: &'a str, channel: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("username", username),
        ("password", SIGNING_PASSWORD),
        ("password_confirm", SIGNING_PASSWORD),
        ("otp_channel", channel),
    ]
}

/// Identification with a TOTP app: returns the app's secret.
async fn enrol_totp(app: &TestApp, session: &str, username: &str) -> TotpSecret {
    let chosen = portal_post(
        app,
        session,
        "/portal/identification",
        &identification_form(username, "totp"),
    )
    .await;
    assert_eq!(chosen.status(), 303, "{}", chosen.text().await.unwrap());
    assert_eq!(location(&chosen), "/portal/totp");
    let page = portal_get(app, session, "/portal/totp").await;
    // The secret must not stay in a cache.
    assert_eq!(page.headers()[CACHE_CONTROL], "no-store");
    let page = page.text().await.unwrap();
    assert!(page.contains("<svg"), "a QR code: {page}");
    let secret = TotpSecret::from_base32(&text_of(&page, "totp-secret")).expect("a base32 secret");
    let step = step_at(Utc::now());
    let csrf = hidden_csrf(&page);
    let confirmed = app
        .client
        .post(app.url("/portal/totp"))
        .header(COOKIE, portal_cookie(app, session))
        .form(&[
            ("csrf", csrf.as_str()),
            ("code1", &secret.code_at(step - 1)),
            ("code2", &secret.code_at(step)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        confirmed.status(),
        303,
        "{}",
        confirmed.text().await.unwrap()
    );
    secret
}

/// The six-digit code in the latest email of application `id` (the signing code's and the
/// email proof's both say "… είναι: 123456").
async fn emailed_code(app: &TestApp, id: i64) -> String {
    let email = app.store.outbox(id).await.unwrap().pop().expect("an email");
    code_in(&email.body_text)
}

/// The six-digit code after "είναι: " in an email's text.
pub(crate) fn code_in(body_text: &str) -> String {
    let marker = "είναι: ";
    let at = body_text
        .find(marker)
        .unwrap_or_else(|| panic!("a code in the email: {body_text}"))
        + marker.len();
    body_text[at..at + 6].to_owned()
}
