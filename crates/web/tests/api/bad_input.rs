//! Bad input never gives a 5xx, and every error has the API's format (SPEC §5, §7).

use certdesk_domain::Status;
use reqwest::header::CONTENT_TYPE;
use serde_json::json;

use crate::helpers::*;

impl TestApp {
    async fn post_raw(
        &self,
        token: &str,
        path: impl AsRef<str>,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path.as_ref()))
            .bearer_auth(token)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn an_afm_with_a_wrong_check_digit_is_refused_in_greek_or_english() {
    let app = spawn_app().await;
    let token = app.token().await;
    let body = json!({ "afm": afm_with_wrong_check_digit(), "email": "a@example.gr" });

    let error = assert_error(
        app.create_application(&token, &body).await,
        422,
        "invalid_field",
    )
    .await;
    assert_eq!(error["field"], "afm");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("ΑΦΜ"), "{message}");
    assert!(message.contains("ψηφίο ελέγχου"), "says why: {message}");

    let error = assert_error(
        app.create_application_en(&token, &body).await,
        422,
        "invalid_field",
    )
    .await;
    assert_eq!(error["field"], "afm");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("AFM"), "{message}");
    assert!(message.contains("check digit"), "{message}");
    assert!(!has_greek(message), "English only: {message}");
}

#[tokio::test]
async fn malformed_mistyped_and_oversized_bodies_get_clear_4xx() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (_, id) = app.application_in(Status::AwaitingApproval).await;
    let cancel = format!("/api/v1/applications/{id}/cancel");

    // Malformed JSON.
    for body in [r#"{"afm": "#, "{afm: 1}", "not json", ""] {
        assert_error(
            app.post_raw(&token, "/api/v1/applications", body).await,
            400,
            "malformed_json",
        )
        .await;
    }
    assert_error(
        app.post_raw(&token, "/api/v1/applications", vec![0xffu8, 0xfe, b'{'])
            .await,
        400,
        "malformed_json",
    )
    .await;
    assert_error(
        app.post_raw(&token, &cancel, "{").await,
        400,
        "malformed_json",
    )
    .await;

    // JSON of the wrong shape.
    for body in [
        "[]",
        "42",
        "null",
        r#""afm""#,
        r#"{"email":"a@example.gr"}"#,
        r#"{"afm": 123456789, "email": "a@example.gr"}"#,
    ] {
        let (status, error) =
            assert_client_error(app.post_raw(&token, "/api/v1/applications", body).await).await;
        assert_eq!(status, 422, "{body}: {error}");
        assert_eq!(error["code"], "invalid_field", "{body}: {error}");
    }
    let (_, missing) = assert_client_error(
        app.post_raw(
            &token,
            "/api/v1/applications",
            r#"{"email":"a@example.gr"}"#,
        )
        .await,
    )
    .await;
    assert_eq!(missing["field"], "afm", "{missing}");
    let (status, _) =
        assert_client_error(app.post_raw(&token, &cancel, r#"{"reason": 5}"#).await).await;
    assert_eq!(status, 422);

    // Over 64 KiB.
    let huge = "α".repeat(40 * 1024); // 80 KiB of UTF-8
    let big = json!({ "afm": next_afm(), "email": huge }).to_string();
    assert!(big.len() > 64 * 1024);
    assert_error(
        app.post_raw(&token, "/api/v1/applications", big).await,
        413,
        "payload_too_large",
    )
    .await;
    let big = json!({ "reason": huge }).to_string();
    assert_error(
        app.post_raw(&token, &cancel, big).await,
        413,
        "payload_too_large",
    )
    .await;

    // A reason of 501 characters; 500 are fine (characters, not bytes).
    let error = assert_error(
        app.cancel(&token, id, Some(json!({ "reason": "ω".repeat(501) })))
            .await,
        422,
        "invalid_field",
    )
    .await;
    assert_eq!(error["field"], "reason");
    assert!(
        error["message"].as_str().unwrap().contains("500"),
        "{error}"
    );

    // None of that touched the application.
    let stored = app.application(id).await;
    assert_eq!(stored.status, Status::AwaitingApproval);
    assert_eq!(app.history(id).await.len(), 2);

    let response = app
        .cancel(&token, id, Some(json!({ "reason": "ω".repeat(500) })))
        .await;
    assert_eq!(response.status(), 200, "500 characters are allowed");
    let history = app.history(id).await;
    assert_eq!(
        history.last().unwrap().reason.as_deref(),
        Some("ω".repeat(500).as_str())
    );

    assert_healthy(&app).await;
}

#[tokio::test]
async fn bad_search_parameters_and_paths_get_clear_4xx() {
    let app = spawn_app().await;
    let token = app.token().await;

    let (status, error) = assert_client_error(app.search(&token, &[("page", "abc")]).await).await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["field"], "page");
    let (status, _) = assert_client_error(app.search(&token, &[("per_page", "-1")]).await).await;
    assert_eq!(status, 400);
    let (status, _) = assert_client_error(
        app.search(&token, &[("page", "99999999999999999999")])
            .await,
    )
    .await;
    assert_eq!(status, 400);

    let error = assert_error(
        app.search(&token, &[("status", "bogus")]).await,
        422,
        "invalid_field",
    )
    .await;
    assert_eq!(error["field"], "status");
    let error = assert_error(
        app.search(&token, &[("afm", "12")]).await,
        422,
        "invalid_field",
    )
    .await;
    assert_eq!(error["field"], "afm");

    // Odd but well-formed searches simply find nothing.
    for query in [
        vec![("q", "%")],
        vec![("q", "_")],
        vec![("q", "'; DROP TABLE employees; --")],
        vec![("q", "\u{10FFFF}")],
        vec![("q", "🙂 ✓ \u{0301}")],
        vec![("q", &*"α".repeat(2000))],
        vec![("email", "'or'1'='1")],
        vec![("username", "x")],
        vec![("page", "4294967295"), ("per_page", "200")],
        vec![("page", "0"), ("per_page", "0")],
    ] {
        let response = app.search(&token, &query).await;
        assert_eq!(response.status(), 200, "{query:?}");
    }

    // Paths.
    for id in ["abc", "1.5", "-", "%F0%9F%99%82", "99999999999999999999999"] {
        assert_error(app.card(&token, id).await, 404, "not_found").await;
        assert_error(app.cancel(&token, id, None).await, 404, "not_found").await;
    }
    let response = app
        .client
        .get(app.url("/api/v1/no/such/route"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "not_found").await;

    // The employees table is still there.
    app.add_employee("Ακόμα", "Εδώ").await;
    assert_eq!(app.search_ok(&token, &[("q", "ακομα")]).await["total"], 1);

    assert_healthy(&app).await;
}

/// serde's derived `Deserialize` also accepts a JSON array for a struct (its fields in order),
/// so `[]` is a cancellation without a reason and `["<afm>", "<email>"]` starts an application.
/// The contract (SPEC §7) says the bodies are objects; an array is the wrong shape (422).
#[tokio::test]
async fn json_arrays_are_not_request_objects() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (_, empty) = app.application_in(Status::AwaitingApproval).await;
    let (_, with_reason) = app.application_in(Status::AwaitingApproval).await;
    let employee = app.add_employee("Πίνακας", "Άρης").await;

    let cancel = |id: i64, body: &'static str| {
        app.post_raw(&token, format!("/api/v1/applications/{id}/cancel"), body)
    };
    let answers = [
        ("cancel []", cancel(empty, "[]").await.status().as_u16()),
        (
            "cancel [\"a reason\"]",
            cancel(with_reason, r#"["a reason"]"#)
                .await
                .status()
                .as_u16(),
        ),
        (
            "start [afm, email]",
            app.post_raw(
                &token,
                "/api/v1/applications",
                json!([employee.afm, employee.email]).to_string(),
            )
            .await
            .status()
            .as_u16(),
        ),
    ];
    let statuses = [
        app.application(empty).await.status,
        app.application(with_reason).await.status,
    ];
    let started = app
        .store
        .applications_of_employee(&certdesk_store::Scope::Everything, employee.id)
        .await
        .unwrap()
        .len();
    assert_eq!(
        (
            answers.map(|(what, status)| (what, status)),
            statuses,
            started
        ),
        (
            [
                ("cancel []", 422),
                ("cancel [\"a reason\"]", 422),
                ("start [afm, email]", 422)
            ],
            [Status::AwaitingApproval, Status::AwaitingApproval],
            0
        ),
        "array bodies must be refused and change nothing"
    );
}

/// SPEC §7: errors are always `{"error":{"code","message"}}`; a known path with the wrong
/// method is an error too.
#[tokio::test]
async fn a_wrong_method_answers_405_in_the_error_format() {
    let app = spawn_app().await;
    let token = app.token().await;
    for (method, path) in [
        ("GET", "/api/v1/applications/1/cancel"),
        ("DELETE", "/api/v1/employees"),
        ("GET", "/api/v1/auth/login"),
        ("PUT", "/api/v1/applications"),
    ] {
        let response = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let (status, error) = assert_client_error(response).await;
        assert_eq!(status, 405, "{method} {path}: {error}");
    }
}

async fn assert_healthy(app: &TestApp) {
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
}
