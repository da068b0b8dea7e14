//! What the registries answer, the traits of the connectors and their errors.

use async_trait::async_trait;
use certdesk_domain::validation::{Afm, Field, IdCard, PersonName, ValidationError};
use chrono::NaiveDate;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A person as the tax registry knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxPerson {
    pub afm: Afm,
    pub surname: PersonName,
    pub given_name: PersonName,
    pub father_name: PersonName,
    pub birth_date: NaiveDate,
}

/// The person who logged in through the tax registry (what its user-info endpoint answers).
pub type TaxIdentity = TaxPerson;

/// A person's record in the Police ID-card registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoliceRecord {
    pub id_card: IdCard,
    pub surname: PersonName,
    pub given_name: PersonName,
    pub father_name: PersonName,
    pub birth_date: NaiveDate,
}

/// What the Police registry is asked by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoliceQuery {
    Afm(Afm),
    IdCard(IdCard),
}

/// Why a registry gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered that it knows nobody for what was asked (e.g. the access token names
    /// a person it no longer has). Lookups answer `Ok(None)` instead.
    #[error("the registry does not know this person")]
    NotFound,
    /// The registry did not answer (time-out, connection refused, a 5xx): retry later.
    #[error("the registry is not available, retry later: {0}")]
    Unavailable(String),
    /// The registry refused the request: an authorization code used twice, expired, presented
    /// with another redirect URI or a verifier that is not its challenge's (`invalid_grant`), a
    /// wrong client id or secret (`invalid_client`).
    #[error("the registry refused the request: {error}")]
    Refused { error: String },
    /// An answer that does not follow the protocol, or a callback whose state was not ours.
    #[error("unexpected answer from the registry: {0}")]
    Protocol(String),
}

impl RegistryError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, RegistryError::Unavailable(_))
    }
}

/// The tax registry: login of the beneficiary (OAuth2 authorization code) and lookups by ΑΦΜ.
#[async_trait]
pub trait TaxRegistry: Send + Sync {
    /// Where to send the browser to log in; the registry sends it back to `redirect_uri` with
    /// `code` and `state`. The caller checks the state (see [`check_state`]). `code_challenge`
    /// is the S256 challenge of a verifier the caller keeps for the exchange (see [`crate::pkce`]).
    fn authorize_url(&self, state: &str, code_challenge: &str, redirect_uri: &str) -> String;

    /// Exchanges the code of the callback, with the verifier whose challenge went with the
    /// authorization request, for an access token, then asks who logged in.
    async fn exchange_code(
        &self,
        code: &str,
        code_verifier: &str,
        redirect_uri: &str,
    ) -> Result<TaxIdentity, RegistryError>;

    /// The person with this ΑΦΜ, if the registry knows them.
    async fn lookup(&self, afm: &Afm) -> Result<Option<TaxPerson>, RegistryError>;
}

/// The Police ID-card registry.
#[async_trait]
pub trait PoliceRegistry: Send + Sync {
    /// The ID-card record of the person with this ΑΦΜ or ΑΔΤ, if there is one.
    async fn id_card(&self, query: &PoliceQuery) -> Result<Option<PoliceRecord>, RegistryError>;
}

/// A new random OAuth2 state (256 bits, hex).
pub fn new_state() -> String {
    hex::encode(rand::rng().random::<[u8; 32]>())
}

/// Compares the state of a callback with the one kept when the browser was sent to log in: a
/// missing, forged or someone else's state is a [`RegistryError::Protocol`].
pub fn check_state(expected: &str, received: Option<&str>) -> Result<(), RegistryError> {
    let same = match received {
        // Compare digests, so that the time taken says nothing about the expected value.
        Some(received) if !expected.is_empty() => {
            Sha256::digest(expected.as_bytes()) == Sha256::digest(received.as_bytes())
        }
        _ => false,
    };
    if same {
        Ok(())
    } else {
        Err(RegistryError::Protocol(
            "the state of the callback is not the one sent".to_owned(),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// On the wire (shared by the client and the local registry)

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PersonWire {
    pub afm: String,
    pub surname: String,
    pub given_name: String,
    pub father_name: String,
    pub birth_date: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PoliceWire {
    pub id_card: String,
    pub surname: String,
    pub given_name: String,
    pub father_name: String,
    pub birth_date: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TokenWire {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ErrorWire {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

fn bad(e: ValidationError) -> RegistryError {
    RegistryError::Protocol(format!("invalid {}", e.field))
}

fn date(s: &str) -> Result<NaiveDate, RegistryError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| RegistryError::Protocol("invalid birth_date".to_owned()))
}

impl TryFrom<PersonWire> for TaxPerson {
    type Error = RegistryError;

    fn try_from(w: PersonWire) -> Result<Self, RegistryError> {
        Ok(TaxPerson {
            afm: Afm::parse(&w.afm).map_err(bad)?,
            surname: PersonName::parse(Field::Surname, &w.surname).map_err(bad)?,
            given_name: PersonName::parse(Field::GivenName, &w.given_name).map_err(bad)?,
            father_name: PersonName::parse(Field::FatherName, &w.father_name).map_err(bad)?,
            birth_date: date(&w.birth_date)?,
        })
    }
}

impl From<&TaxPerson> for PersonWire {
    fn from(p: &TaxPerson) -> Self {
        PersonWire {
            afm: p.afm.to_string(),
            surname: p.surname.to_string(),
            given_name: p.given_name.to_string(),
            father_name: p.father_name.to_string(),
            birth_date: p.birth_date.format("%Y-%m-%d").to_string(),
        }
    }
}

impl TryFrom<PoliceWire> for PoliceRecord {
    type Error = RegistryError;

    fn try_from(w: PoliceWire) -> Result<Self, RegistryError> {
        Ok(PoliceRecord {
            id_card: IdCard::parse(&w.id_card).map_err(bad)?,
            surname: PersonName::parse(Field::Surname, &w.surname).map_err(bad)?,
            given_name: PersonName::parse(Field::GivenName, &w.given_name).map_err(bad)?,
            father_name: PersonName::parse(Field::FatherName, &w.father_name).map_err(bad)?,
            birth_date: date(&w.birth_date)?,
        })
    }
}

impl From<&PoliceRecord> for PoliceWire {
    fn from(p: &PoliceRecord) -> Self {
        PoliceWire {
            id_card: p.id_card.to_string(),
            surname: p.surname.to_string(),
            given_name: p.given_name.to_string(),
            father_name: p.father_name.to_string(),
            birth_date: p.birth_date.format("%Y-%m-%d").to_string(),
        }
    }
}
