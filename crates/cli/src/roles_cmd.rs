//! The operator's commands beyond SPEC §7 (issue 10): `certdesk operator create`, `certdesk
//! auditor create`, `certdesk admin assign|disable|reset-password|reset-otp|end-sessions` and
//! `certdesk audit export`. They act through the app's account desk as the command line, so the
//! security log records them as the console's would be.

use std::io::Write;

use anyhow::Context;
use certdesk_app::App;
use certdesk_app::operator::AccountDesk;
use certdesk_domain::Role;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};

use crate::accounts::{AdminCommand, prompt_password};
use crate::{DbArg, open_store};

#[derive(Args)]
pub struct AccountArg {
    /// The account's username.
    #[arg(long)]
    username: String,
    #[command(flatten)]
    db: DbArg,
}

#[derive(Subcommand)]
pub enum RoleCommand {
    /// Create an account of this role (it serves no organisation).
    Create {
        #[arg(long)]
        username: String,
        /// Full name, as the security log and the console show it.
        #[arg(long)]
        name: String,
        /// The password; prompted for when left out.
        #[arg(long, env = "CERTDESK_ACCOUNT_PASSWORD")]
        password: Option<String>,
        #[command(flatten)]
        db: DbArg,
    },
}

async fn desk(db: &DbArg) -> anyhow::Result<AccountDesk> {
    Ok(App::new(open_store(&db.db).await?).command_line_desk())
}

/// `certdesk operator create` and `certdesk auditor create`.
pub async fn run_role(role: Role, command: RoleCommand) -> anyhow::Result<()> {
    let RoleCommand::Create {
        username,
        name,
        password,
        db,
    } = command;
    let password = match password {
        Some(p) => p,
        None => prompt_password()?,
    };
    desk(&db)
        .await?
        .create_account(role, &username, &name, &password)
        .await
        .with_context(|| format!("creating the {} {username:?}", role.code()))?;
    println!("{} {} created", role.code(), username.trim());
    Ok(())
}

async fn account(desk: &AccountDesk, username: &str) -> anyhow::Result<i64> {
    Ok(desk
        .account_by_username(username)
        .await
        .with_context(|| format!("no account with username {username:?}"))?
        .id)
}

/// The `certdesk admin` subcommands other than `create`.
pub async fn run_admin_change(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::Create { .. } => unreachable!("handled by accounts::run_admin"),
        AdminCommand::Assign { username, org, db } => {
            let desk = desk(&db).await?;
            let id = account(&desk, &username).await?;
            let organisation = desk
                .organisations()
                .await?
                .into_iter()
                .find(|o| o.code == org.trim())
                .with_context(|| format!("no organisation with code {org:?}"))?;
            desk.assign(id, organisation.id)
                .await
                .context("only a ΔΨΠ serves organisations")?;
            println!("{username} now serves {}", organisation.code);
        }
        AdminCommand::Disable(arg) => {
            let desk = desk(&arg.db).await?;
            desk.disable(account(&desk, &arg.username).await?).await?;
            println!("{} disabled; its sessions ended", arg.username);
        }
        AdminCommand::ResetPassword(arg) => {
            let desk = desk(&arg.db).await?;
            let password = desk
                .reset_password(account(&desk, &arg.username).await?)
                .await?;
            println!("temporary-password: {password}");
        }
        AdminCommand::ResetOtp(arg) => {
            let desk = desk(&arg.db).await?;
            desk.reset_second_factor(account(&desk, &arg.username).await?)
                .await?;
            println!("second factor of {} removed", arg.username);
        }
        AdminCommand::EndSessions(arg) => {
            let desk = desk(&arg.db).await?;
            let ended = desk
                .end_sessions(account(&desk, &arg.username).await?)
                .await?;
            println!("{ended} sessions of {} ended", arg.username);
        }
    }
    Ok(())
}

/// `certdesk audit export [--since RFC3339] [--out FILE]`: the security log as JSON lines.
pub async fn export(
    since: Option<DateTime<Utc>>,
    out: Option<std::path::PathBuf>,
    db: &DbArg,
) -> anyhow::Result<()> {
    let store = open_store(&db.db).await?;
    let mut writer: Box<dyn Write + Send> = match &out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let count = certdesk_app::audit::export(store.as_ref(), since, &mut *writer).await?;
    writer.flush()?;
    if out.is_some() {
        eprintln!("{count} events exported");
    }
    Ok(())
}
