//! `certdesk registry`: the local registry (tax-registry login and lookups, Police ID cards) of
//! `certdesk-registry`, from a file of people, for the demo, the tests and evaluation.

use std::path::PathBuf;

use anyhow::Context;
use certdesk_registry::local::{self, People};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum RegistryCommand {
    /// Serve a local tax registry (OAuth2 login, lookups) and Police ID-card registry from a file
    /// of people (format: the certdesk-registry crate documentation; the demo's file is
    /// crates/registry/demo-people.csv). A simulator: anyone in the file logs in with any
    /// password.
    Serve {
        /// The people file (CSV).
        #[arg(long)]
        people: PathBuf,
        /// Address to listen on.
        #[arg(
            long,
            env = "CERTDESK_REGISTRY_LISTEN",
            default_value = "127.0.0.1:8090"
        )]
        listen: String,
        /// The client id certdesk must present.
        #[arg(long, env = "CERTDESK_REGISTRY_CLIENT_ID", default_value = "certdesk")]
        client_id: String,
        /// The client secret certdesk must present.
        #[arg(
            long,
            env = "CERTDESK_REGISTRY_CLIENT_SECRET",
            default_value = "certdesk-local"
        )]
        client_secret: String,
    },
}

pub async fn run(command: RegistryCommand) -> anyhow::Result<()> {
    match command {
        RegistryCommand::Serve {
            people,
            listen,
            client_id,
            client_secret,
        } => {
            let loaded = People::load(&people)
                .with_context(|| format!("cannot load the people of {}", people.display()))?;
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let address = listener.local_addr()?;
            tracing::info!(
                "the local registry serves {} people on http://{address}/",
                loaded.len()
            );
            eprintln!(
                "certdesk local registry: http://{address}/ ({} people, client id {client_id:?})",
                loaded.len()
            );
            local::serve(listener, loaded, &client_id, &client_secret).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use chrono::Datelike;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use crate::demo::person;
    use crate::demo_names::{MALE_GIVEN, ORGANISATIONS, SURNAMES};

    /// Another father's name than `name` (the next one), for a Police record that differs.
    fn other_father(name: &str) -> &'static str {
        let i = MALE_GIVEN.iter().position(|n| *n == name).unwrap_or(0);
        MALE_GIVEN[(i + 1) % MALE_GIVEN.len()]
    }

    fn other_surname(surname: &str) -> String {
        let own = surname.split('-').next().unwrap_or(surname);
        for (i, (male, female)) in SURNAMES.iter().enumerate() {
            let (next_male, next_female) = SURNAMES[(i + 1) % SURNAMES.len()];
            if own == *male {
                return next_male.to_owned();
            }
            if own == *female {
                return next_female.to_owned();
            }
        }
        format!("{own}ς")
    }

    /// The people file of the demo: its employees as the registries know them, three with a
    /// Police record that does not match (see the certdesk-registry crate documentation).
    fn demo_people_csv() -> String {
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.write_record([
            "afm",
            "surname",
            "given_name",
            "father_name",
            "birth_date",
            "id_card",
            "police_surname",
            "police_given_name",
            "police_father_name",
            "police_birth_date",
        ])
        .expect("writing to memory");
        for (org, demo) in ORGANISATIONS.iter().enumerate() {
            // As demo::populate draws them.
            let mut rng = StdRng::seed_from_u64(demo.seed);
            let (mut afms, mut emails) = (HashSet::new(), HashMap::new());
            for index in 0..demo.employees {
                let e = person(&mut rng, demo, &mut afms, &mut emails).employee;
                let birth = e.birth_date.expect("demo employees have a date of birth");
                let (mut surname, mut father, mut birth_date) =
                    (String::new(), String::new(), String::new());
                match (org, index) {
                    (0, 2) => father = other_father(e.father_name.as_str()).to_owned(),
                    (1, 2) => {
                        birth_date = birth
                            .with_year(birth.year() - 1)
                            .expect("days of the demo exist every year")
                            .format("%Y-%m-%d")
                            .to_string();
                    }
                    (0, 9) => surname = other_surname(e.surname.as_str()),
                    _ => {}
                }
                csv.write_record([
                    e.afm.as_str(),
                    e.surname.as_str(),
                    e.given_name.as_str(),
                    e.father_name.as_str(),
                    &birth.format("%Y-%m-%d").to_string(),
                    e.id_card.as_ref().map_or("", |card| card.as_str()),
                    &surname,
                    "",
                    &father,
                    &birth_date,
                ])
                .expect("writing to memory");
            }
        }
        String::from_utf8(csv.into_inner().expect("flushing to memory"))
            .expect("UTF-8 in, UTF-8 out")
    }

    /// The shipped demo file is the one the demo data makes; `CERTDESK_BLESS=1` rewrites it.
    #[test]
    fn demo_people_file() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../registry/demo-people.csv");
        let expected = demo_people_csv();
        if std::env::var_os("CERTDESK_BLESS").is_some() {
            std::fs::write(&path, &expected).expect("writing the demo people file");
        }
        let shipped = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            shipped == expected,
            "{} is not the demo's: run CERTDESK_BLESS=1 cargo test -p certdesk demo_people_file",
            path.display()
        );
    }
}
