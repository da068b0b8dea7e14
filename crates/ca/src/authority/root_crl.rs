//! The root's CRL (an authority revocation list, RFC 5280 §5): the revocation status of the
//! issuing CA, which the issuing CA's certificate points to (its CRL distribution point,
//! [`root_crl_url`]). A validator that requires revocation data for every certificate of a path
//! (PAdES B-LT validated offline) needs it: without it the issuing CA has no status at all.
//!
//! The root key signs nothing else and stays sealed the rest of the time, so the list is signed
//! when the CA is created, kept with the CA, and signed again by `certdesk serve` at start-up
//! once it is within [`ROOT_CRL_RENEWAL`] of its `nextUpdate` ([`root_crl_due`]). certdesk never
//! revokes its issuing CA, so the list is always empty; a CA compromise is a new `ca init`.

use chrono::{DateTime, Duration, Utc};
use rcgen::{
    CertificateRevocationListParams, Issuer, KeyIdMethod, KeyPair, SerialNumber, SigningKey,
};

use super::sealed::ROOT_KEY_CONTEXT;
use super::{CaError, SealedAuthority};
use crate::crl::{crl_number, positive_integer, subject_key_identifier, to_time};
use crate::kek::KeyEncryptionKey;
use crate::pkcs11::{self, Token, TokenConfig};

/// How long the root's CRL is valid: its `nextUpdate` is a year after its `thisUpdate`
/// (ETSI EN 319 411-1 asks for a CA's CRL at least yearly).
pub const ROOT_CRL_VALIDITY: Duration = Duration::days(365);

/// How long before its `nextUpdate` the root's CRL is signed again.
pub const ROOT_CRL_RENEWAL: Duration = Duration::days(60);

/// Where the root's CRL is published under the CA's public address.
pub fn root_crl_url(public_url: &str) -> String {
    format!("{}/pki/root-ca.crl", public_url.trim_end_matches('/'))
}

/// Signs the root's (empty) CRL with the root's key, valid from `now` for
/// [`ROOT_CRL_VALIDITY`].
pub(super) fn sign_with<K: SigningKey>(
    root: &Issuer<'_, K>,
    root_der: &[u8],
    now: DateTime<Utc>,
) -> Result<Vec<u8>, CaError> {
    let this_update = DateTime::from_timestamp(now.timestamp(), 0).expect("a valid time");
    let key_id = subject_key_identifier(root_der).ok_or_else(|| {
        CaError::Invalid("the root CA certificate has no subject key identifier".to_owned())
    })?;
    let params = CertificateRevocationListParams {
        this_update: to_time(this_update),
        next_update: to_time(this_update + ROOT_CRL_VALIDITY),
        crl_number: SerialNumber::from_slice(&positive_integer(crl_number(0, this_update))),
        issuing_distribution_point: None,
        revoked_certs: Vec::new(),
        key_identifier_method: KeyIdMethod::PreSpecified(key_id),
    };
    Ok(params.signed_by(root)?.der().to_vec())
}

/// Signs a new CRL of the root of `sealed`, opening the root key for it: sealed by `kek`, or in
/// the PKCS#11 `token` for a CA whose root key lives in one.
pub fn sign_root_crl(
    sealed: &SealedAuthority,
    kek: &KeyEncryptionKey,
    token: Option<&TokenConfig>,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, CaError> {
    let root_der = sealed.root_der.as_slice();
    match pkcs11::key_reference(&sealed.sealed_root_key) {
        None => {
            let pkcs8 = kek.open(&sealed.sealed_root_key, ROOT_KEY_CONTEXT)?;
            let key = KeyPair::try_from(pkcs8.as_slice())?;
            let root = Issuer::from_ca_cert_der(&root_der.into(), key)?;
            sign_with(&root, root_der, now)
        }
        Some(reference) => {
            let Some(token) = token else {
                return Err(CaError::TokenNeeded {
                    token: reference.token,
                });
            };
            let key = Token::open(token)?.find_key(&reference.object)?;
            let root = Issuer::from_ca_cert_der(&root_der.into(), key)?;
            sign_with(&root, root_der, now)
        }
    }
}

/// Whether the root's CRL must be signed (again) at `now`: there is none, it cannot be read,
/// or its `nextUpdate` is less than [`ROOT_CRL_RENEWAL`] away.
pub fn root_crl_due(crl: Option<&[u8]>, now: DateTime<Utc>) -> bool {
    let Some(der) = crl else {
        return true;
    };
    let Ok((_, crl)) = x509_parser::parse_x509_crl(der) else {
        return true;
    };
    let Some(next_update) = crl.next_update() else {
        return true;
    };
    next_update.timestamp() - now.timestamp() < ROOT_CRL_RENEWAL.num_seconds()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CaSettings;
    use crate::authority::create;
    use x509_parser::prelude::{FromDer, X509Certificate, parse_x509_crl};

    #[test]
    fn the_root_signs_an_empty_crl_that_the_issuing_ca_points_to() {
        let kek = KeyEncryptionKey::from_hex(&"cd".repeat(32)).unwrap();
        let now = Utc::now();
        let sealed = create(&CaSettings::new("http://pki.example.gr/"), &kek, now).unwrap();
        let der = sealed.root_crl.clone().expect("signed at creation");
        let (_, crl) = parse_x509_crl(&der).unwrap();
        let (_, root) = X509Certificate::from_der(&sealed.root_der).unwrap();
        assert_eq!(crl.issuer(), root.subject());
        crl.verify_signature(root.public_key())
            .expect("signed by the root");
        assert_eq!(crl.iter_revoked_certificates().count(), 0);
        let next = crl.next_update().unwrap().timestamp();
        assert_eq!(
            next - crl.last_update().timestamp(),
            ROOT_CRL_VALIDITY.num_seconds()
        );

        let (_, issuing) = X509Certificate::from_der(&sealed.issuing_der).unwrap();
        let points = issuing
            .iter_extensions()
            .find_map(|ext| match ext.parsed_extension() {
                x509_parser::extensions::ParsedExtension::CRLDistributionPoints(points) => {
                    Some(format!("{points:?}"))
                }
                _ => None,
            })
            .expect("the issuing CA names a CRL distribution point");
        assert!(
            points.contains("http://pki.example.gr/pki/root-ca.crl"),
            "{points}"
        );

        assert!(!root_crl_due(Some(&der), now));
        assert!(!root_crl_due(
            Some(&der),
            now + ROOT_CRL_VALIDITY - ROOT_CRL_RENEWAL - Duration::days(1)
        ));
        assert!(root_crl_due(
            Some(&der),
            now + ROOT_CRL_VALIDITY - ROOT_CRL_RENEWAL + Duration::days(1)
        ));
        assert!(root_crl_due(None, now));
        assert!(root_crl_due(Some(b"not a CRL"), now));

        let later = now + Duration::days(330);
        let renewed = sign_root_crl(&sealed, &kek, None, later).unwrap();
        let (_, renewed) = parse_x509_crl(&renewed).unwrap();
        renewed.verify_signature(root.public_key()).unwrap();
        assert_eq!(renewed.last_update().timestamp(), later.timestamp());
        let (other, _) = KeyEncryptionKey::generate();
        assert!(sign_root_crl(&sealed, &other, None, later).is_err());
    }
}
