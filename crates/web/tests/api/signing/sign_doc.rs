//! v2's `signatures/signDoc`: PDFs in, signed PDFs out, which pyHanko finds intact and trusted.
//! The SAD is one that `credentials/authorize` gave without hashes: it signs at most its
//! `numSignatures` documents, in one call, and only with signDoc (a SAD of hashes is refused
//! there, and it is refused by signHash). A document that is not a signable PDF, or asks for a
//! signature certdesk does not make, is refused by its index and field, and nothing is signed;
//! a revoked certificate signs nothing. Every signature is in the signing log, from CSC.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certdesk_domain::Status;
use certdesk_domain::remote_signing::SigningClient;
use certdesk_testkit::pdf::hello_pdf;
use certdesk_testkit::pyhanko::{Revocation, validate_pdf};
use serde_json::{Value, json};

use super::csc::{Client, V1, V2, assert_error, description, hash_of, revoke};
use crate::helpers::*;

impl Client<'_> {
    /// v2's `credentials/authorize` without hashes: a SAD for `numSignatures` documents.
    async fn authorize_documents(&self, id: i64, num_signatures: usize) -> (u16, Value) {
        let code = self.emailed_code(id).await;
        self.call(
            "credentials/authorize",
            &json!({"credentialID": id.to_string(), "numSignatures": num_signatures,
                    "authData": [{"id": "OTP", "value": code}]}),
        )
        .await
    }

    async fn documents_sad(&self, id: i64, num_signatures: usize) -> String {
        let (status, granted) = self.authorize_documents(id, num_signatures).await;
        assert_eq!(status, 200, "{granted}");
        assert_eq!(granted["expiresIn"], 300, "{granted}");
        granted["SAD"].as_str().unwrap().to_owned()
    }

    async fn sign_doc(&self, id: i64, sad: &str, documents: Vec<Value>) -> (u16, Value) {
        self.call(
            "signatures/signDoc",
            &json!({"credentialID": id.to_string(), "SAD": sad, "documents": documents,
                    "operationMode": "S"}),
        )
        .await
    }
}

/// A document of a signDoc: `pdf` as PAdES B-B, the level spelt `level`.
fn pades(pdf: &[u8], level: &str) -> Value {
    json!({"document": STANDARD.encode(pdf), "signature_format": "P",
           "conformance_level": level, "signAlgo": "1.2.840.10045.4.3.2"})
}

fn signed_documents(answer: &(u16, Value)) -> Vec<Vec<u8>> {
    let (status, body) = answer;
    assert_eq!(*status, 200, "{body}");
    assert_eq!(body["SignatureObject"], json!([]), "{body}");
    body["DocumentWithSignature"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pdf| STANDARD.decode(pdf.as_str().unwrap()).unwrap())
        .collect()
}

/// pyHanko finds the one signature of `pdf` intact and trusted under the test CA, by `surname`.
fn assert_valid(pdf: &[u8], surname: &str) {
    let root = certdesk_ca::certificate_pem(&test_ca_record().root_der);
    let Some(report) =
        validate_pdf(pdf, &root, Revocation::Offline).unwrap_or_else(|e| panic!("{e}"))
    else {
        return;
    };
    let report: Value = serde_json::from_str(&report).unwrap();
    let signatures = report["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 1, "{report}");
    let signature = &signatures[0];
    assert_eq!(signature["intact"], true, "{report}");
    assert_eq!(signature["valid"], true, "{report}");
    assert_eq!(signature["trusted"], true, "{report}");
    assert_eq!(signature["sub_filter"], "/ETSI.CAdES.detached", "{report}");
    assert!(
        signature["signer"].as_str().unwrap().contains(surname),
        "{report}"
    );
}

async fn signatures_logged(app: &TestApp, id: i64) -> Vec<SigningClient> {
    let log = app.store.signatures_of(id, 20).await.unwrap();
    log.iter().map(|s| s.client).collect()
}

#[tokio::test]
async fn sign_doc_at_b_lt_embeds_what_validates_the_signature_offline() {
    let app = spawn_app().await;
    let (_, id) = app.application_in(Status::Issued).await;
    let client = Client::logged_in(&app, V2, id).await;
    let sad = client.documents_sad(id, 1).await;
    let answer = client
        .sign_doc(id, &sad, vec![pades(&hello_pdf("1.7"), "AdES-B-LT")])
        .await;
    let signed = signed_documents(&answer);
    assert!(
        signed[0]
            .windows(9)
            .any(|w| w == b"/Type/DSS" || w == b"Type /DSS"),
        "a DSS"
    );
    let root = certdesk_ca::certificate_pem(&test_ca_record().root_der);
    let Some(report) =
        validate_pdf(&signed[0], &root, Revocation::Embedded).unwrap_or_else(|e| panic!("{e}"))
    else {
        return;
    };
    let report: Value = serde_json::from_str(&report).unwrap();
    let signature = &report["signatures"][0];
    assert_eq!(signature["trusted"], true, "{report}");
    assert_eq!(signature["bottom_line"], true, "{report}");
}

#[tokio::test]
async fn sign_doc_signs_two_pdfs_with_a_sad_for_two_that_pyhanko_validates() {
    let app = spawn_app().await;
    let (employee, id) = app.application_in(Status::Issued).await;
    let surname = employee.surname.as_str().to_owned();

    // Only v2 lists and serves it.
    let (_, v2_info) = Client::new(&app, V2).call("info", &json!({})).await;
    assert!(
        v2_info["methods"]
            .as_array()
            .unwrap()
            .contains(&json!("signatures/signDoc")),
        "{v2_info}"
    );
    let (_, v1_info) = Client::new(&app, V1).call("info", &json!({})).await;
    assert!(
        !v1_info["methods"]
            .as_array()
            .unwrap()
            .contains(&json!("signatures/signDoc")),
        "{v1_info}"
    );

    let client = Client::logged_in(&app, V2, id).await;
    let sad = client.documents_sad(id, 2).await;
    let originals = [hello_pdf("1.7"), hello_pdf("1.4")];
    let answer = client
        .sign_doc(
            id,
            &sad,
            vec![
                pades(&originals[0], "Ades-B-B"),
                json!({"document": STANDARD.encode(&originals[1]), "signature_format": "P",
                       "conformance_level": "ADES-b-b", "signed_envelope_property": "Approval"}),
            ],
        )
        .await;
    let signed = signed_documents(&answer);
    assert_eq!(signed.len(), 2, "in their order");
    for (original, pdf) in originals.iter().zip(&signed) {
        assert!(pdf.starts_with(original), "an incremental update");
        assert_valid(pdf, &surname);
    }
    assert_eq!(
        signatures_logged(&app, id).await,
        [SigningClient::Csc, SigningClient::Csc]
    );

    // Once only: the same SAD again signs nothing.
    let replayed = client
        .sign_doc(id, &sad, vec![pades(&originals[0], "AdES-B-B")])
        .await;
    assert_error(&replayed, 400, "invalid_request", "SAD");
    assert_eq!(signatures_logged(&app, id).await.len(), 2);

    // v1 has no signDoc, nor SADs without hashes.
    let v1 = Client::logged_in(&app, V1, id).await;
    let unknown = v1.sign_doc(id, &sad, vec![]).await;
    assert_eq!(
        (unknown.0, &unknown.1["error"]),
        (404, &json!("invalid_request"))
    );
    let code = v1.emailed_code(id).await;
    let hashless = v1
        .call(
            "credentials/authorize",
            &json!({"credentialID": id.to_string(), "numSignatures": 1, "OTP": code}),
        )
        .await;
    assert_error(&hashless, 400, "invalid_request", "hash");
}

#[tokio::test]
async fn a_sad_signs_only_with_the_method_it_was_given_for() {
    let app = spawn_app().await;
    let (_, id) = app.application_in(Status::Issued).await;
    let client = Client::logged_in(&app, V2, id).await;
    let pdf = hello_pdf("1.7");

    // A SAD of hashes is refused by signDoc, and is still good for its hash.
    let hash = hash_of(b"a hash");
    let code = client.emailed_code(id).await;
    let (status, granted) = client
        .call(
            "credentials/authorize",
            &json!({"credentialID": id.to_string(), "numSignatures": 1, "hashes": [hash],
                    "authData": [{"id": "OTP", "value": code}]}),
        )
        .await;
    assert_eq!(status, 200, "{granted}");
    let hash_sad = granted["SAD"].as_str().unwrap().to_owned();
    let refused = client
        .sign_doc(id, &hash_sad, vec![pades(&pdf, "AdES-B-B")])
        .await;
    assert_error(&refused, 400, "invalid_request", "signHash");
    assert!(description(&refused.1).contains("SAD"), "{:?}", refused.1);

    // A SAD without hashes is refused by signHash, and is still good for signDoc.
    let documents_sad = client.documents_sad(id, 1).await;
    let refused = client.sign_hash(id, &documents_sad, &[&hash]).await;
    assert_error(&refused, 400, "invalid_request", "signDoc");
    assert!(signatures_logged(&app, id).await.is_empty());

    let (status, signed) = client.sign_hash(id, &hash_sad, &[&hash]).await;
    assert_eq!(status, 200, "{signed}");
    let answer = client
        .sign_doc(id, &documents_sad, vec![pades(&pdf, "AdES-B-B")])
        .await;
    assert_eq!(signed_documents(&answer).len(), 1);
    assert_eq!(signatures_logged(&app, id).await.len(), 2);
}

#[tokio::test]
async fn refused_documents_are_named_and_nothing_is_signed() {
    let app = spawn_app().await;
    let (_, id) = app.application_in(Status::Issued).await;
    let client = Client::logged_in(&app, V2, id).await;
    let sad = client.documents_sad(id, 2).await;
    let pdf = hello_pdf("1.7");
    let good = || pades(&pdf, "AdES-B-B");

    // More documents than numSignatures.
    let three = client
        .sign_doc(id, &sad, vec![good(), good(), good()])
        .await;
    assert_error(&three, 400, "invalid_request", "documents");
    assert!(description(&three.1).contains("2"), "{:?}", three.1);

    let cases = [
        (
            vec![good(), pades(b"not a PDF at all", "AdES-B-B")],
            "documents[1].document",
            "PDF",
        ),
        (
            vec![pades(&hello_pdf("1.3"), "AdES-B-B")],
            "documents[0].document",
            "1.4",
        ),
        (
            vec![
                good(),
                json!({"document": "%%% not base64", "signature_format": "P"}),
            ],
            "documents[1].document",
            "base64",
        ),
        (
            vec![pades(&pdf, "AdES-B-T")],
            "documents[0].conformance_level",
            "AdES-B-B",
        ),
        (
            vec![json!({"document": STANDARD.encode(&pdf), "signature_format": "C"})],
            "documents[0].signature_format",
            "P",
        ),
        (
            vec![json!({"document": STANDARD.encode(&pdf)})],
            "documents[0].signature_format",
            "signature_format",
        ),
        (
            vec![
                json!({"document": STANDARD.encode(&pdf), "signature_format": "P",
                        "signed_envelope_property": "Certification"}),
            ],
            "documents[0].signed_envelope_property",
            "Approval",
        ),
        (
            vec![
                json!({"document": STANDARD.encode(&pdf), "signature_format": "P",
                        "signAlgo": "1.2.840.113549.1.1.11"}),
            ],
            "documents[0].signAlgo",
            "ecdsa",
        ),
        (vec![], "documents", "documents"),
    ];
    for (documents, parameter, says) in cases {
        let answer = client.sign_doc(id, &sad, documents).await;
        assert_error(&answer, 400, "invalid_request", parameter);
        assert!(description(&answer.1).contains(says), "{:?}", answer.1);
        assert!(has_greek(description(&answer.1)), "{:?}", answer.1);
    }

    // In English when asked.
    let english = Client {
        english: true,
        ..Client::logged_in(&app, V2, id).await
    };
    let answer = english
        .sign_doc(id, &sad, vec![pades(b"%PDF-nope", "AdES-B-B")])
        .await;
    assert_error(&answer, 400, "invalid_request", "documents[0].document");
    assert!(!has_greek(description(&answer.1)), "{:?}", answer.1);
    let missing_sad = english.sign_doc(id, "", vec![good()]).await;
    assert_error(&missing_sad, 400, "invalid_request", "SAD");

    // Nothing was signed, and the refusals left the SAD unspent.
    assert!(signatures_logged(&app, id).await.is_empty());
    let answer = client.sign_doc(id, &sad, vec![good(), good()]).await;
    assert_eq!(signed_documents(&answer).len(), 2);
    assert_eq!(signatures_logged(&app, id).await.len(), 2);
}

#[tokio::test]
async fn a_revoked_certificate_signs_no_document() {
    let app = spawn_app().await;
    let (_, id) = app.application_in(Status::Issued).await;
    let client = Client::logged_in(&app, V2, id).await;
    // A SAD granted before the revocation, not yet spent.
    let sad = client.documents_sad(id, 1).await;
    revoke(&app, id).await;
    let refused = client
        .sign_doc(id, &sad, vec![pades(&hello_pdf("1.7"), "AdES-B-B")])
        .await;
    assert_error(&refused, 403, "access_denied", "ανακληθεί");
    assert!(signatures_logged(&app, id).await.is_empty());
}
