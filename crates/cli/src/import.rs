//! `certdesk import FILE.csv --org CODE`: employees from the HR registry's CSV export. Every row
//! is checked first; one bad row (or an ΑΦΜ already registered) and nothing of the file is
//! imported. Errors name the line, the field and the reason (in Greek, like the rest of the UI).

use std::collections::HashMap;
use std::io::Read;

use certdesk_domain::Lang;
use certdesk_domain::employee::EmployeeInput;
use certdesk_store::NewEmployee;
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
    pub field: Option<&'static str>,
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
                        field: Some("afm"),
                        message: format!("ο ΑΦΜ {} υπάρχει ήδη στη γραμμή {first}", valid.afm),
                    });
                    continue;
                }
                employees.push((
                    line,
                    NewEmployee {
                        afm: valid.afm.as_str().to_owned(),
                        surname: valid.surname.as_str().to_owned(),
                        given_name: valid.given_name.as_str().to_owned(),
                        father_name: valid.father_name.as_str().to_owned(),
                        id_card: valid.id_card.map(|v| v.as_str().to_owned()),
                        birth_date: valid.birth_date,
                        email: valid.email.map(|v| v.as_str().to_owned()),
                        mobile: valid.mobile.map(|v| v.as_str().to_owned()),
                        unit: valid.unit,
                        position: valid.position,
                    },
                ));
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
        assert_eq!(employees[0].1.id_card.as_deref(), Some("AB123456"));
        assert_eq!(employees[0].1.mobile.as_deref(), Some("+306912345678"));
        assert_eq!(employees[1].1.surname, "Νικολάου, Ελένη");
        assert_eq!(employees[1].1.email, None);
    }

    #[test]
    fn bad_rows_are_reported_with_line_and_field() {
        let file = format!(
            "{GOOD}010509833,Άλφα,Βήτα,Γάμμα,,,,,,\n010509832,Διπλός,ΑΦΜ,Πατέρας,,,,,,\n123,Λίγα,Πεδία\n"
        );
        let errors = read_employees(file.as_bytes(), &ProgressBar::hidden()).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!((errors[0].line, errors[0].field), (4, Some("afm")));
        assert!(
            errors[0].message.contains("ψηφίο ελέγχου"),
            "{}",
            errors[0].message
        );
        assert_eq!((errors[1].line, errors[1].field), (5, Some("afm")));
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
