//! The local registry: the tax registry's OAuth2 login and lookups and the Police registry's
//! lookups (see the protocols in the crate documentation), answered from a file of people, with
//! codes and tokens in memory. It is a simulator for the demo and the tests: anyone may log in as
//! anyone in the file, with any password.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use certdesk_domain::notification::escape_html;
use certdesk_domain::validation::{Afm, IdCard, PersonName};
use chrono::NaiveDate;
use rand::Rng;
use reqwest::Url;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::model::{ErrorWire, PersonWire, PoliceRecord, PoliceWire, TaxPerson, TokenWire};

/// How long an authorization code may wait for its exchange.
pub const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// How long an access token is good for.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// A people file that could not be read: the line (1 is the header; 0 for the file as a whole)
/// and what is wrong.
#[derive(Debug)]
pub struct PeopleError {
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for PeopleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => f.write_str(&self.message),
            line => write!(f, "line {line}: {}", self.message),
        }
    }
}

impl std::error::Error for PeopleError {}

#[derive(Debug, Clone)]
struct Entry {
    tax: TaxPerson,
    police: Option<PoliceRecord>,
}

/// The people the local registry knows (see the file format in the crate documentation).
#[derive(Debug, Clone, Default)]
pub struct People {
    entries: Vec<Entry>,
    by_afm: HashMap<String, usize>,
    by_id_card: HashMap<String, usize>,
}

#[derive(Deserialize)]
struct Row {
    afm: String,
    surname: String,
    given_name: String,
    father_name: String,
    birth_date: String,
    id_card: String,
    police_surname: String,
    police_given_name: String,
    police_father_name: String,
    police_birth_date: String,
}

impl People {
    /// Reads the CSV file at `path`.
    pub fn load(path: &Path) -> Result<People, PeopleError> {
        let file = std::fs::File::open(path).map_err(|e| PeopleError {
            line: 0,
            message: format!("cannot open {}: {e}", path.display()),
        })?;
        People::from_csv(file)
    }

    /// Reads the CSV text of a people file.
    pub fn from_csv(reader: impl std::io::Read) -> Result<People, PeopleError> {
        let mut csv = csv::Reader::from_reader(reader);
        let mut people = People::default();
        for (index, row) in csv.deserialize::<Row>().enumerate() {
            // The header is line 1.
            let line = index as u64 + 2;
            let fail = |message: String| PeopleError { line, message };
            let row = row.map_err(|e| fail(e.to_string()))?;
            let entry = row.entry().map_err(fail)?;
            let afm = entry.tax.afm.to_string();
            if people.by_afm.contains_key(&afm) {
                return Err(fail(format!("the ΑΦΜ {afm} is there twice")));
            }
            if let Some(police) = &entry.police {
                let id_card = police.id_card.to_string();
                if people.by_id_card.contains_key(&id_card) {
                    return Err(fail(format!("the ΑΔΤ {id_card} is there twice")));
                }
                people.by_id_card.insert(id_card, people.entries.len());
            }
            people.by_afm.insert(afm, people.entries.len());
            people.entries.push(entry);
        }
        Ok(people)
    }

    /// The people of `certdesk demo` (the crate's `demo-people.csv`, built in).
    pub fn demo() -> People {
        People::from_csv(include_str!("../demo-people.csv").as_bytes())
            .expect("the built-in demo people file is valid")
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn by_afm(&self, afm: &str) -> Option<&Entry> {
        self.by_afm.get(afm.trim()).map(|&i| &self.entries[i])
    }
}

impl Row {
    fn entry(&self) -> Result<Entry, String> {
        let name = |field: &'static str, value: &str| {
            PersonName::parse(field, value).map_err(|_| format!("invalid {field}: {value:?}"))
        };
        let date = |field: &str, value: &str| {
            NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
                .map_err(|_| format!("invalid {field} (YYYY-MM-DD): {value:?}"))
        };
        let tax = TaxPerson {
            afm: Afm::parse(&self.afm).map_err(|_| format!("invalid afm: {:?}", self.afm))?,
            surname: name("surname", &self.surname)?,
            given_name: name("given_name", &self.given_name)?,
            father_name: name("father_name", &self.father_name)?,
            birth_date: date("birth_date", &self.birth_date)?,
        };
        let or = |field: &'static str, police: &str, tax: &PersonName| {
            if police.trim().is_empty() {
                Ok(tax.clone())
            } else {
                name(field, police)
            }
        };
        let police = if self.id_card.trim().is_empty() {
            None
        } else {
            Some(PoliceRecord {
                id_card: IdCard::parse(&self.id_card)
                    .map_err(|_| format!("invalid id_card: {:?}", self.id_card))?,
                surname: or("police_surname", &self.police_surname, &tax.surname)?,
                given_name: or(
                    "police_given_name",
                    &self.police_given_name,
                    &tax.given_name,
                )?,
                father_name: or(
                    "police_father_name",
                    &self.police_father_name,
                    &tax.father_name,
                )?,
                birth_date: if self.police_birth_date.trim().is_empty() {
                    tax.birth_date
                } else {
                    date("police_birth_date", &self.police_birth_date)?
                },
            })
        };
        Ok(Entry { tax, police })
    }
}

struct Grant {
    afm: String,
    redirect_uri: String,
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

// ---------------------------------------------------------------------------------------------
// Errors

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        Json(ErrorWire {
            error: error.to_owned(),
            error_description: Some(description.to_owned()),
        }),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"certdesk local registry\""),
        );
    }
    response
}

fn invalid_client() -> Response {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "unknown client or wrong secret",
    )
}

fn not_found() -> Response {
    oauth_error(StatusCode::NOT_FOUND, "not_found", "no such person")
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

// ---------------------------------------------------------------------------------------------
// The login (authorization code)

#[derive(Deserialize)]
struct AuthorizeQuery {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
}

#[derive(Deserialize)]
struct AuthorizeForm {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    afm: String,
    #[serde(default)]
    password: String,
}

fn bad_request_page(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(page(&format!(
            "<p class=\"error\">{}</p>",
            escape_html(message)
        ))),
    )
        .into_response()
}

/// Checks the client and the redirect URI of a login: the redirect URI parsed, or what is wrong.
fn check_login(inner: &Inner, client_id: &str, redirect_uri: &str) -> Result<Url, &'static str> {
    if client_id != inner.client_id {
        return Err("Άγνωστη εφαρμογή (client_id).");
    }
    match Url::parse(redirect_uri) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.fragment().is_none() => Ok(url),
        _ => Err("Μη έγκυρη διεύθυνση επιστροφής (redirect_uri)."),
    }
}

async fn authorize_page(State(inner): State<Shared>, Query(q): Query<AuthorizeQuery>) -> Response {
    if q.response_type != "code" {
        return bad_request_page("Υποστηρίζεται μόνο response_type=code.");
    }
    if let Err(problem) = check_login(&inner, &q.client_id, &q.redirect_uri) {
        return bad_request_page(problem);
    }
    Html(login_page(
        &inner,
        &q.client_id,
        &q.redirect_uri,
        &q.state,
        None,
    ))
    .into_response()
}

async fn authorize(State(inner): State<Shared>, Form(f): Form<AuthorizeForm>) -> Response {
    let mut redirect = match check_login(&inner, &f.client_id, &f.redirect_uri) {
        Ok(url) => url,
        Err(problem) => return bad_request_page(problem),
    };
    let known = inner.people.by_afm(&f.afm).is_some();
    if !known || f.password.is_empty() {
        let page = login_page(
            &inner,
            &f.client_id,
            &f.redirect_uri,
            &f.state,
            Some(
                "Λάθος ΑΦΜ ή κωδικός. Δώστε τον ΑΦΜ ενός προσώπου του καταλόγου και οποιονδήποτε κωδικό.",
            ),
        );
        return (StatusCode::UNAUTHORIZED, Html(page)).into_response();
    }
    let code = random_token();
    {
        let now = Instant::now();
        let mut codes = inner.codes.lock().expect("codes lock");
        codes.retain(|_, grant| grant.expires > now);
        codes.insert(
            code.clone(),
            Grant {
                afm: f.afm.trim().to_owned(),
                redirect_uri: f.redirect_uri.clone(),
                expires: now + CODE_LIFETIME,
            },
        );
    }
    redirect
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &f.state);
    Redirect::to(redirect.as_str()).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    client_id: Option<String>,
    client_secret: Option<String>,
}

async fn token(
    State(inner): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Response {
    let form_client = f.client_id.as_deref().zip(f.client_secret.as_deref());
    if !client_authenticated(&inner, &headers, form_client) {
        return invalid_client();
    }
    if f.grant_type != "authorization_code" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code",
        );
    }
    // A code is gone once presented, whatever comes of it.
    let grant = inner.codes.lock().expect("codes lock").remove(&f.code);
    let grant = match grant {
        Some(grant) if grant.expires > Instant::now() => grant,
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "unknown, used or expired code",
            );
        }
    };
    if grant.redirect_uri != f.redirect_uri {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "redirect_uri differs from the authorization request's",
        );
    }
    let access_token = random_token();
    {
        let now = Instant::now();
        let mut tokens = inner.tokens.lock().expect("tokens lock");
        tokens.retain(|_, (_, expires)| *expires > now);
        tokens.insert(access_token.clone(), (grant.afm, now + TOKEN_LIFETIME));
    }
    let mut response = Json(TokenWire {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: TOKEN_LIFETIME.as_secs(),
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn userinfo(State(inner): State<Shared>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let afm = bearer.and_then(|token| {
        let tokens = inner.tokens.lock().expect("tokens lock");
        tokens
            .get(token)
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(afm, _)| afm.clone())
    });
    let Some(afm) = afm else {
        let mut response = oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "unknown or expired access token",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
        return response;
    };
    match inner.people.by_afm(&afm) {
        Some(entry) => Json(PersonWire::from(&entry.tax)).into_response(),
        None => not_found(),
    }
}

// ---------------------------------------------------------------------------------------------
// Lookups

async fn tax_person(
    State(inner): State<Shared>,
    headers: HeaderMap,
    UrlPath(afm): UrlPath<String>,
) -> Response {
    if !client_authenticated(&inner, &headers, None) {
        return invalid_client();
    }
    match inner.people.by_afm(&afm) {
        Some(entry) => Json(PersonWire::from(&entry.tax)).into_response(),
        None => not_found(),
    }
}

#[derive(Deserialize)]
struct PoliceQueryWire {
    afm: Option<String>,
    id_card: Option<String>,
}

async fn police_record(
    State(inner): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<PoliceQueryWire>,
) -> Response {
    if !client_authenticated(&inner, &headers, None) {
        return invalid_client();
    }
    let people = &inner.people;
    let entry = match (q.afm, q.id_card) {
        (Some(afm), None) => people.by_afm(&afm),
        (None, Some(id_card)) => IdCard::parse(&id_card)
            .ok()
            .and_then(|id| people.by_id_card.get(id.as_str()))
            .map(|&i| &people.entries[i]),
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "give either afm or id_card",
            );
        }
    };
    match entry.and_then(|e| e.police.as_ref()) {
        Some(record) => Json(PoliceWire::from(record)).into_response(),
        None => not_found(),
    }
}

// ---------------------------------------------------------------------------------------------
// The login page

fn page(body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"el\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Τοπικό μητρώο — σύνδεση</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem}}\
         label{{display:block;margin:.5rem 0}}input{{font-size:1rem;padding:.3rem;width:100%;box-sizing:border-box}}\
         button{{font-size:1rem;padding:.4rem 1rem;margin:.5rem 0}}.error{{color:#a00}}\
         table{{border-collapse:collapse;width:100%;font-size:.9rem}}td,th{{text-align:left;padding:.2rem .4rem;border-bottom:1px solid #ddd}}\
         </style></head><body>\n<h1>Τοπικό μητρώο (προσομοίωση)</h1>\n{body}\n</body></html>\n"
    )
}

fn login_page(
    inner: &Inner,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    error: Option<&str>,
) -> String {
    let mut body = String::new();
    body.push_str(
        "<p>Σύνδεση με τους κωδικούς του μητρώου. Αυτό είναι το τοπικό μητρώο του certdesk: \
         δέχεται οποιονδήποτε κωδικό για κάθε πρόσωπο του καταλόγου.</p>\n",
    );
    if let Some(error) = error {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>\n",
            escape_html(error)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"authorize\">\n\
         <input type=\"hidden\" name=\"client_id\" value=\"{}\">\n\
         <input type=\"hidden\" name=\"redirect_uri\" value=\"{}\">\n\
         <input type=\"hidden\" name=\"state\" value=\"{}\">\n\
         <label>ΑΦΜ <input name=\"afm\" inputmode=\"numeric\" autocomplete=\"username\" required></label>\n\
         <label>Κωδικός <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\n\
         <button type=\"submit\">Σύνδεση</button>\n</form>\n",
        escape_html(client_id),
        escape_html(redirect_uri),
        escape_html(state),
    ));
    body.push_str(
        "<h2>Πρόσωπα του καταλόγου</h2>\n<table><thead><tr><th>ΑΦΜ</th><th>Επώνυμο</th>\
         <th>Όνομα</th></tr></thead><tbody>\n",
    );
    for entry in &inner.people.entries {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape_html(entry.tax.afm.as_str()),
            escape_html(entry.tax.surname.as_str()),
            escape_html(entry.tax.given_name.as_str()),
        ));
    }
    body.push_str("</tbody></table>");
    page(&body)
}
