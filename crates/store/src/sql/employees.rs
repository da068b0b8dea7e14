//! Employee records, and finding them (SPEC §4).

use async_trait::async_trait;
use certdesk_domain::text::{fold, name_keys, prefix_end};
use certdesk_domain::validation::{Afm, Field};
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::{Db, SqlStore, duplicate, push_employee_scope};
use crate::rows::{EmployeeFullRow, EmployeeListRow, convert, convert_one};
use crate::{
    EmployeeQuery, EmployeeRecord, Employees, NewEmployee, Scope, SearchPage, StatusFilter,
    StoreResult,
};

const EMPLOYEE_COLUMNS: &str = "e.id, e.organisation_id, o.name AS organisation_name, e.afm, \
     e.surname, e.given_name, e.father_name, e.id_card, e.birth_date, e.email, e.mobile, e.unit, \
     e.position, e.active, e.current_application_id, \
     (SELECT u.username FROM usernames u WHERE u.employee_id = e.id \
      ORDER BY u.application_id DESC LIMIT 1) AS username";

fn push_employee_filters(builder: &mut QueryBuilder<Db>, scope: &Scope, query: &EmployeeQuery) {
    push_employee_scope(builder, "e", scope);
    for token in &query.name_tokens {
        builder
            .push(" AND e.id IN (SELECT k.employee_id FROM employee_name_keys k WHERE k.key >= ")
            .push_bind(token.clone());
        // The keys the token prefixes, as a range of the index (the columns sort by code point).
        if let Some(end) = prefix_end(token) {
            builder.push(" AND k.key < ").push_bind(end);
        }
        // The name keys carry the organisation, so that a ΔΨΠ's scan stays in their own.
        if let Scope::Organisations(ids) = scope {
            builder.push(" AND k.organisation_id");
            super::push_in(builder, ids.clone());
        }
        builder.push(")");
    }
    if let Some(afm) = &query.afm {
        builder.push(" AND e.afm = ").push_bind(afm.clone());
    }
    if let Some(id_card) = &query.id_card {
        builder.push(" AND e.id_card = ").push_bind(id_card.clone());
    }
    if let Some(email) = &query.email {
        builder
            .push(" AND lower(e.email) = lower(")
            .push_bind(email.clone())
            .push(")");
    }
    if let Some(username) = &query.username {
        builder
            .push(" AND e.id IN (SELECT u.employee_id FROM usernames u WHERE u.username = ")
            .push_bind(username.clone())
            .push(")");
    }
    match query.status {
        Some(StatusFilter::NoApplication) => {
            builder.push(" AND e.current_application_id IS NULL");
        }
        Some(StatusFilter::Is(status)) => {
            builder.push(" AND a.status = ").push_bind(status.code());
        }
        None => {}
    }
    if let Some(unit) = &query.unit {
        builder.push(" AND e.unit = ").push_bind(unit.clone());
    }
    if query.revocation_requested {
        // Open while the application stays in the domain's state for it (issued).
        builder
            .push(" AND a.revocation_requested_at IS NOT NULL AND a.status = ")
            .push_bind(certdesk_domain::revocation_request::OPEN_WHILE.code());
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
        let mut ids = Vec::with_capacity(employees.len());
        for e in employees {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO employees (organisation_id, afm, surname, given_name, father_name, \
                 id_card, birth_date, email, mobile, unit, position, surname_fold, given_fold, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 RETURNING id",
            )
            .bind(organisation_id)
            .bind(e.afm.as_str())
            .bind(e.surname.as_str())
            .bind(e.given_name.as_str())
            .bind(e.father_name.as_str())
            .bind(e.id_card.as_ref().map(|c| c.as_str()))
            .bind(e.birth_date)
            .bind(e.email.as_ref().map(|m| m.as_str()))
            .bind(e.mobile.as_ref().map(|m| m.as_str()))
            .bind(&e.unit)
            .bind(&e.position)
            .bind(fold(e.surname.as_str()))
            .bind(fold(e.given_name.as_str()))
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(duplicate(Field::Afm))?;
            for key in name_keys(e.surname.as_str())
                .into_iter()
                .chain(name_keys(e.given_name.as_str()))
            {
                sqlx::query(
                    "INSERT INTO employee_name_keys (key, employee_id, organisation_id) \
                     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(key)
                .bind(id)
                .bind(organisation_id)
                .execute(&mut *tx)
                .await?;
            }
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn search_employees(
        &self,
        scope: &Scope,
        query: &EmployeeQuery,
    ) -> StoreResult<SearchPage> {
        let from = " FROM employees e LEFT JOIN applications a \
                    ON a.id = e.current_application_id WHERE 1 = 1";
        let mut count = QueryBuilder::<Db>::new(format!("SELECT count(*){from}"));
        push_employee_filters(&mut count, scope, query);
        let total: i64 = count.build_query_scalar().fetch_one(&self.read).await?;

        let mut select = QueryBuilder::<Db>::new(format!(
            "SELECT e.id, e.afm, e.surname, e.given_name, e.father_name, e.unit, a.status, \
             a.revocation_requested_at{from}"
        ));
        push_employee_filters(&mut select, scope, query);
        let (limit, offset) = query.limit_offset();
        select
            .push(" ORDER BY e.surname_fold, e.given_fold, e.id LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        let rows: Vec<EmployeeListRow> = select.build_query_as().fetch_all(&self.read).await?;
        Ok(SearchPage {
            total: total as u64,
            items: convert(rows)?,
        })
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
}
