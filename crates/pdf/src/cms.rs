//! The CMS signature a PAdES signature dictionary holds (ETSI EN 319 142-1, baseline B-B): a
//! detached `SignedData` over the document's byte range, whose signed attributes are the
//! content type, the message digest and the signing certificate (`signingCertificateV2`); no
//! signing-time attribute (PAdES puts the time in the dictionary's `/M`). With a time-stamp
//! token, it is B-T: the token is the signer's one unsigned attribute (`timestamp.rs`). The signature over
//! the signed attributes is made elsewhere (the key never comes here): [`SignedAttributes::to_sign`]
//! is the SHA-256 digest to sign, and [`SignedAttributes::signed_data`] assembles the result.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Sequence};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;

use crate::PdfError;

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// `ESSCertIDv2` with the default hash algorithm (SHA-256) left out, and no `issuerSerial`.
#[derive(Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
}

/// `SigningCertificateV2` (RFC 5035) naming the one signing certificate.
#[derive(Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

/// The signed attributes of one signature, ready to be signed.
pub struct SignedAttributes {
    attributes: SetOfVec<Attribute>,
    signer: Certificate,
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, PdfError> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

impl SignedAttributes {
    /// The attributes for a document whose signed bytes have `content_digest` (SHA-256), signed
    /// by the holder of `signer_der`.
    pub fn new(content_digest: &[u8; 32], signer_der: &[u8]) -> Result<SignedAttributes, PdfError> {
        let signer = Certificate::from_der(signer_der)?;
        let essential = SigningCertificateV2 {
            certs: vec![EssCertIdV2 {
                cert_hash: OctetString::new(Sha256::digest(signer_der).to_vec())?,
            }],
        };
        let attributes = SetOfVec::try_from(vec![
            attribute(CONTENT_TYPE, Any::encode_from(&ID_DATA)?)?,
            attribute(
                MESSAGE_DIGEST,
                Any::encode_from(&OctetString::new(content_digest.to_vec())?)?,
            )?,
            attribute(SIGNING_CERTIFICATE_V2, Any::encode_from(&essential)?)?,
        ])?;
        Ok(SignedAttributes { attributes, signer })
    }

    /// The SHA-256 digest of the attributes' DER (as a SET OF): what the key signs.
    pub fn to_sign(&self) -> Result<[u8; 32], PdfError> {
        Ok(Sha256::digest(self.attributes.to_der()?).into())
    }

    /// The `ContentInfo` holding the detached `SignedData`, with `signature` (a DER
    /// ECDSA-with-SHA256 signature over [`Self::to_sign`]) and the certificates of `chain`
    /// (signer first, DER); with `timestamp` (a time-stamp token over the signature, DER),
    /// that as the unsigned attribute `id-aa-signatureTimeStampToken` (B-T).
    pub fn signed_data(
        self,
        signature: &[u8],
        chain: &[Vec<u8>],
        timestamp: Option<&[u8]>,
    ) -> Result<Vec<u8>, PdfError> {
        let sha256 = AlgorithmIdentifierOwned {
            oid: SHA256,
            parameters: None,
        };
        let certificates = chain
            .iter()
            .map(|der| Certificate::from_der(der).map(CertificateChoices::Certificate))
            .collect::<Result<Vec<_>, _>>()?;
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: self.signer.tbs_certificate.issuer.clone(),
                serial_number: self.signer.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: sha256.clone(),
            signed_attrs: Some(self.attributes),
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA256,
                parameters: None,
            },
            signature: OctetString::new(signature.to_vec())?,
            unsigned_attrs: timestamp
                .map(|token| {
                    let value = crate::timestamp::attribute_value(token)?;
                    let stamp = attribute(crate::timestamp::SIGNATURE_TIME_STAMP_TOKEN, value)?;
                    Ok::<_, PdfError>(SetOfVec::try_from(vec![stamp])?)
                })
                .transpose()?,
        };
        let signed_data = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![sha256])?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: ID_DATA,
                econtent: None,
            },
            certificates: Some(CertificateSet(SetOfVec::try_from(certificates)?)),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
        };
        let content = ContentInfo {
            content_type: ID_SIGNED_DATA,
            content: Any::encode_from(&signed_data)?,
        };
        Ok(content.to_der()?)
    }
}
