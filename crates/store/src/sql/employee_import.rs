//! Employees written in bulk (the CSV import's batches, in one transaction, and
//! `Employees::insert_employees`), with their search columns and keys built in the same pass. New rows get their ids first (see the dialect's
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
use certdesk_domain::name_index::{NameKey, SearchColumns};
use certdesk_domain::validation::Field;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;
use sqlx::query_builder::Separated;

use super::{
    ANALYZE_AFTER_LARGE_IMPORT, Conn, Db, IMPORT_SETTINGS, INDEXES_TO_REBUILD,
    RESERVE_EMPLOYEE_IDS, bulk,
};
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

    /// Binds the columns of [`record_columns!`], in their order.
    pub fn bind_record<Sep: std::fmt::Display>(&self, b: &mut Separated<'_, Db, Sep>) {
        let (e, columns) = (self.employee, &self.columns);
        b.push_bind(e.surname.as_str().to_owned())
            .push_bind(e.given_name.as_str().to_owned())
            .push_bind(e.father_name.as_str().to_owned())
            .push_bind(self.id_card().map(str::to_owned))
            .push_bind(self.birth_date())
            .push_bind(self.email().map(str::to_owned))
            .push_bind(self.mobile().map(str::to_owned))
            .push_bind(e.unit.clone())
            .push_bind(e.position.clone())
            .push_bind(columns.surname_fold.clone())
            .push_bind(columns.given_fold.clone())
            .push_bind(columns.surname_latin.clone())
            .push_bind(columns.given_latin.clone())
            .push_bind(columns.words.clone());
    }
}

/// One row of `employee_name_keys`.
pub(crate) struct NameKeyRow<'a> {
    pub key: &'a str,
    pub employee_id: i64,
    pub organisation_id: i64,
    pub leading: bool,
    pub stem: &'a str,
    pub sort_surname: &'a str,
    pub sort_given: &'a str,
}

impl<'a> NameKeyRow<'a> {
    pub fn of(
        employee_id: i64,
        organisation_id: i64,
        columns: &'a SearchColumns,
        key: &'a NameKey,
    ) -> NameKeyRow<'a> {
        let (stem, sort_surname, sort_given) = columns.filing_of(key);
        NameKeyRow {
            key: &key.key,
            employee_id,
            organisation_id,
            leading: key.leading,
            stem,
            sort_surname,
            sort_given,
        }
    }
}

/// The columns of an employee's record that an update rewrites: the HR fields and the search
/// columns, as [`EmployeeRow::bind_record`] binds them.
macro_rules! record_columns {
    () => {
        "surname, given_name, father_name, id_card, birth_date, email, mobile, unit, position, \
         surname_fold, given_fold, surname_latin, given_latin, search_words"
    };
}

/// The columns of `employees` a new row is written with, in this order (the bulk writers' too).
pub(crate) const EMPLOYEE_COLUMNS: &str = concat!(
    "id, organisation_id, afm, ",
    record_columns!(),
    ", created_at"
);

pub(crate) const NAME_KEY_COLUMNS: &str =
    "key, employee_id, organisation_id, is_leading, stem, sort_surname, sort_given";

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
    /// Whether the import is large enough to refresh the planner's statistics after it.
    pub large: bool,
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
            large: rows >= REBUILD_FROM_ROWS,
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
        let assignments = record_columns!()
            .split(',')
            .map(|column| format!("{0} = v.{0}", column.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        for chunk in rows.chunks(ROWS_PER_UPDATE) {
            // A CTE names the list's columns on both backends (SQLite has no `AS v (…)`).
            let mut q =
                QueryBuilder::<Db>::new(concat!("WITH v (id, ", record_columns!(), ") AS ("));
            q.push_values(chunk, |mut b, row| {
                b.push_bind(row.id);
                row.bind_record(&mut b);
            });
            q.push(format!(
                ") UPDATE employees SET {assignments} FROM v WHERE employees.id = v.id"
            ));
            q.build().execute(&mut *self.tx).await?;
            let mut q = QueryBuilder::<Db>::new("DELETE FROM employee_name_keys WHERE employee_id");
            push_in(&mut q, chunk.iter().map(|row| row.id));
            q.build().execute(&mut *self.tx).await?;
        }
        insert_keys(&mut self.tx, rows).await
    }
}

/// Writes new employees of the organisation and their keys, with ids taken first; answers the
/// ids, in the order of `employees`. A registered ΑΦΜ is `Duplicate(Afm)`.
pub(crate) async fn insert_new(
    conn: &mut Conn,
    organisation_id: i64,
    employees: &[&NewEmployee],
    now: DateTime<Utc>,
) -> StoreResult<Vec<i64>> {
    if employees.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = sqlx::query_scalar(RESERVE_EMPLOYEE_IDS)
        .bind(employees.len() as i64)
        .fetch_all(&mut *conn)
        .await?;
    if ids.len() != employees.len() {
        return Err(StoreError::NotFound);
    }
    let rows: Vec<EmployeeRow<'_>> = employees
        .iter()
        .zip(&ids)
        .map(|(employee, &id)| EmployeeRow {
            id,
            organisation_id,
            employee,
            columns: SearchColumns::of(employee.surname.as_str(), employee.given_name.as_str()),
            created_at: now,
        })
        .collect();
    bulk::insert_employees(conn, &rows)
        .await
        .map_err(duplicate(Field::Afm))?;
    insert_keys(conn, &rows).await?;
    Ok(ids)
}

/// The search keys of `rows`, in the order of the keys' primary key (neighbours share pages).
async fn insert_keys(conn: &mut Conn, rows: &[EmployeeRow<'_>]) -> StoreResult<()> {
    let mut keys = keys_of(rows);
    keys.sort_unstable_by(|a, b| (a.key, a.employee_id).cmp(&(b.key, b.employee_id)));
    bulk::insert_name_keys(conn, &keys).await
}

fn keys_of<'a>(rows: &'a [EmployeeRow<'a>]) -> Vec<NameKeyRow<'a>> {
    rows.iter()
        .flat_map(|row| {
            row.columns
                .keys
                .iter()
                .map(move |k| NameKeyRow::of(row.id, row.organisation_id, &row.columns, k))
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
        let (mut fresh, mut updates) = (Vec::new(), Vec::new());
        for employee in employees {
            match registered.get(employee.afm.as_str()) {
                Some(&id) => updates.push(EmployeeRow {
                    id,
                    organisation_id: self.organisation_id,
                    employee,
                    columns: SearchColumns::of(
                        employee.surname.as_str(),
                        employee.given_name.as_str(),
                    ),
                    created_at: self.now,
                }),
                None => fresh.push(employee),
            }
        }
        self.update(&updates).await?;
        insert_new(&mut self.tx, self.organisation_id, &fresh, self.now).await?;
        Ok(ImportedBatch {
            inserted: fresh.len() as u64,
            updated: updates.len() as u64,
        })
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        let SqlImport {
            store,
            mut tx,
            dropped_indexes,
            large,
            ..
        } = *self;
        for definition in dropped_indexes {
            sqlx::query(sqlx::AssertSqlSafe(definition))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().durably(&store).await?;
        if large {
            // The import is stored; statistics that lag only make plans worse for a while.
            for statement in ANALYZE_AFTER_LARGE_IMPORT {
                if let Err(error) = sqlx::query(*statement).execute(&store.write).await {
                    tracing::warn!(%error, statement, "refreshing statistics after an import");
                }
            }
        }
        Ok(())
    }
}
