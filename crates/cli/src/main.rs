//! `certdesk`: the one binary of the product (SPEC §7).

mod accounts;
mod bench;
mod bench_cfssl;
mod bench_data;
mod bench_http;
mod bench_issuance;
mod bench_report;
mod bench_server;
mod bench_sign;
mod ca_cmd;
mod demo;
mod demo_names;
mod import;
mod logging;
mod registry_cmd;
mod roles_cmd;
mod serve;
mod signing;

use std::sync::Arc;

use anyhow::{Context, bail};
use certdesk_store::Store;
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
    /// How the logs (on standard error) look: text lines, or one JSON object a line.
    #[arg(
        long,
        global = true,
        env = "CERTDESK_LOG_FORMAT",
        value_enum,
        default_value_t = logging::LogFormat::Text
    )]
    log_format: logging::LogFormat,
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
    Serve(serve::ServeArgs),
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
        command: accounts::OrgCommand,
    },
    /// Manage certificate administrators (ΔΨΠ).
    Admin {
        #[command(subcommand)]
        command: accounts::AdminCommand,
    },
    /// Import employees from a CSV file (header: afm,surname,given_name,father_name,id_card,
    /// birth_date,email,mobile,unit,position). All or nothing.
    Import {
        /// The CSV file (UTF-8, with or without a byte-order mark, unless --encoding says).
        file: std::path::PathBuf,
        /// Code of the organisation the employees belong to.
        #[arg(long)]
        org: String,
        /// A row whose ΑΦΜ the organisation has already updates that employee (without it,
        /// such a row is an error).
        #[arg(long)]
        update: bool,
        /// The file's character encoding: utf-8 or windows-1253.
        #[arg(long, default_value = "utf-8")]
        encoding: String,
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
    /// Searches and cancellations over HTTP at the scale of issue 12 (one very large organisation
    /// beside many small ones), beside the same queries on the store in process; prints a table.
    /// Without --db, a temporary SQLite file is used.
    BenchHttp {
        /// Database URL; must be empty. Default: a temporary SQLite file.
        #[arg(long)]
        db: Option<String>,
        #[arg(long, default_value_t = 1_000_000)]
        employees: usize,
        /// Employees of the largest organisation.
        #[arg(long, default_value_t = 200_000)]
        largest: usize,
        #[arg(long, default_value_t = 2000)]
        organisations: usize,
        /// Concurrent HTTP clients for the searches.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Requests of each kind of search.
        #[arg(long, default_value_t = 2000)]
        queries: usize,
        /// Cancellations through the API (16 clients), of as many employees of the largest
        /// organisation (at most all of them).
        #[arg(long, default_value_t = 5000)]
        cancels: usize,
        /// Certificates issued by the server's job loop, and by cfssl (when installed) beside it,
        /// for as many employees of the largest organisation after those cancelled.
        #[arg(long, default_value_t = 5000)]
        issues: usize,
        /// Also write the table, with the machine it was measured on, into this Markdown file
        /// (between its bench-http markers, e.g. BENCHMARKS.md).
        #[arg(long)]
        write: Option<std::path::PathBuf>,
    },
    /// Write an HR registry's CSV export of made-up employees (for trying `import` at scale).
    BenchData {
        /// How many employees.
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// The file to write.
        #[arg(long)]
        out: std::path::PathBuf,
        /// The same seed writes the same file.
        #[arg(long, default_value_t = 12)]
        seed: u64,
    },
    /// Signatures through the CSC API's signHash over HTTP (the demo data, a local server,
    /// concurrent clients), beside the raw signing rate of the same key type; prints a table.
    BenchSign {
        /// Concurrent HTTP clients.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Hashes per signHash call (1 to 100).
        #[arg(long, default_value_t = 10)]
        batch: usize,
    },
    /// Operator accounts (organisations and accounts; no employee).
    Operator {
        #[command(subcommand)]
        command: roles_cmd::RoleCommand,
    },
    /// Auditor accounts (read histories and the security log; change nothing).
    Auditor {
        #[command(subcommand)]
        command: roles_cmd::RoleCommand,
    },
    /// Check the tamper-evident application histories; export the security log.
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
    /// Write the security log as JSON lines (at, kind, actor, subject, address, detail).
    Export {
        /// Only events at or after this time (RFC 3339, e.g. 2026-01-01T00:00:00Z).
        #[arg(long)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// The file to write; standard output when left out.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        #[command(flatten)]
        db: DbArg,
    },
}

pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    certdesk_store::connect(url)
        .await
        .with_context(|| cannot_open_database(url))
}

/// The error context of a database that does not open. The URL may carry a password: it names
/// only the URL's scheme.
pub fn cannot_open_database(url: &str) -> String {
    let scheme = url.split(':').next().unwrap_or("");
    format!("cannot open the {scheme} database")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let log_format = cli.log_format;
    logging::init(log_format);
    let result = run(cli).await;
    // A log collector reading JSON gets the reason a command stopped as one more event.
    if let (Err(error), logging::LogFormat::Json) = (&result, log_format) {
        tracing::error!(error = format!("{error:#}"), "certdesk stopped");
        std::process::exit(1);
    }
    result
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Commands::Serve(args) => serve::run(args, cli.log_format).await?,
        Commands::Demo {
            db,
            listen,
            kek,
            token,
        } => {
            let store = open_store(&db.db).await?;
            let issuer = ca_cmd::demo_issuer(
                store.as_ref(),
                ca_cmd::demo_kek(&kek, &db.db)?,
                token.load()?.as_ref(),
                &format!("http://{listen}"),
                Utc::now(),
            )
            .await?;
            let accounts = demo::load(store.as_ref(), &issuer, Utc::now()).await?;
            demo::print_accounts(&listen, &accounts);
        }
        Commands::Org { command } => accounts::run_org(command).await?,
        Commands::Admin { command } => accounts::run_admin(command).await?,
        Commands::Operator { command } => {
            roles_cmd::run_role(certdesk_domain::Role::Operator, command).await?
        }
        Commands::Auditor { command } => {
            roles_cmd::run_role(certdesk_domain::Role::Auditor, command).await?
        }
        Commands::Audit {
            command: AuditCommand::Export { since, out, db },
        } => roles_cmd::export(since, out, &db).await?,
        Commands::BenchHttp {
            db,
            employees,
            largest,
            organisations,
            clients,
            queries,
            cancels,
            issues,
            write,
        } => {
            let dir = tempfile_dir()?;
            let url = db.unwrap_or_else(|| format!("sqlite://{}", dir.join("bench.db").display()));
            let store = open_store(&url).await?;
            let config = bench_http::HttpBenchConfig {
                db_url: url.clone(),
                work_dir: dir.clone(),
                employees,
                largest: largest.min(employees),
                organisations,
                clients,
                queries,
                cancels,
                issues,
                write,
            };
            let result = bench_http::run(store, config).await;
            let _ = std::fs::remove_dir_all(&dir);
            result?;
        }
        Commands::BenchData { rows, out, seed } => {
            bench_data::write_csv(&out, rows, seed, 0, |_| {})?;
            println!("wrote {rows} employees to {}", out.display());
        }
        Commands::BenchSign { clients, batch } => {
            let dir = tempfile_dir()?;
            let store =
                open_store(&format!("sqlite://{}", dir.join("bench-sign.db").display())).await?;
            let result =
                bench_sign::run(store, bench_sign::SignBenchConfig { clients, batch }).await;
            let _ = std::fs::remove_dir_all(&dir);
            result?;
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
        Commands::Import {
            file,
            org,
            update,
            encoding,
            db,
        } => {
            let store = open_store(&db.db).await?;
            import::run(store.as_ref(), &file, &org, update, &encoding).await?;
        }
        Commands::Registry { command } => registry_cmd::run(command).await?,
        Commands::Ca { command } => ca_cmd::run(command).await?,
        Commands::Audit {
            command: AuditCommand::Verify { db },
        } => {
            let store = open_store(&db.db).await?;
            let checked = store.application_ids().await?.len();
            let broken = certdesk_app::workflow::verify_all_histories(store.as_ref()).await?;
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
