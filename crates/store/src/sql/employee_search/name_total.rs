//! The total of a name asked alone (one token, no other filter), in every plan: counted on the
//! two ranges that hold its matches (`certdesk_domain::name_index`), the leading range of its
//! order in the employees' sort index and its range of the keys that do not lead, neither
//! reading a row. Either range reaching the cap answers «more than»; only when both are short
//! is their union counted.
//!
//! Walking the stem's keys to 1,001 matches instead took 0.5 ms for a dense token and up to
//! 6 ms for one whose matches lie far apart in its stem («papan» among the 49,000 keys of «pap»
//! in a 200,000-employee organisation), 30 ms installation-wide; this takes 0.1 ms for most
//! (median of 55 Latin surname prefixes at 10^6, sqlite3), 0.4 ms at most.

use certdesk_domain::name_index::SortOrder;
use sqlx::QueryBuilder;

use super::super::{Db, push_limit, push_owned_scope};
use super::{CAP, FROM_EMPLOYEES_ONLY, push_filters, push_prefix, sort_columns};
use crate::{EmployeeQuery, Scope};

/// Whether the total of `query` may be counted here: its name is all it asks.
pub(crate) fn applies(query: &EmployeeQuery) -> bool {
    !query.name_tokens.is_empty() && !super::stems::checks_rows(query)
}

/// A statement answering the total of `query` (see [`applies`]) up to [`CAP`] + 1. `CASE`
/// evaluates the subqueries of its branches only when it reaches them, on both backends.
pub(crate) fn push_name_total(q: &mut QueryBuilder<Db>, scope: &Scope, query: &EmployeeQuery) {
    let over = CAP + 1;
    q.push("SELECT CASE WHEN (SELECT count(*) FROM (");
    push_leading_ids(q, scope, query);
    q.push(format!(
        ") leading_range) = {over} THEN {over} WHEN (SELECT count(*) FROM ("
    ));
    push_other_ids(q, scope, query);
    q.push(format!(
        ") other_keys) = {over} THEN {over} ELSE (SELECT count(*) FROM (SELECT id FROM ("
    ));
    push_leading_ids(q, scope, query);
    q.push(") leading_range UNION SELECT employee_id FROM (");
    push_other_ids(q, scope, query);
    q.push(") other_keys) found) END");
}

/// The leading range of the token in its order, at most [`CAP`] + 1 ids.
pub(crate) fn push_leading_ids(q: &mut QueryBuilder<Db>, scope: &Scope, query: &EmployeeQuery) {
    let token = &query.name_tokens[0];
    let (surname, _) = sort_columns(SortOrder::for_token(token));
    q.push(format!("SELECT e.id{FROM_EMPLOYEES_ONLY}"));
    push_filters(q, scope, query, 1);
    push_prefix(q, surname, token);
    push_limit(q, CAP + 1);
}

/// The employees the token finds through keys that do not lead, at most [`CAP`] + 1, each once.
pub(crate) fn push_other_ids(q: &mut QueryBuilder<Db>, scope: &Scope, query: &EmployeeQuery) {
    q.push("SELECT DISTINCT k.employee_id FROM employee_name_keys k WHERE k.is_leading = 0");
    push_owned_scope(q, "k", scope);
    push_prefix(q, "k.key", &query.name_tokens[0]);
    push_limit(q, CAP + 1);
}
