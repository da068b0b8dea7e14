//! The certificate authority: a root CA and an issuing CA, created once (`certdesk ca init`), kept
//! with their private keys sealed by the key-encryption key, and opened at start-up to issue the
//! beneficiaries' certificates (SPEC §6: ETSI EN 319 412-2, natural person).

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rcgen::{
    BasicConstraints, CertificateParams, CrlDistributionPoint, CustomExtension, DistinguishedName,
    DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PublicKeyData, SanType, SerialNumber, SignatureAlgorithm, SigningKey,
};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::extensions;
use crate::kek::{KekError, KeyEncryptionKey};
use crate::pkcs11::{self, Token, TokenConfig, TokenError, TokenKey};

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error(transparent)]
    Kek(#[from] KekError),
    #[error(
        "the key-encryption key given (fingerprint {given}) is not the one the CA was created with (fingerprint {expected})"
    )]
    WrongKek { given: String, expected: String },
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(
        "the CA's private keys are in the PKCS#11 token {token:?}: give the module and the token \
         (--pkcs11-module / CERTDESK_PKCS11_MODULE, --pkcs11-token / CERTDESK_PKCS11_TOKEN) and \
         the user PIN in CERTDESK_PKCS11_PIN"
    )]
    TokenNeeded { token: String },
    #[error("certificate error: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("{0}")]
    Invalid(String),
}

/// The key algorithm of the CA (the beneficiaries' keys are always P-256: RSA keys cannot be made
/// per request at scale, see NOTES.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    EcdsaP256,
    Rsa3072,
}

impl Algorithm {
    pub fn code(self) -> &'static str {
        match self {
            Algorithm::EcdsaP256 => "ecdsa-p256",
            Algorithm::Rsa3072 => "rsa-3072",
        }
    }

    pub fn parse(code: &str) -> Option<Algorithm> {
        [Algorithm::EcdsaP256, Algorithm::Rsa3072]
            .into_iter()
            .find(|a| a.code() == code)
    }

    fn generate(self) -> Result<KeyPair, rcgen::Error> {
        match self {
            Algorithm::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            Algorithm::Rsa3072 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_3072)
            }
        }
    }
}

/// What `certdesk ca init` asks for.
#[derive(Debug, Clone)]
pub struct CaSettings {
    /// The organisation that runs the CA (the O of both CA certificates).
    pub organisation: String,
    pub root_name: String,
    pub issuing_name: String,
    pub root_validity: Duration,
    pub issuing_validity: Duration,
    pub algorithm: Algorithm,
    /// Where certdesk is reached from outside (e.g. `https://certdesk.example.gr`): the CRL, OCSP
    /// and CA-certificate addresses written in the certificates are under it.
    pub public_url: String,
}

impl CaSettings {
    pub fn new(public_url: &str) -> CaSettings {
        CaSettings {
            organisation: "certdesk".to_owned(),
            root_name: "certdesk Root CA".to_owned(),
            issuing_name: "certdesk Qualified Signature CA".to_owned(),
            root_validity: Duration::days(20 * 365),
            issuing_validity: Duration::days(10 * 365),
            algorithm: Algorithm::EcdsaP256,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }
}

/// The CA as stored: certificates in the clear, private keys sealed (or, for a CA whose keys are
/// in a PKCS#11 token, `pkcs11:<key label>` in place of each sealed key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedAuthority {
    pub root_der: Vec<u8>,
    pub issuing_der: Vec<u8>,
    pub sealed_root_key: Vec<u8>,
    pub sealed_issuing_key: Vec<u8>,
    /// Which KEK sealed the keys (its fingerprint, not the key). A CA in a token records it too:
    /// the KEK still seals the beneficiaries' keys.
    pub kek_fingerprint: String,
    pub algorithm: Algorithm,
    pub public_url: String,
    pub created_at: DateTime<Utc>,
}

impl SealedAuthority {
    /// Where the CA's issuing key is: `None` when sealed by the KEK, else the token and the
    /// key's label in it.
    pub fn token_key(&self) -> Option<pkcs11::KeyReference> {
        pkcs11::key_reference(&self.sealed_issuing_key)
    }

    /// Where the keys are, as `certdesk ca show` prints it.
    pub fn key_location(&self) -> String {
        match (
            pkcs11::key_reference(&self.sealed_root_key),
            self.token_key(),
        ) {
            (Some(root), Some(issuing)) if root.token == issuing.token => format!(
                "PKCS#11 token {:?} (keys labelled {:?} and {:?})",
                issuing.token, root.object, issuing.object
            ),
            (Some(root), Some(issuing)) => format!(
                "PKCS#11 tokens {:?} (root key {:?}) and {:?} (issuing key {:?})",
                root.token, root.object, issuing.token, issuing.object
            ),
            (None, Some(issuing)) => format!(
                "PKCS#11 token {:?} (issuing key {:?}); the root key sealed by the \
                 key-encryption key",
                issuing.token, issuing.object
            ),
            _ => "sealed by the key-encryption key".to_owned(),
        }
    }
}

const ROOT_KEY_CONTEXT: &str = "ca:root";
const ISSUING_KEY_CONTEXT: &str = "ca:issuing";

/// The sealing context of a beneficiary's key.
pub fn beneficiary_key_context(application_id: i64) -> String {
    format!("application:{application_id}")
}

fn to_time(at: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(at.timestamp()).expect("a representable time")
}

fn printable(text: &str) -> Result<DnValue, CaError> {
    Ok(DnValue::PrintableString(text.try_into().map_err(|_| {
        CaError::Invalid(format!("{text:?} is not a PrintableString"))
    })?))
}

/// A positive 128-bit serial number (RFC 5280 §4.1.2.2: at most 20 octets, positive).
fn random_serial() -> Vec<u8> {
    let mut serial = [0u8; 16];
    rand::rng().fill(&mut serial);
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    serial.to_vec()
}

fn ca_params(
    name: &str,
    organisation: &str,
    now: DateTime<Utc>,
    validity: Duration,
    path_len: Option<u8>,
) -> Result<CertificateParams, CaError> {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, printable("GR")?);
    dn.push(DnType::OrganizationName, organisation);
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = to_time(now - Duration::minutes(5));
    params.not_after = to_time(now + validity);
    params.serial_number = Some(SerialNumber::from_slice(&random_serial()));
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

/// The root and issuing certificates (DER) of `settings`, signed with these keys.
fn make_certificates(
    settings: &CaSettings,
    root_key: &impl SigningKey,
    issuing_key: &impl SigningKey,
    now: DateTime<Utc>,
) -> Result<(Vec<u8>, Vec<u8>), CaError> {
    let mut root_params = ca_params(
        &settings.root_name,
        &settings.organisation,
        now,
        settings.root_validity,
        None,
    )?;
    root_params.use_authority_key_identifier_extension = false;
    let root_cert = root_params.self_signed(root_key)?;
    let root_issuer = Issuer::new(root_params, root_key);

    let issuing_params = ca_params(
        &settings.issuing_name,
        &settings.organisation,
        now,
        settings.issuing_validity.min(settings.root_validity),
        Some(0),
    )?;
    let issuing_cert = issuing_params.signed_by(issuing_key, &root_issuer)?;
    Ok((root_cert.der().to_vec(), issuing_cert.der().to_vec()))
}

/// Creates a new root CA and issuing CA, with their keys sealed by `kek`.
pub fn create(
    settings: &CaSettings,
    kek: &KeyEncryptionKey,
    now: DateTime<Utc>,
) -> Result<SealedAuthority, CaError> {
    let root_key = settings.algorithm.generate()?;
    let issuing_key = settings.algorithm.generate()?;
    let (root_der, issuing_der) = make_certificates(settings, &root_key, &issuing_key, now)?;

    let root_pkcs8 = Zeroizing::new(root_key.serialize_der());
    let issuing_pkcs8 = Zeroizing::new(issuing_key.serialize_der());
    Ok(SealedAuthority {
        root_der,
        issuing_der,
        sealed_root_key: kek.seal(&root_pkcs8, ROOT_KEY_CONTEXT),
        sealed_issuing_key: kek.seal(&issuing_pkcs8, ISSUING_KEY_CONTEXT),
        kek_fingerprint: kek.fingerprint(),
        algorithm: settings.algorithm,
        public_url: settings.public_url.clone(),
        created_at: now,
    })
}

/// Creates a new root CA and issuing CA whose keys (EC P-256, whatever `settings.algorithm`
/// says) are generated in the PKCS#11 token and never leave it, labelled
/// [`pkcs11::ROOT_KEY_LABEL`] and [`pkcs11::ISSUING_KEY_LABEL`]. `kek` still seals the
/// beneficiaries' keys: its fingerprint is recorded as for a sealed CA.
pub fn create_in_token(
    settings: &CaSettings,
    token: &TokenConfig,
    kek: &KeyEncryptionKey,
    now: DateTime<Utc>,
) -> Result<SealedAuthority, CaError> {
    if settings.algorithm != Algorithm::EcdsaP256 {
        return Err(CaError::Invalid(format!(
            "a CA in a PKCS#11 token has EC P-256 keys, not {}",
            settings.algorithm.code()
        )));
    }
    let session = Token::open(token)?;
    let root_key = session.generate_p256(pkcs11::ROOT_KEY_LABEL)?;
    let issuing_key = session.generate_p256(pkcs11::ISSUING_KEY_LABEL)?;
    let (root_der, issuing_der) = make_certificates(settings, &root_key, &issuing_key, now)?;
    Ok(SealedAuthority {
        root_der,
        issuing_der,
        sealed_root_key: root_key.reference(),
        sealed_issuing_key: issuing_key.reference(),
        kek_fingerprint: kek.fingerprint(),
        algorithm: Algorithm::EcdsaP256,
        public_url: settings.public_url.clone(),
        created_at: now,
    })
}

/// The issuing CA's private key: in memory (opened from its sealed PKCS#8), or in a PKCS#11
/// token.
#[derive(Debug)]
pub enum CaKey {
    Sealed(KeyPair),
    Token(TokenKey),
}

impl PublicKeyData for CaKey {
    fn der_bytes(&self) -> &[u8] {
        match self {
            CaKey::Sealed(key) => key.der_bytes(),
            CaKey::Token(key) => key.der_bytes(),
        }
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        match self {
            CaKey::Sealed(key) => PublicKeyData::algorithm(key),
            CaKey::Token(key) => key.algorithm(),
        }
    }
}

impl SigningKey for CaKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        match self {
            CaKey::Sealed(key) => key.sign(msg),
            CaKey::Token(key) => key.sign(msg),
        }
    }
}

/// Who a certificate is for (SPEC §6).
#[derive(Debug, Clone)]
pub struct CertificateRequest {
    pub application_id: i64,
    pub given_name: String,
    pub surname: String,
    pub afm: String,
    pub organisation: String,
    pub unit: String,
    pub email: String,
    pub validity: Duration,
}

/// A certificate just issued, with its private key already sealed for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// Upper-case hexadecimal.
    pub serial: String,
    pub der: Vec<u8>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub sealed_key: Vec<u8>,
}

/// The CA, open: the issuing key in memory or in its token, ready to sign.
pub struct Authority {
    issuer: Issuer<'static, CaKey>,
    sealed: SealedAuthority,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("public_url", &self.sealed.public_url)
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// Opens the stored CA with `kek`; a wrong KEK is a clear error, not a garbled key. A CA
    /// whose keys are in a PKCS#11 token needs [`Authority::open_with_token`].
    pub fn open(sealed: SealedAuthority, kek: &KeyEncryptionKey) -> Result<Authority, CaError> {
        Authority::open_with_token(sealed, kek, None)
    }

    /// Opens the stored CA with `kek` and, for a CA whose keys are in a PKCS#11 token, the
    /// token (its absence is then a clear error, as is a wrong PIN). `token` is ignored for a CA
    /// whose keys are sealed.
    pub fn open_with_token(
        sealed: SealedAuthority,
        kek: &KeyEncryptionKey,
        token: Option<&TokenConfig>,
    ) -> Result<Authority, CaError> {
        if kek.fingerprint() != sealed.kek_fingerprint {
            return Err(CaError::WrongKek {
                given: kek.fingerprint(),
                expected: sealed.kek_fingerprint.clone(),
            });
        }
        let key = match sealed.token_key() {
            None => {
                let pkcs8 = kek.open(&sealed.sealed_issuing_key, ISSUING_KEY_CONTEXT)?;
                CaKey::Sealed(KeyPair::try_from(pkcs8.as_slice())?)
            }
            Some(reference) => {
                let Some(token) = token else {
                    return Err(CaError::TokenNeeded {
                        token: reference.token,
                    });
                };
                let label = reference.object.as_str();
                let key = Token::open(token)?.find_key(label)?;
                let matches = x509_parser::parse_x509_certificate(&sealed.issuing_der).is_ok_and(
                    |(_, cert)| {
                        cert.public_key().subject_public_key.data.as_ref() == key.der_bytes()
                    },
                );
                if !matches {
                    return Err(CaError::Invalid(format!(
                        "the key labelled {label:?} in the PKCS#11 token {:?} is not the issuing \
                         CA's key",
                        token.token_label
                    )));
                }
                CaKey::Token(key)
            }
        };
        let issuer = Issuer::from_ca_cert_der(&sealed.issuing_der.as_slice().into(), key)?;
        Ok(Authority { issuer, sealed })
    }

    pub fn sealed(&self) -> &SealedAuthority {
        &self.sealed
    }

    pub fn crl_url(&self) -> String {
        format!("{}/pki/crl", self.sealed.public_url)
    }

    pub fn ocsp_url(&self) -> String {
        format!("{}/pki/ocsp", self.sealed.public_url)
    }

    pub fn issuing_certificate_url(&self) -> String {
        format!("{}/pki/issuing-ca.crt", self.sealed.public_url)
    }

    /// The PKI disclosure statement's address (QcPDS). ETSI EN 319 412-5 wants it over HTTPS,
    /// while the CRL's address must be plain HTTP or LDAP (EN 319 412-2 §4.3.11): the same host,
    /// always `https://`.
    pub fn pds_url(&self) -> String {
        let url = &self.sealed.public_url;
        let host_and_path = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        format!("https://{host_and_path}/pki/pds-en")
    }

    /// The issuing CA's signing key (for CRLs and OCSP responses).
    pub fn issuer(&self) -> &Issuer<'static, CaKey> {
        &self.issuer
    }

    /// Issues the certificate of `request`: a new P-256 key pair for the beneficiary (kept by
    /// certdesk for remote signing, sealed at once), the certificate of the ETSI natural-person
    /// profile, valid from `now` for `request.validity`.
    pub fn issue(
        &self,
        request: &CertificateRequest,
        kek: &KeyEncryptionKey,
        now: DateTime<Utc>,
    ) -> Result<IssuedCertificate, CaError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let serial = random_serial();
        let not_before = DateTime::from_timestamp(now.timestamp(), 0).expect("a valid time");
        let not_after = not_before + request.validity;

        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, printable("GR")?);
        dn.push(DnType::OrganizationName, request.organisation.as_str());
        if !request.unit.trim().is_empty() {
            dn.push(DnType::OrganizationalUnitName, request.unit.as_str());
        }
        dn.push(
            DnType::CustomDnType(extensions::GIVEN_NAME.to_vec()),
            request.given_name.as_str(),
        );
        dn.push(
            DnType::CustomDnType(extensions::SURNAME.to_vec()),
            request.surname.as_str(),
        );
        dn.push(
            DnType::CommonName,
            format!("{} {}", request.given_name, request.surname),
        );
        // ETSI EN 319 412-1 §5.1.3: TIN (tax identification number), country GR, the ΑΦΜ.
        dn.push(
            DnType::CustomDnType(extensions::SERIAL_NUMBER.to_vec()),
            printable(&format!("TINGR-{}", request.afm))?,
        );
        params.distinguished_name = dn;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        params.not_before = to_time(not_before);
        params.not_after = to_time(not_after);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::Other(extensions::DOCUMENT_SIGNING.to_vec()),
            ExtendedKeyUsagePurpose::EmailProtection,
        ];
        params.subject_alt_names =
            vec![SanType::Rfc822Name(
                request.email.as_str().try_into().map_err(|_| {
                    CaError::Invalid(format!("{:?} is not an email", request.email))
                })?,
            )];
        params.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![self.crl_url()],
        }];
        params.use_authority_key_identifier_extension = true;
        params.custom_extensions = vec![
            CustomExtension::from_oid_content(
                extensions::AUTHORITY_INFO_ACCESS,
                extensions::authority_info_access(
                    &self.ocsp_url(),
                    &self.issuing_certificate_url(),
                ),
            ),
            CustomExtension::from_oid_content(
                extensions::CERTIFICATE_POLICIES,
                extensions::certificate_policies(),
            ),
            CustomExtension::from_oid_content(
                extensions::QC_STATEMENTS,
                extensions::qc_statements(&self.pds_url()),
            ),
        ];
        let certificate = params.signed_by(&key, &self.issuer)?;
        let pkcs8 = Zeroizing::new(key.serialize_der());
        Ok(IssuedCertificate {
            serial: hex::encode_upper(&serial),
            der: certificate.der().to_vec(),
            not_before,
            not_after,
            sealed_key: kek.seal(&pkcs8, &beneficiary_key_context(request.application_id)),
        })
    }
}

/// The SHA-256 fingerprint of a certificate, as shown on the card (AA:BB:…).
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// PEM of a DER certificate.
pub fn certificate_pem(der: &[u8]) -> String {
    pem_block("CERTIFICATE", der)
}

pub(crate) fn pem_block(label: &str, der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new(label, der.to_vec()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

/// What `certdesk ca show` and the card print of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    pub subject: String,
    /// Upper-case hexadecimal.
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
}

/// Reads the subject, serial and validity of a DER certificate.
pub fn describe(der: &[u8]) -> Description {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => Description {
            subject: cert.subject().to_string(),
            serial: hex::encode_upper(cert.raw_serial()),
            not_before: cert.validity().not_before.to_string(),
            not_after: cert.validity().not_after.to_string(),
        },
        Err(_) => Description {
            subject: "(unreadable certificate)".to_owned(),
            serial: String::new(),
            not_before: String::new(),
            not_after: String::new(),
        },
    }
}
