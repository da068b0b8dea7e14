//! The headers of every answer: nothing private may be stored by a cache (only the static assets
//! and the PKI's public publications choose their caching), and behind TLS, HSTS.

use reqwest::header::{CACHE_CONTROL, STRICT_TRANSPORT_SECURITY};

use crate::certificates::issued;
use crate::helpers::*;

fn cache_control(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get(CACHE_CONTROL)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("(none)")
}

#[tokio::test]
async fn private_answers_are_never_stored() {
    let app = spawn_app().await;
    let (employee, id) = issued(&app).await;
    let token = app.token().await;
    let session = app.console_login(&app.admin).await;
    let card = format!("/employees/{}", employee.id);

    let mut answers = Vec::new();
    for path in [
        "/employees".to_owned(),
        card.clone(),
        format!("{card}/certificate.pem"),
        format!("{card}/certificate.der"),
        format!("{card}/cancel"),
    ] {
        answers.push((path.clone(), app.console_get(&session, &path).await));
    }
    for path in [
        "/api/v1/employees".to_owned(),
        format!("/api/v1/employees/{}", employee.id),
        format!("/api/v1/applications/{id}/certificate"),
    ] {
        let response = app
            .client
            .get(app.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        answers.push((path, response));
    }
    // Before a login and errors too: nothing there is for a cache either.
    for path in ["/login", "/portal", "/api/v1/employees", "/no-such-page"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        answers.push((format!("{path} (anonymous)"), response));
    }
    let login = app.login(&app.admin.username, PASSWORD).await;
    answers.push(("POST /api/v1/auth/login".to_owned(), login));

    for (path, response) in &answers {
        assert!(
            response.status().as_u16() < 500,
            "{path}: {}",
            response.status()
        );
        assert_eq!(cache_control(response), "no-store", "{path}");
    }
}

#[tokio::test]
async fn public_assets_and_pki_publications_keep_their_caching() {
    let app = spawn_app().await;
    for (path, expected) in [
        ("/assets/console.css", "public, max-age=3600"),
        ("/assets/console.js", "public, max-age=3600"),
        (
            "/assets/fonts/roboto-latin-400-normal.woff2",
            "public, max-age=86400",
        ),
        ("/pki/crl", "no-cache"),
        ("/pki/issuing-ca.crt", "public, max-age=86400"),
        ("/pki/root-ca.crt", "public, max-age=86400"),
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(cache_control(&response), expected, "{path}");
    }
}

#[tokio::test]
async fn without_tls_no_hsts() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/login")).send().await.unwrap();
    assert!(response.headers().get(STRICT_TRANSPORT_SECURITY).is_none());
}

#[tokio::test]
async fn behind_tls_every_answer_carries_hsts() {
    let app = spawn_app_serving(Serving::secure(), |_| {}, |_| {}).await;
    let token = app.token().await;
    let api = app
        .client
        .get(app.url("/api/v1/employees"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let mut answers = vec![("/api/v1/employees", api)];
    for path in [
        "/login",
        "/portal",
        "/assets/console.css",
        "/pki/crl",
        "/no-such-page",
    ] {
        answers.push((path, app.client.get(app.url(path)).send().await.unwrap()));
    }
    for (path, response) in &answers {
        assert_eq!(
            response.headers()[STRICT_TRANSPORT_SECURITY],
            "max-age=31536000; includeSubDomains",
            "{path}"
        );
    }
}
