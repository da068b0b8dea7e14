//! The OpenAPI document (SPEC §7) describes exactly what the server serves: the router's API
//! routes are registered together with their documentation (utoipa-axum's `routes!`), this test
//! checks that the document lists the contract's operations and nothing else, and that every
//! operation it lists is answered by its handler, not by the API's fallback.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::*;

/// SPEC §7's operations, as (method, path), and the logout of issue 10.
const CONTRACT: [(&str, &str); 11] = [
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/employees"),
    ("get", "/api/v1/employees/{id}"),
    // Issue 12: the HR systems' CSV import.
    ("post", "/api/v1/employees/import"),
    ("post", "/api/v1/applications"),
    ("post", "/api/v1/applications/{id}/approve"),
    ("post", "/api/v1/applications/{id}/reject"),
    ("post", "/api/v1/applications/{id}/cancel"),
    ("post", "/api/v1/applications/{id}/revoke"),
    ("get", "/api/v1/applications/{id}/certificate"),
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn served_document(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "public, no token needed");
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).expect("valid JSON")
}

/// Every (method, path) the document describes.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| (m.to_string(), path.clone()))
        })
        .collect()
}

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_contract() {
    let app = spawn_app().await;
    let doc = served_document(&app).await;
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')),
        "an OpenAPI 3 document"
    );
    let expected: BTreeSet<(String, String)> = CONTRACT
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(operations(&doc), expected);
    assert_eq!(
        doc,
        serde_json::to_value(certdesk_web::api::openapi()).unwrap(),
        "the served document is the router's"
    );
    let login = &doc["paths"]["/api/v1/auth/login"]["post"]["responses"];
    for status in ["200", "401", "403", "429"] {
        assert!(login.get(status).is_some(), "login documents {status}");
    }
    for code in ["invalid_credentials", "otp_required"] {
        assert!(
            login["401"]["description"].as_str().unwrap().contains(code),
            "{code}"
        );
    }
    assert!(
        login["403"]["description"]
            .as_str()
            .unwrap()
            .contains("account_setup_required")
    );
    assert!(
        doc["components"]["schemas"]["LoginRequest"]["properties"]
            .get("otp")
            .is_some(),
        "the login body documents otp"
    );
    let import = &doc["paths"]["/api/v1/employees/import"]["post"];
    for status in ["200", "400", "401", "403", "413", "415", "422"] {
        assert!(
            import["responses"].get(status).is_some(),
            "import documents {status}"
        );
    }
    assert!(
        import["requestBody"]["content"].get("text/csv").is_some(),
        "the import takes text/csv: {import}"
    );
    let logout = &doc["paths"]["/api/v1/auth/logout"]["post"]["responses"];
    assert!(logout.get("204").is_some(), "logout answers 204");
    let cancel = &doc["paths"]["/api/v1/applications/{id}/cancel"]["post"]["responses"];
    for status in ["200", "404", "409"] {
        assert!(cancel.get(status).is_some(), "cancel documents {status}");
    }
    for (method, path) in CONTRACT {
        let operation = &doc["paths"][path][method];
        let documented: BTreeSet<&str> = operation["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        if path != "/api/v1/auth/login" {
            assert!(
                documented.contains("401") && operation.get("security").is_some(),
                "{method} {path} documents its bearer token"
            );
        }
    }
}

/// Each documented operation reaches its handler: without a token the handler's extractor
/// answers 401 (or the login's body check 4xx), never the fallback's 404 or 405.
#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = spawn_app().await;
    let doc = served_document(&app).await;
    for (method, path) in operations(&doc) {
        let url = app.url(&path.replace("{id}", "1"));
        let request = match method.as_str() {
            "get" => app.client.get(&url),
            "post" => app.client.post(&url).json(&serde_json::json!({})),
            other => panic!("an unexpected method {other} in the document"),
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if path == "/api/v1/auth/login" {
            assert_eq!(
                status, 422,
                "{method} {path}: the handler read the body: {body}"
            );
        } else {
            assert_eq!(status, 401, "{method} {path}: {body}");
            assert_eq!(body["error"]["code"], "unauthorized", "{method} {path}");
        }
    }
    // And what is not documented is not served.
    let response = app
        .client
        .get(app.url("/api/v1/applications"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let response = app
        .client
        .get(app.url("/api/v1/undocumented"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn the_document_is_browsable_at_api_docs_from_the_binary_itself() {
    let app = spawn_app().await;
    let get = |path: &str| app.client.get(app.url(path)).send();
    let moved = get("/api/docs").await.unwrap();
    assert!(moved.status().is_redirection());
    assert_eq!(location(&moved), "/api/docs/");
    let page = get("/api/docs/").await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    // The assets come from this server, not a CDN.
    assert!(!html.contains("https://"), "{html}");
    let initializer = get("/api/docs/swagger-initializer.js").await.unwrap();
    assert_eq!(initializer.status(), 200);
    assert!(
        initializer
            .text()
            .await
            .unwrap()
            .contains("/api/v1/openapi.json"),
        "the UI reads the document the API serves"
    );
    let bundle = get("/api/docs/swagger-ui-bundle.js").await.unwrap();
    assert_eq!(bundle.status(), 200);
    assert!(
        bundle.bytes().await.unwrap().len() > 100_000,
        "the vendored bundle"
    );
}

#[tokio::test]
async fn the_status_filter_lists_exactly_the_domains_codes() {
    let app = spawn_app().await;
    let document: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let parameters = document["paths"]["/api/v1/employees"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let status = parameters.iter().find(|p| p["name"] == "status").unwrap();
    let pattern = status["schema"]["pattern"].as_str().unwrap();
    let listed: BTreeSet<&str> = pattern
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(codes, _)| codes.split('|').collect())
        .unwrap();
    let mut expected: BTreeSet<&str> = certdesk_domain::Status::ALL
        .iter()
        .map(|s| s.code())
        .collect();
    expected.insert("none");
    assert_eq!(listed, expected);
}
