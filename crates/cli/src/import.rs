//! `certdesk import FILE.csv --org CODE`: employees from the HR registry's CSV export. Every row
//! is checked first; one bad row (or an ΑΦΜ already registered) and nothing of the file is
//! imported. Errors name the line, the field and the reason (in Greek, like the rest of the UI).

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};
use certdesk_domain::employee::EmployeeInput;
use certdesk_domain::{Field, Lang};
use certdesk_store::{NewEmployee, Scope, Store};
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};

pub const HEADER: [&str; 10] = [
    "afm",
    "surname",
    "given_name",
    "father_name",
    "id_card",
    "birth_date",
    "email",
    "mobile",
    "unit",
    "position",
];

/// What is wrong with one line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    pub field: Option<Field>,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.field {
            Some(field) => write!(f, "γραμμή {}, πεδίο {field}: {}", self.line, self.message),
            None => write!(f, "γραμμή {}: {}", self.line, self.message),
        }
    }
}

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

/// Reads and validates the whole file. `progress` follows the bytes read.
/// Returns each employee with the line it was read from.
pub fn read_employees(
    input: impl Read,
    progress: &ProgressBar,
) -> Result<Vec<(u64, NewEmployee)>, Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let header = reader.headers().map_err(|e| {
        vec![RowError {
            line: 1,
            field: None,
            message: format!("η κεφαλίδα δεν διαβάζεται: {e}"),
        }]
    })?;
    let columns: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    if columns != HEADER {
        return Err(vec![RowError {
            line: 1,
            field: None,
            message: format!("η κεφαλίδα πρέπει να είναι ακριβώς «{}»", HEADER.join(",")),
        }]);
    }

    let mut employees = Vec::new();
    let mut errors = Vec::new();
    let mut first_line_of_afm: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(RowError {
                    line,
                    field: None,
                    message: format!("η γραμμή δεν διαβάζεται: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        progress.set_position(record.position().map_or(0, |p| p.byte()));
        if record.len() != HEADER.len() {
            errors.push(RowError {
                line,
                field: None,
                message: format!("έχει {} πεδία αντί για {}", record.len(), HEADER.len()),
            });
            continue;
        }
        let input = EmployeeInput {
            afm: &record[0],
            surname: &record[1],
            given_name: &record[2],
            father_name: &record[3],
            id_card: &record[4],
            birth_date: &record[5],
            email: &record[6],
            mobile: &record[7],
            unit: &record[8],
            position: &record[9],
        };
        match input.validate() {
            Ok(valid) => {
                if let Some(first) = first_line_of_afm.insert(valid.afm.as_str().to_owned(), line) {
                    errors.push(RowError {
                        line,
                        field: Some(Field::Afm),
                        message: format!("ο ΑΦΜ {} υπάρχει ήδη στη γραμμή {first}", valid.afm),
                    });
                    continue;
                }
                employees.push((line, valid));
            }
            Err(error) => errors.push(RowError {
                line,
                field: Some(error.field),
                message: error.message(Lang::El),
            }),
        }
    }
    if errors.is_empty() {
        Ok(employees)
    } else {
        Err(errors)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "afm,surname,given_name,father_name,id_card,birth_date,email,mobile,unit,position\n\
        010509832,Παπαδόπουλος,Γεώργιος,Νικόλαος,ΑΒ123456,1980-02-29,g.papadopoulos@ypes.gov.gr,6912345678,Διεύθυνση Διοικητικού,Υπάλληλος\n\
        090000045,\"Νικολάου, Ελένη\",Ελένη,Ιωάννης,,,,,,\n";

    #[test]
    fn a_good_file_gives_every_employee() {
        let employees = read_employees(GOOD.as_bytes(), &ProgressBar::hidden()).unwrap();
        assert_eq!(employees.len(), 2);
        assert_eq!(employees[0].0, 2);
        let first = &employees[0].1;
        assert_eq!(first.id_card.as_ref().map(|c| c.as_str()), Some("AB123456"));
        assert_eq!(
            first.mobile.as_ref().map(|m| m.as_str()),
            Some("+306912345678")
        );
        assert_eq!(employees[1].1.surname.as_str(), "Νικολάου, Ελένη");
        assert_eq!(employees[1].1.email, None);
    }

    #[test]
    fn bad_rows_are_reported_with_line_and_field() {
        let file = format!(
            "{GOOD}010509833,Άλφα,Βήτα,Γάμμα,,,,,,\n010509832,Διπλός,ΑΦΜ,Πατέρας,,,,,,\n123,Λίγα,Πεδία\n"
        );
        let errors = read_employees(file.as_bytes(), &ProgressBar::hidden()).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!((errors[0].line, errors[0].field), (4, Some(Field::Afm)));
        assert!(
            errors[0].message.contains("ψηφίο ελέγχου"),
            "{}",
            errors[0].message
        );
        assert_eq!((errors[1].line, errors[1].field), (5, Some(Field::Afm)));
        assert!(errors[1].message.contains("γραμμή 2"));
        assert_eq!((errors[2].line, errors[2].field), (6, None));
        assert_eq!(
            errors[0].to_string(),
            format!("γραμμή 4, πεδίο afm: {}", errors[0].message)
        );
    }

    #[test]
    fn the_header_must_be_the_documented_one() {
        let errors = read_employees("afm,name\n010509832,x\n".as_bytes(), &ProgressBar::hidden())
            .unwrap_err();
        assert_eq!(errors[0].line, 1);
    }
}
