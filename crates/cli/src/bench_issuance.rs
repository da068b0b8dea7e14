//! `bench-http`'s issuance rows: certdesk's issuance job as the server runs it (its job loop, in
//! batches, with the CA the installation holds), watched through the server's `/metrics`, and
//! cfssl in the same run (`bench_cfssl`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use certdesk_domain::Actor;
use certdesk_store::{ApplicationContact, Store};

use crate::signing::MadeUpSigning;

/// Clients that make the applications awaiting issuance (their commits share transactions).
const MAKERS: usize = 16;
/// How often the server's counter is read while it issues.
const WATCH_EVERY: Duration = Duration::from_millis(10);
/// An issuance run that stops moving for this long has failed.
const STALLED: Duration = Duration::from_secs(60);

/// An installation's CA, made in `store` and sealed with a new key-encryption key; the key's hex
/// form, for the server (`CERTDESK_KEK`).
pub async fn make_ca(store: &dyn Store) -> anyhow::Result<String> {
    let (kek, hex) = certdesk_ca::KeyEncryptionKey::generate();
    let sealed = certdesk_ca::authority::create(
        &certdesk_ca::CaSettings::new("http://pki.bench.example.gr"),
        &kek,
        chrono::Utc::now(),
    )?;
    store
        .save_authority(&certdesk_app::ca::to_record(&sealed))
        .await?;
    Ok(hex.to_string())
}

/// Drives an application of each of `employees` through the domain's rules to «awaiting
/// issuance» (its issuance job queued), `MAKERS` at once.
pub async fn signed_applications(
    store: Arc<dyn Store>,
    admin: &Actor,
    employees: Vec<i64>,
    contact: &ApplicationContact,
) -> anyhow::Result<usize> {
    const PASSWORD: &str = "bench-signing-password";
    let hash = certdesk_app::tokens::hash_password(PASSWORD);
    let signing =
        Arc::new(tokio::task::spawn_blocking(move || MadeUpSigning::new(PASSWORD, hash)).await?);
    let employees = Arc::new(employees);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut makers = Vec::new();
    for _ in 0..MAKERS {
        let (store, admin, contact) = (store.clone(), admin.clone(), contact.clone());
        let (signing, employees, next) = (signing.clone(), employees.clone(), next.clone());
        makers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&employee) = employees.get(i) else {
                    return anyhow::Ok(());
                };
                crate::bench::signed_application(
                    store.as_ref(),
                    &admin,
                    employee,
                    &contact,
                    &signing,
                )
                .await?;
            }
        }));
    }
    for maker in makers {
        maker.await??;
    }
    Ok(employees.len())
}

/// The server's count of issuances (`certdesk_issuances_total` of `/metrics`).
async fn issuances(client: &reqwest::Client, base: &str) -> anyhow::Result<u64> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let line = text
        .lines()
        .find(|l| l.starts_with("certdesk_issuances_total"))
        .context("/metrics has no certdesk_issuances_total")?;
    let value: f64 = line
        .rsplit(' ')
        .next()
        .context("certdesk_issuances_total has no value")?
        .parse()?;
    Ok(value as u64)
}

/// Watches the server issue `count` certificates; the rate between the first reading that saw
/// some and the one that saw them all (the server's start is not counted), or none when they
/// were all issued before a second reading.
pub async fn watch_issuances(
    client: &reqwest::Client,
    base: &str,
    count: u64,
) -> anyhow::Result<Option<f64>> {
    let mut first: Option<(Instant, u64)> = None;
    let (mut last, mut moved_at) = (0, Instant::now());
    loop {
        let now = issuances(client, base).await?;
        let at = Instant::now();
        if now > last {
            (last, moved_at) = (now, at);
        }
        if first.is_none() && now > 0 {
            first = Some((at, now));
        }
        if now >= count {
            let (since, seen) = first.unwrap_or((at, now));
            let elapsed = at.duration_since(since).as_secs_f64();
            return Ok((elapsed > 0.0).then(|| (now - seen) as f64 / elapsed));
        }
        anyhow::ensure!(
            moved_at.elapsed() < STALLED,
            "the server issued {last} of {count}, then nothing for {STALLED:?}"
        );
        tokio::time::sleep(WATCH_EVERY).await;
    }
}
