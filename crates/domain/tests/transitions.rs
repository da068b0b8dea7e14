//! The transition table, tested without any IO.

use certdesk_domain::certificate::NewCertificate;
use certdesk_domain::history::verify_chain;
use certdesk_domain::otp::{OtpChannel, SigningCredentials};
use certdesk_domain::transition::{RevocationCategory, decide, start};
use certdesk_domain::validation::{Reason, Username};
use certdesk_domain::{
    Action, Actor, ActorKind, Application, Command, DomainError, Effect, HistoryEntry, Status,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

/// A certificate as the CA hands it over (its bytes are opaque to the rules).
fn certificate() -> NewCertificate {
    NewCertificate {
        serial: "0A".to_owned(),
        der: vec![0x30, 0x00],
        not_before: t0(),
        not_after: t0() + Duration::days(3 * 365),
        sealed_key: vec![1, 2, 3],
    }
}

/// Signing credentials as the portal makes them (the hash is opaque to the rules).
fn credentials() -> SigningCredentials {
    SigningCredentials {
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        otp: OtpChannel::Email,
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap()
}

fn admin() -> Actor {
    Actor::administrator(7, "Μαρία Γεωργίου")
}

fn app(status: Status) -> Application {
    Application {
        id: 1,
        status,
        version: 3,
        updated_at: t0(),
    }
}

fn all_commands() -> Vec<Command> {
    vec![
        Command::ConfirmData,
        Command::Approve,
        Command::Reject {
            reason: Reason::parse_required(Some("Λάθος στοιχεία")).unwrap(),
        },
        Command::FailIdentification {
            reason: "ΑΔΤ".into(),
        },
        Command::CompleteIdentification {
            username: Username::parse("mgeorgiou").unwrap(),
            credentials: credentials(),
        },
        Command::Sign,
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
        Command::ExpireCertificate { not_after: t0() },
    ]
}

fn all_actors() -> Vec<Actor> {
    vec![
        admin(),
        Actor::beneficiary(11, "Νίκος Παπαδόπουλος"),
        Actor::system(),
    ]
}

#[test]
fn cancel_is_allowed_in_exactly_the_five_pending_states() {
    let allowed: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|s| decide(&app(*s), &Command::Cancel { reason: None }, &admin(), t0()).is_ok())
        .collect();
    assert_eq!(
        allowed,
        vec![
            Status::AwaitingDataCheck,
            Status::AwaitingApproval,
            Status::AwaitingIdentification,
            Status::AwaitingSignature,
            Status::AwaitingIssuance
        ]
    );
}

#[test]
fn cancel_rejects_the_application_with_the_seed_description_and_its_effects() {
    let reason = Reason::parse_optional(Some("Μετακίνηση υπαλλήλου")).unwrap();
    let t = decide(
        &app(Status::AwaitingSignature),
        &Command::Cancel { reason },
        &admin(),
        t0(),
    )
    .unwrap();
    assert_eq!(t.to, Status::Rejected);
    assert_eq!(t.action, Action::Cancelled);
    assert_eq!(
        t.description,
        "Η έκδοση του πιστοποιητικού ακυρώθηκε από τον χρήστη Μαρία Γεωργίου"
    );
    assert_eq!(t.reason.as_deref(), Some("Μετακίνηση υπαλλήλου"));
    for effect in [
        Effect::ReleaseUsername,
        Effect::DropPendingJobs,
        Effect::DestroyKeyMaterial,
        Effect::NotifyBeneficiary,
    ] {
        assert!(t.effects.contains(&effect), "missing {effect:?}");
    }
    assert_eq!(t.expected_version, 3);
}

#[test]
fn cancelling_an_issued_application_points_to_revocation() {
    let err = decide(
        &app(Status::Issued),
        &Command::Cancel { reason: None },
        &admin(),
        t0(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "not_cancellable");
    assert!(
        err.message(certdesk_domain::Lang::El)
            .contains("Ανάκληση πιστοποιητικού")
    );
}

#[test]
fn only_an_administrator_may_cancel() {
    for actor in [Actor::beneficiary(1, "x"), Actor::system()] {
        let err = decide(
            &app(Status::AwaitingApproval),
            &Command::Cancel { reason: None },
            &actor,
            t0(),
        )
        .unwrap_err();
        assert!(matches!(err, DomainError::NotPermitted { .. }));
    }
}

#[test]
fn only_an_administrator_may_start() {
    assert!(start(1, &admin(), t0()).is_ok());
    assert!(start(1, &Actor::system(), t0()).is_err());
}

#[test]
fn the_happy_path_reaches_issued() {
    let beneficiary = Actor::beneficiary(11, "Νίκος Παπαδόπουλος");
    let steps = [
        (
            Command::ConfirmData,
            beneficiary.clone(),
            Status::AwaitingApproval,
        ),
        (Command::Approve, admin(), Status::AwaitingIdentification),
        (
            Command::CompleteIdentification {
                username: Username::parse("npapadop").unwrap(),
                credentials: credentials(),
            },
            beneficiary.clone(),
            Status::AwaitingSignature,
        ),
        (Command::Sign, beneficiary, Status::AwaitingIssuance),
        (
            Command::Issue {
                certificate: certificate(),
            },
            Actor::system(),
            Status::Issued,
        ),
        (
            Command::Revoke {
                category: RevocationCategory::AuthorityDecision,
                description: None,
            },
            admin(),
            Status::Revoked,
        ),
    ];
    let mut current = start(1, &admin(), t0())
        .map(|t| t.applied_to(&app(Status::AwaitingDataCheck)))
        .unwrap();
    for (command, actor, expected) in steps {
        let t = decide(&current, &command, &actor, t0()).unwrap();
        assert_eq!(t.to, expected);
        current = t.applied_to(&current);
    }
}

#[test]
fn expiry_waits_for_the_idle_time() {
    let expire = Command::Expire {
        max_idle: Duration::days(90),
    };
    let stale = app(Status::AwaitingApproval);
    assert_eq!(
        decide(&stale, &expire, &Actor::system(), t0() + Duration::days(89)),
        Err(DomainError::NotDue)
    );
    let t = decide(&stale, &expire, &Actor::system(), t0() + Duration::days(90)).unwrap();
    assert_eq!((t.to, t.action), (Status::Rejected, Action::TimedOut));
}

fn any_status() -> impl Strategy<Value = Status> {
    proptest::sample::select(Status::ALL.to_vec())
}

fn any_command() -> impl Strategy<Value = Command> {
    proptest::sample::select(all_commands())
}

fn any_actor() -> impl Strategy<Value = Actor> {
    proptest::sample::select(all_actors())
}

proptest! {
    #[test]
    fn no_transition_leaves_a_terminal_state(status in any_status(), command in any_command(), actor in any_actor(), days in 0i64..2000) {
        prop_assume!(status.is_terminal());
        prop_assert!(decide(&app(status), &command, &actor, t0() + Duration::days(days)).is_err());
    }

    #[test]
    fn every_accepted_command_moves_on_and_bumps_the_version(status in any_status(), command in any_command(), actor in any_actor(), days in 0i64..2000) {
        if let Ok(t) = decide(&app(status), &command, &actor, t0() + Duration::days(days)) {
            prop_assert_eq!(t.from, Some(status));
            prop_assert_ne!(t.to, status);
            prop_assert_eq!(t.applied_to(&app(status)).version, 4);
            prop_assert!(t.effects.contains(&Effect::NotifyBeneficiary));
        }
    }

    /// Any run of commands against one application: each accepted command appends exactly one
    /// history entry, refused ones append none, and the chain verifies.
    #[test]
    fn every_transition_appends_exactly_one_history_entry(
        steps in proptest::collection::vec((any_command(), any_actor(), 0i64..200), 0..25)
    ) {
        let first = start(1, &admin(), t0()).unwrap();
        let mut current = first.applied_to(&app(Status::AwaitingDataCheck));
        let mut history: Vec<HistoryEntry> = vec![first.history_entry(None)];
        let mut accepted = 0;
        let mut now = t0();
        for (command, actor, days) in steps {
            now += Duration::days(days);
            let before = history.len();
            if let Ok(t) = decide(&current, &command, &actor, now) {
                let last = history.last().unwrap();
                history.push(t.history_entry(Some((&last.hash, last.seq))));
                current = t.applied_to(&current);
                accepted += 1;
                prop_assert_eq!(history.len(), before + 1);
            } else {
                prop_assert_eq!(history.len(), before);
            }
        }
        prop_assert_eq!(history.len(), 1 + accepted);
        prop_assert!(verify_chain(&history).is_ok());
    }

    /// Changing any field of any entry breaks the chain.
    #[test]
    fn the_hash_chain_breaks_when_any_entry_is_changed(index in 0usize..5, field in 0usize..7) {
        let beneficiary = Actor::beneficiary(11, "Νίκος Παπαδόπουλος");
        let first = start(1, &admin(), t0()).unwrap();
        let mut current = first.applied_to(&app(Status::AwaitingDataCheck));
        let mut history = vec![first.history_entry(None)];
        for (command, actor) in [
            (Command::ConfirmData, beneficiary.clone()),
            (Command::Approve, admin()),
            (Command::CompleteIdentification { username: Username::parse("npapadop").unwrap(), credentials: credentials() }, beneficiary),
            (Command::Cancel { reason: Reason::parse_optional(Some("λάθος")).unwrap() }, admin()),
        ] {
            let t = decide(&current, &command, &actor, t0()).unwrap();
            let last = history.last().unwrap();
            history.push(t.history_entry(Some((&last.hash, last.seq))));
            current = t.applied_to(&current);
        }
        prop_assert!(verify_chain(&history).is_ok());
        let entry = &mut history[index];
        match field {
            0 => entry.description.push('.'),
            1 => entry.actor_name = "Άλλος Χρήστης".into(),
            2 => entry.at += Duration::seconds(1),
            3 => entry.action = if entry.action == Action::Approved { Action::Rejected } else { Action::Approved },
            4 => entry.reason = Some(format!("{}x", entry.reason.clone().unwrap_or_default())),
            5 => entry.actor_kind = if entry.actor_kind == ActorKind::System { ActorKind::Beneficiary } else { ActorKind::System },
            _ => entry.seq += 1,
        }
        prop_assert!(verify_chain(&history).is_err());
    }

    #[test]
    fn removing_an_entry_breaks_the_chain(index in 0usize..3) {
        let first = start(1, &admin(), t0()).unwrap();
        let mut current = first.applied_to(&app(Status::AwaitingDataCheck));
        let mut history = vec![first.history_entry(None)];
        for (command, actor) in [(Command::ConfirmData, Actor::beneficiary(1, "x")), (Command::Approve, admin()), (Command::Cancel { reason: None }, admin())] {
            let t = decide(&current, &command, &actor, t0()).unwrap();
            let last = history.last().unwrap();
            history.push(t.history_entry(Some((&last.hash, last.seq))));
            current = t.applied_to(&current);
        }
        history.remove(index);
        prop_assert!(verify_chain(&history).is_err());
    }
}
