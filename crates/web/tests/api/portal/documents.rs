//! «Υπογραφή εγγράφου» (issue 11): the holder of an issued certificate uploads PDFs, confirms
//! with the signing password and a code, and downloads them signed: pyHanko finds each
//! signature intact and trusted from the data embedded in the PDF alone (B-LT), and the signing
//! log records them. What is not a signable PDF,
//! a wrong password and a used code are refused on the page, in Greek, and nothing is signed.

use std::io::Read;

use certdesk_domain::remote_signing::SigningClient;
use certdesk_testkit::pdf::hello_pdf;
use certdesk_testkit::pyhanko::{Revocation, validate_pdf};
use chrono::Utc;
use reqwest::multipart::{Form, Part};

use super::*;

/// A beneficiary whose certificate was issued (email channel): the portal session.
pub(super) async fn issued_holder(app: &TestApp, person: &Person) -> String {
    let id = application_id(app, person).await;
    let session = up_to_identification(app, person).await;
    portal_post(
        app,
        &session,
        "/portal/identification",
        &identification_form("ekaragianni", "email"),
    )
    .await;
    portal_post(app, &session, "/portal/send-code", &[]).await;
    let code = emailed_code(app, id).await;
    let signed = portal_post(
        app,
        &session,
        "/portal/sign",
        &[("password", SIGNING_PASSWORD), ("otp", &code)],
    )
    .await;
    assert_eq!(signed.status(), 303);
    assert!(
        certdesk_app::worker::run_one_job(app.store.as_ref(), &app.issuing_worker(), Utc::now())
            .await
            .unwrap()
    );
    session
}

/// A fresh email code for signing documents.
pub(super) async fn document_code(app: &TestApp, session: &str, id: i64) -> String {
    let csrf = hidden_csrf(
        &portal_get(app, session, "/portal/documents")
            .await
            .text()
            .await
            .unwrap(),
    );
    let sent = app
        .client
        .post(app.url("/portal/documents/send-code"))
        .header(COOKIE, portal_cookie(app, session))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303);
    assert_eq!(location(&sent), "/portal/documents?done=code_sent");
    emailed_code(app, id).await
}

pub(super) async fn upload(
    app: &TestApp,
    session: &str,
    password: &str,
    code: &str,
    files: Vec<(&str, Vec<u8>)>,
    visible_page: Option<&str>,
) -> reqwest::Response {
    let csrf = hidden_csrf(
        &portal_get(app, session, "/portal/documents")
            .await
            .text()
            .await
            .unwrap(),
    );
    let mut form = Form::new()
        .text("csrf", csrf)
        .text("password", password.to_owned())
        .text("otp", code.to_owned());
    if let Some(page) = visible_page {
        form = form.text("visible", "on").text("page", page.to_owned());
    }
    for (name, bytes) in files {
        form = form.part(
            "documents",
            Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("application/pdf")
                .unwrap(),
        );
    }
    app.client
        .post(app.url("/portal/documents"))
        .header(COOKIE, portal_cookie(app, session))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

pub(super) fn root_pem() -> String {
    certdesk_ca::certificate_pem(&test_ca_record().root_der)
}

/// Intact, trusted and valid from the data embedded in the PDF alone (B-LT: pyHanko fetches
/// nothing and requires revocation data for the certificate and the issuing CA).
fn assert_valid(pdf: &[u8]) {
    let Some(report) =
        validate_pdf(pdf, &root_pem(), Revocation::Embedded).unwrap_or_else(|e| panic!("{e}"))
    else {
        return;
    };
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let signature = &report["signatures"][0];
    assert_eq!(signature["intact"], true, "{report}");
    assert_eq!(signature["trusted"], true, "{report}");
    assert_eq!(signature["bottom_line"], true, "{report}");
    assert_eq!(signature["sub_filter"], "/ETSI.CAdES.detached", "{report}");
    // No TSA configured: B-B, without a signature timestamp.
    assert_eq!(signature["timestamp"], serde_json::Value::Null, "{report}");
    assert!(
        signature["signer"].as_str().unwrap().contains("Καραγιάννη"),
        "{report}"
    );
}

#[tokio::test]
async fn a_holder_signs_pdfs_in_the_portal_and_pyhanko_validates_them() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    let session = issued_holder(&app, &person).await;
    let home = portal_page(&app, &session).await;
    assert!(home.contains("id=\"sign-documents\""), "{home}");
    let page = portal_get(&app, &session, "/portal/documents")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Υπογραφή εγγράφου"), "{page}");
    assert!(!page.contains("documents-timestamped"), "no TSA: {page}");
    assert!(
        page.contains("id=\"documents-send-code\""),
        "the email channel"
    );

    // One document, with a visible signature on its page.
    let code = document_code(&app, &session, id).await;
    let original = hello_pdf("1.7");
    let signed = upload(
        &app,
        &session,
        SIGNING_PASSWORD,
        &code,
        vec![("απόφαση.pdf", original.clone())],
        Some("1"),
    )
    .await;
    assert_eq!(signed.status(), 200);
    assert_eq!(signed.headers()["content-type"], "application/pdf");
    let disposition = signed.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition
            .contains("filename*=UTF-8''%CE%B1%CF%80%CF%8C%CF%86%CE%B1%CF%83%CE%B7-signed.pdf"),
        "{disposition}"
    );
    let pdf = signed.bytes().await.unwrap();
    assert!(pdf.starts_with(&original), "an incremental update");
    assert_valid(&pdf);

    // A batch: one confirmation, one signature each, in one archive.
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
    assert_eq!(batch.headers()["content-type"], "application/zip");
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(batch.bytes().await.unwrap())).unwrap();
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        names.push(file.name().unwrap().to_string());
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        assert_valid(&bytes);
    }
    assert_eq!(names, ["a-signed.pdf", "b-signed.pdf"]);

    // The signing log: three signatures from the portal.
    let log = app.store.signatures_of(id, 10).await.unwrap();
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|s| s.client == SigningClient::Portal));

    // The code of the batch was used: it signs nothing again.
    let again = upload(
        &app,
        &session,
        SIGNING_PASSWORD,
        &code,
        vec![("c.pdf", hello_pdf("1.7"))],
        None,
    )
    .await;
    assert_eq!(again.status(), 422);
    let html = again.text().await.unwrap();
    assert!(html.contains("Κωδικός μίας χρήσης"), "{html}");
    assert_eq!(app.store.signatures_of(id, 10).await.unwrap().len(), 3);
}

#[tokio::test]
async fn what_cannot_be_signed_is_refused_on_the_page_and_nothing_is_signed() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    let session = issued_holder(&app, &person).await;
    let code = document_code(&app, &session, id).await;

    let mut old = hello_pdf("1.4");
    old[7] = b'3';
    for (name, bytes, expected) in [
        (
            "photo.jpg",
            b"\xff\xd8\xff\xe0 not a pdf".to_vec(),
            "«photo.jpg»: δεν είναι αρχείο PDF",
        ),
        (
            "old.pdf",
            old,
            "«old.pdf»: υπογράφονται έγγραφα PDF έκδοσης 1.4 ή νεότερης",
        ),
    ] {
        // One bad document among good ones stops the whole batch.
        let refused = upload(
            &app,
            &session,
            SIGNING_PASSWORD,
            &code,
            vec![("good.pdf", hello_pdf("1.7")), (name, bytes)],
            None,
        )
        .await;
        assert_eq!(refused.status(), 422, "{name}");
        let html = refused.text().await.unwrap();
        assert!(html.contains(expected), "{expected} in {html}");
    }
    let no_file = upload(&app, &session, SIGNING_PASSWORD, &code, Vec::new(), None).await;
    assert_eq!(no_file.status(), 422);
    assert!(
        no_file
            .text()
            .await
            .unwrap()
            .contains("επιλέξτε ένα ή περισσότερα αρχεία PDF")
    );
    let no_page = upload(
        &app,
        &session,
        SIGNING_PASSWORD,
        &code,
        vec![("good.pdf", hello_pdf("1.7"))],
        Some("3"),
    )
    .await;
    assert_eq!(no_page.status(), 422);
    assert!(
        no_page
            .text()
            .await
            .unwrap()
            .contains("δεν υπάρχει σελίδα 3")
    );
    let wrong_password = upload(
        &app,
        &session,
        "λάθος κωδικός",
        &code,
        vec![("good.pdf", hello_pdf("1.7"))],
        None,
    )
    .await;
    assert_eq!(wrong_password.status(), 401);
    assert!(
        wrong_password
            .text()
            .await
            .unwrap()
            .contains("Λάθος όνομα χρήστη ή κωδικός ψηφιακής υπογραφής")
    );
    assert!(app.store.signatures_of(id, 10).await.unwrap().is_empty());

    // The code still works after those refusals (none reached the code's check).
    let signed = upload(
        &app,
        &session,
        SIGNING_PASSWORD,
        &code,
        vec![("good.pdf", hello_pdf("1.7"))],
        None,
    )
    .await;
    assert_eq!(signed.status(), 200);

    // Without a portal session: the landing page.
    let anonymous = app
        .client
        .get(app.url("/portal/documents"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);
}
