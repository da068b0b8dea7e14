//! The portal's login through the tax registry, its sessions and their CSRF tokens.

use certdesk_domain::Status;
use chrono::Utc;
use reqwest::header::{COOKIE, LOCATION};

use super::{connectors, login_until_callback, portal_app, portal_login, portal_page, status_of};
use crate::helpers::*;

#[tokio::test]
async fn a_forged_or_replayed_login_state_is_refused() {
    let (app, person) = portal_app().await;
    let (callback, state_cookie) = login_until_callback(&app, &person.afm).await;

    // Another browser's state (or none): no session.
    for cookie in ["certdesk_portal_state=forged".to_owned(), String::new()] {
        let refused = app
            .client
            .get(&callback)
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400);
        assert!(cookie_value(&refused, "certdesk_portal").is_none());
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("Η σύνδεση δεν ολοκληρώθηκε")
        );
    }
    // The right state works once; the same callback again is refused.
    let good = format!("certdesk_portal_state={state_cookie}");
    let first = app
        .client
        .get(&callback)
        .header(COOKIE, &good)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 303);
    let replayed = app
        .client
        .get(&callback)
        .header(COOKIE, &good)
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status(), 400);
    assert!(cookie_value(&replayed, "certdesk_portal").is_none());
}

#[tokio::test]
async fn portal_forms_need_the_session_and_its_csrf_token() {
    let (app, person) = portal_app().await;
    let session = portal_login(&app, &person.afm).await;
    let forged = app
        .client
        .post(app.url("/portal/confirm"))
        .header(COOKIE, format!("certdesk_portal={session}"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let anonymous = app
        .client
        .post(app.url("/portal/confirm"))
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);
    assert_eq!(anonymous.headers()[LOCATION], "/portal");
    assert_eq!(status_of(&app, &person).await, Status::AwaitingDataCheck);
    // A ΔΨΠ's console session is no portal session.
    let console = app.console_login(&app.admin).await;
    let page = app
        .client
        .get(app.url("/portal"))
        .header(COOKIE, format!("certdesk_session={console}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"portal-login\""));
    let _ = person.employee_id;
}

#[tokio::test]
async fn a_tax_registry_that_does_not_answer_at_login_gets_a_clear_message() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let (tax, _) = connectors(&address);
    let app = spawn_app_with(move |app| app.registries.tax = Some(tax)).await;
    let start = app
        .client
        .get(app.url("/portal/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 303);
    let state_cookie = cookie_value(&start, "certdesk_portal_state").unwrap();
    // The cookie holds the state and, after a '.', the PKCE verifier.
    let (state, _) = state_cookie.split_once('.').unwrap();
    let callback = app.url(&format!("/portal/callback?code=anything&state={state}"));
    let answered = app
        .client
        .get(&callback)
        .header(COOKIE, format!("certdesk_portal_state={state_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 503);
    assert!(cookie_value(&answered, "certdesk_portal").is_none());
    let html = answered.text().await.unwrap();
    assert!(html.contains("Το TaxisNet δεν απαντά"), "{html}");
    // The server keeps serving.
    assert_eq!(
        app.client
            .get(app.url("/portal"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn expired_sessions_are_purged() {
    let (app, person) = portal_app().await;
    let session = portal_login(&app, &person.afm).await;
    let console = app.console_login(&app.admin).await;
    // Still valid now: nothing goes.
    assert_eq!(
        app.store.purge_expired_sessions(Utc::now()).await.unwrap(),
        0
    );
    assert!(portal_page(&app, &session).await.contains("id=\"status\""));
    // Past their 8 hours, both sessions (and the used-up login state's leftovers) go.
    let later = Utc::now() + chrono::Duration::hours(9);
    assert!(app.store.purge_expired_sessions(later).await.unwrap() >= 2);
    let hash = certdesk_app::tokens::token_hash(&session);
    assert!(
        app.store
            .portal_session(&hash, Utc::now())
            .await
            .unwrap()
            .is_none()
    );
    let console_hash = certdesk_app::tokens::token_hash(&console);
    assert!(
        app.store
            .session(&console_hash, Utc::now())
            .await
            .unwrap()
            .is_none()
    );
}

/// The state cookie must be set on the host the tax registry sends the browser back to: a login
/// started on another name of the same server moves to the public address first.
#[tokio::test]
async fn a_login_started_on_another_host_name_moves_to_the_public_address() {
    let (app, _) = portal_app().await;
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let other = app
        .client
        .get(format!("http://localhost:{port}/portal/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 303);
    assert_eq!(location(&other), app.url("/portal/login"));
    assert!(cookie_value(&other, "certdesk_portal_state").is_none());
    // On the public address itself, the login goes to the registry with its state.
    let same = app
        .client
        .get(app.url("/portal/login"))
        .send()
        .await
        .unwrap();
    assert!(location(&same).contains("/oauth2/authorize?"));
    assert!(cookie_value(&same, "certdesk_portal_state").is_some());
}

#[tokio::test]
async fn behind_tls_the_login_works_with_host_cookies() {
    let (app, person) = super::portal_app_serving(",,,", None, Serving::secure()).await;
    let start = app
        .client
        .get(app.url("/portal/login"))
        .send()
        .await
        .unwrap();
    assert_host_cookie(&start, "certdesk_portal_state");

    let response = super::portal_login_response(&app, &person.afm).await;
    assert_host_cookie(&response, "certdesk_portal");
    assert_host_cookie(&response, "certdesk_portal_state");
    let session = cookie_value(&response, "__Host-certdesk_portal").unwrap();
    assert!(!session.is_empty());
    // The application page, through the prefixed cookie only.
    let page = portal_page(&app, &session).await;
    assert!(page.contains("ΚΑΡΑΓΙΑΝΝΗ"), "{page}");
    let unprefixed = app
        .client
        .get(app.url("/portal"))
        .header(COOKIE, format!("certdesk_portal={session}"))
        .send()
        .await
        .unwrap();
    let landing = unprefixed.text().await.unwrap();
    assert!(!landing.contains("ΚΑΡΑΓΙΑΝΝΗ"), "the landing page");
}
