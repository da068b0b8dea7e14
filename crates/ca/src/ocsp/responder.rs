//! The OCSP responder: the issuing CA, with the hashes a CertID names it by and the algorithm
//! it signs with.

use der::asn1::{Any, ObjectIdentifier};
use rcgen::PublicKeyData as _;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_ocsp::CertId;

use crate::{Authority, CaError};

pub(super) const SHA1_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
pub(super) const SHA256_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// The issuing CA as an OCSP responder: what the CertIDs are compared with, and the signing key.
pub struct OcspResponder<'a> {
    pub(super) authority: &'a Authority,
    /// SHA-1 and SHA-256 of the issuing CA's subject (its DER, as in its certificate).
    name_hashes: [Vec<u8>; 2],
    /// SHA-1 and SHA-256 of the issuing CA's subjectPublicKey BIT STRING contents.
    key_hashes: [Vec<u8>; 2],
    pub(super) signature_algorithm: AlgorithmIdentifierOwned,
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
    pub(super) fn is_ours(&self, cert_id: &CertId) -> bool {
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
}
