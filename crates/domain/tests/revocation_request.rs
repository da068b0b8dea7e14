//! «Αίτημα ανάκλησης» (issue 11): only the holder asks, only for an issued certificate, once;
//! the request records a fact in the history without a state change, and is done once the
//! certificate is revoked.

mod common;

use certdesk_domain::history::verify_chain;
use certdesk_domain::revocation_request::is_open;
use certdesk_domain::transition::{RevocationCategory, decide};
use certdesk_domain::validation::Reason;
use certdesk_domain::{Action, Actor, Command, DomainError, Effect, Lang, Status};
use common::*;

fn request(reason: Option<&str>) -> Command {
    Command::RequestRevocation {
        reason: Reason::parse_optional(reason).unwrap(),
    }
}

#[test]
fn the_holder_asks_once_and_the_state_stays_issued() {
    let t = decide(
        &unrequested(Status::Issued),
        &request(Some("Έχασα το κινητό με την εφαρμογή")),
        &beneficiary(),
        t0(),
    )
    .unwrap();
    assert_eq!((t.from, t.to), (Some(Status::Issued), Status::Issued));
    assert_eq!(t.action, Action::RevocationRequested);
    assert_eq!(
        t.description,
        "Ο δικαιούχος ζήτησε την ανάκληση του πιστοποιητικού του"
    );
    assert_eq!(t.reason.as_deref(), Some("Έχασα το κινητό με την εφαρμογή"));
    assert_eq!(
        t.effects,
        [
            Effect::RecordRevocationRequest,
            Effect::NotifyAdministrators
        ]
    );
    assert_eq!(
        Action::RevocationRequested.label(Lang::El),
        "Αίτημα ανάκλησης"
    );

    let after = t.applied_to(&unrequested(Status::Issued));
    assert!(after.revocation_requested);
    assert_eq!(after.version, 4);
    let again = decide(&after, &request(None), &beneficiary(), t0());
    assert_eq!(again, Err(DomainError::RevocationAlreadyRequested));
    let error = DomainError::RevocationAlreadyRequested;
    assert_eq!(error.code(), "revocation_already_requested");
    assert!(
        error
            .message(Lang::El)
            .starts_with("Έχετε ήδη υποβάλει αίτημα ανάκλησης")
    );
}

#[test]
fn only_an_issued_certificate_and_only_its_holder() {
    for status in certdesk_domain::Status::ALL {
        let outcome = decide(&unrequested(status), &request(None), &beneficiary(), t0());
        assert_eq!(outcome.is_ok(), status == Status::Issued, "{status:?}");
        if status != Status::Issued {
            let error = outcome.unwrap_err();
            assert!(
                error
                    .message(Lang::El)
                    .starts_with("Αίτημα ανάκλησης υποβάλλεται μόνο για εκδομένο πιστοποιητικό"),
                "{error:?}"
            );
        }
    }
    for someone in [
        admin(),
        Actor::system(),
        Actor::beneficiary(EMPLOYEE + 1, "Ελένη Ιωάννου"),
    ] {
        let refused = decide(&unrequested(Status::Issued), &request(None), &someone, t0());
        assert!(
            matches!(refused, Err(DomainError::NotPermitted { .. })),
            "{someone:?}: {refused:?}"
        );
    }
}

#[test]
fn the_request_is_done_once_the_certificate_is_revoked() {
    let asked = decide(
        &unrequested(Status::Issued),
        &request(None),
        &beneficiary(),
        t0(),
    )
    .unwrap()
    .applied_to(&unrequested(Status::Issued));
    assert!(is_open(asked.status, asked.revocation_requested));
    let revoked = decide(
        &asked,
        &Command::Revoke {
            category: RevocationCategory::EmployeeRequest,
            description: None,
        },
        &admin(),
        t0(),
    )
    .unwrap();
    let after = revoked.applied_to(&asked);
    assert_eq!(after.status, Status::Revoked);
    assert!(!is_open(after.status, after.revocation_requested));
}

#[test]
fn the_request_is_chained_into_the_history() {
    let t = decide(
        &unrequested(Status::Issued),
        &request(Some("Δεν χρειάζομαι πια το πιστοποιητικό")),
        &beneficiary(),
        t0(),
    )
    .unwrap();
    let first = certdesk_domain::transition::start(APPLICATION, &admin(), t0())
        .unwrap()
        .history_entry(None);
    let entry = t.history_entry(Some((first.hash.as_str(), first.seq)));
    assert_eq!(
        entry.reason.as_deref(),
        Some("Δεν χρειάζομαι πια το πιστοποιητικό")
    );
    assert!(verify_chain(&[first, entry]).is_ok());
}
