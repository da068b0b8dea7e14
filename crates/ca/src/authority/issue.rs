//! Issuing a beneficiary's certificate: a new key pair, sealed at once, and the certificate of
//! the ETSI EN 319 412-2 natural-person profile.

use chrono::{DateTime, Duration, Utc};
use rcgen::{
    CertificateParams, CrlDistributionPoint, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use zeroize::Zeroizing;

use super::{Authority, CaError, beneficiary_key_context, printable, random_serial, to_time};
use crate::extensions;
use crate::kek::KeyEncryptionKey;

/// Who a certificate is for (SPEC §6).
#[derive(Debug, Clone)]
pub struct CertificateRequest {
    pub application_id: i64,
    pub given_name: String,
    pub surname: String,
    pub afm: String,
    pub organisation: String,
    pub unit: String,
    /// The subjectAltName rfc822Name; `None` leaves the email out (an unproven address).
    pub email: Option<String>,
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

impl Authority {
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
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::Other(
            extensions::DOCUMENT_SIGNING.to_vec(),
        )];
        // Email protection only with an address to protect.
        if let Some(email) = &request.email {
            params
                .extended_key_usages
                .push(ExtendedKeyUsagePurpose::EmailProtection);
            params.subject_alt_names =
                vec![SanType::Rfc822Name(email.as_str().try_into().map_err(
                    |_| CaError::Invalid(format!("{email:?} is not an email")),
                )?)];
        }
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
