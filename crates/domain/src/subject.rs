//! The names a certificate may carry (issue 10): those the registries confirmed, never only what
//! HR typed. At the data check the HR record must agree with the tax registry's names of the
//! person who logged in (folded, as identification compares); the registry's spelling is kept
//! as [`VerifiedNames`], and identification then matches the same names against the Police
//! record. A [`VerifiedNames`] is made only by [`check_hr_record`] (or read back from the store
//! with [`VerifiedNames::stored`]), so a command cannot carry names nobody compared.

use crate::Lang;
use crate::identity::{Mismatch, PersonFacts, same_name};

/// The names the tax registry confirmed, as it spells them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNames {
    surname: String,
    given_name: String,
    father_name: String,
}

impl VerifiedNames {
    pub fn surname(&self) -> &str {
        &self.surname
    }

    pub fn given_name(&self) -> &str {
        &self.given_name
    }

    pub fn father_name(&self) -> &str {
        &self.father_name
    }

    /// Names the store kept from an earlier [`check_hr_record`].
    pub fn stored(surname: String, given_name: String, father_name: String) -> VerifiedNames {
        VerifiedNames {
            surname,
            given_name,
            father_name,
        }
    }
}

/// The names of the HR record, as the ΔΨΠ's organisation keeps them.
pub struct HrNames<'a> {
    pub surname: &'a str,
    pub given_name: &'a str,
    pub father_name: &'a str,
}

/// The HR record against the tax registry's facts of the login: the registry's names when they
/// agree (case, accents and spacing do not count), else every field that differs.
pub fn check_hr_record(
    hr: &HrNames<'_>,
    tax: &PersonFacts,
) -> Result<VerifiedNames, Vec<Mismatch>> {
    let same = same_name;
    let mut mismatches = Vec::new();
    if !same(hr.surname, &tax.surname) {
        mismatches.push(Mismatch::Surname);
    }
    if !same(hr.given_name, &tax.given_name) {
        mismatches.push(Mismatch::GivenName);
    }
    // An HR record may leave the father's name out; when it has one, it must agree.
    if !hr.father_name.trim().is_empty() && !same(hr.father_name, &tax.father_name) {
        mismatches.push(Mismatch::FatherName);
    }
    if !mismatches.is_empty() {
        return Err(mismatches);
    }
    Ok(VerifiedNames {
        surname: tax.surname.trim().to_owned(),
        given_name: tax.given_name.trim().to_owned(),
        father_name: tax.father_name.trim().to_owned(),
    })
}

/// What the beneficiary and the ΔΨΠ are told when the HR record disagrees.
pub fn disagreement_message(mismatches: &[Mismatch], lang: Lang) -> String {
    let fields: Vec<&str> = mismatches.iter().map(|m| m.label(lang)).collect();
    match lang {
        Lang::El => format!(
            "Τα στοιχεία του φορέα δεν συμφωνούν με το Μητρώο Φορολογουμένων: {}. \
             Ο Διαχειριστής Ψηφιακών Πιστοποιητικών του φορέα σας πρέπει να τα διορθώσει.",
            fields.join(", ")
        ),
        Lang::En => format!(
            "Your organisation's records do not agree with the tax registry in: {}. \
             Your organisation's certificate administrator must correct them.",
            fields.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn tax(surname: &str, given: &str, father: &str) -> PersonFacts {
        PersonFacts {
            surname: surname.to_owned(),
            given_name: given.to_owned(),
            father_name: father.to_owned(),
            birth_date: NaiveDate::from_ymd_opt(1985, 4, 2).unwrap(),
        }
    }

    fn hr<'a>(surname: &'a str, given: &'a str, father: &'a str) -> HrNames<'a> {
        HrNames {
            surname,
            given_name: given,
            father_name: father,
        }
    }

    #[test]
    fn an_agreeing_record_gives_the_registrys_spelling() {
        let names = check_hr_record(
            &hr("ΣΤΑΜΑΤΟΠΟΥΛΟΥ", "ΖΩΗ", "ΕΥΑΓΓΕΛΟΣ"),
            &tax("Σταματοπούλου", " Ζωή", "Ευάγγελος"),
        )
        .unwrap();
        assert_eq!(
            (names.surname(), names.given_name(), names.father_name()),
            ("Σταματοπούλου", "Ζωή", "Ευάγγελος")
        );
    }

    #[test]
    fn every_differing_name_is_named() {
        let found = check_hr_record(
            &hr("Σταματοπούλου", "Ζωή", "Γεώργιος"),
            &tax("Σταματοπούλου", "Ζωίτσα", "Ευάγγελος"),
        )
        .unwrap_err();
        assert_eq!(found, vec![Mismatch::GivenName, Mismatch::FatherName]);
        assert_eq!(
            disagreement_message(&found, Lang::El),
            "Τα στοιχεία του φορέα δεν συμφωνούν με το Μητρώο Φορολογουμένων: Όνομα, Όνομα Πατρός. \
             Ο Διαχειριστής Ψηφιακών Πιστοποιητικών του φορέα σας πρέπει να τα διορθώσει."
        );
        assert!(disagreement_message(&found, Lang::En).contains("first name, father's name"));
    }

    #[test]
    fn a_missing_father_name_in_hr_is_not_a_disagreement() {
        let names = check_hr_record(
            &hr("Λάμπρου", "Άννα", " "),
            &tax("Λάμπρου", "Άννα", "Ιωάννης"),
        )
        .unwrap();
        assert_eq!(names.father_name(), "Ιωάννης");
    }

    #[test]
    fn a_double_surname_must_be_whole() {
        let found = check_hr_record(
            &hr("Αγγελοπούλου", "Ζωή", ""),
            &tax("Αγγελοπούλου-Τζαννετάκη", "Ζωή", "Ιωάννης"),
        );
        assert_eq!(found, Err(vec![Mismatch::Surname]));
    }
}
