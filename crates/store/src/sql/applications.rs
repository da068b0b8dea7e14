//! Applications: creating one, storing transitions (the conditional update that gives a race one
//! winner), and reading them with their histories.

use async_trait::async_trait;
use certdesk_domain::identity::Mismatch;
use certdesk_domain::subject::VerifiedNames;
use certdesk_domain::validation::Afm;
use certdesk_domain::{HistoryEntry, Status, Transition};
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::Durably;
use super::starts::NewStart;
use super::{Db, SqlStore, push_in, push_owned_scope};
use crate::rows::{ApplicationRow, HistoryRow, convert, convert_one};
use crate::{ApplicationContact, ApplicationRecord, Applications, Scope, StoreError, StoreResult};

#[async_trait]
impl Applications for SqlStore {
    async fn create_application(
        &self,
        employee_id: i64,
        contact: &ApplicationContact,
        start: &Transition,
    ) -> StoreResult<i64> {
        // Concurrent starts share a transaction (`starts.rs`), as transitions do.
        self.start_shared(NewStart {
            employee_id,
            contact: contact.clone(),
            start: start.clone(),
        })
        .await
    }

    async fn application(&self, scope: &Scope, id: i64) -> StoreResult<Option<ApplicationRecord>> {
        let mut q = QueryBuilder::<Db>::new("SELECT a.* FROM applications a WHERE a.id = ");
        q.push_bind(id);
        push_owned_scope(&mut q, "a", scope);
        let row: Option<ApplicationRow> = q.build_query_as().fetch_optional(&self.read).await?;
        convert_one(row)
    }

    async fn applications_of_ids(
        &self,
        scope: &Scope,
        ids: &[i64],
    ) -> StoreResult<Vec<ApplicationRecord>> {
        let mut records = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(super::transitions::ROWS_PER_STATEMENT) {
            let rows: Vec<ApplicationRow> = applications_in(scope, chunk)
                .build_query_as()
                .fetch_all(&self.read)
                .await?;
            records.extend(convert::<_, ApplicationRecord>(rows)?);
        }
        Ok(records)
    }

    async fn subject_names_of_ids(
        &self,
        scope: &Scope,
        ids: &[i64],
    ) -> StoreResult<Vec<(i64, VerifiedNames)>> {
        let mut names = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(super::transitions::ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Db>::new(
                "SELECT a.id, a.subject_surname, a.subject_given_name, a.subject_father_name \
                 FROM applications a WHERE a.subject_surname IS NOT NULL AND a.id",
            );
            push_in(&mut q, chunk.iter().copied());
            push_owned_scope(&mut q, "a", scope);
            let rows: Vec<(i64, String, String, String)> =
                q.build_query_as().fetch_all(&self.read).await?;
            names.extend(rows.into_iter().map(|(id, surname, given, father)| {
                (id, VerifiedNames::stored(surname, given, father))
            }));
        }
        Ok(names)
    }

    async fn subject_names(&self, scope: &Scope, id: i64) -> StoreResult<Option<VerifiedNames>> {
        let names = self.subject_names_of_ids(scope, &[id]).await?;
        Ok(names.into_iter().next().map(|(_, names)| names))
    }

    async fn set_data_disagreement(&self, id: i64, mismatches: &[Mismatch]) -> StoreResult<()> {
        let codes: Vec<&str> = mismatches.iter().map(|m| m.code()).collect();
        sqlx::query("UPDATE applications SET data_disagreement = $1 WHERE id = $2")
            .bind((!codes.is_empty()).then(|| codes.join(",")))
            .bind(id)
            .execute(&self.write)
            .durably(self)
            .await?;
        Ok(())
    }

    async fn data_disagreement(&self, scope: &Scope, id: i64) -> StoreResult<Vec<Mismatch>> {
        let mut q =
            QueryBuilder::<Db>::new("SELECT a.data_disagreement FROM applications a WHERE a.id = ");
        q.push_bind(id);
        push_owned_scope(&mut q, "a", scope);
        let codes: Option<Option<String>> =
            q.build_query_scalar().fetch_optional(&self.read).await?;
        Ok(codes
            .flatten()
            .unwrap_or_default()
            .split(',')
            .filter_map(Mismatch::parse)
            .collect())
    }

    async fn latest_application_of(&self, afm: &Afm) -> StoreResult<Option<ApplicationRecord>> {
        let row: Option<ApplicationRow> = sqlx::query_as(
            "SELECT a.* FROM applications a JOIN employees e ON e.id = a.employee_id \
             WHERE e.afm = $1 ORDER BY a.id DESC LIMIT 1",
        )
        .bind(afm.as_str())
        .fetch_optional(&self.read)
        .await?;
        convert_one(row)
    }

    async fn commit_transitions(&self, transitions: &[Transition]) -> StoreResult<Vec<bool>> {
        if transitions.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.commit_shared(transitions, false).await?.applied)
    }

    async fn commit_transition_and_read(
        &self,
        transition: &Transition,
    ) -> StoreResult<(ApplicationRecord, Vec<HistoryEntry>)> {
        let mut committed = self
            .commit_shared(std::slice::from_ref(transition), true)
            .await?;
        match committed.applied[..] {
            [true] => committed.read.pop().ok_or(StoreError::NotFound),
            _ => Err(StoreError::Conflict),
        }
    }

    async fn history(&self, scope: &Scope, application_id: i64) -> StoreResult<Vec<HistoryEntry>> {
        let rows: Vec<HistoryRow> = histories_in(scope, &[application_id])
            .build_query_as()
            .fetch_all(&self.read)
            .await?;
        convert(rows)
    }

    async fn applications_of_employee(
        &self,
        scope: &Scope,
        employee_id: i64,
    ) -> StoreResult<Vec<ApplicationRecord>> {
        let mut q =
            QueryBuilder::<Db>::new("SELECT a.* FROM applications a WHERE a.employee_id = ");
        q.push_bind(employee_id);
        push_owned_scope(&mut q, "a", scope);
        q.push(" ORDER BY a.id DESC");
        let rows: Vec<ApplicationRow> = q.build_query_as().fetch_all(&self.read).await?;
        convert(rows)
    }

    async fn application_ids(&self) -> StoreResult<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM applications ORDER BY id")
                .fetch_all(&self.read)
                .await?,
        )
    }

    async fn stale_applications(
        &self,
        updated_before: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<i64>> {
        // Which states are pending is the domain's rule, not this query's.
        let mut q = QueryBuilder::<Db>::new("SELECT id FROM applications WHERE status");
        push_in(
            &mut q,
            Status::ALL
                .into_iter()
                .filter(|s| s.is_pending())
                .map(Status::code),
        );
        q.push(" AND updated_at < ")
            .push_bind(updated_before)
            .push(" ORDER BY updated_at LIMIT ")
            .push_bind(limit);
        Ok(q.build_query_scalar().fetch_all(&self.read).await?)
    }

    async fn reserved_username(&self, application_id: i64) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT username FROM usernames WHERE application_id = $1")
                .bind(application_id)
                .fetch_optional(&self.read)
                .await?,
        )
    }
}

/// The applications of `ids` within `scope` (the caller keeps `ids` to a chunk).
pub(super) fn applications_in(scope: &Scope, ids: &[i64]) -> QueryBuilder<Db> {
    let mut q = QueryBuilder::<Db>::new("SELECT a.* FROM applications a WHERE a.id");
    push_in(&mut q, ids.iter().copied());
    push_owned_scope(&mut q, "a", scope);
    q
}

/// The histories of the applications of `ids` within `scope`, each in its order.
pub(super) fn histories_in(scope: &Scope, ids: &[i64]) -> QueryBuilder<Db> {
    let mut q = QueryBuilder::<Db>::new(
        "SELECT h.* FROM application_history h JOIN applications a \
         ON a.id = h.application_id WHERE h.application_id",
    );
    push_in(&mut q, ids.iter().copied());
    push_owned_scope(&mut q, "a", scope);
    q.push(" ORDER BY h.application_id, h.seq");
    q
}
