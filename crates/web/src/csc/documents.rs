//! v2's `signatures/signDoc`: PDFs in, the signed PDFs out, each with a PAdES baseline B-B
//! signature of the holder's key (the portal's engine, `certdesk_app::pades`). The SAD is one
//! that `credentials/authorize` gave without hashes, for at most `numSignatures` documents; one
//! call spends it. Served under `/csc/v2` only.

use axum::Json;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certdesk_app::pades::Document;
use certdesk_domain::csc::documents::{Conformance, DocumentRequest};
use certdesk_domain::remote_signing::MAX_BATCH_BYTES;
use certdesk_domain::validation::{Field, Problem, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::wire::{CscCaller, CscError, CscJson, Ctx, ErrorAnswer, Failure};
use crate::extract::ClientAddress;

/// The body a `signDoc` may have: the documents of a batch in base64 (a third larger than
/// the batch itself), and room for the rest of the JSON.
pub const BODY_LIMIT: usize = MAX_BATCH_BYTES.div_ceil(3) * 4 + 64 * 1024;

#[derive(Deserialize, Default, ToSchema)]
#[allow(dead_code)]
pub struct SignDocRequest {
    #[serde(rename = "credentialID", default)]
    pub credential_id: Option<String>,
    /// What `credentials/authorize` gave without hashes, for at least as many documents.
    #[serde(rename = "SAD", default)]
    pub sad: Option<String>,
    /// 1 to 10 PDFs, 10 MB each and 25 MB in all; signed in their order.
    #[serde(default)]
    pub documents: Option<Vec<DocumentToSign>>,
    /// `S` (synchronous, the default) only.
    #[serde(rename = "operationMode", default)]
    pub operation_mode: Option<String>,
    /// Accepted; no validation data is returned (the signatures are B-B).
    #[serde(rename = "returnValidationInfo", default)]
    pub return_validation_info: Option<bool>,
    #[serde(rename = "clientData", default)]
    pub client_data: Option<String>,
}

/// One PDF of a `signDoc`, and the signature asked for it.
#[derive(Deserialize, Default, ToSchema)]
#[allow(dead_code)]
pub struct DocumentToSign {
    /// The PDF (version 1.4 or later, not encrypted), base64.
    #[serde(default)]
    pub document: Option<String>,
    /// `P` (PAdES), the only format made.
    #[serde(default)]
    pub signature_format: Option<String>,
    /// `Ades-B-B` (in any letter case), the default, or `Ades-B-LT` (the chain, the OCSP answer
    /// and the root's CRL embedded in a DSS); B-T is not made here.
    #[serde(default)]
    pub conformance_level: Option<String>,
    /// `1.2.840.10045.4.3.2` (ecdsa-with-SHA256) or the key's `1.2.840.10045.2.1`, if given.
    #[serde(rename = "signAlgo", default)]
    pub sign_algo: Option<String>,
    /// None are needed; ignored.
    #[serde(rename = "signAlgoParams", default)]
    pub sign_algo_params: Option<String>,
    /// `Approval` (an approval signature), the default; certdesk does not certify documents.
    #[serde(default)]
    pub signed_envelope_property: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignDocAnswer {
    /// The signed PDFs, base64, in the order of `documents`: each the original with an
    /// incremental update holding its signature.
    #[serde(rename = "DocumentWithSignature")]
    pub document_with_signature: Vec<String>,
    /// Empty: the signatures are inside the documents.
    #[serde(rename = "SignatureObject")]
    pub signature_object: Vec<String>,
}

/// Signs each PDF with a PAdES baseline B-B signature of the credential's key (invisible, an
/// approval signature, the certificate chain in its CMS), spending a SAD that
/// `credentials/authorize` gave without hashes: at most its `numSignatures` documents, in this
/// one call, within its `expiresIn`. Nothing is signed when any document is refused. Every
/// signature is in the signing log (client CSC, with the caller's address).
#[utoipa::path(
    post,
    path = "/signatures/signDoc",
    operation_id = "signatures_signDoc",
    request_body = SignDocRequest,
    responses(
        (status = 200, body = SignDocAnswer),
        (status = 400, description = "`invalid_request`: a parameter missing or not served (named: `credentialID`, `SAD`, `documents`, `documents[i].document` not a PDF, older than PDF 1.4, encrypted or damaged, `documents[i].signature_format` not P, `documents[i].conformance_level` not AdES-B-B or AdES-B-LT, `documents[i].signAlgo`, `documents[i].signed_envelope_property` not Approval, `operationMode`), or the SAD does not sign them: unknown, expired, given for hashes, spent already, given for fewer documents", body = ErrorAnswer),
        (status = 401, description = "`invalid_token`", body = ErrorAnswer),
        (status = 403, description = "`access_denied`: the certificate does not sign (revoked, expired)", body = ErrorAnswer),
        (status = 413, description = "`invalid_request`: the body is larger than the documents' limits allow", body = ErrorAnswer),
    ),
    security(("bearer" = [])),
    tag = "csc"
)]
pub async fn sign_doc(
    ctx: Ctx,
    ClientAddress(address): ClientAddress,
    caller: CscCaller,
    CscJson(request): CscJson<SignDocRequest>,
) -> Result<Json<SignDocAnswer>, CscError> {
    ctx.answer(sign(&caller, request, address).await).map(Json)
}

async fn sign(
    caller: &CscCaller,
    request: SignDocRequest,
    address: Option<std::net::IpAddr>,
) -> Result<SignDocAnswer, Failure> {
    let holder = &caller.holder;
    holder.check_credential_id(request.credential_id.as_deref())?;
    let sad = request.sad.unwrap_or_default();
    if sad.trim().is_empty() {
        return Err(ValidationError::new(Field::Sad, Problem::Missing).into());
    }
    if request.operation_mode.as_deref().is_some_and(|m| m != "S") {
        return Err(Failure::Unsupported {
            parameter: "operationMode",
            expected: "S",
        });
    }
    let asked = request.documents.unwrap_or_default();
    if asked.is_empty() {
        return Err(ValidationError::new(Field::Documents, Problem::Missing).into());
    }
    let documents = asked
        .into_iter()
        .enumerate()
        .map(|(index, asked)| document(index, asked))
        .collect::<Result<Vec<_>, _>>()?;
    // B-LT for one is B-LT for all: a B-LT signature is also a B-B one.
    let embed_validation_data = documents.iter().any(|(_, c)| *c == Conformance::BaselineLt);
    let documents: Vec<Document> = documents.into_iter().map(|(d, _)| d).collect();
    let signed = holder
        .sign_documents_with_sad(sad.trim(), &documents, embed_validation_data, address)
        .await?;
    Ok(SignDocAnswer {
        document_with_signature: signed.iter().map(|pdf| STANDARD.encode(pdf)).collect(),
        signature_object: Vec::new(),
    })
}

/// The `index`th document: the signature it asks is one certdesk makes (at the level returned),
/// and its PDF decoded.
fn document(index: usize, asked: DocumentToSign) -> Result<(Document, Conformance), Failure> {
    let at = |error| Failure::AtDocument { index, error };
    let conformance = DocumentRequest {
        signature_format: asked.signature_format.as_deref(),
        conformance_level: asked.conformance_level.as_deref(),
        sign_algo: asked.sign_algo.as_deref(),
        signed_envelope_property: asked.signed_envelope_property.as_deref(),
    }
    .check()
    .map_err(at)?;
    let text = asked.document.unwrap_or_default();
    if text.trim().is_empty() {
        return Err(at(ValidationError::new(Field::Document, Problem::Missing)));
    }
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| at(ValidationError::new(Field::Document, Problem::Format)))?;
    Ok((
        Document {
            name: format!("documents[{index}].document"),
            bytes,
        },
        conformance,
    ))
}
