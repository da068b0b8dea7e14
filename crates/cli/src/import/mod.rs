//! `certdesk import FILE.csv --org CODE`: employees from the HR registry's CSV export. Every row
//! is checked first; one bad row (or an ΑΦΜ already registered) and nothing of the file is
//! imported. Errors name the line, the field and the reason (in Greek, like the rest of the UI).
//!
//! Reading and checking the rows is `rows` (no IO but the reader it is given, no store: the fuzz
//! target `csv_import` includes that file as it is); storing them is [`run`].

mod rows;

use std::path::Path;

use anyhow::{Context, bail};
use certdesk_store::{Scope, Store};
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};

use rows::read_employees;

/// Imports the employees of `file` into the organisation with code `org`: every row is checked
/// first, and nothing is stored unless all are good and none is registered already.
pub async fn run(store: &dyn Store, file: &Path, org: &str) -> anyhow::Result<()> {
    let organisation = store
        .organisation_by_code(org)
        .await?
        .with_context(|| format!("no organisation with code {org:?}"))?;
    let handle =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let bar = progress_bar(handle.metadata().map(|m| m.len()).unwrap_or(0));
    bar.set_message("έλεγχος");
    let rows = match read_employees(std::io::BufReader::new(handle), &bar) {
        Ok(employees) => employees,
        Err(errors) => {
            bar.abandon();
            for error in errors.iter().take(50) {
                eprintln!("{error}");
            }
            bail!(
                "{} bad line(s) in {}: nothing was imported",
                errors.len(),
                file.display()
            );
        }
    };
    let scope = Scope::Organisations(vec![organisation.id]);
    for (line, employee) in &rows {
        if store
            .employee_by_afm(&scope, &employee.afm)
            .await?
            .is_some()
        {
            bar.abandon();
            bail!(
                "γραμμή {line}, πεδίο afm: ο ΑΦΜ {} είναι ήδη καταχωρισμένος στον φορέα: nothing was imported",
                employee.afm
            );
        }
    }
    bar.set_message("αποθήκευση");
    let employees: Vec<_> = rows.into_iter().map(|(_, employee)| employee).collect();
    let count = employees.len();
    store
        .insert_employees(organisation.id, &employees, Utc::now())
        .await?;
    bar.finish_and_clear();
    println!("imported {count} employees into {}", organisation.code);
    Ok(())
}

pub fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}
