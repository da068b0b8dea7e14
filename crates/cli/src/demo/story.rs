//! One application of a demo employee, played through the domain's own transitions at made-up
//! times to where its [`Scenario`] ends.

use anyhow::{Context, bail};
use certdesk_domain::certificate::{CertificateIssuer, CertificateSubject, NewCertificate};
use certdesk_domain::email_proof::{LinkToken, check_link};
use certdesk_domain::subject::VerifiedNames;
use certdesk_domain::transition::{RevocationCategory, decide, start};
use certdesk_domain::validation::{Reason, Username};
use certdesk_domain::{Actor, Command, Field, Status};
use certdesk_store::{ApplicationContact, Scope, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::StdRng;

use super::Person;
use crate::signing::MadeUpSigning;

/// Where an employee's (current) application ends up.
#[derive(Clone, Copy, Debug)]
pub(super) enum Scenario {
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

pub(super) fn pick_scenario(rng: &mut StdRng) -> Scenario {
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

pub(super) struct Story<'a> {
    pub(super) store: &'a dyn Store,
    pub(super) rng: &'a mut StdRng,
    pub(super) admin: &'a Actor,
    /// The demo's signing password is the demo accounts' password (email channel), so that an
    /// application awaiting signature can be signed in the portal.
    pub(super) signing: &'a MadeUpSigning,
    /// The demo's CA: its issued, revoked and expired applications carry real certificates.
    pub(super) issuer: &'a dyn CertificateIssuer,
    pub(super) organisation_name: &'a str,
    pub(super) person: &'a Person,
    pub(super) employee_id: i64,
    pub(super) now: DateTime<Utc>,
}

impl Story<'_> {
    fn hours(&mut self, low: i64, high: i64) -> Duration {
        Duration::minutes(self.rng.random_range(low * 60..high * 60))
    }

    /// Plays one application through to `scenario`, starting `earlier` before its usual time.
    pub(super) async fn play(
        &mut self,
        scenario: Scenario,
        earlier: Duration,
    ) -> anyhow::Result<()> {
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
            email: self
                .person
                .employee
                .email
                .clone()
                .context("a demo employee without an email")?,
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
            // At the first login the beneficiary followed the «Έναρξη» link, proving the email.
            if *step == Status::AwaitingApproval {
                let link = LinkToken::new(self.rng.random(), at);
                let proof = check_link(id, link.token(), Some(link.stored()), at)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                path.push((Some(Command::ProveEmail { proof }), beneficiary.clone()));
            }
            let command = match step {
                Status::AwaitingApproval => (
                    // Made up: the tax registry is taken to agree with the HR record.
                    Some(Command::ConfirmData {
                        names: VerifiedNames::stored(
                            self.person.employee.surname.to_string(),
                            self.person.employee.given_name.to_string(),
                            self.person.employee.father_name.to_string(),
                        ),
                    }),
                    beneficiary.clone(),
                ),
                Status::AwaitingIdentification => (Some(Command::Approve), self.admin.clone()),
                Status::AwaitingSignature => (
                    Some(Command::CompleteIdentification {
                        username: self.username(id),
                        credentials: self.signing.credentials().clone(),
                    }),
                    beneficiary.clone(),
                ),
                Status::AwaitingIssuance => (
                    Some(Command::Sign {
                        proof: self.signing.proof(id, at)?,
                    }),
                    beneficiary.clone(),
                ),
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
                    certificate: self.certificate(id, contact.email.as_str(), at)?,
                },
                Some(Command::ExpireCertificate { .. }) => Command::ExpireCertificate {
                    not_after: self
                        .store
                        .certificate(&Scope::Everything, id)
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
                Err(StoreError::Duplicate(Field::Username)) => {
                    bail!("demo username collision for application {id}")
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
            given_name: employee.given_name.as_str().to_owned(),
            surname: employee.surname.as_str().to_owned(),
            afm: employee.afm.as_str().to_owned(),
            organisation: self.organisation_name.to_owned(),
            unit: employee.unit.clone(),
            email: Some(email.to_owned()),
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
