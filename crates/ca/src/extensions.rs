//! The extensions and attribute types of the natural-person profile that rcgen has no field for,
//! written in DER (yasna, the writer rcgen itself uses).

use yasna::Tag;
use yasna::models::ObjectIdentifier;

/// id-at-givenName, id-at-surname, id-at-serialNumber (RFC 5280, X.520).
pub const GIVEN_NAME: &[u64] = &[2, 5, 4, 42];
pub const SURNAME: &[u64] = &[2, 5, 4, 4];
pub const SERIAL_NUMBER: &[u64] = &[2, 5, 4, 5];

/// id-kp-documentSigning (RFC 9336).
pub const DOCUMENT_SIGNING: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 36];

pub const AUTHORITY_INFO_ACCESS: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 1];
pub const CERTIFICATE_POLICIES: &[u64] = &[2, 5, 29, 32];
pub const QC_STATEMENTS: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 3];

const OCSP: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 48, 1];
const CA_ISSUERS: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 48, 2];

/// QCP-n-qscd: the EU policy for qualified certificates of natural persons whose key is in a
/// QSCD (ETSI EN 319 411-2).
pub const POLICY_QCP_N_QSCD: &[u64] = &[0, 4, 0, 194112, 1, 2];

/// ETSI EN 319 412-5 statements.
const QC_COMPLIANCE: &[u64] = &[0, 4, 0, 1862, 1, 1];
const QC_SSCD: &[u64] = &[0, 4, 0, 1862, 1, 4];
const QC_PDS: &[u64] = &[0, 4, 0, 1862, 1, 5];
const QC_TYPE: &[u64] = &[0, 4, 0, 1862, 1, 6];
const QC_TYPE_ESIGN: &[u64] = &[0, 4, 0, 1862, 1, 6, 1];
/// id-qcs-pkixQCSyntax-v2 with the ETSI semantics identifier for natural persons
/// (ETSI EN 319 412-1 §5.1.3), which says how to read the subject's serialNumber.
const QCS_PKIX_SYNTAX_V2: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 11, 2];
const SEMANTICS_ID_NATURAL: &[u64] = &[0, 4, 0, 194121, 1, 1];

fn oid(components: &[u64]) -> ObjectIdentifier {
    ObjectIdentifier::from_slice(components)
}

/// AuthorityInfoAccessSyntax: the OCSP responder and the issuing CA's certificate.
pub fn authority_info_access(ocsp_url: &str, ca_issuers_url: &str) -> Vec<u8> {
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            for (method, url) in [(OCSP, ocsp_url), (CA_ISSUERS, ca_issuers_url)] {
                w.next().write_sequence(|w| {
                    w.next().write_oid(&oid(method));
                    // GeneralName: uniformResourceIdentifier [6] IA5String
                    w.next()
                        .write_tagged_implicit(Tag::context(6), |w| w.write_ia5_string(url));
                });
            }
        });
    })
}

/// certificatePolicies: QCP-n-qscd.
pub fn certificate_policies() -> Vec<u8> {
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_sequence(|w| {
                w.next().write_oid(&oid(POLICY_QCP_N_QSCD));
            });
        });
    })
}

/// qcStatements: EU qualified, key in a QSCD, for electronic signatures, the PKI disclosure
/// statement in English, and the semantics of the subject's serialNumber.
pub fn qc_statements(pds_url: &str) -> Vec<u8> {
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_sequence(|w| {
                w.next().write_oid(&oid(QCS_PKIX_SYNTAX_V2));
                w.next().write_sequence(|w| {
                    w.next().write_oid(&oid(SEMANTICS_ID_NATURAL));
                });
            });
            w.next().write_sequence(|w| {
                w.next().write_oid(&oid(QC_COMPLIANCE));
            });
            w.next().write_sequence(|w| {
                w.next().write_oid(&oid(QC_SSCD));
            });
            w.next().write_sequence(|w| {
                w.next().write_oid(&oid(QC_TYPE));
                w.next().write_sequence(|w| {
                    w.next().write_oid(&oid(QC_TYPE_ESIGN));
                });
            });
            w.next().write_sequence(|w| {
                w.next().write_oid(&oid(QC_PDS));
                w.next().write_sequence(|w| {
                    w.next().write_sequence(|w| {
                        w.next().write_ia5_string(pds_url);
                        w.next().write_printable_string("en");
                    });
                });
            });
        });
    })
}
