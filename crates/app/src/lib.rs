//! The use cases of certdesk. A use case reads through the store, lets the domain decide, and
//! stores the decision; it knows nothing of HTTP. The web layer and the CLI call these, and
//! [`build`] wires one installation for both `certdesk serve` and the test suites, so that the
//! tests exercise the wiring the product runs.
//!
//! What a caller may reach is decided by who they are: [`admin::Administrator`] (a ΔΨΠ, limited to
//! their organisations) and [`portal::Beneficiary`] (a logged-in employee, limited to their own
//! application) are handed out only by authentication, and each carries its scope; the web layer
//! never builds a scope of its own.

pub mod account;
pub mod admin;
pub mod audit;
pub mod ca;
pub mod clock;
pub mod csc;
pub mod error;
pub mod import;
pub mod mail;
pub mod metrics;
pub mod operator;
pub mod pades;
pub mod pki;
pub mod portal;
pub mod secrets;
pub mod signer;
pub mod timestamp;
pub mod tokens;
pub mod worker;
pub mod workflow;

use std::sync::Arc;

use certdesk_ca::{CaIssuer, KeyEncryptionKey, TokenConfig};
use certdesk_registry::{PoliceRegistry, TaxRegistry};
use certdesk_store::{Store, StoreOptions};

pub use clock::Clock;
pub use error::{AppError, AppResult};

/// How an installation is wired (what `certdesk serve` reads from its flags).
#[derive(Default)]
pub struct Config {
    /// `sqlite://FILE` or `postgres://…`.
    pub database_url: String,
    /// A read replica of a PostgreSQL `database_url` (`postgres://…`): the employee search
    /// reads it; whatever decides reads the primary.
    pub read_database_url: Option<String>,
    /// The address users reach certdesk at (e.g. `https://certdesk.example.gr`): the emails
    /// link to its `/portal`, and the tax registry sends beneficiaries back to its
    /// `/portal/callback`. Without it, the portal uses the request's host.
    pub public_url: Option<String>,
    /// A window after the signature in which a ΔΨΠ can still cancel (zero: issued at once).
    pub issuance_delay: chrono::Duration,
    /// How long a console session, an API token or a portal session lasts.
    pub session_hours: i64,
    /// The key-encryption key that opens the CA (and seals the beneficiaries' keys and TOTP
    /// secrets), and the PKCS#11 token holding the CA's keys, if any.
    pub kek: Option<KeyEncryptionKey>,
    pub token: Option<TokenConfig>,
    pub registries: Registries,
    /// The time-stamping authority (`http://…`) that gives the portal's PDF signatures a
    /// signature timestamp (PAdES B-T); without it they are B-B.
    pub tsa_url: Option<String>,
}

/// The external registries; without them the magnifier reads certdesk's own records and the
/// portal cannot log anyone in.
#[derive(Clone, Default)]
pub struct Registries {
    pub tax: Option<Arc<dyn TaxRegistry>>,
    pub police: Option<Arc<dyn PoliceRegistry>>,
}

/// One installation: its store, its CA (none before `certdesk ca init`), its registries and its
/// clock. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    pub clock: Clock,
    pub settings: Settings,
    pub registries: Registries,
    /// The open CA: it issues, signs the CRL and OCSP responses, and its KEK seals secrets.
    pub ca: Option<Arc<CaIssuer>>,
    /// The time-stamping authority of the portal's PDF signatures (B-T), if one is configured.
    pub tsa: Option<timestamp::Tsa>,
    /// What `/metrics` exposes (see [`metrics`]).
    metrics: metrics::Metrics,
}

/// The settings the use cases read.
#[derive(Debug, Clone)]
pub struct Settings {
    pub public_url: Option<String>,
    pub session_hours: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: None,
            session_hours: 8,
        }
    }
}

/// Connects to the database (migrating it), opens the CA if there is one, and returns the
/// installation. A CA whose KEK is missing or wrong stops it: a server must not start half-able.
pub async fn build(config: Config) -> Result<App, AppError> {
    let options = StoreOptions {
        portal_url: config
            .public_url
            .as_ref()
            .map(|url| format!("{}/portal", url.trim_end_matches('/'))),
        issuance_delay: config.issuance_delay,
        read_replica_url: config.read_database_url,
    };
    let store = certdesk_store::connect_with(&config.database_url, options).await?;
    let issuer = ca::open(store.as_ref(), config.kek, config.token.as_ref()).await?;
    let mut app = App::new(store);
    app.settings.public_url = config.public_url;
    if config.session_hours > 0 {
        app.settings.session_hours = config.session_hours;
    }
    app.registries = config.registries;
    app.ca = issuer.map(Arc::new);
    app.tsa = config
        .tsa_url
        .as_deref()
        .map(timestamp::Tsa::new)
        .transpose()?;
    Ok(app)
}

impl App {
    /// An installation over an open store, with the system clock and nothing else.
    pub fn new(store: Arc<dyn Store>) -> App {
        App {
            store,
            clock: Clock::system(),
            settings: Settings::default(),
            registries: Registries::default(),
            ca: None,
            tsa: None,
            metrics: metrics::Metrics::default(),
        }
    }

    /// The whole store, unscoped: for the operator's commands (the CLI), the background worker
    /// and the tests. The web layer reaches data only through an [`admin::Administrator`] or a
    /// [`portal::Beneficiary`].
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

impl App {
    /// Starts this server's background worker (jobs, issuance with this server's CA, sweeps, and
    /// the delivery of the outbox through `mailer`), until the runtime stops.
    pub fn spawn_worker(
        &self,
        mut config: worker::WorkerConfig,
        mailer: Option<Arc<dyn mail::Mailer>>,
    ) -> tokio::task::JoinHandle<()> {
        if config.issuer.is_none() {
            config.issuer = self.ca.clone().map(|ca| worker::Issuing(ca as Arc<_>));
        }
        config.metrics = self.metrics.clone();
        let clock = self.clock.clone();
        tokio::spawn(worker::run(self.store.clone(), config, mailer, move || {
            clock.now()
        }))
    }
}
