//! Identification (SPEC §2, `awaiting_identification`): the person who logged in through the tax
//! registry must be the person of the Police ID-card record, and the ID card must be the one in
//! the employee record when that record has one. [`identify`] decides; a failure becomes the
//! command that rejects the application.

use chrono::NaiveDate;

use crate::text::fold;
use crate::validation::IdCard;
use crate::{Command, Lang};

/// What a registry says about a person, as far as identification compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFacts {
    pub surname: String,
    pub given_name: String,
    pub father_name: String,
    pub birth_date: NaiveDate,
}

/// A fact on which the records differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    Surname,
    GivenName,
    FatherName,
    BirthDate,
    /// The Police record's ΑΔΤ is not the one in the employee record.
    IdCard,
    /// The Police registry has no ID card for this person.
    NoPoliceRecord,
}

impl Mismatch {
    pub const ALL: [Mismatch; 6] = [
        Mismatch::Surname,
        Mismatch::GivenName,
        Mismatch::FatherName,
        Mismatch::BirthDate,
        Mismatch::IdCard,
        Mismatch::NoPoliceRecord,
    ];

    /// How the store keeps it.
    pub fn code(self) -> &'static str {
        match self {
            Mismatch::Surname => "surname",
            Mismatch::GivenName => "given_name",
            Mismatch::FatherName => "father_name",
            Mismatch::BirthDate => "birth_date",
            Mismatch::IdCard => "id_card",
            Mismatch::NoPoliceRecord => "no_police_record",
        }
    }

    pub fn parse(code: &str) -> Option<Mismatch> {
        Mismatch::ALL.into_iter().find(|m| m.code() == code)
    }

    pub(crate) fn label(self, lang: Lang) -> &'static str {
        match self {
            Mismatch::Surname => lang.pick("Επώνυμο", "surname"),
            Mismatch::GivenName => lang.pick("Όνομα", "first name"),
            Mismatch::FatherName => lang.pick("Όνομα Πατρός", "father's name"),
            Mismatch::BirthDate => lang.pick("Ημερομηνία γέννησης", "date of birth"),
            Mismatch::IdCard => lang.pick("ΑΔΤ", "ID card number"),
            Mismatch::NoPoliceRecord => "",
        }
    }
}

/// Compares the tax registry's facts with the Police record (`None`: the Police registry knows no
/// ID card for the person). Names compare folded (case and accents do not count, so «ΠΑΠΑΔΟΠΟΥΛΟΣ»
/// is «Παπαδόπουλος»); the date of birth exactly; the ΑΔΤ, when the employee record has one, with
/// spaces and case ignored. An empty list means the identity is confirmed.
pub fn compare(
    tax: &PersonFacts,
    police: Option<(&PersonFacts, &str)>,
    employee_id_card: Option<&str>,
) -> Vec<Mismatch> {
    let Some((police, police_id_card)) = police else {
        return vec![Mismatch::NoPoliceRecord];
    };
    let same = same_name;
    let mut mismatches = Vec::new();
    if !same(&tax.surname, &police.surname) {
        mismatches.push(Mismatch::Surname);
    }
    if !same(&tax.given_name, &police.given_name) {
        mismatches.push(Mismatch::GivenName);
    }
    if !same(&tax.father_name, &police.father_name) {
        mismatches.push(Mismatch::FatherName);
    }
    if tax.birth_date != police.birth_date {
        mismatches.push(Mismatch::BirthDate);
    }
    // The canonical form of an ΑΔΤ («ΑΚ 123456» and "ak123456" are the same card).
    let card = |s: &str| -> String {
        match IdCard::parse(s) {
            Ok(card) => card.as_str().to_owned(),
            Err(_) => s.trim().to_uppercase(),
        }
    };
    if let Some(expected) = employee_id_card.filter(|c| !c.trim().is_empty())
        && card(expected) != card(police_id_card)
    {
        mismatches.push(Mismatch::IdCard);
    }
    mismatches
}

/// Whether two records name a person alike: case, accents and spacing do not count.
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    fold(a).split_whitespace().eq(fold(b).split_whitespace())
}

/// The reason recorded in the history when identification fails (Greek, as recorded).
pub fn mismatch_reason(mismatches: &[Mismatch], lang: Lang) -> String {
    if mismatches.contains(&Mismatch::NoPoliceRecord) {
        return lang
            .pick(
                "Δεν βρέθηκε δελτίο ταυτότητας του δικαιούχου στο Μητρώο της Ελληνικής Αστυνομίας.",
                "The Police ID-card registry has no ID card for the beneficiary.",
            )
            .to_owned();
    }
    let fields: Vec<&str> = mismatches.iter().map(|m| m.label(lang)).collect();
    match lang {
        Lang::El => format!(
            "Τα στοιχεία του Μητρώου Φορολογουμένων και της Ελληνικής Αστυνομίας διαφέρουν: {}.",
            fields.join(", ")
        ),
        Lang::En => format!(
            "The tax registry and the Police records differ in: {}.",
            fields.join(", ")
        ),
    }
}

/// The decision of identification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identification {
    /// The same person in every record: the beneficiary goes on to choose a username.
    Confirmed,
    /// The records differ (never an empty list).
    Failed { mismatches: Vec<Mismatch> },
}

impl Identification {
    /// The command that rejects the application, for a failed identification; `None` when the
    /// identity is confirmed. The reason is recorded in Greek, as the history is.
    pub fn failure(&self) -> Option<Command> {
        match self {
            Identification::Confirmed => None,
            Identification::Failed { mismatches } => Some(Command::FailIdentification {
                reason: mismatch_reason(mismatches, Lang::El),
            }),
        }
    }
}

/// Decides identification from the records (the arguments of [`compare`]).
pub fn identify(
    tax: &PersonFacts,
    police: Option<(&PersonFacts, &str)>,
    employee_id_card: Option<&str>,
) -> Identification {
    let mismatches = compare(tax, police, employee_id_card);
    if mismatches.is_empty() {
        Identification::Confirmed
    } else {
        Identification::Failed { mismatches }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(surname: &str, given: &str, father: &str, born: &str) -> PersonFacts {
        PersonFacts {
            surname: surname.to_owned(),
            given_name: given.to_owned(),
            father_name: father.to_owned(),
            birth_date: NaiveDate::parse_from_str(born, "%Y-%m-%d").unwrap(),
        }
    }

    #[test]
    fn mismatch_codes_read_back() {
        for m in Mismatch::ALL {
            assert_eq!(Mismatch::parse(m.code()), Some(m));
        }
        assert_eq!(Mismatch::parse("afm"), None);
    }

    #[test]
    fn the_same_person_written_differently_matches() {
        let tax = person("Παπαδόπουλος", "Γιώργος", "Νικόλαος", "1980-02-29");
        let police = person("ΠΑΠΑΔΟΠΟΥΛΟΣ", " γιωργος ", "ΝΙΚΌΛΑΟΣ", "1980-02-29");
        assert!(compare(&tax, Some((&police, "AB123456")), Some("αβ123456")).is_empty());
        assert!(compare(&tax, Some((&police, "ΑΚ123456")), Some("ak123456")).is_empty());
        assert!(compare(&tax, Some((&police, "ΑΒ123456")), None).is_empty());
    }

    #[test]
    fn each_differing_fact_is_named() {
        let tax = person("Παπαδόπουλος", "Γιώργος", "Νικόλαος", "1980-02-29");
        let police = person("Παπαδάκης", "Γιώργος", "Κωνσταντίνος", "1980-03-01");
        let found = compare(&tax, Some((&police, "ΑΒ123456")), Some("ΑΒ654321"));
        assert_eq!(
            found,
            vec![
                Mismatch::Surname,
                Mismatch::FatherName,
                Mismatch::BirthDate,
                Mismatch::IdCard
            ]
        );
        assert_eq!(
            mismatch_reason(&found, Lang::El),
            "Τα στοιχεία του Μητρώου Φορολογουμένων και της Ελληνικής Αστυνομίας διαφέρουν: Επώνυμο, Όνομα Πατρός, Ημερομηνία γέννησης, ΑΔΤ."
        );
        assert!(mismatch_reason(&found, Lang::En).contains("surname, father's name"));
    }

    #[test]
    fn no_police_record_is_a_mismatch_of_its_own() {
        let tax = person("Παπαδόπουλος", "Γιώργος", "Νικόλαος", "1980-02-29");
        let found = compare(&tax, None, None);
        assert_eq!(found, vec![Mismatch::NoPoliceRecord]);
        assert!(mismatch_reason(&found, Lang::El).contains("Δεν βρέθηκε δελτίο ταυτότητας"));
    }

    #[test]
    fn the_same_person_is_confirmed_and_fails_nothing() {
        let tax = person("Παπαδόπουλος", "Γιώργος", "Νικόλαος", "1980-02-29");
        let police = person("ΠΑΠΑΔΟΠΟΥΛΟΣ", "Γιώργος", "Νικόλαος", "1980-02-29");
        let decision = identify(&tax, Some((&police, "ΑΒ123456")), Some("AB123456"));
        assert_eq!(decision, Identification::Confirmed);
        assert_eq!(decision.failure(), None);
    }

    #[test]
    fn differing_records_fail_with_the_greek_reason() {
        let tax = person("Παπαδόπουλος", "Γιώργος", "Νικόλαος", "1980-02-29");
        let police = person("Παπαδόπουλος", "Γιώργος", "Νικόλαος", "1980-02-28");
        let decision = identify(&tax, Some((&police, "ΑΒ123456")), Some("ΑΒ000001"));
        assert_eq!(
            decision,
            Identification::Failed {
                mismatches: vec![Mismatch::BirthDate, Mismatch::IdCard]
            }
        );
        assert_eq!(
            decision.failure(),
            Some(Command::FailIdentification {
                reason: "Τα στοιχεία του Μητρώου Φορολογουμένων και της Ελληνικής Αστυνομίας \
                         διαφέρουν: Ημερομηνία γέννησης, ΑΔΤ."
                    .to_owned()
            })
        );
    }

    #[test]
    fn no_police_record_fails_identification() {
        let tax = person("Παπαδόπουλος", "Γιώργος", "Νικόλαος", "1980-02-29");
        let decision = identify(&tax, None, Some("ΑΒ123456"));
        let Some(Command::FailIdentification { reason }) = decision.failure() else {
            panic!("expected a failure, got {decision:?}");
        };
        assert_eq!(
            reason,
            "Δεν βρέθηκε δελτίο ταυτότητας του δικαιούχου στο Μητρώο της Ελληνικής Αστυνομίας."
        );
    }
}
