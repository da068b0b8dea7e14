//! Roles kept apart (issue 10): the operator's pages and what they do, the auditor's read-only
//! access and the security log, over HTTP.

use certdesk_domain::{Role, Status};
use chrono::{Duration, Utc};
use serde_json::Value;

use crate::helpers::*;

async fn security_log(app: &TestApp) -> Vec<Value> {
    let events = app.store.security_events(None, 0, 1000).await.unwrap();
    events
        .iter()
        .map(|e| serde_json::from_str(&certdesk_app::audit::json_line(e)).unwrap())
        .collect()
}

#[tokio::test]
async fn an_operator_manages_accounts_and_sees_no_employee() {
    let app = spawn_app().await;
    let operator = app.add_account(Role::Operator, "operator@example.gr").await;
    let (session, landing) = app.console_login_as(&operator).await;
    assert_eq!(landing, "/operator/accounts");

    // No employee, no application: the ΔΨΠ's pages and the API answer 403.
    let employee = app.add_employee("Ιδιωτικός", "Άρης").await;
    for path in [
        "/employees".to_owned(),
        format!("/employees/{}", employee.id),
    ] {
        assert_eq!(
            app.console_get(&session, &path).await.status(),
            403,
            "{path}"
        );
    }
    let token = app.token_for(&operator).await;
    assert_error(app.search(&token, &[]).await, 403, "forbidden").await;

    // «Νέος φορέας».
    let csrf = app.console_csrf(&session, "/operator/organisations").await;
    let forged = app
        .console_post(
            &session,
            "/operator/organisations",
            &[("csrf", "forged"), ("code", "YPES"), ("name", "Υπουργείο")],
        )
        .await;
    assert_eq!(forged.status(), 403);
    let created = app
        .console_post(
            &session,
            "/operator/organisations",
            &[
                ("csrf", csrf.as_str()),
                ("code", "YPES"),
                ("name", "Υπουργείο <Εσωτερικών>"),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    let page = app
        .console_get(&session, "/operator/organisations")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Υπουργείο ") && !page.contains("<Εσωτερικών>"),
        "escaped"
    );
    let ypes = app
        .store
        .organisation_by_code("YPES")
        .await
        .unwrap()
        .unwrap();

    // «Νέος λογαριασμός ΔΨΠ»: a temporary password shown once, an email without it.
    let csrf = app.console_csrf(&session, "/operator/accounts").await;
    let org = app.org_id.to_string();
    let response = app
        .console_post(
            &session,
            "/operator/accounts",
            &[
                ("csrf", csrf.as_str()),
                ("username", "new.dpp@example.gr"),
                ("full_name", "Νίκος Νέος"),
                ("organisation", org.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), 201);
    let html = response.text().await.unwrap();
    let start = html.find("id=\"temporary-password\">").unwrap() + 24;
    let temporary = &html[start..start + html[start..].find('<').unwrap()];
    let account = app
        .store
        .administrator_by_username("new.dpp@example.gr")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.role, Role::Administrator);
    assert_eq!(account.organisation_ids, vec![app.org_id]);
    let mail = app
        .store
        .claim_outbox(Utc::now(), Utc::now() + Duration::minutes(1), 50)
        .await
        .unwrap();
    let welcome = mail
        .iter()
        .find(|m| m.recipient == "new.dpp@example.gr")
        .expect("the new ΔΨΠ is told by email");
    assert!(!welcome.body_text.contains(temporary));
    assert!(!welcome.body_html.contains(temporary));
    // The temporary password is right, but the account must first change it (and enrol its
    // second factor) in the console.
    assert_error(
        app.login("new.dpp@example.gr", temporary).await,
        403,
        "account_setup_required",
    )
    .await;

    // Assign another organisation, then remove it.
    let path = format!("/operator/accounts/{}", account.id);
    let csrf = app.console_csrf(&session, &path).await;
    let ypes_id = ypes.id.to_string();
    let assigned = app
        .console_post(
            &session,
            &format!("{path}/organisations"),
            &[("csrf", csrf.as_str()), ("organisation", ypes_id.as_str())],
        )
        .await;
    assert_eq!(assigned.status(), 303);
    let ids = |a: certdesk_store::AdministratorRecord| a.organisation_ids;
    let record = app.store.administrator(account.id).await.unwrap().unwrap();
    assert_eq!(ids(record), vec![app.org_id, ypes.id]);
    let removed = app
        .console_post(
            &session,
            &format!("{path}/organisations/{}/remove", ypes.id),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(removed.status(), 303);
    let record = app.store.administrator(account.id).await.unwrap().unwrap();
    assert_eq!(ids(record), vec![app.org_id]);

    // Reset the password: a new one shown once, the old sessions end.
    let dpp = Admin {
        id: app.admin.id,
        ..app.admin.clone()
    };
    let dpp_session = app.console_login(&dpp).await;
    let dpp_path = format!("/operator/accounts/{}", dpp.id);
    let reset = app
        .console_post(
            &session,
            &format!("{dpp_path}/reset-password"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(reset.status(), 200);
    assert!(reset.text().await.unwrap().contains("temporary-password"));
    assert_eq!(
        location(&app.console_get(&dpp_session, "/employees").await),
        "/login"
    );
    assert_eq!(app.login(&dpp.username, PASSWORD).await.status(), 401);

    // Disable (a ΔΨΠ whose account is set up, so that it holds an API token): no more login,
    // no more sessions.
    let working = app
        .add_admin(app.org_id, "working.dpp@example.gr", "Εργαζόμενος ΔΨΠ")
        .await;
    let token = app.token_for(&working).await;
    let working_path = format!("/operator/accounts/{}", working.id);
    let disabled = app
        .console_post(
            &session,
            &format!("{working_path}/disable"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(disabled.status(), 303);
    assert_eq!(app.search(&token, &[]).await.status(), 401);
    assert_eq!(app.login(&working.username, PASSWORD).await.status(), 401);

    // Reset the second factor and end sessions answer too.
    for action in ["reset-otp", "end-sessions"] {
        let response = app
            .console_post(
                &session,
                &format!("{path}/{action}"),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(response.status(), 303, "{action}");
    }

    // Every change is in the security log, by the operator, without a password.
    let log = security_log(&app).await;
    for kind in [
        "organisation_created",
        "account_created",
        "account_assigned",
        "account_unassigned",
        "password_reset",
        "account_disabled",
        "second_factor_reset",
        "sessions_ended",
    ] {
        let event = log
            .iter()
            .find(|e| e["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {log:?}"));
        assert_eq!(event["actor"], "operator@example.gr", "{kind}");
    }
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains(temporary) && !text.contains(PASSWORD));
}

#[tokio::test]
async fn an_auditor_reads_every_organisation_and_changes_nothing() {
    let app = spawn_app().await;
    let (other_org, _) = app.add_organisation_with_admin("OTHER").await;
    let auditor = app.add_account(Role::Auditor, "auditor@example.gr").await;
    let (_, id) = app.application_in(Status::AwaitingApproval).await;
    let owner = app.application(id).await.employee_id;
    let elsewhere = app
        .add_employee_to(other_org, "Αλλού", "Ελένη", "Γραμματεία")
        .await;

    let (session, landing) = app.console_login_as(&auditor).await;
    assert_eq!(landing, "/employees");
    for path in [
        format!("/employees/{owner}"),
        format!("/employees/{}", elsewhere.id),
    ] {
        let page = app.console_get(&session, &path).await;
        assert_eq!(page.status(), 200, "{path}");
        let html = page.text().await.unwrap();
        assert!(!html.contains("action=\"/employees/"), "no form on {path}");
    }

    // Every state-changing form of the console refuses (403), even with the right token.
    let csrf = app
        .console_csrf(&session, &format!("/employees/{owner}"))
        .await;
    let employee = app.add_employee("Νέος", "Πέτρος").await;
    for (path, form) in [
        (format!("/employees/{owner}/cancel"), vec![("reason", "x")]),
        (format!("/employees/{owner}/approve"), vec![]),
        (format!("/employees/{owner}/reject"), vec![("reason", "x")]),
        (
            format!("/employees/{owner}/revoke"),
            vec![("category", "employee_request")],
        ),
        (
            "/applications/new".to_owned(),
            vec![("afm", employee.afm.as_str()), ("email", "a@b.gr")],
        ),
    ] {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(form);
        let response = app.console_post(&session, &path, &fields).await;
        assert_eq!(response.status(), 403, "{path}");
    }
    // … and so do the API's POST routes.
    let token = app.token_for(&auditor).await;
    let body = serde_json::json!({"afm": employee.afm, "email": "a@b.gr"});
    assert_error(
        app.create_application(&token, &body).await,
        403,
        "forbidden",
    )
    .await;
    for action in ["approve", "reject", "cancel", "revoke"] {
        let response = app
            .client
            .post(app.url(&format!("/api/v1/applications/{id}/{action}")))
            .bearer_auth(&token)
            .json(&serde_json::json!({"reason": "x", "category": "employee_request"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{action}");
    }
    assert_eq!(app.application(id).await.status, Status::AwaitingApproval);
    assert!(app.store.username_taken("x").await.is_ok());
    // The API reads every organisation for an auditor.
    assert_eq!(app.card(&token, elsewhere.id).await.status(), 200);

    // The security log, on the page and as JSON lines.
    let page = app.console_get(&session, "/audit/security-log").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("login_succeeded"));
    let download = app.console_get(&session, "/audit/security-log.jsonl").await;
    assert_eq!(download.status(), 200);
    let text = download.text().await.unwrap();
    assert!(!text.contains(PASSWORD));
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let login = lines
        .iter()
        .find(|e| e["kind"] == "login_succeeded" && e["actor"] == "auditor@example.gr")
        .expect("the auditor's login");
    assert_eq!(login["address"], "127.0.0.1");
    assert!(login["at"].is_string() && login.get("subject").is_some());

    // Only an auditor reads the log.
    let dpp = app.console_login(&app.admin).await;
    assert_eq!(
        app.console_get(&dpp, "/audit/security-log").await.status(),
        403
    );
}

#[tokio::test]
async fn logins_downloads_and_revocations_are_in_the_security_log() {
    let app = spawn_app().await;
    assert_eq!(
        app.login(&app.admin.username, "wrong password!")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login("nobody@example.gr", "wrong password!")
            .await
            .status(),
        401
    );
    let token = app.token().await;
    let (_, id) = app.application_in(Status::Issued).await;
    let response = app
        .client
        .get(app.url(&format!("/api/v1/applications/{id}/certificate")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let owner = app.application(id).await.employee_id;
    let session = app.console_login(&app.admin).await;
    let pem = app
        .console_get(&session, &format!("/employees/{owner}/certificate.pem"))
        .await;
    assert_eq!(pem.status(), 200);
    let revoked = app
        .client
        .post(app.url(&format!("/api/v1/applications/{id}/revoke")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"category": "employee_request"}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);

    let log = security_log(&app).await;
    let failed: Vec<&Value> = log.iter().filter(|e| e["kind"] == "login_failed").collect();
    assert_eq!(failed.len(), 2, "{log:?}");
    assert_eq!(failed[0]["actor"], app.admin.username.as_str());
    assert_eq!(failed[1]["actor"], "nobody@example.gr");
    assert_eq!(failed[0]["address"], "127.0.0.1");
    assert_eq!(failed[0]["detail"], "wrong_credentials");
    let subject = format!("application:{id}");
    let downloads: Vec<&Value> = log
        .iter()
        .filter(|e| e["kind"] == "certificate_downloaded" && e["subject"] == subject.as_str())
        .collect();
    let via: Vec<&str> = downloads
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(via, ["api", "console"]);
    let revocation = log
        .iter()
        .find(|e| e["kind"] == "certificate_revoked")
        .expect("the revocation");
    assert_eq!(revocation["subject"], subject.as_str());
    assert_eq!(revocation["actor"], app.admin.username.as_str());
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains("wrong password!") && !text.contains(&token));
}
