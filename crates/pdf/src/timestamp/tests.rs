//! The request's DER, and the replies a TSA might give: only a granted token about this
//! signature and this request is taken.

use cmpv2::status::PkiStatusInfo;
use cms::content_info::CmsVersion;
use cms::signed_data::{EncapsulatedContentInfo, SignerInfos};
use der::asn1::SetOfVec;

use super::*;

const SIGNATURE: &[u8] = b"0E\x02\x20 a DER ECDSA signature, for the test";
const NONCE: [u8; 16] = [0x9a; 16];

fn request() -> TimestampRequest {
    TimestampRequest::new(SIGNATURE, NONCE).unwrap()
}

/// A token as a TSA makes it, unsigned (nothing here checks the TSA's signature).
fn token(imprint: &[u8; 32], nonce: Option<Int>) -> ContentInfo {
    token_with(sha256_imprint(imprint).unwrap(), nonce)
}

fn token_with(message_imprint: MessageImprint, nonce: Option<Int>) -> ContentInfo {
    let info = TstInfo {
        version: TspVersion::V1,
        policy: ObjectIdentifier::new_unwrap("1.3.6.1.4.1.4146.2.2"),
        message_imprint,
        serial_number: Int::new(&[7]).unwrap(),
        // With fractional seconds, as pyHanko writes it (RFC 3161 allows them).
        gen_time: Any::new(Tag::GeneralizedTime, b"20261201192703.814737Z".as_slice()).unwrap(),
        accuracy: None,
        ordering: false,
        nonce,
        tsa: None,
        extensions: None,
    };
    let signed = SignedData {
        version: CmsVersion::V3,
        digest_algorithms: SetOfVec::new(),
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_CT_TST_INFO,
            econtent: Some(
                Any::encode_from(&OctetString::new(info.to_der().unwrap()).unwrap()).unwrap(),
            ),
        },
        certificates: None,
        crls: None,
        signer_infos: SignerInfos(SetOfVec::new()),
    };
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed).unwrap(),
    }
}

fn reply(status: PkiStatus, token: Option<ContentInfo>) -> Vec<u8> {
    TimeStampResp {
        status: PkiStatusInfo {
            status,
            status_string: None,
            fail_info: None,
        },
        time_stamp_token: token,
    }
    .to_der()
    .unwrap()
}

fn the_imprint() -> [u8; 32] {
    Sha256::digest(SIGNATURE).into()
}

fn the_nonce() -> Option<Int> {
    Some(Int::from(Uint::new(&NONCE).unwrap()))
}

#[test]
fn the_request_is_a_der_timestampreq_over_the_signature_value() {
    let request = request();
    let parsed = TimeStampReq::from_der(request.der()).unwrap();
    assert_eq!(parsed.version, TspVersion::V1);
    assert_eq!(parsed.message_imprint.hash_algorithm.oid, SHA256);
    assert_eq!(parsed.message_imprint.hash_algorithm.parameters, None);
    assert_eq!(
        parsed.message_imprint.hashed_message.as_bytes(),
        the_imprint()
    );
    assert!(parsed.cert_req);
    assert_eq!(parsed.req_policy, None);
    // The nonce is the caller's 128 bits, a positive INTEGER.
    let nonce = parsed.nonce.unwrap();
    assert_eq!(nonce.as_bytes()[0], 0x00);
    assert_eq!(&nonce.as_bytes()[1..], NONCE);
    // Another nonce, another request.
    let other = TimestampRequest::new(SIGNATURE, [1; 16]).unwrap();
    assert_ne!(other.der(), request.der());
}

#[test]
fn a_granted_token_about_this_request_is_taken() {
    let token = token(&the_imprint(), the_nonce());
    for status in [PkiStatus::Accepted, PkiStatus::GrantedWithMods] {
        let taken = request()
            .token(&reply(status, Some(token.clone())))
            .unwrap();
        assert_eq!(taken, token.to_der().unwrap());
    }
}

#[test]
fn a_token_over_another_digest_is_refused() {
    let mut other = the_imprint();
    other[0] ^= 1;
    let reply = reply(PkiStatus::Accepted, Some(token(&other, the_nonce())));
    assert_eq!(request().token(&reply), Err(TimestampError::WrongImprint));
}

#[test]
fn the_imprint_s_algorithm_is_sha256_its_parameters_absent_or_null() {
    let mut imprint = sha256_imprint(&the_imprint()).unwrap();
    imprint.hash_algorithm.parameters = Some(Any::from(der::asn1::Null));
    let with_null = reply(
        PkiStatus::Accepted,
        Some(token_with(imprint.clone(), the_nonce())),
    );
    assert!(request().token(&with_null).is_ok());
    // The same bytes under SHA-1's name are not this imprint.
    imprint.hash_algorithm.oid = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
    let sha1 = reply(PkiStatus::Accepted, Some(token_with(imprint, the_nonce())));
    assert_eq!(request().token(&sha1), Err(TimestampError::WrongImprint));
}

#[test]
fn a_token_with_another_nonce_or_none_is_refused() {
    let other = Some(Int::new(&[0x01, 0x02]).unwrap());
    for nonce in [other, None] {
        let reply = reply(PkiStatus::Accepted, Some(token(&the_imprint(), nonce)));
        assert_eq!(request().token(&reply), Err(TimestampError::WrongNonce));
    }
}

#[test]
fn a_refusal_a_missing_token_and_garbage_are_refused() {
    let rejected = reply(PkiStatus::Rejection, None);
    assert_eq!(
        request().token(&rejected),
        Err(TimestampError::NotGranted(2))
    );
    let empty = reply(PkiStatus::Accepted, None);
    assert_eq!(request().token(&empty), Err(TimestampError::NoToken));
    assert!(matches!(
        request().token(b"<html>502 Bad Gateway</html>"),
        Err(TimestampError::Malformed(_))
    ));
}

#[test]
fn a_token_of_another_content_is_refused() {
    let mut token = token(&the_imprint(), the_nonce());
    token.content_type = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
    let reply = reply(PkiStatus::Accepted, Some(token));
    assert_eq!(request().token(&reply), Err(TimestampError::NotTstInfo));
}
