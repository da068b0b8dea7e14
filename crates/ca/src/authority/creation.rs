//! Creating the CA (`certdesk ca init`): a root CA and an issuing CA under it, with keys either
//! sealed by the key-encryption key or generated in a PKCS#11 token.

use chrono::{DateTime, Duration, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, CrlDistributionPoint, DistinguishedName, DnType, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SerialNumber, SigningKey,
};
use zeroize::Zeroizing;

use super::root_crl::root_crl_url;
use super::sealed::{ISSUING_KEY_CONTEXT, ROOT_KEY_CONTEXT};
use super::{CaError, SealedAuthority, printable, random_serial, to_time};
use crate::kek::KeyEncryptionKey;
use crate::pkcs11::{self, Token, TokenConfig};

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

/// What the root's key signs when the CA is made: the two CA certificates and the root's CRL.
struct Signed {
    root_der: Vec<u8>,
    issuing_der: Vec<u8>,
    root_crl: Vec<u8>,
}

/// The root and issuing certificates (DER) of `settings`, and the root's first CRL, signed with
/// these keys.
fn make_certificates(
    settings: &CaSettings,
    root_key: &impl SigningKey,
    issuing_key: &impl SigningKey,
    now: DateTime<Utc>,
) -> Result<Signed, CaError> {
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

    let mut issuing_params = ca_params(
        &settings.issuing_name,
        &settings.organisation,
        now,
        settings.issuing_validity.min(settings.root_validity),
        Some(0),
    )?;
    issuing_params.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![root_crl_url(&settings.public_url)],
    }];
    let issuing_cert = issuing_params.signed_by(issuing_key, &root_issuer)?;
    let root_der = root_cert.der().to_vec();
    let root_crl = super::root_crl::sign_with(&root_issuer, &root_der, now)?;
    Ok(Signed {
        root_der,
        issuing_der: issuing_cert.der().to_vec(),
        root_crl,
    })
}

/// Creates a new root CA and issuing CA, with their keys sealed by `kek`.
pub fn create(
    settings: &CaSettings,
    kek: &KeyEncryptionKey,
    now: DateTime<Utc>,
) -> Result<SealedAuthority, CaError> {
    let root_key = settings.algorithm.generate()?;
    let issuing_key = settings.algorithm.generate()?;
    let signed = make_certificates(settings, &root_key, &issuing_key, now)?;

    let root_pkcs8 = Zeroizing::new(root_key.serialize_der());
    let issuing_pkcs8 = Zeroizing::new(issuing_key.serialize_der());
    Ok(SealedAuthority {
        root_der: signed.root_der,
        issuing_der: signed.issuing_der,
        root_crl: Some(signed.root_crl),
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
    let signed = make_certificates(settings, &root_key, &issuing_key, now)?;
    Ok(SealedAuthority {
        root_der: signed.root_der,
        issuing_der: signed.issuing_der,
        root_crl: Some(signed.root_crl),
        sealed_root_key: root_key.reference(),
        sealed_issuing_key: issuing_key.reference(),
        kek_fingerprint: kek.fingerprint(),
        algorithm: Algorithm::EcdsaP256,
        public_url: settings.public_url.clone(),
        created_at: now,
    })
}
