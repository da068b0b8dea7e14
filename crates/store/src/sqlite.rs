//! The embedded store: one SQLite file in WAL mode.
//!
//! SQLite allows one writer at a time; instead of letting connections fight over the write lock
//! (and fail with SQLITE_BUSY mid-transaction), all writes go through a pool of exactly one
//! connection, while reads use a pool of several. The conditional updates are still written as
//! they are on PostgreSQL, where many writers do race. Jobs need no `SKIP LOCKED` here: the one
//! writer takes them one at a time.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::group_sync::{GroupSync, SyncFn};
use crate::{StoreError, StoreOptions, StoreResult};

/// What the statements of `sql/` are compiled against here.
mod dialect {
    pub type Db = sqlx::Sqlite;
    pub type Pool = sqlx::SqlitePool;
    pub type Conn = sqlx::SqliteConnection;
    /// Its migrations (the DDL differs, so they are kept per backend).
    pub const MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
    /// The position of a string in another (1-based, 0 when absent), as SQLite names it.
    pub const STRPOS: &str = "instr";
    /// Behind the one writer, the select and the update of a claim cannot interleave with
    /// another claim.
    pub const SKIP_LOCKED: &str = "";
    /// Ids for `$1` new employees: after the largest, which no one else can take while the one
    /// writer's transaction lasts.
    pub const RESERVE_EMPLOYEE_IDS: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL \
         SELECT i + 1 FROM n WHERE i < $1) \
         SELECT (SELECT COALESCE(MAX(id), 0) FROM employees) + i FROM n";
    /// The secondary indexes a large import drops and makes again (their names and
    /// definitions; the unique constraints' own indexes stay, and check the rows).
    pub const INDEXES_TO_REBUILD: Option<&str> = Some(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
         AND tbl_name IN ('employees', 'employee_name_keys') ORDER BY name",
    );
    /// Several statements go as one text of statements (`sql/one_hop.rs`).
    pub const STATEMENTS_AS_CTES: bool = false;
    /// One writer: one combined transaction at a time.
    pub const COMMIT_LANES: usize = 1;
    pub const IMPORT_SETTINGS: &[&str] = &[];
    /// None: SQLite plans without statistics, as the search's plans were written for.
    pub const ANALYZE_AFTER_LARGE_IMPORT: &[&str] = &[];
    /// An import's rows go as prepared multi-row inserts.
    pub(crate) use super::sql::bulk_values as bulk;
}

// The statements of `sql/` are mounted once per backend on purpose (see the crate's doc).
#[allow(clippy::duplicate_mod)]
#[path = "sql/mod.rs"]
mod sql;

pub use sql::SqlStore as SqliteStore;

impl SqliteStore {
    /// Opens (creating if missing) the database file at `url` (`sqlite://path`) and migrates it.
    pub async fn open(url: &str) -> StoreResult<SqliteStore> {
        SqliteStore::open_with(url, StoreOptions::default()).await
    }

    /// As [`SqliteStore::open`], with options.
    pub async fn open_with(url: &str, options: StoreOptions) -> StoreResult<SqliteStore> {
        if options.read_replica_url.is_some() {
            // A file has no standby to follow it; its readers already run beside the writer.
            return Err(StoreError::Configuration(
                "a read replica needs a PostgreSQL primary: this database is a SQLite file".into(),
            ));
        }
        let connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // SQLite's own default (2 MB) sends most page reads of a large file to the kernel.
            .pragma("cache_size", "-8192");
        // The writer's commits reach the operating system; the shared fsync of the write-ahead
        // log makes them durable before they are answered (group commit, `group_sync`).
        let group_sync = wal_of(&connect).map(|wal| Arc::new(GroupSync::new(fsync_of(wal))));
        let writer = match group_sync {
            Some(_) => connect.clone().synchronous(SqliteSynchronous::Normal),
            None => connect.clone(),
        }
        // The writer keeps the indexes an import or a burst of changes touches (32 MB).
        .pragma("cache_size", "-32768");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(writer)
            .await?;
        sql::migrate(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(readers())
            .connect_with(connect.read_only(true))
            .await?;
        Ok(SqliteStore {
            read,
            write,
            options,
            group_sync,
            replica: None,
            commits: sql::transition_queue(dialect::COMMIT_LANES),
            session_cache: Default::default(),
        })
    }

    /// Writes a consistent copy of the database to `path` (which must not exist), while the
    /// store keeps serving: SQLite's `VACUUM INTO`.
    pub async fn backup_to(&self, path: &std::path::Path) -> StoreResult<()> {
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_string_lossy().into_owned())
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

/// Reader connections: each holds a page cache of its own (8 MB) and its thread's allocations,
/// and reads use the CPU, so more than two per core add memory, not speed.
fn readers() -> u32 {
    let cores = std::thread::available_parallelism().map_or(4, |n| n.get()) as u32;
    (cores * 2).clamp(2, 8)
}

/// The write-ahead log of the database file; none for an in-memory database.
fn wal_of(connect: &SqliteConnectOptions) -> Option<PathBuf> {
    let file = connect.get_filename();
    let name = file.to_string_lossy();
    if name.is_empty() || name == ":memory:" || name.starts_with("file:") {
        return None;
    }
    let mut wal = file.as_os_str().to_owned();
    wal.push("-wal");
    Some(PathBuf::from(wal))
}

/// An fsync of the log (fdatasync, as SQLite's own). A log not there holds nothing to sync:
/// SQLite removes it only once checkpointed into the synced database file.
fn fsync_of(wal: PathBuf) -> SyncFn {
    Arc::new(
        move || match std::fs::OpenOptions::new().write(true).open(&wal) {
            Ok(file) => file.sync_data(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Accounts, Applications, Employees};

    #[tokio::test]
    async fn writes_are_answered_after_a_sync_of_the_log_that_they_share() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("c.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        let group = store
            .group_sync
            .clone()
            .expect("a database file syncs by group");
        let before = group.syncs();
        let writes: Vec<_> = (0..20)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .create_organisation(&format!("ORG{i}"), "Φορέας", chrono::Utc::now())
                        .await
                })
            })
            .collect();
        for write in writes {
            write.await.unwrap().unwrap();
        }
        let syncs = group.syncs() - before;
        assert!((1..=20).contains(&syncs), "{syncs} syncs for 20 writes");

        let memory = SqliteStore::open("sqlite::memory:").await.unwrap();
        assert!(memory.group_sync.is_none(), "nothing to sync in memory");
    }

    #[tokio::test]
    async fn a_session_kept_in_memory_is_read_again_after_each_write_to_accounts() {
        use crate::{AccountSafety, NewAdministrator, NewSession, SessionKind, Sessions};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        let now = chrono::Utc::now();
        let first = store.create_organisation("A", "Α", now).await.unwrap();
        let second = store.create_organisation("B", "Β", now).await.unwrap();
        let id = store
            .create_administrator(
                &NewAdministrator {
                    username: "dpp@example.gr".into(),
                    full_name: "Ελένη Παπαδοπούλου".into(),
                    password_hash: "unused".into(),
                    organisation_ids: vec![first.id],
                    role: certdesk_domain::Role::Administrator,
                    must_change_password: false,
                    second_factor_required: true,
                },
                now,
            )
            .await
            .unwrap();
        store
            .create_session(&NewSession {
                token_hash: "h".into(),
                administrator_id: id,
                kind: SessionKind::Api,
                csrf_token: "c".into(),
                created_at: now,
                expires_at: now + chrono::Duration::hours(1),
            })
            .await
            .unwrap();
        let other = SqliteStore::open(&url).await.unwrap();
        let read = || async { store.session("h", now).await.unwrap() };
        assert_eq!(read().await.unwrap().organisation_ids, vec![first.id]);

        // Another process's write is not seen while the read is kept (a second at most) ...
        other
            .add_administrator_to_organisation(id, second.id)
            .await
            .unwrap();
        assert_eq!(read().await.unwrap().organisation_ids, vec![first.id]);
        // ... this store's own writes are, at once.
        store
            .add_administrator_to_organisation(id, second.id)
            .await
            .unwrap();
        assert_eq!(
            read().await.unwrap().organisation_ids,
            vec![first.id, second.id]
        );
        store
            .remove_administrator_from_organisation(id, first.id)
            .await
            .unwrap();
        assert_eq!(read().await.unwrap().organisation_ids, vec![second.id]);
        store.set_second_factor_required(id, false).await.unwrap();
        assert!(!read().await.unwrap().security.second_factor_required);
        store.reset_administrator_password(id, "new").await.unwrap();
        assert!(read().await.unwrap().security.must_change_password);
        store
            .change_administrator_password(id, "newer")
            .await
            .unwrap();
        assert!(!read().await.unwrap().security.must_change_password);
        store.set_administrator_disabled(id, true).await.unwrap();
        assert!(read().await.is_none());
        store.set_administrator_disabled(id, false).await.unwrap();
        assert!(read().await.is_some());
        store.delete_session("h").await.unwrap();
        assert!(read().await.is_none());
    }

    /// An employee of the tests, with the ΑΦΜ and given name that tell them apart.
    fn employee(afm: &str, given_name: &str) -> certdesk_domain::employee::ValidEmployee {
        certdesk_domain::employee::EmployeeInput {
            afm,
            surname: "Παπαδοπούλου",
            given_name,
            father_name: "Νικόλαος",
            id_card: "",
            birth_date: "",
            email: "",
            mobile: "",
            unit: "",
            position: "",
        }
        .validate()
        .unwrap()
    }

    /// Two applications of the organisation, started; their start transitions.
    async fn two_started(store: &SqliteStore) -> Vec<certdesk_domain::Transition> {
        use certdesk_domain::validation::Email;
        use certdesk_domain::{Actor, transition::start};
        let now = chrono::Utc::now();
        let org = store
            .create_organisation("ORG", "Φορέας", now)
            .await
            .unwrap();
        let employees: Vec<_> = [("010509832", "Μαρία"), ("010509844", "Ελένη")]
            .into_iter()
            .map(|(afm, given_name)| employee(afm, given_name))
            .collect();
        let ids = store
            .insert_employees(org.id, &employees, now)
            .await
            .unwrap();
        let actor = Actor::administrator(1, "Γεώργιος Γεωργίου");
        let contact = crate::ApplicationContact {
            email: Email::parse("a@ypes.gov.gr").unwrap(),
            mobile: None,
        };
        let mut started = Vec::new();
        for employee in ids {
            let start = start(0, &actor, now).unwrap();
            let id = store
                .create_application(employee, &contact, &start)
                .await
                .unwrap();
            started.push(certdesk_domain::Transition {
                application_id: id,
                ..start
            });
        }
        started
    }

    #[tokio::test]
    async fn starts_of_concurrent_callers_share_a_transaction_and_fail_alone() {
        use certdesk_domain::validation::Email;
        use certdesk_domain::{Actor, transition::start};
        use sql::combined_commits::Submitted;
        use sql::starts::NewStart;
        let store = SqliteStore::open("sqlite::memory:").await.unwrap();
        let started = two_started(&store).await;
        let now = chrono::Utc::now();
        let org = store.organisation_by_code("ORG").await.unwrap().unwrap();
        let new_employees = [
            employee("010509856", "Άννα"),
            employee("010509868", "Ιωάννα"),
        ];
        let new_ids = store
            .insert_employees(org.id, &new_employees, now)
            .await
            .unwrap();
        let (third, fourth) = (new_ids[0], new_ids[1]);
        let with_open_application = store
            .application(&crate::Scope::Everything, started[0].application_id)
            .await
            .unwrap()
            .unwrap()
            .employee_id;
        let actor = Actor::administrator(1, "Γεώργιος Γεωργίου");
        let submitted = |employee_id: i64| Submitted {
            starts: vec![NewStart {
                employee_id,
                contact: crate::ApplicationContact {
                    email: Email::parse("a@ypes.gov.gr").unwrap(),
                    mobile: None,
                },
                start: start(0, &actor, now).unwrap(),
            }],
            ..Default::default()
        };
        // Two callers' starts in one transaction: each gets its own new application.
        let shared = store
            .commit_combined(&[submitted(fourth), submitted(999_999)])
            .await;
        let fourths = shared[0].as_ref().unwrap().created[0].expect("a new application");
        assert_eq!(
            shared[1].as_ref().unwrap().created,
            vec![None],
            "no such employee"
        );
        let fourths = store
            .application(&crate::Scope::Everything, fourths)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(fourths.employee_id, fourth);

        let outcomes = store
            .commit_combined(&[
                submitted(third),
                submitted(with_open_application),
                submitted(999_999),
            ])
            .await;
        // The one open application refuses the combined statement: each start then runs alone,
        // and only its caller hears of it.
        let created = outcomes[0].as_ref().unwrap().created[0].expect("a new application");
        assert!(
            matches!(outcomes[1], Err(crate::StoreError::OpenApplicationExists)),
            "{:?}",
            outcomes[1]
        );
        assert_eq!(outcomes[2].as_ref().unwrap().created, vec![None]);
        let application = store
            .application(&crate::Scope::Everything, created)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(application.employee_id, third);
        let history = store
            .history(&crate::Scope::Everything, created)
            .await
            .unwrap();
        assert_eq!(history.len(), 1, "its first entry");
        certdesk_domain::history::verify_chain(&history).unwrap();
    }

    #[tokio::test]
    async fn a_combined_commit_that_fails_stores_each_callers_transitions_alone() {
        use certdesk_domain::transition::Effect;
        use certdesk_domain::validation::Username;
        let store = SqliteStore::open("sqlite::memory:").await.unwrap();
        // Two callers choose the same username for two applications: one transaction of both
        // fails on the username's uniqueness.
        let chosen = |start: &certdesk_domain::Transition| certdesk_domain::Transition {
            from: Some(start.to),
            expected_version: 1,
            effects: vec![Effect::ReserveUsername(
                Username::parse("m.papadopoulou").unwrap(),
            )],
            ..start.clone()
        };
        let started = two_started(&store).await;
        let (first, second) = (chosen(&started[0]), chosen(&started[1]));

        let submitted = |t: &certdesk_domain::Transition| sql::combined_commits::Submitted {
            transitions: vec![t.clone()],
            read_back: true,
            ..Default::default()
        };
        let outcomes = store
            .commit_combined(&[submitted(&first), submitted(&second)])
            .await;

        let stored = outcomes[0].as_ref().unwrap();
        assert_eq!(stored.applied, vec![true]);
        let [(application, history)] = &stored.read[..] else {
            panic!("one application read back: {:?}", stored.read)
        };
        // What was read back in the transaction is what the store holds after it.
        let everything = crate::Scope::Everything;
        assert_eq!(
            (application.version, application.status, history.len()),
            (2, first.to, 2)
        );
        assert_eq!(
            history,
            &store
                .history(&everything, first.application_id)
                .await
                .unwrap()
        );
        assert!(
            matches!(
                outcomes[1],
                Err(StoreError::Duplicate(
                    certdesk_domain::validation::Field::Username
                ))
            ),
            "the error reaches the caller it belongs to: {:?}",
            outcomes[1]
        );
        let scope = crate::Scope::Everything;
        let versions = [
            store
                .application(&scope, first.application_id)
                .await
                .unwrap()
                .unwrap()
                .version,
            store
                .application(&scope, second.application_id)
                .await
                .unwrap()
                .unwrap()
                .version,
        ];
        assert_eq!(
            versions,
            [2, 1],
            "the first is stored, nothing of the second"
        );
        assert_eq!(
            store
                .history(&scope, first.application_id)
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            store
                .history(&scope, second.application_id)
                .await
                .unwrap()
                .len(),
            1
        );
    }

    #[tokio::test]
    async fn statements_sent_as_one_each_take_their_own_values() {
        use sql::one_hop::OneHop;
        let store = SqliteStore::open("sqlite::memory:").await.unwrap();
        let mut conn = store.write.acquire().await.unwrap();
        for table in ["first", "second"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE TEMP TABLE {table} (application_id INTEGER); \
                 INSERT INTO {table} VALUES (1), (2), (3), (4)"
            )))
            .execute(&mut *conn)
            .await
            .unwrap();
        }
        let mut deletes = OneHop::new();
        deletes.add(|q| {
            q.push("DELETE FROM first WHERE application_id IN (")
                .push_bind(1)
                .push(", ")
                .push_bind(2)
                .push(")");
        });
        deletes.add(|q| {
            q.push("DELETE FROM second WHERE application_id IN (")
                .push_bind(3)
                .push(", ")
                .push_bind(4)
                .push(")");
        });
        deletes.execute(&mut conn).await.unwrap();
        let left = |table: &'static str| {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT application_id FROM {table} ORDER BY 1"
            )))
        };
        // Each statement bound its own values, not the first statement's again.
        assert_eq!(left("first").fetch_all(&mut *conn).await.unwrap(), [3, 4]);
        assert_eq!(left("second").fetch_all(&mut *conn).await.unwrap(), [1, 2]);
    }

    #[tokio::test]
    async fn a_schema_newer_than_the_binary_still_opens() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("c.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        // A later version of certdesk applied a migration this binary does not know.
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, installed_on, success, \
             checksum, execution_time) \
             VALUES (9999, 'from the future', '2030-01-01 00:00:00', 1, x'00', 1)",
        )
        .execute(&store.write)
        .await
        .unwrap();
        drop(store);
        SqliteStore::open(&url)
            .await
            .expect("older servers keep running during a rolling upgrade");
    }

    /// The steps of SQLite's plan for the statement `push` writes.
    async fn plan_of(
        store: &SqliteStore,
        push: impl FnOnce(&mut sqlx::QueryBuilder<sqlx::Sqlite>),
    ) -> Vec<String> {
        use sqlx::Row;
        let mut explain = sqlx::QueryBuilder::<sqlx::Sqlite>::new("EXPLAIN QUERY PLAN ");
        push(&mut explain);
        explain
            .build()
            .fetch_all(&store.read)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get("detail"))
            .collect()
    }

    /// The look for employees whose search columns are to fill, made at every start, reads the
    /// partial index of those employees, not the table.
    #[tokio::test]
    async fn the_start_looks_for_unfilled_employees_in_their_own_index() {
        let store = SqliteStore::open("sqlite::memory:").await.unwrap();
        let plan = plan_of(&store, |q| {
            q.push(sql::employees::UNFILLED_EMPLOYEES);
        })
        .await;
        assert_eq!(
            plan,
            vec!["SEARCH employees USING INDEX employees_without_search_words (id>?)"],
        );
    }

    /// A name of a stem's length walks that stem's keys in the order shown: their index alone
    /// answers, with nothing sorted or collected, so a page reads the page however many match.
    #[tokio::test]
    async fn a_name_of_a_stems_length_walks_its_keys_index_in_the_order_shown() {
        let store = SqliteStore::open("sqlite::memory:").await.unwrap();
        let organisation = crate::Scope::Organisations(vec![1]);
        for (scope, index) in [
            (&organisation, "employee_name_keys_by_stem"),
            (&crate::Scope::Everything, "employee_name_keys_by_stem_all"),
        ] {
            for token in ["παπ", "παπαδ", "papad"] {
                let query = crate::EmployeeQuery {
                    name_tokens: vec![token.to_owned()],
                    page: 1,
                    per_page: 20,
                    ..Default::default()
                };
                let plan = plan_of(&store, |q| {
                    sql::employee_search::stems::push_stem_matches(q, scope, &query)
                })
                .await;
                assert!(
                    plan.iter()
                        .any(|step| step.contains(&format!("COVERING INDEX {index} "))),
                    "{token}: {plan:?}"
                );
                assert!(
                    !plan.iter().any(|step| step.contains("TEMP B-TREE")),
                    "{token}: {plan:?}"
                );
            }
        }
    }

    /// A long token with few keys reads them by the keys' primary key range, whatever the
    /// scope: the organisation's stem index would walk the whole organisation in order.
    #[tokio::test]
    async fn a_long_token_with_few_keys_reads_their_range() {
        let store = SqliteStore::open("sqlite::memory:").await.unwrap();
        let organisation = crate::Scope::Organisations(vec![1]);
        for scope in [&organisation, &crate::Scope::Everything] {
            let query = crate::EmployeeQuery {
                name_tokens: vec!["παπαζ".to_owned()],
                page: 1,
                per_page: 20,
                ..Default::default()
            };
            let plan = plan_of(&store, |q| {
                sql::employee_search::stems::push_key_range_matches(q, scope, &query)
            })
            .await;
            assert!(
                plan.iter()
                    .any(|step| step.contains("USING PRIMARY KEY (key>? AND key<?)")),
                "{plan:?}"
            );
        }
    }

    /// A name asked alone is counted on the leading range of its order and on its other keys,
    /// each an index's range: never on its stem's keys, which a long token's matches may lie
    /// far apart in, nor by reading a row.
    #[tokio::test]
    async fn a_names_total_reads_the_order_and_the_other_keys_not_the_stem() {
        let store = SqliteStore::open("sqlite::memory:").await.unwrap();
        let organisation = crate::Scope::Organisations(vec![1]);
        for (scope, suffix) in [(&organisation, ""), (&crate::Scope::Everything, "_all")] {
            for (token, order_index) in [
                ("papan", "employees_by_latin"),
                ("παπ", "employees_by_name"),
                ("πα", "employees_by_name"),
            ] {
                let query = crate::EmployeeQuery {
                    name_tokens: vec![token.to_owned()],
                    page: 1,
                    per_page: 20,
                    ..Default::default()
                };
                assert!(sql::employee_search::name_total::applies(&query));
                let plan = plan_of(&store, |q| {
                    sql::employee_search::name_total::push_name_total(q, scope, &query)
                })
                .await;
                for index in [order_index, "employee_name_keys_other"] {
                    let index = format!("COVERING INDEX {index}{suffix} ");
                    assert!(
                        plan.iter().any(|step| step.contains(&index)),
                        "{token}: {plan:?}"
                    );
                }
                assert!(
                    !plan
                        .iter()
                        .any(|step| step.contains("by_stem") || step.contains("SCAN e")),
                    "{token}: {plan:?}"
                );
            }
        }
    }
}
