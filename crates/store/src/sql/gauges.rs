//! What `/metrics` reads when it is scraped: the pending work and the pools' use.

use async_trait::async_trait;
use certdesk_domain::job::JobKind;
use chrono::{DateTime, Utc};

use super::{Pool, SqlStore};
use crate::{Gauges, JobCount, PoolUse, StoreError, StoreResult};

#[async_trait]
impl Gauges for SqlStore {
    async fn job_counts(&self, now: DateTime<Utc>) -> StoreResult<Vec<JobCount>> {
        // The table holds only jobs not yet done (a job is deleted when it is), so this reads
        // the backlog, not the history. A failed job is given back with its retry in the future
        // (`release_job` after a backoff); one given back after a lost race is due at once.
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT kind, \
             SUM(CASE WHEN locked_until IS NULL OR locked_until < $1 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN (locked_until IS NULL OR locked_until < $1) AND attempts > 0 \
                 AND run_at > $1 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN locked_until >= $1 THEN 1 ELSE 0 END) \
             FROM jobs GROUP BY kind ORDER BY kind",
        )
        .bind(now)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(kind, waiting, failed, running)| {
                let kind = JobKind::parse(&kind).ok_or_else(|| {
                    StoreError::Configuration(format!("a job of an unknown kind: {kind:?}"))
                })?;
                Ok(JobCount {
                    kind,
                    waiting,
                    failed,
                    running,
                })
            })
            .collect()
    }

    async fn unsent_emails(&self) -> StoreResult<i64> {
        // Counted in the index of unsent messages (`outbox_unsent`, `outbox_due`), not the table.
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&self.read)
            .await?;
        Ok(count)
    }

    fn pools(&self) -> Vec<PoolUse> {
        // One pool serves both on PostgreSQL (the same pool, cloned): count it once.
        let mut pools = if std::ptr::eq(self.read.options(), self.write.options()) {
            vec![pool_use("read_write", &self.write)]
        } else {
            vec![pool_use("read", &self.read), pool_use("write", &self.write)]
        };
        if let Some(replica) = &self.replica {
            pools.push(pool_use("replica", replica.pool()));
        }
        pools
    }
}

fn pool_use(name: &'static str, pool: &Pool) -> PoolUse {
    PoolUse {
        name,
        size: pool.size(),
        idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
        max: pool.options().get_max_connections(),
    }
}
