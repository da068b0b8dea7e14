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
            b.push_bind(row.id)
                .push_bind(row.organisation_id)
                .push_bind(row.employee.afm.as_str().to_owned());
            row.bind_record(&mut b);
            b.push_bind(row.created_at);
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
                .push_bind(i32::from(row.leading))
                .push_bind(row.stem.to_owned())
                .push_bind(row.sort_surname.to_owned())
                .push_bind(row.sort_given.to_owned());
        });
        q.build().persistent(true).execute(&mut *conn).await?;
    }
    Ok(())
}
