//! The plans of a name whose first token has a stem's length (`certdesk_domain::name_index::stem`):
//! the stem's keys walked in the order shown, or, for a longer token that prefixes few keys,
//! those keys by their range, sorted.

use certdesk_domain::name_index::{STEM_CHARS, stem};
use sqlx::QueryBuilder;

use super::super::{Db, Pool, SqlStore, push_limit, push_owned_scope};
use super::{has_filter, needs_application, page_of_ids, push_filters, push_prefix};
use crate::{EmployeeQuery, Scope, SearchPage, StoreResult};

/// A token longer than its stem that prefixes fewer keys than this (of every organisation) is
/// found by their range and sorted; more, by walking its stem in order.
pub(super) const RANGE_CAP: i64 = 2_000;

impl SqlStore {
    /// The keys of the first token's stem, walked in the order shown as far as the page, each
    /// employee once; only the page's rows are read whole.
    pub(super) async fn stem_walk(
        &self,
        pool: &Pool,
        scope: &Scope,
        query: &EmployeeQuery,
    ) -> StoreResult<SearchPage> {
        page_of_ids(
            pool,
            scope,
            query,
            |select| push_stem_matches(select, scope, query),
            |set| push_stem_matches(set, scope, query),
        )
        .await
    }

    /// How many keys (of every organisation) `token` prefixes, up to [`RANGE_CAP`]: their
    /// primary key's range, read alone.
    pub(super) async fn keys_in_range(&self, pool: &Pool, token: &str) -> StoreResult<i64> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT count(*) FROM (SELECT 1 AS one FROM employee_name_keys k WHERE 1 = 1",
        );
        push_prefix(&mut q, "k.key", token);
        push_limit(&mut q, RANGE_CAP);
        q.push(") found");
        Ok(q.build_query_scalar().fetch_one(pool).await?)
    }

    /// A token longer than its stem whose keys are few (the caller's check): they are read by
    /// their range and sorted, instead of walking a stem that may hold far more keys than match.
    pub(super) async fn key_range_sorted(
        &self,
        pool: &Pool,
        scope: &Scope,
        query: &EmployeeQuery,
    ) -> StoreResult<SearchPage> {
        page_of_ids(
            pool,
            scope,
            query,
            |select| {
                push_key_range_matches(select, scope, query);
                select.push(" ORDER BY s1, s2, id");
            },
            |set| push_key_range_matches(set, scope, query),
        )
        .await
    }
}

/// The employees whose keys the first token prefixes, each once (`id`, `s1`, `s2`), from the
/// keys' primary key range; the organisation is checked on each key (`+`: not by the stem index,
/// whose order would walk the whole organisation).
pub(crate) fn push_key_range_matches(
    q: &mut QueryBuilder<Db>,
    scope: &Scope,
    query: &EmployeeQuery,
) {
    q.push(
        "SELECT DISTINCT k.sort_surname AS s1, k.sort_given AS s2, k.employee_id AS id \
         FROM employee_name_keys k WHERE 1 = 1",
    );
    push_owned_scope(q, "+k", scope);
    push_prefix(q, "k.key", &query.name_tokens[0]);
}

/// Whether a name search checks more than its first token's keys: each row is then read.
pub(super) fn checks_rows(query: &EmployeeQuery) -> bool {
    has_filter(query) || query.name_tokens.len() > 1
}

/// The employees whose keys under the first token's stem it prefixes, each once (`id` and sort
/// columns `s1`, `s2`), in the order shown. With nothing else asked, the keys' index answers
/// alone; otherwise each employee's row is checked in passing.
pub(crate) fn push_stem_matches(q: &mut QueryBuilder<Db>, scope: &Scope, query: &EmployeeQuery) {
    let token = &query.name_tokens[0];
    let checks_rows = checks_rows(query);
    q.push(
        "SELECT DISTINCT k.sort_surname AS s1, k.sort_given AS s2, k.employee_id AS id \
         FROM employee_name_keys k",
    );
    match (checks_rows, needs_application(query)) {
        (false, _) => q.push(" WHERE 1 = 1"),
        (true, false) => q.push(" CROSS JOIN employees e WHERE e.id = k.employee_id"),
        (true, true) => q.push(
            " CROSS JOIN employees e LEFT JOIN applications a \
             ON a.id = e.current_application_id WHERE e.id = k.employee_id",
        ),
    };
    push_owned_scope(q, "k", scope);
    q.push(" AND k.stem = ").push_bind(stem(token).to_owned());
    if token.chars().count() > STEM_CHARS {
        push_prefix(q, "k.key", token);
    }
    if checks_rows {
        push_filters(q, scope, query, 1);
    }
    q.push(" ORDER BY s1, s2, id");
}
