//! The CSV reader's tests: line numbers whatever the line ends, every kind of bad input.

use super::*;
use proptest::prelude::*;

fn read(data: &[u8]) -> Result<Vec<(u64, ValidEmployee)>, Vec<RowError>> {
    read_employees(data, Encoding::Utf8)
}

const GOOD: &str = "afm,surname,given_name,father_name,id_card,birth_date,email,mobile,unit,position\n\
    010509832,Παπαδόπουλος,Γεώργιος,Νικόλαος,ΑΒ123456,1980-02-29,g.papadopoulos@ypes.gov.gr,6912345678,Διεύθυνση Διοικητικού,Υπάλληλος\n\
    090000045,\"Νικολάου, Ελένη\",Ελένη,Ιωάννης,,,,,,\n";

#[test]
fn a_good_file_gives_every_employee() {
    let employees = read(GOOD.as_bytes()).unwrap();
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
    let errors = read(file.as_bytes()).unwrap_err();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].field()), (4, Some(Field::Afm)));
    assert!(
        errors[0].message(Lang::El).contains("ψηφίο ελέγχου"),
        "{}",
        errors[0].message(Lang::El)
    );
    assert_eq!((errors[1].line, errors[1].field()), (5, Some(Field::Afm)));
    assert!(errors[1].message(Lang::El).contains("γραμμή 2"));
    assert_eq!((errors[2].line, errors[2].field()), (6, None));
    assert_eq!(
        errors[0].to_string(),
        format!("γραμμή 4, πεδίο afm: {}", errors[0].message(Lang::El))
    );
}

#[test]
fn the_header_must_be_the_documented_one() {
    let errors = read("afm,name\n010509832,x\n".as_bytes()).unwrap_err();
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
        let errors = read(file.as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 1, "{end:?}: {errors:?}");
        assert_eq!(
            (errors[0].line, errors[0].field()),
            (3, Some(Field::Afm)),
            "{end:?}"
        );
    }
    let (file, _) = file_of(&[(true, 2), (true, 0), (true, 1), (true, 2)]);
    let lines: Vec<u64> = read(file.as_bytes())
        .unwrap()
        .iter()
        .map(|(line, _)| *line)
        .collect();
    assert_eq!(lines, [2, 3, 4, 5]);
    // Blank lines are skipped, and counted.
    let (file, _) = file_of(&[(true, 0), (false, 0)]);
    let file = format!("\n\r\n{}", file.replacen('\n', "\n\n\r\n", 2));
    let errors = read(file.as_bytes()).unwrap_err();
    assert_eq!(errors[0].line, 9, "{file:?}");
    let errors = read("\n\nafm,name\n".as_bytes()).unwrap_err();
    assert_eq!(errors[0].line, 3);
}

/// A row whose quoted value spans lines is named by the line it begins on.
#[test]
fn a_quoted_value_over_two_lines_counts_them() {
    let file = format!(
        "{}\r\n010509832,\"Παπα\r\nδόπουλος\",Α,Β,,,,,,\r\n123,Α,Β,Γ,,,,,,\r\n",
        HEADER.join(",")
    );
    let errors = read(file.as_bytes()).unwrap_err();
    let lines: Vec<(u64, Option<Field>)> = errors.iter().map(|e| (e.line, e.field())).collect();
    assert_eq!(lines, [(2, Some(Field::Surname)), (4, Some(Field::Afm))]);
}

/// «Παπάς» in Windows-1253, as Excel on Greek Windows saves "CSV".
const PAPAS_1253: [u8; 5] = [0xD0, 0xE1, 0xF0, 0xDC, 0xF2];

fn windows_1253_file() -> Vec<u8> {
    let mut file = format!("{}\r\n010509832,", HEADER.join(",")).into_bytes();
    file.extend_from_slice(&PAPAS_1253);
    file.extend_from_slice(
        b",\xC3\xE5\xFE\xF1\xE3\xE9\xEF\xF2,\xCD\xE9\xEA\xFC\xEB\xE1\xEF\xF2,,,,,,\r\n",
    );
    file
}

#[test]
fn a_windows_1253_file_is_read_when_named_and_refused_clearly_when_not() {
    let file = windows_1253_file();
    let rows = read_employees(file.as_slice(), Encoding::Windows1253).unwrap();
    assert_eq!(rows[0].1.surname.as_str(), "Παπάς");
    assert_eq!(rows[0].1.given_name.as_str(), "Γεώργιος");
    let errors = read(&file).unwrap_err();
    assert_eq!(errors.len(), 1, "one error for the whole file: {errors:?}");
    assert_eq!(
        (errors[0].line, &errors[0].problem),
        (2, &RowProblem::NotUtf8)
    );
    assert!(errors[0].message(Lang::El).contains("windows-1253"));
    assert!(errors[0].message(Lang::En).contains("not in UTF-8"));
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_header() {
    let file = format!("\u{feff}{GOOD}");
    assert_eq!(read(file.as_bytes()).unwrap().len(), 2);
}

#[test]
fn a_truncated_last_line_is_named() {
    // The export stopped in the middle of the last row: no line end, fields missing.
    let file = format!("{GOOD}010509833,Παπάς,Γιώργ");
    let errors = read(file.as_bytes()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].line, &errors[0].problem),
        (4, &RowProblem::FieldCount(3))
    );
    assert_eq!(errors[0].to_string(), "γραμμή 4: έχει 3 πεδία αντί για 10");
    // An unclosed quote runs to the end of the file: one field too few, named at its line.
    let file = format!("{GOOD}010509833,\"Παπάς,Γιώργος,,,,,,,,\n");
    let errors = read(file.as_bytes()).unwrap_err();
    assert_eq!(
        (errors[0].line, &errors[0].problem),
        (4, &RowProblem::FieldCount(2))
    );
}

#[test]
fn quoted_fields_keep_their_commas_and_a_line_break_is_refused_in_a_name() {
    let file = format!(
        "{}\n010509832,\"Παπαδόπουλος, Παπάς\",Γιώργος,Νίκος,,,,,\"Διεύθυνση Α, Τμήμα Β\",\"Υπάλληλος\"\n",
        HEADER.join(",")
    );
    let rows = read(file.as_bytes()).unwrap();
    assert_eq!(rows[0].1.unit, "Διεύθυνση Α, Τμήμα Β");
    let file = file.replace("Παπάς\"", "\nΠαπάς\"");
    let errors = read(file.as_bytes()).unwrap_err();
    assert_eq!(errors[0].field(), Some(Field::Surname));
}

#[test]
fn messages_are_in_both_languages() {
    let file = format!("{GOOD}010509832,Άλφα,Βήτα,Γάμμα,,,,,,\n");
    let errors = read(file.as_bytes()).unwrap_err();
    assert_eq!(
        errors[0].message(Lang::El),
        "ο ΑΦΜ 010509832 υπάρχει ήδη στη γραμμή 2"
    );
    assert_eq!(
        errors[0].message(Lang::En),
        "the ΑΦΜ 010509832 is on line 2 already"
    );
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
        match read(data.as_slice()) {
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
        match read(file.as_bytes()) {
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
                prop_assert!(errors.iter().all(|e| e.field() == Some(Field::Afm)));
            }
        }
    }
}
