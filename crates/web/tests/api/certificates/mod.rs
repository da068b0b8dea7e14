//! Issued certificates (issue 5): the issuance job with the test CA, the chain served by the API
//! and checked by openssl and pkilint, and the private keys never in the database in clear.

mod downloads;
mod expiry;
mod issuance;
mod key_scan;
mod revocation;

use certdesk_app::worker::run_one_job;
use certdesk_domain::Status;

use crate::helpers::*;

/// An application issued by the real job: returns the employee and the application id.
pub(crate) async fn issued(app: &TestApp) -> (Employee, i64) {
    let (employee, id) = app.application_in(Status::AwaitingIssuance).await;
    assert!(
        run_one_job(
            app.store.as_ref(),
            &app.issuing_worker(),
            chrono::Utc::now()
        )
        .await
        .unwrap()
    );
    assert_eq!(app.application(id).await.status, Status::Issued);
    (employee, id)
}

fn der_of(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64_decode(&body)
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => 0,
        }
    };
    let bytes: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let n = chunk.iter().filter(|&&b| b != b'=').count();
        let v = chunk.iter().fold(0u32, |acc, &b| {
            (acc << 6) | if b == b'=' { 0 } else { value(b) }
        });
        let v = v << (6 * (4 - chunk.len() as u32));
        let all = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(&all[..n.saturating_sub(1)]);
    }
    out
}

async fn revoke(app: &TestApp, token: &str, id: i64, body: serde_json::Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/applications/{id}/revoke")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}
