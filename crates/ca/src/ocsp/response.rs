//! Building the answer: a BasicOCSPResponse of the statuses the caller looked up, signed by the
//! issuing CA.

use chrono::{DateTime, Duration, Utc};
use der::Encode;
use der::asn1::{BitString, GeneralizedTime, OctetString};
use rcgen::SigningKey as _;
use x509_cert::ext::pkix::CrlReason;
use x509_ocsp::{
    BasicOcspResponse, CertStatus, OcspGeneralizedTime, OcspResponse, OcspResponseStatus,
    ResponderId, ResponseData, RevokedInfo, SingleResponse, Version,
};

use super::{CertificateStatus, OcspResponder, ParsedRequest};
use crate::CaError;

fn der_error(e: der::Error) -> CaError {
    CaError::Invalid(format!("OCSP encoding: {e}"))
}

fn generalized_time(at: DateTime<Utc>) -> Result<OcspGeneralizedTime, CaError> {
    let seconds = u64::try_from(at.timestamp())
        .map_err(|_| CaError::Invalid(format!("{at} is before 1970")))?;
    GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(seconds))
        .map(OcspGeneralizedTime)
        .map_err(der_error)
}

fn crl_reason(code: i32) -> Option<CrlReason> {
    Some(match code {
        1 => CrlReason::KeyCompromise,
        2 => CrlReason::CaCompromise,
        3 => CrlReason::AffiliationChanged,
        4 => CrlReason::Superseded,
        5 => CrlReason::CessationOfOperation,
        6 => CrlReason::CertificateHold,
        8 => CrlReason::RemoveFromCRL,
        9 => CrlReason::PrivilegeWithdrawn,
        10 => CrlReason::AaCompromise,
        _ => return None,
    })
}

impl OcspResponder<'_> {
    /// Signs the response to `request`, `statuses` being those of [`ParsedRequest::serials`] in
    /// the same order (a CertID of another issuer is `unknown` whatever its status says).
    /// Returns the DER of the whole OCSPResponse.
    pub fn respond(
        &self,
        request: &ParsedRequest,
        statuses: &[CertificateStatus],
        now: DateTime<Utc>,
        validity: Duration,
    ) -> Result<Vec<u8>, CaError> {
        if statuses.len() != request.cert_ids.len() {
            return Err(CaError::Invalid(format!(
                "{} statuses for {} certificates",
                statuses.len(),
                request.cert_ids.len()
            )));
        }
        if validity <= Duration::zero() {
            return Err(CaError::Invalid(
                "an OCSP response must be valid for some time".to_owned(),
            ));
        }
        let now = DateTime::from_timestamp(now.timestamp(), 0).expect("a valid time");
        let this_update = generalized_time(now)?;
        let next_update = generalized_time(now + validity)?;
        let mut responses = Vec::with_capacity(statuses.len());
        for ((cert_id, serial), status) in
            request.cert_ids.iter().zip(&request.serials).zip(statuses)
        {
            let cert_status = match (serial, status) {
                (None, _) | (_, CertificateStatus::Unknown) => CertStatus::unknown(),
                (Some(_), CertificateStatus::Good) => CertStatus::good(),
                (Some(_), CertificateStatus::Revoked { at, reason }) => {
                    CertStatus::revoked(RevokedInfo {
                        // Never after producedAt, were another server's clock ahead of ours.
                        revocation_time: generalized_time((*at).min(now))?,
                        revocation_reason: reason.and_then(crl_reason),
                    })
                }
            };
            responses.push(SingleResponse {
                cert_id: cert_id.clone(),
                cert_status,
                this_update,
                next_update: Some(next_update),
                single_extensions: None,
            });
        }
        let tbs_response_data = ResponseData {
            version: Version::V1,
            responder_id: ResponderId::ByKey(
                OctetString::new(self.key_id().to_vec()).map_err(der_error)?,
            ),
            produced_at: this_update,
            responses,
            response_extensions: request.nonce.clone().map(|nonce| vec![nonce]),
        };
        let tbs = tbs_response_data.to_der().map_err(der_error)?;
        let signature = self.authority.issuer().key().sign(&tbs)?;
        let basic = BasicOcspResponse {
            tbs_response_data,
            signature_algorithm: self.signature_algorithm.clone(),
            signature: BitString::from_bytes(&signature).map_err(der_error)?,
            certs: None,
        };
        let response = OcspResponse::successful(basic).map_err(der_error)?;
        debug_assert_eq!(response.response_status, OcspResponseStatus::Successful);
        response.to_der().map_err(der_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Algorithm;
    use crate::ocsp::DEFAULT_OCSP_VALIDITY;
    use crate::ocsp::test_fixtures::{at, authority, cert_id, nonce, request, verified};

    #[test]
    fn good_revoked_and_unknown_signed_by_the_issuing_ca_with_the_nonce_echoed() {
        for algorithm in [Algorithm::EcdsaP256, Algorithm::Rsa3072] {
            let authority = authority(algorithm);
            let responder = authority.ocsp_responder().unwrap();
            let issuing = authority.sealed().issuing_der.clone();
            let root = authority.sealed().root_der.clone();
            let ids = vec![
                cert_id(&issuing, &[0x01, 0xAB], false),
                cert_id(&issuing, &[0x02], true),
                cert_id(&issuing, &[0x03], false),
                // The root as issuer: not this responder's.
                cert_id(&root, &[0x01, 0xAB], false),
            ];
            let der = request(ids.clone(), vec![nonce(&[7; 16])]);
            let parsed = responder.parse_request(&der).unwrap();
            assert_eq!(
                parsed.serials(),
                &[
                    Some("01AB".to_owned()),
                    Some("02".to_owned()),
                    Some("03".to_owned()),
                    None
                ]
            );
            assert!(parsed.has_nonce());
            let now = at("2026-03-01T10:00:00.750Z");
            let statuses = [
                CertificateStatus::Good,
                CertificateStatus::Revoked {
                    at: at("2026-02-28T08:00:00.5Z"),
                    reason: Some(9),
                },
                CertificateStatus::Unknown,
                CertificateStatus::Good,
            ];
            let response = responder
                .respond(&parsed, &statuses, now, DEFAULT_OCSP_VALIDITY)
                .unwrap();
            let basic = verified(&authority, &response);
            let data = &basic.tbs_response_data;
            assert_eq!(
                data.responder_id,
                ResponderId::ByKey(OctetString::new(responder.key_id().to_vec()).unwrap())
            );
            assert_eq!(responder.key_id().len(), 20, "SHA-1");
            let seconds = |t: &OcspGeneralizedTime| t.0.to_unix_duration().as_secs() as i64;
            assert_eq!(seconds(&data.produced_at), now.timestamp());
            assert_eq!(
                data.response_extensions.as_deref(),
                Some(&[nonce(&[7; 16])][..]),
                "the nonce, as sent"
            );
            assert_eq!(data.responses.len(), 4);
            for (single, id) in data.responses.iter().zip(&ids) {
                assert_eq!(&single.cert_id, id, "the CertID, as asked");
                assert_eq!(seconds(&single.this_update), now.timestamp());
                assert_eq!(
                    seconds(single.next_update.as_ref().unwrap()),
                    (now + Duration::hours(1)).timestamp()
                );
            }
            assert_eq!(data.responses[0].cert_status, CertStatus::good());
            match data.responses[1].cert_status {
                CertStatus::Revoked(info) => {
                    assert_eq!(
                        seconds(&info.revocation_time),
                        at("2026-02-28T08:00:00Z").timestamp()
                    );
                    assert_eq!(info.revocation_reason, Some(CrlReason::PrivilegeWithdrawn));
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(data.responses[2].cert_status, CertStatus::unknown());
            assert_eq!(
                data.responses[3].cert_status,
                CertStatus::unknown(),
                "another issuer"
            );
        }
    }

    #[test]
    fn no_nonce_no_echo_and_an_unspecified_reason_is_left_out() {
        let authority = authority(Algorithm::EcdsaP256);
        let responder = authority.ocsp_responder().unwrap();
        let issuing = authority.sealed().issuing_der.clone();
        let der = request(vec![cert_id(&issuing, &[0x55], false)], vec![]);
        let parsed = responder.parse_request(&der).unwrap();
        assert!(!parsed.has_nonce());
        let now = Utc::now();
        let revoked = CertificateStatus::Revoked {
            at: now - Duration::days(1),
            reason: Some(0),
        };
        let response = responder
            .respond(&parsed, &[revoked], now, DEFAULT_OCSP_VALIDITY)
            .unwrap();
        let basic = verified(&authority, &response);
        assert!(basic.tbs_response_data.response_extensions.is_none());
        match basic.tbs_response_data.responses[0].cert_status {
            CertStatus::Revoked(info) => assert_eq!(info.revocation_reason, None),
            other => panic!("{other:?}"),
        }
        // Statuses must match the request.
        assert!(
            responder
                .respond(&parsed, &[], now, DEFAULT_OCSP_VALIDITY)
                .is_err()
        );
    }
}
