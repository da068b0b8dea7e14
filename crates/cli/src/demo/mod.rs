//! The demo data (`certdesk demo`, `certdesk serve --demo`): two organisations with a few hundred
//! employees each, spread over every state of SPEC §2, each application with a believable
//! history. Histories are made by the domain's own transitions at simulated times, so they are
//! exactly what real use would have written (hash chain included): `person` draws the employees,
//! `story` plays each one's application.

mod beneficiary;
mod person;
mod story;

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use certdesk_app::tokens::{generate_password, hash_password};
use certdesk_domain::Lang;
use certdesk_domain::account_password::AccountPassword;
use certdesk_domain::certificate::CertificateIssuer;
use certdesk_domain::job::JobKind;
use certdesk_domain::validation::Field;
use certdesk_domain::{Actor, Role, Status};
use certdesk_store::{NewAdministrator, NewEmployee, Store};
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::demo_names::{DemoOrganisation, ORGANISATIONS};
use crate::signing::MadeUpSigning;
pub(crate) use person::{Person, person};
use story::{Scenario, Story, pick_scenario};

pub use beneficiary::DemoBeneficiary;

/// What `certdesk demo` prints: the accounts and the beneficiary who signs.
pub struct Demo {
    pub accounts: Vec<DemoAccount>,
    pub beneficiary: DemoBeneficiary,
}

pub struct DemoAccount {
    pub organisation: &'static str,
    pub username: &'static str,
    pub password: String,
    pub role: Role,
}

/// The demo's operator (organisations and accounts, issue 10).
const OPERATOR_USERNAME: &str = "operator@demo.gov.gr";
const OPERATOR_NAME: &str = "Διαχειριστής Λογαριασμών";

/// Creates what is missing of the demo data and (re)sets the demo accounts' password: from
/// `CERTDESK_DEMO_PASSWORD` (which must satisfy the password policy), or a new random one
/// (printed, since it cannot be read back). The demo accounts log in with the password alone
/// (SPEC §7): their second factor is not required, and the console says so on their pages.
pub async fn load(
    store: &dyn Store,
    issuer: &certdesk_ca::CaIssuer,
    now: DateTime<Utc>,
) -> anyhow::Result<Demo> {
    let password = std::env::var("CERTDESK_DEMO_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(generate_password);
    for demo in ORGANISATIONS {
        AccountPassword::parse(Field::Password, &password, demo.admin_username)
            .map_err(|e| anyhow::anyhow!("CERTDESK_DEMO_PASSWORD: {}", e.message(Lang::En)))?;
    }
    let password_hash = hash_password(&password);
    let signing = MadeUpSigning::new(&password, password_hash.clone());
    let mut accounts = Vec::new();
    let mut first_organisation = None;
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
                store.set_second_factor_required(admin.id, false).await?;
                admin.id
            }
            None => {
                let admin = NewAdministrator {
                    username: demo.admin_username.to_owned(),
                    full_name: demo.admin_name.to_owned(),
                    password_hash: password_hash.clone(),
                    organisation_ids: vec![organisation.id],
                    role: Role::Administrator,
                    must_change_password: false,
                    second_factor_required: false,
                };
                store.create_administrator(&admin, now).await?
            }
        };
        first_organisation.get_or_insert(organisation.id);
        if created {
            populate(
                store,
                demo,
                organisation.id,
                Actor::administrator(admin_id, demo.admin_name),
                &signing,
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
                .drop_jobs_of_organisation(organisation.id, JobKind::IssueCertificate)
                .await?;
        }
        accounts.push(DemoAccount {
            organisation: demo.name,
            username: demo.admin_username,
            password: password.clone(),
            role: Role::Administrator,
        });
    }
    match store.administrator_by_username(OPERATOR_USERNAME).await? {
        Some(operator) => {
            store
                .set_administrator_password(operator.id, &password_hash)
                .await?;
        }
        None => {
            let operator = NewAdministrator {
                username: OPERATOR_USERNAME.to_owned(),
                full_name: OPERATOR_NAME.to_owned(),
                password_hash: password_hash.clone(),
                organisation_ids: Vec::new(),
                role: Role::Operator,
                must_change_password: false,
                second_factor_required: false,
            };
            store.create_administrator(&operator, now).await?;
        }
    }
    accounts.push(DemoAccount {
        organisation: "",
        username: OPERATOR_USERNAME,
        password: password.clone(),
        role: Role::Operator,
    });
    let organisation = first_organisation.context("the demo has no organisation")?;
    let beneficiary =
        beneficiary::prepare(store, issuer, organisation, &password, &password_hash, now).await?;
    Ok(Demo {
        accounts,
        beneficiary,
    })
}

pub fn print_accounts(listen: &str, demo: &Demo) {
    let accounts = &demo.accounts;
    println!("console: http://{listen}/");
    // The ΔΨΠ lines first, as SPEC §7 has them; then the operator's.
    for account in accounts.iter().filter(|a| a.role == Role::Administrator) {
        println!("# {}", account.organisation);
        println!("username: {}", account.username);
        println!("password: {}", account.password);
    }
    for account in accounts.iter().filter(|a| a.role == Role::Operator) {
        println!("operator-username: {}", account.username);
        println!("operator-password: {}", account.password);
    }
    // The holder of an issued certificate, to sign with (portal, /csc, /Sign/Api).
    let beneficiary = &demo.beneficiary;
    println!("beneficiary-username: {}", beneficiary.username);
    println!("beneficiary-password: {}", beneficiary.password);
    println!("beneficiary-totp-secret: {}", beneficiary.totp_secret);
    println!("beneficiary-afm: {}", beneficiary.afm);
}

async fn populate(
    store: &dyn Store,
    demo: &DemoOrganisation,
    organisation_id: i64,
    admin: Actor,
    signing: &MadeUpSigning,
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
            signing,
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
