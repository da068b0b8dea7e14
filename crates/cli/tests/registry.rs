//! `certdesk registry serve` with the demo people file, asked by the HTTP clients.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use certdesk_domain::validation::Afm;
use certdesk_registry::{
    HttpPoliceRegistry, HttpTaxRegistry, PoliceQuery, PoliceRegistry, RegistryConfig, TaxRegistry,
};

/// Kills the registry when the test ends, whatever happens.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_registry_serves_the_demo_people() {
    let people = concat!(env!("CARGO_MANIFEST_DIR"), "/../registry/demo-people.csv");
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_certdesk"))
            .args([
                "registry",
                "serve",
                "--people",
                people,
                "--listen",
                "127.0.0.1:0",
            ])
            .args(["--client-id", "portal", "--client-secret", "test-secret"])
            .env("CERTDESK_LOG", "warn")
            .stderr(Stdio::piped())
            .spawn()
            .expect("certdesk starts"),
    );
    let stderr = BufReader::new(child.0.stderr.take().unwrap());
    let base = stderr
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            let rest = line.strip_prefix("certdesk local registry: ")?;
            Some(rest.split_whitespace().next()?.to_owned())
        })
        .expect("the registry says where it listens");
    let config = RegistryConfig::new(&base, "portal", "test-secret");

    // The third employee of the first demo organisation: the Police knows another father.
    let afm = Afm::parse("561014679").unwrap();
    let person = HttpTaxRegistry::new(&config)
        .unwrap()
        .lookup(&afm)
        .await
        .unwrap()
        .expect("a demo employee");
    let record = HttpPoliceRegistry::new(&config)
        .unwrap()
        .id_card(&PoliceQuery::Afm(afm))
        .await
        .unwrap()
        .expect("a Police record");
    assert_eq!(record.surname, person.surname);
    assert_eq!(record.birth_date, person.birth_date);
    assert_ne!(record.father_name, person.father_name);
}
