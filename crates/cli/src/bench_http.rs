//! `certdesk bench-http`: the figures of issue 12 the way users reach the product, over HTTP.
//! One very large organisation beside many small ones (the demo's name generator: common
//! surnames far more often than the rest, double surnames, accents), a real `certdesk serve` in a
//! process of its own (`bench_server`), concurrent clients; beside each search, the same query
//! run on the store in the bench's process at the same concurrency (the raw query), and the ratio. Prints a Markdown table; speed is
//! measured here, never asserted in tests.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use certdesk_domain::text::{fold, query_tokens, to_latin};
use certdesk_domain::transition::start;
use certdesk_domain::validation::Email;
use certdesk_domain::{Actor, Role};
use certdesk_store::{ApplicationContact, EmployeeQuery, NewAdministrator, Scope, Store};
use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::bench_server::{ServerChild, peak_rss_mib_of};
use crate::demo::person;
use crate::demo_names::ORGANISATIONS;

pub struct HttpBenchConfig {
    /// The database, for the `certdesk import` child process.
    pub db_url: String,
    /// Where the CSV file is written.
    pub work_dir: std::path::PathBuf,
    pub employees: usize,
    /// Employees of the largest organisation (of `employees`).
    pub largest: usize,
    pub organisations: usize,
    /// Concurrent HTTP clients for the searches.
    pub clients: usize,
    /// Requests of each kind of search.
    pub queries: usize,
    /// Cancellations through the API (16 clients).
    pub cancels: usize,
    /// Certificates issued by the server's job loop, and by cfssl beside it.
    pub issues: usize,
    /// A Markdown file whose bench-http section gets the table (`bench_report`).
    pub write: Option<std::path::PathBuf>,
}

impl HttpBenchConfig {
    /// The command that measures the same again (a database URL is not shown: it may hold a
    /// password).
    fn command(&self) -> String {
        let db = match self.db_url.starts_with("postgres") {
            true => " --db postgres://…",
            false => "",
        };
        format!(
            "certdesk bench-http --employees {} --largest {} --organisations {} --clients {} \\\n  \
             --queries {} --cancels {} --issues {}{db}",
            self.employees,
            self.largest,
            self.organisations,
            self.clients,
            self.queries,
            self.cancels,
            self.issues
        )
    }
}

const PASSWORD: &str = "Bench-password-2026!";
const INSERT_CHUNK: usize = 10_000;

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// What a `certdesk import` child process took.
struct ImportRun {
    time: Duration,
    peak_rss_mib: Option<f64>,
}

/// Runs `certdesk import` (this very binary) on `csv`, reading its peak resident memory from
/// /proc while it runs (VmHWM only grows, so the last reading is the peak up to then).
fn import_child(csv: &std::path::Path, org: &str, db_url: &str) -> anyhow::Result<ImportRun> {
    let started = Instant::now();
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .arg("import")
        .arg(csv)
        .args(["--org", org, "--db", db_url])
        .stdout(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .context("cannot start certdesk import")?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = None;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if let Some(mib) = peak_rss_mib_of(&status_file) {
            peak = Some(mib);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    anyhow::ensure!(status.success(), "certdesk import failed: {status}");
    Ok(ImportRun {
        time: started.elapsed(),
        peak_rss_mib: peak,
    })
}

/// One kind of search: its API parameters and the same query for the store.
struct Search {
    label: String,
    params: Vec<Vec<(String, String)>>,
    queries: Vec<EmployeeQuery>,
    scope: Scope,
    token: String,
}

fn search_of(
    label: String,
    token: &str,
    scope: &Scope,
    params: Vec<Vec<(String, String)>>,
) -> Search {
    Search {
        label,
        queries: params.iter().map(|p| query_of(p)).collect(),
        params,
        scope: scope.clone(),
        token: token.to_owned(),
    }
}

/// The store's query for API parameters, as the API builds it (name tokens, ΑΦΜ, status).
fn query_of(params: &[(String, String)]) -> EmployeeQuery {
    let mut query = EmployeeQuery {
        page: 1,
        per_page: 20,
        ..Default::default()
    };
    for (name, value) in params {
        match name.as_str() {
            "q" => query.name_tokens = query_tokens(value),
            "afm" => query.afm = Some(value.clone()),
            "status" if value == "none" => {
                query.status = Some(certdesk_store::StatusFilter::NoApplication)
            }
            _ => {}
        }
    }
    query
}

/// Runs `work` `total` times over `clients` tasks; the sorted latencies and the wall time.
pub(crate) async fn drive<F, Fut>(
    clients: usize,
    total: usize,
    work: F,
) -> anyhow::Result<(Vec<Duration>, Duration)>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let work = Arc::new(work);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (work, next) = (work.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let at = Instant::now();
                work(i).await?;
                latencies.push(at.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Ok((latencies, elapsed))
}

async fn login(client: &reqwest::Client, base: &str, username: &str) -> anyhow::Result<String> {
    let answer: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": PASSWORD}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(answer["token"].as_str().context("no token")?.to_owned())
}

pub async fn run(store: Arc<dyn Store>, config: HttpBenchConfig) -> anyhow::Result<()> {
    let now = Utc::now();
    let mut rng = StdRng::seed_from_u64(13);
    let (mut afms, mut emails) = (HashSet::new(), HashMap::new());

    // 1. The data: the largest organisation as its HR registry's CSV, imported by a real
    //    `certdesk import` (timed, its memory read); the rest spread over the small ones,
    //    through the same bulk path in process.
    let small = config.organisations.saturating_sub(1).max(1);
    let rest = config.employees.saturating_sub(config.largest);
    let mut large_surnames = Vec::new();
    let mut large_afms = Vec::new();
    // The first rows' employees are the ones whose applications the clients cancel.
    let mut cancel_afms = Vec::with_capacity(config.cancels.min(config.largest));
    // The next ones' applications are signed and wait for their certificates.
    let mut issue_afms = Vec::with_capacity(config.issues.min(config.largest));
    let mut org_ids = Vec::new();
    let large = store
        .create_organisation("bench-large", "Φορέας bench-large", now)
        .await
        .context("the bench needs an empty database")?;
    org_ids.push(large.id);
    let csv = config.work_dir.join("bench-large.csv");
    eprintln!("writing {} rows to {} …", config.largest, csv.display());
    let (mut index, step) = (0usize, (config.largest / 1000).max(1));
    crate::bench_data::write_csv(&csv, config.largest, 12, 0, |e| {
        if index % step == 0 {
            large_surnames.push(e.surname.as_str().to_owned());
            large_afms.push(e.afm.as_str().to_owned());
        }
        if index < config.cancels {
            cancel_afms.push(e.afm.as_str().to_owned());
        } else if index < config.cancels + config.issues {
            issue_afms.push(e.afm.as_str().to_owned());
        }
        index += 1;
    })?;
    let file_mib = std::fs::metadata(&csv)?.len() as f64 / (1024.0 * 1024.0);
    eprintln!("certdesk import {} ({file_mib:.0} MiB) …", csv.display());
    let import = import_child(&csv, "bench-large", &config.db_url)?;
    let _ = std::fs::remove_file(&csv);

    eprintln!("inserting {rest} employees into {small} organisations …");
    let started = Instant::now();
    for index in 1..=small {
        let (count, code) = (
            rest / small + usize::from(index <= rest % small),
            format!("bench{index}"),
        );
        let org = store
            .create_organisation(&code, &format!("Φορέας {code}"), now)
            .await
            .context("the bench needs an empty database")?;
        let demo = &ORGANISATIONS[index % ORGANISATIONS.len()];
        let mut writer = store.begin_import(org.id, count as u64, now).await?;
        let mut left = count;
        while left > 0 {
            let people: Vec<_> = (0..left.min(INSERT_CHUNK))
                .map(|_| person(&mut rng, demo, &mut afms, &mut emails).employee)
                .collect();
            left -= people.len();
            writer.write(&people, false).await?;
        }
        writer.commit().await?;
        org_ids.push(org.id);
    }
    let insert_time = started.elapsed();

    // 2. The accounts: the largest organisation's ΔΨΠ, and an auditor who reads every one.
    let password_hash = certdesk_app::tokens::hash_password(PASSWORD);
    let account = |username: &str, role: Role, organisation_ids: Vec<i64>| NewAdministrator {
        username: username.to_owned(),
        full_name: "Διαχειριστής Μέτρησης".to_owned(),
        password_hash: password_hash.clone(),
        organisation_ids,
        role,
        must_change_password: false,
        second_factor_required: false,
    };
    let admin_id = store
        .create_administrator(
            &account("dpp@bench.gr", Role::Administrator, vec![org_ids[0]]),
            now,
        )
        .await?;
    store
        .create_administrator(&account("auditor@bench.gr", Role::Auditor, Vec::new()), now)
        .await?;

    // 3. The applications the clients will cancel, made before the server takes the writer.
    let large = Scope::Organisations(vec![large.id]);
    let admin = Actor::administrator(admin_id, "Διαχειριστής Μέτρησης");
    let contact = ApplicationContact {
        email: Email::parse("bench@example.gr")?,
        mobile: None,
    };
    let mut applications = Vec::new();
    eprintln!("{} applications to cancel …", cancel_afms.len());
    for afm in &cancel_afms {
        let afm = certdesk_domain::validation::Afm::parse(afm)?;
        if let Some(e) = store.employee_by_afm(&large, &afm).await? {
            let t = start(0, &admin, Utc::now())?;
            applications.push(store.create_application(e.id, &contact, &t).await?);
        }
    }

    // 4. The server: `certdesk serve` in a process of its own, with the installation's CA.
    let kek = crate::bench_issuance::make_ca(store.as_ref()).await?;
    let server = ServerChild::start("bench-server", &config.db_url, &kek, &config.work_dir)?;
    eprintln!(
        "certdesk serve (pid {}) at {}, its log in {} …",
        server.pid(),
        server.base,
        server.log.display()
    );
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let dpp = login(&client, &base, "dpp@bench.gr").await?;
    let auditor = login(&client, &base, "auditor@bench.gr").await?;

    // 5. The searches: a Greek surname prefix, its Latin spelling, an ΑΦΜ, a status.
    let mut searches = Vec::new();
    for (who, token, scope) in [
        ("ΔΨΠ of the largest", &dpp, &large),
        ("auditor, every organisation", &auditor, &Scope::Everything),
    ] {
        let (mut greek, mut latin, mut afm) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..64 {
            let surname = &large_surnames[rng.random_range(0..large_surnames.len())];
            greek.push(vec![("q".into(), fold(surname).chars().take(3).collect())]);
            latin.push(vec![(
                "q".into(),
                to_latin(surname).chars().take(5).collect(),
            )]);
            afm.push(vec![(
                "afm".into(),
                large_afms[i % large_afms.len()].clone(),
            )]);
        }
        let none = vec![vec![("status".into(), "none".into())]];
        searches.extend([
            search_of(
                format!("{who}: Greek surname prefix (3 letters)"),
                token,
                scope,
                greek,
            ),
            search_of(
                format!("{who}: Latin surname prefix (5 letters)"),
                token,
                scope,
                latin,
            ),
            search_of(format!("{who}: ΑΦΜ"), token, scope, afm),
            search_of(
                format!("{who}: «Δεν έχει υποβληθεί αίτηση»"),
                token,
                scope,
                none,
            ),
        ]);
    }

    let mut rows: Vec<[String; 4]> = Vec::new();
    for search in searches {
        let search = Arc::new(search);
        let (http, _) = {
            let (search, client, base) = (search.clone(), client.clone(), base.clone());
            drive(config.clients, config.queries, move |i| {
                let (search, client, base) = (search.clone(), client.clone(), base.clone());
                async move {
                    let params = &search.params[i % search.params.len()];
                    let answer = client
                        .get(format!("{base}/api/v1/employees"))
                        .bearer_auth(&search.token)
                        .query(params)
                        .query(&[("per_page", "20")])
                        .send()
                        .await?
                        .error_for_status()?;
                    answer.bytes().await?;
                    Ok(())
                }
            })
            .await?
        };
        let (raw, _) = {
            let (search, store) = (search.clone(), store.clone());
            drive(config.clients, config.queries, move |i| {
                let (search, store) = (search.clone(), store.clone());
                async move {
                    let query = &search.queries[i % search.queries.len()];
                    store.search_employees(&search.scope, query).await?;
                    Ok(())
                }
            })
            .await?
        };
        let ratio = percentile(&http, 0.99).as_secs_f64() / percentile(&raw, 0.99).as_secs_f64();
        rows.push([
            format!("{} ×{}", search.label, config.queries),
            format!(
                "p50 {} / p99 {}",
                ms(percentile(&http, 0.5)),
                ms(percentile(&http, 0.99))
            ),
            format!(
                "p50 {} / p99 {}",
                ms(percentile(&raw, 0.5)),
                ms(percentile(&raw, 0.99))
            ),
            format!("{ratio:.1}×"),
        ]);
    }

    // 6. Cancellations through the API, 16 clients, each answered once durable.
    let applications = Arc::new(applications);
    eprintln!("cancelling them through the API, 16 clients …");
    let usage_before = server.usage();
    let (cancel_latencies, cancel_time) = {
        let (applications, client, base, token) = (
            applications.clone(),
            client.clone(),
            base.clone(),
            dpp.clone(),
        );
        drive(16, applications.len(), move |i| {
            let (client, base, token, id) =
                (client.clone(), base.clone(), token.clone(), applications[i]);
            async move {
                client
                    .post(format!("{base}/api/v1/applications/{id}/cancel"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"reason": "μέτρηση"}))
                    .send()
                    .await?
                    .error_for_status()?
                    // Read like a client reads the answer (and so the connection is kept).
                    .bytes()
                    .await?;
                Ok(())
            }
        })
        .await?
    };
    let cancel_usage = usage_before
        .zip(server.usage())
        .map(|(before, after)| after.per_operation_since(&before, cancel_latencies.len()));
    let mut server_rss = server.peak_rss_mib();
    drop(server);

    // 7. Issuance: applications signed while no server runs, then a server whose job loop
    //    issues them (key pair, certificate, sealed key, history, email, durable), watched
    //    through its /metrics; then cfssl, the same number through its HTTP API.
    eprintln!("{} applications to sign …", issue_afms.len());
    let mut issue_employees = Vec::with_capacity(issue_afms.len());
    for afm in &issue_afms {
        let afm = certdesk_domain::validation::Afm::parse(afm)?;
        if let Some(e) = store.employee_by_afm(&large, &afm).await? {
            issue_employees.push(e.id);
        }
    }
    let signed = crate::bench_issuance::signed_applications(
        store.clone(),
        &admin,
        issue_employees,
        &contact,
    )
    .await?;
    eprintln!("a server issuing {signed} certificates …");
    let issuing = ServerChild::start("bench-issuing", &config.db_url, &kek, &config.work_dir)?;
    let issue_usage_before = issuing.usage();
    let issue_rate =
        crate::bench_issuance::watch_issuances(&client, &issuing.base, signed as u64).await?;
    let issue_usage = issue_usage_before
        .zip(issuing.usage())
        .map(|(before, after)| after.per_operation_since(&before, signed));
    server_rss = match (server_rss, issuing.peak_rss_mib()) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    drop(issuing);
    let cfssl = match crate::bench_cfssl::installed() {
        true => Some(crate::bench_cfssl::run(&config.work_dir, &client, signed).await?),
        false => None,
    };

    let mut out = String::new();
    // One line of the table (a String takes any text).
    macro_rules! row {
        () => {
            out.push('\n')
        };
        ($($arg:tt)*) => {{
            use std::fmt::Write;
            writeln!(out, $($arg)*).expect("a String takes any text")
        }};
    }
    row!(
        "{} employees: {} in the largest organisation, the rest in {small} others; {} clients",
        config.employees,
        config.largest,
        config.clients
    );
    row!();
    row!(
        "| measure | the product as users reach it | beside it: the raw query (in process, same concurrency), or what it used | ratio (HTTP ÷ raw, p99) |"
    );
    row!("|---|---|---|---|");
    for [a, b, c, d] in &rows {
        row!("| {a} | {b} | {c} | {d} |");
    }
    row!(
        "| durable cancellations, 16 clients ×{} | {:.0}/s (p50 {} / p99 {}) | | |",
        cancel_latencies.len(),
        cancel_latencies.len() as f64 / cancel_time.as_secs_f64(),
        ms(percentile(&cancel_latencies, 0.5)),
        ms(percentile(&cancel_latencies, 0.99)),
    );
    row!(
        "| issuance by the server's job loop ×{signed} (P-256 key, ETSI certificate, sealed key, history, email; durable) | {} | {} | |",
        issue_rate.map_or("too few to time".to_owned(), |r| format!("{r:.0}/s")),
        issue_usage.map_or(String::new(), |(cpu, _)| format!(
            "server CPU {cpu:.0} µs each"
        )),
    );
    match &cfssl {
        Some(peer) => row!(
            "| cfssl {} `newcert` over HTTP ×{} (P-256 key, certificate; SQLite in WAL), 16 clients | {:.0}/s (p50 {} / p99 {}) | peak memory {} | certdesk ÷ cfssl: {}× |",
            peer.version,
            peer.stored,
            peer.rate,
            ms(peer.p50),
            ms(peer.p99),
            peer.peak_rss_mib
                .map_or("unknown".to_owned(), |m| format!("{m:.0} MiB")),
            issue_rate.map_or("?".to_owned(), |r| format!("{:.2}", r / peer.rate)),
        ),
        None => row!("| cfssl: not installed (Debian's golang-cfssl), not measured | | | |"),
    }
    if let Some((cpu, switches)) = cancel_usage {
        row!(
            "| the server's work per cancellation (its CPU, all threads; its context switches) | {cpu:.0} µs of CPU, {switches:.1} switches | | |"
        );
    }
    row!(
        "| `certdesk import` of the largest organisation, {} rows, {file_mib:.0} MiB of CSV | {:.1} s, {:.0} rows/s | peak memory {} | |",
        config.largest,
        import.time.as_secs_f64(),
        config.largest as f64 / import.time.as_secs_f64(),
        import
            .peak_rss_mib
            .map_or("unknown".to_owned(), |m| format!("{m:.0} MiB")),
    );
    row!(
        "| the other {rest} employees through the same bulk path, in process, batches of {INSERT_CHUNK} | {:.1} s | {:.0}/s | |",
        insert_time.as_secs_f64(),
        rest as f64 / insert_time.as_secs_f64()
    );
    row!(
        "| peak resident memory of the server (`certdesk serve`, its own process) | {} | | |",
        server_rss.map_or("unknown".to_owned(), |m| format!("{m:.0} MiB")),
    );
    print!("{out}");
    if let Some(path) = &config.write {
        let store = if config.db_url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        crate::bench_report::write(
            path,
            &crate::bench_report::section(&out, &config.command(), store),
        )?;
        eprintln!("wrote the table to {}", path.display());
    }
    Ok(())
}
