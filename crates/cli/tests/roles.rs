//! The operator's commands of issue 10 and `certdesk audit export`, run as a real process.

use std::process::{Command, Output};

use certdesk_domain::Role;
use certdesk_store::prelude::*;
use certdesk_store::sqlite::SqliteStore;

fn certdesk(args: &[&str], db: &str) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .args(args)
        .env("CERTDESK_DB", db)
        .env_remove("CERTDESK_LISTEN")
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "certdesk {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[tokio::test]
async fn the_operator_commands_change_accounts_and_the_export_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("certdesk.db").display());
    for code in ["ekdd", "ypes"] {
        certdesk(&["org", "create", "--code", code, "--name", code], &db);
    }
    let user = ["--username", "a.ioannou@ekdd.gr"];
    certdesk(
        &[
            &["admin", "create", "--org", "ekdd"][..],
            &user,
            &["--name", "Άννα", "--password", "a-long-password"],
        ]
        .concat(),
        &db,
    );
    certdesk(
        &[
            "operator",
            "create",
            "--username",
            "op@x.gr",
            "--name",
            "Ορέστης",
            "--password",
            "operator-password",
        ],
        &db,
    );
    certdesk(
        &[
            "auditor",
            "create",
            "--username",
            "au@x.gr",
            "--name",
            "Αυγή",
            "--password",
            "auditor-password",
        ],
        &db,
    );
    certdesk(
        &[&["admin", "assign"][..], &user, &["--org", "ypes"]].concat(),
        &db,
    );
    let reset = certdesk(&[&["admin", "reset-password"][..], &user].concat(), &db);
    let reset = String::from_utf8_lossy(&reset.stdout).into_owned();
    let temporary = reset
        .lines()
        .find_map(|l| l.strip_prefix("temporary-password: "))
        .expect("the temporary password, printed once")
        .to_owned();
    certdesk(&[&["admin", "reset-otp"][..], &user].concat(), &db);
    certdesk(&[&["admin", "end-sessions"][..], &user].concat(), &db);
    certdesk(&[&["admin", "disable"][..], &user].concat(), &db);

    let store = SqliteStore::open(&db).await.unwrap();
    let admin = store
        .administrator_by_username("a.ioannou@ekdd.gr")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.organisation_ids.len(), 2);
    assert!(admin.disabled);
    let roles = |u: &'static str| {
        let store = store.clone();
        async move {
            store
                .administrator_by_username(u)
                .await
                .unwrap()
                .unwrap()
                .role
        }
    };
    assert_eq!(roles("op@x.gr").await, Role::Operator);
    assert_eq!(roles("au@x.gr").await, Role::Auditor);

    let out = dir.path().join("log.jsonl");
    let out_arg = out.display().to_string();
    certdesk(&["audit", "export", "--out", &out_arg], &db);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains(&temporary) && !text.contains("password\":"));
    let kinds: Vec<String> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            for key in ["at", "kind", "actor", "subject", "address", "detail"] {
                assert!(v.get(key).is_some(), "{key} in {l}");
            }
            v["kind"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "account_created",
            "account_created",
            "account_assigned",
            "password_reset",
            "second_factor_reset",
            "sessions_ended",
            "account_disabled",
        ]
    );
    // Nothing since a time after the last event; to standard output without --out.
    let later = certdesk(&["audit", "export", "--since", "2999-01-01T00:00:00Z"], &db);
    assert!(later.stdout.is_empty());
}
