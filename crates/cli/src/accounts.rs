//! `certdesk org create` and `certdesk admin create`: the operator makes the organisations and
//! their certificate administrators (ΔΨΠ); nobody can sign up through the web.

use std::io::{IsTerminal, Write};

use anyhow::{Context, bail};
use certdesk_app::tokens::hash_password;
use certdesk_domain::Lang;
use certdesk_domain::Role;
use certdesk_domain::account_password::AccountPassword;
use certdesk_domain::validation::Field;
use certdesk_store::{NewAdministrator, StoreError};
use chrono::Utc;
use clap::Subcommand;

use crate::{DbArg, open_store};

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Create an organisation.
    Create {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a ΔΨΠ account in an organisation. At the first login the ΔΨΠ must change the
    /// password and enrol an authenticator app (TOTP) before anything else.
    Create {
        /// Code of the organisation.
        #[arg(long)]
        org: String,
        /// Login name (the administrator's work email).
        #[arg(long)]
        username: String,
        /// Full name, as shown in the history («… από τον χρήστη <full name>»).
        #[arg(long)]
        name: String,
        /// The first password (at least 12 characters, not the username, not a common one);
        /// prompted for when left out.
        #[arg(long, env = "CERTDESK_ADMIN_PASSWORD")]
        password: Option<String>,
        #[command(flatten)]
        db: DbArg,
    },
    /// Let a ΔΨΠ serve one more organisation.
    Assign {
        #[arg(long)]
        username: String,
        #[arg(long)]
        org: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Disable an account: it can no longer log in, and its sessions end.
    Disable(crate::roles_cmd::AccountArg),
    /// Set a temporary password (printed once), to be changed at the next login.
    ResetPassword(crate::roles_cmd::AccountArg),
    /// Remove the account's second factor; its owner enrols a new one.
    ResetOtp(crate::roles_cmd::AccountArg),
    /// End every console session and API token of the account.
    EndSessions(crate::roles_cmd::AccountArg),
}

pub async fn run_org(command: OrgCommand) -> anyhow::Result<()> {
    let OrgCommand::Create { code, name, db } = command;
    let store = open_store(&db.db).await?;
    let (code, name) = (code.trim(), name.trim());
    if code.is_empty() || name.is_empty() {
        bail!("--code and --name must not be empty");
    }
    match store.create_organisation(code, name, Utc::now()).await {
        Ok(org) => println!("organisation {} created: {}", org.code, org.name),
        Err(StoreError::Duplicate(_)) => {
            bail!("an organisation with code {code:?} already exists")
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

pub async fn run_admin(command: AdminCommand) -> anyhow::Result<()> {
    let AdminCommand::Create {
        org,
        username,
        name,
        password,
        db,
    } = command
    else {
        return crate::roles_cmd::run_admin_change(command).await;
    };
    let store = open_store(&db.db).await?;
    let organisation = store
        .organisation_by_code(&org)
        .await?
        .with_context(|| format!("no organisation with code {org:?}"))?;
    let (username, name) = (username.trim().to_owned(), name.trim().to_owned());
    if username.is_empty() || name.is_empty() {
        bail!("--username and --name must not be empty");
    }
    let password = match password {
        Some(p) => p,
        None => prompt_password()?,
    };
    let password = AccountPassword::parse(Field::Password, &password, &username)
        .map_err(|e| anyhow::anyhow!("{} ({})", e.message(Lang::En), e.message(Lang::El)))?;
    let admin = NewAdministrator {
        username: username.clone(),
        full_name: name,
        password_hash: hash_password(password.expose()),
        organisation_ids: vec![organisation.id],
        role: Role::Administrator,
        must_change_password: true,
        second_factor_required: true,
    };
    match store.create_administrator(&admin, Utc::now()).await {
        Ok(_) => println!("administrator {username} created in {}", organisation.code),
        Err(StoreError::Duplicate(_)) => {
            // An existing ΔΨΠ may serve several organisations.
            let existing = store
                .administrator_by_username(&username)
                .await?
                .context("administrator vanished")?;
            store
                .add_administrator_to_organisation(existing.id, organisation.id)
                .await?;
            println!(
                "administrator {username} already exists; added to {}",
                organisation.code
            );
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

pub(crate) fn prompt_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password: ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password given (use --password or type it at the prompt)");
    }
    Ok(password)
}
