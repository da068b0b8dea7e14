//! One installation on a test database, prepared as the operator and the domain's rules would:
//! the organisation and the ΔΨΠ made by the CLI, employees and applications through the store.

use certdesk_domain::email_proof::{LinkToken, check_link};
use std::sync::Arc;

use certdesk_domain::employee::EmployeeInput;
use certdesk_domain::otp::{OtpChannel, SigningCredentials};
use certdesk_domain::signing::VerifiedPassword;
use certdesk_domain::signing::{self, SigningCheck};
use certdesk_domain::transition::{decide, start};
use certdesk_domain::validation::{Username, afm_with_check_digit};
use certdesk_domain::{Actor, Command, SigningProof, Status, Transition};
use certdesk_store::{ApplicationContact, NewEmployee, Scope, Store, StoreError};
use certdesk_testkit::StoreProbe;
use chrono::{DateTime, Duration, Utc};

use crate::{ADMIN_NAME, ADMIN_USERNAME, ORG_CODE, ORG_NAME, PASSWORD};

/// The pending states, in the order an application passes them.
pub const PENDING: [Status; 5] = [
    Status::AwaitingDataCheck,
    Status::AwaitingApproval,
    Status::AwaitingIdentification,
    Status::AwaitingSignature,
    Status::AwaitingIssuance,
];

/// The beneficiaries' signing password (email channel).
const SIGNING_PASSWORD: &str = "Κωδικός υπογραφής δοκιμής";

/// Runs the binary to completion and returns its stdout; fails the test when it fails.
pub async fn certdesk(args: &[&str]) -> String {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .args(args)
        .env_remove("CERTDESK_DB")
        .env_remove("CERTDESK_LISTEN")
        .env_remove("CERTDESK_ADMIN_PASSWORD")
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("the certdesk binary runs");
    assert!(
        output.status.success(),
        "certdesk {:?} failed ({}):\n{}\n{}",
        args.first(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// One installation on a test database: an organisation and a ΔΨΠ made by the CLI, and the
/// store opened on it for preparing data and checking what the servers did. Declare it after the
/// test's database (a `PgTestDatabase`), so that its connections close before it is dropped.
pub struct Installation {
    pub store: Arc<dyn Store>,
    pub probe: StoreProbe,
    organisation_id: i64,
    admin: Actor,
    next_employee: u32,
    pub url: String,
    /// What the beneficiaries chose at identification: [`SIGNING_PASSWORD`] and email codes.
    signing: SigningCredentials,
    /// [`SIGNING_PASSWORD`], verified once (Argon2 takes its time on purpose).
    verified: VerifiedPassword,
}

impl Installation {
    /// The installation on the (empty) database at `url`.
    pub async fn new(url: &str) -> Installation {
        let out = certdesk(&[
            "org", "create", "--code", ORG_CODE, "--name", ORG_NAME, "--db", url,
        ])
        .await;
        assert!(
            out.contains(&format!("organisation {ORG_CODE} created")),
            "{out}"
        );
        let out = certdesk(&[
            "admin",
            "create",
            "--org",
            ORG_CODE,
            "--username",
            ADMIN_USERNAME,
            "--name",
            ADMIN_NAME,
            "--password",
            PASSWORD,
            "--db",
            url,
        ])
        .await;
        assert!(out.contains("created"), "{out}");
        let store = certdesk_store::connect(url)
            .await
            .expect("the store opens on the test database");
        let organisation = store
            .organisation_by_code(ORG_CODE)
            .await
            .unwrap()
            .expect("the CLI created the organisation");
        let admin = store
            .administrator_by_username(ADMIN_USERNAME)
            .await
            .unwrap()
            .expect("the CLI created the administrator");
        assert_eq!(admin.organisation_ids, vec![organisation.id]);
        assert!(admin.security.must_change_password && admin.security.second_factor_required);
        // The test's servers are driven over the API, with no console to finish the setup in:
        // the account is relaxed as the demo's are, its password kept.
        store
            .change_administrator_password(admin.id, &admin.password_hash)
            .await
            .unwrap();
        store
            .set_second_factor_required(admin.id, false)
            .await
            .unwrap();
        let password_hash = certdesk_domain::password::hash(SIGNING_PASSWORD, b"0123456789abcdef");
        let verified = signing::verify_password(SIGNING_PASSWORD, &password_hash)
            .expect("the signing password verifies against its own hash");
        Installation {
            store,
            probe: StoreProbe::new(url),
            organisation_id: organisation.id,
            admin: Actor::administrator(admin.id, admin.full_name),
            next_employee: 0,
            url: url.to_owned(),
            signing: SigningCredentials {
                password_hash,
                otp: OtpChannel::Email,
            },
            verified,
        }
    }

    /// Inserts `count` employees through the store; returns them with their ids.
    pub async fn employees(&mut self, count: usize) -> Vec<(i64, NewEmployee)> {
        let employees: Vec<NewEmployee> = self.rows(count).iter().map(validated).collect();
        let ids = self
            .store
            .insert_employees(self.organisation_id, &employees, Utc::now())
            .await
            .unwrap();
        ids.into_iter().zip(employees).collect()
    }

    /// Loads `count` employees as the operator does, with `certdesk import` of a CSV file;
    /// returns them with their ids.
    pub async fn import_employees(&mut self, count: usize) -> Vec<(i64, NewEmployee)> {
        let rows = self.rows(count);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("employees.csv");
        let mut csv = String::from(
            "afm,surname,given_name,father_name,id_card,birth_date,email,mobile,unit,position\n",
        );
        for row in &rows {
            csv.push_str(&row.join(","));
            csv.push('\n');
        }
        std::fs::write(&file, csv).unwrap();
        let file = file.to_string_lossy().into_owned();
        certdesk(&["import", &file, "--org", ORG_CODE, "--db", &self.url]).await;
        let mut imported = Vec::with_capacity(rows.len());
        for employee in rows.iter().map(validated) {
            let record = self
                .store
                .employee_by_afm(&Scope::Everything, &employee.afm)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{} was imported", employee.afm.as_str()));
            imported.push((record.id, employee));
        }
        imported
    }

    /// The fields of `count` new employees, as a CSV file of the HR registry has them: valid
    /// ΑΦΜ, ΑΔΤ, email and mobile, each unique.
    fn rows(&mut self, count: usize) -> Vec<[String; 10]> {
        const NAMES: [(&str, &str, &str); 6] = [
            ("Νικολάου", "Γεώργιος", "Ιωάννης"),
            ("Παπαδάκη", "Μαρία", "Κωνσταντίνος"),
            ("Οικονόμου", "Δημήτριος", "Νικόλαος"),
            ("Γεωργίου", "Αικατερίνη", "Παναγιώτης"),
            ("Βασιλείου", "Ιωάννης", "Χρήστος"),
            ("Αντωνίου", "Σοφία", "Αθανάσιος"),
        ];
        (0..count)
            .map(|_| {
                self.next_employee += 1;
                let n = self.next_employee;
                let (surname, given, father) = NAMES[n as usize % NAMES.len()];
                let birth_date = chrono::NaiveDate::from_ymd_opt(1980, 1 + n % 12, 1 + n % 28)
                    .expect("days 1 to 28 exist in every month")
                    .to_string();
                [
                    afm_with_check_digit(&format!("{:08}", 30_000_000 + n)),
                    surname.to_owned(),
                    given.to_owned(),
                    father.to_owned(),
                    format!("ΑΚ{:06}", 100_000 + n),
                    birth_date,
                    format!("employee{n}@scale.test.gov.gr"),
                    format!("+30697{:07}", n),
                    "Διεύθυνση Ψηφιακής Διακυβέρνησης".to_owned(),
                    "Διοικητικός υπάλληλος".to_owned(),
                ]
            })
            .collect()
    }

    /// Starts an application at `at` and drives it, through the domain's own transitions one
    /// hour apart, to the pending state `target`. Returns its id.
    pub async fn application_in(
        &self,
        employee_id: i64,
        employee: &NewEmployee,
        target: Status,
        at: DateTime<Utc>,
    ) -> i64 {
        let steps = PENDING
            .iter()
            .position(|s| *s == target)
            .expect("a pending state");
        let contact = ApplicationContact {
            email: employee.email.clone().unwrap(),
            mobile: employee.mobile.clone(),
        };
        let id = self
            .store
            .create_application(employee_id, &contact, &start(0, &self.admin, at).unwrap())
            .await
            .unwrap();
        let beneficiary = beneficiary(employee_id, employee);
        // Identification needs the email proven: the beneficiary followed the «Έναρξη» link.
        if steps >= 3 {
            let link = LinkToken::new([7; 32], at);
            let proof = check_link(id, link.token(), Some(link.stored()), at).unwrap();
            let application = self.application(id).await;
            let command = Command::ProveEmail { proof };
            let proven = decide(&application.as_domain(), &command, &beneficiary, at).unwrap();
            self.store.commit_transition(&proven).await.unwrap();
        }
        // Each step leads to the next pending state, an hour after the one before.
        for (hour, next) in PENDING[1..=steps].iter().enumerate() {
            let (command, actor) = match next {
                Status::AwaitingApproval => (
                    // Made up: the tax registry is taken to agree with the HR record.
                    Command::ConfirmData {
                        names: certdesk_domain::subject::VerifiedNames::stored(
                            employee.surname.to_string(),
                            employee.given_name.to_string(),
                            employee.father_name.to_string(),
                        ),
                    },
                    beneficiary.clone(),
                ),
                Status::AwaitingIdentification => (Command::Approve, self.admin.clone()),
                Status::AwaitingSignature => (
                    Command::CompleteIdentification {
                        username: Username::parse(&format!("benef{employee_id}")).unwrap(),
                        credentials: self.signing.clone(),
                    },
                    beneficiary.clone(),
                ),
                Status::AwaitingIssuance => (
                    Command::Sign {
                        proof: self.signing_proof(id),
                    },
                    beneficiary.clone(),
                ),
                other => unreachable!("no step leads to {other:?}"),
            };
            let application = self.application(id).await;
            let when = at + Duration::hours(hour as i64 + 1);
            let transition = decide(&application.as_domain(), &command, &actor, when).unwrap();
            self.store.commit_transition(&transition).await.unwrap();
        }
        assert_eq!(self.application(id).await.status, target);
        id
    }

    /// The beneficiary of an application awaiting signature signs it at `at`, as the portal
    /// would have them, written through `store` (whose issuance delay says when the issuance
    /// falls due). `false` when the application had moved on: a ΔΨΠ cancelled it first.
    pub async fn sign(
        &self,
        store: &dyn Store,
        id: i64,
        employee_id: i64,
        employee: &NewEmployee,
        at: DateTime<Utc>,
    ) -> bool {
        loop {
            let Some(transition) = self.signature(id, employee_id, employee, at).await else {
                return false;
            };
            match store.commit_transition(&transition).await {
                Ok(()) => return true,
                // Lost a race with a cancellation: read again, and find it moved on.
                Err(StoreError::Conflict) => continue,
                Err(error) => panic!("the signature of {id}: {error}"),
            }
        }
    }

    /// The transition of the beneficiary's signature at `at`, if the application awaits it.
    pub async fn signature(
        &self,
        id: i64,
        employee_id: i64,
        employee: &NewEmployee,
        at: DateTime<Utc>,
    ) -> Option<Transition> {
        let command = Command::Sign {
            proof: self.signing_proof(id),
        };
        let application = self.application(id).await;
        let beneficiary = beneficiary(employee_id, employee);
        decide(&application.as_domain(), &command, &beneficiary, at).ok()
    }

    /// The proof that the beneficiary signed `application_id`. No email code was sent, so the
    /// code is taken as claimed: the signature is preparation here, not what is tested.
    fn signing_proof(&self, application_id: i64) -> SigningProof {
        match signing::check(
            application_id,
            &self.signing,
            None,
            Some(&self.verified),
            &certdesk_domain::otp::EmailCodeKey::new([0; 32]),
            "000000",
            Utc::now(),
        ) {
            SigningCheck::Claim(claim) => claim.conclude(true).unwrap(),
            SigningCheck::Refused(failure) => panic!("the signature was refused: {failure:?}"),
        }
    }

    pub async fn application(&self, id: i64) -> certdesk_store::ApplicationRecord {
        self.store
            .application(&Scope::Everything, id)
            .await
            .unwrap()
            .expect("the application exists")
    }

    /// `(kind, application_id)` of every row of the jobs table, read with SQL directly.
    pub async fn jobs_table(&self) -> Vec<(String, Option<i64>)> {
        self.probe.jobs().await
    }
}

fn beneficiary(employee_id: i64, employee: &NewEmployee) -> Actor {
    Actor::beneficiary(
        employee_id,
        format!("{} {}", employee.given_name, employee.surname),
    )
}

/// A row of [`Installation::rows`], checked as the import checks it.
fn validated(row: &[String; 10]) -> NewEmployee {
    let field = |i: usize| row[i].as_str();
    EmployeeInput {
        afm: field(0),
        surname: field(1),
        given_name: field(2),
        father_name: field(3),
        id_card: field(4),
        birth_date: field(5),
        email: field(6),
        mobile: field(7),
        unit: field(8),
        position: field(9),
    }
    .validate()
    .expect("the test's employees are valid")
}
