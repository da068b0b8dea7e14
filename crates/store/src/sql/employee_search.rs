//! Finding employees (SPEC §4) without reading more than the page shown, however large the
//! organisation (issue 12). Every plan below reads rows in the order they are shown and stops at
//! the page, or sorts a set known to be small (at most [`CAP`] rows); totals are counted up to
//! [`CAP`] + 1 and reported as «more than» beyond (`certdesk_domain::paging::Total`), and not
//! counted at all when the page comes back short (it then ends the results: an ΑΦΜ, a rare name).
//!
//! The plans, tried in this order:
//! 1. an exact field (ΑΦΜ, ΑΔΤ, email, username) is asked: its index finds a few rows;
//! 2. a status (or «Αίτημα ανάκλησης») that few applications have: start from those applications;
//! 3. a name whose first token has a stem's length: that stem's keys, walked in the order shown
//!    (`certdesk_domain::name_index::stem`); or, when the token is longer and prefixes few keys,
//!    those keys by their range, sorted (a rare name in a common stem);
//! 4. a shorter one: the first token's leading range of the order, merged with the rows found
//!    through the keys that do not lead when those are few (`certdesk_domain::name_index`);
//! 5. otherwise walk the order (the index that fits the filters: the organisation's, a unit's,
//!    those without an application) checking each row, and stop at the page.

use certdesk_domain::name_index::{STEM_CHARS, SortOrder};
use certdesk_domain::paging::{EXACT_TOTAL_UP_TO, Total};
use certdesk_domain::text::prefix_end;
use sqlx::QueryBuilder;

use super::{Db, Pool, STRPOS, SqlStore, push_employee_scope, push_limit, push_owned_scope};
use crate::rows::{CountedListRow, EmployeeListRow, convert};
use crate::{EmployeeQuery, Scope, SearchPage, StatusFilter, StoreResult};

pub(crate) mod name_total;
pub(crate) mod stems;
use stems::{RANGE_CAP, checks_rows};

/// Sets up to this size are counted exactly and may be sorted.
const CAP: i64 = EXACT_TOTAL_UP_TO as i64;

const LIST_COLUMNS: &str = "e.id, e.afm, e.surname, e.given_name, e.father_name, e.unit, \
     a.status, a.revocation_requested_at";

/// Employees with their current application, walked in the employees' order.
const FROM_EMPLOYEES: &str =
    " FROM employees e LEFT JOIN applications a ON a.id = e.current_application_id WHERE 1 = 1";

/// The same without the applications, for counts and merges that filter on none of their columns:
/// an index of the order then answers them alone, without reading the rows.
const FROM_EMPLOYEES_ONLY: &str = " FROM employees e WHERE 1 = 1";

/// Applications first (`CROSS JOIN` keeps SQLite from reordering the join), then their employees.
const FROM_APPLICATIONS: &str = " FROM applications a CROSS JOIN employees e \
     WHERE e.id = a.employee_id AND e.current_application_id = a.id";

/// Keys that do not lead first, then their employees.
const FROM_OTHER_KEYS: &str = " FROM employee_name_keys k CROSS JOIN employees e \
     LEFT JOIN applications a ON a.id = e.current_application_id \
     WHERE e.id = k.employee_id AND k.is_leading = 0";

/// The keys that do not lead, then their employees, without the applications.
const FROM_OTHER_KEYS_ONLY: &str = " FROM employee_name_keys k CROSS JOIN employees e \
     WHERE e.id = k.employee_id AND k.is_leading = 0";

/// Whether a filter reads the current application (a status, «Αίτημα ανάκλησης»).
fn needs_application(query: &EmployeeQuery) -> bool {
    matches!(query.status, Some(StatusFilter::Is(_))) || query.revocation_requested
}

fn sort_columns(order: SortOrder) -> (&'static str, &'static str) {
    match order {
        SortOrder::Greek => ("e.surname_fold", "e.given_fold"),
        SortOrder::Latin => ("e.surname_latin", "e.given_latin"),
    }
}

fn order_by(order: SortOrder) -> String {
    let (surname, given) = sort_columns(order);
    format!(" ORDER BY {surname}, {given}, e.id")
}

/// `column` starts with `prefix`, as a range of its index.
fn push_prefix(builder: &mut QueryBuilder<Db>, column: &str, prefix: &str) {
    builder
        .push(format!(" AND {column} >= "))
        .push_bind(prefix.to_owned());
    if let Some(end) = prefix_end(prefix) {
        builder.push(format!(" AND {column} < ")).push_bind(end);
    }
}

/// Where a plan starts reading.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The employees' order, walked.
    Employees,
    /// The employees with an exact field: its index, not the order's (`+` keeps SQLite from
    /// walking the organisation's order instead).
    ExactField,
    /// The applications with the status asked.
    Applications,
}

impl Source {
    fn from(self) -> &'static str {
        match self {
            Source::Employees | Source::ExactField => FROM_EMPLOYEES,
            Source::Applications => FROM_APPLICATIONS,
        }
    }
}

/// Everything asked but the name tokens before `tokens_from`, checked on each row.
fn push_filters(
    builder: &mut QueryBuilder<Db>,
    scope: &Scope,
    query: &EmployeeQuery,
    tokens_from: usize,
) {
    push_filters_from(builder, Source::Employees, scope, query, tokens_from);
}

fn push_filters_from(
    builder: &mut QueryBuilder<Db>,
    source: Source,
    scope: &Scope,
    query: &EmployeeQuery,
    tokens_from: usize,
) {
    match source {
        Source::Employees => push_employee_scope(builder, "e", scope),
        // Unary plus is an integer's operator on PostgreSQL too; only the organisation is an integer.
        Source::ExactField if matches!(scope, Scope::Organisations(_)) => {
            push_employee_scope(builder, "+e", scope)
        }
        Source::ExactField => push_employee_scope(builder, "e", scope),
        Source::Applications => super::push_owned_scope(builder, "a", scope),
    }
    for token in query.name_tokens.iter().skip(tokens_from) {
        builder
            .push(format!(" AND {STRPOS}(e.search_words, "))
            .push_bind(format!(" {token}"))
            .push(") > 0");
    }
    if let Some(afm) = &query.afm {
        builder.push(" AND e.afm = ").push_bind(afm.clone());
    }
    if let Some(id_card) = &query.id_card {
        builder.push(" AND e.id_card = ").push_bind(id_card.clone());
    }
    if let Some(email) = &query.email {
        builder
            .push(" AND lower(e.email) = lower(")
            .push_bind(email.clone())
            .push(")");
    }
    if let Some(username) = &query.username {
        builder
            .push(" AND e.id IN (SELECT u.employee_id FROM usernames u WHERE u.username = ")
            .push_bind(username.clone())
            .push(")");
    }
    match query.status {
        Some(StatusFilter::NoApplication) => {
            builder.push(" AND e.current_application_id IS NULL");
        }
        Some(StatusFilter::Is(status)) => {
            builder.push(" AND a.status = ").push_bind(status.code());
        }
        None => {}
    }
    if let Some(unit) = &query.unit {
        builder.push(" AND e.unit = ").push_bind(unit.clone());
    }
    if query.revocation_requested {
        push_revocation_requested(builder);
    }
}

/// Open while the application stays in the domain's state for it (issued).
fn push_revocation_requested(builder: &mut QueryBuilder<Db>) {
    builder
        .push(" AND a.revocation_requested_at IS NOT NULL AND a.status = ")
        .push_bind(certdesk_domain::revocation_request::OPEN_WHILE.code());
}

/// The status the applications must have when a plan may start from them.
fn application_status(query: &EmployeeQuery) -> Option<&'static str> {
    if query.revocation_requested {
        return Some(certdesk_domain::revocation_request::OPEN_WHILE.code());
    }
    match query.status {
        Some(StatusFilter::Is(status)) => Some(status.code()),
        _ => None,
    }
}

fn has_exact_field(query: &EmployeeQuery) -> bool {
    query.afm.is_some()
        || query.id_card.is_some()
        || query.email.is_some()
        || query.username.is_some()
}

/// The total when the page found tells it (a short page ends the results): no count then.
fn short_page_total(query: &EmployeeQuery, found: usize) -> Option<Total> {
    let (limit, offset) = query.limit_offset();
    Total::from_short_page(offset as u64, found as u64, limit as u64)
}

fn push_page(builder: &mut QueryBuilder<Db>, query: &EmployeeQuery) {
    let (limit, offset) = query.limit_offset();
    push_limit(builder, limit);
    builder.push(format!(" OFFSET {offset}"));
}

impl SqlStore {
    pub(super) async fn find_employees(
        &self,
        pool: &Pool,
        scope: &Scope,
        query: &EmployeeQuery,
    ) -> StoreResult<SearchPage> {
        let first = query.name_tokens.first();
        let order = first.map_or(SortOrder::Greek, |t| SortOrder::for_token(t));
        if !has_exact_field(query) {
            if let Some(status) = application_status(query)
                && self.applications_with(pool, scope, status).await? <= CAP
            {
                return self
                    .plan(pool, Source::Applications, scope, query, order, None)
                    .await;
            }
            if let Some(first) = first {
                if first.chars().count() >= STEM_CHARS {
                    if first.chars().count() > STEM_CHARS
                        && !checks_rows(query)
                        && self.keys_in_range(pool, first).await? < RANGE_CAP
                    {
                        return self.key_range_sorted(pool, scope, query).await;
                    }
                    return self.stem_walk(pool, scope, query).await;
                }
                if self.found_by_other_keys(pool, scope, first).await? <= CAP {
                    return self
                        .leading_range_and_other_keys(pool, scope, query, order)
                        .await;
                }
                // Many rows are found by the other keys, so they are spread over the order:
                // walking it finds a page soon. Unfiltered, there are more than the cap.
                let known =
                    (query.name_tokens.len() == 1 && !has_filter(query)).then(Total::more_than_cap);
                return self
                    .plan(pool, Source::Employees, scope, query, order, known)
                    .await;
            }
            return self
                .plan(pool, Source::Employees, scope, query, order, None)
                .await;
        }
        self.plan(pool, Source::ExactField, scope, query, order, None)
            .await
    }

    /// One query in the order shown (`source` read, every filter checked on each row), and the
    /// total unless `known`.
    async fn plan(
        &self,
        pool: &Pool,
        source: Source,
        scope: &Scope,
        query: &EmployeeQuery,
        order: SortOrder,
        known: Option<Total>,
    ) -> StoreResult<SearchPage> {
        let mut select = QueryBuilder::<Db>::new(format!("SELECT {LIST_COLUMNS}{}", source.from()));
        push_filters_from(&mut select, source, scope, query, 0);
        select.push(order_by(order));
        push_page(&mut select, query);
        let rows: Vec<EmployeeListRow> = select.build_query_as().fetch_all(pool).await?;
        let from = match source {
            Source::Applications => FROM_APPLICATIONS,
            _ if needs_application(query) => FROM_EMPLOYEES,
            _ => FROM_EMPLOYEES_ONLY,
        };
        let total = total_of(
            pool,
            query,
            rows.len(),
            known,
            capped_count(|count| {
                count.push(format!("SELECT 1 AS one{from}"));
                push_filters_from(count, source, scope, query, 0);
            }),
        )
        .await?;
        Ok(SearchPage {
            total,
            items: convert(rows)?,
        })
    }

    /// The rows of the first token's leading range, as far as the page needs, and those found by
    /// the keys that do not lead (few, by the caller's check), merged in the order shown.
    async fn leading_range_and_other_keys(
        &self,
        pool: &Pool,
        scope: &Scope,
        query: &EmployeeQuery,
        order: SortOrder,
    ) -> StoreResult<SearchPage> {
        let (limit, offset) = query.limit_offset();
        page_of_ids(
            pool,
            scope,
            query,
            |select| {
                select.push("SELECT * FROM (");
                push_merged(select, scope, query, order, offset + limit);
                select.push(") merged ORDER BY s1, s2, id");
            },
            |set| push_merged(set, scope, query, order, CAP + 1),
        )
        .await
    }

    /// How many applications of `scope` have `status`, up to [`CAP`] + 1.
    async fn applications_with(
        &self,
        pool: &Pool,
        scope: &Scope,
        status: &str,
    ) -> StoreResult<i64> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT count(*) FROM (SELECT 1 AS one FROM applications a WHERE a.status = ",
        );
        q.push_bind(status.to_owned());
        super::push_owned_scope(&mut q, "a", scope);
        push_limit(&mut q, CAP + 1);
        q.push(") found");
        Ok(q.build_query_scalar().fetch_one(pool).await?)
    }

    /// How many employees of `scope` `token` finds through keys that do not lead, up to
    /// [`CAP`] + 1.
    async fn found_by_other_keys(
        &self,
        pool: &Pool,
        scope: &Scope,
        token: &str,
    ) -> StoreResult<i64> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT count(*) FROM (SELECT DISTINCT k.employee_id FROM employee_name_keys k \
             WHERE k.is_leading = 0",
        );
        push_owned_scope(&mut q, "k", scope);
        push_prefix(&mut q, "k.key", token);
        push_limit(&mut q, CAP + 1);
        q.push(") found");
        Ok(q.build_query_scalar().fetch_one(pool).await?)
    }
}

/// The total of a page that found `found` rows: `known`, or told by a short page, or else the
/// rows `push_set` selects, counted up to [`CAP`] + 1.
async fn total_of(
    pool: &Pool,
    query: &EmployeeQuery,
    found: usize,
    known: Option<Total>,
    push_count: impl FnOnce(&mut QueryBuilder<Db>),
) -> StoreResult<Total> {
    if let Some(total) = known.or_else(|| short_page_total(query, found)) {
        return Ok(total);
    }
    let mut count = QueryBuilder::<Db>::new("");
    push_count(&mut count);
    let counted: i64 = count.build_query_scalar().fetch_one(pool).await?;
    Ok(Total::from_capped(counted as u64))
}

/// A statement counting the rows `push_set` selects, up to [`CAP`] + 1.
fn capped_count(
    push_set: impl FnOnce(&mut QueryBuilder<Db>),
) -> impl FnOnce(&mut QueryBuilder<Db>) {
    move |count| {
        count.push("SELECT count(*) FROM (");
        push_set(count);
        push_limit(count, CAP + 1);
        count.push(") found");
    }
}

/// The page of the ids `push_ordered` selects (`id` and sort columns `s1`, `s2`, in the order
/// shown), only its rows read whole, and its total. A name asked alone is counted on its own
/// ranges ([`name_total`]) in the same statement, one hand-off to the database instead of two;
/// otherwise on the ids `push_set` selects, when the page does not tell it.
async fn page_of_ids(
    pool: &Pool,
    scope: &Scope,
    query: &EmployeeQuery,
    push_ordered: impl FnOnce(&mut QueryBuilder<Db>),
    push_set: impl FnOnce(&mut QueryBuilder<Db>),
) -> StoreResult<SearchPage> {
    let counted_here = name_total::applies(query);
    let mut select = QueryBuilder::<Db>::new(format!("SELECT {LIST_COLUMNS}"));
    if counted_here {
        select.push(", (");
        name_total::push_name_total(&mut select, scope, query);
        select.push(") AS total");
    }
    select.push(" FROM (");
    push_ordered(&mut select);
    push_page(&mut select, query);
    select.push(
        ") page CROSS JOIN employees e \
         LEFT JOIN applications a ON a.id = e.current_application_id \
         WHERE e.id = page.id ORDER BY page.s1, page.s2, page.id",
    );
    let (rows, counted) = match counted_here {
        true => {
            let rows: Vec<CountedListRow> = select.build_query_as().fetch_all(pool).await?;
            let counted = rows.first().map(|r| Total::from_capped(r.total as u64));
            (rows.into_iter().map(|r| r.row).collect(), counted)
        }
        false => {
            let rows: Vec<EmployeeListRow> = select.build_query_as().fetch_all(pool).await?;
            (rows, None)
        }
    };
    // An empty page past the start carries no total: it is then counted on its own.
    let total = total_of(
        pool,
        query,
        rows.len(),
        counted,
        |count| match counted_here {
            true => name_total::push_name_total(count, scope, query),
            false => capped_count(push_set)(count),
        },
    )
    .await?;
    Ok(SearchPage {
        total,
        items: convert(rows)?,
    })
}

/// The union of the first token's leading range (its first `range_limit` rows in the order) and
/// the rows found by the keys that do not lead: each row's `id` and sort columns `s1`, `s2`.
fn push_merged(
    q: &mut QueryBuilder<Db>,
    scope: &Scope,
    query: &EmployeeQuery,
    order: SortOrder,
    range_limit: i64,
) {
    let (surname, given) = sort_columns(order);
    let token = &query.name_tokens[0];
    let (from_employees, from_keys) = match needs_application(query) {
        true => (FROM_EMPLOYEES, FROM_OTHER_KEYS),
        false => (FROM_EMPLOYEES_ONLY, FROM_OTHER_KEYS_ONLY),
    };
    q.push(format!(
        "SELECT * FROM (SELECT e.id, {surname} AS s1, {given} AS s2{from_employees}"
    ));
    push_prefix(q, surname, token);
    push_filters(q, scope, query, 1);
    q.push(order_by(order));
    push_limit(q, range_limit);
    q.push(format!(
        ") leading_range UNION SELECT e.id, {surname} AS s1, {given} AS s2{from_keys}"
    ));
    push_owned_scope(q, "k", scope);
    push_prefix(q, "k.key", token);
    push_filters(q, scope, query, 1);
}

fn has_filter(query: &EmployeeQuery) -> bool {
    has_exact_field(query)
        || query.status.is_some()
        || query.unit.is_some()
        || query.revocation_requested
}
