//! Signing with a beneficiary's key (issue 11). certdesk keeps the key sealed by the KEK under
//! its application's context; it is opened for one call, signs the digests given (SHA-256,
//! signed as they are: the caller hashed the document) and is dropped, zeroized.

use aws_lc_rs::digest::{Digest, SHA256};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
use zeroize::Zeroizing;

use crate::authority::beneficiary_key_context;
use crate::{CaError, KeyEncryptionKey};

/// ECDSA with SHA-256 (`1.2.840.10045.4.3.2`), the algorithm of every signature made here.
pub const SIGNATURE_ALGORITHM_OID: &str = certdesk_domain::csc::ECDSA_WITH_SHA256_OID;
/// The key's algorithm: an elliptic-curve public key (`1.2.840.10045.2.1`) on P-256.
pub const KEY_ALGORITHM_OID: &str = certdesk_domain::csc::EC_PUBLIC_KEY_OID;

/// Signs each SHA-256 digest with the key of application `application_id`: DER-encoded
/// `ECDSA-Sig-Value`s, in the order of the digests.
pub fn sign_digests(
    kek: &KeyEncryptionKey,
    application_id: i64,
    sealed_key: &[u8],
    digests: &[[u8; 32]],
) -> Result<Vec<Vec<u8>>, CaError> {
    let pkcs8: Zeroizing<Vec<u8>> =
        kek.open(sealed_key, &beneficiary_key_context(application_id))?;
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8)
        .map_err(|e| CaError::Invalid(format!("the beneficiary's key cannot be read: {e}")))?;
    digests
        .iter()
        .map(|digest| {
            let digest = Digest::import_less_safe(digest, &SHA256)
                .map_err(|e| CaError::Invalid(format!("a digest cannot be read: {e}")))?;
            let signature = key
                .sign_digest(&digest)
                .map_err(|e| CaError::Invalid(format!("signing failed: {e}")))?;
            Ok(signature.as_ref().to_vec())
        })
        .collect()
}
