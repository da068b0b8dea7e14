//! Employee records, and finding them (SPEC §4).

use async_trait::async_trait;
use certdesk_domain::name_index::SearchColumns;
use certdesk_domain::validation::Afm;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::Durably;
use super::employee_import::NameKeyRow;
use super::{Conn, Db, Pool, SqlStore, push_employee_scope, push_in};
use crate::rows::{EmployeeFullRow, convert, convert_one};
use crate::{
    EmployeeQuery, EmployeeRecord, Employees, NewEmployee, Scope, SearchPage, StoreResult,
};

const EMPLOYEE_COLUMNS: &str = "e.id, e.organisation_id, o.name AS organisation_name, e.afm, \
     e.surname, e.given_name, e.father_name, e.id_card, e.birth_date, e.email, e.mobile, e.unit, \
     e.position, e.active, e.current_application_id, \
     (SELECT u.username FROM usernames u WHERE u.employee_id = e.id \
      ORDER BY u.application_id DESC LIMIT 1) AS username";

/// The search keys of one employee.
async fn insert_name_keys(
    conn: &mut Conn,
    employee_id: i64,
    organisation_id: i64,
    columns: &SearchColumns,
) -> StoreResult<()> {
    let rows: Vec<NameKeyRow> = columns
        .keys
        .iter()
        .map(|key| NameKeyRow::of(employee_id, organisation_id, columns, key))
        .collect();
    super::bulk::insert_name_keys(conn, &rows).await
}

/// The next employees whose search columns are to fill, after the id `$1`: read by their own
/// partial index (migration 0024), so that a start with none to fill reads nothing.
pub(crate) const UNFILLED_EMPLOYEES: &str = "SELECT id, organisation_id, surname, given_name \
     FROM employees WHERE id > $1 AND search_words IS NULL ORDER BY id LIMIT 1000";

/// Fills the search columns of the employees stored before they existed (migration 0019) or
/// whose keys have no stem (written by an older server after 0023), and remakes their keys; a
/// no-op once done. Walks the ids upwards, so that each
/// batch reads only rows not seen before.
pub(super) async fn fill_search_columns(pool: &Pool) -> StoreResult<()> {
    // Keys without a stem were written by a server older than 0023 (during a rolling upgrade):
    // their employees are filled again like those older than 0019.
    sqlx::query(
        "UPDATE employees SET search_words = NULL WHERE id IN \
         (SELECT k.employee_id FROM employee_name_keys k WHERE k.stem = '')",
    )
    .execute(pool)
    .await?;
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(UNFILLED_EMPLOYEES)
            .bind(after)
            .fetch_all(pool)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.0;
        let mut tx = pool.begin().await?;
        for (id, organisation_id, surname, given_name) in rows {
            let columns = SearchColumns::of(&surname, &given_name);
            sqlx::query(
                "UPDATE employees SET surname_fold = $1, given_fold = $2, surname_latin = $3, \
                 given_latin = $4, search_words = $5 WHERE id = $6",
            )
            .bind(&columns.surname_fold)
            .bind(&columns.given_fold)
            .bind(&columns.surname_latin)
            .bind(&columns.given_latin)
            .bind(&columns.words)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM employee_name_keys WHERE employee_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            insert_name_keys(&mut tx, id, organisation_id, &columns).await?;
        }
        // Redone at the next start if lost: not waited for.
        tx.commit().await?;
    }
}

#[async_trait]
impl Employees for SqlStore {
    async fn insert_employees(
        &self,
        organisation_id: i64,
        employees: &[NewEmployee],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<i64>> {
        let mut tx = self.write.begin().await?;
        let records: Vec<&NewEmployee> = employees.iter().collect();
        let ids =
            super::employee_import::insert_new(&mut tx, organisation_id, &records, now).await?;
        tx.commit().durably(self).await?;
        Ok(ids)
    }

    async fn search_employees(
        &self,
        scope: &Scope,
        query: &EmployeeQuery,
    ) -> StoreResult<SearchPage> {
        // A search may lag a moment behind the primary: the replica answers it where there is one.
        self.on_replica(|pool| self.find_employees(pool, scope, query))
            .await
    }

    async fn employee(&self, scope: &Scope, id: i64) -> StoreResult<Option<EmployeeRecord>> {
        let mut q = QueryBuilder::<Db>::new(format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees e \
             JOIN organisations o ON o.id = e.organisation_id WHERE e.id = "
        ));
        q.push_bind(id);
        push_employee_scope(&mut q, "e", scope);
        let row: Option<EmployeeFullRow> = q.build_query_as().fetch_optional(&self.read).await?;
        convert_one(row)
    }

    async fn employees_of_ids(
        &self,
        scope: &Scope,
        ids: &[i64],
    ) -> StoreResult<Vec<EmployeeRecord>> {
        let mut records = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(super::transitions::ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Db>::new(format!(
                "SELECT {EMPLOYEE_COLUMNS} FROM employees e \
                 JOIN organisations o ON o.id = e.organisation_id WHERE e.id"
            ));
            push_in(&mut q, chunk.iter().copied());
            push_employee_scope(&mut q, "e", scope);
            let rows: Vec<EmployeeFullRow> = q.build_query_as().fetch_all(&self.read).await?;
            records.extend(convert::<_, EmployeeRecord>(rows)?);
        }
        Ok(records)
    }

    async fn employee_by_afm(
        &self,
        scope: &Scope,
        afm: &Afm,
    ) -> StoreResult<Option<EmployeeRecord>> {
        let mut q = QueryBuilder::<Db>::new(format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees e \
             JOIN organisations o ON o.id = e.organisation_id WHERE e.afm = "
        ));
        q.push_bind(afm.as_str().to_owned());
        push_employee_scope(&mut q, "e", scope);
        q.push(" ORDER BY e.id LIMIT 1");
        let row: Option<EmployeeFullRow> = q.build_query_as().fetch_optional(&self.read).await?;
        convert_one(row)
    }

    async fn units(&self, scope: &Scope) -> StoreResult<Vec<String>> {
        let mut q =
            QueryBuilder::<Db>::new("SELECT DISTINCT e.unit FROM employees e WHERE e.unit <> ''");
        push_employee_scope(&mut q, "e", scope);
        q.push(" ORDER BY e.unit");
        Ok(q.build_query_scalar().fetch_all(&self.read).await?)
    }

    async fn username_taken(&self, username: &str) -> StoreResult<bool> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM usernames WHERE username = $1")
            .bind(username)
            .fetch_one(&self.read)
            .await?;
        Ok(count > 0)
    }

    async fn registered_afms(
        &self,
        organisation_id: i64,
        afms: &[String],
    ) -> StoreResult<Vec<String>> {
        self.afms_of_organisation(organisation_id, afms).await
    }

    async fn begin_import(
        &self,
        organisation_id: i64,
        rows: u64,
        now: DateTime<Utc>,
    ) -> StoreResult<Box<dyn crate::EmployeeImport>> {
        self.open_import(organisation_id, rows, now).await
    }
}
