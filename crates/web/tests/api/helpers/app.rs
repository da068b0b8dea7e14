//! The app under test: a real server on a random port over a fresh database.

use std::sync::Arc;

use certdesk_app::App;
use certdesk_app::worker::{Issuing, WorkerConfig};
use certdesk_store::Store;
use certdesk_testkit::StoreProbe;
use certdesk_web::{ServeLimits, WebConfig};
use chrono::Utc;

use super::{Admin, ca_at, test_ca, test_ca_record};
use crate::backend::{TestDatabase, backend};

pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    /// The installation the server runs, as `certdesk_app::build` wired it (a clone: it shares
    /// the server's store; changes to it after the spawn do not reach the server).
    pub app: App,
    /// The installation's store, unscoped (`app.store()`).
    pub store: Arc<dyn Store>,
    /// Reads in the test's database what the store offers no method for.
    pub probe: StoreProbe,
    /// Follows no redirects, so that tests see the 303s themselves.
    pub client: reqwest::Client,
    /// The organisation of `admin`.
    pub org_id: i64,
    pub admin: Admin,
    /// The test's own database (a SQLite file, or a PostgreSQL database dropped with the app).
    pub database: TestDatabase,
    /// Served as behind TLS: cookies are `__Host-` prefixed (see `cookie_name`).
    pub secure: bool,
}

/// How the server is served: the web layer's configuration and the transport's limits.
#[derive(Clone, Default)]
pub struct Serving {
    pub web: WebConfig,
    pub limits: ServeLimits,
    /// A CA of this server's own, whose certificates' OCSP and CRL addresses are this server's
    /// (the test CA's are not): for relying parties that check revocation online.
    pub own_ca: bool,
    /// The time-stamping authority of the portal's PDF signatures (`--tsa-url`).
    pub tsa_url: Option<String>,
}

impl Serving {
    /// As `certdesk serve --secure-cookies` (behind a TLS proxy).
    pub fn secure() -> Self {
        Serving {
            web: WebConfig {
                secure_cookies: true,
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// As `spawn_app`, with the installation adjusted before the server starts (a registry
/// connector, no CA, another clock).
pub async fn spawn_app_with(configure: impl FnOnce(&mut App)) -> TestApp {
    spawn_app_with_config(|_| {}, configure).await
}

/// As `spawn_app_with`, with the installation's configuration adjusted before it is built (e.g.
/// an issuance delay).
pub async fn spawn_app_with_config(
    adjust: impl FnOnce(&mut certdesk_app::Config),
    configure: impl FnOnce(&mut App),
) -> TestApp {
    spawn_app_serving(Serving::default(), adjust, configure).await
}

/// As `spawn_app_with_config`, served with another web configuration or other limits.
pub async fn spawn_app_serving(
    serving: Serving,
    adjust: impl FnOnce(&mut certdesk_app::Config),
    configure: impl FnOnce(&mut App),
) -> TestApp {
    let database = TestDatabase::create().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a random port");
    let address = format!("http://{}", listener.local_addr().unwrap());
    // Wired as `certdesk serve` wires it: the emails link to this server's portal, and the tax
    // registry sends beneficiaries back to it.
    let mut config = certdesk_app::Config {
        database_url: database.url().to_owned(),
        public_url: Some(address.clone()),
        tsa_url: serving.tsa_url.clone(),
        ..Default::default()
    };
    adjust(&mut config);
    let mut app = certdesk_app::build(config)
        .await
        .unwrap_or_else(|e| panic!("build the installation on the {:?} store: {e}", backend()));
    // As `certdesk ca init` leaves it: the CA stored, and open in the server.
    let (ca, record) = if serving.own_ca {
        ca_at(&address)
    } else {
        (test_ca(), test_ca_record())
    };
    app.store().save_authority(&record).await.unwrap();
    app.ca = Some(ca);
    configure(&mut app);
    let store = app.store().clone();
    let probe = StoreProbe::new(database.url());
    let secure = serving.web.secure_cookies;
    let router = certdesk_web::router(app.clone(), serving.web);
    // Served as `certdesk serve` serves (limits, ConnectInfo), without taking the test
    // process's Ctrl-C.
    tokio::spawn(certdesk_web::serve_router_until(
        listener,
        router,
        serving.limits,
        std::future::pending(),
    ));

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let org = store
        .create_organisation("MINDIGITAL", "Υπουργείο Ψηφιακής Διακυβέρνησης", Utc::now())
        .await
        .unwrap();
    let mut test_app = TestApp {
        address,
        app,
        store,
        probe,
        client,
        org_id: org.id,
        admin: Admin {
            id: 0,
            username: String::new(),
            full_name: String::new(),
        },
        database,
        secure,
    };
    test_app.admin = test_app
        .add_admin(org.id, "dpp@mindigital.gr", "Μαρία Κωνσταντίνου")
        .await;
    test_app
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The name cookie `base` has on the wire for this server.
    pub fn cookie_name(&self, base: &str) -> String {
        certdesk_web::cookies::name(base, self.secure)
    }

    /// The background worker as `App::spawn_worker` sets it up for this installation: issuing
    /// with the CA its server has open (none when the test took it away).
    pub fn issuing_worker(&self) -> WorkerConfig {
        WorkerConfig {
            issuer: self.app.ca.clone().map(|ca| Issuing(ca)),
            ..Default::default()
        }
    }
}
