//! `certdesk serve`: the flags of one server, wired into an installation (`certdesk_app::build`),
//! its background worker and the web layer. With `--demo`, the demo data, its CA and its local
//! registry come first.

use std::sync::Arc;

use anyhow::{Context, bail};
use certdesk_app::mail::{Mailer, SmtpMailer};
use certdesk_app::worker::WorkerConfig;
use certdesk_app::{App, AppError, Config, Registries};
use clap::Args;

use crate::logging::LogFormat;
use crate::{DbArg, ca_cmd, demo};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CERTDESK_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    #[command(flatten)]
    db: DbArg,
    /// A read replica of the PostgreSQL --db (postgres://…, e.g. a streaming standby made with
    /// pg_basebackup): the employee searches of the console and the API read it, and may lag a
    /// moment behind; logins, sessions, an application's details and every change read the
    /// primary. While the replica cannot be reached, its reads go to the primary.
    #[arg(long, env = "CERTDESK_READ_DB", hide_env_values = true)]
    read_db: Option<String>,
    /// Load the demo data first (see `certdesk demo`).
    #[arg(long)]
    demo: bool,
    /// Users reach certdesk over HTTPS (a TLS proxy in front): cookies become Secure and
    /// __Host- prefixed, and answers carry HSTS. Implied by an https:// --public-url.
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
    /// The tax registry the magnifier of «Νέο Ψηφιακό Πιστοποιητικό» asks and the portal logs
    /// in through, and the Police ID-card registry: an https:// base URL (http://, e.g. the
    /// local registry of `certdesk registry serve` at http://127.0.0.1:8090/, only with
    /// --demo). Without it, the names come from the employee records.
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
    /// An RFC 3161 time-stamping authority, http://HOST[:PORT]/PATH: the PDFs signed in the
    /// portal get a signature timestamp from it (PAdES B-T), and a signing is refused when it
    /// gives none. Without it, the signatures are PAdES B-B.
    #[arg(long, env = "CERTDESK_TSA_URL")]
    tsa_url: Option<String>,
    /// How long a background job taken by this server stays reserved for it. A server that
    /// dies holding jobs (an issuance batch) leaves them to be taken again, by any server, once
    /// this has passed; a job run twice is harmless (the second finds it done).
    #[arg(long, env = "CERTDESK_JOB_LEASE_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..))]
    job_lease_seconds: u32,
    /// /metrics answers only a scraper that sends `Authorization: Bearer TOKEN` (at least 16
    /// characters). Without it, /metrics is open: it holds aggregate counts only.
    #[arg(long, env = "CERTDESK_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
}

/// The session lifetime of the console, the API and the portal.
const SESSION_HOURS: i64 = 8;

pub async fn run(args: ServeArgs, log_format: LogFormat) -> anyhow::Result<()> {
    if let Some(url) = &args.registry_url {
        require_https(url, args.demo)?;
    }
    if let Some(replica) = &args.read_db {
        check_read_db(&args.db.db, replica)?;
    }
    let metrics_token =
        certdesk_web::metrics::MetricsToken::new(args.metrics_token.as_deref().unwrap_or_default())
            .map_err(|problem| anyhow::anyhow!("--metrics-token: {problem}"))?;
    let mailer = mailer(args.smtp, args.mail_from)?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let public_url = args
        .public_url
        .map(|url| url.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("http://{address}"));
    // The demo without a registry of its own gets the local registry with the demo's people,
    // served by this same server under /local-registry/, so that the whole journey (login
    // through the "tax registry", identification) works from one command.
    let builtin_registry = args.demo && args.registry_url.is_none();
    let registry_url = if builtin_registry {
        Some(format!("{public_url}/local-registry/"))
    } else {
        args.registry_url
    };
    let registries = registries(
        registry_url,
        &args.registry_client_id,
        &args.registry_client_secret,
    )?;
    // The CA: one made by `ca init` is opened with the KEK given (a wrong or missing KEK stops
    // the start). The demo makes its own, so it needs a KEK even when none is given.
    let kek = if args.demo {
        Some(ca_cmd::demo_kek(&args.kek, &args.db.db)?)
    } else {
        args.kek.load()?
    };
    let token = args.token.load()?;
    let config = Config {
        database_url: args.db.db.clone(),
        read_database_url: args.read_db,
        public_url: Some(public_url.clone()),
        issuance_delay: chrono::Duration::minutes(i64::from(args.issuance_delay_minutes)),
        session_hours: SESSION_HOURS,
        kek,
        token: token.clone(),
        registries,
        tsa_url: args.tsa_url,
    };
    let mut app = build(config).await?;
    if args.demo {
        if app.ca.is_none() {
            // `build` took the KEK into the installation; the demo's CA is sealed with the same
            // one, read again from where it was found (the demo file exists by now).
            let issuer = ca_cmd::demo_issuer(
                app.store().as_ref(),
                ca_cmd::demo_kek(&args.kek, &args.db.db)?,
                token.as_ref(),
                &public_url,
                app.now(),
            )
            .await?;
            app.ca = Some(Arc::new(issuer));
        }
        let issuer = app.ca.clone().context("the demo CA vanished")?;
        let accounts = demo::load(app.store().as_ref(), issuer.as_ref(), app.now()).await?;
        demo::print_accounts(&args.listen, &accounts);
    }
    if let Some(tsa) = &app.tsa {
        tracing::info!(tsa = %tsa.host(), "the portal's PDF signatures are timestamped (B-T)");
    }
    if app.ca.is_none() {
        tracing::warn!(
            "no CA yet (`certdesk ca init`): signed applications wait for their certificate"
        );
    }
    tracing::info!(
        metrics = if metrics_token.is_some() {
            "bearer token"
        } else {
            "open"
        },
        "certdesk serves http://{address}/"
    );
    // A plain line for whoever started it; a log collector reading JSON gets only JSON.
    if log_format == LogFormat::Text {
        eprintln!("certdesk: http://{address}/");
    }
    // Every server takes background jobs; the store hands each to exactly one.
    let worker = WorkerConfig {
        expire_after: chrono::Duration::days(i64::from(args.expire_after_days)),
        lease: chrono::Duration::seconds(i64::from(args.job_lease_seconds)),
        ..Default::default()
    };
    app.spawn_worker(worker, mailer);
    let web = certdesk_web::WebConfig {
        secure_cookies: behind_tls(args.secure_cookies, &public_url),
        metrics_token,
    };
    let mut router = certdesk_web::router(app, web);
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
                &args.registry_client_id,
                &args.registry_client_secret,
            ),
        );
    }
    certdesk_web::serve_router(listener, router).await?;
    Ok(())
}

/// Whether users reach this server over TLS: said so, or implied by the public address (a TLS
/// proxy in front of a plain-HTTP listener; the browser sees https).
fn behind_tls(secure_cookies: bool, public_url: &str) -> bool {
    secure_cookies
        || public_url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// The installation, with the errors worded for the operator: what `build` says of the CA (a
/// KEK missing or wrong, a token not opened) as it is, anything else as the database's.
async fn build(config: Config) -> anyhow::Result<App> {
    let database_url = config.database_url.clone();
    match certdesk_app::build(config).await {
        Ok(app) => Ok(app),
        Err(error @ AppError::Configuration(_)) => Err(error.into()),
        Err(error) => {
            Err(anyhow::Error::new(error).context(crate::cannot_open_database(&database_url)))
        }
    }
}

fn mailer(
    smtp: Option<String>,
    mail_from: Option<String>,
) -> anyhow::Result<Option<Arc<dyn Mailer>>> {
    match (smtp, mail_from) {
        (Some(smtp), Some(from)) => {
            let mailer = SmtpMailer::new(&smtp, &from).context("--smtp / --mail-from")?;
            tracing::info!("emails are delivered through {}", mailer.relay());
            Ok(Some(Arc::new(mailer)))
        }
        (Some(_), None) => bail!("--smtp needs --mail-from (or CERTDESK_MAIL_FROM)"),
        (None, _) => {
            tracing::warn!(
                "no --smtp: emails are not sent; they stay in the outbox until certdesk runs \
                 with an SMTP server"
            );
            Ok(None)
        }
    }
}

/// Outside the demo the registries are reached over TLS only: the client secret, the login's
/// codes and PKCE verifiers and the people's data cross that connection. The demo's registry is
/// the local one, over http on loopback.
fn require_https(url: &str, demo: bool) -> anyhow::Result<()> {
    let https = url
        .trim()
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
    if demo || https {
        return Ok(());
    }
    // The URL itself is not repeated: it may carry credentials.
    bail!(
        "--registry-url: η διεύθυνση των μητρώων πρέπει να είναι https:// (http:// μόνο με \
         --demo) / the registry URL must be https:// unless --demo is given: the client secret, \
         the login codes and the people's data must not cross the network unencrypted"
    )
}

/// A read replica follows a PostgreSQL primary, and is one itself.
fn check_read_db(primary: &str, replica: &str) -> anyhow::Result<()> {
    let postgres = |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !postgres(primary) {
        bail!(
            "--read-db: αντίγραφο ανάγνωσης υπάρχει μόνο για βάση PostgreSQL (--db postgres://…) \
             / a read replica needs a PostgreSQL primary (--db postgres://…): the SQLite file \
             already serves its reads beside its writer"
        );
    }
    if !postgres(replica) {
        // The URL itself is not repeated: it may carry a password.
        bail!(
            "--read-db: η διεύθυνση του αντιγράφου πρέπει να είναι postgres://… / the replica's \
             URL must be postgres://…"
        );
    }
    Ok(())
}

/// The registries at `url`, if one is given. The local registry, like the real services,
/// answers both: the tax registry (login, lookups) and the Police ID-card registry at the same
/// base address.
fn registries(
    url: Option<String>,
    client_id: &str,
    client_secret: &str,
) -> anyhow::Result<Registries> {
    let Some(url) = url else {
        return Ok(Registries::default());
    };
    let config =
        certdesk_registry::RegistryConfig::new(url, client_id.to_owned(), client_secret.to_owned());
    let tax = certdesk_registry::HttpTaxRegistry::new(&config).context("--registry-url")?;
    let police = certdesk_registry::HttpPoliceRegistry::new(&config).context("--registry-url")?;
    Ok(Registries {
        tax: Some(Arc::new(tax)),
        police: Some(Arc::new(police)),
    })
}

#[cfg(test)]
mod tests {
    use super::behind_tls;

    #[test]
    fn an_https_public_address_means_tls() {
        assert!(behind_tls(true, "http://127.0.0.1:8080"));
        assert!(behind_tls(false, "https://certdesk.example.gr"));
        assert!(behind_tls(false, "HTTPS://certdesk.example.gr"));
        assert!(!behind_tls(false, "http://127.0.0.1:8080"));
        assert!(!behind_tls(false, "httpsx"));
    }
}
