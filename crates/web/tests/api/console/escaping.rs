//! User text: verbatim in the API, escaped in every console page that shows or reflects it.

use certdesk_domain::Status;

use crate::helpers::*;

const SCRIPT: &str = "<script>alert(1)</script>";

/// Whether `html` contains `text` HTML-escaped (by name or by number).
fn contains_escaped_script(html: &str) -> bool {
    html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
        || html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
}

#[tokio::test]
async fn user_text_is_returned_verbatim_by_the_api_and_escaped_by_the_console() {
    let app = spawn_app().await;
    let employee = app.add_employee("Κακόβουλος", SCRIPT).await;
    app.drive_application(&employee, Status::AwaitingApproval)
        .await;

    let token = app.token().await;
    let card = app.card_ok(&token, employee.id).await;
    assert_eq!(
        card["given_name"], SCRIPT,
        "the API returns the text as written"
    );
    let found = app.search_ok(&token, &[("q", "κακοβουλ")]).await;
    assert_eq!(found["items"][0]["given_name"], SCRIPT);

    let session = app.console_login(&app.admin).await;
    for path in [
        format!("/employees/{}", employee.id),
        format!("/employees/{}/cancel", employee.id),
        "/employees?q=%CE%BA%CE%B1%CE%BA%CE%BF%CE%B2".to_owned(),
    ] {
        let response = app.console_get(&session, &path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("Κακόβουλος"), "{path} shows the employee");
        assert!(!html.contains(SCRIPT), "{path}: the script tag is not raw");
        assert!(
            contains_escaped_script(&html),
            "{path}: the name is shown escaped"
        );
    }

    // What the user types is reflected escaped: the search box, the login form's username.
    let html = app
        .console_get(&session, "/employees?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains(SCRIPT), "the search box value is escaped");
    let page = app.client.get(app.url("/login")).send().await.unwrap();
    let login_csrf = cookie_value(&page, "certdesk_login_csrf").unwrap();
    let response = app
        .client
        .post(app.url("/login"))
        .header("Cookie", format!("certdesk_login_csrf={login_csrf}"))
        .form(&[
            ("username", format!("\">{SCRIPT}").as_str()),
            ("password", "x"),
            ("csrf", login_csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let html = response.text().await.unwrap();
    assert!(!html.contains(SCRIPT), "the username is reflected escaped");

    // A reason given through the console is escaped in the history too.
    let html = app
        .console_get(&session, &format!("/employees/{}", employee.id))
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&html);
    let response = app
        .console_post(
            &session,
            &format!("/employees/{}/cancel", employee.id),
            &[("csrf", csrf.as_str()), ("reason", SCRIPT)],
        )
        .await;
    assert_eq!(response.status(), 303);
    let html = app
        .console_get(&session, &location(&response))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains(SCRIPT));
    let card = app.card_ok(&token, employee.id).await;
    let history = card["application"]["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["reason"], SCRIPT);
}
