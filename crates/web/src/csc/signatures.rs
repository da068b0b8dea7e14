//! `signatures/signHash`: the hashes a SAD was given for, signed with the holder's key.

use axum::Json;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certdesk_domain::csc::check_sign_algorithm;
use certdesk_domain::validation::{Field, Problem, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::wire::{CscCaller, CscError, CscJson, Ctx, ErrorAnswer, Failure, either, hashes};
use crate::extract::ClientAddress;

#[derive(Deserialize, Default, ToSchema)]
#[allow(dead_code)]
pub struct SignHashRequest {
    #[serde(rename = "credentialID", default)]
    pub credential_id: Option<String>,
    /// What `credentials/authorize` gave.
    #[serde(rename = "SAD", default)]
    pub sad: Option<String>,
    /// v1: base64 SHA-256 hashes, each one the SAD was given for and has not signed yet.
    #[serde(default)]
    pub hash: Option<Vec<String>>,
    /// v2's name of `hash`.
    #[serde(default)]
    pub hashes: Option<Vec<String>>,
    /// SHA-256 (`2.16.840.1.101.3.4.2.1`) if given.
    #[serde(rename = "hashAlgo", default)]
    pub hash_algo: Option<String>,
    /// v2's name of `hashAlgo`.
    #[serde(rename = "hashAlgorithmOID", default)]
    pub hash_algorithm_oid: Option<String>,
    /// `1.2.840.10045.4.3.2` (ecdsa-with-SHA256) or the key's `1.2.840.10045.2.1`.
    #[serde(rename = "signAlgo", default)]
    pub sign_algo: Option<String>,
    /// None are needed; ignored.
    #[serde(rename = "signAlgoParams", default)]
    pub sign_algo_params: Option<String>,
    /// v2: `S` (synchronous, the default) only.
    #[serde(rename = "operationMode", default)]
    pub operation_mode: Option<String>,
    #[serde(rename = "clientData", default)]
    pub client_data: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignHashAnswer {
    /// Base64 DER `ECDSA-Sig-Value`s, in the order of the hashes.
    pub signatures: Vec<String>,
}

/// Signs the hashes with the credential's key, spending the SAD on them: a SAD signs only the
/// hashes it was authorized for, each once, and only for its `expiresIn`. Every signature is in
/// the signing log (client CSC, with the caller's address).
#[utoipa::path(
    post,
    path = "/signatures/signHash",
    operation_id = "signatures_signHash",
    request_body = SignHashRequest,
    responses(
        (status = 200, body = SignHashAnswer),
        (status = 400, description = "`invalid_request`: a parameter missing or malformed (named: `credentialID`, `SAD`, `hash`/`hashes`, `signAlgo`, `hashAlgo`/`hashAlgorithmOID`, `operationMode`), or the SAD does not sign it: unknown, expired, another hash, a hash it signed already", body = ErrorAnswer),
        (status = 401, description = "`invalid_token`", body = ErrorAnswer),
        (status = 403, description = "`access_denied`: the certificate does not sign (revoked, expired)", body = ErrorAnswer),
    ),
    security(("bearer" = [])),
    tag = "csc"
)]
pub async fn sign_hash(
    ctx: Ctx,
    ClientAddress(address): ClientAddress,
    caller: CscCaller,
    CscJson(request): CscJson<SignHashRequest>,
) -> Result<Json<SignHashAnswer>, CscError> {
    ctx.answer(sign(&caller, request, address).await).map(Json)
}

async fn sign(
    caller: &CscCaller,
    request: SignHashRequest,
    address: Option<std::net::IpAddr>,
) -> Result<SignHashAnswer, Failure> {
    let holder = &caller.holder;
    holder.check_credential_id(request.credential_id.as_deref())?;
    let sad = request.sad.unwrap_or_default();
    if sad.trim().is_empty() {
        return Err(ValidationError::new(Field::Sad, Problem::Missing).into());
    }
    let digests = hashes(request.hash, request.hashes)?;
    let hash_algorithm = either(
        Field::HashAlgorithm,
        request.hash_algo,
        request.hash_algorithm_oid,
    )?;
    check_sign_algorithm(request.sign_algo.as_deref(), hash_algorithm.as_deref())?;
    if request.operation_mode.as_deref().is_some_and(|m| m != "S") {
        return Err(Failure::Unsupported {
            parameter: "operationMode",
            expected: "S",
        });
    }
    let signatures = holder.sign_with_sad(sad.trim(), &digests, address).await?;
    Ok(SignHashAnswer {
        signatures: signatures.iter().map(|s| STANDARD.encode(s)).collect(),
    })
}
