//! One made-up employee of a demo organisation: a common Greek name (a woman's surname in its
//! feminine form), a valid ΑΦΜ, an ID card, and a work email that numbers namesakes.

use std::collections::{HashMap, HashSet};

use certdesk_domain::employee::EmployeeInput;
use certdesk_domain::text::{fold, to_latin};
use certdesk_domain::validation::afm_with_check_digit;
use certdesk_store::NewEmployee;
use chrono::NaiveDate;
use rand::Rng;
use rand::rngs::StdRng;

use crate::demo_names::{DemoOrganisation, FEMALE_GIVEN, MALE_GIVEN, POSITIONS, SURNAMES};

pub(crate) struct Person {
    pub(crate) employee: NewEmployee,
    pub(super) full_name: String,
    pub(super) latin_given: String,
    pub(super) latin_surname: String,
}

pub(crate) fn person(
    rng: &mut StdRng,
    demo: &DemoOrganisation,
    afms: &mut HashSet<String>,
    emails: &mut HashMap<String, u32>,
) -> Person {
    let female = rng.random_bool(0.55);
    // Common surnames come up more often: half of the picks are among the first eight.
    let surname_index = if rng.random_bool(0.5) {
        rng.random_range(0..8)
    } else {
        rng.random_range(0..SURNAMES.len())
    };
    let (male_surname, female_surname) = SURNAMES[surname_index];
    let mut surname = if female { female_surname } else { male_surname }.to_owned();
    if female && rng.random_bool(0.1) {
        // A double surname: her own and her husband's.
        let (_, other) = SURNAMES[rng.random_range(0..SURNAMES.len())];
        if other != surname {
            surname = format!("{surname}-{other}");
        }
    }
    let given = if female {
        FEMALE_GIVEN[rng.random_range(0..FEMALE_GIVEN.len())]
    } else {
        MALE_GIVEN[rng.random_range(0..MALE_GIVEN.len())]
    };
    let father = MALE_GIVEN[rng.random_range(0..MALE_GIVEN.len())];
    let afm = loop {
        let first8: String = (0..8)
            .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
            .collect();
        let afm = afm_with_check_digit(&first8);
        if first8 != "00000000" && afms.insert(afm.clone()) {
            break afm;
        }
    };
    const ID_LETTERS: &[u8] = b"ABEZHIKMNOPTYX";
    let id_card = format!(
        "{}{}{:06}",
        ID_LETTERS[rng.random_range(0..ID_LETTERS.len())] as char,
        ID_LETTERS[rng.random_range(0..ID_LETTERS.len())] as char,
        rng.random_range(0..1_000_000)
    );
    let latin_given: String = to_latin(&fold(given))
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect();
    let latin_surname: String = to_latin(&fold(&surname))
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect();
    // Namesakes get a number: the second «Γ. Παπαδόπουλος» is g.papadopoulos2@….
    let base = format!("{}.{}", &latin_given[..1], latin_surname);
    let seen = emails
        .entry(format!("{base}@{}", demo.email_domain))
        .or_insert(0);
    *seen += 1;
    let email = match *seen {
        1 => format!("{base}@{}", demo.email_domain),
        n => format!("{base}{n}@{}", demo.email_domain),
    };
    let birth_date = NaiveDate::from_ymd_opt(
        rng.random_range(1962..2001),
        rng.random_range(1..13),
        rng.random_range(1..29),
    )
    .expect("days 1 to 28 exist in every month")
    .format("%Y-%m-%d")
    .to_string();
    let mobile = format!("+3069{:08}", rng.random_range(0..100_000_000));
    let unit = demo.units[rng.random_range(0..demo.units.len())];
    let position = POSITIONS[rng.random_range(0..POSITIONS.len())];
    let employee = EmployeeInput {
        afm: &afm,
        surname: &surname,
        given_name: given,
        father_name: father,
        id_card: &id_card,
        birth_date: &birth_date,
        email: &email,
        mobile: &mobile,
        unit,
        position,
    }
    .validate()
    // Every part is drawn from valid ones (names from the lists, a computed check digit): a
    // refusal is a bug of the demo, not bad input.
    .unwrap_or_else(|error| panic!("a demo employee is not valid: {error}"));
    Person {
        full_name: format!("{given} {surname}"),
        employee,
        latin_given,
        latin_surname,
    }
}
