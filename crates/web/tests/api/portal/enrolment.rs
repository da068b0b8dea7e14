//! The enrolment of a TOTP app.

use certdesk_domain::Status;
use certdesk_domain::otp::{TotpSecret, step_at};
use chrono::Utc;
use reqwest::header::COOKIE;

use super::{
    identification_form, portal_app, portal_get, portal_post, status_of, text_of,
    up_to_identification,
};
use crate::helpers::*;

#[tokio::test]
async fn the_totp_enrolment_needs_two_consecutive_codes() {
    let (app, person) = portal_app().await;
    let session = up_to_identification(&app, &person).await;
    let chosen = portal_post(
        &app,
        &session,
        "/portal/identification",
        &identification_form("e.karagianni", "totp"),
    )
    .await;
    assert_eq!(location(&chosen), "/portal/totp");
    let page = portal_get(&app, &session, "/portal/totp")
        .await
        .text()
        .await
        .unwrap();
    let secret = TotpSecret::from_base32(&text_of(&page, "totp-secret")).unwrap();
    let step = step_at(Utc::now());
    let csrf = hidden_csrf(&page);
    for (code1, code2) in [
        (secret.code_at(step), secret.code_at(step)),
        (secret.code_at(step), secret.code_at(step - 1)),
        ("12345".to_owned(), secret.code_at(step)),
    ] {
        let refused = app
            .client
            .post(app.url("/portal/totp"))
            .header(COOKIE, format!("certdesk_portal={session}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("code1", &code1),
                ("code2", &code2),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 422);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("govgr-error-summary")
        );
    }
    assert_eq!(
        status_of(&app, &person).await,
        Status::AwaitingIdentification
    );
}
