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
    })
}

/// Opens the installation's CA for issuing: `None` when there is no CA yet; an error when there
/// is one and the KEK is missing or wrong, or its keys are in a PKCS#11 token not given or not
/// opened (the server must not start half-able).
pub async fn open(
    store: &dyn Store,
    kek: Option<KeyEncryptionKey>,
    token: Option<&TokenConfig>,
) -> AppResult<Option<CaIssuer>> {
    let Some(record) = store.authority().await? else {
        return Ok(None);
    };
    let sealed = from_record(record)?;
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
    let authority = Authority::open_with_token(sealed, &kek, token)
        .map_err(|e| AppError::Configuration(format!("cannot open the CA: {e}")))?;
    Ok(Some(CaIssuer {
        authority,
        kek,
        validity: DEFAULT_VALIDITY,
    }))
}
