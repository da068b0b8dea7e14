//! Concurrent callers' transitions committed together (group commit, issue 12): what
//! `commit_transitions` submits waits in the store's [`CommitQueue`] while a transaction runs, and
//! the next transaction stores everything waiting as one batch of `write_transitions`. Each
//! transition keeps its own guard, so a lost race still loses alone; each caller gets its own
//! outcomes, once the commit is durable. A caller may ask for its applications as the
//! transaction left them, with their histories (`commit_transition_and_read`): they are read in
//! the same transaction, two statements for all its callers, instead of two reads each after it.
//!
//! When a combined transaction fails (a unique value taken by one caller's effect, say), nothing
//! of it is kept and each caller's transitions are committed again on their own, so that the
//! error reaches the one caller it belongs to and the others are stored as if alone.

use std::collections::HashMap;
use std::sync::Arc;

use certdesk_domain::{HistoryEntry, Transition};

use super::applications::{applications_in, histories_in};
use super::starts::{NewStart, create_applications};
use super::transitions::{ROWS_PER_STATEMENT, write_transitions};
use super::{Conn, SqlStore};
use crate::commit_queue::{BoxFuture, CommitQueue, Run};
use crate::rows::{ApplicationRow, HistoryRow, convert};
use crate::{ApplicationRecord, Scope, StoreError, StoreResult};

/// What one caller submits.
#[derive(Default)]
pub(crate) struct Submitted {
    /// New applications, created before the transitions (`starts.rs`).
    pub(crate) starts: Vec<NewStart>,
    pub(crate) transitions: Vec<Transition>,
    /// Read back the applications whose transition was stored, with their histories.
    pub(crate) read_back: bool,
}

/// What one caller is answered: the id of each new application (None: no such employee),
/// whether each transition was stored, and what was read back.
#[derive(Debug, Default)]
pub(crate) struct Committed {
    pub(crate) created: Vec<Option<i64>>,
    pub(crate) applied: Vec<bool>,
    pub(crate) read: Vec<(ApplicationRecord, Vec<HistoryEntry>)>,
}

pub(crate) type TransitionQueue = CommitQueue<Submitted, StoreResult<Committed>>;

/// How many transitions one combined transaction takes at most (a caller's batch is never
/// split): four issuance batches of 64 fit, and the statements stay a few.
const COMBINED_TRANSITIONS: usize = 1024;

/// `lanes`: how many combined transactions may run at once (the dialect's `COMMIT_LANES`).
pub(crate) fn transition_queue(lanes: usize) -> Arc<TransitionQueue> {
    Arc::new(CommitQueue::new(COMBINED_TRANSITIONS, lanes))
}

impl SqlStore {
    /// Commits `transitions` in the next shared transaction; answers once it is durable.
    pub(super) async fn commit_shared(
        &self,
        transitions: &[Transition],
        read_back: bool,
    ) -> StoreResult<Committed> {
        self.submit(Submitted {
            transitions: transitions.to_vec(),
            read_back,
            ..Submitted::default()
        })
        .await
    }

    /// Creates one application in the next shared transaction; answers once it is durable.
    pub(super) async fn start_shared(&self, start: NewStart) -> StoreResult<i64> {
        let committed = self
            .submit(Submitted {
                starts: vec![start],
                ..Submitted::default()
            })
            .await?;
        committed
            .created
            .first()
            .copied()
            .flatten()
            .ok_or(StoreError::NotFound)
    }

    async fn submit(&self, submitted: Submitted) -> StoreResult<Committed> {
        let store = self.clone();
        let size = submitted.starts.len() + submitted.transitions.len();
        self.commits
            .submit(submitted, size, move |batches| {
                store.clone().run_combined(batches)
            })
            .await
            .map_err(|_| StoreError::Unavailable("the commit was cut short".into()))?
    }

    /// The queue's run: the transaction now, the answers once it is durable.
    // Yielding the second future is the point: the queue awaits the first, then moves on.
    #[allow(clippy::async_yields_async)]
    fn run_combined(self, batches: Vec<Submitted>) -> Run<StoreResult<Committed>> {
        Box::pin(async move {
            let outcomes = self.commit_combined(&batches).await;
            let answers: BoxFuture<Vec<StoreResult<Committed>>> = Box::pin(async move {
                match self.durable().await {
                    Ok(()) => outcomes,
                    Err(e) => outcomes
                        .into_iter()
                        .map(|_| Err(StoreError::Unavailable(e.to_string())))
                        .collect(),
                }
            });
            answers
        })
    }

    /// Every caller's batch in one transaction, or, when that fails, each in its own.
    pub(crate) async fn commit_combined(
        &self,
        batches: &[Submitted],
    ) -> Vec<StoreResult<Committed>> {
        if let [one] = batches {
            return vec![
                self.commit_batch(std::slice::from_ref(one))
                    .await
                    .map(|mut c| c.remove(0)),
            ];
        }
        match self.commit_batch(batches).await {
            Ok(committed) => committed.into_iter().map(Ok).collect(),
            Err(error) => {
                tracing::debug!(%error, callers = batches.len(), "a combined commit failed: committing each caller's transitions alone");
                let mut outcomes = Vec::with_capacity(batches.len());
                for batch in batches {
                    let alone = self.commit_batch(std::slice::from_ref(batch)).await;
                    outcomes.push(alone.map(|mut c| c.remove(0)));
                }
                outcomes
            }
        }
    }

    /// One transaction of every caller's transitions, committed but not yet known to be
    /// durable; each caller's part of the outcome.
    async fn commit_batch(&self, batches: &[Submitted]) -> StoreResult<Vec<Committed>> {
        let all: Vec<Transition> = batches
            .iter()
            .flat_map(|b| b.transitions.iter().cloned())
            .collect();
        let starts: Vec<&NewStart> = batches.iter().flat_map(|b| &b.starts).collect();
        let mut tx = self.write.begin().await?;
        let mut created = match starts.is_empty() {
            true => Vec::new(),
            false => create_applications(&mut tx, &starts, &self.options).await?,
        }
        .into_iter();
        let mut applied = write_transitions(&mut tx, &all, &self.options)
            .await?
            .into_iter();
        let mut committed: Vec<Committed> = batches
            .iter()
            .map(|b| Committed {
                created: created.by_ref().take(b.starts.len()).collect(),
                applied: applied.by_ref().take(b.transitions.len()).collect(),
                read: Vec::new(),
            })
            .collect();
        let wanted: Vec<i64> = batches
            .iter()
            .zip(&committed)
            .filter(|(b, _)| b.read_back)
            .flat_map(|(b, c)| {
                b.transitions
                    .iter()
                    .zip(&c.applied)
                    .filter(|(_, stored)| **stored)
                    .map(|(t, _)| t.application_id)
            })
            .collect();
        let mut read = read_back(&mut tx, &wanted).await?;
        tx.commit().await?;
        for (batch, outcome) in batches.iter().zip(&mut committed) {
            if !batch.read_back {
                continue;
            }
            for (t, stored) in batch.transitions.iter().zip(&outcome.applied) {
                if let (true, Some(found)) = (*stored, read.remove(&t.application_id)) {
                    outcome.read.push(found);
                }
            }
        }
        Ok(committed)
    }
}

/// The applications of `ids` and their histories, as this transaction sees them: two
/// statements for any number (per chunk).
async fn read_back(
    conn: &mut Conn,
    ids: &[i64],
) -> StoreResult<HashMap<i64, (ApplicationRecord, Vec<HistoryEntry>)>> {
    let mut read = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<ApplicationRow> = applications_in(&Scope::Everything, chunk)
            .build_query_as()
            .fetch_all(&mut *conn)
            .await?;
        for application in convert::<_, ApplicationRecord>(rows)? {
            read.insert(application.id, (application, Vec::new()));
        }
        let rows: Vec<HistoryRow> = histories_in(&Scope::Everything, chunk)
            .build_query_as()
            .fetch_all(&mut *conn)
            .await?;
        for entry in convert::<_, HistoryEntry>(rows)? {
            if let Some((_, history)) = read.get_mut(&entry.application_id) {
                history.push(entry);
            }
        }
    }
    Ok(read)
}
