//! Reading the HR registry's CSV export: the header, then each row checked by the domain's
//! `EmployeeInput::validate`, every error with its line. Depends on nothing of certdesk but the
//! domain, so that the fuzz target `csv_import` can include this file with `#[path]`.

use std::collections::HashMap;
use std::io::Read;

use certdesk_domain::employee::{EmployeeInput, ValidEmployee};
use certdesk_domain::{Field, Lang};
use indicatif::ProgressBar;

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
    /// 1-based line number in the file (where the record begins; the header's is 1 unless
    /// blank lines come first).
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

/// Reads and validates the whole file. `progress` follows the bytes checked.
/// Returns each employee with the line it was read from.
///
/// The file is read whole, its line ends ("\r\n", and a lone "\r" as Excel's "CSV (Macintosh)"
/// writes them) made "\n", and each record's line counted here: the csv crate ends a record at
/// any of the three but counts lines by "\n" alone, and gives a record the position where its
/// reading began, before the end of the previous line's "\r\n" and any blank lines it skips.
/// Only values with control characters change with their line ends, and those are refused.
pub fn read_employees(
    mut input: impl Read,
    progress: &ProgressBar,
) -> Result<Vec<(u64, ValidEmployee)>, Vec<RowError>> {
    let mut data = Vec::new();
    if let Err(e) = input.read_to_end(&mut data) {
        return Err(vec![RowError {
            line: Lines::new(&data).at(data.len()),
            field: None,
            message: format!("το αρχείο δεν διαβάζεται: {e}"),
        }]);
    }
    unify_line_ends(&mut data);
    let mut lines = Lines::new(&data);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(data.as_slice());
    let header = match reader.headers() {
        Ok(header) => header.clone(),
        Err(e) => {
            return Err(vec![RowError {
                line: lines.of(e.position()),
                field: None,
                message: format!("η κεφαλίδα δεν διαβάζεται: {e}"),
            }]);
        }
    };
    let columns: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    if columns != HEADER {
        return Err(vec![RowError {
            line: lines.of(header.position()),
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
                let line = lines.of(e.position());
                errors.push(RowError {
                    line,
                    field: None,
                    message: format!("η γραμμή δεν διαβάζεται: {e}"),
                });
                continue;
            }
        };
        let line = lines.of(record.position());
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

/// Writes every "\r\n" and every lone "\r" of `data` as "\n".
fn unify_line_ends(data: &mut Vec<u8>) {
    let mut after_cr = false;
    data.retain_mut(|b| {
        let keep = !(after_cr && *b == b'\n');
        after_cr = *b == b'\r';
        if after_cr {
            *b = b'\n';
        }
        keep
    });
}

/// Line numbers of positions in a file whose lines all end in "\n", asked for in increasing
/// order (as the records come).
struct Lines<'a> {
    data: &'a [u8],
    counted_to: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(data: &'a [u8]) -> Self {
        Lines {
            data,
            counted_to: 0,
            line: 1,
        }
    }

    /// The 1-based line of the byte at `offset`.
    fn at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.data.len());
        if offset > self.counted_to {
            let newlines = self.data[self.counted_to..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line += newlines as u64;
            self.counted_to = offset;
        }
        self.line
    }

    /// The line of a record that the csv crate says begins at `position`: past the blank lines
    /// it skipped there.
    fn of(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(start) = position.and_then(|p| usize::try_from(p.byte()).ok()) else {
            return self.line;
        };
        let skipped = self
            .data
            .get(start..)
            .map_or(0, |rest| rest.iter().take_while(|&&b| b == b'\n').count());
        self.at(start + skipped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    /// Every line terminator the csv crate reads (it counts lines by "\n" alone).
    const TERMINATORS: [&str; 3] = ["\n", "\r\n", "\r"];

    /// A file with the header, then `rows`: (true for a good row, false for one with a wrong
    /// check digit; which of `TERMINATORS` ends it); and the good rows' ΑΦΜ.
    fn file_of(rows: &[(bool, usize)]) -> (String, Vec<String>) {
        let mut file = format!("{}\n", HEADER.join(","));
        let mut afms = Vec::new();
        for (i, (good, end)) in rows.iter().enumerate() {
            let afm = certdesk_domain::validation::afm_with_check_digit(&format!("{:08}", i + 1));
            let afm = if *good {
                afms.push(afm.clone());
                afm
            } else {
                let wrong = (afm.as_bytes()[8] - b'0' + 1) % 10;
                format!("{}{wrong}", &afm[..8])
            };
            file.push_str(&format!(
                "{afm},Επώνυμο,Όνομα,Πατρώνυμο,,,,,,{}",
                TERMINATORS[*end]
            ));
        }
        (file, afms)
    }

    /// Found by the fuzz target `csv_import` on its seed of a Windows file: with "\r\n" line
    /// ends every row was reported one line early (the first at line 1, the header's), and
    /// with a lone "\r" all of them at line 1; blank lines shifted the rows after them.
    #[test]
    fn errors_name_the_line_whatever_the_line_ends() {
        for end in TERMINATORS {
            let (file, _) = file_of(&[(true, 0), (false, 0), (true, 0)]);
            let file = file.replace('\n', end);
            let errors = read_employees(file.as_bytes(), &ProgressBar::hidden()).unwrap_err();
            assert_eq!(errors.len(), 1, "{end:?}: {errors:?}");
            assert_eq!(
                (errors[0].line, errors[0].field),
                (3, Some(Field::Afm)),
                "{end:?}"
            );
        }
        let (file, _) = file_of(&[(true, 2), (true, 0), (true, 1), (true, 2)]);
        let lines: Vec<u64> = read_employees(file.as_bytes(), &ProgressBar::hidden())
            .unwrap()
            .iter()
            .map(|(line, _)| *line)
            .collect();
        assert_eq!(lines, [2, 3, 4, 5]);
        // Blank lines are skipped, and counted.
        let (file, _) = file_of(&[(true, 0), (false, 0)]);
        let file = format!("\n\r\n{}", file.replacen('\n', "\n\n\r\n", 2));
        let errors = read_employees(file.as_bytes(), &ProgressBar::hidden()).unwrap_err();
        assert_eq!(errors[0].line, 9, "{file:?}");
        let errors =
            read_employees("\n\nafm,name\n".as_bytes(), &ProgressBar::hidden()).unwrap_err();
        assert_eq!(errors[0].line, 3);
    }

    /// A row whose quoted value spans lines is named by the line it begins on.
    #[test]
    fn a_quoted_value_over_two_lines_counts_them() {
        let file = format!(
            "{}\r\n010509832,\"Παπα\r\nδόπουλος\",Α,Β,,,,,,\r\n123,Α,Β,Γ,,,,,,\r\n",
            HEADER.join(",")
        );
        let errors = read_employees(file.as_bytes(), &ProgressBar::hidden()).unwrap_err();
        let lines: Vec<(u64, Option<Field>)> = errors.iter().map(|e| (e.line, e.field)).collect();
        assert_eq!(lines, [(2, Some(Field::Surname)), (4, Some(Field::Afm))]);
    }

    proptest! {
        /// Any bytes: no panic, and a refusal names lines of the file, in order.
        #[test]
        fn any_bytes_give_rows_or_errors_with_lines(
            data in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..300),
                "(afm,surname,given_name,father_name,id_card,birth_date,email,mobile,unit,position)?\
                 ([0-9,\"\r\n αβ]{0,40}){0,8}"
                    .prop_map(String::into_bytes),
            ],
        ) {
            let breaks = data.iter().filter(|&&b| b == b'\n').count()
                + data.iter().filter(|&&b| b == b'\r').count()
                - data.windows(2).filter(|w| w == b"\r\n").count();
            let count = breaks as u64 + 1;
            match read_employees(data.as_slice(), &ProgressBar::hidden()) {
                Ok(rows) => {
                    let mut previous = 1;
                    for (line, _) in &rows {
                        prop_assert!(*line > previous && *line <= count, "{} after {}", line, previous);
                        previous = *line;
                    }
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    for e in &errors {
                        prop_assert!((1..=count).contains(&e.line), "{} of {}", e, count);
                    }
                    prop_assert!(errors.windows(2).all(|w| w[0].line <= w[1].line));
                }
            }
        }

        /// Rows ending in any mix of "\n", "\r\n" and "\r": the good ones come back with
        /// their line, the bad ones are reported at theirs.
        #[test]
        fn every_row_is_named_by_its_line(
            rows in proptest::collection::vec((proptest::bool::weighted(0.8), 0..3usize), 1..12),
        ) {
            let (file, afms) = file_of(&rows);
            let bad: Vec<u64> = (0..rows.len())
                .filter(|&i| !rows[i].0)
                .map(|i| i as u64 + 2)
                .collect();
            match read_employees(file.as_bytes(), &ProgressBar::hidden()) {
                Ok(read) => {
                    prop_assert!(bad.is_empty());
                    let lines: Vec<u64> = read.iter().map(|(line, _)| *line).collect();
                    let expected: Vec<u64> = (2..rows.len() as u64 + 2).collect();
                    prop_assert_eq!(lines, expected);
                    let read_afms: Vec<&str> = read.iter().map(|(_, e)| e.afm.as_str()).collect();
                    prop_assert_eq!(read_afms, afms);
                }
                Err(errors) => {
                    let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
                    prop_assert_eq!(lines, bad);
                    prop_assert!(errors.iter().all(|e| e.field == Some(Field::Afm)));
                }
            }
        }
    }
}
