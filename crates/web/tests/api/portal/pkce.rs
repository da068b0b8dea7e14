//! PKCE (RFC 7636, S256) in the portal's login: the registry gets only the challenge, the
//! verifier stays in this browser's state cookie, and a callback without the right verifier opens
//! no session.

use certdesk_registry::pkce;
use reqwest::header::{COOKIE, SET_COOKIE};

use super::{login_until_callback, portal_app, portal_login, portal_page};
use crate::helpers::*;

/// The state and the verifier the state cookie holds (`{state}.{verifier}`).
fn split(cookie: &str) -> (String, String) {
    let (state, verifier) = cookie.split_once('.').expect("state.verifier");
    (state.to_owned(), verifier.to_owned())
}

#[tokio::test]
async fn the_redirect_to_the_registry_carries_the_s256_challenge_of_the_kept_verifier() {
    let (app, _) = portal_app().await;
    let mut verifiers = Vec::new();
    for _ in 0..2 {
        let start = app
            .client
            .get(app.url("/portal/login"))
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), 303);
        let authorize = reqwest::Url::parse(&location(&start)).unwrap();
        let query: std::collections::HashMap<String, String> =
            authorize.query_pairs().into_owned().collect();
        let (state, verifier) = split(&cookie_value(&start, "certdesk_portal_state").unwrap());
        assert_eq!(query["state"], state);
        assert_eq!(query["code_challenge_method"], "S256");
        assert!(pkce::is_verifier(&verifier), "{verifier}");
        assert_eq!(query["code_challenge"], pkce::challenge(&verifier));
        // The verifier itself never goes to the registry before the exchange.
        assert!(!authorize.as_str().contains(&verifier));
        let set_cookie = start.headers()[SET_COOKIE].to_str().unwrap();
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        verifiers.push(verifier);
    }
    assert_ne!(verifiers[0], verifiers[1], "a fresh verifier per login");
}

#[tokio::test]
async fn a_callback_with_a_wrong_or_missing_verifier_opens_no_session() {
    let (app, person) = portal_app().await;
    // The words of the portal's error page.
    let refusal = "Το TaxisNet δεν ολοκλήρωσε τη σύνδεση";
    let state_invalid = "Η σύνδεση δεν ολοκληρώθηκε";
    // What follows the state in the cookie instead of the login's verifier.
    let tampered = [
        // Another well-formed verifier: the registry refuses the code (invalid_grant).
        ("another verifier", refusal),
        // The challenge in place of the verifier, as someone who saw the redirect has it.
        ("the challenge", refusal),
        // No verifier, or a malformed one: refused before the registry is asked.
        ("no verifier", state_invalid),
        ("a malformed verifier", state_invalid),
    ];
    for (tamper, words) in tampered {
        let (callback, kept) = login_until_callback(&app, &person.afm).await;
        let (state, verifier) = split(&kept);
        let after_state = match tamper {
            "another verifier" => format!(".{}", pkce::new_verifier()),
            "the challenge" => format!(".{}", pkce::challenge(&verifier)),
            "no verifier" => String::new(),
            _ => ".short".to_owned(),
        };
        let refused = app
            .client
            .get(&callback)
            .header(
                COOKIE,
                format!("certdesk_portal_state={state}{after_state}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400, "{tamper}");
        assert!(cookie_value(&refused, "certdesk_portal").is_none());
        assert_eq!(
            cookie_value(&refused, "certdesk_portal_state").as_deref(),
            Some(""),
            "the state cookie is cleared"
        );
        let html = refused.text().await.unwrap();
        assert!(html.contains(words), "{tamper}: {html}");
        assert!(
            html.contains("id=\"portal-login\""),
            "the login is offered again"
        );
        // The state (and the code) are spent: the right verifier comes too late.
        let late = app
            .client
            .get(&callback)
            .header(COOKIE, format!("certdesk_portal_state={state}.{verifier}"))
            .send()
            .await
            .unwrap();
        assert_eq!(late.status(), 400);
        assert!(cookie_value(&late, "certdesk_portal").is_none());
    }
    // A fresh login with its own verifier still works.
    let session = portal_login(&app, &person.afm).await;
    assert!(portal_page(&app, &session).await.contains("id=\"status\""));
}
