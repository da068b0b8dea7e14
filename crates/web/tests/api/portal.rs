//! The beneficiary's portal over HTTP: the login through a real local registry (OAuth2 code flow,
//! driven the way a browser does it), the data check, identification against the Police record,
//! username, signing password, TOTP or email codes, signing; and its bad input.

use std::sync::Arc;

use certdesk_domain::otp::{TotpSecret, step_at};
use certdesk_domain::{Action, Status};
use certdesk_store::NewEmployee;
use chrono::{NaiveDate, Utc};
use reqwest::header::{COOKIE, LOCATION};
use serde_json::json;

use crate::helpers::*;

const PEOPLE_HEADER: &str = "afm,surname,given_name,father_name,birth_date,id_card,police_surname,police_given_name,police_father_name,police_birth_date";
const SIGNING_PASSWORD: &str = "υπογραφή-2026!";

/// A person of the registries' file, and the same person as an employee of the test organisation.
struct Person {
    afm: String,
    employee_id: i64,
    email: String,
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
    let app = spawn_app_with(move |state| {
        state.tax_registry = Some(tax);
        state.police_registry = Some(police_registry);
    })
    .await;
    let ids = app
        .store
        .insert_employees(
            app.org_id,
            &[NewEmployee {
                afm: afm.clone(),
                surname: "ΚΑΡΑΓΙΑΝΝΗ".into(),
                given_name: "ΕΛΕΝΗ".into(),
                father_name: "ΔΗΜΗΤΡΙΟΣ".into(),
                id_card: Some("ΑΚ123456".into()),
                birth_date: NaiveDate::from_ymd_opt(1988, 6, 15),
                email: None,
                mobile: None,
                unit: "Τμήμα Α".into(),
                position: String::new(),
            }],
            Utc::now(),
        )
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

async fn portal_app() -> (TestApp, Person) {
    portal_app_with(",,,", None).await
}

/// The registry's login as a browser does it; returns the portal session cookie's value.
async fn portal_login(app: &TestApp, afm: &str) -> String {
    let (callback, state_cookie) = login_until_callback(app, afm).await;
    let response = app
        .client
        .get(&callback)
        .header(COOKIE, format!("certdesk_portal_state={state_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    assert_eq!(location(&response), "/portal");
    cookie_value(&response, "certdesk_portal").expect("a portal session cookie")
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
    let state_cookie = cookie_value(&start, "certdesk_portal_state").expect("a state cookie");
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
        .header(COOKIE, format!("certdesk_portal={session}"))
        .send()
        .await
        .unwrap()
}

async fn portal_page(app: &TestApp, session: &str) -> String {
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
        .header(COOKIE, format!("certdesk_portal={session}"))
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
    let id = app
        .store
        .beneficiary_application_id(&person.afm)
        .await
        .unwrap()
        .unwrap();
    app.application(id).await.status
}

async fn application_id(app: &TestApp, person: &Person) -> i64 {
    app.store
        .beneficiary_application_id(&person.afm)
        .await
        .unwrap()
        .unwrap()
}

/// Logs in, confirms and has the ΔΨΠ approve: the application awaits identification.
async fn up_to_identification(app: &TestApp, person: &Person) -> String {
    let session = portal_login(app, &person.afm).await;
    let confirmed = portal_post(app, &session, "/portal/confirm", &[]).await;
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
    session
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
    let page = portal_get(app, session, "/portal/totp")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<svg"), "a QR code: {page}");
    let secret = TotpSecret::from_base32(&text_of(&page, "totp-secret")).expect("a base32 secret");
    let step = step_at(Utc::now());
    let csrf = hidden_csrf(&page);
    let confirmed = app
        .client
        .post(app.url("/portal/totp"))
        .header(COOKIE, format!("certdesk_portal={session}"))
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

#[tokio::test]
async fn a_beneficiary_goes_from_the_start_email_to_awaiting_issuance_with_a_totp_app() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;

    // The start email links to the portal: «Έναρξη».
    let outbox = app.store.outbox(id).await.unwrap();
    let portal = app.url("/portal");
    assert_eq!(outbox[0].recipient, person.email);
    assert!(
        outbox[0].body_text.contains(&format!("Έναρξη: {portal}")),
        "{}",
        outbox[0].body_text
    );
    assert!(
        outbox[0]
            .body_html
            .contains(&format!("<a href=\"{portal}\">Έναρξη</a>"))
    );

    // Not logged in: the landing page offers the registry's login.
    let landing = app
        .client
        .get(&portal)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(landing.contains("id=\"portal-login\""));

    let session = portal_login(&app, &person.afm).await;
    let page = portal_page(&app, &session).await;
    assert_eq!(
        text_of(&page, "status"),
        "Αναμένεται ο έλεγχος των στοιχείων του χρήστη"
    );
    assert!(page.contains("ΚΑΡΑΓΙΑΝΝΗ") && page.contains(&person.afm));

    let session = {
        let confirmed = portal_post(&app, &session, "/portal/confirm", &[]).await;
        assert_eq!(location(&confirmed), "/portal?done=confirmed");
        let page = portal_page(&app, &session).await;
        assert_eq!(
            text_of(&page, "status"),
            "Αναμένεται η έγκριση της αίτησης έκδοσης του πιστοποιητικού"
        );
        session
    };
    // The portal offers nothing to do while the ΔΨΠ decides.
    assert!(
        !portal_page(&app, &session)
            .await
            .contains("identification-form")
    );
    let token = app.token().await;
    let approved = app
        .client
        .post(app.url(&format!("/api/v1/applications/{id}/approve")))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200);
    let page = portal_page(&app, &session).await;
    assert_eq!(
        text_of(&page, "status"),
        "Αναμένεται η ταυτοποίηση του δικαιούχου"
    );
    assert!(page.contains("id=\"identification-form\""));

    let secret = enrol_totp(&app, &session, "e.karagianni").await;
    assert_eq!(status_of(&app, &person).await, Status::AwaitingSignature);
    assert_eq!(
        app.store.reserved_username(id).await.unwrap().as_deref(),
        Some("e.karagianni")
    );
    let credentials = app.store.signing_credentials(id).await.unwrap().unwrap();
    assert!(credentials.password_hash.starts_with("$argon2id$"));
    // The TOTP secret is sealed at rest, like the keys.
    match &credentials.otp {
        certdesk_domain::otp::OtpChannel::Totp { secret: stored, .. } => {
            assert!(stored.0.starts_with("sealed:"), "stored in clear");
            assert!(!stored.0.contains(&secret.to_base32()));
        }
        other => panic!("{other:?}"),
    }
    assert!(!credentials.password_hash.contains(SIGNING_PASSWORD));
    let page = portal_page(&app, &session).await;
    assert!(page.contains("id=\"sign-form\"") && page.contains("e.karagianni"));

    // A wrong code is named as such; the code of the enrolment cannot be used again.
    let step = step_at(Utc::now());
    for used_or_wrong in ["000000".to_owned(), secret.code_at(step)] {
        if used_or_wrong == "000000" && secret.code_at(step + 1) == "000000" {
            continue;
        }
        let refused = portal_post(
            &app,
            &session,
            "/portal/sign",
            &[("password", SIGNING_PASSWORD), ("otp", &used_or_wrong)],
        )
        .await;
        assert_eq!(refused.status(), 422);
        let html = refused.text().await.unwrap();
        assert!(
            html.contains("Κωδικός μίας χρήσης: δεν είναι σωστός"),
            "{html}"
        );
    }
    // A wrong signing password, with a good code, is named too, and costs no code.
    let refused = portal_post(
        &app,
        &session,
        "/portal/sign",
        &[
            ("password", "λάθος κωδικός"),
            ("otp", &secret.code_at(step + 1)),
        ],
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Κωδικός υπογραφής: δεν είναι σωστός")
    );
    assert_eq!(status_of(&app, &person).await, Status::AwaitingSignature);

    let signed = portal_post(
        &app,
        &session,
        "/portal/sign",
        &[
            ("password", SIGNING_PASSWORD),
            ("otp", &secret.code_at(step + 1)),
        ],
    )
    .await;
    assert_eq!(signed.status(), 303, "{}", signed.text().await.unwrap());
    let page = portal_page(&app, &session).await;
    assert_eq!(
        text_of(&page, "status"),
        "Αναμένεται η έκδοση του πιστοποιητικού"
    );
    let jobs = app.store.pending_jobs(id).await.unwrap();
    assert!(
        jobs.iter().any(|j| j.kind == "issue_certificate"),
        "{jobs:?}"
    );
    let actions: Vec<Action> = app.history(id).await.iter().map(|h| h.action).collect();
    assert_eq!(
        actions,
        [
            Action::Started,
            Action::DataConfirmed,
            Action::Approved,
            Action::Identified,
            Action::Signed
        ]
    );
    let history = app.history(id).await;
    assert_eq!(history[1].actor_name, "ΕΛΕΝΗ ΚΑΡΑΓΙΑΝΝΗ");

    // The ΔΨΠ cancels: the beneficiary sees it.
    let cancelled = app.cancel(&token, id, Some(json!({}))).await;
    assert_eq!(cancelled.status(), 200);
    let page = portal_page(&app, &session).await;
    assert_eq!(text_of(&page, "status"), REJECTED_EL);
    assert!(page.contains(&cancelled_description(&app.admin.full_name)));
    // The means of signing went with the cancellation.
    assert!(app.store.signing_credentials(id).await.unwrap().is_none());
}

#[tokio::test]
async fn with_the_email_channel_the_code_comes_by_email_and_counts_once() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    let session = up_to_identification(&app, &person).await;
    let chosen = portal_post(
        &app,
        &session,
        "/portal/identification",
        &identification_form("ekaragianni", "email"),
    )
    .await;
    assert_eq!(location(&chosen), "/portal?done=identified");
    assert!(
        portal_page(&app, &session)
            .await
            .contains("id=\"send-code\"")
    );

    let sent = portal_post(&app, &session, "/portal/send-code", &[]).await;
    assert_eq!(location(&sent), "/portal?done=code_sent");
    let outbox = app.store.outbox(id).await.unwrap();
    let email = outbox.last().unwrap();
    assert_eq!(email.recipient, person.email);
    let marker = "είναι: ";
    let at = email.body_text.find(marker).unwrap() + marker.len();
    let code = email.body_text[at..at + 6].to_owned();
    assert!(
        code.bytes().all(|b| b.is_ascii_digit()),
        "{}",
        email.body_text
    );

    // Only the latest code counts, and codes are not sent without limit.
    for _ in 1..certdesk_domain::otp::MAX_SIGNING_FAILURES {
        let again = portal_post(&app, &session, "/portal/send-code", &[]).await;
        assert_eq!(location(&again), "/portal?done=code_sent");
    }
    let refused = portal_post(&app, &session, "/portal/send-code", &[]).await;
    assert_eq!(refused.status(), 429);
    let email = app.store.outbox(id).await.unwrap().pop().unwrap();
    let at = email.body_text.find(marker).unwrap() + marker.len();
    let latest = email.body_text[at..at + 6].to_owned();
    if latest != code {
        let stale = portal_post(
            &app,
            &session,
            "/portal/sign",
            &[("password", SIGNING_PASSWORD), ("otp", &code)],
        )
        .await;
        assert_eq!(stale.status(), 422, "an earlier code no longer counts");
    }
    let code = latest;
    let signed = portal_post(
        &app,
        &session,
        "/portal/sign",
        &[("password", SIGNING_PASSWORD), ("otp", &code)],
    )
    .await;
    assert_eq!(signed.status(), 303, "{}", signed.text().await.unwrap());
    assert_eq!(status_of(&app, &person).await, Status::AwaitingIssuance);
    // Used: the same code is worth nothing now.
    assert!(
        !app.store
            .take_email_code(
                id,
                &certdesk_domain::otp::email_code_digest(id, &code),
                Utc::now()
            )
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_police_record_that_does_not_match_rejects_with_the_reason_in_the_history() {
    // The Police know another father's name.
    let (app, person) = portal_app_with(",,Κωνσταντίνος,", None).await;
    let id = application_id(&app, &person).await;
    let session = up_to_identification(&app, &person).await;
    let answered = portal_post(
        &app,
        &session,
        "/portal/identification",
        &identification_form("ekaragianni", "email"),
    )
    .await;
    assert_eq!(answered.status(), 303);
    let page = portal_page(&app, &session).await;
    assert_eq!(text_of(&page, "status"), REJECTED_EL);
    let last = app.history(id).await.pop().unwrap();
    assert_eq!(last.action, Action::IdentificationFailed);
    let reason = last.reason.unwrap();
    assert!(reason.contains("Όνομα Πατρός"), "{reason}");
    assert!(
        !reason.contains("ΑΔΤ") && !reason.contains("Επώνυμο"),
        "only what differs: {reason}"
    );
    assert!(page.contains(&reason));
    assert!(app.store.reserved_username(id).await.unwrap().is_none());
    assert!(app.store.signing_credentials(id).await.unwrap().is_none());
}

#[tokio::test]
async fn each_username_rule_and_a_taken_username_get_a_clear_message_and_nothing_is_written() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    // Someone else holds "taken.name".
    let other = app.add_employee("Πετρίδης", "Άρης").await;
    let other_id = app
        .drive_application(&other, Status::AwaitingSignature)
        .await;
    let taken = app
        .store
        .reserved_username(other_id)
        .await
        .unwrap()
        .unwrap();

    let session = up_to_identification(&app, &person).await;
    for (username, expected) in [
        ("", "Όνομα χρήστη: είναι υποχρεωτικό πεδίο"),
        ("abcd", "Όνομα χρήστη: απαιτούνται τουλάχιστον 5 χαρακτήρες"),
        (
            "a23456789012345678901",
            "Όνομα χρήστη: επιτρέπονται έως 20 χαρακτήρες",
        ),
        (
            "1abcde",
            "Όνομα χρήστη: επιτρέπονται μόνο λατινικά γράμματα",
        ),
        (
            "abcde.",
            "Όνομα χρήστη: επιτρέπονται μόνο λατινικά γράμματα",
        ),
        ("ελένη", "Όνομα χρήστη: επιτρέπονται μόνο λατινικά γράμματα"),
        (
            "e_karagianni",
            "Όνομα χρήστη: επιτρέπονται μόνο λατινικά γράμματα",
        ),
        (taken.as_str(), "Όνομα χρήστη: χρησιμοποιείται ήδη"),
    ] {
        let refused = portal_post(
            &app,
            &session,
            "/portal/identification",
            &identification_form(username, "email"),
        )
        .await;
        assert_eq!(refused.status(), 422, "{username:?}");
        let html = refused.text().await.unwrap();
        assert!(html.contains(expected), "{username:?}: {html}");
    }
    // The other fields have their own messages, all shown at once.
    let refused = portal_post(
        &app,
        &session,
        "/portal/identification",
        &[
            ("username", "ok.name"),
            ("password", "short"),
            ("password_confirm", "short"),
            ("otp_channel", "sms"),
        ],
    )
    .await;
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Κωδικός υπογραφής: απαιτούνται τουλάχιστον 10 χαρακτήρες"),
        "{html}"
    );
    assert!(html.contains("Τρόπος λήψης κωδικού μίας χρήσης"), "{html}");
    let refused = portal_post(
        &app,
        &session,
        "/portal/identification",
        &[
            ("username", "ok.name"),
            ("password", SIGNING_PASSWORD),
            ("password_confirm", "κάτι άλλο εντελώς"),
            ("otp_channel", "email"),
        ],
    )
    .await;
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Επιβεβαίωση κωδικού υπογραφής: δεν είναι ίδιος")
    );

    assert_eq!(
        status_of(&app, &person).await,
        Status::AwaitingIdentification
    );
    assert!(app.store.reserved_username(id).await.unwrap().is_none());
    assert_eq!(app.history(id).await.len(), 3);
}

#[tokio::test]
async fn wrong_codes_are_limited_and_then_even_the_right_code_waits() {
    let (app, person) = portal_app().await;
    let session = up_to_identification(&app, &person).await;
    let secret = enrol_totp(&app, &session, "e.karagianni").await;
    let step = step_at(Utc::now());
    let wrong = if secret.code_at(step + 1) == "111111" {
        "222222"
    } else {
        "111111"
    };
    for _ in 0..certdesk_domain::otp::MAX_SIGNING_FAILURES {
        let refused = portal_post(
            &app,
            &session,
            "/portal/sign",
            &[("password", SIGNING_PASSWORD), ("otp", wrong)],
        )
        .await;
        assert_eq!(refused.status(), 422);
    }
    let paused = portal_post(
        &app,
        &session,
        "/portal/sign",
        &[
            ("password", SIGNING_PASSWORD),
            ("otp", &secret.code_at(step + 1)),
        ],
    )
    .await;
    assert_eq!(paused.status(), 429);
    assert!(
        paused
            .text()
            .await
            .unwrap()
            .contains("δοκιμάστε ξανά σε 15 λεπτά")
    );
    assert_eq!(status_of(&app, &person).await, Status::AwaitingSignature);
}

#[tokio::test]
async fn the_totp_enrolment_needs_two_consecutive_codes() {
    let (app, person) = portal_app().await;
    let session = up_to_identification(&app, &person).await;
    let chosen = portal_post(
        &app,
        &session,
        "/portal/identification",
        &identification_form("e.karagianni", "totp"),
    )
    .await;
    assert_eq!(location(&chosen), "/portal/totp");
    let page = portal_get(&app, &session, "/portal/totp")
        .await
        .text()
        .await
        .unwrap();
    let secret = TotpSecret::from_base32(&text_of(&page, "totp-secret")).unwrap();
    let step = step_at(Utc::now());
    let csrf = hidden_csrf(&page);
    for (code1, code2) in [
        (secret.code_at(step), secret.code_at(step)),
        (secret.code_at(step), secret.code_at(step - 1)),
        ("12345".to_owned(), secret.code_at(step)),
    ] {
        let refused = app
            .client
            .post(app.url("/portal/totp"))
            .header(COOKIE, format!("certdesk_portal={session}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("code1", &code1),
                ("code2", &code2),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 422);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("govgr-error-summary")
        );
    }
    assert_eq!(
        status_of(&app, &person).await,
        Status::AwaitingIdentification
    );
}

#[tokio::test]
async fn a_forged_or_replayed_login_state_is_refused() {
    let (app, person) = portal_app().await;
    let (callback, state_cookie) = login_until_callback(&app, &person.afm).await;

    // Another browser's state (or none): no session.
    for cookie in ["certdesk_portal_state=forged".to_owned(), String::new()] {
        let refused = app
            .client
            .get(&callback)
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400);
        assert!(cookie_value(&refused, "certdesk_portal").is_none());
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("Η σύνδεση δεν ολοκληρώθηκε")
        );
    }
    // The right state works once; the same callback again is refused.
    let good = format!("certdesk_portal_state={state_cookie}");
    let first = app
        .client
        .get(&callback)
        .header(COOKIE, &good)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 303);
    let replayed = app
        .client
        .get(&callback)
        .header(COOKIE, &good)
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status(), 400);
    assert!(cookie_value(&replayed, "certdesk_portal").is_none());
}

#[tokio::test]
async fn a_police_registry_that_does_not_answer_gets_a_clear_message_and_nothing_is_written() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let (app, person) = portal_app_with(",,,", Some(address)).await;
    let id = application_id(&app, &person).await;
    let session = up_to_identification(&app, &person).await;
    let answered = portal_post(
        &app,
        &session,
        "/portal/identification",
        &identification_form("ekaragianni", "email"),
    )
    .await;
    assert_eq!(answered.status(), 503);
    let html = answered.text().await.unwrap();
    assert!(
        html.contains("δεν απαντά") && html.contains("δοκιμάστε ξανά"),
        "{html}"
    );
    assert_eq!(
        status_of(&app, &person).await,
        Status::AwaitingIdentification
    );
    assert!(app.store.reserved_username(id).await.unwrap().is_none());
    assert!(app.store.signing_credentials(id).await.unwrap().is_none());
    // The server keeps serving.
    assert_eq!(portal_get(&app, &session, "/portal").await.status(), 200);
}

#[tokio::test]
async fn portal_forms_need_the_session_and_its_csrf_token() {
    let (app, person) = portal_app().await;
    let session = portal_login(&app, &person.afm).await;
    let forged = app
        .client
        .post(app.url("/portal/confirm"))
        .header(COOKIE, format!("certdesk_portal={session}"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let anonymous = app
        .client
        .post(app.url("/portal/confirm"))
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);
    assert_eq!(anonymous.headers()[LOCATION], "/portal");
    assert_eq!(status_of(&app, &person).await, Status::AwaitingDataCheck);
    // A ΔΨΠ's console session is no portal session.
    let console = app.console_login(&app.admin).await;
    let page = app
        .client
        .get(app.url("/portal"))
        .header(COOKIE, format!("certdesk_session={console}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"portal-login\""));
    let _ = person.employee_id;
}

#[tokio::test]
async fn a_tax_registry_that_does_not_answer_at_login_gets_a_clear_message() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let (tax, _) = connectors(&address);
    let app = spawn_app_with(move |state| state.tax_registry = Some(tax)).await;
    let start = app
        .client
        .get(app.url("/portal/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 303);
    let state_cookie = cookie_value(&start, "certdesk_portal_state").unwrap();
    let callback = app.url(&format!(
        "/portal/callback?code=anything&state={state_cookie}"
    ));
    let answered = app
        .client
        .get(&callback)
        .header(COOKIE, format!("certdesk_portal_state={state_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 503);
    assert!(cookie_value(&answered, "certdesk_portal").is_none());
    let html = answered.text().await.unwrap();
    assert!(html.contains("Το TaxisNet δεν απαντά"), "{html}");
    // The server keeps serving.
    assert_eq!(
        app.client
            .get(app.url("/portal"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn once_issued_the_beneficiary_sees_the_certificate_and_downloads_it() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    let session = up_to_identification(&app, &person).await;
    portal_post(
        &app,
        &session,
        "/portal/identification",
        &identification_form("ekaragianni", "email"),
    )
    .await;
    portal_post(&app, &session, "/portal/send-code", &[]).await;
    let email = app.store.outbox(id).await.unwrap().pop().unwrap();
    let at = email.body_text.find("είναι: ").unwrap() + "είναι: ".len();
    let code = email.body_text[at..at + 6].to_owned();
    let signed = portal_post(
        &app,
        &session,
        "/portal/sign",
        &[("password", SIGNING_PASSWORD), ("otp", &code)],
    )
    .await;
    assert_eq!(signed.status(), 303);
    let worker = certdesk_store::worker::WorkerConfig {
        issuer: Some(certdesk_store::worker::Issuing(test_ca())),
        ..Default::default()
    };
    assert!(
        certdesk_store::worker::run_one_job(app.store.as_ref(), &worker, Utc::now())
            .await
            .unwrap()
    );
    let page = portal_page(&app, &session).await;
    assert_eq!(text_of(&page, "status"), "Το πιστοποιητικό εκδόθηκε");
    let certificate = app.store.certificate(id).await.unwrap().unwrap();
    assert!(page.contains(&certificate.serial));
    let pem = portal_get(&app, &session, "/portal/certificate.pem")
        .await
        .text()
        .await
        .unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(pem, certdesk_ca::certificate_pem(&certificate.der));
    // Someone not logged in gets the landing page, not a certificate.
    let anonymous = app
        .client
        .get(app.url("/portal/certificate.pem"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);
}

#[tokio::test]
async fn expired_sessions_are_purged() {
    let (app, person) = portal_app().await;
    let session = portal_login(&app, &person.afm).await;
    let console = app.console_login(&app.admin).await;
    // Still valid now: nothing goes.
    assert_eq!(
        app.store.purge_expired_sessions(Utc::now()).await.unwrap(),
        0
    );
    assert!(portal_page(&app, &session).await.contains("id=\"status\""));
    // Past their 8 hours, both sessions (and the used-up login state's leftovers) go.
    let later = Utc::now() + chrono::Duration::hours(9);
    assert!(app.store.purge_expired_sessions(later).await.unwrap() >= 2);
    let hash = certdesk_store::credentials::token_hash(&session);
    assert!(
        app.store
            .portal_session(&hash, Utc::now())
            .await
            .unwrap()
            .is_none()
    );
    let console_hash = certdesk_store::credentials::token_hash(&console);
    assert!(
        app.store
            .session(&console_hash, Utc::now())
            .await
            .unwrap()
            .is_none()
    );
}

/// The state cookie must be set on the host the tax registry sends the browser back to: a login
/// started on another name of the same server moves to the public address first.
#[tokio::test]
async fn a_login_started_on_another_host_name_moves_to_the_public_address() {
    let (app, _) = portal_app().await;
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let other = app
        .client
        .get(format!("http://localhost:{port}/portal/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 303);
    assert_eq!(location(&other), app.url("/portal/login"));
    assert!(cookie_value(&other, "certdesk_portal_state").is_none());
    // On the public address itself, the login goes to the registry with its state.
    let same = app
        .client
        .get(app.url("/portal/login"))
        .send()
        .await
        .unwrap();
    assert!(location(&same).contains("/oauth2/authorize?"));
    assert!(cookie_value(&same, "certdesk_portal_state").is_some());
}
