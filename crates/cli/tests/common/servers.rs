//! The servers under test: real `certdesk serve` processes on one database, with their logs.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration as StdDuration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{ADMIN_USERNAME, PASSWORD};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

pub struct Server {
    pub name: &'static str,
    base: String,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// Starts `certdesk serve` on `db` and a free port, its log written to `log`; does not wait
    /// for it to answer (see [`Server::wait_until_up`]).
    pub fn spawn(name: &'static str, db: &str, extra: &[&str], log: PathBuf) -> Server {
        let listen = format!("127.0.0.1:{}", free_port());
        let stderr = File::create(&log).unwrap();
        let stdout = stderr.try_clone().unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_certdesk"))
            .args(["serve", "--db", db, "--listen", &listen])
            .args(extra)
            .env_remove("CERTDESK_DB")
            .env_remove("CERTDESK_LISTEN")
            .env_remove("CERTDESK_EXPIRE_AFTER_DAYS")
            .env(
                "CERTDESK_LOG",
                "certdesk=info,certdesk_web=info,certdesk_app=info,certdesk_store=info,warn",
            )
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("certdesk serve starts");
        Server {
            name,
            base: format!("http://{listen}"),
            child,
            log,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn log(&self) -> String {
        let raw = std::fs::read_to_string(&self.log).unwrap_or_default();
        strip_ansi(&raw)
    }

    /// Waits until the server answers `/healthz`; fails the test if it exits or takes 30 s.
    pub async fn wait_until_up(&mut self, client: &reqwest::Client) {
        let deadline = Instant::now() + StdDuration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "server {} exited ({status}) before answering:\n{}",
                    self.name,
                    self.log()
                );
            }
            let healthy = match client.get(format!("{}/healthz", self.base)).send().await {
                Ok(response) => response.status() == StatusCode::OK,
                Err(_) => false,
            };
            if healthy {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "server {} did not answer /healthz within 30 s:\n{}",
                self.name,
                self.log()
            );
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
    }

    /// Waits for a server that must stop by itself (a refused start); fails the test if it
    /// still runs after `limit`.
    pub fn wait_for_exit(&mut self, limit: StdDuration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server {} still runs after {limit:?}:\n{}",
                self.name,
                self.log()
            );
            std::thread::sleep(StdDuration::from_millis(50));
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no shutdown, no flush, no goodbye.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Several `certdesk serve` processes, killed when the guard goes, panic or not.
pub struct Servers {
    pub servers: Vec<Server>,
    _logs: tempfile::TempDir,
}

impl Servers {
    /// Starts one server per name on `db` at once and waits until each answers `/healthz`.
    pub async fn start(names: &[&'static str], db: &str, extra: &[&str]) -> Servers {
        let logs = tempfile::tempdir().unwrap();
        let mut servers: Vec<Server> = names
            .iter()
            .map(|name| {
                let log = logs.path().join(format!("server-{name}.log"));
                Server::spawn(name, db, extra, log)
            })
            .collect();
        let client = reqwest::Client::builder()
            .timeout(StdDuration::from_secs(2))
            .build()
            .unwrap();
        for server in &mut servers {
            server.wait_until_up(&client).await;
        }
        Servers {
            servers,
            _logs: logs,
        }
    }

    pub fn base(&self, index: usize) -> &str {
        self.servers[index].base()
    }

    /// Every server is still running and answers `/healthz`.
    pub async fn assert_all_up(&mut self, client: &reqwest::Client) {
        for server in &mut self.servers {
            assert!(
                server.is_running(),
                "server {} stopped:\n{}",
                server.name,
                server.log()
            );
            let response = client
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                .unwrap_or_else(|e| panic!("server {} does not answer: {e}", server.name));
            assert_eq!(response.status(), StatusCode::OK, "server {}", server.name);
        }
    }
}

/// A client for the servers under test (30 s per request).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(StdDuration::from_secs(30))
        .build()
        .unwrap()
}

/// The employee's card (`GET /api/v1/employees/{id}`) as `base` answers it; must be 200.
pub async fn card(client: &reqwest::Client, base: &str, token: &str, employee_id: i64) -> Value {
    let response = client
        .get(format!("{base}/api/v1/employees/{employee_id}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "card on {base}");
    response.json().await.unwrap()
}

/// The installation's ΔΨΠ logs in to the API on `base`; returns the bearer token.
pub async fn login(client: &reqwest::Client, base: &str) -> String {
    let response = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": ADMIN_USERNAME, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "login on {base}");
    let body: Value = response.json().await.unwrap();
    body["token"]
        .as_str()
        .expect("the login answer has a token")
        .to_owned()
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-byte
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
