//! The CSV import's streaming reader, `read_employees` in crates/app/src/import/csv_rows.rs
//! and the line ends it reads through, line_ends.rs (both included as they are): never panics, on any bytes. A refused file has at least one error, each naming a line of
//! the file (1-based; a line ends at "\n", "\r\n" or a lone "\r"), in order. An accepted file
//! gives rows from line 2 on, in increasing lines, with distinct ΑΦΜ, each row's ΑΦΜ written on
//! the line it is said to come from, and each row valid again when its canonical fields are
//! checked once more.
#![no_main]

use certdesk_domain::employee::EmployeeInput;
use libfuzzer_sys::fuzz_target;

/// Mounted as in the app crate: `csv_rows` reaches `super::line_ends`.
mod import {
    #[allow(dead_code)]
    #[path = "../../../crates/app/src/import/line_ends.rs"]
    pub mod line_ends;
    #[allow(dead_code)]
    #[path = "../../../crates/app/src/import/csv_rows.rs"]
    pub mod csv_rows;
}
use import::{csv_rows as rows, line_ends::Encoding};

/// The lines of `data`, split at "\n", "\r\n" and a lone "\r".
fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\n' => {
                lines.push(&data[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&data[start..i]);
                if data.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    lines.push(&data[start..]);
    lines
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fuzz_target!(|data: &[u8]| {
    let lines = lines(data);
    let count = lines.len() as u64;
    match rows::read_employees(data, Encoding::Utf8) {
        Err(errors) => {
            assert!(!errors.is_empty());
            for e in &errors {
                assert!(
                    (1..=count).contains(&e.line),
                    "line {} of {count}: {e}",
                    e.line
                );
                assert!(!e.message(certdesk_domain::Lang::El).is_empty());
                assert!(e.to_string().starts_with(&format!("γραμμή {}", e.line)));
            }
            assert!(
                errors.windows(2).all(|w| w[0].line <= w[1].line),
                "{errors:?}"
            );
        }
        Ok(employees) => {
            let mut previous = 1;
            let mut afms = std::collections::HashSet::new();
            for (line, e) in &employees {
                assert!(
                    *line > previous && *line <= count,
                    "line {line} after {previous}"
                );
                previous = *line;
                assert!(afms.insert(e.afm.clone()), "ΑΦΜ {} twice", e.afm);
                let text = lines[(*line - 1) as usize];
                assert!(
                    contains(text, e.afm.as_str().as_bytes()),
                    "ΑΦΜ {} is not on line {line}: {:?}",
                    e.afm,
                    String::from_utf8_lossy(text)
                );
                let birth_date = e.birth_date.map(|d| d.to_string()).unwrap_or_default();
                let again = EmployeeInput {
                    afm: e.afm.as_str(),
                    surname: e.surname.as_str(),
                    given_name: e.given_name.as_str(),
                    father_name: e.father_name.as_str(),
                    id_card: e.id_card.as_ref().map_or("", |v| v.as_str()),
                    birth_date: &birth_date,
                    email: e.email.as_ref().map_or("", |v| v.as_str()),
                    mobile: e.mobile.as_ref().map_or("", |v| v.as_str()),
                    unit: &e.unit,
                    position: &e.position,
                }
                .validate();
                assert_eq!(again.as_ref(), Ok(e), "canonical fields re-validate");
            }
        }
    }
});
