//! Signing with a one-time code, by email or TOTP, and the limits on wrong codes.

use certdesk_domain::Status;
use certdesk_domain::otp::step_at;
use certdesk_domain::throttle::ThrottleKey;
use chrono::Utc;

use super::{
    SIGNING_PASSWORD, application_id, enrol_totp, identification_form, portal_app, portal_page,
    portal_post, status_of, up_to_identification,
};
use crate::helpers::*;

#[tokio::test]
async fn with_the_email_channel_the_code_comes_by_email_and_counts_once() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    let session = up_to_identification(&app, &person).await;
    let chosen = portal_post(
        &app,
        &session,
        "/portal/identification",
        &identification_form("ekaragianni", "email"),
    )
    .await;
    assert_eq!(location(&chosen), "/portal?done=identified");
    assert!(
        portal_page(&app, &session)
            .await
            .contains("id=\"send-code\"")
    );

    let sent = portal_post(&app, &session, "/portal/send-code", &[]).await;
    assert_eq!(location(&sent), "/portal?done=code_sent");
    let outbox = app.store.outbox(id).await.unwrap();
    let email = outbox.last().unwrap();
    assert_eq!(email.recipient, person.email);
    let code = super::code_in(&email.body_text);
    assert!(
        code.bytes().all(|b| b.is_ascii_digit()),
        "{}",
        email.body_text
    );

    // Only the latest code counts, and codes are not sent without limit.
    let sendings = ThrottleKey::code_sending(id).policy().max_attempts;
    for _ in 1..sendings {
        let again = portal_post(&app, &session, "/portal/send-code", &[]).await;
        assert_eq!(location(&again), "/portal?done=code_sent");
    }
    let refused = portal_post(&app, &session, "/portal/send-code", &[]).await;
    assert_eq!(refused.status(), 429);
    let latest = super::emailed_code(&app, id).await;
    if latest != code {
        let stale = portal_post(
            &app,
            &session,
            "/portal/sign",
            &[("password", SIGNING_PASSWORD), ("otp", &code)],
        )
        .await;
        assert_eq!(stale.status(), 422, "an earlier code no longer counts");
    }
    let code = latest;
    let signed = portal_post(
        &app,
        &session,
        "/portal/sign",
        &[("password", SIGNING_PASSWORD), ("otp", &code)],
    )
    .await;
    assert_eq!(signed.status(), 303, "{}", signed.text().await.unwrap());
    assert_eq!(status_of(&app, &person).await, Status::AwaitingIssuance);
    // Used: the same code is worth nothing now.
    assert!(
        !app.store
            .take_email_code(
                id,
                &certdesk_app::secrets::email_code_key(app.app.ca.as_ref().map(|ca| &ca.kek))
                    .digest(id, &code),
                Utc::now()
            )
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn wrong_codes_are_limited_and_then_even_the_right_code_waits() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    let session = up_to_identification(&app, &person).await;
    let secret = enrol_totp(&app, &session, "e.karagianni").await;
    let step = step_at(Utc::now());
    let wrong = if secret.code_at(step + 1) == "111111" {
        "222222"
    } else {
        "111111"
    };
    for _ in 0..ThrottleKey::signing_code(id).policy().max_attempts {
        let refused = portal_post(
            &app,
            &session,
            "/portal/sign",
            &[("password", SIGNING_PASSWORD), ("otp", wrong)],
        )
        .await;
        assert_eq!(refused.status(), 422);
    }
    let paused = portal_post(
        &app,
        &session,
        "/portal/sign",
        &[
            ("password", SIGNING_PASSWORD),
            ("otp", &secret.code_at(step + 1)),
        ],
    )
    .await;
    assert_eq!(paused.status(), 429);
    assert!(
        paused
            .text()
            .await
            .unwrap()
            .contains("δοκιμάστε ξανά σε 15 λεπτά")
    );
    assert_eq!(status_of(&app, &person).await, Status::AwaitingSignature);
}

#[tokio::test]
async fn a_login_cannot_pause_an_applications_signing() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    let session = up_to_identification(&app, &person).await;
    let secret = enrol_totp(&app, &session, "e.karagianni").await;
    // Usernames shaped like the keys the signing step is counted under.
    for username in [
        format!("signing-code:{id}"),
        format!("portal-otp:{id}"),
        ThrottleKey::signing_code(id).storage_key(),
    ] {
        for _ in 0..ThrottleKey::signing_code(id).policy().max_attempts + 1 {
            app.login(&username, "λάθος").await;
        }
    }
    let signed = portal_post(
        &app,
        &session,
        "/portal/sign",
        &[
            ("password", SIGNING_PASSWORD),
            ("otp", &secret.code_at(step_at(Utc::now()) + 1)),
        ],
    )
    .await;
    assert_eq!(signed.status(), 303, "{}", signed.text().await.unwrap());
    assert_eq!(status_of(&app, &person).await, Status::AwaitingIssuance);
}

#[tokio::test]
async fn concurrent_wrong_codes_get_no_more_checks_than_the_limit() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    let session = up_to_identification(&app, &person).await;
    let secret = enrol_totp(&app, &session, "e.karagianni").await;
    let step = step_at(Utc::now());
    let wrong = if [step, step + 1, step - 1]
        .iter()
        .any(|s| secret.code_at(*s) == "111111")
    {
        "222222"
    } else {
        "111111"
    };
    let allowed = ThrottleKey::signing_code(id).policy().max_attempts;
    let fields = [("password", SIGNING_PASSWORD), ("otp", wrong)];
    let guesses = (0..3 * allowed).map(|_| portal_post(&app, &session, "/portal/sign", &fields));
    let statuses: Vec<u16> = futures::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 422).count() as u64;
    assert_eq!(checked, allowed, "only the limit is checked: {statuses:?}");
    assert!(
        statuses.iter().all(|s| [422, 429].contains(s)),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn an_email_code_is_kept_under_a_key_the_database_does_not_hold() {
    use sha2::{Digest, Sha256};

    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    let session = up_to_identification(&app, &person).await;
    let chosen = portal_post(
        &app,
        &session,
        "/portal/identification",
        &identification_form("ekaragianni", "email"),
    )
    .await;
    assert_eq!(chosen.status(), 303);
    portal_post(&app, &session, "/portal/send-code", &[]).await;
    let code = &super::emailed_code(&app, id).await;
    let stored = app.probe.email_code_digest(id).await;
    // A bare hash of six digits is undone by trying the million codes.
    let bare = hex::encode(Sha256::digest(
        format!("certdesk-email-otp:{id}:{code}").as_bytes(),
    ));
    assert_ne!(stored, bare);
    let kek = &app.app.ca.as_ref().expect("the test CA").kek;
    assert_eq!(
        stored,
        certdesk_app::secrets::email_code_key(Some(kek)).digest(id, code)
    );
    assert_ne!(
        stored,
        certdesk_app::secrets::email_code_key(None).digest(id, code)
    );
}
