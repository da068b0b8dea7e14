//! Fixtures through the store and the domain directly (fast, no HTTP): administrators,
//! organisations, employees, and applications driven to any state of SPEC §2.

use certdesk_domain::email_proof::{LinkToken, check_link};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU32, Ordering};

use certdesk_domain::certificate::CertificateIssuer;
use certdesk_domain::employee::EmployeeInput;
use certdesk_domain::otp::{OtpChannel, SigningCredentials};
use certdesk_domain::signing::{SigningCheck, VerifiedPassword, check, verify_password};
use certdesk_domain::transition::{RevocationCategory, decide, start};
use certdesk_domain::validation::{Email, Reason, Username, afm_with_check_digit};
use certdesk_domain::{Actor, Command, HistoryEntry, Status};
use certdesk_store::{ApplicationContact, ApplicationRecord, NewAdministrator, Scope};
use chrono::{DateTime, Utc};

use super::{TestApp, test_ca};

/// The password of every test administrator.
pub const PASSWORD: &str = "Σωστός κωδικός 2024!";

/// Argon2 is slow in debug builds: hash the one password once for the whole test binary (with a
/// fixed salt: the tests need a hash, not a secret).
static PASSWORD_HASH: LazyLock<String> =
    LazyLock::new(|| certdesk_domain::password::hash(PASSWORD, b"0123456789abcdef"));

/// [`PASSWORD`] verified once against [`PASSWORD_HASH`], for the fixtures' signatures.
static VERIFIED_PASSWORD: LazyLock<Option<VerifiedPassword>> =
    LazyLock::new(|| verify_password(PASSWORD, &PASSWORD_HASH));

/// ΑΦΜs unique within the binary (hence within every test's database).
static NEXT_AFM: AtomicU32 = AtomicU32::new(10_000_000);

pub fn next_afm() -> String {
    afm_with_check_digit(&format!("{:08}", NEXT_AFM.fetch_add(1, Ordering::Relaxed)))
}

/// A valid-looking ΑΦΜ whose check digit is wrong.
pub fn afm_with_wrong_check_digit() -> String {
    let mut afm = next_afm();
    let last = afm.pop().unwrap().to_digit(10).unwrap();
    afm.push(char::from_digit((last + 1) % 10, 10).unwrap());
    afm
}

/// The five states of SPEC §2 from which a ΔΨΠ may cancel.
pub const PENDING: [Status; 5] = [
    Status::AwaitingDataCheck,
    Status::AwaitingApproval,
    Status::AwaitingIdentification,
    Status::AwaitingSignature,
    Status::AwaitingIssuance,
];

pub const REJECTED_EL: &str = "Απορρίφθηκε η αίτηση έκδοσης του πιστοποιητικού";

pub fn cancelled_description(admin_full_name: &str) -> String {
    format!("Η έκδοση του πιστοποιητικού ακυρώθηκε από τον χρήστη {admin_full_name}")
}

/// How a fixture's beneficiary receives one-time codes.
pub enum Channel {
    Email,
    /// The authenticator app with this secret.
    Totp(certdesk_domain::otp::TotpSecret),
}

#[derive(Debug, Clone)]
pub struct Admin {
    pub id: i64,
    pub username: String,
    pub full_name: String,
}

impl Admin {
    pub fn actor(&self) -> Actor {
        Actor::administrator(self.id, self.full_name.clone())
    }
}

#[derive(Debug, Clone)]
pub struct Employee {
    pub id: i64,
    pub afm: String,
    pub surname: String,
    pub given_name: String,
    pub email: String,
}

impl TestApp {
    // ---- fixtures through the store ---------------------------------------------------------

    /// A ΔΨΠ like the demo's: logs in with [`PASSWORD`] alone, nothing to set up first.
    pub async fn add_admin(&self, organisation_id: i64, username: &str, full_name: &str) -> Admin {
        self.add_admin_with(organisation_id, username, full_name, false, false)
            .await
    }

    /// A ΔΨΠ as `certdesk admin create` makes one: the first password to change and a second
    /// factor to enrol.
    pub async fn add_new_admin(&self, username: &str) -> Admin {
        self.add_admin_with(self.org_id, username, "Νίκος Παππάς", true, true)
            .await
    }

    pub async fn add_admin_with(
        &self,
        organisation_id: i64,
        username: &str,
        full_name: &str,
        must_change_password: bool,
        second_factor_required: bool,
    ) -> Admin {
        let id = self
            .store
            .create_administrator(
                &NewAdministrator {
                    username: username.to_owned(),
                    full_name: full_name.to_owned(),
                    password_hash: PASSWORD_HASH.clone(),
                    organisation_ids: vec![organisation_id],
                    role: certdesk_domain::Role::Administrator,
                    must_change_password,
                    second_factor_required,
                },
                Utc::now(),
            )
            .await
            .expect("create an administrator");
        Admin {
            id,
            username: username.to_owned(),
            full_name: full_name.to_owned(),
        }
    }

    /// An operator or auditor account (no organisation), with [`PASSWORD`].
    pub async fn add_account(&self, role: certdesk_domain::Role, username: &str) -> Admin {
        let account = NewAdministrator {
            username: username.to_owned(),
            full_name: format!("Λογαριασμός {}", role.code()),
            password_hash: PASSWORD_HASH.clone(),
            organisation_ids: Vec::new(),
            role,
            must_change_password: false,
            second_factor_required: false,
        };
        let id = self
            .store
            .create_administrator(&account, Utc::now())
            .await
            .expect("create an account");
        Admin {
            id,
            username: username.to_owned(),
            full_name: account.full_name,
        }
    }

    /// Another organisation with its own ΔΨΠ.
    pub async fn add_organisation_with_admin(&self, code: &str) -> (i64, Admin) {
        let org = self
            .store
            .create_organisation(code, &format!("Φορέας {code}"), Utc::now())
            .await
            .unwrap();
        let admin = self
            .add_admin(
                org.id,
                &format!("dpp@{}.gr", code.to_lowercase()),
                "Γεώργιος Αλεξίου",
            )
            .await;
        (org.id, admin)
    }

    pub async fn add_employee_to(
        &self,
        organisation_id: i64,
        surname: &str,
        given_name: &str,
        unit: &str,
    ) -> Employee {
        let afm = next_afm();
        let email = format!("u{afm}@example.gr");
        let record = EmployeeInput {
            afm: &afm,
            surname,
            given_name,
            father_name: "Ιωάννης",
            email: &email,
            unit,
            position: "Υπάλληλος",
            ..Default::default()
        }
        .validate()
        .expect("a valid employee");
        let ids = self
            .store
            .insert_employees(organisation_id, &[record], Utc::now())
            .await
            .expect("insert an employee");
        Employee {
            id: ids[0],
            afm,
            surname: surname.to_owned(),
            given_name: given_name.to_owned(),
            email,
        }
    }

    /// An employee of the default organisation.
    pub async fn add_employee(&self, surname: &str, given_name: &str) -> Employee {
        self.add_employee_to(self.org_id, surname, given_name, "Τμήμα Πληροφορικής")
            .await
    }

    /// Starts an application for `employee` and drives it, through the domain's rules, to
    /// `target` (any state of SPEC §2). Returns the application id.
    pub async fn drive_application(&self, employee: &Employee, target: Status) -> i64 {
        self.drive_application_at(employee, target, Utc::now())
            .await
    }

    /// As `drive_application`, with every step of the history at `now` (a past time makes an
    /// application that has been idle since then).
    pub async fn drive_application_at(
        &self,
        employee: &Employee,
        target: Status,
        now: DateTime<Utc>,
    ) -> i64 {
        self.drive_application_with(employee, target, now, &Channel::Email)
            .await
    }

    /// As `drive_application_at`, the beneficiary choosing `channel` for their one-time codes
    /// at identification.
    pub async fn drive_application_with(
        &self,
        employee: &Employee,
        target: Status,
        now: DateTime<Utc>,
        channel: &Channel,
    ) -> i64 {
        let admin = self.admin.actor();
        let first = start(0, &admin, now).unwrap();
        let contact = ApplicationContact {
            email: Email::parse(&employee.email).unwrap(),
            mobile: None,
        };
        let id = self
            .store
            .create_application(employee.id, &contact, &first)
            .await
            .expect("create an application");
        // A beneficiary acts only on their own application: as the employee it is for.
        let beneficiary = Actor::beneficiary(
            self.application(id).await.employee_id,
            format!("{} {}", employee.given_name, employee.surname),
        );
        // Signing credentials with the email channel: any six digits pass `check`, and the
        // fixture stands for the store's claim of the code.
        let credentials = SigningCredentials {
            password_hash: PASSWORD_HASH.clone(),
            otp: OtpChannel::Email,
        };
        // The credentials chosen at identification: the TOTP secret sealed as the portal seals
        // it, with the KEK of the server's CA.
        let chosen = match channel {
            Channel::Email => credentials.clone(),
            Channel::Totp(secret) => SigningCredentials {
                password_hash: PASSWORD_HASH.clone(),
                otp: OtpChannel::Totp {
                    secret: certdesk_app::secrets::seal(
                        self.app.ca.as_ref().map(|ca| &ca.kek),
                        id,
                        secret,
                    ),
                    last_step: 0,
                    drift: 0,
                },
            },
        };

        let issuer = self.app.ca.clone().unwrap_or_else(test_ca);
        let (reach, last) = match target {
            Status::Rejected => (
                Status::AwaitingApproval,
                Some((
                    Command::Reject {
                        reason: Reason::parse_required(Some("Δεν χρειάζεται υπογραφή")).unwrap(),
                    },
                    admin.clone(),
                )),
            ),
            Status::Revoked => (
                Status::Issued,
                Some((
                    Command::Revoke {
                        category: RevocationCategory::EmployeeRequest,
                        description: None,
                    },
                    admin.clone(),
                )),
            ),
            Status::Expired => (
                Status::Issued,
                Some((
                    Command::ExpireCertificate {
                        not_after: DateTime::<Utc>::MIN_UTC,
                    },
                    Actor::system(),
                )),
            ),
            other => (other, None),
        };
        let line = [
            Status::AwaitingDataCheck,
            Status::AwaitingApproval,
            Status::AwaitingIdentification,
            Status::AwaitingSignature,
            Status::AwaitingIssuance,
            Status::Issued,
        ];
        let reach_index = line.iter().position(|s| *s == reach).unwrap();
        let mut path: Vec<(Command, Actor)> = line[1..=reach_index]
            .iter()
            .map(|step| match step {
                Status::AwaitingApproval => (
                    // Made up: the tax registry is taken to agree with the HR record.
                    Command::ConfirmData {
                        names: certdesk_domain::subject::VerifiedNames::stored(
                            employee.surname.clone(),
                            employee.given_name.clone(),
                            "Ιωάννης".to_owned(),
                        ),
                    },
                    beneficiary.clone(),
                ),
                Status::AwaitingIdentification => (Command::Approve, admin.clone()),
                Status::AwaitingSignature => (
                    Command::CompleteIdentification {
                        username: Username::parse(&format!("benef{id}")).unwrap(),
                        credentials: chosen.clone(),
                    },
                    beneficiary.clone(),
                ),
                Status::AwaitingIssuance => {
                    let SigningCheck::Claim(claim) = check(
                        id,
                        &credentials,
                        None,
                        VERIFIED_PASSWORD.as_ref(),
                        &certdesk_domain::otp::EmailCodeKey::new([0; 32]),
                        "123456",
                        now,
                    ) else {
                        panic!("the fixture's signing password is refused");
                    };
                    (
                        Command::Sign {
                            proof: claim.conclude(true).unwrap(),
                        },
                        beneficiary.clone(),
                    )
                }
                _ => (
                    Command::Issue {
                        // By the server's CA, as its worker would.
                        certificate: issuer
                            .issue(
                                &certdesk_domain::certificate::CertificateSubject {
                                    application_id: id,
                                    given_name: employee.given_name.clone(),
                                    surname: employee.surname.clone(),
                                    afm: employee.afm.clone(),
                                    organisation: "Υπουργείο Ψηφιακής Διακυβέρνησης".to_owned(),
                                    unit: "Τμήμα Πληροφορικής".to_owned(),
                                    email: Some(employee.email.clone()),
                                },
                                now,
                            )
                            .unwrap(),
                    },
                    Actor::system(),
                ),
            })
            .collect();
        path.extend(last);
        // Identification needs the email proven: the beneficiary followed the «Έναρξη» link.
        if let Some(i) = path
            .iter()
            .position(|(c, _)| matches!(c, Command::CompleteIdentification { .. }))
        {
            let link = LinkToken::new([7; 32], now);
            let proof = check_link(id, link.token(), Some(link.stored()), now).unwrap();
            path.insert(i, (Command::ProveEmail { proof }, beneficiary.clone()));
        }
        for (command, actor) in path {
            let application = self.application(id).await;
            let transition = decide(&application.as_domain(), &command, &actor, now).unwrap();
            self.store.commit_transition(&transition).await.unwrap();
        }
        assert_eq!(self.application(id).await.status, target);
        id
    }

    /// A new employee of the default organisation whose application is in `target`.
    pub async fn application_in(&self, target: Status) -> (Employee, i64) {
        self.application_in_at(target, Utc::now()).await
    }

    /// As `application_in`, the whole history at `now`.
    pub async fn application_in_at(&self, target: Status, now: DateTime<Utc>) -> (Employee, i64) {
        self.application_in_with_at(target, now, &Channel::Email)
            .await
    }

    /// As `application_in`, the beneficiary's one-time codes coming by `channel`.
    pub async fn application_in_with(&self, target: Status, channel: &Channel) -> (Employee, i64) {
        self.application_in_with_at(target, Utc::now(), channel)
            .await
    }

    async fn application_in_with_at(
        &self,
        target: Status,
        now: DateTime<Utc>,
        channel: &Channel,
    ) -> (Employee, i64) {
        let n = NEXT_AFM.load(Ordering::Relaxed);
        let employee = self
            .add_employee(&format!("Δοκιμ{}", to_greek_letters(n)), "Πέτρος")
            .await;
        let id = self
            .drive_application_with(&employee, target, now, channel)
            .await;
        (employee, id)
    }

    pub async fn application(&self, id: i64) -> ApplicationRecord {
        self.store
            .application(&Scope::Everything, id)
            .await
            .unwrap()
            .expect("the application exists")
    }

    pub async fn history(&self, id: i64) -> Vec<HistoryEntry> {
        self.store.history(&Scope::Everything, id).await.unwrap()
    }
}

/// Spells a number in Greek letters, so that generated surnames are distinct words.
fn to_greek_letters(mut n: u32) -> String {
    const LETTERS: [char; 10] = ['α', 'β', 'γ', 'δ', 'ε', 'ζ', 'η', 'θ', 'κ', 'λ'];
    let mut out = Vec::new();
    loop {
        out.push(LETTERS[(n % 10) as usize]);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.iter().rev().collect()
}
