//! The people file (see its format in the crate documentation): read once, looked up by ΑΦΜ
//! and by ΑΔΤ.

use std::collections::HashMap;
use std::path::Path;

use certdesk_domain::validation::{Afm, Field, IdCard, PersonName};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::model::{PoliceRecord, TaxPerson};

/// A people file that could not be read: the line (1 is the header; 0 for the file as a whole)
/// and what is wrong.
#[derive(Debug)]
pub struct PeopleError {
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for PeopleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => f.write_str(&self.message),
            line => write!(f, "line {line}: {}", self.message),
        }
    }
}

impl std::error::Error for PeopleError {}

#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) tax: TaxPerson,
    pub(super) police: Option<PoliceRecord>,
}

/// The people the local registry knows (see the file format in the crate documentation).
#[derive(Debug, Clone, Default)]
pub struct People {
    pub(super) entries: Vec<Entry>,
    by_afm: HashMap<String, usize>,
    pub(super) by_id_card: HashMap<String, usize>,
}

#[derive(Deserialize)]
struct Row {
    afm: String,
    surname: String,
    given_name: String,
    father_name: String,
    birth_date: String,
    id_card: String,
    police_surname: String,
    police_given_name: String,
    police_father_name: String,
    police_birth_date: String,
}

impl People {
    /// Reads the CSV file at `path`.
    pub fn load(path: &Path) -> Result<People, PeopleError> {
        let file = std::fs::File::open(path).map_err(|e| PeopleError {
            line: 0,
            message: format!("cannot open {}: {e}", path.display()),
        })?;
        People::from_csv(file)
    }

    /// Reads the CSV text of a people file.
    pub fn from_csv(reader: impl std::io::Read) -> Result<People, PeopleError> {
        let mut csv = csv::Reader::from_reader(reader);
        let mut people = People::default();
        for (index, row) in csv.deserialize::<Row>().enumerate() {
            // The header is line 1.
            let line = index as u64 + 2;
            let fail = |message: String| PeopleError { line, message };
            let row = row.map_err(|e| fail(e.to_string()))?;
            let entry = row.entry().map_err(fail)?;
            let afm = entry.tax.afm.to_string();
            if people.by_afm.contains_key(&afm) {
                return Err(fail(format!("the ΑΦΜ {afm} is there twice")));
            }
            if let Some(police) = &entry.police {
                let id_card = police.id_card.to_string();
                if people.by_id_card.contains_key(&id_card) {
                    return Err(fail(format!("the ΑΔΤ {id_card} is there twice")));
                }
                people.by_id_card.insert(id_card, people.entries.len());
            }
            people.by_afm.insert(afm, people.entries.len());
            people.entries.push(entry);
        }
        Ok(people)
    }

    /// The people of `certdesk demo` (the crate's `demo-people.csv`, built in).
    pub fn demo() -> People {
        People::from_csv(include_str!("../../demo-people.csv").as_bytes())
            .expect("the built-in demo people file is valid")
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(super) fn by_afm(&self, afm: &str) -> Option<&Entry> {
        self.by_afm.get(afm.trim()).map(|&i| &self.entries[i])
    }
}

impl Row {
    fn entry(&self) -> Result<Entry, String> {
        let name = |column: &str, field: Field, value: &str| {
            PersonName::parse(field, value).map_err(|_| format!("invalid {column}: {value:?}"))
        };
        let date = |field: &str, value: &str| {
            NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
                .map_err(|_| format!("invalid {field} (YYYY-MM-DD): {value:?}"))
        };
        let tax = TaxPerson {
            afm: Afm::parse(&self.afm).map_err(|_| format!("invalid afm: {:?}", self.afm))?,
            surname: name("surname", Field::Surname, &self.surname)?,
            given_name: name("given_name", Field::GivenName, &self.given_name)?,
            father_name: name("father_name", Field::FatherName, &self.father_name)?,
            birth_date: date("birth_date", &self.birth_date)?,
        };
        let or = |column: &str, field: Field, police: &str, tax: &PersonName| {
            if police.trim().is_empty() {
                Ok(tax.clone())
            } else {
                name(column, field, police)
            }
        };
        let police = if self.id_card.trim().is_empty() {
            None
        } else {
            Some(PoliceRecord {
                id_card: IdCard::parse(&self.id_card)
                    .map_err(|_| format!("invalid id_card: {:?}", self.id_card))?,
                surname: or(
                    "police_surname",
                    Field::Surname,
                    &self.police_surname,
                    &tax.surname,
                )?,
                given_name: or(
                    "police_given_name",
                    Field::GivenName,
                    &self.police_given_name,
                    &tax.given_name,
                )?,
                father_name: or(
                    "police_father_name",
                    Field::FatherName,
                    &self.police_father_name,
                    &tax.father_name,
                )?,
                birth_date: if self.police_birth_date.trim().is_empty() {
                    tax.birth_date
                } else {
                    date("police_birth_date", &self.police_birth_date)?
                },
            })
        };
        Ok(Entry { tax, police })
    }
}
