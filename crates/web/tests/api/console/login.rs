//! The console's login form and the session every console page needs.

use certdesk_domain::Status;

use crate::helpers::*;

#[tokio::test]
async fn console_pages_need_a_session() {
    let app = spawn_app().await;
    let employee = app.add_employee("Ιδιωτικός", "Άρης").await;
    for path in [
        "/employees".to_owned(),
        format!("/employees/{}", employee.id),
        format!("/employees/{}/cancel", employee.id),
    ] {
        let response = app.client.get(app.url(&path)).send().await.unwrap();
        assert!(
            response.status().is_redirection(),
            "{path}: {}",
            response.status()
        );
        assert_eq!(location(&response), "/login", "{path}");

        let response = app.console_get("not-a-session", &path).await;
        assert!(response.status().is_redirection(), "{path}");
        assert_eq!(location(&response), "/login");
    }
    // An API token does not open the console.
    let token = app.token().await;
    let response = app.console_get(&token, "/employees").await;
    assert_eq!(location(&response), "/login");

    // Posting the cancellation without a session changes nothing either.
    let (_, id) = app.application_in(Status::AwaitingApproval).await;
    let owner = app.application(id).await.employee_id;
    let response = app
        .client
        .post(app.url(&format!("/employees/{owner}/cancel")))
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/login");
    assert_eq!(app.application(id).await.status, Status::AwaitingApproval);
}

#[tokio::test]
async fn login_form_needs_its_csrf_token() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/login")).send().await.unwrap();
    let cookie = cookie_value(&page, "certdesk_login_csrf").unwrap();
    let response = app
        .client
        .post(app.url("/login"))
        .header("Cookie", format!("certdesk_login_csrf={cookie}"))
        .form(&[
            ("username", app.admin.username.as_str()),
            ("password", PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(cookie_value(&response, "certdesk_session"), None);

    // Wrong password, right token: refused too, with the form again.
    let response = app
        .client
        .post(app.url("/login"))
        .header("Cookie", format!("certdesk_login_csrf={cookie}"))
        .form(&[
            ("username", app.admin.username.as_str()),
            ("password", "λάθος"),
            ("csrf", cookie.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(cookie_value(&response, "certdesk_session"), None);
}

#[tokio::test]
async fn behind_tls_the_login_works_with_host_cookies() {
    let app = spawn_app_serving(Serving::secure(), |_| {}, |_| {}).await;
    let page = app.client.get(app.url("/login")).send().await.unwrap();
    assert_host_cookie(&page, "certdesk_login_csrf");

    let response = app.console_login_response(&app.admin).await;
    assert_host_cookie(&response, "certdesk_session");
    let session = cookie_value(&response, "__Host-certdesk_session").unwrap();
    let employees = app.console_get(&session, "/employees").await;
    assert_eq!(employees.status(), 200);

    // The same session under the unprefixed name (which a plain-HTTP page or a subdomain could
    // have set) does not count.
    let unprefixed = app
        .client
        .get(app.url("/employees"))
        .header("Cookie", format!("certdesk_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&unprefixed), "/login");

    // Logging out clears the prefixed cookie.
    let csrf = app.console_csrf(&session, "/employees").await;
    let out = app
        .console_post(&session, "/logout", &[("csrf", csrf.as_str())])
        .await;
    assert_host_cookie(&out, "certdesk_session");
    assert_eq!(
        cookie_value(&out, "__Host-certdesk_session").as_deref(),
        Some("")
    );
}

#[tokio::test]
async fn without_tls_cookies_keep_their_plain_names() {
    let app = spawn_app().await;
    let response = app.console_login_response(&app.admin).await;
    let header = set_cookie_header(&response, "certdesk_session").expect("a session cookie");
    assert!(!header.contains("Secure"), "{header}");
    assert!(set_cookie_header(&response, "__Host-certdesk_session").is_none());
}
