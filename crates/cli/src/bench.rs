//! `certdesk bench`: measures what the store does at a given size and prints a table. Speed is
//! measured here, never asserted in tests.

use certdesk_domain::email_proof::{LinkToken, check_link};
use certdesk_domain::subject::VerifiedNames;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use certdesk_app::worker::{
    ISSUANCE_BATCH, Issuing, WorkerConfig, run_issuance_batch, run_one_job,
};
use certdesk_domain::transition::{decide, start};
use certdesk_domain::validation::{Afm, Email, Username};
use certdesk_domain::{Actor, Command};
use certdesk_store::{ApplicationContact, EmployeeQuery, NewAdministrator, Scope, Store};
use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::demo::person;
use crate::demo_names::ORGANISATIONS;
use crate::signing::MadeUpSigning;

pub struct BenchConfig {
    pub employees: usize,
    pub organisations: usize,
    pub queries: usize,
    pub cancels: usize,
    pub issues: usize,
    pub concurrency: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

struct Row(String, String, String);

/// Makes the i-th query of one kind of search.
type MakeQuery<'a> = Box<dyn Fn(&mut StdRng, usize) -> EmployeeQuery + 'a>;

pub async fn run(store: Arc<dyn Store>, config: BenchConfig) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    let mut rng = StdRng::seed_from_u64(7);
    let now = Utc::now();
    let per_org = config.employees.div_ceil(config.organisations.max(1));

    // 1. Employees, in one all-or-nothing insert per organisation (as `certdesk import` does).
    let started = Instant::now();
    let (mut afms, mut emails) = (HashSet::new(), std::collections::HashMap::new());
    let mut org_ids = Vec::new();
    let mut surnames = Vec::new();
    for index in 0..config.organisations {
        let demo = &ORGANISATIONS[index % ORGANISATIONS.len()];
        let org = store
            .create_organisation(&format!("bench{index}"), &format!("Φορέας {index}"), now)
            .await
            .context("the bench needs an empty database")?;
        let people: Vec<_> = (0..per_org)
            .map(|_| person(&mut rng, demo, &mut afms, &mut emails).employee)
            .collect();
        surnames.extend(
            people
                .iter()
                .take(20)
                .map(|p| p.surname.as_str().to_owned()),
        );
        store.insert_employees(org.id, &people, now).await?;
        org_ids.push(org.id);
    }
    let elapsed = started.elapsed();
    let inserted = per_org * config.organisations;
    rows.push(Row(
        format!(
            "insert {inserted} employees ({} organisations)",
            config.organisations
        ),
        format!("{:.1} s", elapsed.as_secs_f64()),
        format!("{:.0} employees/s", inserted as f64 / elapsed.as_secs_f64()),
    ));

    // 2. Searches, as a ΔΨΠ of one organisation makes them.
    let afm_list: Vec<String> = afms.iter().take(config.queries).cloned().collect();
    let searches: [(&str, MakeQuery); 4] = [
        (
            "search: surname prefix, Greek (4 letters)",
            Box::new(|rng: &mut StdRng, _| {
                let surname = &surnames[rng.random_range(0..surnames.len())];
                let prefix: String = certdesk_domain::text::fold(surname)
                    .chars()
                    .take(4)
                    .collect();
                EmployeeQuery {
                    name_tokens: vec![prefix],
                    page: 1,
                    per_page: 20,
                    ..Default::default()
                }
            }),
        ),
        (
            "search: surname + given name, Latin",
            Box::new(|rng: &mut StdRng, _| {
                let surname = &surnames[rng.random_range(0..surnames.len())];
                let latin = certdesk_domain::text::to_latin(surname);
                EmployeeQuery {
                    name_tokens: vec![latin.chars().take(5).collect(), "g".into()],
                    page: 1,
                    per_page: 20,
                    ..Default::default()
                }
            }),
        ),
        (
            "search: exact ΑΦΜ",
            Box::new(|_: &mut StdRng, i| EmployeeQuery {
                afm: Some(afm_list[i % afm_list.len()].clone()),
                page: 1,
                per_page: 20,
                ..Default::default()
            }),
        ),
        (
            "search: status «none», page 1",
            Box::new(|_: &mut StdRng, _| EmployeeQuery {
                status: Some(certdesk_store::StatusFilter::NoApplication),
                page: 1,
                per_page: 20,
                ..Default::default()
            }),
        ),
    ];
    for (label, make) in &searches {
        let mut times = Vec::with_capacity(config.queries);
        for i in 0..config.queries {
            let query = make(&mut rng, i);
            // The ΑΦΜ search looks across every organisation (the worst case for a scope).
            let scope = if query.afm.is_some() {
                Scope::Everything
            } else {
                Scope::Organisations(vec![org_ids[rng.random_range(0..org_ids.len())]])
            };
            let t = Instant::now();
            store.search_employees(&scope, &query).await?;
            times.push(t.elapsed());
        }
        times.sort();
        rows.push(Row(
            format!("{label} ×{}", config.queries),
            format!(
                "p50 {} / p95 {}",
                micros(percentile(&times, 0.5)),
                micros(percentile(&times, 0.95))
            ),
            format!("p99 {}", micros(percentile(&times, 0.99))),
        ));
    }

    // 3. Applications: start, then cancel (one transaction each: conditional update, history
    //    entry, effects, outbox).
    let admin_id = store
        .create_administrator(
            &NewAdministrator {
                username: "bench@example.gr".into(),
                full_name: "Διαχειριστής Μέτρησης".into(),
                password_hash: "-".into(),
                organisation_ids: org_ids.clone(),
                // No one logs in with it (its hash matches no password).
                role: certdesk_domain::Role::Administrator,
                must_change_password: false,
                second_factor_required: false,
            },
            now,
        )
        .await?;
    let admin = Actor::administrator(admin_id, "Διαχειριστής Μέτρησης");
    let scope = Scope::Organisations(org_ids.clone());
    let contact = ApplicationContact {
        email: Email::parse("bench@example.gr")?,
        mobile: None,
    };
    let mut employee_ids = Vec::new();
    for afm in afms.iter().take(config.cancels) {
        if let Some(e) = store.employee_by_afm(&scope, &Afm::parse(afm)?).await? {
            employee_ids.push(e.id);
        }
    }
    let started = Instant::now();
    let mut applications = Vec::new();
    for employee_id in &employee_ids {
        let t = start(0, &admin, Utc::now())?;
        applications.push(store.create_application(*employee_id, &contact, &t).await?);
    }
    let elapsed = started.elapsed();
    rows.push(Row(
        format!("start application ×{}", applications.len()),
        format!("{:.2} s", elapsed.as_secs_f64()),
        format!(
            "{:.0} /s",
            applications.len() as f64 / elapsed.as_secs_f64()
        ),
    ));

    let (sequential, concurrent) = applications.split_at(applications.len() / 2);
    let started = Instant::now();
    for id in sequential {
        cancel(store.as_ref(), &scope, *id, &admin).await?;
    }
    let elapsed = started.elapsed();
    rows.push(Row(
        format!("cancel, one at a time ×{}", sequential.len()),
        format!("{:.2} s", elapsed.as_secs_f64()),
        format!("{:.0} /s", sequential.len() as f64 / elapsed.as_secs_f64()),
    ));

    let started = Instant::now();
    let chunks: Vec<Vec<i64>> = concurrent
        .chunks(concurrent.len().div_ceil(config.concurrency).max(1))
        .map(<[i64]>::to_vec)
        .collect();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let (store, scope, admin) = (store.clone(), scope.clone(), admin.clone());
        tasks.push(tokio::spawn(async move {
            for id in chunk {
                cancel(store.as_ref(), &scope, id, &admin).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed();
    rows.push(Row(
        format!(
            "cancel, {} at a time ×{}",
            config.concurrency,
            concurrent.len()
        ),
        format!("{:.2} s", elapsed.as_secs_f64()),
        format!("{:.0} /s", concurrent.len() as f64 / elapsed.as_secs_f64()),
    ));

    // 4. Issuance: the CA alone (key pair and certificate, in memory), then the issuance job
    //    (read, key pair, certificate, sealing, transition with history and durable commit).
    let issuer = bench_ca()?;
    let issue_employees: Vec<i64> = {
        let mut ids = Vec::new();
        for afm in afms.iter().skip(config.cancels).take(config.issues) {
            if let Some(e) = store.employee_by_afm(&scope, &Afm::parse(afm)?).await? {
                ids.push(e.id);
            }
        }
        ids
    };
    let subject = certdesk_domain::certificate::CertificateSubject {
        application_id: 1,
        given_name: "Ελένη".into(),
        surname: "Παπαδοπούλου".into(),
        afm: "010509832".into(),
        organisation: "Φορέας μέτρησης".into(),
        unit: "Τμήμα".into(),
        email: Some("bench@example.gr".into()),
    };
    let started = Instant::now();
    for _ in 0..issue_employees.len() {
        certdesk_domain::certificate::CertificateIssuer::issue(issuer.as_ref(), &subject, now)
            .map_err(anyhow::Error::msg)?;
    }
    let elapsed = started.elapsed();
    rows.push(Row(
        format!(
            "CA only: P-256 key pair + certificate + sealing ×{}",
            issue_employees.len()
        ),
        format!("{:.2} s", elapsed.as_secs_f64()),
        format!(
            "{:.0} /s (one core)",
            issue_employees.len() as f64 / elapsed.as_secs_f64()
        ),
    ));

    const SIGNING_PASSWORD: &str = "bench-signing-password";
    let signing = MadeUpSigning::new(
        SIGNING_PASSWORD,
        certdesk_app::tokens::hash_password(SIGNING_PASSWORD),
    );
    let mut to_issue = Vec::new();
    for employee_id in &issue_employees {
        let id =
            signed_application(store.as_ref(), &admin, *employee_id, &contact, &signing).await?;
        to_issue.push(id);
    }
    let worker = WorkerConfig {
        issuer: Some(Issuing(issuer.clone())),
        ..Default::default()
    };
    // A third one at a time, a third in batches by one worker, a third in batches by several.
    let third = to_issue.len() / 3;
    let started = Instant::now();
    let mut done = 0;
    while done < third && run_one_job(store.as_ref(), &worker, Utc::now()).await? {
        done += 1;
    }
    let elapsed = started.elapsed();
    rows.push(Row(
        format!("issuance job, one at a time ×{done}"),
        format!("{:.2} s", elapsed.as_secs_f64()),
        format!("{:.0} /s", done as f64 / elapsed.as_secs_f64()),
    ));
    let batch = ISSUANCE_BATCH;
    let started = Instant::now();
    let mut done = 0;
    while done < third {
        let limit = batch.min((third - done) as i64);
        done += run_issuance_batch(store.as_ref(), &worker, Utc::now(), limit).await?;
    }
    let elapsed = started.elapsed();
    rows.push(Row(
        format!("issuance in batches of {batch}, one worker ×{done}"),
        format!("{:.2} s", elapsed.as_secs_f64()),
        format!("{:.0} /s", done as f64 / elapsed.as_secs_f64()),
    ));
    let left = to_issue.len() - 2 * third;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..config.concurrency {
        let (store, worker) = (store.clone(), worker.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            loop {
                let taken = run_issuance_batch(store.as_ref(), &worker, Utc::now(), batch).await?;
                if taken == 0 {
                    break;
                }
                done += taken;
            }
            anyhow::Ok(done)
        }));
    }
    let mut done = 0;
    for task in tasks {
        done += task.await??;
    }
    let elapsed = started.elapsed();
    anyhow::ensure!(done == left, "issued {done} of {left}");
    rows.push(Row(
        format!(
            "issuance in batches of {batch}, {} workers ×{done}",
            config.concurrency
        ),
        format!("{:.2} s", elapsed.as_secs_f64()),
        format!("{:.0} /s", done as f64 / elapsed.as_secs_f64()),
    ));
    let issued = store
        .search_employees(
            &scope,
            &EmployeeQuery {
                status: Some(certdesk_store::StatusFilter::Is(
                    certdesk_domain::Status::Issued,
                )),
                page: 1,
                per_page: 1,
                ..Default::default()
            },
        )
        .await?
        .total;
    // Counts stop past the cap: beyond it, «more than» is all that can be checked.
    anyhow::ensure!(
        match issued.exact {
            true => issued.count as usize == to_issue.len(),
            false => to_issue.len() as u64 > issued.count,
        },
        "{issued:?} issued of {}",
        to_issue.len()
    );

    if let Some(mib) = crate::bench_server::peak_rss_mib_of("/proc/self/status") {
        rows.push(Row(
            "peak resident memory of the bench process".into(),
            format!("{mib:.0} MiB"),
            String::new(),
        ));
    }

    println!("| measure | time | rate |");
    println!("|---|---|---|");
    for Row(a, b, c) in rows {
        println!("| {a} | {b} | {c} |");
    }
    Ok(())
}

/// A CA made for the bench, with a throw-away key-encryption key.
fn bench_ca() -> anyhow::Result<Arc<certdesk_ca::CaIssuer>> {
    let (kek, _) = certdesk_ca::KeyEncryptionKey::generate();
    let sealed = certdesk_ca::authority::create(
        &certdesk_ca::CaSettings::new("http://pki.bench.example.gr"),
        &kek,
        Utc::now(),
    )?;
    let authority = certdesk_ca::Authority::open(sealed, &kek)?;
    Ok(Arc::new(certdesk_ca::CaIssuer {
        authority,
        kek,
        validity: certdesk_ca::DEFAULT_VALIDITY,
    }))
}

/// An application driven through the domain's rules to `awaiting_issuance` (its job queued).
pub(crate) async fn signed_application(
    store: &dyn Store,
    admin: &Actor,
    employee_id: i64,
    contact: &ApplicationContact,
    signing: &MadeUpSigning,
) -> anyhow::Result<i64> {
    let id = store
        .create_application(employee_id, contact, &start(0, admin, Utc::now())?)
        .await?;
    let beneficiary = Actor::beneficiary(employee_id, "Δικαιούχος");
    // Identification needs the email proven: as if the «Έναρξη» link was followed.
    let link = LinkToken::new([7; 32], Utc::now());
    let email_proof = check_link(id, link.token(), Some(link.stored()), Utc::now())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let steps = [
        (
            Command::ProveEmail { proof: email_proof },
            beneficiary.clone(),
        ),
        (
            // Made up: the tax registry is taken to agree with the HR record.
            Command::ConfirmData {
                names: VerifiedNames::stored(
                    "Δικαιούχου".to_owned(),
                    "Δικαιούχος".to_owned(),
                    "Ιωάννης".to_owned(),
                ),
            },
            beneficiary.clone(),
        ),
        (Command::Approve, admin.clone()),
        (
            Command::CompleteIdentification {
                username: Username::parse(&format!("bench{id}"))?,
                credentials: signing.credentials().clone(),
            },
            beneficiary.clone(),
        ),
        (
            Command::Sign {
                proof: signing.proof(id, Utc::now())?,
            },
            beneficiary,
        ),
    ];
    for (command, actor) in steps {
        let application = store
            .application(&Scope::Everything, id)
            .await?
            .context("application")?;
        store
            .commit_transition(&decide(
                &application.as_domain(),
                &command,
                &actor,
                Utc::now(),
            )?)
            .await?;
    }
    Ok(id)
}

async fn cancel(store: &dyn Store, scope: &Scope, id: i64, admin: &Actor) -> anyhow::Result<()> {
    let application = store.application(scope, id).await?.context("application")?;
    let t = decide(
        &application.as_domain(),
        &Command::Cancel { reason: None },
        admin,
        Utc::now(),
    )?;
    store.commit_transition(&t).await?;
    Ok(())
}
