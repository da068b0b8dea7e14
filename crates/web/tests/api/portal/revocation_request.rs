//! «Αίτημα ανάκλησης» (issue 11, item 6): the holder asks for revocation with an optional
//! reason; the request is in the history, reaches the ΔΨΠ as a task on the card (with its time
//! and reason, next to «Ανάκληση πιστοποιητικού») and in a filter of the console's search and
//! of the API; a second request while it is open is answered clearly; once the ΔΨΠ revokes, it
//! is done. The organisation's ΔΨΠ is also told by email. Before issuance there is nothing to
//! ask for.

use certdesk_domain::{Action, SecurityEventKind, Status};
use serde_json::json;

use super::holder::{Holder, holder_get, holder_post, issued_holder};
use super::{portal_app, text_of, up_to_identification};

const PATH: &str = "/portal/revocation-request";
const REASON: &str = "Έχασα το κινητό με την εφαρμογή επαλήθευσης";

#[tokio::test]
async fn the_holder_asks_and_the_request_waits_for_the_administrator() {
    let (app, person) = portal_app().await;
    let holder = issued_holder(&app, &person, "totp").await;
    let other = app
        .store
        .create_organisation("OTHER", "Άλλος φορέας", chrono::Utc::now())
        .await
        .unwrap();
    app.add_admin(other.id, "dpp@other.gr", "Άλλος ΔΨΠ").await;

    let (_, home) = holder_get(&app, &holder, "/portal").await;
    assert!(
        home.contains("href=\"/portal/revocation-request\""),
        "{home}"
    );
    let (status, page) = holder_get(&app, &holder, PATH).await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1 class=\"govgr-heading-l\">Αίτημα ανάκλησης</h1>"));
    assert!(page.contains("Μετά την ανάκληση το πιστοποιητικό δεν υπογράφει πια"));
    assert!(page.contains("id=\"revocation-request-form\""));

    let (status, done) = holder_post(&app, &holder, PATH, &[("reason", REASON)]).await;
    assert_eq!(
        (status, done.as_str()),
        (303, "/portal/revocation-request?done=requested")
    );
    let (_, page) = holder_get(&app, &holder, &done).await;
    assert!(page.contains("Το αίτημα ανάκλησης υποβλήθηκε."), "{page}");
    assert!(page.contains("Υποβάλατε αίτημα ανάκλησης στις"));
    assert_eq!(text_of(&page, "revocation-reason"), REASON);
    assert!(
        !page.contains("id=\"revocation-request-form\""),
        "asked once"
    );

    // Still issued; the history has the request, with the reason, by the holder.
    let application = app.application(holder.id).await;
    assert_eq!(application.status, Status::Issued);
    let history = app.history(holder.id).await;
    let entry = history.last().unwrap();
    assert_eq!(entry.action, Action::RevocationRequested);
    assert_eq!(
        entry.description,
        "Ο δικαιούχος ζήτησε την ανάκληση του πιστοποιητικού του"
    );
    assert_eq!(entry.reason.as_deref(), Some(REASON));
    assert_eq!(entry.actor_name, "ΕΛΕΝΗ ΚΑΡΑΓΙΑΝΝΗ");
    let (_, home) = holder_get(&app, &holder, "/portal").await;
    assert!(home.contains("Αίτημα ανάκλησης") && home.contains(REASON));
    assert!(
        app.store
            .latest_security_events(10)
            .await
            .unwrap()
            .iter()
            .any(|e| e.kind == SecurityEventKind::RevocationRequested)
    );

    // The organisation's ΔΨΠ is told by email, with the reason; an account of another
    // organisation is not.
    let outbox = app.store.outbox(holder.id).await.unwrap();
    let told: Vec<_> = outbox
        .iter()
        .filter(|m| {
            m.subject
                .starts_with("Αίτημα ανάκλησης ψηφιακού πιστοποιητικού")
        })
        .collect();
    assert_eq!(told.len(), 1, "{outbox:?}");
    assert_eq!(told[0].recipient, app.admin.username);
    assert!(told[0].body_text.contains(REASON), "{}", told[0].body_text);

    // A second request is answered clearly.
    let (status, page) = holder_post(&app, &holder, PATH, &[("reason", "ξανά")]).await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("Έχετε ήδη υποβάλει αίτημα ανάκλησης για αυτό το πιστοποιητικό"));
    assert_eq!(app.history(holder.id).await.len(), history.len());

    // The ΔΨΠ: a task on the card, beside «Ανάκληση πιστοποιητικού».
    let session = app.console_login(&app.admin).await;
    let card = app
        .console_get(&session, &format!("/employees/{}", person.employee_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        card.contains("Αίτημα ανάκλησης από τον δικαιούχο"),
        "{card}"
    );
    assert!(card.contains("Ο δικαιούχος ζήτησε την ανάκληση του πιστοποιητικού του στις"));
    assert_eq!(text_of(&card, "revocation-reason"), REASON);
    assert!(card.contains("id=\"revoke-open\""));
    assert!(
        card.contains("value=\"employee_request\" checked"),
        "the category the request calls for"
    );

    // …in the console's search and the API's, and on the API's card.
    let search = app
        .console_get(&session, "/employees?revocation_requested=true")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(text_of(&search, "results-total"), "1");
    assert!(search.contains(&format!("data-employee-id=\"{}\"", person.employee_id)));
    assert!(search.contains(
        "id=\"revocation_requested\" name=\"revocation_requested\" value=\"true\" checked"
    ));
    let token = app.token().await;
    let found = app
        .search_ok(&token, &[("revocation_requested", "true")])
        .await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["id"], person.employee_id);
    assert_eq!(found["items"][0]["revocation_requested"], true);
    let api_card = app.card_ok(&token, person.employee_id).await;
    assert_eq!(
        api_card["revocation_request"]["reason"], REASON,
        "{api_card}"
    );
    assert!(api_card["revocation_request"]["requested_at"].is_string());

    // Revoked: the request is done.
    let revoked = app
        .client
        .post(app.url(&format!("/api/v1/applications/{}/revoke", holder.id)))
        .bearer_auth(&token)
        .json(&json!({"category": "employee_request"}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let found = app
        .search_ok(&token, &[("revocation_requested", "true")])
        .await;
    assert_eq!(found["total"], 0, "{found}");
    let api_card = app.card_ok(&token, person.employee_id).await;
    assert!(api_card["revocation_request"].is_null(), "{api_card}");
    let card = app
        .console_get(&session, &format!("/employees/{}", person.employee_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(!card.contains("Αίτημα ανάκλησης από τον δικαιούχο"));
    let (status, location) = holder_get(&app, &holder, PATH).await;
    assert_eq!((status, location.as_str()), (303, "/portal"));
    let (status, page) = holder_post(&app, &holder, PATH, &[]).await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("Αίτημα ανάκλησης υποβάλλεται μόνο για εκδομένο πιστοποιητικό"));
}

#[tokio::test]
async fn a_reason_too_long_is_named_and_nothing_is_asked() {
    let (app, person) = portal_app().await;
    let holder = issued_holder(&app, &person, "email").await;
    let long = "α".repeat(501);
    let (status, page) = holder_post(&app, &holder, PATH, &[("reason", &long)]).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Αιτιολογία: επιτρέπονται έως 500 χαρακτήρες"),
        "{page}"
    );
    assert!(page.contains(&long), "what was typed is kept");
    assert!(
        app.application(holder.id)
            .await
            .revocation_request
            .is_none()
    );
    // Without a reason is fine.
    let (status, _) = holder_post(&app, &holder, PATH, &[("reason", "  ")]).await;
    assert_eq!(status, 303);
    let request = app.application(holder.id).await.revocation_request.unwrap();
    assert_eq!(request.reason, None);
}

#[tokio::test]
async fn before_issuance_there_is_nothing_to_revoke() {
    let (app, person) = portal_app().await;
    let session = up_to_identification(&app, &person).await;
    let holder = Holder {
        session,
        id: super::application_id(&app, &person).await,
        secret: None,
    };
    let (status, location) = holder_get(&app, &holder, PATH).await;
    assert_eq!((status, location.as_str()), (303, "/portal"));
    let (status, page) = holder_post(&app, &holder, PATH, &[("reason", REASON)]).await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("Αίτημα ανάκλησης υποβάλλεται μόνο για εκδομένο πιστοποιητικό"));
    assert_eq!(
        app.application(holder.id).await.status,
        Status::AwaitingIdentification
    );
}
