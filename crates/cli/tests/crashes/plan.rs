//! What the crash test prepares, before any server runs: the employees (imported by the CLI),
//! their applications in the states the operations need, and the operations themselves.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use certdesk_domain::Status;
use certdesk_store::{NewEmployee, Store};
use chrono::{Duration, Utc};
use futures::StreamExt;
use rand::SeedableRng;
use rand::seq::SliceRandom;

use crate::installation::Installation;
use crate::load::Op;
use crate::servers::Server;

/// Applications cancelled over HTTP, in each pending state before the signature.
const CANCELLED_PER_STATE: usize = 90;
/// Applications approved over HTTP.
const APPROVED: usize = 340;
/// Applications signed while the load runs: the worker issues them.
const ISSUED: usize = 250;
/// Of those, how many a ΔΨΠ cancels over HTTP at the same time: the job or the ΔΨΠ wins.
const RACED: usize = 125;
/// Employees for whom a ΔΨΠ starts an application over HTTP.
const STARTED: usize = 250;
/// Applications signed just before each kill.
const SIGNED_PER_KILL: usize = 40;

/// What a prepared application is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Cancelled,
    Approved,
    Issued,
    Signer,
}

/// An application and its employee.
pub struct Prepared {
    pub id: i64,
    pub employee_id: i64,
    pub employee: NewEmployee,
}

pub struct Plan {
    pub installation: Installation,
    /// A store on the same database whose issuance delay puts the issuance of an application
    /// signed just before a kill after it.
    delayed: Arc<dyn Store>,
    /// The applications of `issued`, awaiting signature until [`Plan::sign_during_load`].
    issuing: Vec<Prepared>,
    /// Held (write) while the database is checked: the beneficiaries sign between checks.
    pub pause: tokio::sync::RwLock<()>,
    pub ops: Vec<Op>,
    pub cancelled: Vec<i64>,
    pub approved: Vec<i64>,
    pub issued: Vec<i64>,
    pub raced: BTreeSet<i64>,
    /// The employees of the `Op::Start`s.
    pub started: Vec<i64>,
    /// Per kill, the applications signed just before it, their issuance due after it.
    signers: Vec<Vec<Prepared>>,
}

impl Plan {
    pub async fn prepare(
        mut installation: Installation,
        delayed: Arc<dyn Store>,
        kills: usize,
    ) -> Plan {
        let cancel_states = &crate::installation::PENDING[..4];
        let count = CANCELLED_PER_STATE * cancel_states.len()
            + APPROVED
            + ISSUED
            + STARTED
            + SIGNED_PER_KILL * kills;
        let mut people = installation.import_employees(count).await.into_iter();
        // Each application with the role it plays, and the state it is prepared in. The ones
        // to issue await signature: their beneficiaries sign while the load runs, so that the
        // issuance jobs race with the cancellations.
        let mut wanted: Vec<(Role, Status, (i64, NewEmployee))> = Vec::new();
        for state in cancel_states {
            let group = people.by_ref().take(CANCELLED_PER_STATE);
            wanted.extend(group.map(|p| (Role::Cancelled, *state, p)));
        }
        let groups = [
            (Role::Approved, APPROVED, Status::AwaitingApproval),
            (Role::Issued, ISSUED, Status::AwaitingSignature),
            (
                Role::Signer,
                SIGNED_PER_KILL * kills,
                Status::AwaitingSignature,
            ),
        ];
        for (role, count, state) in groups {
            wanted.extend(people.by_ref().take(count).map(|p| (role, state, p)));
        }
        let at = Utc::now() - Duration::days(1);
        let installation_ref = &installation;
        let mut prepared: Vec<(Role, Prepared)> = futures::stream::iter(wanted)
            .map(|(role, state, (employee_id, employee))| async move {
                let id = installation_ref
                    .application_in(employee_id, &employee, state, at)
                    .await;
                let prepared = Prepared {
                    id,
                    employee_id,
                    employee,
                };
                (role, prepared)
            })
            .buffer_unordered(8)
            .collect()
            .await;
        prepared.sort_by_key(|(_, p)| p.id);
        let mut by_role = |role: Role| -> Vec<Prepared> {
            let (these, others) = std::mem::take(&mut prepared)
                .into_iter()
                .partition(|(r, _)| *r == role);
            prepared = others;
            these.into_iter().map(|(_, p)| p).collect()
        };
        let ids = |prepared: &[Prepared]| -> Vec<i64> { prepared.iter().map(|p| p.id).collect() };
        let cancelled = ids(&by_role(Role::Cancelled));
        let approved = ids(&by_role(Role::Approved));
        let issuing = by_role(Role::Issued);
        let mut signing = by_role(Role::Signer);
        let issued = ids(&issuing);
        let raced: BTreeSet<i64> = issued.iter().copied().take(RACED).collect();
        let mut signers = Vec::new();
        for _ in 0..kills {
            let rest = signing.split_off(SIGNED_PER_KILL);
            signers.push(std::mem::replace(&mut signing, rest));
        }
        let started: Vec<(i64, NewEmployee)> = people.collect();
        assert_eq!(started.len(), STARTED);

        let mut ops: Vec<Op> = cancelled.iter().map(|id| Op::Cancel(*id)).collect();
        ops.extend(approved.iter().map(|id| Op::Approve(*id)));
        ops.extend(raced.iter().map(|id| Op::Cancel(*id)));
        ops.extend(started.iter().map(|(_, employee)| Op::Start {
            afm: employee.afm.as_str().to_owned(),
            email: employee.email.as_ref().unwrap().to_string(),
        }));
        ops.shuffle(&mut rand::rngs::StdRng::seed_from_u64(12));
        Plan {
            installation,
            delayed,
            issuing,
            pause: tokio::sync::RwLock::new(()),
            ops,
            cancelled,
            approved,
            issued,
            raced,
            started: started.into_iter().map(|(id, _)| id).collect(),
            signers,
        }
    }

    /// The beneficiaries of the applications to issue sign them, one after the other, while
    /// the load runs: each issuance is due at once, and a ΔΨΠ may cancel first. Returns how
    /// many signed before a cancellation.
    pub async fn sign_during_load(&self) -> usize {
        let mut signed = 0;
        let store = self.installation.store.as_ref();
        for p in &self.issuing {
            let _signing = self.pause.read().await;
            let now = Utc::now();
            if self
                .installation
                .sign(store, p.id, p.employee_id, &p.employee, now)
                .await
            {
                signed += 1;
            }
        }
        signed
    }

    /// The beneficiaries of the applications set aside for kill `kill` sign them, now, in one
    /// transaction (so that the kill follows at once): their issuance falls due after it
    /// (the `delayed` store).
    pub async fn sign_before_kill(&self, kill: usize) {
        let now = Utc::now();
        let mut signatures = Vec::new();
        for p in &self.signers[kill] {
            let signature = self
                .installation
                .signature(p.id, p.employee_id, &p.employee, now)
                .await;
            signatures.push(signature.expect("nobody else acts on these applications"));
        }
        let applied = self.delayed.commit_transitions(&signatures).await.unwrap();
        assert!(applied.iter().all(|a| *a), "{applied:?}");
    }

    pub fn signed_before_kill(&self, kill: usize) -> Vec<i64> {
        self.signers[kill].iter().map(|p| p.id).collect()
    }

    /// Every application signed before a kill.
    pub fn signed_before_kills(&self) -> Vec<i64> {
        self.signers.iter().flatten().map(|p| p.id).collect()
    }

    /// The applications awaiting issuance, each with its issuance job queued. Read while no
    /// server runs, the states before the jobs: beneficiaries may still be signing (which
    /// adds both at once), but nothing takes a job away.
    pub async fn pending_issuances(&self) -> BTreeSet<i64> {
        let mut pending = BTreeSet::new();
        for id in self.issued.iter().chain(&self.signed_before_kills()) {
            if self.installation.application(*id).await.status == Status::AwaitingIssuance {
                pending.insert(*id);
            }
        }
        let queued: BTreeSet<i64> = self
            .installation
            .jobs_table()
            .await
            .into_iter()
            .filter(|(kind, _)| kind == "issue_certificate")
            .filter_map(|(_, id)| id)
            .collect();
        let jobless: Vec<&i64> = pending.difference(&queued).collect();
        assert!(
            jobless.is_empty(),
            "awaiting issuance without a job: {jobless:?}"
        );
        pending
    }

    /// Polls until no issuance job is left (the restarted server took them all, those a killed
    /// server held under its lease included).
    pub async fn wait_until_issued(&self, server: &Server) {
        let deadline = Instant::now() + StdDuration::from_secs(120);
        loop {
            let jobs = self.installation.jobs_table().await;
            if jobs.iter().all(|(kind, _)| kind != "issue_certificate") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "issuance jobs still queued after 120 s: {jobs:?}\n{}",
                server.log()
            );
            tokio::time::sleep(StdDuration::from_millis(200)).await;
        }
    }
}
