//! The Cloud Signature Consortium's API (issue 11), for signing clients written against the
//! standard (pyHanko's `CSCSigner`, for one): CSC v1.0.4 under `/csc/v1/`, and the same
//! operations under `/csc/v2/`, with v2's `signatures/signDoc` besides (PDFs in, signed PDFs
//! out, by the portal's PAdES engine; `documents.rs`). Either version accepts either's field
//! names (`hash` or `hashes`, `hashAlgo` or `hashAlgorithmOID`, `OTP` or `authData`).
//!
//! A holder logs in with HTTP Basic (username and signing password) at `auth/login` and sends
//! the bearer token it gets with every other call. The one credential (`credentials/list`) is
//! the holder's certificate; `credentials/authorize` takes a one-time code and the hashes about
//! to be signed and gives a SAD for exactly those; `signatures/signHash` spends it. Under v2 an
//! authorization without hashes gives a SAD for `signatures/signDoc` only, for at most
//! `numSignatures` documents in one call. The rules are `certdesk_domain::csc`'s, the use cases
//! `certdesk_app::csc`'s.
//!
//! Errors are CSC's: `{"error", "error_description"}`, the description naming the parameter at
//! fault, in Greek unless `Accept-Language` asks for English. Each version has its OpenAPI
//! document at `{base}/openapi.json`.

mod auth;
mod credentials;
mod documents;
mod signatures;
mod texts;
mod wire;

use axum::Json;
use certdesk_domain::validation::Field;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::routes::Routes;

pub const V1: &str = "/csc/v1";
pub const V2: &str = "/csc/v2";

/// Which version's address a request came to: it names the fields in errors as that version
/// does, and `info` says which specification it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

impl Version {
    pub fn base(self) -> &'static str {
        match self {
            Version::V1 => V1,
            Version::V2 => V2,
        }
    }

    /// The specification's version, as `info` reports it.
    fn specs(self) -> &'static str {
        match self {
            Version::V1 => "1.0.4.0",
            Version::V2 => "2.0.0.2",
        }
    }

    /// Whether the version has `signatures/signDoc` (v2 only), and so SADs for documents.
    pub fn serves_sign_doc(self) -> bool {
        self == Version::V2
    }

    /// The request's name of a field.
    pub fn parameter(self, field: Field) -> &'static str {
        match (self, field) {
            (Version::V1, Field::Hash) => "hash",
            (Version::V2, Field::Hash) => "hashes",
            (Version::V1, Field::Otp) => "OTP",
            (Version::V2, Field::Otp) => "authData",
            (Version::V1, Field::HashAlgorithm) => "hashAlgo",
            (Version::V2, Field::HashAlgorithm) => "hashAlgorithmOID",
            (_, Field::Username | Field::SigningPassword) => "Authorization (Basic)",
            (_, other) => other.name(),
        }
    }
}

#[derive(OpenApi)]
#[openapi(modifiers(&Security))]
struct CscDoc;

struct Security;

/// v2's `signatures/signDoc`, documented apart: its route is added with a body limit of its own.
#[derive(OpenApi)]
#[openapi(paths(documents::sign_doc))]
struct SignDocDoc;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The routes of one version (relative to its base) and its OpenAPI document, with the paths
/// in full.
pub fn routes(version: Version) -> (Routes, utoipa::openapi::OpenApi) {
    let (router, mut document) = OpenApiRouter::with_openapi(CscDoc::openapi())
        .routes(routes!(auth::info, auth::info_get))
        .routes(routes!(auth::login))
        .routes(routes!(auth::revoke))
        .routes(routes!(credentials::list))
        .routes(routes!(credentials::info))
        .routes(routes!(credentials::send_otp))
        .routes(routes!(credentials::authorize))
        .routes(routes!(signatures::sign_hash))
        .split_for_parts();
    let mut routes = Routes::from_router(router, crate::api::operations(&document));
    if version.serves_sign_doc() {
        let sign_doc = SignDocDoc::openapi();
        routes = routes.post_with_body_limit(
            "/signatures/signDoc",
            documents::sign_doc,
            documents::BODY_LIMIT,
        );
        document.merge(sign_doc);
    }
    document.info.title = format!("certdesk CSC API ({})", version.base());
    document.info.version = version.specs().to_owned();
    document.info.description = Some(format!(
        "The Cloud Signature Consortium's API, {}: HTTP Basic login with the username and \
         signing password, one credential (the holder's certificate), a SAD bound to the hashes \
         that a one-time code confirmed, ECDSA P-256 signatures of SHA-256 hashes. Either \
         version's field names are accepted (hash/hashes, hashAlgo/hashAlgorithmOID, \
         OTP/authData). {} Errors are \
         {{\"error\", \"error_description\"}}, in Greek unless Accept-Language asks for English.",
        match version {
            Version::V1 => "v1.0.4",
            Version::V2 => "v2 field names",
        },
        match version {
            Version::V1 => "v2's signatures/signDoc is served under /csc/v2 only.",
            Version::V2 =>
                "signatures/signDoc signs PDFs (PAdES baseline B-B) with a SAD that \
                 credentials/authorize gave without hashes, for at most numSignatures documents \
                 in one call.",
        }
    ));
    let document = crate::api::with_prefix(document, version.base());
    let served = document.clone();
    let routes = routes
        .get("/openapi.json", move || {
            let document = served.clone();
            async move { Json(document) }
        })
        .map_router(|router| {
            router
                .fallback(wire::unknown_method)
                .method_not_allowed_fallback(wire::method_not_allowed)
                .layer(axum::Extension(version))
        });
    (routes, document)
}

/// The OpenAPI document of a version, as `{base}/openapi.json` serves it.
pub fn openapi(version: Version) -> utoipa::openapi::OpenApi {
    routes(version).1
}
