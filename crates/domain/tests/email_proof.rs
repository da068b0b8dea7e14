//! The rule of issue 10: identification waits until the beneficiary proved the email, whatever
//! the OTP channel; a proof records a fact in the history without a state change.

mod common;

use certdesk_domain::email_proof::{LinkToken, ProofMethod, check_code, check_link};
use certdesk_domain::history::verify_chain;
use certdesk_domain::otp::{EmailCodeKey, OtpChannel, SigningCredentials};
use certdesk_domain::transition::{decide, may_identify, start};
use certdesk_domain::validation::Username;
use certdesk_domain::{Action, Command, DomainError, Effect, Status};
use chrono::Duration;
use common::*;

fn identify(credentials: SigningCredentials) -> Command {
    Command::CompleteIdentification {
        username: Username::parse("npapadop").unwrap(),
        credentials,
    }
}

#[test]
fn identification_waits_for_the_email_whatever_the_channel() {
    let email_channel = SigningCredentials {
        otp: OtpChannel::Email,
        ..credentials()
    };
    for credentials in [credentials(), email_channel] {
        let refused = decide(
            &unproven(Status::AwaitingIdentification),
            &identify(credentials.clone()),
            &beneficiary(),
            t0(),
        );
        assert_eq!(refused, Err(DomainError::EmailNotProven));
        assert_eq!(DomainError::EmailNotProven.code(), "email_not_proven");
        let done = decide(
            &app(Status::AwaitingIdentification),
            &identify(credentials),
            &beneficiary(),
            t0(),
        );
        assert_eq!(done.unwrap().to, Status::AwaitingSignature);
    }
    assert!(may_identify(&unproven(Status::AwaitingIdentification)).is_err());
    assert!(may_identify(&app(Status::AwaitingIdentification)).is_ok());
}

#[test]
fn a_proof_records_its_method_and_stays_in_the_state() {
    let key = EmailCodeKey::new([1; 32]);
    let digest = key.digest(APPLICATION, "246810");
    let code = check_code(
        APPLICATION,
        &key,
        "246810",
        Some(certdesk_domain::email_proof::Stored {
            digest: &digest,
            expires_at: t0() + Duration::minutes(10),
        }),
        t0(),
    )
    .unwrap();
    for (proof, action) in [
        (email_proof_for(APPLICATION), Action::EmailProvenByLink),
        (code, Action::EmailProvenByCode),
    ] {
        for status in [
            Status::AwaitingDataCheck,
            Status::AwaitingApproval,
            Status::AwaitingIdentification,
        ] {
            let method = proof.method();
            let command = Command::ProveEmail {
                proof: proof.clone(),
            };
            let t = decide(&unproven(status), &command, &beneficiary(), t0()).unwrap();
            assert_eq!((t.from, t.to, t.action), (Some(status), status, action));
            assert_eq!(t.effects, vec![Effect::RecordEmailProof(method)]);
            let after = t.applied_to(&unproven(status));
            assert!(after.email_proven && after.version == 4);
            // Once is enough: a second proof is refused.
            assert!(decide(&after, &command, &beneficiary(), t0()).is_err());
        }
    }
}

#[test]
fn a_proof_of_another_application_or_by_another_person_is_refused() {
    let other = Command::ProveEmail {
        proof: email_proof_for(APPLICATION + 1),
    };
    let status = Status::AwaitingIdentification;
    assert!(matches!(
        decide(&unproven(status), &other, &beneficiary(), t0()),
        Err(DomainError::NotPermitted { .. })
    ));
    let mine = Command::ProveEmail {
        proof: email_proof_for(APPLICATION),
    };
    for intruder in [admin(), certdesk_domain::Actor::system()] {
        assert!(decide(&unproven(status), &mine, &intruder, t0()).is_err());
    }
    // Too late: after identification the address is settled.
    assert!(
        decide(
            &unproven(Status::AwaitingSignature),
            &mine,
            &beneficiary(),
            t0()
        )
        .is_err()
    );
}

#[test]
fn a_new_link_unproves_and_the_proof_keeps_the_chain() {
    let link = LinkToken::new([2; 32], t0());
    let first = start(APPLICATION, &admin(), t0())
        .unwrap()
        .with_email_link(link.clone());
    assert_eq!(first.email_link(), Some(&link));
    assert!(matches!(first.effects[0], Effect::SetEmailLink(_)));
    let mut current = first.applied_to(&app(Status::AwaitingDataCheck));
    assert!(!current.email_proven, "a new link asks for a new proof");
    let mut history = vec![first.history_entry(None)];
    let proof = check_link(APPLICATION, link.token(), Some(link.stored()), t0()).unwrap();
    assert_eq!(proof.method(), ProofMethod::Link);
    let steps = [
        (Command::ProveEmail { proof }, beneficiary()),
        (confirm_data(), beneficiary()),
        (Command::Approve, admin()),
        (identify(credentials()), beneficiary()),
    ];
    for (command, actor) in steps {
        let t = decide(&current, &command, &actor, t0()).unwrap();
        let last = history.last().unwrap();
        history.push(t.history_entry(Some((&last.hash, last.seq))));
        current = t.applied_to(&current);
    }
    assert_eq!(current.status, Status::AwaitingSignature);
    assert!(verify_chain(&history).is_ok());
    assert_eq!(history[1].action, Action::EmailProvenByLink);
    assert!(
        history[1]
            .description
            .contains("Επιβεβαιώθηκε η διεύθυνση email")
    );
}
