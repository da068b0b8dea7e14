//! The installation's CA as the store keeps it: opening it for issuing (with the KEK, and the
//! PKCS#11 token when its keys live in one), and the conversions between the CA crate's sealed
//! form and the store's record.

use certdesk_ca::{
    Algorithm, Authority, CaIssuer, DEFAULT_VALIDITY, KeyEncryptionKey, SealedAuthority,
    TokenConfig,
};
use certdesk_store::prelude::*;

use crate::error::{AppError, AppResult};

pub fn to_record(sealed: &SealedAuthority) -> AuthorityRecord {
    AuthorityRecord {
        algorithm: sealed.algorithm.code().to_owned(),
        public_url: sealed.public_url.clone(),
        root_der: sealed.root_der.clone(),
        issuing_der: sealed.issuing_der.clone(),
        sealed_root_key: sealed.sealed_root_key.clone(),
        sealed_issuing_key: sealed.sealed_issuing_key.clone(),
        kek_fingerprint: sealed.kek_fingerprint.clone(),
        created_at: sealed.created_at,
        root_crl: sealed.root_crl.clone(),
    }
}

pub fn from_record(record: AuthorityRecord) -> AppResult<SealedAuthority> {
    Ok(SealedAuthority {
        algorithm: Algorithm::parse(&record.algorithm).ok_or_else(|| {
            AppError::Configuration(format!("unknown CA algorithm {:?}", record.algorithm))
        })?,
        public_url: record.public_url,
        root_der: record.root_der,
        issuing_der: record.issuing_der,
        sealed_root_key: record.sealed_root_key,
        sealed_issuing_key: record.sealed_issuing_key,
        kek_fingerprint: record.kek_fingerprint,
        created_at: record.created_at,
        root_crl: record.root_crl,
    })
}

/// Opens the installation's CA for issuing: `None` when there is no CA yet; an error when there
/// is one and the KEK is missing or wrong, or its keys are in a PKCS#11 token not given or not
/// opened (the server must not start half-able). The root's CRL is signed again here when it is
/// missing or near its `nextUpdate` (`certdesk_ca::authority::root_crl_due`).
pub async fn open(
    store: &dyn Store,
    kek: Option<KeyEncryptionKey>,
    token: Option<&TokenConfig>,
) -> AppResult<Option<CaIssuer>> {
    let Some(record) = store.authority().await? else {
        return Ok(None);
    };
    let mut sealed = from_record(record)?;
    let Some(kek) = kek else {
        let whose = if sealed.token_key().is_some() {
            "the beneficiaries' private keys are sealed"
        } else {
            "the CA's private keys are sealed"
        };
        return Err(AppError::Configuration(format!(
            "{whose}: give the key-encryption key with --kek-file FILE, CERTDESK_KEK_FILE or \
             CERTDESK_KEK"
        )));
    };
    let now = chrono::Utc::now();
    if certdesk_ca::authority::root_crl_due(sealed.root_crl.as_deref(), now) {
        let crl = certdesk_ca::authority::sign_root_crl(&sealed, &kek, token, now)
            .map_err(|e| AppError::Configuration(format!("cannot sign the root's CRL: {e}")))?;
        store.save_root_crl(&crl).await?;
        tracing::info!("the root's CRL was signed again (it was missing or about to expire)");
        sealed.root_crl = Some(crl);
    }
    let authority = Authority::open_with_token(sealed, &kek, token)
        .map_err(|e| AppError::Configuration(format!("cannot open the CA: {e}")))?;
    Ok(Some(CaIssuer {
        authority,
        kek,
        validity: DEFAULT_VALIDITY,
    }))
}
