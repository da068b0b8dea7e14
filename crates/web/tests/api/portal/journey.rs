//! The whole journey: from the start email to a signed application, and on to the issued
//! certificate the beneficiary downloads.

use certdesk_domain::job::JobKind;
use certdesk_domain::otp::step_at;
use certdesk_domain::{Action, Status};
use certdesk_store::Scope;
use chrono::Utc;
use reqwest::header::COOKIE;
use serde_json::json;

use super::{
    SIGNING_PASSWORD, application_id, enrol_totp, follow_start_link, identification_form,
    portal_app, portal_get, portal_login, portal_page, portal_post, start_link, status_of, text_of,
    up_to_identification,
};
use crate::helpers::*;

#[tokio::test]
async fn a_beneficiary_goes_from_the_start_email_to_awaiting_issuance_with_a_totp_app() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;

    // The start email links to the portal: «Έναρξη», with the token that proves the address.
    let outbox = app.store.outbox(id).await.unwrap();
    let portal = app.url("/portal");
    assert_eq!(outbox[0].recipient, person.email);
    let link = start_link(&app, &person).await;
    assert!(
        link.starts_with(&format!("{portal}/start?token=")),
        "{link}"
    );
    assert!(
        outbox[0]
            .body_html
            .contains(&format!("<a href=\"{link}\">Έναρξη</a>"))
    );

    // Not logged in: the link keeps its token and the landing page offers the registry's login.
    let followed = app.client.get(&link).send().await.unwrap();
    assert_eq!(followed.status(), 303);
    let kept = cookie_value(&followed, &app.cookie_name("certdesk_email_link")).unwrap();
    let landing = app
        .client
        .get(&portal)
        .header(
            COOKIE,
            format!("{}={kept}", app.cookie_name("certdesk_email_link")),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(landing.contains("id=\"portal-login\""));
    assert!(landing.contains("για να επιβεβαιωθεί η διεύθυνση email σας"));

    let session = portal_login(&app, &person.afm).await;
    let proven = follow_start_link(&app, &session, &link).await;
    assert!(
        proven
            .text()
            .await
            .unwrap()
            .contains("Η διεύθυνση email σας επιβεβαιώθηκε.")
    );
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
    let credentials = app
        .store
        .signing_credentials(&Scope::Everything, id)
        .await
        .unwrap()
        .unwrap();
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
        jobs.iter().any(|j| j.kind == JobKind::IssueCertificate),
        "{jobs:?}"
    );
    let actions: Vec<Action> = app.history(id).await.iter().map(|h| h.action).collect();
    assert_eq!(
        actions,
        [
            Action::Started,
            Action::EmailProvenByLink,
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
    assert!(
        app.store
            .signing_credentials(&Scope::Everything, id)
            .await
            .unwrap()
            .is_none()
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
    let code = super::emailed_code(&app, id).await;
    let signed = portal_post(
        &app,
        &session,
        "/portal/sign",
        &[("password", SIGNING_PASSWORD), ("otp", &code)],
    )
    .await;
    assert_eq!(signed.status(), 303);
    assert!(
        certdesk_app::worker::run_one_job(app.store.as_ref(), &app.issuing_worker(), Utc::now())
            .await
            .unwrap()
    );
    let page = portal_page(&app, &session).await;
    assert_eq!(text_of(&page, "status"), "Το πιστοποιητικό εκδόθηκε");
    let certificate = app
        .store
        .certificate(&Scope::Everything, id)
        .await
        .unwrap()
        .unwrap();
    assert!(page.contains(&certificate.serial));
    // The subject carries the tax registry's spelling of the names, not the HR record's.
    let utf8 = |text: &str| text.as_bytes().to_vec();
    let has = |text: &str| {
        certificate
            .der
            .windows(utf8(text).len())
            .any(|w| w == utf8(text))
    };
    assert!(has("Καραγιάννη") && has("Ελένη"), "the registry's names");
    assert!(!has("ΚΑΡΑΓΙΑΝΝΗ") && !has("ΕΛΕΝΗ"), "not the HR record's");
    // The proven address is the certificate's rfc822Name.
    assert!(
        certificate
            .der
            .windows(person.email.len())
            .any(|w| w == person.email.as_bytes()),
        "the proven email in the certificate"
    );
    let pem = portal_get(&app, &session, "/portal/certificate.pem").await;
    assert_eq!(pem.headers()[reqwest::header::CACHE_CONTROL], "no-store");
    let pem = pem.text().await.unwrap();
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
