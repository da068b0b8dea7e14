//! Fixtures shared by the integration tests: one application, its beneficiary, every command
//! and actor, and the transition table of SPEC §2 written out independently of `decide`.

// Each test binary uses its own part of these.
#![allow(dead_code)]

use std::sync::LazyLock;

use certdesk_domain::certificate::NewCertificate;
use certdesk_domain::email_proof::{self, EmailProof, LinkToken};
use certdesk_domain::otp::{OtpChannel, SigningCredentials, StoredSecret, TotpSecret, step_at};
use certdesk_domain::signing::{self, SigningCheck, SigningProof};
use certdesk_domain::transition::RevocationCategory;
use certdesk_domain::validation::{Reason, Username};
use certdesk_domain::{Actor, ActorKind, Application, Command, Status, password};
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

/// The application every test acts on, and the employee it is for.
pub const APPLICATION: i64 = 1;
pub const EMPLOYEE: i64 = 11;

pub const SIGNING_PASSWORD: &str = "κωδικός-υπογραφής";

/// Argon2 is slow in debug builds: one hash for the whole test binary.
pub static PASSWORD_HASH: LazyLock<String> =
    LazyLock::new(|| password::hash(SIGNING_PASSWORD, b"transitions-salt"));

/// Proofs made the only way there is, by checking password and code (each check hashes once).
pub static PROOF: LazyLock<SigningProof> = LazyLock::new(|| proof_for(APPLICATION));
pub static PROOF_OF_ANOTHER_APPLICATION: LazyLock<SigningProof> = LazyLock::new(|| proof_for(2));

/// A certificate as the CA hands it over (its bytes are opaque to the rules).
pub fn certificate() -> NewCertificate {
    NewCertificate {
        serial: "0A".to_owned(),
        der: vec![0x30, 0x00],
        not_before: t0(),
        not_after: t0() + Duration::days(3 * 365),
        sealed_key: vec![1, 2, 3],
    }
}

/// RFC 6238's test key.
pub fn totp_secret() -> TotpSecret {
    TotpSecret::from_bytes(*b"12345678901234567890")
}

/// Signing credentials as the portal makes them: a TOTP app that has not been used yet.
pub fn credentials() -> SigningCredentials {
    SigningCredentials {
        password_hash: PASSWORD_HASH.clone(),
        otp: OtpChannel::Totp {
            secret: StoredSecret("sealed:00".to_owned()),
            last_step: i64::MIN,
            drift: 0,
        },
    }
}

/// The beneficiary types the signing password and the app's current code; the store claims
/// the step.
pub fn proof_for(application_id: i64) -> SigningProof {
    let code = totp_secret().code_at(step_at(t0()));
    match signing::check(
        application_id,
        &credentials(),
        Some(&totp_secret()),
        signing::verify_password(SIGNING_PASSWORD, &PASSWORD_HASH).as_ref(),
        &certdesk_domain::otp::EmailCodeKey::new([0; 32]),
        &code,
        t0(),
    ) {
        SigningCheck::Claim(claim) => claim.conclude(true).expect("claimed"),
        refused => panic!("the right password and code were refused: {refused:?}"),
    }
}

pub fn sign() -> Command {
    Command::Sign {
        proof: PROOF.clone(),
    }
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap()
}

pub fn admin() -> Actor {
    Actor::administrator(7, "Μαρία Γεωργίου")
}

/// The employee the application is for.
pub fn beneficiary() -> Actor {
    Actor::beneficiary(EMPLOYEE, "Νίκος Παπαδόπουλος")
}

pub fn app(status: Status) -> Application {
    Application {
        id: APPLICATION,
        employee_id: EMPLOYEE,
        status,
        version: 3,
        updated_at: t0(),
        // Proven, so that identification is decided by the table; `unproven` for the rule.
        email_proven: true,
        // Asked already, so that the commands that record a fact are refused here, as the proof
        // of the email is; `unrequested` for the revocation request's rule.
        revocation_requested: true,
    }
}

/// The application before its holder asked for revocation.
pub fn unrequested(status: Status) -> Application {
    Application {
        revocation_requested: false,
        ..app(status)
    }
}

/// The data check of a beneficiary whose HR record agreed with the tax registry.
pub fn confirm_data() -> Command {
    let hr = certdesk_domain::subject::HrNames {
        surname: "ΠΑΠΑΔΟΠΟΥΛΟΣ",
        given_name: "ΝΙΚΟΛΑΟΣ",
        father_name: "ΓΕΩΡΓΙΟΣ",
    };
    let tax = certdesk_domain::identity::PersonFacts {
        surname: "Παπαδόπουλος".into(),
        given_name: "Νικόλαος".into(),
        father_name: "Γεώργιος".into(),
        birth_date: chrono::NaiveDate::from_ymd_opt(1980, 2, 29).unwrap(),
    };
    Command::ConfirmData {
        names: certdesk_domain::subject::check_hr_record(&hr, &tax).expect("the records agree"),
    }
}

/// The application before the beneficiary proved the email.
pub fn unproven(status: Status) -> Application {
    Application {
        email_proven: false,
        ..app(status)
    }
}

/// A proof of the email of `application_id` by the start email's link, made the only way there
/// is: by checking the token against what the store would keep.
pub fn email_proof_for(application_id: i64) -> EmailProof {
    let link = LinkToken::new([5; 32], t0());
    email_proof::check_link(application_id, link.token(), Some(link.stored()), t0())
        .expect("the link's own token")
}

pub fn all_commands() -> Vec<Command> {
    vec![
        confirm_data(),
        Command::Approve,
        Command::Reject {
            reason: Reason::parse_required(Some("Λάθος στοιχεία")).unwrap(),
        },
        Command::FailIdentification {
            reason: "ΑΔΤ".into(),
        },
        Command::ProveEmail {
            proof: email_proof_for(APPLICATION),
        },
        Command::ProveEmail {
            proof: email_proof_for(2),
        },
        Command::CompleteIdentification {
            username: Username::parse("mgeorgiou").unwrap(),
            credentials: credentials(),
        },
        sign(),
        Command::Sign {
            proof: PROOF_OF_ANOTHER_APPLICATION.clone(),
        },
        Command::Issue {
            certificate: certificate(),
        },
        Command::Cancel { reason: None },
        Command::Expire {
            max_idle: Duration::days(90),
        },
        Command::Revoke {
            category: RevocationCategory::EmployeeRequest,
            description: None,
        },
        Command::ExpireCertificate {
            not_after: t0() + Duration::days(1000),
        },
        Command::RequestRevocation { reason: None },
        Command::RequestRevocation {
            reason: Reason::parse_optional(Some("Ξέχασα τον κωδικό υπογραφής")).unwrap(),
        },
    ]
}

pub fn all_actors() -> Vec<Actor> {
    vec![
        admin(),
        beneficiary(),
        // Another employee, logged in to the portal.
        Actor::beneficiary(12, "Ελένη Ιωάννου"),
        Actor::system(),
    ]
}

pub const PENDING: [Status; 5] = [
    Status::AwaitingDataCheck,
    Status::AwaitingApproval,
    Status::AwaitingIdentification,
    Status::AwaitingSignature,
    Status::AwaitingIssuance,
];

pub const TERMINAL: [Status; 3] = [Status::Rejected, Status::Revoked, Status::Expired];

/// The transition table of SPEC §2 written out on its own, to check `decide` against: the
/// state `command` leads to, or `None` when it is refused.
pub fn expected(
    application: &Application,
    command: &Command,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Option<Status> {
    use Status::*;
    let status = application.status;
    let administrator = actor.kind == ActorKind::Administrator;
    let system = actor.kind == ActorKind::System;
    let owner = actor.kind == ActorKind::Beneficiary && actor.id == Some(application.employee_id);
    let pending = PENDING.contains(&status);
    let (allowed, to) = match command {
        Command::ConfirmData { .. } => (owner && status == AwaitingDataCheck, AwaitingApproval),
        Command::Approve => (
            administrator && status == AwaitingApproval,
            AwaitingIdentification,
        ),
        Command::Reject { .. } => (administrator && status == AwaitingApproval, Rejected),
        Command::FailIdentification { .. } => {
            (system && status == AwaitingIdentification, Rejected)
        }
        Command::ProveEmail { proof } => (
            owner
                && proof.application_id() == application.id
                && !application.email_proven
                && [AwaitingDataCheck, AwaitingApproval, AwaitingIdentification].contains(&status),
            status,
        ),
        Command::CompleteIdentification { .. } => (
            owner && application.email_proven && status == AwaitingIdentification,
            AwaitingSignature,
        ),
        Command::Sign { proof } => (
            owner && proof.application_id() == application.id && status == AwaitingSignature,
            AwaitingIssuance,
        ),
        Command::Issue { .. } => (system && status == AwaitingIssuance, Issued),
        Command::Cancel { .. } => (administrator && pending, Rejected),
        Command::Expire { max_idle } => (
            system && pending && now - application.updated_at >= *max_idle,
            Rejected,
        ),
        Command::Revoke { .. } => (administrator && status == Issued, Revoked),
        Command::ExpireCertificate { not_after } => {
            (system && status == Issued && now >= *not_after, Expired)
        }
        Command::RequestRevocation { .. } => (
            owner && status == Issued && !application.revocation_requested,
            status,
        ),
    };
    allowed.then_some(to)
}

pub fn any_status() -> impl Strategy<Value = Status> {
    proptest::sample::select(Status::ALL.to_vec())
}

pub fn terminal_status() -> impl Strategy<Value = Status> {
    proptest::sample::select(TERMINAL.to_vec())
}

pub fn any_command() -> impl Strategy<Value = Command> {
    proptest::sample::select(all_commands())
}

pub fn any_actor() -> impl Strategy<Value = Actor> {
    proptest::sample::select(all_actors())
}
