//! «Αλλαγή κωδικού ψηφιακής υπογραφής» (issue 11, item 6): the holder of an issued certificate
//! changes the signing password with the current one, under the identification's policy; the
//! signing APIs take the new one at once and the old one no more; wrong current passwords are
//! limited like signing codes; there is no recovery, and the page says so.

use certdesk_domain::SecurityEventKind;
use certdesk_domain::throttle::ThrottleKey;
use certdesk_store::Scope;
use reqwest::header::COOKIE;
use serde_json::json;

use super::holder::{USERNAME, holder_get, holder_post, issued_holder, sign_api};
use super::{SIGNING_PASSWORD, portal_app, portal_cookie, up_to_identification};
use crate::helpers::*;

const PATH: &str = "/portal/signing-password";
const NEW: &str = "νέος-κωδικός-υπογραφής-7";

fn change<'a>(current: &'a str, new: &'a str, again: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("current_signing_password", current),
        ("new_signing_password", new),
        ("new_signing_password_confirm", again),
    ]
}

async fn certificates_with(app: &TestApp, password: &str) -> u16 {
    sign_api(
        app,
        "Certificates",
        &json!({"Username": USERNAME, "Password": password}),
    )
    .await
    .0
}

async fn password_hash(app: &TestApp, id: i64) -> String {
    app.store
        .signing_credentials(&Scope::Everything, id)
        .await
        .unwrap()
        .unwrap()
        .password_hash
}

#[tokio::test]
async fn the_holder_changes_the_signing_password_and_the_old_one_stops_working() {
    let (app, person) = portal_app().await;
    let holder = issued_holder(&app, &person, "email").await;

    // The application page links to the page, which says there is no recovery.
    let (_, home) = holder_get(&app, &holder, "/portal").await;
    assert!(home.contains("href=\"/portal/signing-password\""), "{home}");
    assert!(home.contains("Αλλαγή κωδικού ψηφιακής υπογραφής"));
    let (status, page) = holder_get(&app, &holder, PATH).await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1 class=\"govgr-heading-l\">Αλλαγή κωδικού ψηφιακής υπογραφής</h1>"));
    assert!(page.contains("Τρέχων κωδικός υπογραφής"));
    assert!(page.contains("Επανάληψη νέου κωδικού υπογραφής"));
    assert!(
        page.contains("Ο κωδικός ψηφιακής υπογραφής δεν ανακτάται. Αν τον ξεχάσετε, υποβάλετε «Αίτημα ανάκλησης»"),
        "{page}"
    );
    assert!(page.contains("νέα αίτηση"));

    assert_eq!(certificates_with(&app, SIGNING_PASSWORD).await, 200);
    let (status, done) =
        holder_post(&app, &holder, PATH, &change(SIGNING_PASSWORD, NEW, NEW)).await;
    assert_eq!(
        (status, done.as_str()),
        (303, "/portal/signing-password?done=changed")
    );
    let (_, page) = holder_get(&app, &holder, &done).await;
    assert!(
        page.contains(
            "Ο κωδικός ψηφιακής υπογραφής άλλαξε. Από τώρα υπογράφετε με τον νέο κωδικό."
        )
    );

    // The signing APIs know only the new password now.
    assert_eq!(certificates_with(&app, SIGNING_PASSWORD).await, 401);
    assert_eq!(certificates_with(&app, NEW).await, 200);
    let hash = password_hash(&app, holder.id).await;
    assert!(hash.starts_with("$argon2id$") && !hash.contains(NEW));

    // The security log has it (and never the password); the history is the issuance's.
    let events = app.store.latest_security_events(20).await.unwrap();
    let event = events
        .iter()
        .find(|e| e.kind == SecurityEventKind::SigningPasswordChanged)
        .expect("a security event");
    assert_eq!(event.actor.as_deref(), Some(USERNAME));
    assert_eq!(event.subject, Some(format!("application:{}", holder.id)));
    assert!(!format!("{events:?}").contains(NEW));
}

#[tokio::test]
async fn wrong_or_weak_input_names_the_field_and_changes_nothing() {
    let (app, person) = portal_app().await;
    let holder = issued_holder(&app, &person, "email").await;
    let before = password_hash(&app, holder.id).await;
    let cases = [
        (
            change("λάθος κωδικός υπογραφής", NEW, NEW),
            "Τρέχων κωδικός υπογραφής: δεν είναι σωστός",
        ),
        (
            change("", NEW, NEW),
            "Τρέχων κωδικός υπογραφής: είναι υποχρεωτικό πεδίο",
        ),
        (
            change(SIGNING_PASSWORD, "σύντομος", "σύντομος"),
            "Νέος κωδικός υπογραφής: απαιτούνται τουλάχιστον 10 χαρακτήρες",
        ),
        (
            change(SIGNING_PASSWORD, NEW, "άλλος-κωδικός-υπογραφής"),
            "Επανάληψη νέου κωδικού υπογραφής: δεν είναι ίδιος με τον κωδικό που δώσατε",
        ),
        (
            change(SIGNING_PASSWORD, SIGNING_PASSWORD, SIGNING_PASSWORD),
            "Νέος κωδικός υπογραφής: πρέπει να διαφέρει από τον τρέχοντα κωδικό",
        ),
    ];
    for (form, message) in cases {
        let (status, page) = holder_post(&app, &holder, PATH, &form).await;
        assert_eq!(status, 422, "{message}: {page}");
        assert!(page.contains(message), "{message}: {page}");
        assert!(
            page.contains("id=\"signing-password-form\""),
            "the form again"
        );
    }
    assert_eq!(password_hash(&app, holder.id).await, before);

    // A form without this session's CSRF token is refused, and changes nothing.
    let forged = app
        .client
        .post(app.url(PATH))
        .header(COOKIE, portal_cookie(&app, &holder.session))
        .form(&change(SIGNING_PASSWORD, NEW, NEW))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(forged.text().await.unwrap().contains("Η φόρμα έληξε"));
    assert_eq!(password_hash(&app, holder.id).await, before);
    // English too.
    let english = app
        .client
        .get(app.url(PATH))
        .header(
            COOKIE,
            format!(
                "{}; {}=en",
                portal_cookie(&app, &holder.session),
                app.cookie_name("certdesk_lang")
            ),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("Change the signing password"), "{english}");
}

#[tokio::test]
async fn wrong_current_passwords_are_limited_like_signing_codes() {
    let (app, person) = portal_app().await;
    let holder = issued_holder(&app, &person, "email").await;
    let before = password_hash(&app, holder.id).await;
    let limit = ThrottleKey::signing_code(holder.id).policy().max_attempts;
    for _ in 0..limit {
        let (status, _) = holder_post(
            &app,
            &holder,
            PATH,
            &change("λάθος κωδικός υπογραφής", NEW, NEW),
        )
        .await;
        assert_eq!(status, 422);
    }
    let (status, page) =
        holder_post(&app, &holder, PATH, &change(SIGNING_PASSWORD, NEW, NEW)).await;
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("Πολλές λανθασμένες προσπάθειες"), "{page}");
    assert_eq!(password_hash(&app, holder.id).await, before, "not changed");
}

#[tokio::test]
async fn before_issuance_there_is_no_signing_password_to_change() {
    let (app, person) = portal_app().await;
    let session = up_to_identification(&app, &person).await;
    let holder = super::holder::Holder {
        session,
        id: super::application_id(&app, &person).await,
        secret: None,
    };
    let (status, location) = holder_get(&app, &holder, PATH).await;
    assert_eq!((status, location.as_str()), (303, "/portal"));
    let (status, location) =
        holder_post(&app, &holder, PATH, &change(SIGNING_PASSWORD, NEW, NEW)).await;
    assert_eq!((status, location.as_str()), (303, "/portal"));
    let (_, home) = holder_get(&app, &holder, "/portal").await;
    assert!(!home.contains("/portal/signing-password"));
}
