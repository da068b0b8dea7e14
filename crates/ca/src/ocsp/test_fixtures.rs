//! What the tests of the request and of the response both need: a CA, and the requests a client
//! makes of it.

use chrono::{DateTime, Utc};
use der::asn1::{Any, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::Extension;
use x509_cert::serial_number::SerialNumber;
use x509_ocsp::{
    BasicOcspResponse, CertId, OcspRequest, OcspResponse, OcspResponseStatus, Request, TbsRequest,
    Version,
};
use x509_parser::prelude::FromDer;

use super::request::NONCE;
use super::responder::{SHA1_OID, SHA256_OID};
use crate::authority::create;
use crate::{Algorithm, Authority, CaSettings, KeyEncryptionKey};

pub(super) fn authority(algorithm: Algorithm) -> Authority {
    let kek = KeyEncryptionKey::from_hex(&"cd".repeat(32)).unwrap();
    let mut settings = CaSettings::new("http://pki.example.gr");
    settings.algorithm = algorithm;
    let sealed = create(&settings, &kek, Utc::now()).unwrap();
    Authority::open(sealed, &kek).unwrap()
}

/// The CertID a client makes for `serial` of the certificate `issuer_der` issued.
pub(super) fn cert_id(issuer_der: &[u8], serial: &[u8], sha256: bool) -> CertId {
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

pub(super) fn extension(oid: ObjectIdentifier, critical: bool, value: &[u8]) -> Extension {
    Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_vec()).unwrap(),
    }
}

pub(super) fn nonce(bytes: &[u8]) -> Extension {
    let inner = OctetString::new(bytes.to_vec()).unwrap().to_der().unwrap();
    extension(NONCE, false, &inner)
}

pub(super) fn request(ids: Vec<CertId>, extensions: Vec<Extension>) -> Vec<u8> {
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
pub(super) fn verified(authority: &Authority, der: &[u8]) -> BasicOcspResponse {
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
    let (_, algorithm) = x509_parser::x509::AlgorithmIdentifier::from_der(&algorithm_der).unwrap();
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

pub(super) fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}
