//! Starting the issuance process: `POST /api/v1/applications` (SPEC §2, §7).

use certdesk_domain::Status;
use certdesk_store::Scope;
use serde_json::{Value, json};

use crate::helpers::*;

fn started_description(admin_full_name: &str) -> String {
    format!("Η διαδικασία έκδοσης ξεκίνησε από τον χρήστη {admin_full_name}")
}

#[tokio::test]
async fn starting_an_application_answers_201_awaiting_data_check() {
    let app = spawn_app().await;
    let token = app.token().await;
    let employee = app.add_employee("Σταθοπούλου", "Ειρήνη").await;

    let response = app
        .create_application(
            &token,
            &json!({ "afm": employee.afm, "email": "eirini@example.gr", "mobile": "+306912345678" }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["status"], "awaiting_data_check");
    assert_eq!(
        view["status_label"],
        "Αναμένεται ο έλεγχος των στοιχείων του χρήστη"
    );
    assert_eq!(view["cancellable"], true);
    let history = view["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["action"], "started");
    assert_eq!(
        history[0]["description"],
        started_description(&app.admin.full_name)
    );
    assert_eq!(history[0]["actor"], app.admin.full_name);

    // Stored for that employee, and the beneficiary is emailed at the address given.
    let id = view["id"].as_i64().unwrap();
    let stored = app.application(id).await;
    assert_eq!(stored.employee_id, employee.id);
    assert_eq!(stored.email.as_str(), "eirini@example.gr");
    assert_eq!(
        stored.mobile.as_ref().map(|m| m.as_str()),
        Some("+306912345678")
    );
    let outbox = app.store.outbox(id).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].recipient, "eirini@example.gr");

    // The card and the search show it.
    let card = app.card_ok(&token, employee.id).await;
    assert_eq!(card["application"]["id"], id);
    assert_eq!(card["status"], "awaiting_data_check");
    let found = app
        .search_ok(&token, &[("afm", employee.afm.as_str())])
        .await;
    assert_eq!(found["items"][0]["status"], "awaiting_data_check");
}

#[tokio::test]
async fn a_second_open_application_is_a_conflict() {
    let app = spawn_app().await;
    let token = app.token().await;
    let employee = app.add_employee("Μαυρίδης", "Κώστας").await;
    let body = json!({ "afm": employee.afm, "email": employee.email });
    assert_eq!(app.create_application(&token, &body).await.status(), 201);
    assert_error(
        app.create_application(&token, &body).await,
        409,
        "open_application_exists",
    )
    .await;
    assert_eq!(
        app.store
            .applications_of_employee(&Scope::Everything, employee.id)
            .await
            .unwrap()
            .len(),
        1
    );

    // Also while the application is further along.
    let (busy, _) = app.application_in(Status::AwaitingIssuance).await;
    assert_error(
        app.create_application(&token, &json!({ "afm": busy.afm, "email": busy.email }))
            .await,
        409,
        "open_application_exists",
    )
    .await;
}

#[tokio::test]
async fn another_organisations_afm_is_treated_as_unknown() {
    let app = spawn_app().await;
    let (other_org, _) = app.add_organisation_with_admin("OTHER").await;
    let outsider = app
        .add_employee_to(other_org, "Ξένος", "Νίκος", "Γραμματεία")
        .await;
    let token = app.token().await;

    let foreign = assert_error(
        app.create_application(
            &token,
            &json!({ "afm": outsider.afm, "email": outsider.email }),
        )
        .await,
        422,
        "unknown_afm",
    )
    .await;
    assert_eq!(foreign["field"], "afm");
    let unknown = assert_error(
        app.create_application(
            &token,
            &json!({ "afm": next_afm(), "email": "a@example.gr" }),
        )
        .await,
        422,
        "unknown_afm",
    )
    .await;
    assert_eq!(foreign, unknown, "the same answer as for an unknown ΑΦΜ");
    assert!(
        app.store
            .applications_of_employee(&Scope::Everything, outsider.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn after_a_cancel_a_new_application_can_be_started() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (employee, first) = app.application_in(Status::AwaitingSignature).await;
    assert_eq!(app.cancel(&token, first, None).await.status(), 200);

    let response = app
        .create_application(
            &token,
            &json!({ "afm": employee.afm, "email": employee.email }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let view: Value = response.json().await.unwrap();
    let second = view["id"].as_i64().unwrap();
    assert_ne!(second, first);
    assert_eq!(view["status"], "awaiting_data_check");
    assert_eq!(view["history"].as_array().unwrap().len(), 1);

    // The card shows the new application; the old one stays rejected.
    let card = app.card_ok(&token, employee.id).await;
    assert_eq!(card["application"]["id"], second);
    assert_eq!(app.application(first).await.status, Status::Rejected);
    assert_eq!(
        app.store
            .applications_of_employee(&Scope::Everything, employee.id)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn invalid_contact_details_get_422_naming_the_field() {
    let app = spawn_app().await;
    let token = app.token().await;
    let employee = app.add_employee("Ρήγας", "Φώτης").await;
    for (body, field) in [
        (
            json!({ "afm": employee.afm, "email": "not an email" }),
            "email",
        ),
        (json!({ "afm": employee.afm, "email": "" }), "email"),
        (
            json!({ "afm": employee.afm, "email": "f@example.gr", "mobile": "12" }),
            "mobile",
        ),
        (json!({ "afm": "", "email": "f@example.gr" }), "afm"),
        (json!({ "afm": "12345", "email": "f@example.gr" }), "afm"),
    ] {
        let error = assert_error(
            app.create_application(&token, &body).await,
            422,
            "invalid_field",
        )
        .await;
        assert_eq!(error["field"], field, "{body}: {error}");
    }
    assert!(
        app.store
            .applications_of_employee(&Scope::Everything, employee.id)
            .await
            .unwrap()
            .is_empty(),
        "nothing was written"
    );
}

#[tokio::test]
async fn the_history_reads_in_english_when_asked() {
    let app = spawn_app().await;
    let token = app.token().await;
    let employee = app.add_employee("Λάμπρου", "Σοφία").await;
    let response = app
        .create_application_en(
            &token,
            &json!({ "afm": employee.afm, "email": employee.email }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let view: Value = response.json().await.unwrap();
    assert_eq!(
        view["status_label"],
        "Awaiting the user's check of their data"
    );
    assert_eq!(
        view["history"][0]["description"],
        format!(
            "The issuance process was started by user {}",
            app.admin.full_name
        )
    );
}

#[tokio::test]
async fn approve_and_reject_follow_the_rules() {
    let app = spawn_app().await;
    let token = app.token().await;
    let post = |path: String, body: Option<Value>| {
        let request = app.client.post(app.url(&path)).bearer_auth(&token);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        request.send()
    };

    let (_, id) = app.application_in(Status::AwaitingApproval).await;
    let response = post(format!("/api/v1/applications/{id}/approve"), None)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["status"], "awaiting_identification");
    assert_eq!(
        view["history"].as_array().unwrap().last().unwrap()["action"],
        "approved"
    );
    // Not twice.
    let response = post(format!("/api/v1/applications/{id}/approve"), None)
        .await
        .unwrap();
    assert_error(response, 409, "invalid_state").await;

    let (_, id) = app.application_in(Status::AwaitingApproval).await;
    let response = post(format!("/api/v1/applications/{id}/reject"), Some(json!({})))
        .await
        .unwrap();
    let error = assert_error(response, 422, "invalid_field").await;
    assert_eq!(error["field"], "reason");
    let response = post(
        format!("/api/v1/applications/{id}/reject"),
        Some(json!({ "reason": "Δεν απαιτείται" })),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["status"], "rejected");
    let last = view["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "rejected");
    assert_eq!(last["reason"], "Δεν απαιτείται");

    // Another organisation's ΔΨΠ cannot.
    let (_, stranger) = app.add_organisation_with_admin("OTHER").await;
    let stranger_token = app.token_for(&stranger).await;
    let (_, id) = app.application_in(Status::AwaitingApproval).await;
    let response = app
        .client
        .post(app.url(&format!("/api/v1/applications/{id}/approve")))
        .bearer_auth(&stranger_token)
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "not_found").await;
    assert_eq!(app.application(id).await.status, Status::AwaitingApproval);
}
