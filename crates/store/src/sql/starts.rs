//! New applications, many in a few statements inside a combined transaction
//! (`combined_commits.rs`): one insert of the applications for all the starts, whose employees it
//! reads in the same statement, then one hand-off of the employees' links, the first history
//! entries and the effects. A start was a transaction of its own, six hand-offs to the one
//! writer: concurrent starts ran at a quarter of the rate of cancellations (issue 12).

use std::collections::HashMap;

use certdesk_domain::Transition;
use sqlx::QueryBuilder;

use super::effects::apply_effects_after;
use super::one_hop::OneHop;
use super::transitions::{ROWS_PER_STATEMENT, add_first_histories};
use super::{Conn, Db};
use crate::{ApplicationContact, StoreError, StoreOptions, StoreResult};

/// One caller's new application: whose, where to write, and its start.
#[derive(Clone)]
pub(crate) struct NewStart {
    pub(crate) employee_id: i64,
    pub(crate) contact: ApplicationContact,
    pub(crate) start: Transition,
}

/// Creates the applications of `starts` (of distinct employees, or the one-open index refuses
/// the statement); for each, its id, or None when its employee does not exist.
pub(super) async fn create_applications(
    conn: &mut Conn,
    starts: &[&NewStart],
    options: &StoreOptions,
) -> StoreResult<Vec<Option<i64>>> {
    let mut ids: HashMap<i64, i64> = HashMap::with_capacity(starts.len());
    for chunk in starts.chunks(ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO applications (employee_id, organisation_id, status, version, email, \
             mobile, created_at, updated_at) \
             SELECT e.id, e.organisation_id, v.column2, 1, v.column3, v.column4, v.column5, \
             v.column5 FROM (",
        );
        q.push_values(chunk, |mut row, s| {
            row.push_bind(s.employee_id)
                .push_bind(s.start.to.code())
                .push_bind(s.contact.email.as_str().to_owned())
                .push_bind(s.contact.mobile.as_ref().map(|m| m.as_str().to_owned()))
                .push_bind(s.start.at);
        });
        q.push(") AS v JOIN employees e ON e.id = v.column1 RETURNING employee_id, id");
        let created: Vec<(i64, i64)> =
            q.build_query_as()
                .fetch_all(&mut *conn)
                .await
                .map_err(|e| {
                    if super::is_unique_violation(&e) {
                        StoreError::OpenApplicationExists
                    } else {
                        e.into()
                    }
                })?;
        ids.extend(created);
    }
    let ids: Vec<Option<i64>> = starts
        .iter()
        .map(|s| ids.get(&s.employee_id).copied())
        .collect();
    let started: Vec<Transition> = starts
        .iter()
        .zip(&ids)
        .filter_map(|(s, id)| {
            id.map(|application_id| Transition {
                application_id,
                ..s.start.clone()
            })
        })
        .collect();
    if started.is_empty() {
        return Ok(ids);
    }
    // The employees' links and the first entries go with the effects' first hand-off.
    let mut hop = OneHop::new();
    let links: Vec<(i64, i64)> = starts
        .iter()
        .zip(&ids)
        .filter_map(|(s, id)| id.map(|id| (s.employee_id, id)))
        .collect();
    for chunk in links.chunks(ROWS_PER_STATEMENT) {
        hop.add(|q| {
            q.push("UPDATE employees SET current_application_id = v.column2 FROM (");
            q.push_values(chunk, |mut row, &(employee_id, id)| {
                row.push_bind(employee_id).push_bind(id);
            });
            q.push(") AS v WHERE employees.id = v.column1");
        });
    }
    let refs: Vec<&Transition> = started.iter().collect();
    add_first_histories(&mut hop, &refs);
    apply_effects_after(conn, &mut hop, &refs, options, None).await?;
    Ok(ids)
}
