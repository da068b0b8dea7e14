//! Cancelling an issuance (SPEC §3) through `POST /api/v1/applications/{id}/cancel`.

use certdesk_domain::Status;
use certdesk_domain::job::JobKind;
use serde_json::{Value, json};

use crate::helpers::*;

mod races;

/// Cancels an application in `from` and checks the answer, the history, the effects in the
/// store and the search results.
async fn cancel_from(from: Status, reason: Option<&str>) {
    let app = spawn_app().await;
    let token = app.token().await;
    let (employee, id) = app.application_in(from).await;

    // Before: what the cancellation must undo.
    let card = app.card_ok(&token, employee.id).await;
    assert_eq!(card["application"]["status"], from.code());
    assert_eq!(card["application"]["cancellable"], true);
    let history_before = card["application"]["history"].as_array().unwrap().len();
    let version_before = card["application"]["version"].as_i64().unwrap();
    let reserved = app.store.reserved_username(id).await.unwrap();
    let username_reserved = matches!(from, Status::AwaitingSignature | Status::AwaitingIssuance);
    assert_eq!(
        reserved.is_some(),
        username_reserved,
        "a username is reserved from awaiting_signature on; got {reserved:?}"
    );
    let jobs = app.store.pending_jobs(id).await.unwrap();
    if from == Status::AwaitingIssuance {
        assert!(
            jobs.iter().any(|j| j.kind == JobKind::IssueCertificate),
            "an issuance job is queued: {jobs:?}"
        );
    }
    let outbox_before = app.store.outbox(id).await.unwrap().len();
    // Key material made for the pending certificate (in the later states, where the CA would
    // have made it).
    let with_key = matches!(from, Status::AwaitingSignature | Status::AwaitingIssuance);
    if with_key {
        app.probe.put_key_material(id, b"encrypted key").await;
    }
    assert_eq!(
        app.probe.has_key_material(id).await,
        with_key,
        "key material to destroy exactly where the CA would have made it"
    );

    let body = reason.map(|r| json!({ "reason": r }));
    let response = app.cancel(&token, id, body).await;
    assert_eq!(response.status(), 200);
    let view: Value = response.json().await.unwrap();

    assert_eq!(view["id"], id);
    assert_eq!(view["status"], "rejected");
    assert_eq!(view["status_label"], REJECTED_EL);
    assert_eq!(view["cancellable"], false);
    assert_eq!(view["version"], version_before + 1);
    let history = view["history"].as_array().unwrap();
    assert_eq!(history.len(), history_before + 1, "exactly one new entry");
    let last = history.last().unwrap();
    assert_eq!(last["action"], "cancelled");
    assert_eq!(
        last["description"],
        cancelled_description(&app.admin.full_name)
    );
    assert_eq!(last["actor"], app.admin.full_name);
    assert!(last["at"].is_string());
    match reason {
        Some(r) => assert_eq!(last["reason"], r, "the reason is kept"),
        None => assert!(last["reason"].is_null(), "no reason: {last}"),
    }

    // Effects, in the store.
    assert_eq!(app.store.reserved_username(id).await.unwrap(), None);
    assert_eq!(app.store.pending_jobs(id).await.unwrap(), vec![]);
    assert!(
        !app.probe.has_key_material(id).await,
        "key material is destroyed"
    );
    let outbox = app.store.outbox(id).await.unwrap();
    assert_eq!(outbox.len(), outbox_before + 1, "one notification");
    let message = outbox.last().unwrap();
    assert_eq!(message.recipient, employee.email);
    assert!(
        message.subject.contains(REJECTED_EL),
        "the subject mentions the new status: {}",
        message.subject
    );
    let stored = app.application(id).await;
    assert_eq!(stored.status, Status::Rejected);

    // The card and the search show the new status.
    let card = app.card_ok(&token, employee.id).await;
    assert_eq!(card["application"]["status"], "rejected");
    assert_eq!(card["application"]["status_label"], REJECTED_EL);
    let found = app
        .search_ok(&token, &[("q", employee.surname.as_str())])
        .await;
    let row = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == employee.id)
        .unwrap_or_else(|| panic!("the employee is found by surname: {found}"));
    assert_eq!(row["status"], "rejected");
    assert_eq!(row["status_label"], REJECTED_EL);
}

/// The card says which applications may be cancelled: exactly the five pending states.
#[tokio::test]
async fn the_card_marks_exactly_the_pending_states_cancellable() {
    let app = spawn_app().await;
    let token = app.token().await;
    for status in certdesk_domain::Status::ALL {
        let (employee, _) = app.application_in(status).await;
        let card = app.card_ok(&token, employee.id).await;
        assert_eq!(card["application"]["status"], status.code());
        assert_eq!(
            card["application"]["cancellable"],
            PENDING.contains(&status),
            "{status:?}"
        );
    }
}

#[tokio::test]
async fn cancel_from_awaiting_data_check() {
    cancel_from(Status::AwaitingDataCheck, None).await;
}

#[tokio::test]
async fn cancel_from_awaiting_approval_keeps_the_reason() {
    cancel_from(
        Status::AwaitingApproval,
        Some("Μετακίνηση του υπαλλήλου σε άλλον φορέα"),
    )
    .await;
}

#[tokio::test]
async fn cancel_from_awaiting_identification() {
    cancel_from(Status::AwaitingIdentification, None).await;
}

#[tokio::test]
async fn cancel_from_awaiting_signature_releases_the_username() {
    cancel_from(
        Status::AwaitingSignature,
        Some("Λάθος στοιχεία επικοινωνίας"),
    )
    .await;
}

#[tokio::test]
async fn cancel_from_awaiting_issuance_drops_the_issuance_job() {
    cancel_from(Status::AwaitingIssuance, None).await;
}

#[tokio::test]
async fn a_released_username_can_be_reserved_again() {
    // SPEC §5: the username is released when an application is cancelled before issuance.
    let app = spawn_app().await;
    let token = app.token().await;
    let (employee, id) = app.application_in(Status::AwaitingSignature).await;
    let username = app.store.reserved_username(id).await.unwrap().unwrap();
    assert_eq!(app.cancel(&token, id, None).await.status(), 200);
    let card = app.card_ok(&token, employee.id).await;
    assert!(
        card["username"].is_null(),
        "the card no longer shows the released username {username}: {card}"
    );
}

/// Issued, rejected, revoked and expired applications are not cancellable.
#[tokio::test]
async fn cancelling_a_finished_application_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    let token = app.token().await;
    for status in [
        Status::Issued,
        Status::Rejected,
        Status::Revoked,
        Status::Expired,
    ] {
        let (employee, id) = app.application_in(status).await;
        let before = app.card_ok(&token, employee.id).await;
        assert_eq!(before["application"]["cancellable"], false);
        let outbox_before = app.store.outbox(id).await.unwrap().len();

        let error = assert_error(
            app.cancel(&token, id, Some(json!({ "reason": "Δοκιμή" })))
                .await,
            409,
            "not_cancellable",
        )
        .await;
        if status == Status::Issued {
            let message = error["message"].as_str().unwrap();
            assert!(
                message.contains("Ανάκληση"),
                "an issued certificate is revoked, not cancelled: {message}"
            );
        }

        let after = app.card_ok(&token, employee.id).await;
        assert_eq!(after["application"]["status"], status.code());
        assert_eq!(
            after["application"]["version"], before["application"]["version"],
            "{status:?}: version unchanged"
        );
        assert_eq!(
            after["application"]["history"], before["application"]["history"],
            "{status:?}: history unchanged"
        );
        assert_eq!(app.store.outbox(id).await.unwrap().len(), outbox_before);
    }
}

#[tokio::test]
async fn cancelling_an_issued_application_points_to_revocation_in_english_too() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (_, id) = app.application_in(Status::Issued).await;
    let response = app
        .client
        .post(app.url(&format!("/api/v1/applications/{id}/cancel")))
        .bearer_auth(&token)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    let error = assert_error(response, 409, "not_cancellable").await;
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("revoke"), "{message}");
}

#[tokio::test]
async fn a_second_cancel_is_a_conflict_and_adds_no_history() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (employee, id) = app.application_in(Status::AwaitingApproval).await;
    assert_eq!(app.cancel(&token, id, None).await.status(), 200);
    let after_first = app.card_ok(&token, employee.id).await;
    let outbox_after_first = app.store.outbox(id).await.unwrap().len();

    let error = assert_error(app.cancel(&token, id, None).await, 409, "not_cancellable").await;
    assert!(
        error["message"].as_str().unwrap().contains(REJECTED_EL),
        "the message names the status: {error}"
    );

    let after_second = app.card_ok(&token, employee.id).await;
    assert_eq!(after_second["application"], after_first["application"]);
    let cancelled = app
        .history(id)
        .await
        .iter()
        .filter(|h| h.action == certdesk_domain::Action::Cancelled)
        .count();
    assert_eq!(cancelled, 1);
    assert_eq!(
        app.store.outbox(id).await.unwrap().len(),
        outbox_after_first
    );
}

#[tokio::test]
async fn another_organisations_administrator_gets_404_and_changes_nothing() {
    let app = spawn_app().await;
    let (_, stranger) = app.add_organisation_with_admin("OTHER").await;
    let stranger_token = app.token_for(&stranger).await;
    let (employee, id) = app.application_in(Status::AwaitingApproval).await;
    let before = app.application(id).await;
    let history_before = app.history(id).await.len();

    // The same answers as for an employee and an application that do not exist.
    let missing_card =
        assert_error(app.card(&stranger_token, 999_999).await, 404, "not_found").await;
    let card = assert_error(
        app.card(&stranger_token, employee.id).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(card, missing_card);
    let missing_cancel = assert_error(
        app.cancel(&stranger_token, 999_999, None).await,
        404,
        "not_found",
    )
    .await;
    let cancel = assert_error(
        app.cancel(&stranger_token, id, Some(json!({ "reason": "x" })))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(cancel, missing_cancel);

    assert_eq!(app.application(id).await, before, "nothing changed");
    assert_eq!(app.history(id).await.len(), history_before);

    for query in [
        vec![("q", employee.surname.as_str())],
        vec![("afm", employee.afm.as_str())],
        vec![("email", employee.email.as_str())],
        vec![("status", "awaiting_approval")],
        vec![],
    ] {
        let found = app.search_ok(&stranger_token, &query).await;
        assert_eq!(found["total"], 0, "{query:?}: {found}");
        assert_eq!(found["items"], json!([]));
    }

    // The employee's own organisation still sees everything.
    let token = app.token().await;
    let found = app
        .search_ok(&token, &[("afm", employee.afm.as_str())])
        .await;
    assert_eq!(found["total"], 1);
}
