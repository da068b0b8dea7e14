//! Many transitions stored in a few statements, inside the caller's transaction: one conditional
//! update for all of them (each row still guarded by its application's status and version, so a
//! lost race loses alone), which also returns each moved application's last history link, one
//! insert of the new entries, then the effects (`effects.rs`), each kind for all of them at once
//! where it can be.
//!
//! Why: each statement is a round trip (a thread hand-off on SQLite, a network one on PostgreSQL);
//! a profile of the issuance batches showed half of the CPU in waking and parking threads for
//! them, not in SQL.

use std::collections::{HashMap, HashSet};

use certdesk_domain::{HistoryEntry, Transition};
use sqlx::QueryBuilder;

use super::effects::apply_effects;
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
        let mut winners = Vec::with_capacity(round.len());
        let mut entries = Vec::with_capacity(round.len());
        for chunk in round.chunks(ROWS_PER_STATEMENT) {
            let moved = conditional_update(conn, transitions, chunk).await?;
            for &i in chunk {
                let t = &transitions[i];
                if let Some(last) = moved.get(&t.application_id) {
                    applied[i] = true;
                    winners.push(t);
                    entries.push(t.history_entry(last.as_ref().map(|(h, seq)| (h.as_str(), *seq))));
                }
            }
        }
        insert_histories(conn, &entries).await?;
        apply_effects(conn, &winners, options).await?;
        rest = later;
    }
    Ok(applied)
}

/// Moves each application of `chunk` to its new state if it is still in the state and at the
/// version the transition was decided from; the ids that moved, each with its history's last
/// link (hash and sequence number), which the new entry chains to.
async fn conditional_update(
    conn: &mut Conn,
    transitions: &[Transition],
    chunk: &[usize],
) -> StoreResult<HashMap<i64, Option<(String, i64)>>> {
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
    // The last link comes with the update, not from a statement of its own (one hand-off less).
    q.push(
        ") AS v WHERE applications.id = v.column1 AND applications.status = v.column4 \
         AND applications.version = v.column5 RETURNING applications.id, \
         (SELECT h.hash FROM application_history h WHERE h.application_id = applications.id \
          ORDER BY h.seq DESC LIMIT 1), \
         (SELECT h.seq FROM application_history h WHERE h.application_id = applications.id \
          ORDER BY h.seq DESC LIMIT 1)",
    );
    let moved: Vec<(i64, Option<String>, Option<i64>)> =
        q.build_query_as().fetch_all(&mut *conn).await?;
    Ok(moved
        .into_iter()
        .map(|(id, hash, seq)| (id, hash.zip(seq)))
        .collect())
}

/// One history entry per transition of new applications (no history yet).
pub(super) async fn append_first_histories(conn: &mut Conn, ts: &[&Transition]) -> StoreResult<()> {
    let entries: Vec<HistoryEntry> = ts.iter().map(|t| t.history_entry(None)).collect();
    insert_histories(conn, &entries).await
}

async fn insert_histories(conn: &mut Conn, entries: &[HistoryEntry]) -> StoreResult<()> {
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO application_history (application_id, seq, at, action, description, \
             reason, actor_kind, actor_id, actor_name, prev_hash, hash) ",
        );
        q.push_values(chunk, |mut row, entry| {
            row.push_bind(entry.application_id)
                .push_bind(entry.seq)
                .push_bind(entry.at)
                .push_bind(entry.action.code())
                .push_bind(entry.description.clone())
                .push_bind(entry.reason.clone())
                .push_bind(entry.actor_kind.code())
                .push_bind(entry.actor_id)
                .push_bind(entry.actor_name.clone())
                .push_bind(entry.prev_hash.clone())
                .push_bind(entry.hash.clone());
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}
