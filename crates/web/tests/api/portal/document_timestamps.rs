//! «Υπογραφή εγγράφου» with a time-stamping authority (PAdES B-T, issue 11): against a real
//! RFC 3161 TSA (pyHanko's `DummyTimeStamper`, `tests/pyhanko/tsa_server.py`), each signature
//! carries a signature timestamp that pyHanko finds valid and trusted against the TSA's root,
//! and the page says so. A TSA that is down or answers about another request refuses the
//! signing on the page, and nothing is signed.

use std::io::Read;
use std::path::{Path, PathBuf};

use certdesk_testkit::pdf::hello_pdf;
use certdesk_testkit::pyhanko::{Revocation, validate_timestamped_pdf};
use certdesk_testkit::tsa::TestTsa;

use super::documents::{document_code, issued_holder, root_pem, upload};
use super::*;

fn tsa_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pyhanko/tsa_server.py")
}

fn start_tsa() -> TestTsa {
    TestTsa::start(&tsa_script()).unwrap_or_else(|e| panic!("{e}"))
}

async fn portal_app_with_tsa(url: &str) -> (TestApp, Person) {
    let serving = Serving {
        tsa_url: Some(url.to_owned()),
        ..Default::default()
    };
    portal_app_serving(",,,", None, serving).await
}

/// pyHanko's report of the one signature of `pdf`: intact and trusted, with a signature
/// timestamp intact, valid and trusted against `tsa_root_pem`.
fn assert_timestamped(pdf: &[u8], tsa_root_pem: &str) {
    let Some(report) =
        validate_timestamped_pdf(pdf, &root_pem(), Revocation::Offline, Some(tsa_root_pem))
            .unwrap_or_else(|e| panic!("{e}"))
    else {
        return;
    };
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let signature = &report["signatures"][0];
    assert_eq!(signature["intact"], true, "{report}");
    assert_eq!(signature["trusted"], true, "{report}");
    assert_eq!(signature["sub_filter"], "/ETSI.CAdES.detached", "{report}");
    let stamp = &signature["timestamp"];
    assert_eq!(stamp["intact"], true, "{report}");
    assert_eq!(stamp["valid"], true, "{report}");
    assert_eq!(stamp["trusted"], true, "{report}");
    assert!(
        stamp["tsa"].as_str().unwrap().contains("certdesk test TSA"),
        "{report}"
    );
}

#[tokio::test]
async fn with_a_tsa_each_signature_carries_a_timestamp_that_pyhanko_trusts() {
    let tsa = start_tsa();
    let (app, person) = portal_app_with_tsa(&tsa.url).await;
    let id = application_id(&app, &person).await;
    let session = issued_holder(&app, &person).await;
    let host = tsa.url.trim_start_matches("http://").trim_end_matches('/');
    let page = portal_get(&app, &session, "/portal/documents")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"documents-timestamped\""), "{page}");
    assert!(page.contains("φέρει χρονοσήμανση (PAdES B-T)"), "{page}");
    assert!(page.contains(host), "{page}");

    // One document, visible.
    let code = document_code(&app, &session, id).await;
    let signed = upload(
        &app,
        &session,
        SIGNING_PASSWORD,
        &code,
        vec![("απόφαση.pdf", hello_pdf("1.7"))],
        Some("1"),
    )
    .await;
    assert_eq!(signed.status(), 200);
    assert_eq!(signed.headers()["content-type"], "application/pdf");
    assert_timestamped(&signed.bytes().await.unwrap(), &tsa.root_pem);

    // A batch: a timestamp for each signature.
    let code = document_code(&app, &session, id).await;
    let batch = upload(
        &app,
        &session,
        SIGNING_PASSWORD,
        &code,
        vec![("a.pdf", hello_pdf("1.4")), ("b.pdf", hello_pdf("1.7"))],
        None,
    )
    .await;
    assert_eq!(batch.status(), 200);
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(batch.bytes().await.unwrap())).unwrap();
    assert_eq!(archive.len(), 2);
    for i in 0..archive.len() {
        let mut bytes = Vec::new();
        archive
            .by_index(i)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        assert_timestamped(&bytes, &tsa.root_pem);
    }
    assert_eq!(app.store.signatures_of(id, 10).await.unwrap().len(), 3);
}

/// An address where nothing listens.
fn nobody_there() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/")
}

#[tokio::test]
async fn a_tsa_that_is_down_or_answers_another_request_refuses_the_signing() {
    let tsa = start_tsa();
    for url in [nobody_there(), format!("{}wrong-nonce", tsa.url)] {
        let (app, person) = portal_app_with_tsa(&url).await;
        let id = application_id(&app, &person).await;
        let session = issued_holder(&app, &person).await;
        let code = document_code(&app, &session, id).await;
        let refused = upload(
            &app,
            &session,
            SIGNING_PASSWORD,
            &code,
            vec![("a.pdf", hello_pdf("1.7")), ("b.pdf", hello_pdf("1.7"))],
            None,
        )
        .await;
        assert_eq!(refused.status(), 503, "{url}");
        assert!(
            refused.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{url}: the page, not a PDF"
        );
        let html = refused.text().await.unwrap();
        assert!(
            html.contains("δεν υπογράφηκε κανένα έγγραφο"),
            "{url}: {html}"
        );
        assert!(
            html.contains("id=\"documents-form\""),
            "{url}: the form again"
        );
        // Nothing signed: no signature in the log.
        assert!(
            app.store.signatures_of(id, 10).await.unwrap().is_empty(),
            "{url}"
        );
    }
}
