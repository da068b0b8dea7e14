//! The OpenAPI document (SPEC §7).

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn the_openapi_document_describes_the_contract() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "public, no token needed");
    let text = response.text().await.unwrap();
    let doc: Value = serde_json::from_str(&text).expect("valid JSON");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')),
        "an OpenAPI 3 document"
    );
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/employees", "get"),
        ("/api/v1/employees/{id}", "get"),
        ("/api/v1/applications", "post"),
        ("/api/v1/applications/{id}/cancel", "post"),
    ] {
        let item = paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} is documented; paths: {:?}", paths.keys()));
        assert!(item.get(method).is_some(), "{method} {path} is documented");
    }
    let cancel = &paths["/api/v1/applications/{id}/cancel"]["post"]["responses"];
    for status in ["200", "404", "409"] {
        assert!(cancel.get(status).is_some(), "cancel documents {status}");
    }
}
