//! The history a run of transitions writes: one linked entry per accepted command, and a chain
//! that breaks when anything is changed or removed.

mod common;

use certdesk_domain::history::verify_chain;
use certdesk_domain::transition::{decide, start};
use certdesk_domain::validation::{Reason, Username};
use certdesk_domain::{Action, ActorKind, Command, HistoryEntry, Status};
use chrono::Duration;
use common::*;
use proptest::prelude::*;

proptest! {
    /// Any run of commands against one application follows the table step by step, each
    /// accepted command's entry is linked to the one before, and the chain verifies.
    #[test]
    fn every_run_follows_the_table_and_keeps_the_chain(
        steps in proptest::collection::vec((any_command(), any_actor(), 0i64..200), 0..25)
    ) {
        let first = start(APPLICATION, &admin(), t0()).unwrap();
        let mut current = first.applied_to(&app(Status::AwaitingDataCheck));
        let mut history: Vec<HistoryEntry> = vec![first.history_entry(None)];
        let mut now = t0();
        for (command, actor, days) in steps {
            now += Duration::days(days);
            let outcome = decide(&current, &command, &actor, now);
            prop_assert_eq!(
                outcome.as_ref().ok().map(|t| t.to),
                expected(&current, &command, &actor, now),
                "{:?} by {:?} in {:?}", command, actor, current.status
            );
            if let Ok(t) = outcome {
                let last = history.last().unwrap();
                let entry = t.history_entry(Some((&last.hash, last.seq)));
                prop_assert_eq!(entry.seq, last.seq + 1);
                prop_assert_eq!(&entry.prev_hash, &last.hash);
                prop_assert_eq!(entry.action, t.action);
                history.push(entry);
                current = t.applied_to(&current);
            }
        }
        prop_assert!(verify_chain(&history).is_ok());
    }

    /// Changing any field of any entry breaks the chain.
    #[test]
    fn the_hash_chain_breaks_when_any_entry_is_changed(index in 0usize..5, field in 0usize..7) {
        let beneficiary = beneficiary();
        let first = start(APPLICATION, &admin(), t0()).unwrap();
        let mut current = first.applied_to(&app(Status::AwaitingDataCheck));
        let mut history = vec![first.history_entry(None)];
        for (command, actor) in [
            (confirm_data(), beneficiary.clone()),
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
        let first = start(APPLICATION, &admin(), t0()).unwrap();
        let mut current = first.applied_to(&app(Status::AwaitingDataCheck));
        let mut history = vec![first.history_entry(None)];
        for (command, actor) in [(confirm_data(), beneficiary()), (Command::Approve, admin()), (Command::Cancel { reason: None }, admin())] {
            let t = decide(&current, &command, &actor, t0()).unwrap();
            let last = history.last().unwrap();
            history.push(t.history_entry(Some((&last.hash, last.seq))));
            current = t.applied_to(&current);
        }
        history.remove(index);
        prop_assert!(verify_chain(&history).is_err());
    }
}
