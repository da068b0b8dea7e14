//! Reading the HR registry's CSV export as a stream: the header, then each row checked by the
//! domain's `EmployeeInput::validate` and against the rows before it (an ΑΦΜ twice), every error
//! with its line. Holds no more of the file than the csv crate's buffer, and four bytes per ΑΦΜ
//! seen. Depends on nothing of certdesk but the domain, so that the fuzz target `csv_import`
//! can include this file (and `line_ends.rs`) with `#[path]`.

use std::collections::HashMap;
use std::io::Read;

use certdesk_domain::employee::{EmployeeInput, ValidEmployee};
use certdesk_domain::validation::ValidationError;
use certdesk_domain::{Field, Lang};

use super::line_ends::{Encoding, Normalized};

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
    pub problem: RowProblem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowProblem {
    /// The file cannot be read there (the reader's or the csv crate's words).
    Unreadable(String),
    /// Not UTF-8, and no other encoding was named.
    NotUtf8,
    /// The first line is not [`HEADER`].
    WrongHeader,
    /// A row with this many fields instead of ten.
    FieldCount(usize),
    Invalid(ValidationError),
    /// The ΑΦΜ came already, on `first_line`.
    RepeatedAfm {
        afm: String,
        first_line: u64,
    },
    /// The organisation has an employee with this ΑΦΜ already (and no update was asked).
    RegisteredAfm {
        afm: String,
    },
}

impl RowError {
    /// The field at fault, when it is one field.
    pub fn field(&self) -> Option<Field> {
        match &self.problem {
            RowProblem::Invalid(e) => Some(e.field),
            RowProblem::RepeatedAfm { .. } | RowProblem::RegisteredAfm { .. } => Some(Field::Afm),
            _ => None,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let el = lang == Lang::El;
        match &self.problem {
            RowProblem::Unreadable(why) if el => format!("η γραμμή δεν διαβάζεται: {why}"),
            RowProblem::Unreadable(why) => format!("the line cannot be read: {why}"),
            RowProblem::NotUtf8 if el => "το αρχείο δεν είναι σε UTF-8: αν είναι σε Windows-1253, \
                 δηλώστε το (--encoding windows-1253, ή charset=windows-1253 στο Content-Type)"
                .to_owned(),
            RowProblem::NotUtf8 => "the file is not in UTF-8: if it is in Windows-1253, say so \
                 (--encoding windows-1253, or charset=windows-1253 in the Content-Type)"
                .to_owned(),
            RowProblem::WrongHeader if el => {
                format!("η κεφαλίδα πρέπει να είναι ακριβώς «{}»", HEADER.join(","))
            }
            RowProblem::WrongHeader => {
                format!("the header must be exactly \"{}\"", HEADER.join(","))
            }
            RowProblem::FieldCount(n) if el => {
                format!("έχει {n} πεδία αντί για {}", HEADER.len())
            }
            RowProblem::FieldCount(n) => format!("it has {n} fields instead of {}", HEADER.len()),
            RowProblem::Invalid(e) => e.message(lang),
            RowProblem::RepeatedAfm { afm, first_line } if el => {
                format!("ο ΑΦΜ {afm} υπάρχει ήδη στη γραμμή {first_line}")
            }
            RowProblem::RepeatedAfm { afm, first_line } => {
                format!("the ΑΦΜ {afm} is on line {first_line} already")
            }
            RowProblem::RegisteredAfm { afm } if el => {
                format!("ο ΑΦΜ {afm} είναι ήδη καταχωρισμένος στον φορέα")
            }
            RowProblem::RegisteredAfm { afm } => {
                format!("the ΑΦΜ {afm} is registered in the organisation already")
            }
        }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let message = self.message(Lang::El);
        match self.field() {
            Some(field) => write!(f, "γραμμή {}, πεδίο {field}: {message}", self.line),
            None => write!(f, "γραμμή {}: {message}", self.line),
        }
    }
}

/// The rows of a file, read one at a time.
pub struct CsvRows<R: Read> {
    reader: csv::Reader<Normalized<R>>,
    record: csv::StringRecord,
    /// The line of each ΑΦΜ seen (an ΑΦΜ is nine digits).
    first_line_of_afm: HashMap<u32, u32>,
    done: bool,
}

fn unreadable(line: u64, e: &csv::Error) -> RowError {
    let problem = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => RowProblem::NotUtf8,
        _ => RowProblem::Unreadable(e.to_string()),
    };
    RowError { line, problem }
}

impl<R: Read> CsvRows<R> {
    /// Opens the file and checks its header.
    pub fn open(input: R, encoding: Encoding) -> Result<CsvRows<R>, RowError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .buffer_capacity(64 * 1024)
            .from_reader(Normalized::new(input, encoding));
        let header = match reader.headers() {
            Ok(header) => header.clone(),
            Err(e) => {
                let line = match e.position() {
                    Some(p) => reader.get_mut().line_of_record(p.byte()),
                    None => 1,
                };
                return Err(unreadable(line, &e));
            }
        };
        let line = match header.position() {
            Some(p) => reader.get_mut().line_of_record(p.byte()),
            None => 1,
        };
        let columns: Vec<String> = header
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
            .collect();
        if columns != HEADER {
            return Err(RowError {
                line,
                problem: RowProblem::WrongHeader,
            });
        }
        Ok(CsvRows {
            reader,
            record: csv::StringRecord::new(),
            first_line_of_afm: HashMap::new(),
            done: false,
        })
    }

    /// How many bytes of the file were read so far.
    pub fn bytes_read(&self) -> u64 {
        self.reader.get_ref().consumed()
    }

    /// The next row, valid or not; `None` at the end of the file, and after a file-wide error
    /// (an encoding that is not the file's: every line after it would be wrong too).
    pub fn next_row(&mut self) -> Option<Result<(u64, ValidEmployee), RowError>> {
        if self.done {
            return None;
        }
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                let line = match e.position() {
                    Some(p) => self.reader.get_mut().line_of_record(p.byte()),
                    None => self.reader.get_mut().line_at(u64::MAX),
                };
                let error = unreadable(line, &e);
                // After an I/O error or a wrong encoding nothing further can be trusted.
                self.done = !matches!(error.problem, RowProblem::Unreadable(_)) || e.is_io_error();
                return Some(Err(error));
            }
        }
        let line = match self.record.position() {
            Some(p) => self.reader.get_mut().line_of_record(p.byte()),
            None => self.reader.get_mut().line_at(u64::MAX),
        };
        Some(self.check(line))
    }

    fn check(&mut self, line: u64) -> Result<(u64, ValidEmployee), RowError> {
        let record = &self.record;
        if record.len() != HEADER.len() {
            return Err(RowError {
                line,
                problem: RowProblem::FieldCount(record.len()),
            });
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
        let valid = input.validate().map_err(|e| RowError {
            line,
            problem: RowProblem::Invalid(e),
        })?;
        // A valid ΑΦΜ is nine digits.
        let number: u32 = valid.afm.as_str().parse().unwrap_or(u32::MAX);
        let line32 = u32::try_from(line).unwrap_or(u32::MAX);
        if let Some(first) = self.first_line_of_afm.insert(number, line32) {
            self.first_line_of_afm.insert(number, first);
            return Err(RowError {
                line,
                problem: RowProblem::RepeatedAfm {
                    afm: valid.afm.as_str().to_owned(),
                    first_line: u64::from(first),
                },
            });
        }
        Ok((line, valid))
    }
}

/// Reads and checks a whole file: every row, or every error.
pub fn read_employees(
    input: impl Read,
    encoding: Encoding,
) -> Result<Vec<(u64, ValidEmployee)>, Vec<RowError>> {
    let mut rows = CsvRows::open(input, encoding).map_err(|e| vec![e])?;
    let (mut employees, mut errors) = (Vec::new(), Vec::new());
    while let Some(row) = rows.next_row() {
        match row {
            Ok(employee) => employees.push(employee),
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(employees)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
#[path = "csv_rows_tests.rs"]
mod tests;
