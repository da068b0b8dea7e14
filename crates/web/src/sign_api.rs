//! The public sector's signing API (issue 11) under `/Sign/Api/`, for document systems already
//! written against it: `GET status`, `POST RequestOTP`, `POST Certificates`, `POST SignBuffer`,
//! with the real service's PascalCase fields. Every call carries the username and the signing
//! password (`Password`); `SignBuffer` the one-time code besides (`SignPassword`) and a base64
//! SHA-256 digest (`BufferToSign`). The signature comes back in `Signature` (a name of ours:
//! the real service's is not public), base64 DER. Described by `/Sign/Api/openapi.json`.
//!
//! Errors keep the service's shape: `{"Success":"false","Outcome":"9","Description",…}`, the
//! description in Greek unless `Accept-Language` asks for English.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certdesk_app::portal::signing::CodeSent;
use certdesk_app::signer::Holder;
use certdesk_domain::Lang;
use certdesk_domain::remote_signing::{Digest, SigningClient};
use certdesk_domain::validation::Field;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{WebError, request_lang};
use crate::extract::{ApiJson, ClientAddress};
use crate::routes::Routes;

pub const BASE: &str = "/Sign/Api";

/// The username and the signing password.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CredentialsRequest {
    #[serde(default)]
    pub username: String,
    /// The signing password chosen at identification.
    #[serde(default)]
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SignBufferRequest {
    #[serde(default)]
    pub username: String,
    /// The signing password.
    #[serde(default)]
    pub password: String,
    /// The one-time code (email or authenticator app).
    #[serde(default)]
    pub sign_password: String,
    /// Base64 of the SHA-256 digest to sign (32 bytes).
    #[serde(default)]
    pub buffer_to_sign: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct StatusAnswer {
    /// `"OK"` while the service signs.
    pub status: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct OtpAnswer {
    /// `"0"`: a code was sent by email; `"1"`: the code comes from the authenticator app;
    /// `"9"`: an error (see `Description`).
    pub outcome: String,
    pub description: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CertificatesAnswer {
    /// Base64 DER: the signer's certificate, the issuing CA, the root.
    pub certificates: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SignBufferAnswer {
    /// `"true"`.
    pub success: String,
    /// Base64 of the DER `ECDSA-Sig-Value` (ecdsa-with-SHA256) over the digest.
    pub signature: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SignApiError {
    /// `"false"`.
    pub success: String,
    /// `"9"`.
    pub outcome: String,
    /// What went wrong, naming the field and the reason.
    pub description: String,
    /// A stable code (`invalid_credentials`, `invalid_field`, `too_many_attempts`,
    /// `certificate_revoked`, …).
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// A refusal in the service's shape, in the caller's language.
struct Refusal(WebError, Lang);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let Refusal(error, lang) = self;
        let body = SignApiError {
            success: "false".to_owned(),
            outcome: "9".to_owned(),
            description: error.message(lang),
            code: error.code().to_owned(),
            field: error.field(),
        };
        (error.status(), Json(body)).into_response()
    }
}

type Answer<T> = Result<Json<T>, Refusal>;

/// Who calls an operation: the language of the answers and the client's address.
struct Caller {
    state: AppState,
    lang: Lang,
    address: Option<std::net::IpAddr>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ClientAddress(address) = ClientAddress::from_request_parts(parts, state).await?;
        Ok(Caller {
            state: state.clone(),
            lang: request_lang(&parts.headers),
            address,
        })
    }
}

impl Caller {
    /// A refusal in this caller's language.
    fn refusal(&self, error: impl Into<WebError>) -> Refusal {
        Refusal(error.into(), self.lang)
    }

    /// The body, or the refusal of a body that is not JSON of the right shape.
    fn body<T>(&self, body: Result<ApiJson<T>, WebError>) -> Result<T, Refusal> {
        body.map(|ApiJson(request)| request)
            .map_err(|error| self.refusal(error))
    }

    /// The holder whose username and signing password the call carries.
    async fn holder(&self, username: &str, password: &str) -> Result<Holder, Refusal> {
        self.state
            .app
            .holder(username, password, self.address)
            .await
            .map_err(|error| self.refusal(error))
    }
}

#[utoipa::path(get, path = "/status", responses((status = 200, body = StatusAnswer)), tag = "sign")]
async fn status() -> Json<StatusAnswer> {
    Json(StatusAnswer {
        status: "OK".to_owned(),
    })
}

#[utoipa::path(
    post,
    path = "/RequestOTP",
    request_body = CredentialsRequest,
    responses(
        (status = 200, description = "`0`: sent by email; `1`: use the authenticator app", body = OtpAnswer),
        (status = 400, description = "The body is not JSON", body = SignApiError),
        (status = 401, description = "Wrong username or signing password", body = SignApiError),
        (status = 403, description = "The certificate does not sign (revoked, expired, not issued)", body = SignApiError),
        (status = 422, description = "A field is missing or malformed", body = SignApiError),
        (status = 429, description = "Too many attempts", body = SignApiError),
    ),
    tag = "sign"
)]
async fn request_otp(
    caller: Caller,
    body: Result<ApiJson<CredentialsRequest>, WebError>,
) -> Answer<OtpAnswer> {
    let request = caller.body(body)?;
    let holder = caller.holder(&request.username, &request.password).await?;
    let lang = caller.lang;
    let sent = holder.send_code().await.map_err(|e| caller.refusal(e))?;
    let (outcome, description) = match sent {
        CodeSent::Sent => (
            "0",
            lang.pick(
                "Ο κωδικός μιας χρήσης στάλθηκε στο email σας.",
                "The one-time code was sent to your email.",
            ),
        ),
        CodeSent::NotEmailChannel => (
            "1",
            lang.pick(
                "Χρησιμοποιήστε τον κωδικό της εφαρμογής επαλήθευσης.",
                "Use the code of your authenticator app.",
            ),
        ),
    };
    Ok(Json(OtpAnswer {
        outcome: outcome.to_owned(),
        description: description.to_owned(),
    }))
}

#[utoipa::path(
    post,
    path = "/Certificates",
    request_body = CredentialsRequest,
    responses(
        (status = 200, body = CertificatesAnswer),
        (status = 400, description = "The body is not JSON", body = SignApiError),
        (status = 401, description = "Wrong username or signing password", body = SignApiError),
        (status = 403, description = "The certificate does not sign", body = SignApiError),
        (status = 422, description = "A field is missing or malformed", body = SignApiError),
        (status = 429, description = "Too many attempts", body = SignApiError),
    ),
    tag = "sign"
)]
async fn certificates(
    caller: Caller,
    body: Result<ApiJson<CredentialsRequest>, WebError>,
) -> Answer<CertificatesAnswer> {
    let request = caller.body(body)?;
    let holder = caller.holder(&request.username, &request.password).await?;
    let chain = holder.chain().await.map_err(|e| caller.refusal(e))?;
    Ok(Json(CertificatesAnswer {
        certificates: [chain.leaf, chain.issuing, chain.root]
            .iter()
            .map(|der| STANDARD.encode(der))
            .collect(),
    }))
}

#[utoipa::path(
    post,
    path = "/SignBuffer",
    request_body = SignBufferRequest,
    responses(
        (status = 200, body = SignBufferAnswer),
        (status = 400, description = "The body is not JSON", body = SignApiError),
        (status = 401, description = "Wrong username or signing password", body = SignApiError),
        (status = 403, description = "The certificate does not sign", body = SignApiError),
        (status = 422, description = "A wrong or used one-time code (`SignPassword`), or a `BufferToSign` that is not a base64 SHA-256 digest", body = SignApiError),
        (status = 429, description = "Too many attempts", body = SignApiError),
    ),
    tag = "sign"
)]
async fn sign_buffer(
    caller: Caller,
    body: Result<ApiJson<SignBufferRequest>, WebError>,
) -> Answer<SignBufferAnswer> {
    let request = caller.body(body)?;
    let digest =
        Digest::from_base64(Field::Hash, &request.buffer_to_sign).map_err(|e| caller.refusal(e))?;
    let holder = caller.holder(&request.username, &request.password).await?;
    let signatures = holder
        .sign(
            &request.sign_password,
            &[digest],
            SigningClient::SignBuffer,
            caller.address,
        )
        .await
        .map_err(|e| caller.refusal(e))?;
    let signature = signatures.into_iter().next().unwrap_or_default();
    Ok(Json(SignBufferAnswer {
        success: "true".to_owned(),
        signature: STANDARD.encode(signature),
    }))
}

#[derive(OpenApi)]
#[openapi(info(
    title = "certdesk signing API (/Sign/Api)",
    description = "The public sector's signing API, for document systems written against it: the username and the signing password in every call, a one-time code and a SHA-256 digest to sign. The signature's field name (`Signature`) is certdesk's."
))]
struct SignApiDoc;

/// The routes (relative to [`BASE`]) and the OpenAPI document, with its paths in full.
pub fn routes() -> (Routes, utoipa::openapi::OpenApi) {
    let (router, document) = OpenApiRouter::with_openapi(SignApiDoc::openapi())
        .routes(routes!(status))
        .routes(routes!(request_otp))
        .routes(routes!(certificates))
        .routes(routes!(sign_buffer))
        .split_for_parts();
    let operations = crate::api::operations(&document);
    let document = crate::api::with_prefix(document, BASE);
    let served = document.clone();
    let routes = Routes::from_router(router, operations).get("/openapi.json", move || {
        let document = served.clone();
        async move { Json(document) }
    });
    (routes, document)
}
