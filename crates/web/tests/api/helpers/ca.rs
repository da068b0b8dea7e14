//! The test CA: one for the whole test binary, as `certdesk ca init` makes it.

use std::sync::{Arc, LazyLock};

use chrono::Utc;

/// One CA for the whole test binary (its KEK in [`TEST_KEK_HEX`]), as `certdesk ca init` makes.
static TEST_CA: LazyLock<(Arc<certdesk_ca::CaIssuer>, certdesk_store::AuthorityRecord)> =
    LazyLock::new(|| ca_at("http://pki.certdesk.gr"));

/// A new CA (the KEK of [`TEST_KEK_HEX`]) whose certificates name `public_url` for their CRL,
/// OCSP and CA certificates, as `certdesk ca init --public-url` makes one.
pub fn ca_at(public_url: &str) -> (Arc<certdesk_ca::CaIssuer>, certdesk_store::AuthorityRecord) {
    let kek = certdesk_ca::KeyEncryptionKey::from_hex(TEST_KEK_HEX).unwrap();
    let sealed =
        certdesk_ca::authority::create(&certdesk_ca::CaSettings::new(public_url), &kek, Utc::now())
            .unwrap();
    let record = certdesk_app::ca::to_record(&sealed);
    let authority = certdesk_ca::Authority::open(sealed, &kek).unwrap();
    let issuer = certdesk_ca::CaIssuer {
        authority,
        kek,
        validity: certdesk_ca::DEFAULT_VALIDITY,
    };
    (Arc::new(issuer), record)
}

pub const TEST_KEK_HEX: &str = "6b65792d656e6372797074696f6e2d6b65792d666f722d7465737473212121ab";

/// The test CA, as the issuance job sees it.
pub fn test_ca() -> Arc<certdesk_ca::CaIssuer> {
    TEST_CA.0.clone()
}

/// The test CA as stored (spawn_app stores it in every test database).
pub fn test_ca_record() -> certdesk_store::AuthorityRecord {
    TEST_CA.1.clone()
}
