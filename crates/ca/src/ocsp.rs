//! The OCSP responder of the issuing CA (RFC 6960), at [`Authority::ocsp_url`].
//!
//! The issuing CA answers for itself: every response is signed by the issuing CA's own key, with
//! the signature algorithm of that key (ECDSA P-256 with SHA-256 by default, sha256WithRSAEncryption
//! for an RSA CA), so relying parties need no delegated responder certificate and the response
//! carries no certificate (`certs` is absent: the client has the issuer already, it asked about
//! it). The responder is named by key (`responderID byKey`, the SHA-1 of the issuing CA's
//! subjectPublicKey BIT STRING contents, RFC 6960 §4.2.1).
//!
//! Answering takes two steps, so that this crate does no IO: [`OcspResponder::parse_request`]
//! reads the request and says which serial numbers it asks about (only those whose CertID names
//! the issuing CA, by SHA-1 or SHA-256 hashes of its name and key); the caller looks them up and
//! hands their statuses to [`OcspResponder::respond`], which signs a BasicOCSPResponse:
//! `good`, `revoked` (with the revocation time and reason) or `unknown`, each with
//! `thisUpdate` = now and `nextUpdate` = now + [`DEFAULT_OCSP_VALIDITY`], the request's nonce
//! echoed. A request the responder cannot read gets [`refusal`]`(MalformedRequest)`. Responses
//! are signed per request, like the CRL: a revocation shows at once on every server.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use der::asn1::{Any, BitString, GeneralizedTime, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use rcgen::{PublicKeyData as _, SigningKey as _};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::CrlReason;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse,
    OcspResponseStatus, ResponderId, ResponseData, RevokedInfo, SingleResponse, Version,
};

use crate::{Authority, CaError};

/// How long an OCSP response is valid: its `nextUpdate` is this long after its `thisUpdate`.
pub const DEFAULT_OCSP_VALIDITY: Duration = Duration::hours(1);

/// The MIME types of RFC 6960 appendix C.
pub const REQUEST_CONTENT_TYPE: &str = "application/ocsp-request";
pub const RESPONSE_CONTENT_TYPE: &str = "application/ocsp-response";

/// The most certificates one request may ask about (each costs a look-up); more is refused as a
/// malformed request. Clients ask about one (RFC 5019 wants exactly one).
pub const MAX_CERTIFICATES_PER_REQUEST: usize = 32;

/// id-pkix-ocsp-nonce (RFC 6960 §4.4.1).
const NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// The request extensions of RFC 6960 §4.4 that this responder knows: the nonce (echoed),
/// acceptable responses (it always answers id-pkix-ocsp-basic, which every client must accept),
/// the service locator and the preferred signature algorithms (both may be ignored, §4.4.6 and
/// §4.4.7).
const KNOWN_EXTENSIONS: [ObjectIdentifier; 4] = [
    NONCE,
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.4"),
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.7"),
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.8"),
];
/// The longest nonce accepted (RFC 9654 §2.1: 1 to 128 octets, else malformedRequest).
const MAX_NONCE_LEN: usize = 128;

const SHA1_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const SHA256_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// What the store says of one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateStatus {
    /// Issued by this CA and not revoked.
    Good,
    /// Revoked at `at`, with the RFC 5280 CRLReason code `reason` (none, or 0, is written as no
    /// reason).
    Revoked {
        at: DateTime<Utc>,
        reason: Option<i32>,
    },
    /// Not a certificate of this CA.
    Unknown,
}

/// The unsuccessful statuses of RFC 6960 §4.2.1 this responder answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The request could not be read, or asks about nothing, too much, or with a bad nonce.
    MalformedRequest,
    /// The responder failed (e.g. the store did not answer).
    InternalError,
    /// The request carries a critical extension the responder does not know.
    Unauthorized,
}

/// The DER of an OCSPResponse with an unsuccessful status and no response bytes.
pub fn refusal(refusal: Refusal) -> Vec<u8> {
    let response = match refusal {
        Refusal::MalformedRequest => OcspResponse::malformed_request(),
        Refusal::InternalError => OcspResponse::internal_error(),
        Refusal::Unauthorized => OcspResponse::unauthorized(),
    };
    response
        .to_der()
        .expect("an OCSP response of a status alone encodes")
}

/// The request of an OCSP GET (RFC 6960 appendix A.1): the URL's last part is the DER request in
/// base64, possibly percent-encoded. Also accepted: the URL-safe alphabet, missing padding, and
/// `+` turned into a space by a client that form-encoded it.
pub fn decode_get_request(path_part: &str) -> Option<Vec<u8>> {
    let bytes = path_part.as_bytes();
    let mut text = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let value = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            text.push(value);
            i += 3;
        } else {
            text.push(b);
            i += 1;
        }
    }
    let text: Vec<u8> = text
        .into_iter()
        .filter(|b| !matches!(b, b'\r' | b'\n'))
        .map(|b| match b {
            b' ' | b'-' => b'+',
            b'_' => b'/',
            other => other,
        })
        .collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine.decode(text).ok().filter(|der| !der.is_empty())
}

/// A request read by [`OcspResponder::parse_request`].
#[derive(Debug, Clone)]
pub struct ParsedRequest {
    cert_ids: Vec<CertId>,
    serials: Vec<Option<String>>,
    nonce: Option<Extension>,
}

impl ParsedRequest {
    /// For each certificate asked about, in order: its serial number (upper-case hexadecimal)
    /// when the request names the issuing CA as its issuer, `None` when it names another issuer
    /// (or hashes with an algorithm other than SHA-1 and SHA-256): that one is `unknown`.
    pub fn serials(&self) -> &[Option<String>] {
        &self.serials
    }

    /// Whether the request carries a nonce (which the response echoes).
    pub fn has_nonce(&self) -> bool {
        self.nonce.is_some()
    }
}

/// The issuing CA as an OCSP responder: what the CertIDs are compared with, and the signing key.
pub struct OcspResponder<'a> {
    authority: &'a Authority,
    /// SHA-1 and SHA-256 of the issuing CA's subject (its DER, as in its certificate).
    name_hashes: [Vec<u8>; 2],
    /// SHA-1 and SHA-256 of the issuing CA's subjectPublicKey BIT STRING contents.
    key_hashes: [Vec<u8>; 2],
    signature_algorithm: AlgorithmIdentifierOwned,
}

impl std::fmt::Debug for OcspResponder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcspResponder")
            .field("key_id", &hex::encode_upper(&self.key_hashes[0]))
            .finish_non_exhaustive()
    }
}

/// The AlgorithmIdentifier of the signatures a key of rcgen makes (RFC 5758 §3.2: no
/// parameters for ECDSA; RFC 4055 §5: NULL parameters for RSA).
fn signature_algorithm(
    algorithm: &'static rcgen::SignatureAlgorithm,
) -> Option<AlgorithmIdentifierOwned> {
    let (oid, null_parameters) = if algorithm == &rcgen::PKCS_ECDSA_P256_SHA256 {
        ("1.2.840.10045.4.3.2", false)
    } else if algorithm == &rcgen::PKCS_ECDSA_P384_SHA384 {
        ("1.2.840.10045.4.3.3", false)
    } else if algorithm == &rcgen::PKCS_RSA_SHA256 {
        ("1.2.840.113549.1.1.11", true)
    } else if algorithm == &rcgen::PKCS_RSA_SHA384 {
        ("1.2.840.113549.1.1.12", true)
    } else if algorithm == &rcgen::PKCS_RSA_SHA512 {
        ("1.2.840.113549.1.1.13", true)
    } else if algorithm == &rcgen::PKCS_ED25519 {
        ("1.3.101.112", false)
    } else {
        return None;
    };
    Some(AlgorithmIdentifierOwned {
        oid: ObjectIdentifier::new(oid).ok()?,
        parameters: null_parameters.then(Any::null),
    })
}

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

/// The length of a nonce: the OCTET STRING inside extnValue (RFC 9654), or extnValue itself for
/// the clients that put the bare value there.
fn nonce_len(extension: &Extension) -> usize {
    let value = extension.extn_value.as_bytes();
    match OctetString::from_der(value) {
        Ok(inner) => inner.as_bytes().len(),
        Err(_) => value.len(),
    }
}

impl Authority {
    /// The issuing CA as an OCSP responder.
    pub fn ocsp_responder(&self) -> Result<OcspResponder<'_>, CaError> {
        let (_, certificate) = x509_parser::parse_x509_certificate(&self.sealed().issuing_der)
            .map_err(|e| CaError::Invalid(format!("the issuing CA certificate: {e}")))?;
        let name = certificate.tbs_certificate.subject.as_raw();
        let key = certificate.public_key().subject_public_key.data.as_ref();
        let signing_key = self.issuer().key();
        let signature_algorithm =
            signature_algorithm(signing_key.algorithm()).ok_or_else(|| {
                CaError::Invalid("the issuing CA's key algorithm cannot sign OCSP".to_owned())
            })?;
        Ok(OcspResponder {
            authority: self,
            name_hashes: [Sha1::digest(name).to_vec(), Sha256::digest(name).to_vec()],
            key_hashes: [Sha1::digest(key).to_vec(), Sha256::digest(key).to_vec()],
            signature_algorithm,
        })
    }
}

impl OcspResponder<'_> {
    /// The responder's key identifier: SHA-1 of the issuing CA's subjectPublicKey.
    pub fn key_id(&self) -> &[u8] {
        &self.key_hashes[0]
    }

    /// Whether `cert_id` names the issuing CA as its issuer.
    fn is_ours(&self, cert_id: &CertId) -> bool {
        let which = if cert_id.hash_algorithm.oid == SHA1_OID {
            0
        } else if cert_id.hash_algorithm.oid == SHA256_OID {
            1
        } else {
            return false;
        };
        cert_id.issuer_name_hash.as_bytes() == self.name_hashes[which].as_slice()
            && cert_id.issuer_key_hash.as_bytes() == self.key_hashes[which].as_slice()
    }

    /// Reads a DER OCSPRequest. A signature on the request is neither needed nor checked.
    pub fn parse_request(&self, der: &[u8]) -> Result<ParsedRequest, Refusal> {
        let request = OcspRequest::from_der(der).map_err(|_| Refusal::MalformedRequest)?;
        let tbs = request.tbs_request;
        if tbs.request_list.is_empty() || tbs.request_list.len() > MAX_CERTIFICATES_PER_REQUEST {
            return Err(Refusal::MalformedRequest);
        }
        let mut nonce = None;
        for extension in tbs.request_extensions.into_iter().flatten() {
            if extension.extn_id == NONCE {
                if nonce.is_some() || !(1..=MAX_NONCE_LEN).contains(&nonce_len(&extension)) {
                    return Err(Refusal::MalformedRequest);
                }
                nonce = Some(extension);
            } else if extension.critical && !KNOWN_EXTENSIONS.contains(&extension.extn_id) {
                return Err(Refusal::Unauthorized);
            }
        }
        let mut cert_ids = Vec::with_capacity(tbs.request_list.len());
        let mut serials = Vec::with_capacity(tbs.request_list.len());
        for single in tbs.request_list {
            // RFC 6960 defines no single-request extension but the service locator, which may be
            // ignored; a critical one we do not know is refused as for the request's.
            if single
                .single_request_extensions
                .iter()
                .flatten()
                .any(|e| e.critical && !KNOWN_EXTENSIONS.contains(&e.extn_id))
            {
                return Err(Refusal::Unauthorized);
            }
            let cert_id = single.req_cert;
            serials.push(
                self.is_ours(&cert_id)
                    .then(|| hex::encode_upper(cert_id.serial_number.as_bytes())),
            );
            cert_ids.push(cert_id);
        }
        Ok(ParsedRequest {
            cert_ids,
            serials,
            nonce,
        })
    }

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
    use crate::authority::create;
    use crate::{Algorithm, CaSettings, KeyEncryptionKey};
    use x509_cert::serial_number::SerialNumber;
    use x509_ocsp::{Request, TbsRequest};
    use x509_parser::prelude::FromDer;

    fn authority(algorithm: Algorithm) -> Authority {
        let kek = KeyEncryptionKey::from_hex(&"cd".repeat(32)).unwrap();
        let mut settings = CaSettings::new("http://pki.example.gr");
        settings.algorithm = algorithm;
        let sealed = create(&settings, &kek, Utc::now()).unwrap();
        Authority::open(sealed, &kek).unwrap()
    }

    /// The CertID a client makes for `serial` of the certificate `issuer_der` issued.
    fn cert_id(issuer_der: &[u8], serial: &[u8], sha256: bool) -> CertId {
        let (_, issuer) = x509_parser::parse_x509_certificate(issuer_der).unwrap();
        let name = issuer.tbs_certificate.subject.as_raw();
        let key = issuer.public_key().subject_public_key.data.as_ref();
        let hash = |data: &[u8]| {
            if sha256 {
                Sha256::digest(data).to_vec()
            } else {
                Sha1::digest(data).to_vec()
            }
        };
        CertId {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: if sha256 { SHA256_OID } else { SHA1_OID },
                parameters: Some(Any::null()),
            },
            issuer_name_hash: OctetString::new(hash(name)).unwrap(),
            issuer_key_hash: OctetString::new(hash(key)).unwrap(),
            serial_number: SerialNumber::new(serial).unwrap(),
        }
    }

    fn extension(oid: ObjectIdentifier, critical: bool, value: &[u8]) -> Extension {
        Extension {
            extn_id: oid,
            critical,
            extn_value: OctetString::new(value.to_vec()).unwrap(),
        }
    }

    fn nonce(bytes: &[u8]) -> Extension {
        let inner = OctetString::new(bytes.to_vec()).unwrap().to_der().unwrap();
        extension(NONCE, false, &inner)
    }

    fn request(ids: Vec<CertId>, extensions: Vec<Extension>) -> Vec<u8> {
        OcspRequest {
            tbs_request: TbsRequest {
                version: Version::V1,
                requestor_name: None,
                request_list: ids
                    .into_iter()
                    .map(|req_cert| Request {
                        req_cert,
                        single_request_extensions: None,
                    })
                    .collect(),
                request_extensions: (!extensions.is_empty()).then_some(extensions),
            },
            optional_signature: None,
        }
        .to_der()
        .unwrap()
    }

    /// Decodes a successful response and checks its signature with the issuing CA's key.
    fn verified(authority: &Authority, der: &[u8]) -> BasicOcspResponse {
        let response = OcspResponse::from_der(der).unwrap();
        assert_eq!(response.response_status, OcspResponseStatus::Successful);
        let bytes = response.response_bytes.unwrap();
        assert_eq!(
            bytes.response_type,
            ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1"),
            "id-pkix-ocsp-basic"
        );
        let basic = BasicOcspResponse::from_der(bytes.response.as_bytes()).unwrap();
        let (_, issuing) =
            x509_parser::parse_x509_certificate(&authority.sealed().issuing_der).unwrap();
        let algorithm_der = basic.signature_algorithm.to_der().unwrap();
        let (_, algorithm) =
            x509_parser::x509::AlgorithmIdentifier::from_der(&algorithm_der).unwrap();
        let signature_der = basic.signature.to_der().unwrap();
        let (_, signature) =
            x509_parser::der_parser::asn1_rs::BitString::from_der(&signature_der).unwrap();
        x509_parser::verify::verify_signature(
            issuing.public_key(),
            &algorithm,
            &signature,
            &basic.tbs_response_data.to_der().unwrap(),
        )
        .expect("signed by the issuing CA");
        assert!(basic.certs.is_none());
        basic
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

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

    #[test]
    fn requests_the_responder_cannot_read_are_refused_as_rfc_6960_says() {
        let authority = authority(Algorithm::EcdsaP256);
        let responder = authority.ocsp_responder().unwrap();
        let issuing = authority.sealed().issuing_der.clone();
        let one = || vec![cert_id(&issuing, &[0x01], false)];
        let malformed = [
            Vec::new(),
            b"not DER".to_vec(),
            [request(one(), vec![]), vec![0]].concat(),
            request(vec![], vec![]),
            request(
                (0..=MAX_CERTIFICATES_PER_REQUEST as u8)
                    .map(|n| cert_id(&issuing, &[n + 1], false))
                    .collect(),
                vec![],
            ),
            request(one(), vec![nonce(&[])]),
            request(one(), vec![nonce(&[1; MAX_NONCE_LEN + 1])]),
            request(one(), vec![nonce(&[1; 16]), nonce(&[2; 16])]),
        ];
        for der in malformed {
            assert_eq!(
                responder.parse_request(&der).unwrap_err(),
                Refusal::MalformedRequest
            );
        }
        let critical = extension(ObjectIdentifier::new_unwrap("1.2.3.4"), true, &[5, 0]);
        assert_eq!(
            responder
                .parse_request(&request(one(), vec![critical]))
                .unwrap_err(),
            Refusal::Unauthorized
        );
        // Unknown extensions that are not critical are ignored; a bare nonce is echoed too.
        let ignored = extension(ObjectIdentifier::new_unwrap("1.2.3.4"), false, &[5, 0]);
        let bare_nonce = extension(NONCE, false, &[9; 20]);
        let parsed = responder
            .parse_request(&request(one(), vec![ignored, bare_nonce]))
            .unwrap();
        assert!(parsed.has_nonce());

        assert_eq!(refusal(Refusal::MalformedRequest), [0x30, 3, 0x0a, 1, 1]);
        assert_eq!(refusal(Refusal::InternalError), [0x30, 3, 0x0a, 1, 2]);
        assert_eq!(refusal(Refusal::Unauthorized), [0x30, 3, 0x0a, 1, 6]);
    }

    #[test]
    fn a_get_request_is_base64_possibly_percent_encoded() {
        let der: Vec<u8> = (0u8..=255).collect();
        let standard = base64::engine::general_purpose::STANDARD.encode(&der);
        assert!(standard.contains('+') && standard.contains('/') && standard.ends_with('='));
        let encoded = standard
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        assert_eq!(decode_get_request(&standard).unwrap(), der);
        assert_eq!(decode_get_request(&encoded).unwrap(), der);
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&der);
        assert_eq!(decode_get_request(&url_safe).unwrap(), der);
        assert_eq!(
            decode_get_request(&standard.replace('+', " ")).unwrap(),
            der
        );
        for bad in ["", "%", "%4", "%ZZ", "!!!!", "="] {
            assert_eq!(decode_get_request(bad), None, "{bad:?}");
        }
    }
}
