//! The demo data (`certdesk demo`, `certdesk serve --demo`): two organisations with a few hundred
//! employees each, spread over every state of SPEC §2, each application with a believable
//! history. Histories are made by the domain's own transitions at simulated times, so they are
//! exactly what real use would have written (hash chain included).

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use certdesk_domain::certificate::{CertificateIssuer, CertificateSubject, NewCertificate};
use certdesk_domain::otp::{OtpChannel, SigningCredentials};
use certdesk_domain::text::{fold, to_latin};
use certdesk_domain::transition::{RevocationCategory, decide, start};
use certdesk_domain::validation::{Reason, Username, afm_with_check_digit};
use certdesk_domain::{Actor, Command, Status};
use certdesk_store::credentials::{generate_password, hash_password};
use certdesk_store::{ApplicationContact, NewAdministrator, NewEmployee, Scope, Store, StoreError};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::demo_names::{
    DemoOrganisation, FEMALE_GIVEN, MALE_GIVEN, ORGANISATIONS, POSITIONS, SURNAMES,
};

pub struct DemoAccount {
    pub organisation: &'static str,
    pub username: &'static str,
    pub password: String,
}

/// Creates what is missing of the demo data and (re)sets the demo accounts' password: from
/// `CERTDESK_DEMO_PASSWORD`, or a new random one (printed, since it cannot be read back).
pub async fn load(
    store: &dyn Store,
    issuer: &dyn CertificateIssuer,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<DemoAccount>> {
    let password = std::env::var("CERTDESK_DEMO_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(generate_password);
    let password_hash = hash_password(&password);
    let mut accounts = Vec::new();
    for demo in ORGANISATIONS {
        let (organisation, created) = match store.organisation_by_code(demo.code).await? {
            Some(org) => (org, false),
            None => (
                store.create_organisation(demo.code, demo.name, now).await?,
                true,
            ),
        };
        let admin_id = match store.administrator_by_username(demo.admin_username).await? {
            Some(admin) => {
                store
                    .set_administrator_password(admin.id, &password_hash)
                    .await?;
                admin.id
            }
            None => {
                let admin = NewAdministrator {
                    username: demo.admin_username.to_owned(),
                    full_name: demo.admin_name.to_owned(),
                    password_hash: password_hash.clone(),
                    organisation_ids: vec![organisation.id],
                };
                store.create_administrator(&admin, now).await?
            }
        };
        if created {
            populate(
                store,
                demo,
                organisation.id,
                Actor::administrator(admin_id, demo.admin_name),
                &password_hash,
                issuer,
                now,
            )
            .await
            .with_context(|| format!("loading the demo organisation {}", demo.code))?;
            // The demo's history is made up: its emails are not for sending. Its applications
            // awaiting issuance stay there (no job issues them), so that a ΔΨΠ trying the demo
            // can still cancel one.
            store
                .settle_outbox_of_organisation(organisation.id, now)
                .await?;
            store
                .drop_jobs_of_organisation(
                    organisation.id,
                    certdesk_store::worker::ISSUE_CERTIFICATE,
                )
                .await?;
        }
        accounts.push(DemoAccount {
            organisation: demo.name,
            username: demo.admin_username,
            password: password.clone(),
        });
    }
    Ok(accounts)
}

pub fn print_accounts(listen: &str, accounts: &[DemoAccount]) {
    println!("console: http://{listen}/");
    for account in accounts {
        println!("# {}", account.organisation);
        println!("username: {}", account.username);
        println!("password: {}", account.password);
    }
}

/// Where an employee's (current) application ends up.
#[derive(Clone, Copy, Debug)]
enum Scenario {
    NoApplication,
    Pending(Status),
    Issued,
    Revoked,
    CertificateExpired,
    RejectedByAdministrator,
    CancelledAt(Status),
    IdentityMismatch,
    TimedOut,
}

fn pick_scenario(rng: &mut StdRng) -> Scenario {
    use Scenario::*;
    let pending = [
        Status::AwaitingDataCheck,
        Status::AwaitingApproval,
        Status::AwaitingIdentification,
        Status::AwaitingSignature,
        Status::AwaitingIssuance,
    ];
    match rng.random_range(0..100) {
        0..12 => NoApplication,
        12..52 => Pending(pending[rng.random_range(0..pending.len())]),
        52..74 => Issued,
        74..78 => Revoked,
        78..82 => CertificateExpired,
        82..87 => RejectedByAdministrator,
        87..95 => CancelledAt(pending[rng.random_range(0..pending.len())]),
        95..97 => IdentityMismatch,
        _ => TimedOut,
    }
}

pub(crate) struct Person {
    pub(crate) employee: NewEmployee,
    full_name: String,
    latin_given: String,
    latin_surname: String,
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
    );
    Person {
        full_name: format!("{given} {surname}"),
        employee: NewEmployee {
            afm,
            surname,
            given_name: given.to_owned(),
            father_name: father.to_owned(),
            id_card: Some(id_card),
            birth_date,
            email: Some(email),
            mobile: Some(format!("+3069{:08}", rng.random_range(0..100_000_000))),
            unit: demo.units[rng.random_range(0..demo.units.len())].to_owned(),
            position: POSITIONS[rng.random_range(0..POSITIONS.len())].to_owned(),
        },
        latin_given,
        latin_surname,
    }
}

async fn populate(
    store: &dyn Store,
    demo: &DemoOrganisation,
    organisation_id: i64,
    admin: Actor,
    signing_password_hash: &str,
    issuer: &dyn CertificateIssuer,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(demo.seed);
    let (mut afms, mut emails) = (HashSet::new(), HashMap::new());
    let people: Vec<Person> = (0..demo.employees)
        .map(|_| person(&mut rng, demo, &mut afms, &mut emails))
        .collect();
    let employees: Vec<NewEmployee> = people.iter().map(|p| p.employee.clone()).collect();
    let ids = store
        .insert_employees(organisation_id, &employees, now)
        .await?;
    // Every state of SPEC §2 at least once, whatever the dice say.
    let guaranteed = [
        Scenario::Pending(Status::AwaitingDataCheck),
        Scenario::Pending(Status::AwaitingApproval),
        Scenario::Pending(Status::AwaitingIdentification),
        Scenario::Pending(Status::AwaitingSignature),
        Scenario::Pending(Status::AwaitingIssuance),
        Scenario::Issued,
        Scenario::CancelledAt(Status::AwaitingApproval),
        Scenario::Revoked,
        Scenario::CertificateExpired,
        Scenario::NoApplication,
    ];
    for (index, (person, employee_id)) in people.iter().zip(ids).enumerate() {
        let scenario = guaranteed
            .get(index)
            .copied()
            .unwrap_or_else(|| pick_scenario(&mut rng));
        let mut story = Story {
            store,
            rng: &mut rng,
            admin: &admin,
            signing_password_hash,
            issuer,
            organisation_name: demo.name,
            person,
            employee_id,
            now,
        };
        if !matches!(scenario, Scenario::NoApplication) && story.rng.random_bool(0.08) {
            // An earlier attempt that was cancelled, before the current one.
            story
                .play(
                    Scenario::CancelledAt(Status::AwaitingApproval),
                    Duration::days(400),
                )
                .await?;
        }
        story.play(scenario, Duration::days(0)).await?;
    }
    Ok(())
}

struct Story<'a> {
    store: &'a dyn Store,
    rng: &'a mut StdRng,
    admin: &'a Actor,
    /// The demo's signing password is the demo accounts' password (email channel), so that an
    /// application awaiting signature can be signed in the portal.
    signing_password_hash: &'a str,
    /// The demo's CA: its issued, revoked and expired applications carry real certificates.
    issuer: &'a dyn CertificateIssuer,
    organisation_name: &'a str,
    person: &'a Person,
    employee_id: i64,
    now: DateTime<Utc>,
}

impl Story<'_> {
    fn hours(&mut self, low: i64, high: i64) -> Duration {
        Duration::minutes(self.rng.random_range(low * 60..high * 60))
    }

    /// Plays one application through to `scenario`, starting `earlier` before its usual time.
    async fn play(&mut self, scenario: Scenario, earlier: Duration) -> anyhow::Result<()> {
        use Scenario::*;
        let beneficiary = Actor::beneficiary(self.employee_id, self.person.full_name.clone());
        let target = match scenario {
            NoApplication => return Ok(()),
            Pending(status) | CancelledAt(status) => status,
            Issued | Revoked | CertificateExpired => Status::Issued,
            RejectedByAdministrator => Status::AwaitingApproval,
            IdentityMismatch => Status::AwaitingIdentification,
            TimedOut => Status::AwaitingDataCheck,
        };
        let days_ago = match scenario {
            CertificateExpired => 3 * 365 + self.rng.random_range(20..300),
            TimedOut => self.rng.random_range(95..300),
            // Pending applications are recent: older ones would expire (90 days idle).
            Pending(_) => self.rng.random_range(16..75),
            _ => self.rng.random_range(16..420),
        };
        let mut at = self.now - Duration::days(days_ago) - earlier + self.hours(8, 16);

        let first = start(0, self.admin, at)?;
        let contact = ApplicationContact {
            email: self.person.employee.email.clone().unwrap_or_default(),
            mobile: self.person.employee.mobile.clone(),
        };
        let id = self
            .store
            .create_application(self.employee_id, &contact, &first)
            .await?;

        // `None`: the CA issues the certificate (made in the loop below, at its time).
        let mut path: Vec<(Option<Command>, Actor)> = Vec::new();
        let order = [
            Status::AwaitingDataCheck,
            Status::AwaitingApproval,
            Status::AwaitingIdentification,
            Status::AwaitingSignature,
            Status::AwaitingIssuance,
            Status::Issued,
        ];
        let target_index = order
            .iter()
            .position(|s| *s == target)
            .expect("target is on the path");
        for step in &order[1..=target_index] {
            let command = match step {
                Status::AwaitingApproval => (Some(Command::ConfirmData), beneficiary.clone()),
                Status::AwaitingIdentification => (Some(Command::Approve), self.admin.clone()),
                Status::AwaitingSignature => (
                    Some(Command::CompleteIdentification {
                        username: self.username(id),
                        credentials: SigningCredentials {
                            password_hash: self.signing_password_hash.to_owned(),
                            otp: OtpChannel::Email,
                        },
                    }),
                    beneficiary.clone(),
                ),
                Status::AwaitingIssuance => (Some(Command::Sign), beneficiary.clone()),
                _ => (None, Actor::system()),
            };
            path.push(command);
        }
        match scenario {
            CancelledAt(_) => path.push((
                Some(Command::Cancel {
                    reason: Reason::parse_optional(
                        [
                            None,
                            Some("Μετακίνηση του υπαλλήλου σε άλλον φορέα"),
                            Some("Λάθος στοιχεία επικοινωνίας"),
                        ][self.rng.random_range(0..3)],
                    )?,
                }),
                self.admin.clone(),
            )),
            RejectedByAdministrator => path.push((
                Some(Command::Reject {
                    reason: Reason::parse_required(Some(
                        "Ο υπάλληλος δεν χρειάζεται ψηφιακή υπογραφή στα καθήκοντά του",
                    ))?,
                }),
                self.admin.clone(),
            )),
            IdentityMismatch => path.push((
                Some(Command::FailIdentification {
                    reason: "Το Όνομα Πατρός δεν συμφωνεί με το Μητρώο της Ελληνικής Αστυνομίας"
                        .to_owned(),
                }),
                Actor::system(),
            )),
            TimedOut => path.push((
                Some(Command::Expire {
                    max_idle: Duration::days(90),
                }),
                Actor::system(),
            )),
            Revoked => path.push((
                Some(Command::Revoke {
                    category: if self.rng.random_bool(0.5) {
                        RevocationCategory::EmployeeRequest
                    } else {
                        RevocationCategory::AuthorityDecision
                    },
                    description: None,
                }),
                self.admin.clone(),
            )),
            CertificateExpired => path.push((
                Some(Command::ExpireCertificate {
                    not_after: DateTime::<Utc>::MIN_UTC,
                }),
                Actor::system(),
            )),
            _ => {}
        }

        for (command, actor) in path {
            at += match &command {
                None => Duration::seconds(self.rng.random_range(5..600)),
                Some(Command::Expire { .. }) => Duration::days(91),
                Some(Command::ExpireCertificate { .. }) => Duration::days(3 * 365),
                _ => self.hours(1, 72),
            };
            let at = at.min(self.now);
            let command = match command {
                None => Command::Issue {
                    certificate: self.certificate(id, &contact.email, at)?,
                },
                Some(Command::ExpireCertificate { .. }) => Command::ExpireCertificate {
                    not_after: self
                        .store
                        .certificate(id)
                        .await?
                        .context("an expired demo application without its certificate")?
                        .not_after,
                },
                Some(command) => command,
            };
            let application = self
                .store
                .application(&Scope::Everything, id)
                .await?
                .context("demo application vanished")?;
            let transition = decide(&application.as_domain(), &command, &actor, at)?;
            match self.store.commit_transition(&transition).await {
                Err(StoreError::Duplicate("username")) => {
                    anyhow::bail!("demo username collision for application {id}")
                }
                other => other?,
            }
        }
        Ok(())
    }

    /// A real certificate from the demo's CA, issued at `at`.
    fn certificate(
        &self,
        application_id: i64,
        email: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<NewCertificate> {
        let employee = &self.person.employee;
        let subject = CertificateSubject {
            application_id,
            given_name: employee.given_name.clone(),
            surname: employee.surname.clone(),
            afm: employee.afm.clone(),
            organisation: self.organisation_name.to_owned(),
            unit: employee.unit.clone(),
            email: email.to_owned(),
        };
        self.issuer
            .issue(&subject, at)
            .map_err(|e| anyhow::anyhow!("the demo CA could not issue: {e}"))
    }

    /// A username the beneficiary might choose: initial and surname, in Latin letters.
    fn username(&mut self, application_id: i64) -> Username {
        let base: String = format!(
            "{}{}",
            &self.person.latin_given[..1],
            self.person.latin_surname
        )
        .chars()
        .take(14)
        .collect();
        Username::parse(&format!("{base}{application_id}"))
            .expect("demo usernames follow the rules")
    }
}
