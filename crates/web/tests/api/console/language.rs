//! The language switch: the cookie it sets, and that it only goes back to pages of this site.

use crate::helpers::*;

#[tokio::test]
async fn the_switch_goes_back_only_to_pages_of_this_site() {
    let app = spawn_app().await;
    for (next, expected) in [
        ("/employees", "/employees"),
        ("/employees%3Fq%3Dpapa", "/employees?q=papa"),
        ("/portal", "/portal"),
        // A browser drops the tab: `//evil.example`.
        ("/%09/evil.example", "/"),
        ("/%0a/evil.example", "/"),
        ("/%0d%0aSet-Cookie:%20x=1", "/"),
        ("//evil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("/%2F/evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("/%5C/evil.example", "/"),
        ("https://evil.example", "/"),
        ("https%3A%2F%2Fevil.example", "/"),
        ("/%252F/evil.example", "/"),
        ("/%20/evil.example", "/"),
        ("", "/"),
    ] {
        let response = app
            .client
            .get(app.url(&format!("/lang/en?next={next}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{next}");
        assert_eq!(location(&response), expected, "{next}");
        assert_eq!(
            cookie_value(&response, "certdesk_lang").as_deref(),
            Some("en")
        );
    }
    let response = app.client.get(app.url("/lang/el")).send().await.unwrap();
    assert_eq!(location(&response), "/");
}

#[tokio::test]
async fn behind_tls_the_language_cookie_is_host_prefixed() {
    let app = spawn_app_serving(Serving::secure(), |_| {}, |_| {}).await;
    let response = app
        .client
        .get(app.url("/lang/en?next=/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/login");
    assert_host_cookie(&response, "certdesk_lang");
    let english = |cookie: &'static str| {
        let request = app.client.get(app.url("/login")).header("Cookie", cookie);
        async move {
            let html = request.send().await.unwrap().text().await.unwrap();
            html.contains(r#"<html lang="en""#)
        }
    };
    assert!(english("__Host-certdesk_lang=en").await);
    assert!(
        !english("certdesk_lang=en").await,
        "the unprefixed cookie is ignored"
    );
}
