//! The `certdesk` binary as an operator uses it (SPEC §7), run as a real process.

use std::process::{Command, Output};

use certdesk_domain::Status;
use certdesk_store::prelude::*;
use certdesk_store::sqlite::SqliteStore;

fn certdesk(args: &[&str], db: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .args(args)
        .env("CERTDESK_DB", db)
        .env("CERTDESK_DEMO_PASSWORD", "demo-password-for-tests")
        .env_remove("CERTDESK_LISTEN")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn db_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("certdesk.db").display())
}

async fn count(store: &dyn Store, organisation_id: i64, status: Option<StatusFilter>) -> u64 {
    let query = EmployeeQuery {
        status,
        page: 1,
        per_page: 1,
        ..Default::default()
    };
    let total = store
        .search_employees(&Scope::Organisations(vec![organisation_id]), &query)
        .await
        .unwrap()
        .total;
    // The demo's organisations are far below the count's cap.
    assert!(total.exact, "{total:?}");
    total.count
}

#[tokio::test]
async fn demo_prints_the_accounts_and_covers_every_state_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    let first = certdesk(&["demo"], &db);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out = stdout(&first);
    assert!(out.contains("http://127.0.0.1:8080/"), "{out}");
    let accounts: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("username: ") || l.starts_with("password: "))
        .collect();
    assert_eq!(
        accounts,
        vec![
            "username: m.georgiou@ypes.demo.gov.gr",
            "password: demo-password-for-tests",
            "username: k.nikolaou@athens.demo.gov.gr",
            "password: demo-password-for-tests",
        ]
    );
    // The operator's account follows the ΔΨΠ's lines, with the same password.
    let lines: Vec<&str> = out.lines().collect();
    let last_dpp = lines
        .iter()
        .rposition(|l| l.starts_with("password: "))
        .unwrap();
    assert_eq!(
        &lines[last_dpp + 1..last_dpp + 3],
        [
            "operator-username: operator@demo.gov.gr",
            "operator-password: demo-password-for-tests",
        ]
    );

    let store = SqliteStore::open(&db).await.unwrap();
    let mut totals = Vec::new();
    for code in ["ypes", "dathens"] {
        let org = store
            .organisation_by_code(code)
            .await
            .unwrap()
            .expect("demo organisation");
        let total = count(&store, org.id, None).await;
        assert!(total >= 200, "{code} has {total} employees");
        assert!(count(&store, org.id, Some(StatusFilter::NoApplication)).await > 0);
        for status in Status::ALL {
            assert!(
                count(&store, org.id, Some(StatusFilter::Is(status))).await > 0,
                "{code}: no employee {status:?}"
            );
        }
        assert!(
            store
                .units(&Scope::Organisations(vec![org.id]))
                .await
                .unwrap()
                .len()
                >= 3
        );
        totals.push(total);
    }

    // The demo's accounts log in with the password alone (SPEC §7), and nothing to set up.
    let account = store
        .administrator_by_username("m.georgiou@ypes.demo.gov.gr")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.security.pending_setup(), None);
    assert!(account.security.relaxed());

    // A second run creates nothing new and still prints the accounts.
    let second = certdesk(&["demo"], &db);
    assert!(second.status.success());
    assert!(stdout(&second).contains("username: m.georgiou@ypes.demo.gov.gr"));
    for (code, total) in ["ypes", "dathens"].into_iter().zip(totals) {
        let org = store.organisation_by_code(code).await.unwrap().unwrap();
        assert_eq!(count(&store, org.id, None).await, total);
    }

    // The demo's made-up past is not mailed: nothing waits in the outbox.
    let now = chrono::Utc::now();
    let due = store
        .claim_outbox(now, now + chrono::Duration::minutes(1), 10)
        .await
        .unwrap();
    assert!(due.is_empty(), "demo emails waiting to be sent: {due:?}");

    let verified = certdesk(&["audit", "verify"], &db);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(stdout(&verified).contains("every hash chain is intact"));
}

#[tokio::test]
async fn audit_verify_fails_when_a_history_entry_is_changed() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    assert!(certdesk(&["demo"], &db).status.success());
    // Someone with direct access to the database rewrites a description.
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    sqlx::query("DROP TRIGGER application_history_no_update")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE application_history SET description = description || '.' WHERE application_id = (SELECT min(application_id) FROM application_history) AND seq = 1")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let verified = certdesk(&["audit", "verify"], &db);
    assert!(!verified.status.success());
    assert!(
        stdout(&verified).contains("does not match its content"),
        "{}",
        stdout(&verified)
    );
}

#[tokio::test]
async fn history_rows_cannot_be_updated_or_deleted_through_sql() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    assert!(certdesk(&["demo"], &db).status.success());
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    assert!(
        sqlx::query("UPDATE application_history SET actor_name = 'x'")
            .execute(&pool)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM application_history")
            .execute(&pool)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn organisations_and_administrators_are_created_by_the_operator() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    let org = certdesk(
        &[
            "org",
            "create",
            "--code",
            "ekdd",
            "--name",
            "Εθνική Σχολή Διοίκησης",
        ],
        &db,
    );
    assert!(
        org.status.success(),
        "{}",
        String::from_utf8_lossy(&org.stderr)
    );
    let again = certdesk(&["org", "create", "--code", "ekdd", "--name", "Άλλο"], &db);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let admin = certdesk(
        &[
            "admin",
            "create",
            "--org",
            "ekdd",
            "--username",
            "a.ioannou@ekdd.gr",
            "--name",
            "Άννα Ιωάννου",
            "--password",
            "a-long-password",
        ],
        &db,
    );
    assert!(
        admin.status.success(),
        "{}",
        String::from_utf8_lossy(&admin.stderr)
    );
    let unknown_org = certdesk(
        &[
            "admin",
            "create",
            "--org",
            "nope",
            "--username",
            "b@ekdd.gr",
            "--name",
            "Β",
            "--password",
            "a-long-password",
        ],
        &db,
    );
    assert!(!unknown_org.status.success());

    let store = SqliteStore::open(&db).await.unwrap();
    let record = store
        .administrator_by_username("a.ioannou@ekdd.gr")
        .await
        .unwrap()
        .expect("created");
    assert_eq!(record.full_name, "Άννα Ιωάννου");
    assert!(record.password_hash.starts_with("$argon2id$"));
    assert!(certdesk_app::tokens::verify_password(
        "a-long-password",
        &record.password_hash
    ));
    // The first login forces a new password and the second factor.
    assert!(record.security.must_change_password);
    assert!(record.security.second_factor_required);
}

#[tokio::test]
async fn admin_create_refuses_a_password_against_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    assert!(
        certdesk(&["org", "create", "--code", "ekdd", "--name", "ΕΚΔΔΑ"], &db)
            .status
            .success()
    );
    for (password, reason) in [
        ("short-pass1", "at least 12 characters"),
        ("password1234", "most common passwords"),
        ("c.ioannou@ekdd.gr", "same as the username"),
    ] {
        let out = certdesk(
            &[
                "admin",
                "create",
                "--org",
                "ekdd",
                "--username",
                "c.ioannou@ekdd.gr",
                "--name",
                "Χ",
                "--password",
                password,
            ],
            &db,
        );
        assert!(!out.status.success(), "{password}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(reason), "{password}: {stderr}");
        assert!(stderr.contains("Κωδικός"), "and in Greek: {stderr}");
    }
}

#[test]
fn demo_refuses_a_password_against_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .args(["demo"])
        .env("CERTDESK_DB", db_url(&dir))
        .env("CERTDESK_DEMO_PASSWORD", "demo")
        .env_remove("CERTDESK_LISTEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CERTDESK_DEMO_PASSWORD"), "{stderr}");
}

#[tokio::test]
async fn import_is_all_or_nothing_and_names_the_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    assert!(
        certdesk(&["org", "create", "--code", "ekdd", "--name", "ΕΚΔΔΑ"], &db)
            .status
            .success()
    );
    let header =
        "afm,surname,given_name,father_name,id_card,birth_date,email,mobile,unit,position\n";
    let good = "010509832,Παπαδόπουλος,Γεώργιος,Νικόλαος,ΑΒ123456,1980-02-29,g.papadopoulos@ekdd.gr,6912345678,Τμήμα Α,Υπάλληλος\n\
                090000045,Νικολάου,Ελένη,Ιωάννης,,,,,Τμήμα Β,\n";
    let bad_file = dir.path().join("bad.csv");
    std::fs::write(
        &bad_file,
        format!("{header}{good}123456789,Λάθος,ΑΦΜ,Χ,,,,,,\n"),
    )
    .unwrap();
    let bad = certdesk(
        &["import", bad_file.to_str().unwrap(), "--org", "ekdd"],
        &db,
    );
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("γραμμή 4, πεδίο afm"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");

    let store = SqliteStore::open(&db).await.unwrap();
    let org = store.organisation_by_code("ekdd").await.unwrap().unwrap();
    assert_eq!(count(&store, org.id, None).await, 0);

    let good_file = dir.path().join("good.csv");
    std::fs::write(&good_file, format!("{header}{good}")).unwrap();
    let imported = certdesk(
        &["import", good_file.to_str().unwrap(), "--org", "ekdd"],
        &db,
    );
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert!(stdout(&imported).contains("imported 2 employees"));
    assert_eq!(count(&store, org.id, None).await, 2);

    // The same file again: the ΑΦΜ are registered already, and nothing more is imported.
    let again = certdesk(
        &["import", good_file.to_str().unwrap(), "--org", "ekdd"],
        &db,
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("γραμμή 2, πεδίο afm"));
    assert_eq!(count(&store, org.id, None).await, 2);

    // With --update the registered ΑΦΜ update their employees; progress goes to stderr in
    // plain lines when it is not a terminal.
    let updated = certdesk(
        &[
            "import",
            good_file.to_str().unwrap(),
            "--org",
            "ekdd",
            "--update",
        ],
        &db,
    );
    assert!(updated.status.success());
    assert!(
        stdout(&updated).contains("imported 2 employees into ekdd (0 new, 2 updated)"),
        "{}",
        stdout(&updated)
    );
    let progress = String::from_utf8_lossy(&updated.stderr);
    assert!(progress.contains("έλεγχος: 100% (2 γραμμές"), "{progress}");
    assert!(
        progress.contains("αποθήκευση: 100% (2 γραμμές"),
        "{progress}"
    );
    assert_eq!(count(&store, org.id, None).await, 2);

    // A file in Windows-1253: refused as not UTF-8, read with --encoding.
    let greek_windows = dir.path().join("windows.csv");
    let mut bytes = header.as_bytes().to_vec();
    // «020000015,Ρήγας,Ανδρέας,Ιωάννης» in Windows-1253.
    bytes.extend_from_slice(b"020000015,\xD1\xDE\xE3\xE1\xF2,\xC1\xED\xE4\xF1\xDD\xE1\xF2,\xC9\xF9\xDC\xED\xED\xE7\xF2,,,,,,\r\n");
    std::fs::write(&greek_windows, &bytes).unwrap();
    let path = greek_windows.to_str().unwrap();
    let refused = certdesk(&["import", path, "--org", "ekdd"], &db);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("γραμμή 2: το αρχείο δεν είναι σε UTF-8"),
        "{stderr}"
    );
    let read = certdesk(
        &[
            "import",
            path,
            "--org",
            "ekdd",
            "--encoding",
            "windows-1253",
        ],
        &db,
    );
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let found = store
        .employee_by_afm(
            &Scope::Organisations(vec![org.id]),
            &certdesk_domain::validation::Afm::parse("020000015").unwrap(),
        )
        .await
        .unwrap()
        .expect("imported");
    assert_eq!(found.surname.as_str(), "Ρήγας");
}

#[tokio::test]
async fn no_demo_application_is_stale_enough_to_expire() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    assert!(certdesk(&["demo"], &db).status.success());
    let store = SqliteStore::open(&db).await.unwrap();
    let ninety_days_ago = chrono::Utc::now() - chrono::Duration::days(90);
    assert_eq!(
        store.stale_applications(ninety_days_ago, 10).await.unwrap(),
        Vec::<i64>::new()
    );
}

#[tokio::test]
async fn migrate_and_backup_give_a_usable_copy() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    let migrated = certdesk(&["migrate"], &db);
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    assert!(
        certdesk(&["org", "create", "--code", "ekdd", "--name", "ΕΚΔΔΑ"], &db)
            .status
            .success()
    );
    let copy = dir.path().join("copy.db");
    let backup = certdesk(&["backup", "--to", copy.to_str().unwrap()], &db);
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    // The copy opens as a certdesk database with the same data; a second backup to it is refused.
    let restored = SqliteStore::open(&format!("sqlite://{}", copy.display()))
        .await
        .unwrap();
    assert_eq!(
        restored
            .organisation_by_code("ekdd")
            .await
            .unwrap()
            .unwrap()
            .name,
        "ΕΚΔΔΑ"
    );
    assert!(
        !certdesk(&["backup", "--to", copy.to_str().unwrap()], &db)
            .status
            .success()
    );
}

fn certdesk_with_kek(args: &[&str], db: &str, kek: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_certdesk"));
    command
        .args(args)
        .env("CERTDESK_DB", db)
        .env_remove("CERTDESK_LISTEN")
        .env_remove("CERTDESK_KEK_FILE");
    match kek {
        Some(kek) => command.env("CERTDESK_KEK", kek),
        None => command.env_remove("CERTDESK_KEK"),
    };
    command.output().expect("the binary runs")
}

#[test]
fn ca_init_seals_the_keys_and_a_wrong_or_missing_kek_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    let kek = "11".repeat(32);
    let init = certdesk_with_kek(
        &["ca", "init", "--public-url", "http://pki.example.gr"],
        &db,
        Some(&kek),
    );
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let out = stdout(&init);
    assert!(out.contains("CN=certdesk Root CA"), "{out}");
    assert!(out.contains("CN=certdesk Qualified Signature CA"), "{out}");
    assert!(out.contains("SHA-256 fingerprint: "), "{out}");
    assert!(out.contains("CRL: http://pki.example.gr/pki/crl"), "{out}");

    // A second CA is refused; `ca show` needs no key.
    let again = certdesk_with_kek(&["ca", "init"], &db, Some(&kek));
    assert!(!again.status.success());
    let show = certdesk_with_kek(&["ca", "show"], &db, None);
    assert!(show.status.success());
    assert!(stdout(&show).contains("algorithm: ecdsa-p256"));

    // The server does not start with another key, or with none, and says why.
    for (kek, expected) in [
        (
            Some("22".repeat(32)),
            "is not the one the CA was created with",
        ),
        (None, "the CA's private keys are sealed"),
        (Some("not hex".to_owned()), "64 hexadecimal characters"),
    ] {
        let serve = certdesk_with_kek(&["serve", "--listen", "127.0.0.1:0"], &db, kek.as_deref());
        assert!(!serve.status.success(), "serve started with {kek:?}");
        let stderr = String::from_utf8_lossy(&serve.stderr);
        assert!(stderr.contains(expected), "{kek:?}: {stderr}");
        assert!(
            !stderr.contains(&"22".repeat(32)),
            "the key is never printed"
        );
    }
}

#[test]
fn an_http_registry_is_refused_outside_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    // A listen address that cannot be bound: a server that gets past the registry's check stops
    // there, instead of serving.
    let serve = |extra: &[&str]| {
        let mut args = vec!["serve", "--listen", "127.0.0.1:not-a-port"];
        args.extend_from_slice(extra);
        let output = certdesk(&args, &db);
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let refused = serve(&["--registry-url", "http://registry.example.gr/"]);
    assert!(refused.contains("--registry-url"), "{refused}");
    let greek = refused
        .find("πρέπει να είναι https://")
        .unwrap_or_else(|| panic!("{refused}"));
    let english = refused
        .find("must be https:// unless --demo")
        .unwrap_or_else(|| panic!("{refused}"));
    assert!(greek < english, "Greek first: {refused}");
    assert!(!refused.contains("registry.example.gr"), "{refused}");
    assert!(!refused.contains("cannot listen"), "{refused}");

    // https://, or http:// with --demo, pass the check (and stop at the listen address).
    for allowed in [
        &["--registry-url", "https://registry.example.gr/"][..],
        &["--demo", "--registry-url", "http://127.0.0.1:8090/"][..],
    ] {
        let stopped = serve(allowed);
        assert!(stopped.contains("cannot listen"), "{allowed:?}: {stopped}");
        assert!(
            !stopped.contains("must be https://"),
            "{allowed:?}: {stopped}"
        );
    }
}

#[test]
fn a_read_replica_is_refused_beside_a_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    let serve = |replica: &str| {
        let output = certdesk(
            &["serve", "--listen", "127.0.0.1:0", "--read-db", replica],
            &db,
        );
        assert!(!output.status.success(), "serve started with {replica}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let refused = serve("postgres://reader:secret@replica.example.gr/certdesk");
    let greek = refused
        .find("αντίγραφο ανάγνωσης υπάρχει μόνο για βάση PostgreSQL")
        .unwrap_or_else(|| panic!("{refused}"));
    let english = refused
        .find("a read replica needs a PostgreSQL primary")
        .unwrap_or_else(|| panic!("{refused}"));
    assert!(greek < english, "Greek first: {refused}");
    assert!(!refused.contains("secret"), "{refused}");
    assert!(
        !std::path::Path::new(&dir.path().join("certdesk.db")).exists(),
        "refused before the database is opened"
    );
    // Beside a PostgreSQL primary, the replica must be one too (checked before connecting).
    let output = certdesk(
        &["serve", "--listen", "127.0.0.1:0", "--read-db", &db],
        "postgres://certdesk@127.0.0.1:1/certdesk",
    );
    assert!(!output.status.success());
    let refused = String::from_utf8_lossy(&output.stderr);
    assert!(
        refused.contains("η διεύθυνση του αντιγράφου πρέπει να είναι postgres://"),
        "{refused}"
    );
    assert!(!refused.contains("cannot open"), "{refused}");
}
