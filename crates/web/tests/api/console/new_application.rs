//! The «Νέο Ψηφιακό Πιστοποιητικό» form: the ΑΦΜ lookup, the tax registry, the start.

use crate::helpers::*;

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
    let people = format!(
        "afm,surname,given_name,father_name,birth_date,id_card,police_surname,police_given_name,police_father_name,police_birth_date\n\
         {afm},Σταματοπούλου,Ζωή,Ευάγγελος,1985-04-02,AB123456,,,,\n"
    );
    let registry = local_tax_registry(&people).await;
    let app = spawn_app_with(move |app| app.registries.tax = Some(registry)).await;
    // HR's record spells the names without accents: the registry's spelling is what the form shows.
    let hr_record = certdesk_domain::employee::EmployeeInput {
        afm: &afm,
        surname: "ΣΤΑΜΑΤΟΠΟΥΛΟΥ",
        given_name: "ΖΩΗ",
        father_name: "ΕΥΑΓΓΕΛΟΣ",
        unit: "Τμήμα Α",
        ..Default::default()
    }
    .validate()
    .unwrap();
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

    // An employee's ΑΦΜ the registry does not know gets the dialog.
    let unknown_to_the_registry = app.add_employee("Λαμπράκη", "Ειρήνη").await.afm;
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
async fn the_magnifier_tells_nothing_about_people_outside_the_organisations() {
    let (outsider, nobody) = (next_afm(), next_afm());
    // The registry knows both: before, it told any ΔΨΠ the names of anyone, or whether an
    // ΑΦΜ belonged to anybody.
    let people = format!(
        "afm,surname,given_name,father_name,birth_date,id_card,police_surname,police_given_name,police_father_name,police_birth_date\n\
         {outsider},Βλάχου,Αγλαΐα,Ιωάννης,1980-01-01,AB123456,,,,\n\
         {nobody},Σπανού,Θεανώ,Ιωάννης,1981-01-01,AB123457,,,,\n"
    );
    let registry = local_tax_registry(&people).await;
    let app = spawn_app_with(move |app| app.registries.tax = Some(registry)).await;
    let (other_org, _) = app.add_organisation_with_admin("OTHER").await;
    let record = certdesk_domain::employee::EmployeeInput {
        afm: &outsider,
        surname: "Βλάχου",
        given_name: "Αγλαΐα",
        father_name: "Ιωάννης",
        unit: "Τμήμα Β",
        ..Default::default()
    }
    .validate()
    .unwrap();
    app.store
        .insert_employees(other_org, &[record], chrono::Utc::now())
        .await
        .unwrap();
    let session = app.console_login(&app.admin).await;
    let csrf = app.console_csrf(&session, "/applications/new").await;
    let mut answers = Vec::new();
    for afm in [outsider.as_str(), nobody.as_str()] {
        let response = app
            .console_post(
                &session,
                "/applications/new",
                &[("csrf", csrf.as_str()), ("afm", afm), ("lookup", "1")],
            )
            .await;
        let status = response.status();
        let html = response.text().await.unwrap();
        for name in ["Βλάχου", "Αγλαΐα", "Σπανού", "Θεανώ"] {
            assert!(!html.contains(name), "{name} leaked for {afm}: {html}");
        }
        assert!(
            html.contains("δεν βρέθηκε υπάλληλος των φορέων σας"),
            "{html}"
        );
        answers.push(status);
    }
    assert_eq!(answers, [422, 422], "both answer alike");
}

#[tokio::test]
async fn a_registry_that_does_not_answer_gets_a_clear_message_and_nothing_is_saved() {
    // Nobody listens on this port.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let registry = http_tax_registry(address);
    let app = spawn_app_with(move |app| app.registries.tax = Some(registry)).await;
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
