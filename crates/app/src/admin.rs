//! A ΔΨΠ's use cases: logging in (console session or API token, throttled per account), and,
//! once authenticated, everything they may do, within their organisations only.
//!
//! A login checks the password first, then (once the account has one) the second factor: a TOTP
//! code or a single-use recovery code. An account that must still change its first password or
//! enrol a required second factor gets a console session limited to that setup, and no API
//! token. Sessions close after `certdesk_domain::session::IDLE_TIMEOUT` without use.
//!
//! An [`Administrator`] is handed out only by [`App::administrator`] for a live session; it
//! carries the ΔΨΠ's organisations as its scope, and every method reads and writes through it,
//! so a handler holding one cannot reach another organisation's employee, history or certificate.

use std::net::IpAddr;
use std::sync::LazyLock;

use certdesk_domain::second_factor::{SecondFactorInput, Setup, recovery_code_digest};
use certdesk_domain::security::LoginResult;
use certdesk_domain::throttle::ThrottleKey;
use certdesk_domain::validation::{Afm, Email, Field, Mobile, Problem, ValidationError};
use certdesk_domain::{Actor, Command, HistoryEntry, Role, SecurityEvent};
use certdesk_registry::RegistryError;
use certdesk_store::prelude::*;
use chrono::{DateTime, Duration, Utc};

use crate::account::Account;
use crate::error::{AppError, AppResult, Registry};
use crate::tokens::{hash_password, new_token, token_hash, verify_password};
use crate::{App, secrets, workflow};

pub use crate::account::TotpEnrolment;

/// Verified against when the username is unknown, so that both answers take as long.
pub(crate) static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("certdesk-dummy-password"));

/// What a login attempt came to.
pub enum LoginOutcome {
    LoggedIn(OpenedSession),
    WrongCredentials,
    /// The password was right, but the account has a second factor and its code was missing,
    /// wrong or used already. Only said after a right password (SPEC §7's contract), and counted
    /// as a failed attempt like a wrong password.
    OtpRequired,
    /// An API login of an account that must first finish its setup in the console.
    SetupRequired,
    /// Too many failed attempts for this account, or from this address, lately (SPEC §9).
    Throttled,
}

/// A session just opened: the token goes to the client, only its hash to the store.
pub struct OpenedSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub administrator_id: i64,
    /// What the account must still set up (the console session is limited to it).
    pub setup: Option<Setup>,
    /// Where the console takes them first.
    pub role: Role,
}

impl App {
    /// Checks a username, password and, once the account has a second factor, its code `otp`,
    /// and opens a session of `kind`. Attempts are taken before the password is checked, per
    /// account (the console's and the API's together: the same password is guessed either way)
    /// and per client address `from`; an unknown username is counted and answered as a wrong
    /// password, and takes as long. A wrong code keeps its attempt taken, like a wrong password.
    pub async fn log_in(
        &self,
        username: &str,
        password: &str,
        otp: Option<&str>,
        kind: SessionKind,
        from: Option<IpAddr>,
    ) -> AppResult<LoginOutcome> {
        let outcome = self
            .check_login(username, password, otp, kind, from)
            .await?;
        self.record_login(username.trim(), from, &outcome).await?;
        Ok(outcome)
    }

    /// The security log's entry of a login attempt (never the password).
    async fn record_login(
        &self,
        username: &str,
        from: Option<IpAddr>,
        outcome: &LoginOutcome,
    ) -> AppResult<()> {
        let result = match outcome {
            LoginOutcome::LoggedIn(_) => LoginResult::Succeeded,
            LoginOutcome::WrongCredentials => LoginResult::WrongCredentials,
            LoginOutcome::Throttled => LoginResult::Throttled,
            LoginOutcome::OtpRequired => LoginResult::SecondFactorFailed,
            LoginOutcome::SetupRequired => LoginResult::SetupRequired,
        };
        self.record_security_event(&SecurityEvent::login(username, from, result))
            .await
    }

    async fn check_login(
        &self,
        username: &str,
        password: &str,
        otp: Option<&str>,
        kind: SessionKind,
        from: Option<IpAddr>,
    ) -> AppResult<LoginOutcome> {
        let username = username.trim();
        let now = self.now();
        let account = ThrottleKey::administrator_login(username);
        let address = from.map(ThrottleKey::login_from_address);
        let mut admitted = account
            .policy()
            .admits(self.store().take_attempt(&account, now).await?);
        if let Some(address) = &address {
            admitted &= address
                .policy()
                .admits(self.store().take_attempt(address, now).await?);
        }
        if !admitted {
            return Ok(LoginOutcome::Throttled);
        }
        let admin = self.store().administrator_by_username(username).await?;
        let stored = admin
            .as_ref()
            .map_or_else(|| DUMMY_HASH.clone(), |a| a.password_hash.clone());
        let password = password.to_owned();
        // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
        let matches = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
            .await
            .unwrap_or(false);
        // A disabled account is answered as a wrong password.
        let Some(admin) = admin.filter(|a| matches && !a.disabled) else {
            return Ok(LoginOutcome::WrongCredentials);
        };
        if admin.security.login_needs_code() && !self.second_factor_holds(&admin, otp).await? {
            return Ok(LoginOutcome::OtpRequired);
        }
        self.store().clear_attempts(&account).await?;
        if let Some(address) = &address {
            self.store().give_back_attempt(address).await?;
        }
        let setup = admin.security.pending_setup();
        if setup.is_some() && kind == SessionKind::Api {
            return Ok(LoginOutcome::SetupRequired);
        }
        let mut session = self.open_session(admin.id, kind, setup).await?;
        session.role = admin.role;
        Ok(LoginOutcome::LoggedIn(session))
    }

    /// Whether `otp` is a TOTP code of the account's app at a step not used yet, or one of its
    /// recovery codes; either is used up by the check.
    async fn second_factor_holds(
        &self,
        admin: &AdministratorRecord,
        otp: Option<&str>,
    ) -> AppResult<bool> {
        let Some(input) = otp.and_then(SecondFactorInput::parse) else {
            return Ok(false);
        };
        match input {
            SecondFactorInput::Totp(code) => {
                let secret = admin
                    .totp_secret
                    .as_ref()
                    .and_then(|s| secrets::open_for_administrator(self.kek(), admin.id, s));
                let Some(secret) = secret else {
                    tracing::warn!(
                        administrator = admin.id,
                        "the TOTP secret cannot be opened (another KEK?)"
                    );
                    return Ok(false);
                };
                match secret.verify(&code, self.now(), admin.totp_last_step) {
                    Some(step) => Ok(self
                        .store()
                        .use_administrator_totp_step(admin.id, step)
                        .await?),
                    None => Ok(false),
                }
            }
            SecondFactorInput::Recovery(code) => Ok(self
                .store()
                .use_recovery_code(admin.id, &recovery_code_digest(admin.id, &code))
                .await?),
        }
    }

    /// The key that seals ΔΨΠ's TOTP secrets: the CA's KEK, if there is a CA.
    pub(crate) fn kek(&self) -> Option<&certdesk_ca::KeyEncryptionKey> {
        self.ca.as_ref().map(|ca| &ca.kek)
    }

    /// Ends the session of `token`, if there is one (a console login replaces the browser's
    /// earlier session rather than leaving it open).
    pub async fn discard_session(&self, token: &str) -> AppResult<()> {
        Ok(self.store().delete_session(&token_hash(token)).await?)
    }

    async fn open_session(
        &self,
        administrator_id: i64,
        kind: SessionKind,
        setup: Option<Setup>,
    ) -> AppResult<OpenedSession> {
        let now = self.now();
        let token = new_token();
        let csrf_token = new_token();
        let expires_at = now + Duration::hours(self.settings.session_hours);
        self.store()
            .create_session(&NewSession {
                token_hash: token_hash(&token),
                administrator_id,
                kind,
                csrf_token: csrf_token.clone(),
                created_at: now,
                expires_at,
            })
            .await?;
        Ok(OpenedSession {
            token,
            csrf_token,
            expires_at,
            administrator_id,
            setup,
            role: Role::Administrator,
        })
    }

    /// The ΔΨΠ of a live session of `kind` (a console cookie is no API token, nor the reverse).
    /// A session unused for the idle timeout is ended; a use is noted at most once a minute.
    pub async fn administrator(
        &self,
        token: &str,
        kind: SessionKind,
    ) -> AppResult<Option<Administrator>> {
        // An operator has no employees to see (403); an auditor reads as a ΔΨΠ of everything.
        self.account(token, kind)
            .await?
            .map(Account::into_administrator)
            .transpose()
    }
}

/// An authenticated ΔΨΠ, limited to their organisations.
pub struct Administrator {
    app: App,
    session: SessionRecord,
    token_hash: String,
}

/// The employee card: the record, the current application with its history and certificate,
/// and the earlier applications.
pub struct Card {
    pub employee: EmployeeRecord,
    pub application: Option<ApplicationRecord>,
    pub history: Vec<HistoryEntry>,
    pub certificate: Option<CertificateRecord>,
    pub earlier: Vec<ApplicationRecord>,
    /// The names in which the HR record disagreed with the tax registry when the beneficiary
    /// tried to confirm the data (only while the data check is pending).
    pub disagreement: Vec<certdesk_domain::identity::Mismatch>,
    /// How many signatures the current application's certificate made (`None` without a
    /// certificate), counted within the ΔΨΠ's organisations.
    pub signature_count: Option<i64>,
}

/// «Επώνυμο», «Όνομα», «Όνομα Πατρός» as the magnifier found them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub surname: String,
    pub given_name: String,
    pub father_name: String,
}

/// What the magnifier of «Νέο Ψηφιακό Πιστοποιητικό» found for an ΑΦΜ.
pub enum Lookup {
    /// The names (from the tax registry when one is configured, else from the employee record)
    /// of an employee of the ΔΨΠ's organisations.
    Found(Names),
    /// The tax registry does not know the ΑΦΜ.
    NotInTaxRegistry,
    /// No employee of the ΔΨΠ's organisations has it.
    UnknownEmployee,
}

impl Administrator {
    pub(crate) fn from_account(account: Account) -> Administrator {
        Administrator {
            app: account.app,
            session: account.session,
            token_hash: account.token_hash,
        }
    }

    fn scope(&self) -> Scope {
        if self.role().reads_every_organisation() {
            return Scope::Everything;
        }
        Scope::Organisations(self.session.organisation_ids.clone())
    }

    pub fn role(&self) -> Role {
        self.session.role
    }

    /// An auditor reads and never acts.
    pub fn may_act(&self) -> AppResult<()> {
        if self.role().may_act_on_applications() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn session(&self) -> &SessionRecord {
        &self.session
    }

    pub fn csrf_token(&self) -> &str {
        &self.session.csrf_token
    }

    /// What the account must still set up before anything else is open to it.
    pub fn pending_setup(&self) -> Option<Setup> {
        self.session.security.pending_setup()
    }

    /// The ΔΨΠ as the history names them.
    pub fn actor(&self) -> Actor {
        Actor::administrator(
            self.session.administrator_id,
            self.session.full_name.clone(),
        )
    }

    pub async fn log_out(&self) -> AppResult<()> {
        Ok(self.app.store().delete_session(&self.token_hash).await?)
    }

    pub async fn search(&self, query: &EmployeeQuery) -> AppResult<SearchPage> {
        Ok(self
            .app
            .store()
            .search_employees(&self.scope(), query)
            .await?)
    }

    /// Imports the HR registry's CSV file at `file` into one of the ΔΨΠ's organisations: the
    /// one of code `organisation`, or their only one (see [`crate::import`]).
    pub async fn import_employees(
        &self,
        organisation: Option<&str>,
        file: &std::path::Path,
        options: crate::import::ImportOptions,
    ) -> AppResult<Result<crate::import::ImportSummary, crate::import::ImportRefusal>> {
        if !self.role().may_import_employees() {
            return Err(AppError::Forbidden);
        }
        let mine = &self.session.organisation_ids;
        let organisation_id = match organisation.map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => self
                .app
                .store()
                .organisation_by_code(code)
                .await?
                .map(|o| o.id)
                .filter(|id| mine.contains(id))
                .ok_or(AppError::Invalid(ValidationError::new(
                    Field::Organisation,
                    Problem::Format,
                )))?,
            None => match mine.as_slice() {
                [only] => *only,
                _ => {
                    return Err(AppError::Invalid(ValidationError::new(
                        Field::Organisation,
                        Problem::Missing,
                    )));
                }
            },
        };
        let outcome = crate::import::import_file(
            self.app.store().as_ref(),
            organisation_id,
            file,
            options,
            &crate::import::Quiet,
            self.app.now(),
        )
        .await?;
        if let Ok(summary) = &outcome {
            tracing::info!(
                administrator = self.session.administrator_id,
                organisation_id,
                rows = summary.rows,
                inserted = summary.inserted,
                updated = summary.updated,
                "employees imported"
            );
        }
        Ok(outcome)
    }

    pub async fn units(&self) -> AppResult<Vec<String>> {
        Ok(self.app.store().units(&self.scope()).await?)
    }

    pub async fn employee(&self, id: i64) -> AppResult<EmployeeRecord> {
        self.app
            .store()
            .employee(&self.scope(), id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// An application and its history.
    pub async fn application(&self, id: i64) -> AppResult<(ApplicationRecord, Vec<HistoryEntry>)> {
        let store = self.app.store();
        let application = store
            .application(&self.scope(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let history = store.history(&self.scope(), id).await?;
        Ok((application, history))
    }

    /// Everything the employee card shows.
    pub async fn card(&self, employee_id: i64) -> AppResult<Card> {
        let store = self.app.store();
        let scope = self.scope();
        let employee = self.employee(employee_id).await?;
        let application = match employee.current_application_id {
            Some(id) => store.application(&scope, id).await?,
            None => None,
        };
        let (history, certificate) = match &application {
            Some(a) => (
                store.history(&scope, a.id).await?,
                store.certificate(&scope, a.id).await?,
            ),
            None => (Vec::new(), None),
        };
        let disagreement = match &application {
            Some(a) if a.status == certdesk_domain::Status::AwaitingDataCheck => {
                store.data_disagreement(&scope, a.id).await?
            }
            _ => Vec::new(),
        };
        let signature_count = match (&application, &certificate) {
            (Some(a), Some(_)) => Some(store.signature_count(&scope, a.id).await?),
            _ => None,
        };
        let current = application.as_ref().map(|a| a.id);
        let earlier = store
            .applications_of_employee(&scope, employee_id)
            .await?
            .into_iter()
            .filter(|a| Some(a.id) != current)
            .collect();
        Ok(Card {
            employee,
            application,
            history,
            certificate,
            earlier,
            disagreement,
            signature_count,
        })
    }

    /// Whether the rules would let this ΔΨΠ give `command` to `application` now (what the card
    /// offers is the transition table's, not a copy of it).
    pub fn may(&self, application: &ApplicationRecord, command: &Command) -> bool {
        self.may_act().is_ok()
            && certdesk_domain::transition::decide(
                &application.as_domain(),
                command,
                &self.actor(),
                self.app.now(),
            )
            .is_ok()
    }

    /// Approves, rejects, cancels or revokes an application of the ΔΨΠ's organisations;
    /// gives the application and its history as the change left them.
    pub async fn perform(
        &self,
        application_id: i64,
        command: &Command,
    ) -> AppResult<(ApplicationRecord, Vec<HistoryEntry>)> {
        self.may_act()?;
        let performed = workflow::perform_and_read(
            self.app.store().as_ref(),
            &self.scope(),
            application_id,
            command,
            &self.actor(),
            self.app.now(),
        )
        .await?;
        if let Command::Cancel { .. } = command {
            self.app.metrics().cancelled();
        }
        if let Command::Revoke { category, .. } = command {
            let event = SecurityEvent::certificate_revoked(
                &self.session.username,
                application_id,
                category.code(),
            );
            self.app.record_security_event(&event).await?;
        }
        Ok(performed)
    }

    /// The magnifier: the names for an ΑΦΜ, as the tax registry (or the records) know them.
    pub async fn look_up(&self, afm: &Afm) -> AppResult<Lookup> {
        self.may_act()?;
        // Someone outside the caller's organisations is unknown, and the registry is not even
        // asked: its answer would tell whether the ΑΦΜ belongs to anyone, and their names.
        let Some(employee) = self.app.store().employee_by_afm(&self.scope(), afm).await? else {
            return Ok(Lookup::UnknownEmployee);
        };
        let Some(registry) = &self.app.registries.tax else {
            return Ok(Lookup::Found(Names {
                surname: employee.surname.to_string(),
                given_name: employee.given_name.to_string(),
                father_name: employee.father_name.to_string(),
            }));
        };
        match registry.lookup(afm).await {
            Ok(Some(person)) => Ok(Lookup::Found(Names {
                surname: person.surname.to_string(),
                given_name: person.given_name.to_string(),
                father_name: person.father_name.to_string(),
            })),
            Ok(None) => Ok(Lookup::NotInTaxRegistry),
            Err(RegistryError::Unavailable(detail)) => {
                tracing::warn!(%detail, "tax registry lookup failed");
                Err(AppError::RegistryUnavailable(Registry::Tax))
            }
            Err(error) => {
                tracing::warn!(%error, "tax registry lookup failed");
                Err(AppError::RegistryUnavailable(Registry::Tax))
            }
        }
    }

    /// «Νέο Ψηφιακό Πιστοποιητικό»: starts the issuance process for an employee (SPEC §2).
    pub async fn start_application(
        &self,
        afm: &Afm,
        email: &Email,
        mobile: Option<&Mobile>,
    ) -> AppResult<ApplicationRecord> {
        self.may_act()?;
        workflow::start_application(
            self.app.store().as_ref(),
            &self.scope(),
            afm,
            email,
            mobile,
            &self.actor(),
            self.app.now(),
        )
        .await
    }

    /// The certificate of an application, once issued, to download through `via` (`console`,
    /// `api`): the security log records it.
    pub async fn download_certificate(
        &self,
        application_id: i64,
        via: &'static str,
    ) -> AppResult<Option<CertificateRecord>> {
        if !self.role().may_download_certificates() {
            return Err(AppError::Forbidden);
        }
        let certificate = self
            .app
            .store()
            .certificate(&self.scope(), application_id)
            .await?;
        if certificate.is_some() {
            let event = SecurityEvent::certificate_downloaded(
                Some(&self.session.username),
                application_id,
                via,
            );
            self.app.record_security_event(&event).await?;
        }
        Ok(certificate)
    }

    /// The CA certificates that follow a certificate in its chain (issuing CA, then root).
    pub async fn chain(&self) -> AppResult<Option<(Vec<u8>, Vec<u8>)>> {
        Ok(self
            .app
            .store()
            .authority()
            .await?
            .map(|ca| (ca.issuing_der, ca.root_der)))
    }
}
