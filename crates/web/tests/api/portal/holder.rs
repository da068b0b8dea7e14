//! A holder: the portal's person taken through the whole journey to an issued certificate, for
//! the tests of the holder's own pages (issue 11), and what those tests share.

use certdesk_domain::otp::{TotpSecret, step_at};
use chrono::Utc;
use reqwest::header::COOKIE;
use serde_json::{Value, json};

use super::{
    Person, SIGNING_PASSWORD, application_id, emailed_code, enrol_totp, identification_form,
    portal_cookie, portal_post, up_to_identification,
};
use crate::helpers::*;

pub(crate) const USERNAME: &str = "e.karagianni";

/// The portal session of the holder of an issued certificate, its application and, with the
/// TOTP channel, the app's secret.
pub(crate) struct Holder {
    pub(crate) session: String,
    pub(crate) id: i64,
    pub(crate) secret: Option<TotpSecret>,
}

/// Logs in, proves the email, is approved and identified with `channel` (`totp` or `email`),
/// signs the application and has the CA issue the certificate.
pub(crate) async fn issued_holder(app: &TestApp, person: &Person, channel: &str) -> Holder {
    let id = application_id(app, person).await;
    let session = up_to_identification(app, person).await;
    let (secret, code) = if channel == "totp" {
        let secret = enrol_totp(app, &session, USERNAME).await;
        let code = secret.code_at(step_at(Utc::now()) + 1);
        (Some(secret), code)
    } else {
        let chosen = portal_post(
            app,
            &session,
            "/portal/identification",
            &identification_form(USERNAME, "email"),
        )
        .await;
        assert_eq!(location(&chosen), "/portal?done=identified");
        portal_post(app, &session, "/portal/send-code", &[]).await;
        (None, emailed_code(app, id).await)
    };
    let signed = portal_post(
        app,
        &session,
        "/portal/sign",
        &[("password", SIGNING_PASSWORD), ("otp", &code)],
    )
    .await;
    assert_eq!(signed.status(), 303, "{}", signed.text().await.unwrap());
    assert!(
        certdesk_app::worker::run_one_job(app.store.as_ref(), &app.issuing_worker(), Utc::now())
            .await
            .unwrap(),
        "the certificate is issued"
    );
    assert_eq!(
        app.application(id).await.status,
        certdesk_domain::Status::Issued
    );
    Holder {
        session,
        id,
        secret,
    }
}

/// A GET of a portal page as the holder: status and body.
pub(crate) async fn holder_get(app: &TestApp, holder: &Holder, path: &str) -> (u16, String) {
    let response = app
        .client
        .get(app.url(path))
        .header(COOKIE, portal_cookie(app, &holder.session))
        .send()
        .await
        .unwrap();
    answer(response).await
}

/// Posts a form of a holder's page with that page's CSRF token: status, and the body (or where
/// a redirect goes).
pub(crate) async fn holder_post(
    app: &TestApp,
    holder: &Holder,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let csrf = hidden_csrf(&super::portal_page(app, &holder.session).await);
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    form.extend_from_slice(fields);
    let response = app
        .client
        .post(app.url(path))
        .header(COOKIE, portal_cookie(app, &holder.session))
        .form(&form)
        .send()
        .await
        .unwrap();
    answer(response).await
}

/// The status, and the body or, for a redirect, where it goes.
async fn answer(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    if status == 303 {
        return (status, location(&response));
    }
    (status, response.text().await.unwrap())
}

/// The public sector's signing API, as a document system calls it.
pub(crate) async fn sign_api(app: &TestApp, operation: &str, body: &Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/Sign/Api/{operation}")))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// SignBuffer of a SHA-256 digest with the holder's signing password `password` and `code`.
pub(crate) async fn sign_buffer(
    app: &TestApp,
    password: &str,
    code: &str,
    digest: &[u8; 32],
) -> (u16, Value) {
    use base64::Engine;
    let digest = base64::engine::general_purpose::STANDARD.encode(digest);
    sign_api(
        app,
        "SignBuffer",
        &json!({"Username": USERNAME, "Password": password, "SignPassword": code, "BufferToSign": digest}),
    )
    .await
}
