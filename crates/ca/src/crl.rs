//! The certificate revocation list of the issuing CA (RFC 5280 §5): a complete v2 CRL of every
//! certificate the CA revoked, signed by the issuing CA's key and served at
//! [`Authority::crl_url`].
//!
//! # Signed on every request, by every server
//!
//! certdesk signs a fresh CRL for each request, from the revocations the store holds at that
//! moment; it keeps no CRL in memory and none in the database. So a revocation is in the very next
//! CRL any server hands out ("re-signed on every revocation"), and no CRL is ever served after its
//! `nextUpdate` (each is served once, as it is made). With several servers on one database, each
//! signs its own CRLs with the same key: they all list the same revocations, and every one of them
//! is a valid, complete CRL of the issuing CA. Signing costs little next to reading the
//! revocations (an ECDSA P-256 signature is ~20 µs, see NOTES.md), and a cache would not spare that
//! read: a server cannot know that another server revoked a certificate without asking the
//! store.
//!
//! # The CRL number
//!
//! RFC 5280 §5.2.3 wants a CRL number that increases with every CRL, and different numbers for
//! CRLs issued at different times. The servers do not coordinate, so the number is made of what
//! every one of them sees in the same way ([`crl_number`]):
//! `revoked_count × 10^13 + thisUpdate in milliseconds since 1970`.
//!
//! - The time part makes the numbers of one server increase, and (at the millisecond) differ
//!   between CRLs signed at different times on any server.
//! - The count part makes a CRL with more revocations always outrank one with fewer, whatever the
//!   servers' clocks say: revocations are never undone nor dropped from the CRL (certdesk has no
//!   certificateHold, and keeps expired certificates listed), so the count only grows. Were the
//!   number the time alone, a server whose clock runs a little ahead could sign, just before a
//!   revocation, a CRL that outranks the one a slower server signs just after it, and a relying
//!   party keeping the CRL with the highest number would keep the one without the revocation.
//!   Here two CRLs whose order depends on the clocks list the same revocations.
//!
//! The number fits in 8 octets until 1.8 million revocations, and in 20 (RFC 5280's limit) for
//! any count a CA will reach.

use chrono::{DateTime, Duration, Utc};
use rcgen::{
    CertificateRevocationListParams, KeyIdMethod, RevocationReason, RevokedCertParams, SerialNumber,
};

use crate::{Authority, CaError};

/// How long a CRL is valid: its `nextUpdate` is this long after its `thisUpdate`.
pub const DEFAULT_CRL_VALIDITY: Duration = Duration::hours(24);

/// The MIME type of a DER CRL (RFC 2585).
pub const CRL_CONTENT_TYPE: &str = "application/pkix-crl";

/// One revoked certificate, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedCertificate {
    /// Upper-case hexadecimal, the bytes of the certificate's serial number.
    pub serial: String,
    pub revoked_at: DateTime<Utc>,
    /// The RFC 5280 CRLReason code; `None` or 0 (unspecified) writes no reason code extension
    /// (RFC 5280 §5.3.1).
    pub reason: Option<i32>,
}

/// The CRL number of a complete CRL listing `revoked_count` certificates, signed at `this_update`
/// (see the module's documentation).
pub fn crl_number(revoked_count: usize, this_update: DateTime<Utc>) -> u128 {
    const TIME_SPAN: u128 = 10_000_000_000_000; // 10^13 ms: until the year 2286
    let millis = u128::try_from(this_update.timestamp_millis()).unwrap_or(0) % TIME_SPAN;
    revoked_count as u128 * TIME_SPAN + millis
}

/// The rcgen reason of an RFC 5280 CRLReason code (`None` for unspecified and unknown codes).
pub fn revocation_reason(code: i32) -> Option<RevocationReason> {
    Some(match code {
        1 => RevocationReason::KeyCompromise,
        2 => RevocationReason::CaCompromise,
        3 => RevocationReason::AffiliationChanged,
        4 => RevocationReason::Superseded,
        5 => RevocationReason::CessationOfOperation,
        6 => RevocationReason::CertificateHold,
        8 => RevocationReason::RemoveFromCrl,
        9 => RevocationReason::PrivilegeWithdrawn,
        10 => RevocationReason::AaCompromise,
        _ => return None,
    })
}

/// The DER of a positive integer, as rcgen's `SerialNumber` wants it: big-endian, no leading zero
/// octets, a zero octet first when the high bit is set.
pub(crate) fn positive_integer(value: u128) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len() - 1);
    let mut out = Vec::with_capacity(17);
    if bytes[first] & 0x80 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&bytes[first..]);
    out
}

pub(crate) fn to_time(at: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(at.timestamp()).expect("a representable time")
}

/// The subject key identifier of a DER certificate, which the authority key identifier of what
/// it signs must repeat (RFC 5280 §4.2.1.1).
pub(crate) fn subject_key_identifier(der: &[u8]) -> Option<Vec<u8>> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    cert.iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(id) => {
                Some(id.0.to_vec())
            }
            _ => None,
        })
}

impl Authority {
    /// Signs the complete CRL of the issuing CA listing `revoked`, with `thisUpdate` = `now`
    /// (to the second) and `nextUpdate` = `now + validity` (see [`DEFAULT_CRL_VALIDITY`]).
    /// Returns its DER.
    pub fn sign_crl(
        &self,
        revoked: &[RevokedCertificate],
        now: DateTime<Utc>,
        validity: Duration,
    ) -> Result<Vec<u8>, CaError> {
        if validity <= Duration::zero() {
            return Err(CaError::Invalid(
                "a CRL must be valid for some time".to_owned(),
            ));
        }
        let this_update = DateTime::from_timestamp(now.timestamp(), 0).expect("a valid time");
        let key_id = subject_key_identifier(&self.sealed().issuing_der).ok_or_else(|| {
            CaError::Invalid("the issuing CA certificate has no subject key identifier".to_owned())
        })?;
        let mut revoked_certs = Vec::with_capacity(revoked.len());
        for entry in revoked {
            let serial = hex::decode(&entry.serial).map_err(|_| {
                CaError::Invalid(format!("{:?} is not a hexadecimal serial", entry.serial))
            })?;
            revoked_certs.push(RevokedCertParams {
                serial_number: SerialNumber::from_slice(&serial),
                // A revocation the store dates after `now` (another server's clock running
                // ahead) is listed as of `now`: RFC 5280 wants no revocation after thisUpdate.
                revocation_time: to_time(entry.revoked_at.min(this_update)),
                reason_code: entry.reason.and_then(revocation_reason),
                invalidity_date: None,
            });
        }
        let params = CertificateRevocationListParams {
            this_update: to_time(this_update),
            next_update: to_time(this_update + validity),
            crl_number: SerialNumber::from_slice(&positive_integer(crl_number(revoked.len(), now))),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::PreSpecified(key_id),
        };
        Ok(params.signed_by(self.issuer())?.der().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authority::create;
    use crate::{Algorithm, CaSettings, KeyEncryptionKey};
    use x509_parser::extensions::ParsedExtension;
    use x509_parser::prelude::{X509Version, parse_x509_certificate, parse_x509_crl};

    fn authority(algorithm: Algorithm) -> Authority {
        let kek = KeyEncryptionKey::from_hex(&"ab".repeat(32)).unwrap();
        let mut settings = CaSettings::new("http://pki.example.gr");
        settings.algorithm = algorithm;
        let sealed = create(&settings, &kek, Utc::now()).unwrap();
        Authority::open(sealed, &kek).unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn the_crl_number_grows_with_time_and_with_the_revocations_whatever_the_clocks() {
        let now = at("2026-03-01T10:00:00.250Z");
        assert_eq!(crl_number(0, now), 1_772_359_200_250);
        // Read in decimal: the count, then 13 digits of milliseconds.
        assert_eq!(crl_number(3, now), 31_772_359_200_250);
        assert!(crl_number(3, now + Duration::milliseconds(1)) > crl_number(3, now));
        // A server whose clock runs an hour behind, with one revocation more, still outranks.
        assert!(crl_number(4, now - Duration::hours(1)) > crl_number(3, now));
        assert_eq!(positive_integer(0), vec![0]);
        assert_eq!(positive_integer(0x80), vec![0, 0x80]);
        assert_eq!(positive_integer(0x0102), vec![1, 2]);
        assert!(positive_integer(crl_number(100_000_000, now)).len() <= 20);
    }

    #[test]
    fn a_crl_lists_the_revocations_with_their_reasons_and_is_signed_by_the_issuing_ca() {
        for algorithm in [Algorithm::EcdsaP256, Algorithm::Rsa3072] {
            let authority = authority(algorithm);
            let now = at("2026-03-01T10:00:00.250Z");
            let revoked = vec![
                RevokedCertificate {
                    serial: "0102A0".to_owned(),
                    revoked_at: at("2026-02-27T09:30:00.5Z"),
                    reason: Some(9),
                },
                RevokedCertificate {
                    serial: "7F00000000000000000000000000000F".to_owned(),
                    revoked_at: at("2026-02-28T09:30:00Z"),
                    reason: Some(0),
                },
            ];
            let der = authority
                .sign_crl(&revoked, now, DEFAULT_CRL_VALIDITY)
                .unwrap();
            let (rest, crl) = parse_x509_crl(&der).unwrap();
            assert!(rest.is_empty());
            assert_eq!(crl.version(), Some(X509Version::V2));
            let (_, issuing) = parse_x509_certificate(&authority.sealed().issuing_der).unwrap();
            assert_eq!(crl.issuer(), issuing.subject());
            crl.verify_signature(issuing.public_key()).unwrap();
            assert_eq!(crl.last_update().timestamp(), now.timestamp());
            assert_eq!(
                crl.next_update().unwrap().timestamp(),
                (now + Duration::hours(24)).timestamp()
            );
            assert_eq!(
                crl.crl_number().unwrap().to_string(),
                crl_number(2, now).to_string()
            );
            let aki = crl
                .extensions()
                .iter()
                .find_map(|e| match e.parsed_extension() {
                    ParsedExtension::AuthorityKeyIdentifier(aki) => aki.key_identifier.clone(),
                    _ => None,
                })
                .unwrap();
            assert_eq!(
                Some(aki.0.to_vec()),
                subject_key_identifier(&authority.sealed().issuing_der)
            );
            let entries: Vec<_> = crl.iter_revoked_certificates().collect();
            assert_eq!(entries.len(), 2);
            assert_eq!(hex::encode_upper(entries[0].raw_serial()), "0102A0");
            assert_eq!(
                entries[0].revocation_date.timestamp(),
                at("2026-02-27T09:30:00Z").timestamp()
            );
            assert_eq!(
                entries[0].reason_code().map(|(_, r)| r.0),
                Some(9),
                "privilegeWithdrawn"
            );
            assert_eq!(
                hex::encode_upper(entries[1].raw_serial()),
                "7F00000000000000000000000000000F"
            );
            assert!(
                entries[1].reason_code().is_none(),
                "unspecified: no extension"
            );
        }
    }

    #[test]
    fn an_empty_crl_is_still_a_crl_and_a_bad_serial_or_validity_is_refused() {
        let authority = authority(Algorithm::EcdsaP256);
        let now = Utc::now();
        let der = authority.sign_crl(&[], now, Duration::hours(1)).unwrap();
        let (_, crl) = parse_x509_crl(&der).unwrap();
        assert_eq!(crl.iter_revoked_certificates().count(), 0);
        let bad = RevokedCertificate {
            serial: "XYZ".to_owned(),
            revoked_at: now,
            reason: None,
        };
        assert!(authority.sign_crl(&[bad], now, Duration::hours(1)).is_err());
        assert!(authority.sign_crl(&[], now, Duration::zero()).is_err());
    }
}
