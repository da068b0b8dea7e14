//! An import's new rows as prepared multi-row inserts (SQLite's bulk path; the statements are
//! the same for every full batch, so each is prepared once per connection).

use sqlx::QueryBuilder;

use super::employee_import::{EMPLOYEE_COLUMNS, EmployeeRow, NAME_KEY_COLUMNS, NameKeyRow};
use super::{Conn, Db};
use crate::StoreResult;

/// Rows per statement: 18 parameters each, under SQLite's 32,766.
const EMPLOYEES_PER_INSERT: usize = 500;
const KEYS_PER_INSERT: usize = 2000;

pub(crate) async fn insert_employees(
    conn: &mut Conn,
    rows: &[EmployeeRow<'_>],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(EMPLOYEES_PER_INSERT) {
        let mut q = QueryBuilder::<Db>::new(format!("INSERT INTO employees ({EMPLOYEE_COLUMNS}) "));
        q.push_values(chunk, |mut b, row| {
            let e = row.employee;
            b.push_bind(row.id)
                .push_bind(row.organisation_id)
                .push_bind(e.afm.as_str().to_owned())
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
                .push_bind(row.columns.words.clone())
                .push_bind(row.created_at);
        });
        q.build().persistent(true).execute(&mut *conn).await?;
    }
    Ok(())
}

pub(crate) async fn insert_name_keys(conn: &mut Conn, rows: &[NameKeyRow<'_>]) -> StoreResult<()> {
    for chunk in rows.chunks(KEYS_PER_INSERT) {
        let mut q = QueryBuilder::<Db>::new(format!(
            "INSERT INTO employee_name_keys ({NAME_KEY_COLUMNS}) "
        ));
        q.push_values(chunk, |mut b, row| {
            b.push_bind(row.key.to_owned())
                .push_bind(row.employee_id)
                .push_bind(row.organisation_id)
                .push_bind(i32::from(row.leading));
        });
        q.build().persistent(true).execute(&mut *conn).await?;
    }
    Ok(())
}
