//! The peer of `bench-http`'s issuance row: Debian's `golang-cfssl`, issuing through its HTTP API
//! (`POST /api/v1/cfssl/newcert`, an ECDSA P-256 key made per certificate) into its certificate
//! database, a SQLite file in WAL mode, as its documentation sets it up. It keeps no history, no
//! sealed key and sends no email: it is what a team might run instead, not the same work.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::bench_http::{drive, percentile};
use crate::bench_server::peak_rss_mib_of;

/// cfssl's certificate database (its `certdb/sqlite` migration, which the package does not ship).
const CERTDB_TABLES: [&str; 2] = [
    "CREATE TABLE certificates (serial_number BLOB NOT NULL, \
     authority_key_identifier BLOB NOT NULL, ca_label BLOB, status BLOB NOT NULL, reason INT, \
     expiry TIMESTAMP, revoked_at TIMESTAMP, pem BLOB NOT NULL, \
     PRIMARY KEY (serial_number, authority_key_identifier))",
    "CREATE TABLE ocsp_responses (serial_number BLOB NOT NULL, \
     authority_key_identifier BLOB NOT NULL, body BLOB NOT NULL, expiry TIMESTAMP, \
     PRIMARY KEY (serial_number, authority_key_identifier))",
];

pub struct Cfssl {
    child: Child,
    pub base: String,
    database: PathBuf,
}

/// Whether `cfssl` can be run here.
pub fn installed() -> bool {
    Command::new("cfssl")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `cfssl version`'s first line's version (`1.2.0`, say).
pub fn version() -> String {
    Command::new("cfssl")
        .arg("version")
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            let line = text.lines().next()?.to_owned();
            Some(line.rsplit(' ').next().unwrap_or(&line).to_owned())
        })
        .unwrap_or_else(|| "?".to_owned())
}

impl Cfssl {
    /// A CA of its own (`cfssl gencert -initca`), its database, and `cfssl serve` on `port`.
    pub async fn start(work_dir: &Path, port: u16) -> anyhow::Result<Cfssl> {
        let dir = work_dir.join("cfssl");
        std::fs::create_dir_all(&dir)?;
        let csr = dir.join("ca-csr.json");
        std::fs::write(
            &csr,
            r#"{"CN":"Bench CA","key":{"algo":"ecdsa","size":256},"names":[{"C":"GR","O":"certdesk bench"}]}"#,
        )?;
        let made = Command::new("cfssl")
            .args(["gencert", "-initca"])
            .arg(&csr)
            .stderr(Stdio::null())
            .output()
            .context("cannot run cfssl gencert")?;
        anyhow::ensure!(made.status.success(), "cfssl gencert -initca failed");
        let made: serde_json::Value = serde_json::from_slice(&made.stdout)?;
        for (field, file) in [("cert", "ca.pem"), ("key", "ca-key.pem")] {
            let pem = made[field].as_str().context("cfssl gave no CA")?;
            std::fs::write(dir.join(file), pem)?;
        }

        let database = dir.join("certs.db");
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&format!(
            "sqlite://{}",
            database.display()
        ))?
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let pool = sqlx::SqlitePool::connect_with(options).await?;
        for table in CERTDB_TABLES {
            sqlx::query(table).execute(&pool).await?;
        }
        pool.close().await;
        let db_config = dir.join("db.json");
        std::fs::write(
            &db_config,
            serde_json::json!({"driver": "sqlite3", "data_source": database}).to_string(),
        )?;

        let mut child = Command::new("cfssl")
            .args(["serve", "-address", "127.0.0.1", "-port", &port.to_string()])
            .arg("-ca")
            .arg(dir.join("ca.pem"))
            .arg("-ca-key")
            .arg(dir.join("ca-key.pem"))
            .arg("-db-config")
            .arg(&db_config)
            .args(["-loglevel", "3"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("serve.log"))?)
            .spawn()
            .context("cannot start cfssl serve")?;
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait()? {
                anyhow::bail!("cfssl serve stopped ({status}) before listening");
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(30),
                "cfssl serve did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Cfssl {
            child,
            base,
            database,
        })
    }

    /// One certificate with a new P-256 key, as a client asks for it.
    pub async fn new_certificate(&self, client: &reqwest::Client, n: usize) -> anyhow::Result<()> {
        let answer: serde_json::Value = client
            .post(format!("{}/api/v1/cfssl/newcert", self.base))
            .json(&serde_json::json!({"request": {
                "CN": format!("Υπάλληλος {n}"),
                "key": {"algo": "ecdsa", "size": 256},
                "names": [{"C": "GR", "O": "Φορέας μέτρησης", "OU": "Τμήμα"}],
            }}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        anyhow::ensure!(answer["success"] == true, "cfssl refused: {answer}");
        Ok(())
    }

    /// How many certificates its database holds.
    pub async fn stored(&self) -> anyhow::Result<i64> {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&format!(
            "sqlite://{}",
            self.database.display()
        ))?
        .read_only(true);
        let pool = sqlx::SqlitePool::connect_with(options).await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM certificates")
            .fetch_one(&pool)
            .await?;
        pool.close().await;
        Ok(count)
    }

    pub fn peak_rss_mib(&self) -> Option<f64> {
        peak_rss_mib_of(&format!("/proc/{}/status", self.child.id()))
    }
}

impl Drop for Cfssl {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What cfssl did in the same run.
pub struct CfsslRun {
    pub version: String,
    pub stored: i64,
    pub rate: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub peak_rss_mib: Option<f64>,
}

/// cfssl issuing `count` certificates through its HTTP API, 16 clients; its files in `work_dir`.
pub async fn run(
    work_dir: &Path,
    client: &reqwest::Client,
    count: usize,
) -> anyhow::Result<CfsslRun> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let peer = std::sync::Arc::new(Cfssl::start(work_dir, port).await?);
    eprintln!("cfssl issuing {count} certificates at {} …", peer.base);
    let (latencies, elapsed) = {
        let (peer, client) = (peer.clone(), client.clone());
        drive(16, count, move |i| {
            let (peer, client) = (peer.clone(), client.clone());
            async move { peer.new_certificate(&client, i).await }
        })
        .await?
    };
    let stored = peer.stored().await?;
    anyhow::ensure!(
        stored as usize == latencies.len(),
        "cfssl answered {} certificates but stored {stored}",
        latencies.len()
    );
    Ok(CfsslRun {
        version: version(),
        stored,
        rate: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
        peak_rss_mib: peer.peak_rss_mib(),
    })
}
