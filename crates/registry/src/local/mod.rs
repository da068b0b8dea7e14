//! The local registry: the tax registry's OAuth2 login and lookups and the Police registry's
//! lookups (see the protocols in the crate documentation), answered from a file of people, with
//! codes and tokens in memory. It is a simulator for the demo and the tests: anyone may log in as
//! anyone in the file, with any password.

// The parts: `people.rs` reads the people file, `oauth2.rs` answers the login (authorize, token,
// user info) and `login_page.rs` draws its page, `lookups.rs` answers the tax and Police look-ups,
// `errors.rs` writes the OAuth2 errors they all answer with. What they share (the state, the
// client's check) and the routes stay here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, header};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::Rng;
use sha2::{Digest, Sha256};

mod errors;
mod login_page;
mod lookups;
mod oauth2;
mod people;

pub use people::{People, PeopleError};

use lookups::{police_record, tax_person};
use oauth2::{authorize, authorize_page, token, userinfo};

/// How long an authorization code may wait for its exchange.
pub const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// How long an access token is good for.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

struct Grant {
    afm: String,
    redirect_uri: String,
    /// The S256 challenge of the authorization request, which the exchange's verifier must meet.
    code_challenge: String,
    expires: Instant,
}

struct Inner {
    people: People,
    client_id: String,
    secret_digest: [u8; 32],
    codes: Mutex<HashMap<String, Grant>>,
    tokens: Mutex<HashMap<String, (String, Instant)>>,
}

type Shared = Arc<Inner>;

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

fn random_token() -> String {
    hex::encode(rand::rng().random::<[u8; 32]>())
}

/// The routes of the local registry, for a client with this id and secret.
pub fn router(people: People, client_id: &str, client_secret: &str) -> Router {
    let inner = Arc::new(Inner {
        people,
        client_id: client_id.to_owned(),
        secret_digest: digest(client_secret),
        codes: Mutex::default(),
        tokens: Mutex::default(),
    });
    Router::new()
        .route("/oauth2/authorize", get(authorize_page).post(authorize))
        .route("/oauth2/token", axum::routing::post(token))
        .route("/oauth2/userinfo", get(userinfo))
        .route("/tax/persons/{afm}", get(tax_person))
        .route("/police/id-cards", get(police_record))
        .with_state(inner)
}

/// Serves the local registry on `listener` until the task is dropped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    people: People,
    client_id: &str,
    client_secret: &str,
) -> std::io::Result<()> {
    axum::serve(listener, router(people, client_id, client_secret)).await
}

/// Whether the request carries the client's id and secret (HTTP Basic, or `client_id` and
/// `client_secret` in the form of the token request).
fn client_authenticated(inner: &Inner, headers: &HeaderMap, form: Option<(&str, &str)>) -> bool {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| BASE64.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let (id, secret) = match (&basic, form) {
        (Some(pair), _) => match pair.split_once(':') {
            Some(pair) => pair,
            None => return false,
        },
        (None, Some(pair)) => pair,
        (None, None) => return false,
    };
    // Both compared, through digests, whatever the first gives.
    let id_ok = digest(id) == digest(&inner.client_id);
    let secret_ok = digest(secret) == inner.secret_digest;
    id_ok && secret_ok
}
