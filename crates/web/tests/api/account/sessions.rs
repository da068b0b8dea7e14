//! Sessions (SPEC §9, issue 10): a new token at every login, an idle timeout on top of the
//! absolute one, logging out of every device, and revoking an API token.

use certdesk_domain::SecurityEventKind;
use chrono::Duration;

use super::*;

#[tokio::test]
async fn a_login_makes_a_new_session_and_ends_the_browsers_earlier_one() {
    let app = spawn_app().await;
    let name = app.cookie_name("certdesk_session");
    let first = app
        .console_login_form(&app.admin.username, PASSWORD, "", None)
        .await;
    let first = cookie_value(&first, &name).unwrap();
    let login_page = app.client.get(app.url("/login")).send().await.unwrap();
    let login_csrf = cookie_value(&login_page, &app.cookie_name("certdesk_login_csrf")).unwrap();

    let second = app
        .console_login_form(&app.admin.username, PASSWORD, "", Some(&first))
        .await;
    assert_eq!(second.status(), 303);
    let second = cookie_value(&second, &name).unwrap();
    assert_ne!(first, second, "a new token");
    let page = app.console_get(&first, "/employees").await;
    assert_eq!(page.status(), 303, "the earlier session is over");
    assert_eq!(location(&page), "/login");
    assert_eq!(app.console_get(&second, "/employees").await.status(), 200);
    // The session's CSRF token is its own, not the login form's.
    let csrf = app.console_csrf(&second, "/employees").await;
    assert_ne!(csrf, login_csrf);
    assert_ne!(csrf, second);
}

#[tokio::test]
async fn a_session_unused_for_thirty_minutes_is_closed() {
    let clock = MovingClock::default();
    let app = spawn_app_with(|app| app.clock = clock.clock()).await;
    let session = app.console_login(&app.admin).await;
    let token = app.token().await;
    // Used every 29 minutes, they stay open (the use is noted).
    for _ in 0..3 {
        clock.advance(Duration::minutes(29));
        assert_eq!(app.console_get(&session, "/employees").await.status(), 200);
        assert_eq!(app.search(&token, &[]).await.status(), 200);
    }
    clock.advance(Duration::minutes(30));
    let page = app.console_get(&session, "/employees").await;
    assert_eq!(location(&page), "/login");
    assert_error(app.search(&token, &[]).await, 401, "unauthorized").await;
    // Closed for good: going back in time does not reopen it.
    clock.advance(Duration::minutes(-30));
    assert_error(app.search(&token, &[]).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn uses_within_a_minute_are_not_written() {
    let clock = MovingClock::default();
    let app = spawn_app_with(|app| app.clock = clock.clock()).await;
    let token = app.token().await;
    clock.advance(Duration::seconds(30));
    assert_eq!(app.search(&token, &[]).await.status(), 200);
    // Thirty seconds later the session still shows its creation as its last use: had the
    // request been noted, 29 more minutes would not close it.
    clock.advance(Duration::minutes(29) + Duration::seconds(45));
    assert_error(app.search(&token, &[]).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn logging_out_everywhere_ends_every_session_and_token() {
    let app = spawn_app().await;
    let one = app.console_login(&app.admin).await;
    let two = app.console_login(&app.admin).await;
    let token = app.token().await;
    let other = app
        .add_admin(app.org_id, "other@mindigital.gr", "Άλλος Διαχειριστής")
        .await;
    let others = app.token_for(&other).await;

    let page = app
        .console_get(&one, "/account")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Αποσύνδεση από όλες τις συσκευές"));
    let refused = app
        .console_post(&one, "/account/logout-everywhere", &[("csrf", "forged")])
        .await;
    assert_eq!(refused.status(), 403);
    let response = app
        .console_post(
            &one,
            "/account/logout-everywhere",
            &[("csrf", &hidden_csrf(&page))],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login");
    for session in [&one, &two] {
        assert_eq!(
            location(&app.console_get(session, "/employees").await),
            "/login"
        );
    }
    assert_error(app.search(&token, &[]).await, 401, "unauthorized").await;
    assert_eq!(
        app.search(&others, &[]).await.status(),
        200,
        "another's token"
    );
    // The security log says who ended their sessions.
    let events = app.store.security_events(None, 0, 1000).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == SecurityEventKind::SessionsEnded
                && e.actor.as_deref() == Some(app.admin.username.as_str())
                && e.detail.as_deref() == Some("by_owner")),
        "{events:?}"
    );
}

#[tokio::test]
async fn enrolling_a_second_factor_is_in_the_security_log() {
    let clock = MovingClock::default();
    let app = spawn_app_with(|app| app.clock = clock.clock()).await;
    let admin = app.add_new_admin("enrols@mindigital.gr").await;
    app.set_up_account(&admin, clock.now()).await;
    let events = app.store.security_events(None, 0, 1000).await.unwrap();
    let changed: Vec<_> = events
        .iter()
        .filter(|e| e.kind == SecurityEventKind::SecondFactorChanged)
        .collect();
    assert_eq!(changed.len(), 1, "{events:?}");
    assert_eq!(changed[0].actor.as_deref(), Some("enrols@mindigital.gr"));
    assert_eq!(changed[0].detail.as_deref(), Some("enrolled"));
}

#[tokio::test]
async fn the_api_logout_revokes_its_token() {
    let app = spawn_app().await;
    let token = app.token().await;
    let other = app.token().await;
    let logout = |token: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/auth/logout"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    let response = logout(token.clone()).await;
    assert_eq!(response.status(), 204);
    assert_error(app.search(&token, &[]).await, 401, "unauthorized").await;
    assert_error(logout(token.clone()).await, 401, "unauthorized").await;
    assert_eq!(
        app.search(&other, &[]).await.status(),
        200,
        "only that token"
    );
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = spawn_app().await;
    let here = app.console_login(&app.admin).await;
    let token = app.token().await;
    let csrf = app.console_csrf(&here, "/account/password").await;
    let changed = app
        .console_post(
            &here,
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("new_password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_error(app.search(&token, &[]).await, 401, "unauthorized").await;
    assert_eq!(app.console_get(&here, "/employees").await.status(), 200);
    assert_eq!(
        app.login(&app.admin.username, NEW_PASSWORD).await.status(),
        200
    );
}
