//! The expiry sweep of certificates: the notice 15 days before, then the expiry.

use certdesk_app::worker::{WorkerConfig, run_one_job};
use certdesk_domain::Status;
use certdesk_store::Scope;
use serde_json::json;

use super::{issued, revoke};
use crate::helpers::*;

#[tokio::test]
async fn holders_are_told_15_days_before_expiry_once_and_an_expired_certificate_shows_expired() {
    let app = spawn_app().await;
    let (employee, id) = issued(&app).await;
    let not_after = app
        .store
        .certificate(&Scope::Everything, id)
        .await
        .unwrap()
        .unwrap()
        .not_after;
    let store = app.store.as_ref();
    let sweep = certdesk_app::worker::sweep_certificates;

    // A month before: nothing yet.
    assert_eq!(
        sweep(store, not_after - chrono::Duration::days(30))
            .await
            .unwrap(),
        (0, 0)
    );
    // Within 15 days: one notice, once, even when swept again.
    let soon = not_after - chrono::Duration::days(14);
    assert_eq!(sweep(store, soon).await.unwrap(), (1, 0));
    assert_eq!(sweep(store, soon).await.unwrap(), (0, 0));
    let notices: Vec<_> = app
        .store
        .outbox(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.contains("λήγει σύντομα"))
        .collect();
    assert_eq!(notices.len(), 1);
    assert!(notices[0].body_text.contains(&employee.surname));
    assert!(
        notices[0]
            .body_text
            .contains(&not_after.format("%d/%m/%Y").to_string())
    );
    assert_eq!(app.application(id).await.status, Status::Issued);

    // Past notAfter: the application becomes expired, by the job, and the key goes.
    let after = not_after + chrono::Duration::seconds(1);
    assert_eq!(sweep(store, after).await.unwrap(), (0, 1));
    assert!(
        run_one_job(store, &WorkerConfig::default(), after)
            .await
            .unwrap()
    );
    assert_eq!(app.application(id).await.status, Status::Expired);
    assert!(!app.probe.has_key_material(id).await);
    let last = app.history(id).await.pop().unwrap();
    assert_eq!(last.action, certdesk_domain::Action::CertificateExpired);
    assert_eq!(sweep(store, after).await.unwrap(), (0, 0), "expired once");
}

#[tokio::test]
async fn a_revoked_certificate_gets_no_expiry_notice() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (_, id) = issued(&app).await;
    let not_after = app
        .store
        .certificate(&Scope::Everything, id)
        .await
        .unwrap()
        .unwrap()
        .not_after;
    assert_eq!(
        revoke(&app, &token, id, json!({"category": "employee_request"}))
            .await
            .status(),
        200
    );
    let soon = not_after - chrono::Duration::days(1);
    assert_eq!(
        certdesk_app::worker::sweep_certificates(app.store.as_ref(), soon)
            .await
            .unwrap(),
        (0, 0)
    );
}
