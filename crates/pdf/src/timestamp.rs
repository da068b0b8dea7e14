//! The signature timestamp of PAdES B-T (ETSI EN 319 142-1; RFC 3161, Appendix A): a
//! time-stamp token over the SHA-256 of the signature value, kept in the `SignerInfo` as the
//! unsigned attribute `id-aa-signatureTimeStampToken`. Here are the request to a time-stamping
//! authority (TSA) and the check of its reply; sending one and receiving the other is the
//! caller's (nothing here does IO).
//!
//! The check is that the TSA granted the request and that its token is about this signature
//! and this request: a `SignedData` holding a `TSTInfo` whose message imprint is the
//! signature's SHA-256 and whose nonce is the request's. The TSA's own signature over the token,
//! and whether its certificate is trusted, are the relying party's to verify (a validator does,
//! against the TSA's root), as for any timestamp.

use cmpv2::status::PkiStatus;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::{Int, ObjectIdentifier, OctetString, Uint};
use der::{Any, Decode, Encode, Sequence, Tag, Tagged};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifier;
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::name::GeneralName;
use x509_tsp::{Accuracy, MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

use crate::PdfError;

const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// `id-aa-signatureTimeStampToken` (RFC 3161, Appendix A).
pub(crate) const SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");

/// RFC 3161's `TSTInfo`, as `x509_tsp::TstInfo` but with `genTime` left undecoded: RFC 3161
/// allows fractional seconds there (pyHanko's tokens, and many TSAs', have them), which der
/// 0.7's `GeneralizedTime` refuses. Only the imprint and the nonce are read here; the time is
/// the validator's.
#[derive(Clone, Debug, Sequence)]
struct TstInfo {
    version: TspVersion,
    policy: ObjectIdentifier,
    message_imprint: MessageImprint,
    serial_number: Int,
    /// A `GeneralizedTime`, perhaps with fractional seconds.
    gen_time: Any,
    #[asn1(optional = "true")]
    accuracy: Option<Accuracy>,
    #[asn1(default = "Default::default")]
    ordering: bool,
    #[asn1(optional = "true")]
    nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    tsa: Option<GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    extensions: Option<Extensions>,
}

/// Why a TSA's reply is not a timestamp of this signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("the reply is not a DER TimeStampResp: {0}")]
    Malformed(String),
    #[error("the TSA did not grant the request (status {0})")]
    NotGranted(u8),
    #[error("the reply holds no time-stamp token")]
    NoToken,
    #[error("the token is not a SignedData holding a TSTInfo")]
    NotTstInfo,
    #[error("the token timestamps another digest")]
    WrongImprint,
    #[error("the token answers another request (nonce)")]
    WrongNonce,
}

impl From<der::Error> for TimestampError {
    fn from(error: der::Error) -> Self {
        TimestampError::Malformed(error.to_string())
    }
}

/// A request for the timestamp of one signature value, and what its reply must match.
#[derive(Debug, Clone)]
pub struct TimestampRequest {
    imprint: [u8; 32],
    nonce: Int,
    der: Vec<u8>,
}

fn sha256_imprint(digest: &[u8; 32]) -> Result<MessageImprint, der::Error> {
    Ok(MessageImprint {
        hash_algorithm: AlgorithmIdentifier {
            oid: SHA256,
            parameters: None,
        },
        hashed_message: OctetString::new(digest.to_vec())?,
    })
}

impl TimestampRequest {
    /// The `TimeStampReq` for `signature` (the signature value, as it goes in the
    /// `SignerInfo`): its SHA-256 as the message imprint, `nonce` (random, from the caller),
    /// no policy, and the TSA's certificate asked for in the token (`certReq`).
    pub fn new(signature: &[u8], nonce: [u8; 16]) -> Result<TimestampRequest, PdfError> {
        let imprint: [u8; 32] = Sha256::digest(signature).into();
        let nonce = Int::from(Uint::new(&nonce)?);
        let request = TimeStampReq {
            version: TspVersion::V1,
            message_imprint: sha256_imprint(&imprint)?,
            req_policy: None,
            nonce: Some(nonce.clone()),
            cert_req: true,
            extensions: None,
        };
        Ok(TimestampRequest {
            imprint,
            nonce,
            der: request.to_der()?,
        })
    }

    /// The request's DER, to send as `application/timestamp-query`.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The time-stamp token (DER `ContentInfo`) of `reply` (a DER `TimeStampResp`, as the
    /// TSA answered `application/timestamp-reply`), when it was granted and is about this
    /// request.
    pub fn token(&self, reply: &[u8]) -> Result<Vec<u8>, TimestampError> {
        let reply = TimeStampResp::from_der(reply)?;
        match reply.status.status {
            PkiStatus::Accepted | PkiStatus::GrantedWithMods => {}
            other => return Err(TimestampError::NotGranted(other as u8)),
        }
        let token = reply.time_stamp_token.ok_or(TimestampError::NoToken)?;
        let info = tst_info(&token)?;
        // The TSA echoes the request's imprint; some write SHA-256's absent parameters as NULL.
        let imprint = &info.message_imprint;
        let parameters_absent = (imprint.hash_algorithm.parameters.as_ref())
            .is_none_or(|p| p.tag() == Tag::Null && p.value().is_empty());
        if imprint.hash_algorithm.oid != SHA256
            || !parameters_absent
            || imprint.hashed_message.as_bytes() != self.imprint
        {
            return Err(TimestampError::WrongImprint);
        }
        if info.nonce.as_ref() != Some(&self.nonce) {
            return Err(TimestampError::WrongNonce);
        }
        Ok(token.to_der()?)
    }
}

/// The `TSTInfo` a token signs.
fn tst_info(token: &ContentInfo) -> Result<TstInfo, TimestampError> {
    if token.content_type != ID_SIGNED_DATA {
        return Err(TimestampError::NotTstInfo);
    }
    let signed: SignedData = token.content.decode_as()?;
    let content = &signed.encap_content_info;
    if content.econtent_type != ID_CT_TST_INFO {
        return Err(TimestampError::NotTstInfo);
    }
    let octets: OctetString = content
        .econtent
        .as_ref()
        .ok_or(TimestampError::NotTstInfo)?
        .decode_as()?;
    let info = TstInfo::from_der(octets.as_bytes())?;
    if info.gen_time.tag() != Tag::GeneralizedTime {
        return Err(TimestampError::NotTstInfo);
    }
    Ok(info)
}

/// The token as the value of the unsigned attribute.
pub(crate) fn attribute_value(token: &[u8]) -> Result<Any, PdfError> {
    Ok(Any::from_der(token)?)
}

#[cfg(test)]
mod tests;
