//! An import's new rows by `COPY … FROM STDIN` (PostgreSQL's bulk path): each batch goes to
//! the server as one stream in COPY's text format, not as a statement per row.

use std::fmt::Write as _;

use super::sql::employee_import::{EMPLOYEE_COLUMNS, EmployeeRow, NAME_KEY_COLUMNS, NameKeyRow};
use crate::StoreResult;

type Conn = sqlx::PgConnection;

/// One value in COPY's text format: `\N` for NULL, and the characters it gives a meaning to
/// escaped.
fn push_value(line: &mut String, value: Option<&str>) {
    let Some(value) = value else {
        line.push_str("\\N");
        return;
    };
    for c in value.chars() {
        match c {
            '\\' => line.push_str("\\\\"),
            '\t' => line.push_str("\\t"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            c => line.push(c),
        }
    }
}

fn push_row(data: &mut String, values: &[Option<&str>]) {
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            data.push('\t');
        }
        push_value(data, *value);
    }
    data.push('\n');
}

async fn copy(conn: &mut Conn, statement: &str, data: String) -> Result<(), sqlx::Error> {
    let mut copy = conn.copy_in_raw(statement).await?;
    if let Err(e) = copy.send(data.into_bytes()).await {
        // The connection stays usable (and the transaction fails) only once COPY is ended.
        let _ = copy.abort(e.to_string()).await;
        return Err(e);
    }
    copy.finish().await?;
    Ok(())
}

pub(crate) async fn insert_employees(
    conn: &mut Conn,
    rows: &[EmployeeRow<'_>],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut data = String::with_capacity(rows.len() * 256);
    let mut numbers = String::new();
    for row in rows {
        let e = row.employee;
        numbers.clear();
        let _ = write!(numbers, "{}\t{}", row.id, row.organisation_id);
        let birth_date = row.birth_date().map(|d| d.format("%Y-%m-%d").to_string());
        let created_at = row.created_at.to_rfc3339();
        data.push_str(&numbers);
        data.push('\t');
        push_row(
            &mut data,
            &[
                Some(e.afm.as_str()),
                Some(e.surname.as_str()),
                Some(e.given_name.as_str()),
                Some(e.father_name.as_str()),
                row.id_card(),
                birth_date.as_deref(),
                row.email(),
                row.mobile(),
                Some(&e.unit),
                Some(&e.position),
                Some(&row.columns.surname_fold),
                Some(&row.columns.given_fold),
                Some(&row.columns.surname_latin),
                Some(&row.columns.given_latin),
                Some(&row.columns.words),
                Some(&created_at),
            ],
        );
    }
    copy(
        conn,
        &format!("COPY employees ({EMPLOYEE_COLUMNS}) FROM STDIN"),
        data,
    )
    .await
}

pub(crate) async fn insert_name_keys(conn: &mut Conn, rows: &[NameKeyRow<'_>]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut data = String::with_capacity(rows.len() * 40);
    for row in rows {
        push_value(&mut data, Some(row.key));
        let _ = write!(
            data,
            "\t{}\t{}\t{}",
            row.employee_id,
            row.organisation_id,
            i32::from(row.leading)
        );
        for text in [row.stem, row.sort_surname, row.sort_given] {
            data.push('\t');
            push_value(&mut data, Some(text));
        }
        data.push('\n');
    }
    Ok(copy(
        conn,
        &format!("COPY employee_name_keys ({NAME_KEY_COLUMNS}) FROM STDIN"),
        data,
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_format_escapes_what_copy_reads_specially() {
        let mut line = String::new();
        push_row(&mut line, &[Some("a\tb\\c\nd\re"), None, Some("")]);
        assert_eq!(line, "a\\tb\\\\c\\nd\\re\t\\N\t\n");
    }
}
