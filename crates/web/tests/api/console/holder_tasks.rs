//! What the holders of certificates leave for the ΔΨΠ (issue 11): the count of signatures on the
//! card (console and API), counted within the ΔΨΠ's organisations only, and the holders'
//! revocation requests, found with a filter of the search (console and API) while they are open.

use certdesk_domain::remote_signing::SigningClient;
use certdesk_domain::transition::decide;
use certdesk_domain::validation::Reason;
use certdesk_domain::{Actor, Command, Status};
use certdesk_store::{NewSignatures, Scope};
use chrono::Utc;

use crate::helpers::*;

/// The holder of application `id` asks for revocation, through the domain's rules.
async fn request_revocation(app: &TestApp, employee: &Employee, id: i64, reason: &str) {
    let application = app.application(id).await;
    let holder = Actor::beneficiary(
        application.employee_id,
        format!("{} {}", employee.given_name, employee.surname),
    );
    let command = Command::RequestRevocation {
        reason: Reason::parse_optional(Some(reason)).unwrap(),
    };
    let transition = decide(&application.as_domain(), &command, &holder, Utc::now()).unwrap();
    app.store.commit_transition(&transition).await.unwrap();
}

async fn sign(app: &TestApp, id: i64, count: usize) {
    let recorded = app
        .store
        .record_signatures(&NewSignatures {
            application_id: id,
            at: Utc::now(),
            digests: (0..count).map(|i| format!("{i:064x}")).collect(),
            client: SigningClient::SignBuffer,
            address: None,
        })
        .await
        .unwrap();
    assert!(recorded);
}

#[tokio::test]
async fn the_card_counts_the_signatures_of_the_certificate_within_the_organisations() {
    let app = spawn_app().await;
    let (employee, id) = app.application_in(Status::Issued).await;
    let (pending, _) = app.application_in(Status::AwaitingIssuance).await;
    sign(&app, id, 3).await;

    let token = app.token().await;
    assert_eq!(app.card_ok(&token, employee.id).await["signature_count"], 3);
    let none = app.card_ok(&token, pending.id).await;
    assert!(none["signature_count"].is_null(), "no certificate: {none}");
    let session = app.console_login(&app.admin).await;
    let card = app
        .console_get(&session, &format!("/employees/{}", employee.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        card.contains("<dd class=\"govgr-summary-list__value\" id=\"signature-count\">3</dd>"),
        "{card}"
    );

    // Another organisation's ΔΨΠ sees neither the card nor the count.
    let (org_b, admin_b) = app.add_organisation_with_admin("YPES").await;
    let token_b = app.token_for(&admin_b).await;
    assert_eq!(app.card(&token_b, employee.id).await.status(), 404);
    let scoped = app
        .store
        .signature_count(&Scope::Organisations(vec![org_b]), id)
        .await
        .unwrap();
    assert_eq!(scoped, 0);
    let own = app
        .store
        .signature_count(&Scope::Organisations(vec![app.org_id]), id)
        .await
        .unwrap();
    assert_eq!(own, 3);
}

#[tokio::test]
async fn open_revocation_requests_are_a_filter_of_the_search() {
    let app = spawn_app().await;
    let (asking, id) = app.application_in(Status::Issued).await;
    let (_quiet, _) = app.application_in(Status::Issued).await;
    let (done, done_id) = app.application_in(Status::Issued).await;
    request_revocation(&app, &asking, id, "Αλλαγή θέσης").await;
    request_revocation(&app, &done, done_id, "Συνταξιοδότηση").await;
    let revoked = app
        .client
        .post(app.url(&format!("/api/v1/applications/{done_id}/revoke")))
        .bearer_auth(app.token().await)
        .json(&serde_json::json!({"category": "employee_request"}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);

    let token = app.token().await;
    let all = app.search_ok(&token, &[]).await;
    assert_eq!(all["total"], 3);
    let found = app
        .search_ok(&token, &[("revocation_requested", "true")])
        .await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["id"], asking.id);
    assert_eq!(found["items"][0]["revocation_requested"], true);
    let unfiltered = app
        .search_ok(&token, &[("revocation_requested", "false")])
        .await;
    assert_eq!(unfiltered["total"], 3);
    // Combined with the other filters.
    let combined = app
        .search_ok(
            &token,
            &[("revocation_requested", "true"), ("status", "revoked")],
        )
        .await;
    assert_eq!(combined["total"], 0);
    // A value that is not a boolean names the parameter.
    let bad = app.search(&token, &[("revocation_requested", "ναι")]).await;
    let error = assert_error(bad, 422, "invalid_field").await;
    assert_eq!(error["field"], "revocation_requested");
    assert_eq!(
        error["message"],
        "Μόνο με αίτημα ανάκλησης: πρέπει να είναι true ή false"
    );

    // The console: the checkbox, and a mark on the row.
    let session = app.console_login(&app.admin).await;
    let page = app
        .console_get(&session, "/employees")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Μόνο με αίτημα ανάκλησης"));
    assert_eq!(
        page.matches("class=\"govgr-tag revocation-requested\"")
            .count(),
        1
    );
    let filtered = app
        .console_get(&session, "/employees?revocation_requested=true")
        .await
        .text()
        .await
        .unwrap();
    assert!(filtered.contains(&format!("data-employee-id=\"{}\"", asking.id)));
    assert_eq!(filtered.matches("data-employee-id=").count(), 1);

    // Another organisation's ΔΨΠ finds none of them.
    let (_, admin_b) = app.add_organisation_with_admin("YPES").await;
    let token_b = app.token_for(&admin_b).await;
    let theirs = app
        .search_ok(&token_b, &[("revocation_requested", "true")])
        .await;
    assert_eq!(theirs["total"], 0);
}

#[tokio::test]
async fn the_openapi_document_says_what_the_filter_and_the_card_answer() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let parameters = doc["paths"]["/api/v1/employees"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let filter = parameters
        .iter()
        .find(|p| p["name"] == "revocation_requested")
        .expect("the filter is documented");
    assert_eq!(filter["in"], "query");
    assert!(filter["schema"].to_string().contains("boolean"), "{filter}");
    let description = filter["description"].as_str().unwrap();
    assert!(description.contains("Αίτημα ανάκλησης") && description.contains("422"));
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("EmployeeView", "signature_count"),
        ("EmployeeView", "revocation_request"),
        ("EmployeeRowView", "revocation_requested"),
        ("RevocationRequestView", "requested_at"),
    ] {
        let property = &schemas[schema]["properties"][field];
        assert!(!property.is_null(), "{schema}.{field}");
    }
    assert!(
        schemas["EmployeeView"]["properties"]["signature_count"]["description"]
            .as_str()
            .unwrap()
            .contains("signatures")
    );
}
