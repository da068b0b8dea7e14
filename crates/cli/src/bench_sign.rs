//! `certdesk bench-sign`: signatures through the CSC API's `signatures/signHash` over HTTP, the
//! way a signing client reaches them: the real server on a local port over a fresh SQLite file
//! with the demo data, concurrent clients, each signature written to the signing log before it
//! is answered; beside it, in the same run, the raw rate of the same kind of key signing in
//! process. Prints a table. Speed is measured here, never asserted in tests.
//!
//! One one-time code authorizes one SAD of at most 100 hashes, and an authenticator's code counts
//! once per 30-second step: so every issued demo holder gets an authenticator and authorizes one
//! SAD (not timed), and the timed part spends those SADs in `signHash` calls of `--batch` hashes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certdesk_domain::Status;
use certdesk_domain::otp::{OtpChannel, SigningCredentials, TotpSecret, step_at};
use certdesk_store::{EmployeeQuery, Scope, StatusFilter, Store};
use chrono::Utc;
use rand::Rng;
use sha2::{Digest, Sha256};

/// Hashes one SAD authorizes (the CSC API's limit).
const HASHES_PER_SAD: usize = 100;

pub struct SignBenchConfig {
    pub clients: usize,
    /// Hashes per `signHash` call.
    pub batch: usize,
}

/// A holder made ready: a bearer token and a SAD for its hashes.
struct Authorized {
    credential: String,
    token: String,
    sad: String,
    hashes: Vec<String>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Every issued demo holder, with a fresh authenticator secret and the demo password.
async fn holders(
    store: &dyn Store,
    issuer: &certdesk_ca::CaIssuer,
    password_hash: &str,
) -> anyhow::Result<Vec<(String, i64, TotpSecret)>> {
    let mut found = Vec::new();
    for page in 1..=20 {
        let query = EmployeeQuery {
            status: Some(StatusFilter::Is(Status::Issued)),
            page,
            per_page: 200,
            ..Default::default()
        };
        let rows = store.search_employees(&Scope::Everything, &query).await?;
        if rows.items.is_empty() {
            break;
        }
        for row in rows.items {
            let Some(employee) = store.employee(&Scope::Everything, row.id).await? else {
                continue;
            };
            let Some(id) = employee.current_application_id else {
                continue;
            };
            let Some(certificate) = store.certificate(&Scope::Everything, id).await? else {
                continue;
            };
            let Some(username) = store.reserved_username(id).await? else {
                continue;
            };
            if certificate.revoked_at.is_some() || certificate.not_after <= Utc::now() {
                continue;
            }
            let mut bytes = [0u8; TotpSecret::LEN];
            rand::rng().fill(&mut bytes);
            let secret = TotpSecret::from_bytes(bytes);
            let credentials = SigningCredentials {
                password_hash: password_hash.to_owned(),
                otp: OtpChannel::Totp {
                    secret: certdesk_app::secrets::seal(Some(&issuer.kek), id, &secret),
                    last_step: 0,
                    drift: 0,
                },
            };
            store
                .replace_signing_credentials(id, &credentials, Utc::now())
                .await?;
            found.push((username, id, secret));
        }
    }
    Ok(found)
}

async fn authorize(
    client: &reqwest::Client,
    base: &str,
    password: &str,
    (username, id, secret): &(String, i64, TotpSecret),
) -> anyhow::Result<Authorized> {
    let login: serde_json::Value = client
        .post(format!("{base}/csc/v1/auth/login"))
        .basic_auth(username, Some(password))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .context("no access_token")?
        .to_owned();
    let hashes: Vec<String> = (0..HASHES_PER_SAD)
        .map(|i| STANDARD.encode(Sha256::digest(format!("document {id} {i}"))))
        .collect();
    let code = secret.code_at(step_at(Utc::now()));
    let granted: serde_json::Value = client
        .post(format!("{base}/csc/v1/credentials/authorize"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "credentialID": id.to_string(),
            "numSignatures": HASHES_PER_SAD,
            "hash": hashes,
            "OTP": code,
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(Authorized {
        credential: id.to_string(),
        token,
        sad: granted["SAD"].as_str().context("no SAD")?.to_owned(),
        hashes,
    })
}

pub async fn run(store: Arc<dyn Store>, config: SignBenchConfig) -> anyhow::Result<()> {
    if config.batch == 0 || config.batch > HASHES_PER_SAD || config.clients == 0 {
        bail!("--batch must be 1 to {HASHES_PER_SAD}, --clients at least 1");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (kek, _) = certdesk_ca::KeyEncryptionKey::generate();
    let issuer = crate::ca_cmd::demo_issuer(store.as_ref(), kek, None, &base, Utc::now()).await?;
    eprintln!("loading the demo data …");
    let demo = crate::demo::load(store.as_ref(), &issuer, Utc::now()).await?;
    let password = demo.beneficiary.password.clone();
    let password_hash = certdesk_app::tokens::hash_password(&password);
    let holders = holders(store.as_ref(), &issuer, &password_hash).await?;

    let mut app = certdesk_app::App::new(store.clone());
    app.ca = Some(Arc::new(issuer));
    let raw_key = app.ca.clone().context("the CA")?;
    let router = certdesk_web::router(app, certdesk_web::WebConfig::default());
    tokio::spawn(certdesk_web::serve_router_until(
        listener,
        router,
        certdesk_web::ServeLimits::default(),
        std::future::pending(),
    ));

    let client = reqwest::Client::new();
    eprintln!("authorizing {} holders …", holders.len());
    let mut authorized = Vec::new();
    for holder in &holders {
        authorized.push(authorize(&client, &base, &password, holder).await?);
    }
    // The calls: each SAD's hashes in batches.
    let mut calls = Vec::new();
    for a in &authorized {
        for chunk in a.hashes.chunks(config.batch) {
            calls.push((
                a.credential.clone(),
                a.token.clone(),
                a.sad.clone(),
                chunk.to_vec(),
            ));
        }
    }
    let total_signatures: usize = calls.iter().map(|c| c.3.len()).sum();
    let queue = Arc::new(std::sync::Mutex::new(calls));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..config.clients {
        let (queue, client, base) = (queue.clone(), client.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let Some((credential, token, sad, hashes)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let at = Instant::now();
                let answer = client
                    .post(format!("{base}/csc/v1/signatures/signHash"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({
                        "credentialID": credential,
                        "SAD": sad,
                        "hash": hashes,
                        "signAlgo": "1.2.840.10045.4.3.2",
                    }))
                    .send()
                    .await?;
                if !answer.status().is_success() {
                    bail!(
                        "signHash answered {}: {}",
                        answer.status(),
                        answer.text().await?
                    );
                }
                answer.bytes().await?;
                latencies.push(at.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort();

    // The same kind of key, in process, one core.
    let sealed = store
        .sealed_key(holders[0].1)
        .await?
        .context("a holder's sealed key")?;
    let digests: Vec<[u8; 32]> = (0..2000u32)
        .map(|i| Sha256::digest(i.to_be_bytes()).into())
        .collect();
    let raw_started = Instant::now();
    certdesk_ca::remote::sign_digests(&raw_key.kek, holders[0].1, &sealed, &digests)?;
    let raw_rate = digests.len() as f64 / raw_started.elapsed().as_secs_f64();

    let rate = total_signatures as f64 / elapsed.as_secs_f64();
    println!("| what | value |");
    println!("|---|---|");
    println!(
        "| holders (one SAD of {HASHES_PER_SAD} hashes each) | {} |",
        holders.len()
    );
    println!(
        "| signHash calls × hashes per call | {} × {} |",
        latencies.len(),
        config.batch
    );
    println!("| concurrent clients | {} |", config.clients);
    println!("| signatures over HTTP, logged durably | {rate:.0}/s |");
    println!(
        "| signHash latency p50 / p99 | {:.1} ms / {:.1} ms |",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3
    );
    println!("| raw signing, same key type, in process, one core | {raw_rate:.0}/s |");
    println!("| HTTP ÷ raw | {:.2} |", rate / raw_rate);
    Ok(())
}
