//! The transition table, tested without any IO.

mod common;

use certdesk_domain::certificate::RevocationReason;
use certdesk_domain::transition::{RevocationCategory, decide, start};
use certdesk_domain::validation::{Reason, Username};
use certdesk_domain::{
    Action, Actor, ActorKind, Application, Command, DomainError, Effect, Status,
};
use chrono::Duration;
use common::*;
use proptest::prelude::*;

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
    for actor in [beneficiary(), Actor::system()] {
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
    assert!(start(APPLICATION, &admin(), t0()).is_ok());
    assert!(start(APPLICATION, &Actor::system(), t0()).is_err());
}

#[test]
fn the_happy_path_reaches_issued() {
    let beneficiary = beneficiary();
    let steps = [
        (
            confirm_data(),
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
        (sign(), beneficiary, Status::AwaitingIssuance),
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
    let mut current = start(APPLICATION, &admin(), t0())
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

#[test]
fn the_terminal_states_are_those_of_the_spec() {
    let terminal: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .collect();
    assert_eq!(terminal, TERMINAL);
}

#[test]
fn a_beneficiary_acts_only_on_their_own_application() {
    let someone_else = Actor::beneficiary(EMPLOYEE + 1, "Ελένη Ιωάννου");
    let anonymous = Actor {
        id: None,
        ..beneficiary()
    };
    let commands = [
        (Status::AwaitingDataCheck, confirm_data()),
        (
            Status::AwaitingIdentification,
            Command::CompleteIdentification {
                username: Username::parse("npapadop").unwrap(),
                credentials: credentials(),
            },
        ),
        (Status::AwaitingSignature, sign()),
    ];
    for (status, command) in commands {
        assert!(
            decide(&app(status), &command, &beneficiary(), t0()).is_ok(),
            "{command:?}"
        );
        for intruder in [&someone_else, &anonymous] {
            let err = decide(&app(status), &command, intruder, t0()).unwrap_err();
            assert!(
                matches!(
                    err,
                    DomainError::NotPermitted {
                        actor: ActorKind::Beneficiary,
                        ..
                    }
                ),
                "{command:?} by {intruder:?}: {err:?}"
            );
            assert_eq!(err.code(), "forbidden");
        }
    }
}

#[test]
fn a_proof_signs_only_the_application_it_was_made_for() {
    let other = Command::Sign {
        proof: PROOF_OF_ANOTHER_APPLICATION.clone(),
    };
    let err = decide(
        &app(Status::AwaitingSignature),
        &other,
        &beneficiary(),
        t0(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        DomainError::NotPermitted {
            action: Action::Signed,
            actor: ActorKind::Beneficiary
        }
    );
    let t = decide(
        &app(Status::AwaitingSignature),
        &sign(),
        &beneficiary(),
        t0(),
    )
    .unwrap();
    assert_eq!((t.to, t.action), (Status::AwaitingIssuance, Action::Signed));
    assert!(t.effects.contains(&Effect::QueueIssuance));
}

#[test]
fn revocation_writes_the_crl_reason_of_its_category() {
    for (category, reason) in [
        (
            RevocationCategory::EmployeeRequest,
            RevocationReason::CessationOfOperation,
        ),
        (
            RevocationCategory::AuthorityDecision,
            RevocationReason::PrivilegeWithdrawn,
        ),
    ] {
        let revoke = Command::Revoke {
            category,
            description: None,
        };
        let t = decide(&app(Status::Issued), &revoke, &admin(), t0()).unwrap();
        assert!(
            t.effects.contains(&Effect::RevokeCertificate { reason }),
            "{:?}",
            t.effects
        );
    }
}

proptest! {
    #[test]
    fn no_transition_leaves_a_terminal_state(status in terminal_status(), command in any_command(), actor in any_actor(), days in 0i64..2000) {
        let refused = decide(&app(status), &command, &actor, t0() + Duration::days(days));
        prop_assert!(refused.is_err(), "{:?} left {:?}", command, status);
    }

    /// Every command, by every actor, in every state, at any time: `decide` accepts exactly
    /// what the table allows, and leads where the table says.
    #[test]
    fn decide_follows_the_transition_table(status in any_status(), command in any_command(), actor in any_actor(), days in 0i64..2000, proven in any::<bool>(), requested in any::<bool>()) {
        let now = t0() + Duration::days(days);
        let application = Application { email_proven: proven, revocation_requested: requested, ..app(status) };
        prop_assert_eq!(
            decide(&application, &command, &actor, now).ok().map(|t| t.to),
            expected(&application, &command, &actor, now)
        );
    }

    /// (On a proven application whose revocation was requested: a proof of the email and a
    /// revocation request record a fact and stay, see `email_proof.rs` and
    /// `revocation_request.rs`.)
    #[test]
    fn every_accepted_command_moves_on_and_bumps_the_version(status in any_status(), command in any_command(), actor in any_actor(), days in 0i64..2000) {
        if let Ok(t) = decide(&app(status), &command, &actor, t0() + Duration::days(days)) {
            prop_assert_eq!(t.from, Some(status));
            prop_assert_ne!(t.to, status);
            prop_assert_eq!(t.expected_version, 3);
            prop_assert_eq!(t.applied_to(&app(status)).version, 4);
            prop_assert_eq!(t.applied_to(&app(status)).employee_id, EMPLOYEE);
            prop_assert!(t.effects.contains(&Effect::NotifyBeneficiary));
        }
    }
}
