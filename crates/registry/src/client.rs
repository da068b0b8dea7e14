//! The HTTP clients of the registries (see the protocols in the crate documentation).

use std::time::Duration;

use async_trait::async_trait;
use certdesk_domain::validation::Afm;
use reqwest::{Response, StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::model::{
    ErrorWire, PersonWire, PoliceQuery, PoliceRecord, PoliceRegistry, PoliceWire, RegistryError,
    TaxIdentity, TaxPerson, TaxRegistry, TokenWire,
};
use crate::pkce;

/// Where a registry is and how certdesk authenticates to it.
#[derive(Clone)]
pub struct RegistryConfig {
    /// The base URL, e.g. `http://127.0.0.1:8090/`; the endpoints are relative to it.
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// For a whole request (connection included); 5 seconds by default.
    pub timeout: Duration,
}

impl RegistryConfig {
    pub fn new(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        RegistryConfig {
            base_url: base_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            timeout: Duration::from_secs(5),
        }
    }
}

impl std::fmt::Debug for RegistryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryConfig")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"…")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// What both clients share: the base URL, the credentials and the connection pool.
#[derive(Debug, Clone)]
struct Http {
    base: Url,
    client_id: String,
    client_secret: String,
    http: reqwest::Client,
}

impl Http {
    fn new(config: &RegistryConfig) -> Result<Http, RegistryError> {
        let mut base = Url::parse(&config.base_url).map_err(|e| {
            RegistryError::Protocol(format!("bad registry URL {:?}: {e}", config.base_url))
        })?;
        if base.cannot_be_a_base() {
            return Err(RegistryError::Protocol(format!(
                "bad registry URL {:?}",
                config.base_url
            )));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| RegistryError::Protocol(format!("cannot make the HTTP client: {e}")))?;
        Ok(Http {
            base,
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            http,
        })
    }

    fn url(&self, path: &str) -> Url {
        self.base
            .join(path)
            .expect("a relative path joins a base URL")
    }

    async fn get_basic<T: DeserializeOwned>(&self, url: Url) -> Result<Option<T>, RegistryError> {
        let response = self
            .http
            .get(url)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .send()
            .await
            .map_err(unavailable)?;
        read(response).await
    }
}

fn unavailable(e: reqwest::Error) -> RegistryError {
    if e.is_builder() {
        RegistryError::Protocol(format!("cannot make the request: {e}"))
    } else {
        // Time-outs, refused or broken connections: nothing was answered.
        RegistryError::Unavailable(e.without_url().to_string())
    }
}

/// Reads a JSON answer: `Ok(None)` for a 404, the typed error for the rest.
async fn read<T: DeserializeOwned>(response: Response) -> Result<Option<T>, RegistryError> {
    let status = response.status();
    if status == StatusCode::OK {
        let body = response.bytes().await.map_err(unavailable)?;
        return serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| RegistryError::Protocol(format!("bad JSON answer: {e}")));
    }
    if status == StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        return Err(RegistryError::Unavailable(format!(
            "the registry answered {status}"
        )));
    }
    if matches!(
        status,
        StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
    ) {
        let body = response.bytes().await.map_err(unavailable)?;
        let error = serde_json::from_slice::<ErrorWire>(&body)
            .map(|e| e.error)
            .unwrap_or_else(|_| status.to_string());
        return Err(RegistryError::Refused { error });
    }
    Err(RegistryError::Protocol(format!(
        "the registry answered {status}"
    )))
}

/// The tax registry over HTTP.
#[derive(Debug, Clone)]
pub struct HttpTaxRegistry {
    http: Http,
}

impl HttpTaxRegistry {
    /// Fails only for a base URL that is not one.
    pub fn new(config: &RegistryConfig) -> Result<Self, RegistryError> {
        Ok(HttpTaxRegistry {
            http: Http::new(config)?,
        })
    }
}

#[async_trait]
impl TaxRegistry for HttpTaxRegistry {
    fn authorize_url(&self, state: &str, code_challenge: &str, redirect_uri: &str) -> String {
        let mut url = self.http.url("oauth2/authorize");
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.http.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state)
            .append_pair("code_challenge", code_challenge)
            .append_pair("code_challenge_method", pkce::S256);
        url.into()
    }

    async fn exchange_code(
        &self,
        code: &str,
        code_verifier: &str,
        redirect_uri: &str,
    ) -> Result<TaxIdentity, RegistryError> {
        let response = self
            .http
            .http
            .post(self.http.url("oauth2/token"))
            .basic_auth(&self.http.client_id, Some(&self.http.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("code_verifier", code_verifier),
                ("redirect_uri", redirect_uri),
            ])
            .send()
            .await
            .map_err(unavailable)?;
        let token: TokenWire = read(response)
            .await?
            .ok_or_else(|| RegistryError::Protocol("the token endpoint answered 404".to_owned()))?;
        if !token.token_type.eq_ignore_ascii_case("bearer") || token.access_token.is_empty() {
            return Err(RegistryError::Protocol(format!(
                "unexpected token type {:?}",
                token.token_type
            )));
        }
        let response = self
            .http
            .http
            .get(self.http.url("oauth2/userinfo"))
            .bearer_auth(&token.access_token)
            .send()
            .await
            .map_err(unavailable)?;
        let person: PersonWire = read(response).await?.ok_or(RegistryError::NotFound)?;
        person.try_into()
    }

    async fn lookup(&self, afm: &Afm) -> Result<Option<TaxPerson>, RegistryError> {
        let mut url = self.http.url("tax/persons/");
        url.path_segments_mut()
            .expect("the base URL is a base")
            .pop_if_empty()
            .push(afm.as_str());
        let person: Option<PersonWire> = self.http.get_basic(url).await?;
        person.map(TryInto::try_into).transpose()
    }
}

/// The Police ID-card registry over HTTP.
#[derive(Debug, Clone)]
pub struct HttpPoliceRegistry {
    http: Http,
}

impl HttpPoliceRegistry {
    /// Fails only for a base URL that is not one.
    pub fn new(config: &RegistryConfig) -> Result<Self, RegistryError> {
        Ok(HttpPoliceRegistry {
            http: Http::new(config)?,
        })
    }
}

#[async_trait]
impl PoliceRegistry for HttpPoliceRegistry {
    async fn id_card(&self, query: &PoliceQuery) -> Result<Option<PoliceRecord>, RegistryError> {
        let mut url = self.http.url("police/id-cards");
        match query {
            PoliceQuery::Afm(afm) => url.query_pairs_mut().append_pair("afm", afm.as_str()),
            PoliceQuery::IdCard(id) => url.query_pairs_mut().append_pair("id_card", id.as_str()),
        };
        let record: Option<PoliceWire> = self.http.get_basic(url).await?;
        record.map(TryInto::try_into).transpose()
    }
}
