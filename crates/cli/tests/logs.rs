//! The binary's logs for a log collector (issue 12, part 8): `--log-format json` (or
//! `CERTDESK_LOG_FORMAT=json`) writes one JSON object a line on standard error, and no secret
//! that crossed the server (a bearer token, a link's token in a query) reaches them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

const METRICS_TOKEN: &str = "metrics-token-never-logged-0123";
const LINK_TOKEN: &str = "link-token-never-logged-4567";

/// A `certdesk serve` whose standard error is read line by line.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(args: &[&str], envs: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_certdesk"))
            .args(args)
            .envs(envs.iter().copied())
            .env_remove("CERTDESK_DB")
            .env_remove("CERTDESK_LISTEN")
            .env_remove("CERTDESK_METRICS_TOKEN")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("certdesk serve starts");
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Server {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads lines until one satisfies `wanted`; returns it.
    fn wait_for(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!("no such line within 60 s; seen:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Stops the server and returns every line it wrote.
    fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The pipe is closed: the reader ends once it has passed on what was written.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(10)) {
            self.seen.push(line);
        }
        std::mem::take(&mut self.seen)
    }
}

fn json(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"))
}

/// The server's address, from its «serves» line.
fn address(line: &Value) -> String {
    let message = line["message"].as_str().unwrap();
    let start = message
        .find("http://")
        .expect("the address is in the message");
    message[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned()
}

#[tokio::test]
async fn serve_with_log_format_json_writes_json_lines_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("certdesk.db").display());
    let mut server = Server::start(
        &[
            "serve",
            "--log-format",
            "json",
            "--listen",
            "127.0.0.1:0",
            "--db",
            &db,
            "--metrics-token",
            METRICS_TOKEN,
        ],
        // Requests logged too, with their spans.
        &[(
            "CERTDESK_LOG",
            "certdesk=info,certdesk_web=debug,tower_http=debug,warn",
        )],
    );
    let serves = json(&server.wait_for(|line| line.contains("certdesk serves")));
    assert_eq!(serves["level"], "INFO");
    assert_eq!(serves["target"], "certdesk::serve");
    assert_eq!(
        serves["metrics"], "bearer token",
        "the event's fields, flattened"
    );
    assert!(serves["timestamp"].is_string(), "{serves}");
    let base = address(&serves);

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metrics = client
        .get(format!("{base}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let start = client
        .get(format!("{base}/portal/start?token={LINK_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert!(!start.status().is_server_error(), "{}", start.status());
    server.wait_for(|line| line.contains("/portal/start") && line.contains("finished"));

    let lines = server.stop();
    assert!(lines.len() >= 3, "{lines:#?}");
    let mut request_paths = Vec::new();
    for line in &lines {
        // Every line is JSON: the plain «certdesk: http://…» line is for text logs only.
        let event = json(line);
        assert!(
            event["level"].is_string() && event["target"].is_string(),
            "{line}"
        );
        if let Some(path) = event["span"]["path"].as_str() {
            request_paths.push(path.to_owned());
        }
        for secret in [METRICS_TOKEN, LINK_TOKEN] {
            assert!(!line.contains(secret), "a secret in the logs: {line}");
        }
    }
    assert!(
        request_paths.iter().any(|p| p == "/metrics")
            && request_paths.iter().any(|p| p == "/portal/start"),
        "each request's span names its path: {request_paths:?}"
    );
}

#[test]
fn the_environment_chooses_json_and_a_failure_is_logged_as_json_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("certdesk.db").display());
    // A listen address that cannot be bound: the server warns (no --smtp), then stops.
    let output = Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .args(["serve", "--listen", "127.0.0.1:not-a-port", "--db", &db])
        .env("CERTDESK_LOG_FORMAT", "json")
        .env_remove("CERTDESK_LOG")
        .env_remove("CERTDESK_LISTEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let events: Vec<Value> = stderr.lines().map(json).collect();
    assert!(
        events
            .iter()
            .any(|e| e["level"] == "WARN" && e["message"].as_str().unwrap().contains("--smtp")),
        "{stderr}"
    );
    let last = events.last().expect("the failure is logged");
    assert_eq!(last["level"], "ERROR", "{stderr}");
    assert!(
        last["error"].as_str().unwrap().contains("cannot listen on"),
        "{stderr}"
    );
}
