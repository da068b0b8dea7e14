//! Reading an OCSP request: the DER of a POST, or the base64 of a GET, and what it asks about.

use base64::Engine;
use der::Decode;
use der::asn1::{ObjectIdentifier, OctetString};
use x509_cert::ext::Extension;
use x509_ocsp::{CertId, OcspRequest};

use super::{MAX_CERTIFICATES_PER_REQUEST, OcspResponder, Refusal};

/// id-pkix-ocsp-nonce (RFC 6960 §4.4.1).
pub(super) const NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
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
    pub(super) cert_ids: Vec<CertId>,
    pub(super) serials: Vec<Option<String>>,
    pub(super) nonce: Option<Extension>,
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

/// The length of a nonce: the OCTET STRING inside extnValue (RFC 9654), or extnValue itself for
/// the clients that put the bare value there.
fn nonce_len(extension: &Extension) -> usize {
    let value = extension.extn_value.as_bytes();
    match OctetString::from_der(value) {
        Ok(inner) => inner.as_bytes().len(),
        Err(_) => value.len(),
    }
}

impl OcspResponder<'_> {
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
}

/// The OCSP request a relying party would send about `leaf_der`, issued by `issuer_der` (a
/// SHA-256 CertID, no nonce): certdesk asks its own responder with it for the validation data
/// it embeds in a signed PDF (PAdES B-LT).
pub fn request_for(issuer_der: &[u8], leaf_der: &[u8]) -> Result<Vec<u8>, crate::CaError> {
    use der::Encode;
    use sha2::{Digest, Sha256};
    use spki::AlgorithmIdentifierOwned;
    use x509_cert::serial_number::SerialNumber;
    use x509_ocsp::{Request, TbsRequest, Version};

    let invalid = |what: &str| crate::CaError::Invalid(format!("an OCSP request: {what}"));
    let (_, issuer) =
        x509_parser::parse_x509_certificate(issuer_der).map_err(|_| invalid("the issuer"))?;
    let (_, leaf) =
        x509_parser::parse_x509_certificate(leaf_der).map_err(|_| invalid("the certificate"))?;
    let name_hash = Sha256::digest(issuer.tbs_certificate.subject.as_raw());
    let key_hash = Sha256::digest(issuer.public_key().subject_public_key.data.as_ref());
    let cert_id = CertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1"),
            parameters: Some(der::Any::null()),
        },
        issuer_name_hash: OctetString::new(name_hash.to_vec()).map_err(|_| invalid("a hash"))?,
        issuer_key_hash: OctetString::new(key_hash.to_vec()).map_err(|_| invalid("a hash"))?,
        serial_number: SerialNumber::new(leaf.tbs_certificate.raw_serial())
            .map_err(|_| invalid("the serial"))?,
    };
    OcspRequest {
        tbs_request: TbsRequest {
            version: Version::V1,
            requestor_name: None,
            request_list: vec![Request {
                req_cert: cert_id,
                single_request_extensions: None,
            }],
            request_extensions: None,
        },
        optional_signature: None,
    }
    .to_der()
    .map_err(|_| invalid("encoding"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Algorithm;
    use crate::ocsp::refusal;
    use crate::ocsp::test_fixtures::{authority, cert_id, extension, nonce, request};

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
