//! Identification (`awaiting_identification`): the beneficiary chooses a username, a signing
//! password and an OTP channel, and the identity of the login is matched with the Police record.
//! A mismatch rejects the application (the domain's decision, recorded with its reason); a match
//! completes the identification, or, for the authenticator app, first waits for its two codes
//! ([`super::enrolment`]).

use certdesk_domain::identity::{Identification, PersonFacts, identify};
use certdesk_domain::otp::{ChannelChoice, OtpChannel, SigningCredentials, TotpSecret};
use certdesk_domain::transition::may_identify;
use certdesk_domain::validation::{Problem, SigningPassword, Username, ValidationError};
use certdesk_domain::{Actor, Command, Status};
use certdesk_registry::PoliceQuery;
use certdesk_store::prelude::*;
use rand::Rng;

use super::enrolment::Enrolment;
use super::{Beneficiary, Current};
use crate::error::{AppError, AppResult, Registry};
use crate::tokens::hash_password_off_thread;
use crate::{secrets, workflow};

/// The identification form, as typed.
pub struct IdentificationForm<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub password_confirm: &'a str,
    pub otp_channel: &'a str,
}

/// How an identification ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identified {
    /// Identified, with the email channel: the application awaits the signature.
    Done,
    /// Identified; the authenticator app must show its two codes first.
    EnrolTotp,
    /// The records did not match: the application is rejected, the reason in its history.
    Rejected,
}

impl Beneficiary {
    /// Checks every field (so that the beneficiary sees every problem at once), then the
    /// identity; nothing is written while a registry does not answer.
    pub async fn identify(&self, form: &IdentificationForm<'_>) -> AppResult<Identified> {
        let current = self.at_step(Some(Status::AwaitingIdentification)).await?;
        // Asked first, so that no enrolment starts that could not complete.
        may_identify(&current.application.as_domain())?;
        let mut errors = Vec::new();
        let username = Username::parse(form.username)
            .map_err(|e| errors.push(e))
            .ok();
        let password = SigningPassword::parse(form.password, form.password_confirm)
            .map_err(|e| errors.push(e))
            .ok();
        let channel = ChannelChoice::parse(form.otp_channel)
            .map_err(|e| errors.push(e))
            .ok();
        if let Some(username) = &username
            && self.app.store().username_taken(username.as_str()).await?
        {
            errors.push(ValidationError::new(Username::FIELD, Problem::Taken));
        }
        let (Some(username), Some(password), Some(channel), true) =
            (username, password, channel, errors.is_empty())
        else {
            return Err(AppError::InvalidFields(errors));
        };

        if let Some(command) = self.identity(&current).await?.failure() {
            workflow::perform(
                self.app.store().as_ref(),
                &self.scope(),
                current.application.id,
                &command,
                &Actor::system(),
                self.app.now(),
            )
            .await?;
            return Ok(Identified::Rejected);
        }

        let password_hash = hash_password_off_thread(password.expose().to_owned()).await;
        match channel {
            ChannelChoice::Email => {
                let credentials = SigningCredentials {
                    password_hash,
                    otp: OtpChannel::Email,
                };
                self.complete(&current, username, credentials).await?;
                Ok(Identified::Done)
            }
            ChannelChoice::Totp => {
                let mut bytes = [0u8; TotpSecret::LEN];
                rand::rng().fill(&mut bytes);
                let secret = TotpSecret::from_bytes(bytes);
                let enrolment = Enrolment {
                    application_id: current.application.id,
                    username: username.as_str().to_owned(),
                    password_hash,
                    totp_secret: secrets::seal(self.kek(), current.application.id, &secret).0,
                };
                self.app
                    .store()
                    .set_portal_enrolment(&self.token_hash, Some(&enrolment.to_json()))
                    .await?;
                Ok(Identified::EnrolTotp)
            }
        }
    }

    /// The tax registry's facts of the login against the Police record.
    async fn identity(&self, current: &Current) -> AppResult<Identification> {
        let police = self
            .app
            .registries
            .police
            .as_ref()
            .ok_or(AppError::RegistryMissing(Registry::Police))?;
        let record = police
            .id_card(&PoliceQuery::Afm(self.session.afm.clone()))
            .await
            .map_err(|error| {
                tracing::warn!(%error, "the Police registry did not answer");
                AppError::RegistryUnavailable(Registry::Police)
            })?;
        let police_facts = record.as_ref().map(|r| {
            (
                PersonFacts {
                    surname: r.surname.to_string(),
                    given_name: r.given_name.to_string(),
                    father_name: r.father_name.to_string(),
                    birth_date: r.birth_date,
                },
                r.id_card.to_string(),
            )
        });
        Ok(identify(
            &self.person.facts(),
            police_facts
                .as_ref()
                .map(|(facts, card)| (facts, card.as_str())),
            current.employee.id_card.as_ref().map(|c| c.as_str()),
        ))
    }

    /// Stores the identification's outcome; a username taken meanwhile is a field error.
    pub(super) async fn complete(
        &self,
        current: &Current,
        username: Username,
        credentials: SigningCredentials,
    ) -> AppResult<()> {
        let command = Command::CompleteIdentification {
            username,
            credentials,
        };
        match self.perform(current, &command).await {
            Err(AppError::Store(StoreError::Duplicate(field))) if field == Username::FIELD => {
                Err(AppError::InvalidFields(vec![ValidationError::new(
                    Username::FIELD,
                    Problem::Taken,
                )]))
            }
            other => other,
        }
    }

    /// The key that seals TOTP secrets: the CA's KEK, if there is a CA.
    pub(super) fn kek(&self) -> Option<&certdesk_ca::KeyEncryptionKey> {
        self.app.ca.as_ref().map(|ca| &ca.kek)
    }
}
