//! A read replica: a database that follows the primary (a PostgreSQL streaming standby) and
//! answers the reads that tolerate a moment's lag, the employee search, so that the primary keeps
//! its connections and its CPU for what decides. Everything else reads the primary: a
//! transition's guard, a login, a session, the details of an application.
//!
//! A replica that cannot be reached is not an outage: its reads go to the primary for a while
//! ([`RETRY_AFTER`]) and the replica is tried again after it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{Pool, SqlStore};
use crate::{StoreError, StoreResult};

/// How long reads stay on the primary after the replica could not be reached.
const RETRY_AFTER: Duration = Duration::from_secs(10);

pub(crate) struct Replica {
    pool: Pool,
    /// Since when (ms after `epoch`) the replica may be tried again; 0: it is up.
    down_until_ms: AtomicU64,
    epoch: Instant,
}

impl Replica {
    // Unused where the backend has no replicas (SQLite).
    #[allow(dead_code)]
    pub(crate) fn new(pool: Pool) -> Replica {
        Replica {
            pool,
            down_until_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn is_up(&self) -> bool {
        self.now_ms() >= self.down_until_ms.load(Ordering::Relaxed)
    }

    fn mark_down(&self) {
        let until = self.now_ms().saturating_add(RETRY_AFTER.as_millis() as u64);
        self.down_until_ms.store(until.max(1), Ordering::Relaxed);
    }
}

impl SqlStore {
    /// Runs `read` on the replica when there is one and it is up, else on the primary's read
    /// pool. A replica found unreachable is left alone for [`RETRY_AFTER`] and `read` runs again
    /// on the primary, so that the caller sees no error for it.
    pub(super) async fn on_replica<'s, T, F, Fut>(&'s self, read: F) -> StoreResult<T>
    where
        F: Fn(&'s Pool) -> Fut,
        Fut: std::future::Future<Output = StoreResult<T>>,
    {
        let Some(replica) = self.replica.as_deref().filter(|r| r.is_up()) else {
            return read(&self.read).await;
        };
        match read(replica.pool()).await {
            Err(StoreError::Unavailable(problem)) => {
                replica.mark_down();
                tracing::warn!(
                    "the read replica cannot be reached ({problem}): searches go to the primary \
                     for the next {} s",
                    RETRY_AFTER.as_secs()
                );
                read(&self.read).await
            }
            // The standby cancelled the read to replay what the primary wrote meanwhile.
            Err(StoreError::Database(error)) if is_recovery_conflict(&error) => {
                read(&self.read).await
            }
            answer => answer,
        }
    }
}

/// PostgreSQL's "canceling statement due to conflict with recovery" (SQLSTATE 40001 on a
/// standby).
fn is_recovery_conflict(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some("40001"))
}
