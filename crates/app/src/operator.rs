//! The operator's use cases (issue 10): organisations and accounts, their organisations,
//! disabling, password and second-factor resets, ending sessions. Each change is written to the
//! security log. The console acts through an [`Operator`]; the CLI through the same
//! [`AccountDesk`], as the command line (no actor).

use std::ops::Deref;

use certdesk_domain::account_password::AccountPassword;
use certdesk_domain::notification::account_created_email;
use certdesk_domain::security::SecurityEventKind as Kind;
use certdesk_domain::validation::{Email, Field, Problem, ValidationError};

use certdesk_domain::{Role, SecurityEvent};
use certdesk_store::prelude::*;

use crate::App;
use crate::account::Account;
use crate::error::{AppError, AppResult};
use crate::tokens::{generate_password, hash_password};

/// An authenticated operator: an [`AccountDesk`] that names them in the security log.
pub struct Operator {
    account: Account,
    desk: AccountDesk,
}

impl Operator {
    pub(crate) fn from_account(account: Account) -> Operator {
        let desk = AccountDesk {
            app: account.app.clone(),
            actor: Some(account.session.username.clone()),
        };
        Operator { account, desk }
    }

    pub fn session_account(&self) -> &Account {
        &self.account
    }
}

impl Deref for Operator {
    type Target = AccountDesk;

    fn deref(&self) -> &AccountDesk {
        &self.desk
    }
}

/// A ΔΨΠ account just made, with the temporary password to hand over (shown once).
pub struct CreatedAccount {
    pub id: i64,
    pub temporary_password: String,
}

/// Everything an operator may do to organisations and accounts.
pub struct AccountDesk {
    app: App,
    /// Who acts, for the security log: the operator's username, `None` for the command line.
    actor: Option<String>,
}

impl App {
    /// The account desk of the command line (`certdesk admin …`), whose owner runs the
    /// installation.
    pub fn command_line_desk(&self) -> AccountDesk {
        AccountDesk {
            app: self.clone(),
            actor: None,
        }
    }
}

fn invalid(field: Field, problem: Problem) -> AppError {
    AppError::Invalid(ValidationError::new(field, problem))
}

fn required(field: Field, value: &str) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(field, Problem::Missing));
    }
    Ok(value.to_owned())
}

impl AccountDesk {
    async fn record(&self, kind: Kind, subject: &str, detail: Option<&str>) -> AppResult<()> {
        let event = SecurityEvent::account_change(kind, self.actor.as_deref(), subject, detail);
        self.app.record_security_event(&event).await
    }

    pub async fn organisations(&self) -> AppResult<Vec<Organisation>> {
        Ok(self.app.store().organisations().await?)
    }

    pub async fn create_organisation(&self, code: &str, name: &str) -> AppResult<Organisation> {
        let code = required(Field::OrganisationCode, code)?;
        let name = required(Field::OrganisationName, name)?;
        let organisation = self
            .app
            .store()
            .create_organisation(&code, &name, self.app.now())
            .await?;
        self.record(Kind::OrganisationCreated, &organisation.code, None)
            .await?;
        Ok(organisation)
    }

    pub async fn accounts(&self) -> AppResult<Vec<AccountSummary>> {
        Ok(self.app.store().accounts().await?)
    }

    pub async fn account(&self, id: i64) -> AppResult<AdministratorRecord> {
        self.app
            .store()
            .administrator(id)
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn account_by_username(&self, username: &str) -> AppResult<AdministratorRecord> {
        self.app
            .store()
            .administrator_by_username(username.trim())
            .await?
            .ok_or(AppError::NotFound)
    }

    /// A new ΔΨΠ of `organisation_ids`, with a temporary password to change at the first
    /// login; they are told by email that the account exists (without the password).
    pub async fn create_administrator(
        &self,
        username: &str,
        full_name: &str,
        organisation_ids: Vec<i64>,
    ) -> AppResult<CreatedAccount> {
        let temporary_password = generate_password();
        let username = Email::parse(username)
            .map_err(|_| invalid(Field::Username, Problem::Format))?
            .as_str()
            .to_owned();
        let full_name = required(Field::Surname, full_name)?;
        let welcome = account_created_email(
            &full_name,
            &username,
            self.app.settings.public_url.as_deref(),
        );
        let id = self
            .insert(
                NewAdministrator {
                    username: username.clone(),
                    full_name,
                    password_hash: hash_password(&temporary_password),
                    organisation_ids,
                    role: Role::Administrator,
                    must_change_password: true,
                    second_factor_required: true,
                },
                Some(&welcome),
            )
            .await?;
        Ok(CreatedAccount {
            id,
            temporary_password,
        })
    }

    /// An operator or auditor account with the password its owner chose (the CLI), under the
    /// same policy as a ΔΨΠ's; its first login enrols a second factor.
    pub async fn create_account(
        &self,
        role: Role,
        username: &str,
        full_name: &str,
        password: &str,
    ) -> AppResult<i64> {
        let username = required(Field::Username, username)?;
        let full_name = required(Field::Surname, full_name)?;
        let password = AccountPassword::parse(Field::Password, password, &username)?;
        self.insert(
            NewAdministrator {
                username,
                full_name,
                password_hash: hash_password(password.expose()),
                organisation_ids: Vec::new(),
                role,
                // The owner chose the password; the first login enrols the app.
                must_change_password: false,
                second_factor_required: true,
            },
            None,
        )
        .await
    }

    async fn insert(
        &self,
        account: NewAdministrator,
        welcome: Option<&certdesk_domain::notification::Email>,
    ) -> AppResult<i64> {
        let id = self
            .app
            .store()
            .create_account(&account, welcome, self.app.now())
            .await?;
        self.record(
            Kind::AccountCreated,
            &account.username,
            Some(account.role.code()),
        )
        .await?;
        Ok(id)
    }

    /// Lets a ΔΨΠ serve one more organisation.
    pub async fn assign(&self, id: i64, organisation_id: i64) -> AppResult<()> {
        let (account, organisation) = self.account_and_organisation(id, organisation_id).await?;
        self.app
            .store()
            .add_administrator_to_organisation(account.id, organisation.id)
            .await?;
        self.record(
            Kind::AccountAssigned,
            &account.username,
            Some(&organisation.code),
        )
        .await
    }

    pub async fn unassign(&self, id: i64, organisation_id: i64) -> AppResult<()> {
        let (account, organisation) = self.account_and_organisation(id, organisation_id).await?;
        self.app
            .store()
            .remove_administrator_from_organisation(account.id, organisation.id)
            .await?;
        self.record(
            Kind::AccountUnassigned,
            &account.username,
            Some(&organisation.code),
        )
        .await
    }

    async fn account_and_organisation(
        &self,
        id: i64,
        organisation_id: i64,
    ) -> AppResult<(AdministratorRecord, Organisation)> {
        let account = self.account(id).await?;
        if !account.role.serves_organisations() {
            return Err(AppError::Forbidden);
        }
        let organisation = self
            .organisations()
            .await?
            .into_iter()
            .find(|o| o.id == organisation_id)
            .ok_or(AppError::NotFound)?;
        Ok((account, organisation))
    }

    /// The account can no longer log in, and its sessions and tokens end now.
    pub async fn disable(&self, id: i64) -> AppResult<()> {
        let account = self.account(id).await?;
        let store = self.app.store();
        store.set_administrator_disabled(account.id, true).await?;
        store.delete_sessions_of(account.id, None).await?;
        self.record(Kind::AccountDisabled, &account.username, None)
            .await
    }

    /// A new temporary password (to hand over; changed at the next login); the account's
    /// sessions end, since whoever held the old password may hold one.
    pub async fn reset_password(&self, id: i64) -> AppResult<String> {
        let account = self.account(id).await?;
        let password = generate_password();
        let store = self.app.store();
        store
            .reset_administrator_password(account.id, &hash_password(&password))
            .await?;
        store.delete_sessions_of(account.id, None).await?;
        self.record(Kind::PasswordReset, &account.username, None)
            .await?;
        Ok(password)
    }

    /// Forgets the second factor; its owner enrols a new one.
    pub async fn reset_second_factor(&self, id: i64) -> AppResult<()> {
        let account = self.account(id).await?;
        self.app
            .store()
            .clear_administrator_second_factor(account.id)
            .await?;
        self.record(Kind::SecondFactorReset, &account.username, None)
            .await
    }

    /// Ends every console session and API token of the account; answers how many.
    pub async fn end_sessions(&self, id: i64) -> AppResult<u64> {
        let account = self.account(id).await?;
        let ended = self
            .app
            .store()
            .delete_sessions_of(account.id, None)
            .await?;
        self.record(Kind::SessionsEnded, &account.username, None)
            .await?;
        Ok(ended)
    }
}
