//! The CSV import's writes: batches of employees in one transaction, with their search columns
//! and keys built in the same pass. New rows get their ids first (see the dialect's
//! `RESERVE_EMPLOYEE_IDS`), so that the rows and their keys go to the database in bulk: by
//! prepared multi-row inserts on SQLite, by `COPY` on PostgreSQL (the dialect's `bulk`).
//! Updates are one statement per batch, joined to a `VALUES` list.
//!
//! Where the dialect says so (SQLite), a large import drops the secondary indexes of the two
//! tables in its transaction and makes them again, from their own definitions, before it
//! commits: maintaining ten indexes row by row in a random order costs SQLite ~70 µs per row
//! at 100,000 rows, and more as they grow, while making an index sorts once. Readers keep the
//! indexes of their snapshot meanwhile; a rollback brings them back.

use std::collections::HashMap;

use async_trait::async_trait;
use certdesk_domain::name_index::SearchColumns;
use certdesk_domain::validation::Field;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;

use super::{Db, IMPORT_SETTINGS, INDEXES_TO_REBUILD, RESERVE_EMPLOYEE_IDS, bulk};
use super::{Durably, SqlStore, duplicate, push_in};
use crate::{EmployeeImport, ImportedBatch, NewEmployee, StoreError, StoreResult};

/// One row of `employees` as an import writes it.
pub(crate) struct EmployeeRow<'a> {
    pub id: i64,
    pub organisation_id: i64,
    pub employee: &'a NewEmployee,
    pub columns: SearchColumns,
    pub created_at: DateTime<Utc>,
}

impl EmployeeRow<'_> {
    pub fn id_card(&self) -> Option<&str> {
        self.employee.id_card.as_ref().map(|c| c.as_str())
    }
    pub fn email(&self) -> Option<&str> {
        self.employee.email.as_ref().map(|m| m.as_str())
    }
    pub fn mobile(&self) -> Option<&str> {
        self.employee.mobile.as_ref().map(|m| m.as_str())
    }
    pub fn birth_date(&self) -> Option<NaiveDate> {
        self.employee.birth_date
    }
}

/// One row of `employee_name_keys`.
pub(crate) struct NameKeyRow<'a> {
    pub key: &'a str,
    pub employee_id: i64,
    pub organisation_id: i64,
    pub leading: bool,
}

/// The columns of `employees` an import writes, in this order (the bulk writers' too).
pub(crate) const EMPLOYEE_COLUMNS: &str = "id, organisation_id, afm, surname, given_name, \
     father_name, id_card, birth_date, email, mobile, unit, position, surname_fold, given_fold, \
     surname_latin, given_latin, search_words, created_at";

pub(crate) const NAME_KEY_COLUMNS: &str = "key, employee_id, organisation_id, is_leading";

/// Rows per multi-row statement: SQLite takes at most 32,766 parameters, PostgreSQL 65,535.
const ROWS_PER_UPDATE: usize = 1000;

/// An import whose indexes are made again: at least this many rows, and at least half as many
/// as the table holds already.
const REBUILD_FROM_ROWS: u64 = 20_000;

pub(crate) struct SqlImport {
    pub store: SqlStore,
    pub tx: sqlx::Transaction<'static, Db>,
    pub organisation_id: i64,
    pub now: DateTime<Utc>,
    /// The definitions of the indexes dropped for the import, made again before it commits.
    pub dropped_indexes: Vec<String>,
}

impl SqlStore {
    pub(crate) async fn open_import(
        &self,
        organisation_id: i64,
        rows: u64,
        now: DateTime<Utc>,
    ) -> StoreResult<Box<dyn EmployeeImport>> {
        let mut tx = self.write.begin().await?;
        for setting in IMPORT_SETTINGS {
            sqlx::query(*setting).execute(&mut *tx).await?;
        }
        let mut dropped_indexes = Vec::new();
        if let Some(indexes) = INDEXES_TO_REBUILD
            && rows >= REBUILD_FROM_ROWS
        {
            let held: i64 = sqlx::query_scalar("SELECT count(*) FROM employees")
                .fetch_one(&mut *tx)
                .await?;
            if rows.saturating_mul(2) >= u64::try_from(held).unwrap_or(0) {
                let definitions: Vec<(String, String)> =
                    sqlx::query_as(indexes).fetch_all(&mut *tx).await?;
                for (name, definition) in definitions {
                    // The names come from the schema itself.
                    sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
                        .execute(&mut *tx)
                        .await?;
                    dropped_indexes.push(definition);
                }
            }
        }
        Ok(Box::new(SqlImport {
            store: self.clone(),
            tx,
            organisation_id,
            now,
            dropped_indexes,
        }))
    }

    pub(crate) async fn afms_of_organisation(
        &self,
        organisation_id: i64,
        afms: &[String],
    ) -> StoreResult<Vec<String>> {
        let mut found = Vec::new();
        for chunk in afms.chunks(ROWS_PER_UPDATE) {
            let mut q =
                QueryBuilder::<Db>::new("SELECT afm FROM employees WHERE organisation_id = ");
            q.push_bind(organisation_id).push(" AND afm");
            push_in(&mut q, chunk.iter().cloned());
            let rows: Vec<String> = q.build_query_scalar().fetch_all(&self.read).await?;
            found.extend(rows);
        }
        Ok(found)
    }
}

impl SqlImport {
    /// The ids of the employees of the batch whose ΑΦΜ the organisation has, by ΑΦΜ.
    async fn registered(&mut self, employees: &[NewEmployee]) -> StoreResult<HashMap<String, i64>> {
        let mut found = HashMap::new();
        for chunk in employees.chunks(ROWS_PER_UPDATE) {
            let mut q =
                QueryBuilder::<Db>::new("SELECT afm, id FROM employees WHERE organisation_id = ");
            q.push_bind(self.organisation_id).push(" AND afm");
            push_in(&mut q, chunk.iter().map(|e| e.afm.as_str().to_owned()));
            let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut *self.tx).await?;
            found.extend(rows);
        }
        Ok(found)
    }

    async fn update(&mut self, rows: &[EmployeeRow<'_>]) -> StoreResult<()> {
        for chunk in rows.chunks(ROWS_PER_UPDATE) {
            // A CTE names the list's columns on both backends (SQLite has no `AS v (…)`).
            let mut q = QueryBuilder::<Db>::new(
                "WITH v (id, surname, given_name, father_name, id_card, birth_date, email, \
                 mobile, unit, position, surname_fold, given_fold, surname_latin, given_latin, \
                 search_words) AS (",
            );
            q.push_values(chunk, |mut b, row| {
                let e = row.employee;
                b.push_bind(row.id)
                    .push_bind(e.surname.as_str().to_owned())
                    .push_bind(e.given_name.as_str().to_owned())
                    .push_bind(e.father_name.as_str().to_owned())
                    .push_bind(row.id_card().map(str::to_owned))
                    .push_bind(row.birth_date())
                    .push_bind(row.email().map(str::to_owned))
                    .push_bind(row.mobile().map(str::to_owned))
                    .push_bind(e.unit.clone())
                    .push_bind(e.position.clone())
                    .push_bind(row.columns.surname_fold.clone())
                    .push_bind(row.columns.given_fold.clone())
                    .push_bind(row.columns.surname_latin.clone())
                    .push_bind(row.columns.given_latin.clone())
                    .push_bind(row.columns.words.clone());
            });
            q.push(
                ") UPDATE employees SET surname = v.surname, given_name = v.given_name, \
                 father_name = v.father_name, id_card = v.id_card, birth_date = v.birth_date, \
                 email = v.email, mobile = v.mobile, unit = v.unit, position = v.position, \
                 surname_fold = v.surname_fold, given_fold = v.given_fold, \
                 surname_latin = v.surname_latin, given_latin = v.given_latin, \
                 search_words = v.search_words FROM v WHERE employees.id = v.id",
            );
            q.build().execute(&mut *self.tx).await?;
            let mut q = QueryBuilder::<Db>::new("DELETE FROM employee_name_keys WHERE employee_id");
            push_in(&mut q, chunk.iter().map(|row| row.id));
            q.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }
}

fn keys_of<'a>(rows: &'a [EmployeeRow<'a>]) -> Vec<NameKeyRow<'a>> {
    rows.iter()
        .flat_map(|row| {
            row.columns.keys.iter().map(move |k| NameKeyRow {
                key: &k.key,
                employee_id: row.id,
                organisation_id: row.organisation_id,
                leading: k.leading,
            })
        })
        .collect()
}

#[async_trait]
impl EmployeeImport for SqlImport {
    async fn write(
        &mut self,
        employees: &[NewEmployee],
        update: bool,
    ) -> StoreResult<ImportedBatch> {
        // Without updates, the check before the import found none registered, and the unique
        // index refuses one registered since (answered as `Duplicate(Afm)`, below).
        let registered = if update {
            self.registered(employees).await?
        } else {
            HashMap::new()
        };
        let fresh = employees.len() - registered.len();
        let ids: Vec<i64> = if fresh == 0 {
            Vec::new()
        } else {
            sqlx::query_scalar(RESERVE_EMPLOYEE_IDS)
                .bind(fresh as i64)
                .fetch_all(&mut *self.tx)
                .await?
        };
        let mut ids = ids.into_iter();
        let (mut inserts, mut updates) = (Vec::new(), Vec::new());
        for employee in employees {
            let columns =
                SearchColumns::of(employee.surname.as_str(), employee.given_name.as_str());
            let (id, rows) = match registered.get(employee.afm.as_str()) {
                Some(&id) => (id, &mut updates),
                None => (ids.next().ok_or(StoreError::NotFound)?, &mut inserts),
            };
            rows.push(EmployeeRow {
                id,
                organisation_id: self.organisation_id,
                employee,
                columns,
                created_at: self.now,
            });
        }
        self.update(&updates).await?;
        bulk::insert_employees(&mut self.tx, &inserts)
            .await
            .map_err(duplicate(Field::Afm))?;
        let mut keys = keys_of(&inserts);
        keys.extend(keys_of(&updates));
        // In the order of the keys' primary key: neighbours share pages.
        keys.sort_unstable_by(|a, b| (a.key, a.employee_id).cmp(&(b.key, b.employee_id)));
        bulk::insert_name_keys(&mut self.tx, &keys).await?;
        Ok(ImportedBatch {
            inserted: inserts.len() as u64,
            updated: updates.len() as u64,
        })
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        let SqlImport {
            store,
            mut tx,
            dropped_indexes,
            ..
        } = *self;
        for definition in dropped_indexes {
            sqlx::query(sqlx::AssertSqlSafe(definition))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().durably(&store).await?;
        Ok(())
    }
}
