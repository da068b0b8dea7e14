//! Signatures in made-up histories (the demo's past, the bench's applications): the domain signs
//! only with a [`SigningProof`], and only `certdesk_domain::signing` makes one, after checking the
//! signing password as the portal does (once: every made-up application shares the hash). These
//! histories were never lived, so no one-time code was ever sent: the email channel's code is
//! taken as claimed instead of being claimed from the store.

use anyhow::bail;
use certdesk_domain::SigningProof;
use certdesk_domain::otp::{EmailCodeKey, OtpChannel, SigningCredentials};
use certdesk_domain::signing::{self, SigningCheck, VerifiedPassword};
use chrono::{DateTime, Utc};

/// The code the made-up signatures are made with: any six digits do, since the email channel's
/// code is checked by the store, which is not asked.
const CODE: &str = "000000";

/// A signing password, and the credentials (email channel) it opens.
#[derive(Clone)]
pub struct MadeUpSigning {
    verified: Option<VerifiedPassword>,
    credentials: SigningCredentials,
}

impl MadeUpSigning {
    /// `password_hash` is the Argon2id hash of `password`. Verifying it takes tens of
    /// milliseconds of CPU: call this from a blocking thread in async code.
    pub fn new(password: &str, password_hash: String) -> MadeUpSigning {
        MadeUpSigning {
            verified: signing::verify_password(password, &password_hash),
            credentials: SigningCredentials {
                password_hash,
                otp: OtpChannel::Email,
            },
        }
    }

    /// What identification stores: the password's hash and the email channel.
    pub fn credentials(&self) -> &SigningCredentials {
        &self.credentials
    }

    /// The proof that application `application_id` was signed at `at`.
    pub fn proof(&self, application_id: i64, at: DateTime<Utc>) -> anyhow::Result<SigningProof> {
        let check = signing::check(
            application_id,
            &self.credentials,
            None,
            self.verified.as_ref(),
            // No code was sent: what it was digested under does not matter.
            &EmailCodeKey::new([0; 32]),
            CODE,
            at,
        );
        let failure = match check {
            SigningCheck::Claim(claim) => match claim.conclude(true) {
                Ok(proof) => return Ok(proof),
                Err(failure) => failure,
            },
            SigningCheck::Refused(failure) => failure,
        };
        bail!("the signature of application {application_id} was refused: {failure:?}")
    }
}
