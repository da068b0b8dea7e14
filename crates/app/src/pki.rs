//! What the PKI publishes (SPEC §6): the CRL, OCSP answers, the CA certificates and the PKI
//! disclosure statement. Public information: no caller to scope.

use certdesk_ca::CaIssuer;
use certdesk_ca::crl::{DEFAULT_CRL_VALIDITY, RevokedCertificate};
use certdesk_ca::ocsp::{CertificateStatus, DEFAULT_OCSP_VALIDITY, Refusal, refusal};

use crate::App;

/// Why the PKI could not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkiError {
    /// No CA is configured on this server.
    NoCa,
    /// The store did not answer.
    Unavailable,
    /// The answer could not be signed.
    Internal,
    /// This CA does not publish it (the root's CRL of a CA made before certdesk signed one,
    /// until the server's next start).
    NotPublished,
}

fn ca(app: &App) -> Result<&CaIssuer, PkiError> {
    app.ca.as_deref().ok_or(PkiError::NoCa)
}

/// The CRL, signed afresh, so that it is always current and never past its nextUpdate.
pub async fn crl(app: &App) -> Result<Vec<u8>, PkiError> {
    let ca = ca(app)?;
    let revoked = app.store().revocations().await.map_err(|error| {
        tracing::error!(%error, "the CRL: the store did not list the revocations");
        PkiError::Unavailable
    })?;
    let entries: Vec<RevokedCertificate> = revoked
        .into_iter()
        .map(|revocation| RevokedCertificate {
            revoked_at: revocation.revoked_at,
            reason: revocation.revocation_reason.map(|r| r.code()),
            serial: revocation.serial,
        })
        .collect();
    ca.authority
        .sign_crl(&entries, app.now(), DEFAULT_CRL_VALIDITY)
        .map_err(|error| {
            tracing::error!(%error, "the CRL could not be signed");
            PkiError::Internal
        })
}

/// The OCSP response (RFC 6960) to a DER request; a request that cannot be answered gets the
/// protocol's own refusal, so only a missing CA is an error.
pub async fn ocsp(app: &App, request: &[u8]) -> Result<Vec<u8>, PkiError> {
    let ca = ca(app)?;
    let responder = match ca.authority.ocsp_responder() {
        Ok(responder) => responder,
        Err(error) => {
            tracing::error!(%error, "the OCSP responder cannot answer");
            return Ok(refusal(Refusal::InternalError));
        }
    };
    let parsed = match responder.parse_request(request) {
        Ok(parsed) => parsed,
        Err(refused) => return Ok(refusal(refused)),
    };
    let mut statuses = Vec::with_capacity(parsed.serials().len());
    for serial in parsed.serials() {
        let status = match serial {
            None => CertificateStatus::Unknown,
            Some(serial) => match app.store().certificate_by_serial(serial).await {
                Ok(None) => CertificateStatus::Unknown,
                Ok(Some(certificate)) => match certificate.revoked_at {
                    None => CertificateStatus::Good,
                    Some(at) => CertificateStatus::Revoked {
                        at,
                        reason: certificate.revocation_reason.map(|r| r.code()),
                    },
                },
                Err(error) => {
                    tracing::error!(%error, "OCSP: the store did not find a certificate");
                    return Ok(refusal(Refusal::InternalError));
                }
            },
        };
        statuses.push(status);
    }
    Ok(
        match responder.respond(&parsed, &statuses, app.now(), DEFAULT_OCSP_VALIDITY) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(%error, "the OCSP response could not be signed");
                refusal(Refusal::InternalError)
            }
        },
    )
}

/// The OCSP response about `leaf_der` (a certificate this CA issued), as its responder gives
/// it to anyone who asks: what a signed PDF embeds to validate without asking (PAdES B-LT).
pub async fn ocsp_response_for(app: &App, leaf_der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let issuing = ca_certificate(app, CaCertificate::Issuing)?;
    let request = certdesk_ca::ocsp::request_for(&issuing, leaf_der).map_err(|error| {
        tracing::error!(%error, "an OCSP request about a certificate could not be made");
        PkiError::Internal
    })?;
    ocsp(app, &request).await
}

/// The root's CRL, about the issuing CA (signed by the root when the CA was made, or again at
/// the server's start: see `certdesk_ca::authority::root_crl_due`).
pub fn root_crl(app: &App) -> Result<Vec<u8>, PkiError> {
    ca(app)?
        .authority
        .sealed()
        .root_crl
        .clone()
        .ok_or(PkiError::NotPublished)
}

/// Everything that validates a signature by the holder of `leaf_der` without asking anyone
/// (PAdES B-LT): the chain, the responder's OCSP answer about the certificate and the root's
/// CRL about the issuing CA.
pub async fn validation_data(
    app: &App,
    leaf_der: &[u8],
) -> Result<certdesk_pdf::ValidationData, PkiError> {
    let certificates = vec![
        leaf_der.to_vec(),
        ca_certificate(app, CaCertificate::Issuing)?,
        ca_certificate(app, CaCertificate::Root)?,
    ];
    let ocsp = ocsp_response_for(app, leaf_der).await?;
    Ok(certdesk_pdf::ValidationData {
        certificates,
        ocsp_responses: vec![ocsp],
        crls: root_crl(app).into_iter().collect(),
    })
}

/// A request that is not even DER: the protocol's refusal, once a CA is there to answer.
pub fn ocsp_malformed(app: &App) -> Result<Vec<u8>, PkiError> {
    ca(app)?;
    Ok(refusal(Refusal::MalformedRequest))
}

/// Which CA certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaCertificate {
    Root,
    Issuing,
}

/// The DER of a CA certificate.
pub fn ca_certificate(app: &App, which: CaCertificate) -> Result<Vec<u8>, PkiError> {
    let sealed = ca(app)?.authority.sealed();
    Ok(match which {
        CaCertificate::Root => sealed.root_der.clone(),
        CaCertificate::Issuing => sealed.issuing_der.clone(),
    })
}

/// The PKI disclosure statement (ETSI EN 319 411-1 annex A), in English as QcPDS points to it.
pub fn disclosure_statement(app: &App) -> Result<String, PkiError> {
    let ca = ca(app)?;
    let issuing = certdesk_ca::authority::describe(&ca.authority.sealed().issuing_der);
    Ok(format!(
        "PKI disclosure statement\n\
         ========================\n\n\
         Certification authority: {subject}\n\
         Certificates: personal certificates for electronic signatures of the employees of the\n\
         organisations served by this installation (ETSI EN 319 412-2 natural person, policy\n\
         QCP-n-qscd 0.4.0.194112.1.2). The private key is generated and kept by the service for\n\
         remote signing, sealed at rest.\n\
         Validity: three years; there is no renewal: a new application is made.\n\
         Identification: the tax registry (TaxisNet) login and the Police ID-card registry.\n\
         Revocation: by the organisation's certificate administrators, at the employee's request\n\
         (cessationOfOperation) or by decision of the organisation, a court or a supervisory\n\
         authority (privilegeWithdrawn). Status: CRL at {crl}, OCSP at {ocsp}.\n",
        subject = issuing.subject,
        crl = ca.authority.crl_url(),
        ocsp = ca.authority.ocsp_url(),
    ))
}
