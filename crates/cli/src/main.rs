//! `certdesk`: the one binary of the product (SPEC §7).

mod bench;
mod ca_cmd;
mod demo;
mod demo_names;
mod import;
mod registry_cmd;

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use anyhow::{Context, bail};
use certdesk_store::credentials::hash_password;
use certdesk_store::{NewAdministrator, Store, StoreError};
use chrono::Utc;
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "certdesk",
    version,
    about = "Issuance of personal digital-signature certificates: registration and certificate authority, with a console for certificate administrators (ΔΨΠ)."
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Args, Clone)]
struct DbArg {
    /// Database URL: sqlite://FILE (created if missing) or postgres://USER:PASSWORD@HOST/DB (the
    /// database must exist; its schema is created).
    #[arg(long, env = "CERTDESK_DB", default_value = "sqlite://certdesk.db")]
    db: String,
}

#[derive(Subcommand)]
enum Commands {
    /// Serve the console and the JSON API (migrating a new database first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "CERTDESK_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        #[command(flatten)]
        db: DbArg,
        /// Load the demo data first (see `certdesk demo`).
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure (set this when users reach certdesk over HTTPS).
        #[arg(long, env = "CERTDESK_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Reject a pending application nobody moved on for this many days.
        #[arg(long, env = "CERTDESK_EXPIRE_AFTER_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..))]
        expire_after_days: u32,
        /// SMTP relay that delivers the notification emails: smtp://HOST[:PORT] (plain SMTP, no
        /// TLS or login: a local or trusted relay). Without it, emails stay in the outbox.
        #[arg(long, env = "CERTDESK_SMTP")]
        smtp: Option<String>,
        /// Sender of the emails, e.g. "certdesk <noreply@example.gr>" (needed with --smtp).
        #[arg(long, env = "CERTDESK_MAIL_FROM")]
        mail_from: Option<String>,
        /// The tax registry the magnifier of «Νέο Ψηφιακό Πιστοποιητικό» asks, e.g. the local
        /// registry of `certdesk registry serve` at http://127.0.0.1:8090/. Without it, the names
        /// come from the employee records.
        #[arg(long, env = "CERTDESK_REGISTRY_URL")]
        registry_url: Option<String>,
        #[arg(long, env = "CERTDESK_REGISTRY_CLIENT_ID", default_value = "certdesk")]
        registry_client_id: String,
        /// The client secret certdesk presents to the registry (the local registry's default).
        #[arg(
            long,
            env = "CERTDESK_REGISTRY_CLIENT_SECRET",
            default_value = "certdesk-local",
            hide_default_value = true
        )]
        registry_client_secret: String,
        /// The address users reach certdesk at, e.g. https://certdesk.example.gr (behind a
        /// proxy, the proxy's). The emails link to its /portal and the tax registry sends
        /// beneficiaries back to its /portal/callback. Default: http://<the --listen address>.
        #[arg(long, env = "CERTDESK_PUBLIC_URL")]
        public_url: Option<String>,
        #[command(flatten)]
        kek: ca_cmd::KekArg,
        #[command(flatten)]
        token: ca_cmd::TokenArg,
        /// Minutes between the signature and the issuance: a window in which a ΔΨΠ can still
        /// cancel a signed application. 0 issues at once.
        #[arg(long, env = "CERTDESK_ISSUANCE_DELAY_MINUTES", default_value_t = 0)]
        issuance_delay_minutes: u32,
    },
    /// Create the demo organisations, employees, applications and ΔΨΠ accounts (idempotent).
    Demo {
        #[command(flatten)]
        db: DbArg,
        /// The console address to print.
        #[arg(long, env = "CERTDESK_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        #[command(flatten)]
        kek: ca_cmd::KekArg,
        #[command(flatten)]
        token: ca_cmd::TokenArg,
    },
    /// Manage organisations (φορείς).
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Manage certificate administrators (ΔΨΠ).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Import employees from a CSV file (header: afm,surname,given_name,father_name,id_card,
    /// birth_date,email,mobile,unit,position). All or nothing.
    Import {
        /// The CSV file (UTF-8).
        file: std::path::PathBuf,
        /// Code of the organisation the employees belong to.
        #[arg(long)]
        org: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Create or update the database schema, then exit (`serve` does it too, at start-up).
    Migrate {
        #[command(flatten)]
        db: DbArg,
    },
    /// Write a consistent copy of an SQLite database while certdesk runs (for PostgreSQL, use
    /// pg_dump).
    Backup {
        /// The file to write; it must not exist.
        #[arg(long)]
        to: std::path::PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Measure the store at a given size on an empty database and print a table (see
    /// BENCHMARKS.md). Without --db, a temporary SQLite file is used.
    Bench {
        /// Database URL; must be empty. Default: a temporary SQLite file.
        #[arg(long)]
        db: Option<String>,
        #[arg(long, default_value_t = 100_000)]
        employees: usize,
        #[arg(long, default_value_t = 200)]
        organisations: usize,
        /// Searches of each kind.
        #[arg(long, default_value_t = 1000)]
        queries: usize,
        /// Cancellations (half one at a time, half concurrently).
        #[arg(long, default_value_t = 2000)]
        cancels: usize,
        /// Issuances (half one at a time, half by concurrent workers).
        #[arg(long, default_value_t = 2000)]
        issues: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// Check the tamper-evident application histories.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The local tax and Police registries (for the demo, the tests and evaluation).
    Registry {
        #[command(subcommand)]
        command: registry_cmd::RegistryCommand,
    },
    /// The certificate authority: `ca init` creates it, `ca show` describes it.
    Ca {
        #[command(subcommand)]
        command: ca_cmd::CaCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the hash chain of every application's history; exits non-zero if any is broken.
    Verify {
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
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
enum AdminCommand {
    /// Create a ΔΨΠ account in an organisation.
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
        /// The password; prompted for when left out.
        #[arg(long, env = "CERTDESK_ADMIN_PASSWORD")]
        password: Option<String>,
        #[command(flatten)]
        db: DbArg,
    },
}

pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    open_store_with(url, certdesk_store::StoreOptions::default()).await
}

pub async fn open_store_with(
    url: &str,
    options: certdesk_store::StoreOptions,
) -> anyhow::Result<Arc<dyn Store>> {
    // The URL may carry a password: name only its scheme in the error.
    let scheme = url.split(':').next().unwrap_or("");
    certdesk_store::connect_with(url, options)
        .await
        .with_context(|| format!("cannot open the {scheme} database"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CERTDESK_LOG")
                .unwrap_or_else(|_| "certdesk=info,certdesk_web=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    match Cli::parse().command {
        Commands::Serve {
            listen,
            db,
            demo,
            secure_cookies,
            expire_after_days,
            smtp,
            mail_from,
            registry_url,
            registry_client_id,
            registry_client_secret,
            public_url,
            kek,
            token,
            issuance_delay_minutes,
        } => {
            let mailer: Option<Arc<dyn certdesk_store::mail::Mailer>> = match (smtp, mail_from) {
                (Some(smtp), Some(from)) => {
                    let mailer = certdesk_store::mail::SmtpMailer::new(&smtp, &from)
                        .context("--smtp / --mail-from")?;
                    tracing::info!("emails are delivered through {}", mailer.relay());
                    Some(Arc::new(mailer))
                }
                (Some(_), None) => bail!("--smtp needs --mail-from (or CERTDESK_MAIL_FROM)"),
                (None, _) => {
                    tracing::warn!(
                        "no --smtp: emails are not sent; they stay in the outbox until certdesk \
                         runs with an SMTP server"
                    );
                    None
                }
            };
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let address = listener.local_addr()?;
            let public_url = public_url
                .map(|url| url.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| format!("http://{address}"));
            let options = certdesk_store::StoreOptions {
                portal_url: Some(format!("{public_url}/portal")),
                issuance_delay: chrono::Duration::minutes(i64::from(issuance_delay_minutes)),
            };
            let store = open_store_with(&db.db, options).await?;
            // The CA: the demo makes one if there is none; otherwise one made by `ca init` is
            // opened with the KEK (a wrong or missing KEK stops the start).
            let issuer = if demo {
                let issuer = ca_cmd::demo_issuer(
                    store.as_ref(),
                    &db.db,
                    kek.load()?,
                    token.load()?.as_ref(),
                    &public_url,
                    Utc::now(),
                )
                .await?;
                let accounts = demo::load(store.as_ref(), &issuer, Utc::now()).await?;
                demo::print_accounts(&listen, &accounts);
                Some(issuer)
            } else {
                ca_cmd::open_issuer(store.as_ref(), kek.load()?, token.load()?.as_ref()).await?
            };
            let issuer = issuer.map(Arc::new);
            if issuer.is_none() {
                tracing::warn!(
                    "no CA yet (`certdesk ca init`): signed applications wait for their certificate"
                );
            }
            tracing::info!("certdesk serves http://{address}/");
            eprintln!("certdesk: http://{address}/");
            // Every server takes background jobs; the store hands each to exactly one.
            let worker = certdesk_store::worker::WorkerConfig {
                expire_after: chrono::Duration::days(i64::from(expire_after_days)),
                issuer: issuer
                    .clone()
                    .map(|issuer| certdesk_store::worker::Issuing(issuer as Arc<_>)),
                ..Default::default()
            };
            tokio::spawn(certdesk_store::worker::run(
                store.clone(),
                worker,
                mailer,
                Utc::now,
            ));
            let mut state = certdesk_web::AppState::new(store);
            state.config.secure_cookies = secure_cookies;
            state.config.public_url = Some(public_url.clone());
            state.ca = issuer;
            // The demo without a registry of its own gets the local registry with the demo's
            // people, served by this same server under /local-registry/, so that the whole
            // journey (login through the "tax registry", identification) works from one command.
            let builtin_registry = demo && registry_url.is_none();
            let registry_url = if builtin_registry {
                Some(format!("{public_url}/local-registry/"))
            } else {
                registry_url
            };
            if let Some(url) = registry_url {
                // The local registry, like the real services, answers both: the tax registry
                // (login, lookups) and the Police ID-card registry at the same base address.
                let config = certdesk_registry::RegistryConfig::new(
                    url,
                    registry_client_id.clone(),
                    registry_client_secret.clone(),
                );
                let tax =
                    certdesk_registry::HttpTaxRegistry::new(&config).context("--registry-url")?;
                let police = certdesk_registry::HttpPoliceRegistry::new(&config)
                    .context("--registry-url")?;
                state.tax_registry = Some(Arc::new(tax));
                state.police_registry = Some(Arc::new(police));
            }
            let mut router = certdesk_web::app(state);
            if builtin_registry {
                let people = certdesk_registry::local::People::demo();
                tracing::info!(
                    "the demo's local registry ({} people) answers at /local-registry/",
                    people.len()
                );
                router = router.nest(
                    "/local-registry",
                    certdesk_registry::local::router(
                        people,
                        &registry_client_id,
                        &registry_client_secret,
                    ),
                );
            }
            certdesk_web::serve_router(listener, router).await?;
        }
        Commands::Demo {
            db,
            listen,
            kek,
            token,
        } => {
            let store = open_store(&db.db).await?;
            let issuer = ca_cmd::demo_issuer(
                store.as_ref(),
                &db.db,
                kek.load()?,
                token.load()?.as_ref(),
                &format!("http://{listen}"),
                Utc::now(),
            )
            .await?;
            let accounts = demo::load(store.as_ref(), &issuer, Utc::now()).await?;
            demo::print_accounts(&listen, &accounts);
        }
        Commands::Org {
            command: OrgCommand::Create { code, name, db },
        } => {
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
        }
        Commands::Admin {
            command:
                AdminCommand::Create {
                    org,
                    username,
                    name,
                    password,
                    db,
                },
        } => {
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
            if password.chars().count() < 10 {
                bail!("the password must have at least 10 characters");
            }
            let admin = NewAdministrator {
                username: username.clone(),
                full_name: name,
                password_hash: hash_password(&password),
                organisation_ids: vec![organisation.id],
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
        }
        Commands::Bench {
            db,
            employees,
            organisations,
            queries,
            cancels,
            issues,
            concurrency,
        } => {
            let dir = tempfile_dir()?;
            let url = db.unwrap_or_else(|| format!("sqlite://{}", dir.join("bench.db").display()));
            let store = open_store(&url).await?;
            let config = bench::BenchConfig {
                employees,
                organisations,
                queries,
                cancels,
                issues,
                concurrency,
            };
            let result = bench::run(store, config).await;
            let _ = std::fs::remove_dir_all(&dir);
            result?;
        }
        Commands::Migrate { db } => {
            open_store(&db.db).await?;
            println!("the database schema is up to date");
        }
        Commands::Backup { to, db } => {
            if !db.db.starts_with("sqlite:") {
                bail!("certdesk backup copies SQLite databases; back up PostgreSQL with pg_dump");
            }
            if to.exists() {
                bail!("{} exists already", to.display());
            }
            let store = certdesk_store::sqlite::SqliteStore::open(&db.db).await?;
            store
                .backup_to(&to)
                .await
                .with_context(|| format!("cannot write {}", to.display()))?;
            println!("backup written to {}", to.display());
        }
        Commands::Import { file, org, db } => {
            let store = open_store(&db.db).await?;
            let organisation = store
                .organisation_by_code(&org)
                .await?
                .with_context(|| format!("no organisation with code {org:?}"))?;
            let handle = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let bar = import::progress_bar(handle.metadata().map(|m| m.len()).unwrap_or(0));
            bar.set_message("έλεγχος");
            let rows = match import::read_employees(std::io::BufReader::new(handle), &bar) {
                Ok(employees) => employees,
                Err(errors) => {
                    bar.abandon();
                    for error in errors.iter().take(50) {
                        eprintln!("{error}");
                    }
                    bail!(
                        "{} bad line(s) in {}: nothing was imported",
                        errors.len(),
                        file.display()
                    );
                }
            };
            let scope = certdesk_store::Scope::Organisations(vec![organisation.id]);
            for (line, employee) in &rows {
                if store
                    .employee_by_afm(&scope, &employee.afm)
                    .await?
                    .is_some()
                {
                    bar.abandon();
                    bail!(
                        "γραμμή {line}, πεδίο afm: ο ΑΦΜ {} είναι ήδη καταχωρισμένος στον φορέα: nothing was imported",
                        employee.afm
                    );
                }
            }
            bar.set_message("αποθήκευση");
            let employees: Vec<_> = rows.into_iter().map(|(_, employee)| employee).collect();
            let count = employees.len();
            store
                .insert_employees(organisation.id, &employees, Utc::now())
                .await?;
            bar.finish_and_clear();
            println!("imported {count} employees into {}", organisation.code);
        }
        Commands::Registry { command } => registry_cmd::run(command).await?,
        Commands::Ca { command } => ca_cmd::run(command).await?,
        Commands::Audit {
            command: AuditCommand::Verify { db },
        } => {
            let store = open_store(&db.db).await?;
            let checked = store.application_ids().await?.len();
            let broken = certdesk_store::workflow::verify_all_histories(store.as_ref()).await?;
            for (id, problem) in &broken {
                println!("application {id}: {problem}");
            }
            if !broken.is_empty() {
                bail!(
                    "{} of {checked} application histories are broken",
                    broken.len()
                );
            }
            println!("{checked} application histories verified: every hash chain is intact");
        }
    }
    Ok(())
}

/// A fresh directory for the bench's temporary database.
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("certdesk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn prompt_password() -> anyhow::Result<String> {
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
