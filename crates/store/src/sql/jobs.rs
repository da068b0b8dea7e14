//! Background jobs: queued by transitions and sweeps, leased to one worker at a time.

use async_trait::async_trait;
use certdesk_domain::job::JobKind;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::Durably;
use super::{Db, SKIP_LOCKED, SqlStore, push_in, push_limit};
use crate::rows::{JobRow, convert};
use crate::{Job, Jobs, StoreResult};

#[async_trait]
impl Jobs for SqlStore {
    async fn enqueue_job(
        &self,
        kind: JobKind,
        application_id: Option<i64>,
        run_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO jobs (kind, application_id, run_at, created_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(kind.code())
        .bind(application_id)
        .bind(run_at)
        .execute(&self.write)
        .durably(self)
        .await?;
        Ok(())
    }

    async fn claim_jobs(
        &self,
        kinds: &[JobKind],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Job>> {
        let mut q = QueryBuilder::<Db>::new("UPDATE jobs SET locked_until = ");
        q.push_bind(lease_until)
            .push(", attempts = attempts + 1 WHERE id IN (SELECT id FROM jobs WHERE run_at <= ")
            .push_bind(now)
            .push(" AND (locked_until IS NULL OR locked_until < ")
            .push_bind(now)
            .push(") AND kind");
        push_in(&mut q, kinds.iter().map(|k| k.code()));
        q.push(" ORDER BY run_at, id");
        push_limit(&mut q, limit);
        q.push(SKIP_LOCKED)
            .push(") RETURNING id, kind, application_id, run_at, attempts");
        // Not waited to be durable: a lease lost in a crash only lets the job be taken again
        // sooner, which is harmless (see the module of the worker); whatever the worker then
        // stores waits for a sync that covers the lease too.
        let rows: Vec<JobRow> = q.build_query_as().fetch_all(&self.write).await?;
        let mut jobs: Vec<Job> = convert(rows)?;
        // RETURNING gives no order.
        jobs.sort_by_key(|job| (job.run_at, job.id));
        Ok(jobs)
    }

    async fn complete_job(&self, id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM jobs WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .durably(self)
            .await?;
        Ok(())
    }

    async fn release_job(&self, id: i64, run_at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE jobs SET locked_until = NULL, run_at = $1 WHERE id = $2")
            .bind(run_at)
            .bind(id)
            .execute(&self.write)
            .durably(self)
            .await?;
        Ok(())
    }

    async fn pending_jobs(&self, application_id: i64) -> StoreResult<Vec<Job>> {
        let rows: Vec<JobRow> = sqlx::query_as(
            "SELECT id, kind, application_id, run_at, attempts FROM jobs \
             WHERE application_id = $1 ORDER BY id",
        )
        .bind(application_id)
        .fetch_all(&self.read)
        .await?;
        convert(rows)
    }

    async fn drop_jobs_of_organisation(
        &self,
        organisation_id: i64,
        kind: JobKind,
    ) -> StoreResult<u64> {
        Ok(sqlx::query(
            "DELETE FROM jobs WHERE kind = $1 AND application_id IN \
             (SELECT id FROM applications WHERE organisation_id = $2)",
        )
        .bind(kind.code())
        .bind(organisation_id)
        .execute(&self.write)
        .durably(self)
        .await?
        .rows_affected())
    }
}
