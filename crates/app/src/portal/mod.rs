//! The beneficiary's use cases (SPEC §2): log in through the tax registry ([`login`]), confirm
//! the data, be identified against the Police ID-card registry while choosing a username, a
//! signing password and an OTP channel ([`identification`], [`enrolment`] for the authenticator
//! app), and sign the application ([`signing`]).
//!
//! A [`Beneficiary`] is handed out only for a live portal session, and reaches only the
//! applications of the ΑΦΜ the tax registry vouched for at login ([`Scope::Person`]).

pub mod documents;
pub mod email_proof;
pub mod enrolment;
pub mod holder;
pub mod identification;
pub mod login;
pub mod signing;

use certdesk_domain::identity::PersonFacts;
use certdesk_domain::otp::OtpChannel;
use certdesk_domain::subject::{HrNames, check_hr_record};
use certdesk_domain::{Actor, Command, HistoryEntry, Status};
use certdesk_registry::TaxIdentity;
use certdesk_store::prelude::*;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::tokens::{constant_time_eq, token_hash};
use crate::{App, workflow};

/// What the tax registry said about the person at login: kept in the portal session, since the
/// identification compares it with the Police record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoggedInPerson {
    pub afm: String,
    pub surname: String,
    pub given_name: String,
    pub father_name: String,
    pub birth_date: NaiveDate,
}

impl From<&TaxIdentity> for LoggedInPerson {
    fn from(p: &TaxIdentity) -> LoggedInPerson {
        LoggedInPerson {
            afm: p.afm.to_string(),
            surname: p.surname.to_string(),
            given_name: p.given_name.to_string(),
            father_name: p.father_name.to_string(),
            birth_date: p.birth_date,
        }
    }
}

impl LoggedInPerson {
    pub fn facts(&self) -> PersonFacts {
        PersonFacts {
            surname: self.surname.clone(),
            given_name: self.given_name.clone(),
            father_name: self.father_name.clone(),
            birth_date: self.birth_date,
        }
    }
}

impl App {
    /// The beneficiary of a live portal session.
    pub async fn beneficiary(&self, token: &str) -> AppResult<Option<Beneficiary>> {
        let hash = token_hash(token);
        let Some(session) = self.store().portal_session(&hash, self.now()).await? else {
            return Ok(None);
        };
        let Ok(person) = serde_json::from_str::<LoggedInPerson>(&session.identity) else {
            return Ok(None);
        };
        Ok(Some(Beneficiary {
            app: self.clone(),
            session,
            token_hash: hash,
            person,
        }))
    }
}

/// A logged-in beneficiary, limited to their own applications.
pub struct Beneficiary {
    app: App,
    session: PortalSessionRecord,
    token_hash: String,
    person: LoggedInPerson,
}

/// The beneficiary's application and the employee record it is for.
#[derive(Debug, Clone)]
pub struct Current {
    pub application: ApplicationRecord,
    pub employee: EmployeeRecord,
}

impl Current {
    fn actor(&self) -> Actor {
        Actor::beneficiary(self.employee.id, self.employee.full_name())
    }
}

/// What the portal's page shows, whatever the step.
pub struct Overview {
    pub current: Current,
    pub history: Vec<HistoryEntry>,
    /// The OTP channel chosen at identification, while the application awaits the signature
    /// and once the certificate is issued.
    pub channel: Option<&'static str>,
    pub username: Option<String>,
    pub certificate: Option<CertificateRecord>,
    /// Whether the application's email is proven (identification waits for it).
    pub email_proven: bool,
}

impl Beneficiary {
    fn scope(&self) -> Scope {
        Scope::Person(self.session.afm.clone())
    }

    pub fn csrf_token(&self) -> &str {
        &self.session.csrf_token
    }

    /// Constant-time comparison of a submitted CSRF token with the session's.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        constant_time_eq(submitted.as_bytes(), self.session.csrf_token.as_bytes())
    }

    pub fn person(&self) -> &LoggedInPerson {
        &self.person
    }

    pub async fn log_out(&self) -> AppResult<()> {
        Ok(self
            .app
            .store()
            .delete_portal_session(&self.token_hash)
            .await?)
    }

    /// The application the portal shows: the person's latest (an open one is always the latest).
    pub async fn current(&self) -> AppResult<Option<Current>> {
        let store = self.app.store();
        let Some(application) = store.latest_application_of(&self.session.afm).await? else {
            return Ok(None);
        };
        let employee = store
            .employee(&self.scope(), application.employee_id)
            .await?;
        Ok(employee.map(|employee| Current {
            application,
            employee,
        }))
    }

    /// The current application, which must be at `step` when one is given.
    async fn at_step(&self, step: Option<Status>) -> AppResult<Current> {
        let current = self.current().await?.ok_or(AppError::NotFound)?;
        if step.is_some_and(|step| current.application.status != step) {
            return Err(AppError::NotAtStep);
        }
        Ok(current)
    }

    /// Everything the page shows.
    pub async fn overview(&self) -> AppResult<Option<Overview>> {
        let Some(current) = self.current().await? else {
            return Ok(None);
        };
        let store = self.app.store();
        let scope = self.scope();
        let id = current.application.id;
        let history = store.history(&scope, id).await?;
        let channel = if matches!(
            current.application.status,
            Status::AwaitingSignature | Status::Issued
        ) {
            store
                .signing_credentials(&scope, id)
                .await?
                .map(|c| c.otp.code())
        } else {
            None
        };
        Ok(Some(Overview {
            email_proven: current.application.email_proof.is_some(),
            history,
            channel,
            username: store.reserved_username(id).await?,
            certificate: store.certificate(&scope, id).await?,
            current,
        }))
    }

    /// «Επιβεβαίωση στοιχείων»: the beneficiary confirms the data the ΔΨΠ entered. The HR
    /// record must agree with the tax registry's names of the login; when it does not, the
    /// application stays where it is, and the disagreement is kept for the ΔΨΠ's card.
    pub async fn confirm_data(&self) -> AppResult<()> {
        let current = self.at_step(None).await?;
        let employee = &current.employee;
        let hr = HrNames {
            surname: employee.surname.as_str(),
            given_name: employee.given_name.as_str(),
            father_name: employee.father_name.as_str(),
        };
        let store = self.app.store();
        match check_hr_record(&hr, &self.person.facts()) {
            Ok(names) => {
                self.perform(&current, &Command::ConfirmData { names })
                    .await?;
                store
                    .set_data_disagreement(current.application.id, &[])
                    .await?;
                Ok(())
            }
            Err(mismatches) => {
                if current.application.status == Status::AwaitingDataCheck {
                    store
                        .set_data_disagreement(current.application.id, &mismatches)
                        .await?;
                }
                Err(AppError::RecordsDisagree(mismatches))
            }
        }
    }

    /// The beneficiary's own certificate, to download (the security log records it, naming
    /// the beneficiary by their username when they have one).
    pub async fn certificate(&self) -> AppResult<Option<CertificateRecord>> {
        let current = self.at_step(None).await?;
        let certificate = self
            .app
            .store()
            .certificate(&self.scope(), current.application.id)
            .await?;
        if certificate.is_some() {
            let username = current.employee.username.as_ref().map(|u| u.as_str());
            let event = certdesk_domain::SecurityEvent::certificate_downloaded(
                username,
                current.application.id,
                "portal",
            );
            self.app.record_security_event(&event).await?;
        }
        Ok(certificate)
    }

    async fn perform(&self, current: &Current, command: &Command) -> AppResult<()> {
        workflow::perform(
            self.app.store().as_ref(),
            &self.scope(),
            current.application.id,
            command,
            &current.actor(),
            self.app.now(),
        )
        .await
        .map(drop)
    }

    /// The channel of the signing credentials (for the signing step).
    async fn channel(&self, current: &Current) -> AppResult<Option<OtpChannel>> {
        Ok(self
            .app
            .store()
            .signing_credentials(&self.scope(), current.application.id)
            .await?
            .map(|c| c.otp))
    }
}
