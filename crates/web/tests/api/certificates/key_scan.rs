//! The scan of the database for private keys in clear.

use super::issued;
use crate::backend::{Backend, backend};
use crate::helpers::*;

/// The secret scalar of a P-256 key in PKCS#8: the 32-byte OCTET STRING of its ECPrivateKey
/// (RFC 5915: `SEQUENCE { INTEGER 1, OCTET STRING (32) … }`), the part that must stay secret
/// whatever encoding holds it.
fn secret_scalar(pkcs8: &[u8]) -> &[u8] {
    let marker = [0x02, 0x01, 0x01, 0x04, 0x20];
    let at = pkcs8
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("a P-256 ECPrivateKey in the PKCS#8 key")
        + marker.len();
    &pkcs8[at..at + 32]
}

/// Issue 5: no private key bytes in the database in clear. Every key the test generated (the
/// CA's two and each beneficiary's) is looked for whole (its PKCS#8 DER) and as its bare secret
/// scalar: on SQLite in the database file and its WAL; on PostgreSQL in every row of every table,
/// read as text (where `bytea` is `\x` and hex). Each scan must find the keys as they are stored,
/// sealed, or it would prove nothing.
#[tokio::test]
async fn no_private_key_is_in_the_database_in_clear() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(issued(&app).await.1);
    }
    let kek = certdesk_ca::KeyEncryptionKey::from_hex(TEST_KEK_HEX).unwrap();
    let ca = test_ca_record();
    let mut sealed_keys = vec![ca.sealed_root_key.clone(), ca.sealed_issuing_key.clone()];
    let mut keys = vec![
        kek.open(&ca.sealed_root_key, "ca:root").unwrap().to_vec(),
        kek.open(&ca.sealed_issuing_key, "ca:issuing")
            .unwrap()
            .to_vec(),
    ];
    for id in &ids {
        let sealed = app.probe.sealed_key(*id).await;
        let key = kek
            .open(
                &sealed,
                &certdesk_ca::authority::beneficiary_key_context(*id),
            )
            .unwrap();
        keys.push(key.to_vec());
        sealed_keys.push(sealed);
    }
    for key in &keys {
        assert!(key.len() > 60, "a PKCS#8 key");
    }
    // What must not appear (the whole DER, the secret scalar), and what must (the sealed form).
    let secrets: Vec<&[u8]> = keys
        .iter()
        .flat_map(|key| [key.as_slice(), secret_scalar(key)])
        .collect();

    match backend() {
        Backend::Sqlite => {
            let file = app
                .database
                .url()
                .trim_start_matches("sqlite://")
                .to_owned();
            let mut bytes = std::fs::read(&file).unwrap();
            if let Ok(wal) = std::fs::read(format!("{file}-wal")) {
                bytes.extend(wal);
            }
            assert!(bytes.len() > 10_000, "the database file was read");
            let found = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
            for sealed in &sealed_keys {
                assert!(found(sealed), "the scan sees the sealed keys");
            }
            for secret in &secrets {
                assert!(!found(secret), "a private key in clear in {file}");
            }
        }
        Backend::Postgres => {
            let rows = app.probe.every_row_as_text().await;
            let text: usize = rows.iter().map(|(_, row)| row.len()).sum();
            assert!(text > 10_000, "the rows were read: {text} characters");
            let found = |needle: &[u8]| {
                let hex = hex::encode(needle);
                rows.iter()
                    .find(|(_, row)| row.contains(&hex))
                    .map(|(table, _)| table.clone())
            };
            for sealed in &sealed_keys {
                assert!(found(sealed).is_some(), "the scan sees the sealed keys");
            }
            for secret in &secrets {
                assert_eq!(found(secret), None, "a private key in clear");
            }
        }
    }
}
