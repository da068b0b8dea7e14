//! Search that reads no more than the page it shows (issue 12): broad queries count up to 1,000
//! and say «more than» beyond, and every plan gives the page a model of the rules expects (every
//! token prefixes a name key; sorted by surname, given name and id, in the Greek spelling or, for
//! a query in Latin letters, the Latin one).

use certdesk_domain::employee::EmployeeInput;
use certdesk_domain::name_index::{SearchColumns, SortOrder};
use certdesk_domain::paging::Total;
use certdesk_domain::text::query_tokens;
use certdesk_domain::validation::Afm;
use certdesk_store::{EmployeeQuery, Scope};
use chrono::Utc;
use serde_json::Value;

use crate::helpers::*;

struct Stored {
    id: i64,
    afm: String,
    unit: String,
    columns: SearchColumns,
}

/// Stores the employees (surname, given name, unit) in one insert, as an import does.
async fn store_all(app: &TestApp, people: &[(String, String, String)]) -> Vec<Stored> {
    let afms: Vec<String> = people.iter().map(|_| next_afm()).collect();
    let records: Vec<_> = people
        .iter()
        .zip(&afms)
        .map(|((surname, given, unit), afm)| {
            EmployeeInput {
                afm,
                surname,
                given_name: given,
                father_name: "Ιωάννης",
                unit,
                position: "Υπάλληλος",
                ..Default::default()
            }
            .validate()
            .expect("a valid employee")
        })
        .collect();
    let ids = app
        .store
        .insert_employees(app.org_id, &records, Utc::now())
        .await
        .expect("insert the employees");
    ids.into_iter()
        .zip(people)
        .zip(afms)
        .map(|((id, (surname, given, unit)), afm)| Stored {
            id,
            afm,
            unit: unit.clone(),
            columns: SearchColumns::of(surname, given),
        })
        .collect()
}

/// What the rules say `q` finds, in the order shown.
fn expected(stored: &[Stored], q: &str) -> Vec<i64> {
    let tokens = query_tokens(q);
    let order = tokens
        .first()
        .map_or(SortOrder::Greek, |t| SortOrder::for_token(t));
    let mut found: Vec<&Stored> = stored
        .iter()
        .filter(|s| tokens.iter().all(|t| s.columns.matches(t)))
        .collect();
    found.sort_by(|a, b| sort_key(a, order).cmp(&sort_key(b, order)));
    found.into_iter().map(|s| s.id).collect()
}

fn sort_key(s: &Stored, order: SortOrder) -> (&str, &str, i64) {
    let (surname, given) = s.columns.sorted_by(order);
    (surname, given, s.id)
}

fn ids(body: &Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// The first page of the store's search of `scope` for `q` (20 rows): its ids and its total.
async fn store_search(app: &TestApp, scope: &Scope, q: &str) -> (Vec<i64>, Total) {
    let page = app
        .store
        .search_employees(
            scope,
            &EmployeeQuery {
                name_tokens: query_tokens(q),
                page: 1,
                per_page: 20,
                ..Default::default()
            },
        )
        .await
        .expect("the search");
    (page.items.iter().map(|e| e.id).collect(), page.total)
}

/// Every page of `q` at `per_page`, concatenated, and the first page's body.
async fn all_pages(
    app: &TestApp,
    token: &str,
    extra: &[(&str, &str)],
    per_page: usize,
) -> (Vec<i64>, Value) {
    let per = per_page.to_string();
    let mut found = Vec::new();
    let mut first = Value::Null;
    for page in 1.. {
        let number = page.to_string();
        let mut query: Vec<(&str, &str)> = vec![("per_page", &per), ("page", &number)];
        query.extend_from_slice(extra);
        let body = app.search_ok(token, &query).await;
        let items = ids(&body);
        if page == 1 {
            first = body;
        }
        let done = items.len() < per_page;
        found.extend(items);
        if done {
            break;
        }
    }
    (found, first)
}

const SURNAMES: [&str; 12] = [
    "Παπαδόπουλος",
    "Παπαδοπούλου",
    "Παπανικολάου",
    "Παπαγεωργίου",
    "Αλεξίου-Παπαδάκη",
    "Ζερβού-Παπαδοπούλου",
    "Ψαρρά-Παπαδάκη",
    "Νικολάου",
    "Θεοδώρου",
    "Γεωργίου",
    "Μπακογιάννη",
    "Τσιμπούκης",
];
const GIVEN: [&str; 6] = [
    "Γιώργος",
    "Μαρία",
    "Ελένη",
    "Δημήτρης",
    "Αικατερίνη",
    "Παπαδιά",
];

#[tokio::test]
async fn the_leading_range_merges_with_the_names_found_by_their_other_words() {
    let app = spawn_app().await;
    let people: Vec<_> = (0..60)
        .map(|i| {
            (
                SURNAMES[i % SURNAMES.len()].to_owned(),
                GIVEN[(i / 2) % GIVEN.len()].to_owned(),
                format!("Τμήμα {}", i % 3),
            )
        })
        .collect();
    let stored = store_all(&app, &people).await;
    let token = app.token().await;

    for q in [
        "παπαδ",
        "papad",
        "παπ",
        "pap",
        "γεωργ",
        "georg",
        "παπ γι",
        "nik",
        "ts",
    ] {
        let want = expected(&stored, q);
        assert!(!want.is_empty(), "the data has matches for {q}");
        let (found, first) = all_pages(&app, &token, &[("q", q)], 4).await;
        assert_eq!(found, want, "q={q}");
        assert_eq!(first["total"], want.len(), "q={q}");
        assert_eq!(first["total_exact"], true, "q={q}");
    }
    // With a filter checked on each row of both parts.
    let unit = "Τμήμα 1";
    let want: Vec<i64> = expected(&stored, "παπαδ")
        .into_iter()
        .filter(|id| stored.iter().any(|s| s.id == *id && s.unit == unit))
        .collect();
    let (found, first) = all_pages(&app, &token, &[("q", "παπαδ"), ("unit", unit)], 3).await;
    assert_eq!(found, want);
    assert_eq!(first["total"], want.len());
}

/// 1,100 employees whose surname starts «Παπ», beside 30 others.
fn many_papa() -> Vec<(String, String, String)> {
    (0..1130)
        .map(|i| {
            let surname = match i {
                0..1100 => SURNAMES[i % 4],
                _ => SURNAMES[7 + i % 5],
            };
            let unit = if i % 100 == 7 {
                "Τμήμα Μισθοδοσίας"
            } else {
                "Διεύθυνση Προσωπικού"
            };
            (surname.to_owned(), GIVEN[i % 5].to_owned(), unit.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn a_broad_search_counts_up_to_a_thousand_and_still_pages_in_order() {
    let app = spawn_app().await;
    let stored = store_all(&app, &many_papa()).await;
    let token = app.token().await;

    for q in ["παπ", "papa", "Παπαδόπουλος"] {
        let want = expected(&stored, q);
        let (found, first) = all_pages(&app, &token, &[("q", q)], 200).await;
        assert_eq!(found, want, "q={q}: every page in the order shown");
        if want.len() > 1000 {
            assert_eq!(first["total"], 1000, "q={q}");
            assert_eq!(first["total_exact"], false, "q={q}");
        } else {
            assert_eq!(first["total"], want.len(), "q={q}");
            assert_eq!(first["total_exact"], true, "q={q}");
        }
    }
    let everyone = app.search_ok(&token, &[("per_page", "5")]).await;
    assert_eq!(everyone["total_exact"], false);
    let without = app
        .search_ok(&token, &[("status", "none"), ("per_page", "5")])
        .await;
    assert_eq!(without["total_exact"], false);
    let mut by_name: Vec<&Stored> = stored.iter().collect();
    by_name.sort_by(|a, b| sort_key(a, SortOrder::Greek).cmp(&sort_key(b, SortOrder::Greek)));
    let first_five: Vec<i64> = by_name.iter().take(5).map(|s| s.id).collect();
    assert_eq!(ids(&without), first_five);

    let payroll = app
        .search_ok(&token, &[("unit", "Τμήμα Μισθοδοσίας")])
        .await;
    let in_payroll = stored
        .iter()
        .filter(|s| s.unit == "Τμήμα Μισθοδοσίας")
        .count();
    assert_eq!(payroll["total"], in_payroll);
    assert_eq!(payroll["total_exact"], true);

    // The console says so, and offers the next page.
    let session = app.console_login(&app.admin).await;
    let page = app
        .console_get(&session, "/employees?q=%CF%80%CE%B1%CF%80")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("περισσότερα από 1.000"), "{page}");
    assert!(page.contains("rel=\"next\""));
}

#[tokio::test]
async fn a_token_common_in_given_names_walks_the_order_to_the_page() {
    let app = spawn_app().await;
    // More than a thousand found through a given name, spread over every surname.
    let people: Vec<_> = (0..1650)
        .map(|i| {
            (
                SURNAMES[i % SURNAMES.len()].to_owned(),
                ["Γεώργιος", "Γεωργία", "Ελένη"][i % 3].to_owned(),
                "Διεύθυνση Προσωπικού".to_owned(),
            )
        })
        .collect();
    let stored = store_all(&app, &people).await;
    let token = app.token().await;

    // A stem's length walks the stem's keys; two letters walk the order itself.
    for q in ["γεωργ", "γε"] {
        let want = expected(&stored, q);
        assert!(want.len() > 1000);
        let first = app.search_ok(&token, &[("q", q), ("per_page", "50")]).await;
        assert_eq!(ids(&first), want[..50].to_vec(), "q={q}");
        assert_eq!(first["total_exact"], false, "q={q}");
        let third = app
            .search_ok(&token, &[("q", q), ("per_page", "50"), ("page", "3")])
            .await;
        assert_eq!(ids(&third), want[100..150].to_vec(), "q={q}");
    }

    // A second word narrows it, counted exactly.
    let want = expected(&stored, "γεωργ νικ");
    let (found, first) = all_pages(&app, &token, &[("q", "γεωργ νικ")], 200).await;
    assert_eq!(found, want);
    assert_eq!(first["total"], want.len());
    assert_eq!(first["total_exact"], true);
}

#[tokio::test]
async fn employees_stored_before_the_search_columns_are_found_once_the_store_reopens() {
    let app = spawn_app().await;
    let older = app.add_employee("Ψαρρά-Παπαδάκη", "Ευαγγελία").await;
    app.probe.forget_search_columns(older.id).await;
    // Keys written by a server that knows no stems, during a rolling upgrade.
    let unstemmed = app.add_employee("Ψαρρά-Παπαδάκη", "Ευαγγελία").await;
    app.probe.forget_key_stems(unstemmed.id).await;

    let reopened = certdesk_store::connect(app.database.url())
        .await
        .expect("reopen the store");
    let scope = Scope::Organisations(vec![app.org_id]);
    for q in ["παπαδακ", "psarra", "evang", "ψαρ", "eva"] {
        let page = reopened
            .search_employees(
                &scope,
                &EmployeeQuery {
                    name_tokens: query_tokens(q),
                    page: 1,
                    per_page: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let found: Vec<i64> = page.items.iter().map(|e| e.id).collect();
        assert_eq!(found, vec![older.id, unstemmed.id], "q={q}");
    }
}

#[tokio::test]
async fn keys_stored_before_their_stems_are_filed_by_the_migration_as_the_store_files_them() {
    let app = spawn_app().await;
    for (surname, given) in [
        ("Παπαδοπούλου-Νικολάου", "Γεώργιος"),
        ("Ψαρράς", "Ηλίας"),
        ("Αυγερινός", "Ευαγγελία"),
        ("Μπακογιάννη", "Ντόρα"),
    ] {
        app.add_employee(surname, given).await;
    }
    let filed = app.probe.key_filings().await;
    let is_latin = |f: &(i64, String, String, String, String)| f.3.is_ascii();
    assert!(filed.iter().any(is_latin) && !filed.iter().all(is_latin));
    assert!(
        filed
            .iter()
            .all(|f| f.1.starts_with(&f.2) && !f.2.is_empty())
    );

    app.probe.refile_keys_by_migration_0023().await;
    assert_eq!(app.probe.key_filings().await, filed);
}

/// A token whose keys are too many to sort (two per employee here: the word and the whole
/// double surname) is walked under its stem; its total counts employees, not keys, whether
/// counted on the organisation's stem or, installation-wide, on the token's key range.
#[tokio::test]
async fn a_long_token_with_many_keys_counts_employees_in_every_scope() {
    let app = spawn_app().await;
    let people: Vec<_> = (0..1000)
        .map(|i| {
            (
                format!("Ξενάκη-{}", SURNAMES[7 + i % 5]),
                GIVEN[i % 5].to_owned(),
                "Διεύθυνση Προσωπικού".to_owned(),
            )
        })
        .chain((0..30).map(|i| {
            (
                SURNAMES[i % 7].to_owned(),
                GIVEN[i % 6].to_owned(),
                String::new(),
            )
        }))
        .collect();
    let stored = store_all(&app, &people).await;
    let token = app.token().await;
    let want = expected(&stored, "ξενακη");
    assert_eq!(want.len(), 1000);

    let first = app
        .search_ok(&token, &[("q", "ξενακη"), ("per_page", "20")])
        .await;
    assert_eq!(ids(&first), want[..20].to_vec());
    assert_eq!(first["total"], 1000);
    assert_eq!(first["total_exact"], true);
    let (found, total) = store_search(&app, &Scope::Everything, "ξενακη").await;
    assert_eq!(found, want[..20].to_vec());
    assert_eq!(total, Total::from_capped(1000));
}

/// A long token with too many keys to sort, found both by the leading range of the order and by
/// keys that do not lead (a double surname's second word, a given name), some employees by
/// both: within the organisation its total counts each employee once, as installation-wide.
#[tokio::test]
async fn a_long_token_found_by_leading_and_other_keys_counts_each_employee_once() {
    let app = spawn_app().await;
    let unit = || "Διεύθυνση Προσωπικού".to_owned();
    let people: Vec<_> = (0..300)
        // Two keys each, both leading: the word and the whole double surname.
        .map(|i| {
            (
                format!("Ξενάκη-{}", SURNAMES[i % 7]),
                GIVEN[i % 5].to_owned(),
                unit(),
            )
        })
        // One key each, not leading: the second word.
        .chain((0..300).map(|i| {
            (
                format!("{}-Ξενάκη", SURNAMES[i % 7]),
                GIVEN[i % 5].to_owned(),
                unit(),
            )
        }))
        // Four each, two leading and two not (the given names): found both ways.
        .chain((0..300).map(|i| {
            (
                format!("Ξενάκη-{}", SURNAMES[i % 7]),
                "Ξενάκης-Ξενάκος".to_owned(),
                unit(),
            )
        }))
        .collect();
    let stored = store_all(&app, &people).await;
    let want = expected(&stored, "ξενακη");
    assert_eq!(want.len(), 900, "2,100 keys of 900 employees");

    let token = app.token().await;
    let first = app
        .search_ok(&token, &[("q", "ξενακη"), ("per_page", "20")])
        .await;
    assert_eq!(ids(&first), want[..20].to_vec());
    assert_eq!(first["total"], 900);
    assert_eq!(first["total_exact"], true);
    // Past the last page the total is still told, counted on its own.
    let beyond = app
        .search_ok(
            &token,
            &[("q", "ξενακη"), ("per_page", "20"), ("page", "46")],
        )
        .await;
    assert_eq!(ids(&beyond), Vec::<i64>::new());
    assert_eq!(beyond["total"], 900);
    assert_eq!(beyond["total_exact"], true);
    let (found, total) = store_search(&app, &Scope::Everything, "ξενακη").await;
    assert_eq!(found, want[..20].to_vec());
    assert_eq!(total, Total::from_capped(900));
}

/// A person's scope (a beneficiary's) reaches only their own employee records, whichever plan
/// finds the name: a stem's walk, a long token's key range or count, a short token's merge.
#[tokio::test]
async fn a_persons_search_finds_only_their_own_records_by_every_plan() {
    let app = spawn_app().await;
    let people: Vec<_> = (0..40)
        .map(|i| {
            let surname = match i % 2 {
                0 => "Παπαδοπούλου-Νικολάου",
                _ => "Νικολάου-Παπαδάκη",
            };
            (surname.to_owned(), "Παναγιώτα".to_owned(), String::new())
        })
        .collect();
    let stored = store_all(&app, &people).await;
    let person = Scope::Person(Afm::parse(&stored[3].afm).unwrap());
    for q in ["παπ", "παπαδ", "papad", "παπαδοπουλου", "νι", "pa", "παναγ"]
    {
        let want: Vec<i64> = expected(&stored[3..4], q);
        assert_eq!(want.is_empty(), q == "παπαδοπουλου", "q={q}");
        let (found, total) = store_search(&app, &person, q).await;
        assert_eq!(found, want, "q={q}");
        assert_eq!(total, Total::from_capped(want.len() as u64), "q={q}");
    }
}
