//! The servers under test: real `certdesk serve` processes on one database, with their logs.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration as StdDuration, Instant};

use reqwest::StatusCode;

use crate::SERVER_NAMES;

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
    pub fn log(&self) -> String {
        let raw = std::fs::read_to_string(&self.log).unwrap_or_default();
        strip_ansi(&raw)
    }
}

/// Three (or any number of) `certdesk serve` processes, killed when the guard goes, panic or not.
pub struct Servers {
    pub servers: Vec<Server>,
    _logs: tempfile::TempDir,
}

impl Drop for Servers {
    fn drop(&mut self) {
        for server in &mut self.servers {
            let _ = server.child.kill();
            let _ = server.child.wait();
        }
    }
}

impl Servers {
    /// Starts the three servers on `db` at once and waits until each answers `/healthz`.
    pub async fn start(db: &str, extra: &[&str]) -> Servers {
        let logs = tempfile::tempdir().unwrap();
        let mut servers = Servers {
            servers: Vec::new(),
            _logs: logs,
        };
        for name in SERVER_NAMES {
            let listen = format!("127.0.0.1:{}", free_port());
            let log = servers._logs.path().join(format!("server-{name}.log"));
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
            servers.servers.push(Server {
                name,
                base: format!("http://{listen}"),
                child,
                log,
            });
        }
        let client = reqwest::Client::builder()
            .timeout(StdDuration::from_secs(2))
            .build()
            .unwrap();
        let deadline = Instant::now() + StdDuration::from_secs(30);
        for server in &mut servers.servers {
            loop {
                if let Some(status) = server.child.try_wait().unwrap() {
                    panic!(
                        "server {} exited ({status}) before answering:\n{}",
                        server.name,
                        server.log()
                    );
                }
                let healthy = match client.get(format!("{}/healthz", server.base)).send().await {
                    Ok(response) => response.status() == StatusCode::OK,
                    Err(_) => false,
                };
                if healthy {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "server {} did not answer /healthz within 30 s:\n{}",
                    server.name,
                    server.log()
                );
                tokio::time::sleep(StdDuration::from_millis(100)).await;
            }
        }
        servers
    }

    pub fn base(&self, index: usize) -> &str {
        &self.servers[index].base
    }

    /// Every server is still running and answers `/healthz`.
    pub async fn assert_all_up(&mut self, client: &reqwest::Client) {
        for server in &mut self.servers {
            assert!(
                server.child.try_wait().unwrap().is_none(),
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
