//! «Συγχρονισμός OTP» (issue 11, item 6): two consecutive codes of a drifting authenticator app,
//! found within ten minutes of the server's clock, remember the drift, so that the app's later
//! codes sign; the two codes count as used; codes too far off, out of order or malformed are
//! refused with a message; the email channel has nothing to synchronise.

use certdesk_domain::SecurityEventKind;
use certdesk_domain::otp::{OtpChannel, step_at};
use certdesk_store::Scope;
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::holder::{Holder, holder_get, holder_post, issued_holder, sign_buffer};
use super::{SIGNING_PASSWORD, portal_app};
use crate::helpers::*;

const PATH: &str = "/portal/otp-sync";

fn codes<'a>(first: &'a str, second: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("code1", first), ("code2", second)]
}

async fn drift_of(app: &TestApp, holder: &Holder) -> i64 {
    match app
        .store
        .signing_credentials(&Scope::Everything, holder.id)
        .await
        .unwrap()
        .unwrap()
        .otp
    {
        OtpChannel::Totp { drift, .. } => drift,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn two_codes_of_a_drifting_app_resynchronise_it_and_its_later_codes_sign() {
    let (app, person) = portal_app().await;
    let holder = issued_holder(&app, &person, "totp").await;
    let secret = holder.secret.clone().unwrap();
    let digest: [u8; 32] = Sha256::digest("Πράξη 7/2026".as_bytes()).into();

    let (_, home) = holder_get(&app, &holder, "/portal").await;
    assert!(home.contains("href=\"/portal/otp-sync\""), "{home}");
    let (status, page) = holder_get(&app, &holder, PATH).await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1 class=\"govgr-heading-l\">Συγχρονισμός OTP</h1>"));
    assert!(page.contains("δύο διαδοχικούς κωδικούς"));

    // The phone's clock runs four minutes ahead: its codes are outside the usual window.
    let ahead = 8;
    let app_step = step_at(Utc::now()) + ahead;
    let (status, refused) = sign_buffer(
        &app,
        SIGNING_PASSWORD,
        &secret.code_at(app_step + 1),
        &digest,
    )
    .await;
    assert_eq!(status, 422, "{refused}");

    let (status, done) = holder_post(
        &app,
        &holder,
        PATH,
        &codes(&secret.code_at(app_step - 1), &secret.code_at(app_step)),
    )
    .await;
    assert_eq!(
        (status, done.as_str()),
        (303, "/portal/otp-sync?done=synchronised"),
        "{done}"
    );
    let (_, page) = holder_get(&app, &holder, &done).await;
    assert!(page.contains("Η εφαρμογή επαλήθευσης συγχρονίστηκε."));
    let drift = drift_of(&app, &holder).await;
    assert!((ahead - 1..=ahead).contains(&drift), "drift {drift}");

    // The codes of the synchronisation are used; the app's next code signs.
    let (status, used) =
        sign_buffer(&app, SIGNING_PASSWORD, &secret.code_at(app_step), &digest).await;
    assert_eq!(status, 422, "{used}");
    assert_eq!(used["Field"], "otp");
    let (status, signed) = sign_buffer(
        &app,
        SIGNING_PASSWORD,
        &secret.code_at(app_step + 1),
        &digest,
    )
    .await;
    assert_eq!(status, 200, "{signed}");
    assert_eq!(signed["Success"], "true");

    // Used codes do not synchronise again either.
    let (status, page) = holder_post(
        &app,
        &holder,
        PATH,
        &codes(&secret.code_at(app_step), &secret.code_at(app_step + 1)),
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("Οι κωδικοί δεν είναι σωστοί ή δεν είναι διαδοχικοί"));

    let events = app.store.latest_security_events(20).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == SecurityEventKind::OtpResynchronised),
        "{events:?}"
    );
}

#[tokio::test]
async fn codes_beyond_ten_minutes_out_of_order_or_malformed_are_refused() {
    let (app, person) = portal_app().await;
    let holder = issued_holder(&app, &person, "totp").await;
    let secret = holder.secret.clone().unwrap();
    let now = step_at(Utc::now());
    for (first, second) in [
        (now + 24, now + 25),
        (now - 26, now - 25),
        (now + 4, now + 3),
    ] {
        let (status, page) = holder_post(
            &app,
            &holder,
            PATH,
            &codes(&secret.code_at(first), &secret.code_at(second)),
        )
        .await;
        assert_eq!(status, 422, "{first} {second}: {page}");
        assert!(
            page.contains("Οι κωδικοί δεν είναι σωστοί ή δεν είναι διαδοχικοί"),
            "{page}"
        );
    }
    let (status, page) = holder_post(&app, &holder, PATH, &codes("", "12345")).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Πρώτος κωδικός της εφαρμογής: είναι υποχρεωτικό πεδίο"),
        "{page}"
    );
    assert!(page.contains("Δεύτερος κωδικός της εφαρμογής: πρέπει να αποτελείται από 6 ψηφία"));
    assert_eq!(drift_of(&app, &holder).await, 0, "nothing remembered");
}

#[tokio::test]
async fn the_email_channel_has_no_app_to_synchronise() {
    let (app, person) = portal_app().await;
    let holder = issued_holder(&app, &person, "email").await;
    let (_, home) = holder_get(&app, &holder, "/portal").await;
    assert!(!home.contains("href=\"/portal/otp-sync\""));
    let (status, page) = holder_get(&app, &holder, PATH).await;
    assert_eq!(status, 200);
    assert!(page.contains("Λαμβάνετε τους κωδικούς μίας χρήσης στο email εργασίας σας"));
    assert!(!page.contains("otp-sync-form"));
    let (status, location) = holder_post(&app, &holder, PATH, &codes("123456", "654321")).await;
    assert_eq!((status, location.as_str()), (303, "/portal"));
}
