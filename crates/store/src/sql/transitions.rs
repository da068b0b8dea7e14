//! Many transitions stored in a few statements, inside the caller's transaction: one conditional
//! update for all of them (each row still guarded by its application's status and version, so a
//! lost race loses alone), which also returns each moved application's last history link and
//! the address and names its emails need, then one hand-off of the new entries' insert with the
//! effects (`effects.rs`), each kind for all of them at once where it can be.
//!
//! Why: each statement is a round trip (a thread hand-off on SQLite, a network one on PostgreSQL);
//! a profile of the issuance batches showed half of the CPU in waking and parking threads for
//! them, not in SQL.

use std::collections::{HashMap, HashSet};

use certdesk_domain::{HistoryEntry, Transition};
use sqlx::QueryBuilder;

use super::effects::{Recipient, apply_effects_after};
use super::one_hop::OneHop;
use super::{Conn, Db};
use crate::{StoreOptions, StoreResult};

/// Rows per statement: well under SQLite's 32,766 parameters (11 per history entry).
pub(super) const ROWS_PER_STATEMENT: usize = 500;

/// Stores what applies of `transitions`; for each, whether it did. A transition whose
/// application moved on since it was read (status or version changed) writes nothing; neither
/// does one without a `from` (a start is stored by `create_application`). Two transitions of one
/// application are taken in turn, as if one after the other: the second then finds the version
/// the first made and loses.
pub(super) async fn write_transitions(
    conn: &mut Conn,
    transitions: &[Transition],
    options: &StoreOptions,
) -> StoreResult<Vec<bool>> {
    let mut applied = vec![false; transitions.len()];
    let mut rest: Vec<usize> = (0..transitions.len())
        .filter(|&i| transitions[i].from.is_some())
        .collect();
    while !rest.is_empty() {
        // An UPDATE … FROM with two rows for one application applies either of them: one per round.
        let mut seen = HashSet::new();
        let (round, later): (Vec<usize>, Vec<usize>) = rest
            .into_iter()
            .partition(|&i| seen.insert(transitions[i].application_id));
        let mut moved = HashMap::with_capacity(round.len());
        for chunk in round.chunks(ROWS_PER_STATEMENT) {
            moved.extend(conditional_update(conn, transitions, chunk).await?);
        }
        let mut winners = Vec::with_capacity(moved.len());
        let mut entries = Vec::with_capacity(moved.len());
        let mut recipients = HashMap::with_capacity(moved.len());
        for &i in &round {
            let t = &transitions[i];
            if let Some(Moved { last, recipient }) = moved.remove(&t.application_id) {
                applied[i] = true;
                winners.push(t);
                entries.push(t.history_entry(last.as_ref().map(|(h, seq)| (h.as_str(), *seq))));
                recipients.insert(t.application_id, recipient);
            }
        }
        // The entries go with the effects' first hand-off; the next round's update reads them.
        let mut hop = OneHop::new();
        add_histories(&mut hop, entries);
        apply_effects_after(conn, &mut hop, &winners, options, Some(&recipients)).await?;
        rest = later;
    }
    Ok(applied)
}

/// What the update says of an application it moved.
struct Moved {
    /// Its history's last link (hash and sequence number), which the new entry chains to.
    last: Option<(String, i64)>,
    recipient: Recipient,
}

/// Moves each application of `chunk` to its new state if it is still in the state and at the
/// version the transition was decided from; the ids that moved, with what their entries and
/// emails need.
async fn conditional_update(
    conn: &mut Conn,
    transitions: &[Transition],
    chunk: &[usize],
) -> StoreResult<HashMap<i64, Moved>> {
    // VALUES' columns are column1… on both backends.
    let mut q = QueryBuilder::<Db>::new(
        "UPDATE applications SET status = v.column2, version = version + 1, \
         updated_at = v.column3 FROM (",
    );
    q.push_values(chunk, |mut row, &i| {
        let t = &transitions[i];
        row.push_bind(t.application_id)
            .push_bind(t.to.code())
            .push_bind(t.at)
            .push_bind(t.from.map(|from| from.code()))
            .push_bind(t.expected_version);
    });
    // The last link and the email's recipient come with the update, not from statements of
    // their own (hand-offs less).
    q.push(
        ") AS v WHERE applications.id = v.column1 AND applications.status = v.column4 \
         AND applications.version = v.column5 RETURNING applications.id, \
         (SELECT h.hash FROM application_history h WHERE h.application_id = applications.id \
          ORDER BY h.seq DESC LIMIT 1), \
         (SELECT h.seq FROM application_history h WHERE h.application_id = applications.id \
          ORDER BY h.seq DESC LIMIT 1), \
         applications.email, \
         (SELECT e.given_name FROM employees e WHERE e.id = applications.employee_id), \
         (SELECT e.surname FROM employees e WHERE e.id = applications.employee_id)",
    );
    type Returned = (i64, Option<String>, Option<i64>, String, String, String);
    let moved: Vec<Returned> = q.build_query_as().fetch_all(&mut *conn).await?;
    Ok(moved
        .into_iter()
        .map(|(id, hash, seq, email, given_name, surname)| {
            let recipient = Recipient {
                email,
                given_name,
                surname,
            };
            let last = hash.zip(seq);
            (id, Moved { last, recipient })
        })
        .collect())
}

/// Adds to `hop` one history entry per transition of new applications (no history yet).
pub(super) fn add_first_histories(hop: &mut OneHop, ts: &[&Transition]) {
    add_histories(hop, ts.iter().map(|t| t.history_entry(None)).collect());
}

/// Adds to `hop` the insert of `entries`.
fn add_histories(hop: &mut OneHop, entries: Vec<HistoryEntry>) {
    let mut entries = entries.into_iter().peekable();
    while entries.peek().is_some() {
        let chunk: Vec<HistoryEntry> = entries.by_ref().take(ROWS_PER_STATEMENT).collect();
        hop.add(|q| {
            q.push(
                "INSERT INTO application_history (application_id, seq, at, action, \
                 description, reason, actor_kind, actor_id, actor_name, prev_hash, hash) ",
            );
            q.push_values(chunk, |mut row, entry| {
                row.push_bind(entry.application_id)
                    .push_bind(entry.seq)
                    .push_bind(entry.at)
                    .push_bind(entry.action.code())
                    .push_bind(entry.description)
                    .push_bind(entry.reason)
                    .push_bind(entry.actor_kind.code())
                    .push_bind(entry.actor_id)
                    .push_bind(entry.actor_name)
                    .push_bind(entry.prev_hash)
                    .push_bind(entry.hash);
            });
        });
    }
}
