//! `credentials/list`, `credentials/info`, `credentials/sendOTP` and `credentials/authorize`.
//! The holder has one credential: the certificate issued to them, with its key.

use axum::Json;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certdesk_app::portal::signing::CodeSent;
use certdesk_domain::csc::{
    Authorization, EC_PUBLIC_KEY_OID, ECDSA_WITH_SHA256_OID, KEY_LENGTH, MAX_SIGNATURES, OtpKind,
    P256_OID, check_hash_algorithm,
};
use certdesk_domain::validation::Field;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::texts::csc_texts;
use super::wire::{
    CscCaller, CscError, CscJson, Ctx, ErrorAnswer, Failure, either, optional_hashes,
};

#[derive(Deserialize, Default, ToSchema)]
#[allow(dead_code)]
pub struct ListRequest {
    /// Accepted and ignored: the token names its holder.
    #[serde(rename = "userID", default)]
    pub user_id: Option<String>,
    #[serde(rename = "maxResults", default)]
    pub max_results: Option<i64>,
    #[serde(rename = "clientData", default)]
    pub client_data: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ListAnswer {
    /// The holder's one credential.
    #[serde(rename = "credentialIDs")]
    pub credential_ids: Vec<String>,
}

/// The credentials of the token's holder: one, their certificate.
#[utoipa::path(
    post,
    path = "/credentials/list",
    operation_id = "credentials_list",
    request_body(content = Option<ListRequest>, description = "Optional"),
    responses(
        (status = 200, body = ListAnswer),
        (status = 401, description = "`invalid_token`", body = ErrorAnswer),
        (status = 403, description = "`access_denied`: the certificate does not sign", body = ErrorAnswer),
    ),
    security(("bearer" = [])),
    tag = "csc"
)]
pub async fn list(
    ctx: Ctx,
    caller: CscCaller,
    CscJson(_request): CscJson<ListRequest>,
) -> Result<Json<ListAnswer>, CscError> {
    ctx.answer(caller.holder.may_sign().await.map_err(Failure::from))?;
    Ok(Json(ListAnswer {
        credential_ids: vec![caller.holder.credential_id()],
    }))
}

#[derive(Deserialize, Default, ToSchema)]
#[allow(dead_code)]
pub struct CredentialInfoRequest {
    #[serde(rename = "credentialID", default)]
    pub credential_id: Option<String>,
    /// `none`, `single` (the default: the signer's certificate) or `chain` (signer first, then
    /// the issuing CA and the root).
    #[serde(default)]
    pub certificates: Option<String>,
    /// Whether `cert` describes the certificate (serial number, subject, issuer, validity).
    #[serde(rename = "certInfo", default)]
    pub cert_info: Option<bool>,
    /// Accepted; the OTP is always described.
    #[serde(rename = "authInfo", default)]
    pub auth_info: Option<bool>,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(rename = "clientData", default)]
    pub client_data: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct KeyInfo {
    /// `enabled`: the key signs (a revoked or expired certificate's key is destroyed).
    pub status: String,
    /// ecdsa-with-SHA256 and the key's algorithm (EC public key).
    pub algo: Vec<String>,
    pub len: u32,
    /// P-256.
    pub curve: String,
}

#[derive(Serialize, ToSchema)]
pub struct CertInfo {
    /// `valid` (a certificate that does not sign is answered 403).
    pub status: String,
    /// Base64 DER, the signer's first; absent when `certificates` is `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificates: Option<Vec<String>>,
    #[serde(rename = "issuerDN", skip_serializing_if = "Option::is_none")]
    pub issuer_dn: Option<String>,
    /// Hexadecimal.
    #[serde(rename = "serialNumber", skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    #[serde(rename = "subjectDN", skip_serializing_if = "Option::is_none")]
    pub subject_dn: Option<String>,
    /// GeneralizedTime, `YYYYMMDDHHMMSSZ`.
    #[serde(rename = "validFrom", skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    #[serde(rename = "validTo", skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PinInfo {
    /// `false`: no PIN; the signing password was given at login.
    pub presence: String,
}

#[derive(Serialize, ToSchema)]
pub struct OtpInfo {
    /// `true`.
    pub presence: String,
    /// `online` (sent by email, `credentials/sendOTP`) or `offline` (the authenticator app).
    #[serde(rename = "type")]
    pub kind: String,
    /// `N`: six digits.
    pub format: String,
    pub label: String,
    pub description: String,
    #[serde(rename = "ID")]
    pub id: String,
}

/// v2's description of what authorizes a signature.
#[derive(Serialize, ToSchema)]
pub struct AuthInfo {
    /// `explicit`.
    pub mode: String,
    pub objects: Vec<AuthObject>,
}

#[derive(Serialize, ToSchema)]
pub struct AuthObject {
    /// `OTP`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `OTP`: the `id` of its `authData` entry.
    pub id: String,
    pub format: String,
    pub label: String,
    pub description: String,
}

#[derive(Serialize, ToSchema)]
pub struct CredentialInfo {
    pub description: String,
    pub key: KeyInfo,
    pub cert: CertInfo,
    /// `explicit`: each authorization needs the one-time code.
    #[serde(rename = "authMode")]
    pub auth_mode: String,
    /// `2`: a SAD is bound to the hashes it was authorized for.
    #[serde(rename = "SCAL")]
    pub scal: String,
    #[serde(rename = "PIN")]
    pub pin: PinInfo,
    #[serde(rename = "OTP")]
    pub otp: OtpInfo,
    /// The same, as v2 describes it.
    pub auth: AuthInfo,
    /// The most signatures one authorization makes.
    pub multisign: usize,
    pub lang: String,
}

/// The credential: its key, its certificate (the chain with `certificates: chain`), and how a
/// signature is authorized (explicitly, with the one-time code of the holder's channel).
#[utoipa::path(
    post,
    path = "/credentials/info",
    operation_id = "credentials_info",
    request_body = CredentialInfoRequest,
    responses(
        (status = 200, body = CredentialInfo),
        (status = 400, description = "`invalid_request`: `credentialID` missing or not the holder's, `certificates` not none, single or chain", body = ErrorAnswer),
        (status = 401, description = "`invalid_token`", body = ErrorAnswer),
        (status = 403, description = "`access_denied`: the certificate does not sign", body = ErrorAnswer),
    ),
    security(("bearer" = [])),
    tag = "csc"
)]
pub async fn info(
    ctx: Ctx,
    caller: CscCaller,
    CscJson(request): CscJson<CredentialInfoRequest>,
) -> Result<Json<CredentialInfo>, CscError> {
    ctx.answer(describe(ctx, &caller, request).await).map(Json)
}

async fn describe(
    ctx: Ctx,
    caller: &CscCaller,
    request: CredentialInfoRequest,
) -> Result<CredentialInfo, Failure> {
    let holder = &caller.holder;
    holder.check_credential_id(request.credential_id.as_deref())?;
    let certificates = request.certificates.as_deref().unwrap_or("single");
    if !matches!(certificates, "none" | "single" | "chain") {
        return Err(Failure::Unsupported {
            parameter: "certificates",
            expected: "none, single, chain",
        });
    }
    let credential = holder.credential().await?;
    let chain = &credential.chain;
    let ders: Vec<&Vec<u8>> = match certificates {
        "none" => vec![],
        "single" => vec![&chain.leaf],
        _ => vec![&chain.leaf, &chain.issuing, &chain.root],
    };
    let with_info = request.cert_info.unwrap_or(false);
    let info = |text: &str| with_info.then(|| text.to_owned());
    let lang = ctx.lang;
    let kind = OtpKind::of(holder.channel());
    Ok(CredentialInfo {
        description: csc_texts(lang).credential.to_owned(),
        key: KeyInfo {
            status: "enabled".to_owned(),
            algo: vec![
                ECDSA_WITH_SHA256_OID.to_owned(),
                EC_PUBLIC_KEY_OID.to_owned(),
            ],
            len: KEY_LENGTH,
            curve: P256_OID.to_owned(),
        },
        cert: CertInfo {
            status: "valid".to_owned(),
            certificates: (certificates != "none")
                .then(|| ders.iter().map(|der| STANDARD.encode(der)).collect()),
            issuer_dn: info(&credential.issuer_dn),
            serial_number: info(&credential.serial),
            subject_dn: info(&credential.subject_dn),
            valid_from: info(&generalized_time(credential.not_before)),
            valid_to: info(&generalized_time(credential.not_after)),
        },
        auth_mode: "explicit".to_owned(),
        scal: "2".to_owned(),
        pin: PinInfo {
            presence: "false".to_owned(),
        },
        otp: OtpInfo {
            presence: "true".to_owned(),
            kind: kind.code().to_owned(),
            format: "N".to_owned(),
            label: kind.label(lang).to_owned(),
            description: kind.description(lang).to_owned(),
            id: "OTP".to_owned(),
        },
        auth: AuthInfo {
            mode: "explicit".to_owned(),
            objects: vec![AuthObject {
                kind: "OTP".to_owned(),
                id: "OTP".to_owned(),
                format: "N".to_owned(),
                label: kind.label(lang).to_owned(),
                description: kind.description(lang).to_owned(),
            }],
        },
        multisign: MAX_SIGNATURES,
        lang: lang.code().to_owned(),
    })
}

/// `YYYYMMDDHHMMSSZ`, as CSC writes a time.
fn generalized_time(at: DateTime<Utc>) -> String {
    at.format("%Y%m%d%H%M%SZ").to_string()
}

#[derive(Deserialize, Default, ToSchema)]
#[allow(dead_code)]
pub struct SendOtpRequest {
    #[serde(rename = "credentialID", default)]
    pub credential_id: Option<String>,
    #[serde(rename = "clientData", default)]
    pub client_data: Option<String>,
}

/// Emails a new one-time code (only the latest counts), when the holder's OTP is `online` (the
/// email channel); an `offline` OTP comes from the authenticator app.
#[utoipa::path(
    post,
    path = "/credentials/sendOTP",
    operation_id = "credentials_sendOTP",
    request_body = SendOtpRequest,
    responses(
        (status = 204, description = "Sent"),
        (status = 400, description = "`invalid_request`: `credentialID` missing or not the holder's, or the OTP is offline", body = ErrorAnswer),
        (status = 401, description = "`invalid_token`", body = ErrorAnswer),
        (status = 403, description = "`access_denied`: the certificate does not sign", body = ErrorAnswer),
        (status = 429, description = "`too_many_attempts`: too many codes sent lately", body = ErrorAnswer),
    ),
    security(("bearer" = [])),
    tag = "csc"
)]
pub async fn send_otp(
    ctx: Ctx,
    caller: CscCaller,
    CscJson(request): CscJson<SendOtpRequest>,
) -> Result<StatusCode, CscError> {
    ctx.answer(send(&caller, request).await)
}

async fn send(caller: &CscCaller, request: SendOtpRequest) -> Result<StatusCode, Failure> {
    caller
        .holder
        .check_credential_id(request.credential_id.as_deref())?;
    match caller.holder.send_code().await? {
        CodeSent::Sent => Ok(StatusCode::NO_CONTENT),
        CodeSent::NotEmailChannel => Err(Failure::OtpOffline),
    }
}

/// One entry of v2's `authData`.
#[derive(Deserialize, ToSchema, PartialEq)]
pub struct AuthDatum {
    /// `OTP`.
    pub id: String,
    pub value: String,
}

#[derive(Deserialize, Default, ToSchema)]
#[allow(dead_code)]
pub struct AuthorizeRequest {
    #[serde(rename = "credentialID", default)]
    pub credential_id: Option<String>,
    /// As many as the hashes; under `/csc/v2` without hashes, the most documents (1 to 10)
    /// that one `signatures/signDoc` will sign with the SAD.
    #[serde(rename = "numSignatures", default)]
    pub num_signatures: Option<i64>,
    /// v1: base64 SHA-256 hashes to sign (1 to 100, distinct); the SAD signs these only, with
    /// `signatures/signHash`.
    #[serde(default)]
    pub hash: Option<Vec<String>>,
    /// v2's name of `hash`. Left out (or empty) under `/csc/v2`: a SAD for
    /// `signatures/signDoc`, which computes the documents' hashes itself.
    #[serde(default)]
    pub hashes: Option<Vec<String>>,
    /// SHA-256 (`2.16.840.1.101.3.4.2.1`) if given.
    #[serde(rename = "hashAlgo", default)]
    pub hash_algo: Option<String>,
    /// v2's name of `hashAlgo`.
    #[serde(rename = "hashAlgorithmOID", default)]
    pub hash_algorithm_oid: Option<String>,
    /// v1: the one-time code of the holder's channel.
    #[serde(rename = "OTP", default)]
    pub otp: Option<String>,
    /// v2: `[{"id": "OTP", "value": …}]`.
    #[serde(rename = "authData", default)]
    pub auth_data: Option<Vec<AuthDatum>>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(rename = "clientData", default)]
    pub client_data: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuthorizeAnswer {
    /// Signature activation data for `signatures/signHash` (given for hashes) or
    /// `signatures/signDoc` (given without), spent once.
    #[serde(rename = "SAD")]
    pub sad: String,
    /// Seconds the SAD lasts.
    #[serde(rename = "expiresIn")]
    pub expires_in: i64,
}

/// Confirms the signing of the hashes with the one-time code (checked once: a code is never
/// accepted twice; wrong codes are throttled) and gives a SAD that signs exactly those hashes,
/// each once, for five minutes, with `signatures/signHash` only. Under `/csc/v2` a request
/// without hashes gives a SAD for `signatures/signDoc` only: at most `numSignatures` documents
/// (1 to 10), in one call, for five minutes.
#[utoipa::path(
    post,
    path = "/credentials/authorize",
    operation_id = "credentials_authorize",
    request_body = AuthorizeRequest,
    responses(
        (status = 200, body = AuthorizeAnswer),
        (status = 400, description = "`invalid_otp`: the one-time code is wrong or used; `invalid_request`: a parameter is missing or malformed (named in the description: `credentialID`, `numSignatures`, `hash`/`hashes`, `hashAlgo`/`hashAlgorithmOID`, `OTP`/`authData`)", body = ErrorAnswer),
        (status = 401, description = "`invalid_token`", body = ErrorAnswer),
        (status = 403, description = "`access_denied`: the certificate does not sign", body = ErrorAnswer),
        (status = 429, description = "`too_many_attempts`: too many wrong codes lately", body = ErrorAnswer),
    ),
    security(("bearer" = [])),
    tag = "csc"
)]
pub async fn authorize(
    ctx: Ctx,
    caller: CscCaller,
    CscJson(request): CscJson<AuthorizeRequest>,
) -> Result<Json<AuthorizeAnswer>, CscError> {
    ctx.answer(grant(ctx, &caller, request).await).map(Json)
}

async fn grant(
    ctx: Ctx,
    caller: &CscCaller,
    request: AuthorizeRequest,
) -> Result<AuthorizeAnswer, Failure> {
    let holder = &caller.holder;
    holder.check_credential_id(request.credential_id.as_deref())?;
    let digests = optional_hashes(request.hash, request.hashes)?;
    let hash_algorithm = either(
        Field::HashAlgorithm,
        request.hash_algo,
        request.hash_algorithm_oid,
    )?;
    check_hash_algorithm(hash_algorithm.as_deref())?;
    let authorization = Authorization::requested(
        request.num_signatures,
        digests,
        ctx.version.serves_sign_doc(),
    )?;
    let from_auth_data = request
        .auth_data
        .unwrap_or_default()
        .into_iter()
        .find(|datum| datum.id == "OTP")
        .map(|datum| datum.value);
    let code = either(Field::Otp, request.otp, from_auth_data)?.unwrap_or_default();
    let granted = holder.authorize(&code, &authorization).await?;
    Ok(AuthorizeAnswer {
        sad: granted.sad,
        expires_in: granted.expires_in,
    })
}
