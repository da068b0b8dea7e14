//! The employee card: approving and rejecting, and another organisation's employee.

use certdesk_domain::Status;

use crate::helpers::*;

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
