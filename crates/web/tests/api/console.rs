//! The console over HTTP: login, the card, the cancellation form and escaping (SPEC §3, §9).

use certdesk_domain::Status;

use crate::helpers::*;

const SCRIPT: &str = "<script>alert(1)</script>";

/// Whether `html` contains `text` HTML-escaped (by name or by number).
fn contains_escaped_script(html: &str) -> bool {
    html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
        || html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
}

#[tokio::test]
async fn user_text_is_returned_verbatim_by_the_api_and_escaped_by_the_console() {
    let app = spawn_app().await;
    let employee = app.add_employee("Κακόβουλος", SCRIPT).await;
    app.drive_application(&employee, Status::AwaitingApproval)
        .await;

    let token = app.token().await;
    let card = app.card_ok(&token, employee.id).await;
    assert_eq!(
        card["given_name"], SCRIPT,
        "the API returns the text as written"
    );
    let found = app.search_ok(&token, &[("q", "κακοβουλ")]).await;
    assert_eq!(found["items"][0]["given_name"], SCRIPT);

    let session = app.console_login(&app.admin).await;
    for path in [
        format!("/employees/{}", employee.id),
        format!("/employees/{}/cancel", employee.id),
        "/employees?q=%CE%BA%CE%B1%CE%BA%CE%BF%CE%B2".to_owned(),
    ] {
        let response = app.console_get(&session, &path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("Κακόβουλος"), "{path} shows the employee");
        assert!(!html.contains(SCRIPT), "{path}: the script tag is not raw");
        assert!(
            contains_escaped_script(&html),
            "{path}: the name is shown escaped"
        );
    }

    // What the user types is reflected escaped: the search box, the login form's username.
    let html = app
        .console_get(&session, "/employees?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains(SCRIPT), "the search box value is escaped");
    let page = app.client.get(app.url("/login")).send().await.unwrap();
    let login_csrf = cookie_value(&page, "certdesk_login_csrf").unwrap();
    let response = app
        .client
        .post(app.url("/login"))
        .header("Cookie", format!("certdesk_login_csrf={login_csrf}"))
        .form(&[
            ("username", format!("\">{SCRIPT}").as_str()),
            ("password", "x"),
            ("csrf", login_csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let html = response.text().await.unwrap();
    assert!(!html.contains(SCRIPT), "the username is reflected escaped");

    // A reason given through the console is escaped in the history too.
    let html = app
        .console_get(&session, &format!("/employees/{}", employee.id))
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&html);
    let response = app
        .console_post(
            &session,
            &format!("/employees/{}/cancel", employee.id),
            &[("csrf", csrf.as_str()), ("reason", SCRIPT)],
        )
        .await;
    assert_eq!(response.status(), 303);
    let html = app
        .console_get(&session, &location(&response))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains(SCRIPT));
    let card = app.card_ok(&token, employee.id).await;
    let history = card["application"]["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["reason"], SCRIPT);
}

#[tokio::test]
async fn console_pages_need_a_session() {
    let app = spawn_app().await;
    let employee = app.add_employee("Ιδιωτικός", "Άρης").await;
    for path in [
        "/employees".to_owned(),
        format!("/employees/{}", employee.id),
        format!("/employees/{}/cancel", employee.id),
    ] {
        let response = app.client.get(app.url(&path)).send().await.unwrap();
        assert!(
            response.status().is_redirection(),
            "{path}: {}",
            response.status()
        );
        assert_eq!(location(&response), "/login", "{path}");

        let response = app.console_get("not-a-session", &path).await;
        assert!(response.status().is_redirection(), "{path}");
        assert_eq!(location(&response), "/login");
    }
    // An API token does not open the console.
    let token = app.token().await;
    let response = app.console_get(&token, "/employees").await;
    assert_eq!(location(&response), "/login");

    // Posting the cancellation without a session changes nothing either.
    let (_, id) = app.application_in(Status::AwaitingApproval).await;
    let owner = app.application(id).await.employee_id;
    let response = app
        .client
        .post(app.url(&format!("/employees/{owner}/cancel")))
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/login");
    assert_eq!(app.application(id).await.status, Status::AwaitingApproval);
}

#[tokio::test]
async fn login_form_needs_its_csrf_token() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/login")).send().await.unwrap();
    let cookie = cookie_value(&page, "certdesk_login_csrf").unwrap();
    let response = app
        .client
        .post(app.url("/login"))
        .header("Cookie", format!("certdesk_login_csrf={cookie}"))
        .form(&[
            ("username", app.admin.username.as_str()),
            ("password", PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(cookie_value(&response, "certdesk_session"), None);

    // Wrong password, right token: refused too, with the form again.
    let response = app
        .client
        .post(app.url("/login"))
        .header("Cookie", format!("certdesk_login_csrf={cookie}"))
        .form(&[
            ("username", app.admin.username.as_str()),
            ("password", "λάθος"),
            ("csrf", cookie.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(cookie_value(&response, "certdesk_session"), None);
}

#[tokio::test]
async fn cancelling_through_the_console() {
    let app = spawn_app().await;
    let (employee, id) = app.application_in(Status::AwaitingIdentification).await;
    let session = app.console_login(&app.admin).await;
    let card_path = format!("/employees/{}", employee.id);
    let cancel_path = format!("/employees/{}/cancel", employee.id);

    let response = app.console_get(&session, &card_path).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Αναμένεται η ταυτοποίηση του δικαιούχου"));
    assert!(
        html.contains("Ακύρωση διαδικασίας έκδοσης ΨΠ"),
        "the button"
    );
    let csrf = hidden_csrf(&html);
    assert!(csrf.len() >= 32);

    // A wrong CSRF token: 403, nothing changes.
    let before = app.application(id).await;
    for forged in ["", "forged", &csrf[..csrf.len() - 1]] {
        let response = app
            .console_post(&session, &cancel_path, &[("csrf", forged)])
            .await;
        assert_eq!(response.status(), 403, "csrf {forged:?}");
    }
    assert_eq!(app.application(id).await, before, "nothing changed");
    assert_eq!(app.history(id).await.len(), 3);

    // The right one: 303 to the card with the message.
    let response = app
        .console_post(
            &session,
            &cancel_path,
            &[("csrf", csrf.as_str()), ("reason", "")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let target = location(&response);
    assert_eq!(target, format!("/employees/{}?cancelled=1", employee.id));

    let response = app.console_get(&session, &target).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Η έκδοση του πιστοποιητικού ακυρώθηκε!"));
    assert!(html.contains(REJECTED_EL));
    assert!(html.contains(&cancelled_description(&app.admin.full_name)));
    assert!(
        !html.contains(r#"id="cancel-issuance""#),
        "no cancel button any more"
    );

    let stored = app.application(id).await;
    assert_eq!(stored.status, Status::Rejected);
    assert_eq!(stored.version, before.version + 1);
    let last = app.history(id).await.pop().unwrap();
    assert_eq!(
        last.description,
        cancelled_description(&app.admin.full_name)
    );
    assert_eq!(last.actor_name, app.admin.full_name);
    assert_eq!(last.reason, None, "a blank reason is no reason");

    // The search page shows the new status.
    let html = app
        .console_get(&session, "/employees?q=%CE%B4%CE%BF%CE%BA%CE%B9%CE%BC")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(REJECTED_EL));

    // The plain card (no ?cancelled) does not repeat the message, and a second submission
    // changes nothing.
    let html = app
        .console_get(&session, &card_path)
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Η έκδοση του πιστοποιητικού ακυρώθηκε!"));
    let response = app
        .console_post(&session, &cancel_path, &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(response.status(), 409);
    assert_eq!(app.history(id).await.len(), 4);
}

#[tokio::test]
async fn the_cancelled_message_shows_only_after_a_real_cancellation() {
    let app = spawn_app().await;
    let (employee, _) = app.application_in(Status::AwaitingApproval).await;
    let session = app.console_login(&app.admin).await;
    let html = app
        .console_get(&session, &format!("/employees/{}?cancelled=1", employee.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Η έκδοση του πιστοποιητικού ακυρώθηκε!"));
}

#[tokio::test]
async fn another_organisations_employee_is_not_found_in_the_console() {
    let app = spawn_app().await;
    let (_, stranger) = app.add_organisation_with_admin("OTHER").await;
    let (employee, id) = app.application_in(Status::AwaitingApproval).await;
    let session = app.console_login(&stranger).await;
    let response = app
        .console_get(&session, &format!("/employees/{}", employee.id))
        .await;
    assert_eq!(response.status(), 404);
    let html = app
        .console_get(&session, "/employees")
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&html);
    let response = app
        .console_post(
            &session,
            &format!("/employees/{}/cancel", employee.id),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(app.application(id).await.status, Status::AwaitingApproval);
}

#[tokio::test]
async fn long_reasons_english_logout_and_no_open_redirect() {
    let app = spawn_app().await;
    let (employee, id) = app.application_in(Status::AwaitingDataCheck).await;
    let session = app.console_login(&app.admin).await;
    let card_path = format!("/employees/{}", employee.id);
    let cancel_path = format!("/employees/{}/cancel", employee.id);
    let csrf = app.console_csrf(&session, &card_path).await;

    // A reason over 500 characters: refused with the form again, nothing changes.
    let long = "λ".repeat(501);
    let response = app
        .console_post(
            &session,
            &cancel_path,
            &[("csrf", csrf.as_str()), ("reason", long.as_str())],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(app.application(id).await.status, Status::AwaitingDataCheck);

    // English by the switch; the switch only redirects to local paths.
    let response = app
        .console_get(&session, "/lang/en?next=//evil.example/x")
        .await;
    assert_eq!(location(&response), "/employees");
    let lang = cookie_value(&response, "certdesk_lang").unwrap();
    assert_eq!(lang, "en");
    let response = app
        .client
        .post(app.url(&cancel_path))
        .header(
            "Cookie",
            format!("certdesk_session={session}; certdesk_lang=en"),
        )
        .form(&[("csrf", csrf.as_str()), ("reason", "Wrong email")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let html = app
        .client
        .get(app.url(&location(&response)))
        .header(
            "Cookie",
            format!("certdesk_session={session}; certdesk_lang=en"),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("The issuance of the certificate was cancelled!"));
    assert!(html.contains("Issuance application rejected"));
    // The history records the Greek words whatever the console's language.
    assert_eq!(
        app.history(id).await.pop().unwrap().description,
        cancelled_description(&app.admin.full_name)
    );

    // Logging out ends the session.
    let response = app
        .console_post(&session, "/logout", &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login");
    let response = app.console_get(&session, "/employees").await;
    assert_eq!(location(&response), "/login");
}

#[tokio::test]
async fn approving_and_rejecting_through_the_console() {
    let app = spawn_app().await;
    let session = app.console_login(&app.admin).await;
    let (approved, approved_app) = app.application_in(Status::AwaitingApproval).await;
    let (rejected, rejected_app) = app.application_in(Status::AwaitingApproval).await;
    let (_, signing_app) = app.application_in(Status::AwaitingSignature).await;
    let signing = app.application(signing_app).await.employee_id;

    // Only an application awaiting approval offers the two buttons.
    let html = app
        .console_get(&session, &format!("/employees/{}", approved.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"approve-application\"") && html.contains("id=\"reject-application\"")
    );
    let csrf = hidden_csrf(&html);
    let other = app
        .console_get(&session, &format!("/employees/{signing}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!other.contains("id=\"approve-application\""));

    // Approve: a wrong CSRF token changes nothing; the right one moves the application on.
    let forged = app
        .console_post(
            &session,
            &format!("/employees/{}/approve", approved.id),
            &[("csrf", "x")],
        )
        .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(
        app.application(approved_app).await.status,
        Status::AwaitingApproval
    );
    let response = app
        .console_post(
            &session,
            &format!("/employees/{}/approve", approved.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(response.status(), 303);
    let html = app
        .console_get(&session, &location(&response))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Η αίτηση εγκρίθηκε."));
    assert!(html.contains("Αναμένεται η ταυτοποίηση του δικαιούχου"));
    let history = app.history(approved_app).await;
    assert_eq!(
        history.last().unwrap().description,
        format!("Η αίτηση εγκρίθηκε από τον χρήστη {}", app.admin.full_name)
    );

    // Reject: the reason is mandatory, and named when missing.
    let path = format!("/employees/{}/reject", rejected.id);
    let missing = app
        .console_post(&session, &path, &[("csrf", &csrf), ("reason", "  ")])
        .await;
    assert_eq!(missing.status(), 422);
    assert!(missing.text().await.unwrap().contains("Αιτιολογία"));
    assert_eq!(
        app.application(rejected_app).await.status,
        Status::AwaitingApproval
    );
    let response = app
        .console_post(
            &session,
            &path,
            &[("csrf", &csrf), ("reason", "Δεν χρειάζεται υπογραφή")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let html = app
        .console_get(&session, &location(&response))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Η αίτηση απορρίφθηκε."));
    assert!(html.contains(REJECTED_EL));
    let last = app.history(rejected_app).await.pop().unwrap();
    assert_eq!(last.reason.as_deref(), Some("Δεν χρειάζεται υπογραφή"));

    // Approving what is no longer awaiting approval is refused with the reason, not applied.
    let again = app
        .console_post(
            &session,
            &format!("/employees/{}/approve", rejected.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status(), 409);
    assert_eq!(app.application(rejected_app).await.status, Status::Rejected);
}

#[tokio::test]
async fn starting_an_issuance_from_the_console() {
    let app = spawn_app().await;
    let session = app.console_login(&app.admin).await;
    let employee = app.add_employee("Καλογεράκη", "Ευδοκία").await;
    let (other_org, _) = app.add_organisation_with_admin("allos").await;
    let stranger = app
        .add_employee_to(other_org, "Ξένος", "Άρης", "Τμήμα Α")
        .await;
    let html = app
        .console_get(&session, "/applications/new")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Νέο Ψηφιακό Πιστοποιητικό"));
    let csrf = hidden_csrf(&html);
    let post = |form: Vec<(&'static str, String)>| {
        let mut form = form;
        form.push(("csrf", csrf.clone()));
        let app = &app;
        let session = session.clone();
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.console_post(&session, "/applications/new", &pairs)
                .await
        }
    };

    // The magnifier fills the names from the ΑΦΜ.
    let looked_up = post(vec![("afm", employee.afm.clone()), ("lookup", "1".into())]).await;
    assert_eq!(looked_up.status(), 200);
    let html = looked_up.text().await.unwrap();
    assert!(
        html.contains("value=\"Καλογεράκη\"") && html.contains("value=\"Ευδοκία\""),
        "names filled in"
    );

    // A wrong check digit, or another organisation's ΑΦΜ, gets the error dialog with «ΟΚ».
    for afm in [afm_with_wrong_check_digit(), stranger.afm.clone()] {
        let refused = post(vec![("afm", afm), ("lookup", "1".into())]).await;
        assert_eq!(refused.status(), 422);
        let html = refused.text().await.unwrap();
        assert!(
            html.contains("id=\"error-dialog\"") && html.contains(">ΟΚ<") && html.contains("ΑΦΜ"),
            "{html}"
        );
    }

    // A bad email is named next to its field; nothing is started.
    let bad = post(vec![
        ("afm", employee.afm.clone()),
        ("email", "not-an-email".into()),
    ])
    .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("id=\"email-error\""));
    assert!(
        app.store
            .employee(&certdesk_store::Scope::Everything, employee.id)
            .await
            .unwrap()
            .unwrap()
            .current_application_id
            .is_none()
    );

    // «Έναρξη»: the application starts, the card says so, the history names the ΔΨΠ.
    let started = post(vec![
        ("afm", employee.afm.clone()),
        ("email", "e.kalogeraki@example.gr".into()),
        ("mobile", "6912345678".into()),
    ])
    .await;
    assert_eq!(started.status(), 303);
    let card = app
        .console_get(&session, &location(&started))
        .await
        .text()
        .await
        .unwrap();
    assert!(card.contains("Η διαδικασία έκδοσης ξεκίνησε"));
    assert!(card.contains("Αναμένεται ο έλεγχος των στοιχείων του χρήστη"));
    let id = app
        .store
        .employee(&certdesk_store::Scope::Everything, employee.id)
        .await
        .unwrap()
        .unwrap()
        .current_application_id
        .unwrap();
    let history = app.history(id).await;
    assert_eq!(
        history[0].description,
        format!(
            "Η διαδικασία έκδοσης ξεκίνησε από τον χρήστη {}",
            app.admin.full_name
        )
    );
    assert_eq!(
        app.store.outbox(id).await.unwrap()[0].recipient,
        "e.kalogeraki@example.gr"
    );

    // A second start for the same employee is refused in the dialog.
    let again = post(vec![
        ("afm", employee.afm.clone()),
        ("email", "e.kalogeraki@example.gr".into()),
    ])
    .await;
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("ανοιχτή αίτηση"));
}

/// The local registry of `certdesk registry serve`, on a random port, knowing `people`.
async fn local_tax_registry(
    people_csv: &str,
) -> std::sync::Arc<dyn certdesk_registry::TaxRegistry> {
    let people = certdesk_registry::local::People::from_csv(people_csv.as_bytes()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(certdesk_registry::local::serve(
        listener, people, "certdesk", "secret",
    ));
    http_tax_registry(address)
}

/// The tax-registry client certdesk uses, pointed at `address`.
fn http_tax_registry(address: String) -> std::sync::Arc<dyn certdesk_registry::TaxRegistry> {
    let config = certdesk_registry::RegistryConfig::new(address, "certdesk", "secret");
    std::sync::Arc::new(certdesk_registry::HttpTaxRegistry::new(&config).unwrap())
}

#[tokio::test]
async fn the_magnifier_asks_the_tax_registry_when_there_is_one() {
    let afm = next_afm();
    let unknown_to_the_registry = next_afm();
    let people = format!(
        "afm,surname,given_name,father_name,birth_date,id_card,police_surname,police_given_name,police_father_name,police_birth_date\n\
         {afm},Σταματοπούλου,Ζωή,Ευάγγελος,1985-04-02,AB123456,,,,\n"
    );
    let registry = local_tax_registry(&people).await;
    let app = spawn_app_with(move |state| state.tax_registry = Some(registry)).await;
    // HR's record spells the names without accents: the registry's spelling is what the form shows.
    let hr_record = certdesk_store::NewEmployee {
        afm: afm.clone(),
        surname: "ΣΤΑΜΑΤΟΠΟΥΛΟΥ".into(),
        given_name: "ΖΩΗ".into(),
        father_name: "ΕΥΑΓΓΕΛΟΣ".into(),
        id_card: None,
        birth_date: None,
        email: None,
        mobile: None,
        unit: "Τμήμα Α".into(),
        position: String::new(),
    };
    app.store
        .insert_employees(app.org_id, &[hr_record], chrono::Utc::now())
        .await
        .unwrap();
    let session = app.console_login(&app.admin).await;
    let csrf = app.console_csrf(&session, "/applications/new").await;
    let lookup = |afm: String| {
        let (app, session, csrf) = (&app, session.clone(), csrf.clone());
        async move {
            app.console_post(
                &session,
                "/applications/new",
                &[
                    ("csrf", csrf.as_str()),
                    ("afm", afm.as_str()),
                    ("lookup", "1"),
                ],
            )
            .await
        }
    };
    let response = lookup(afm.clone()).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    for name in ["Σταματοπούλου", "Ζωή", "Ευάγγελος"] {
        assert!(
            html.contains(&format!("value=\"{name}\"")),
            "{name} from the registry: {html}"
        );
    }

    // An ΑΦΜ the registry does not know gets the dialog.
    let response = lookup(unknown_to_the_registry).await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("δεν βρέθηκε στο φορολογικό μητρώο")
    );
}

#[tokio::test]
async fn a_registry_that_does_not_answer_gets_a_clear_message_and_nothing_is_saved() {
    // Nobody listens on this port.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let registry = http_tax_registry(address);
    let app = spawn_app_with(move |state| state.tax_registry = Some(registry)).await;
    let employee = app.add_employee("Ζαχαρίου", "Νεφέλη").await;
    let session = app.console_login(&app.admin).await;
    let csrf = app.console_csrf(&session, "/applications/new").await;
    let response = app
        .console_post(
            &session,
            "/applications/new",
            &[
                ("csrf", csrf.as_str()),
                ("afm", employee.afm.as_str()),
                ("email", "n.zachariou@example.gr"),
            ],
        )
        .await;
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains("δεν απαντά"));
    let record = app
        .store
        .employee(&certdesk_store::Scope::Everything, employee.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        record.current_application_id.is_none(),
        "nothing was started"
    );
}
