//! An employee's record as HR sends it (SPEC §5), validated field by field.

use chrono::{Datelike, NaiveDate};

use crate::validation::{Afm, Email, Field, IdCard, Mobile, PersonName, Problem, ValidationError};

/// The raw fields, as typed or as read from a CSV row.
#[derive(Debug, Clone, Default)]
pub struct EmployeeInput<'a> {
    pub afm: &'a str,
    pub surname: &'a str,
    pub given_name: &'a str,
    pub father_name: &'a str,
    pub id_card: &'a str,
    pub birth_date: &'a str,
    pub email: &'a str,
    pub mobile: &'a str,
    pub unit: &'a str,
    pub position: &'a str,
}

/// A record whose every field is valid. ΑΔΤ, date of birth, email, mobile, unit and position may
/// be left empty; the ΑΦΜ and the three names may not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidEmployee {
    pub afm: Afm,
    pub surname: PersonName,
    pub given_name: PersonName,
    pub father_name: PersonName,
    pub id_card: Option<IdCard>,
    pub birth_date: Option<NaiveDate>,
    pub email: Option<Email>,
    pub mobile: Option<Mobile>,
    pub unit: String,
    pub position: String,
}

fn optional<T>(
    value: &str,
    parse: impl Fn(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    let value = value.trim();
    if value.is_empty() {
        Ok(None)
    } else {
        parse(value).map(Some)
    }
}

fn optional_text(field: Field, value: &str) -> Result<String, ValidationError> {
    Ok(optional(value, |v| PersonName::parse(field, v))?
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default())
}

/// A date of birth, as `YYYY-MM-DD` or `DD/MM/YYYY`, in a plausible range of years.
pub fn parse_birth_date(input: &str) -> Result<NaiveDate, ValidationError> {
    let input = input.trim();
    let date = NaiveDate::parse_from_str(input, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(input, "%d/%m/%Y"))
        .map_err(|_| ValidationError::new(Field::BirthDate, Problem::Format))?;
    if !(1900..=2100).contains(&date.year()) {
        return Err(ValidationError::new(Field::BirthDate, Problem::Format));
    }
    Ok(date)
}

impl EmployeeInput<'_> {
    /// Validates every field; the first invalid one is reported.
    pub fn validate(&self) -> Result<ValidEmployee, ValidationError> {
        Ok(ValidEmployee {
            afm: Afm::parse(self.afm)?,
            surname: PersonName::parse(Field::Surname, self.surname)?,
            given_name: PersonName::parse(Field::GivenName, self.given_name)?,
            father_name: PersonName::parse(Field::FatherName, self.father_name)?,
            id_card: optional(self.id_card, IdCard::parse)?,
            birth_date: optional(self.birth_date, parse_birth_date)?,
            email: optional(self.email, Email::parse)?,
            mobile: optional(self.mobile, Mobile::parse)?,
            unit: optional_text(Field::Unit, self.unit)?,
            position: optional_text(Field::Position, self.position)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> EmployeeInput<'static> {
        EmployeeInput {
            afm: "010509832",
            surname: "Παπαδοπούλου-Γεωργίου",
            given_name: "Μαρία",
            father_name: "Νικόλαος",
            id_card: "ΑΒ123456",
            birth_date: "1980-02-29",
            email: "m.papadopoulou@ypes.gov.gr",
            mobile: "6912345678",
            unit: "Διεύθυνση Διοικητικού",
            position: "",
        }
    }

    #[test]
    fn a_complete_record_is_valid_and_normalised() {
        let e = valid().validate().unwrap();
        assert_eq!(e.id_card.unwrap().as_str(), "AB123456");
        assert_eq!(e.mobile.unwrap().as_str(), "+306912345678");
        assert_eq!(e.birth_date, NaiveDate::from_ymd_opt(1980, 2, 29));
        assert_eq!(e.position, "");
    }

    #[test]
    fn optional_fields_may_be_empty() {
        let input = EmployeeInput {
            id_card: "",
            birth_date: "",
            email: " ",
            mobile: "",
            unit: "",
            ..valid()
        };
        let e = input.validate().unwrap();
        assert_eq!(
            (e.id_card, e.birth_date, e.email, e.mobile),
            (None, None, None, None)
        );
    }

    #[test]
    fn the_first_bad_field_is_named() {
        let field = |input: EmployeeInput| input.validate().unwrap_err().field;
        assert_eq!(
            field(EmployeeInput {
                afm: "010509833",
                ..valid()
            }),
            Field::Afm
        );
        assert_eq!(
            field(EmployeeInput {
                surname: "  ",
                ..valid()
            }),
            Field::Surname
        );
        assert_eq!(
            field(EmployeeInput {
                father_name: "",
                ..valid()
            }),
            Field::FatherName
        );
        assert_eq!(
            field(EmployeeInput {
                id_card: "123456",
                ..valid()
            }),
            Field::IdCard
        );
        assert_eq!(
            field(EmployeeInput {
                birth_date: "1980-02-30",
                ..valid()
            }),
            Field::BirthDate
        );
        assert_eq!(
            field(EmployeeInput {
                email: "no-at-sign",
                ..valid()
            }),
            Field::Email
        );
        assert_eq!(
            field(EmployeeInput {
                mobile: "2101234567",
                ..valid()
            }),
            Field::Mobile
        );
    }

    #[test]
    fn birth_dates_in_both_usual_forms() {
        assert_eq!(
            parse_birth_date("29/02/1980").unwrap(),
            NaiveDate::from_ymd_opt(1980, 2, 29).unwrap()
        );
        assert!(parse_birth_date("1850-01-01").is_err());
        assert!(parse_birth_date("yesterday").is_err());
    }
}
