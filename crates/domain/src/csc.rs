//! The Cloud Signature Consortium's API (CSC v1.0.4, with v2's field names; issue 11). A holder
//! logs in with the username and signing password and gets a bearer token; confirms with a
//! one-time code of their channel what they are about to sign (`credentials/authorize`) and
//! gets signature activation data (a SAD); spends the SAD (`signatures/signHash`, or v2's
//! `signatures/signDoc`). The rules here: how long a token and a SAD live
//! ([`ACCESS_TOKEN_LIFETIME`], [`SAD_LIFETIME`]), what one authorization may ask
//! ([`Authorization::requested`]), what a SAD signs ([`Sad::check_use`] for hashes,
//! [`Sad::check_documents`] for documents, then the store's atomic claim and
//! [`SadUse::conclude`] / [`DocumentsUse::conclude`]), which algorithms a client may name, and
//! how the holder's one-time code is described. What a document of `signDoc` may ask is
//! [`documents`]'s.
//!
//! A SAD is bound either to hashes or to documents, never both:
//!
//! - **Hashes** (`credentials/authorize` with `hash`/`hashes`): 1 to [`MAX_SIGNATURES`] distinct
//!   SHA-256 hashes, as many as `numSignatures`; `signHash` signs only those, each once.
//! - **Documents** (v2's `credentials/authorize` without hashes): the client cannot know the
//!   PAdES digests before the server adds the signature's place to each PDF, so the SAD names
//!   no hash but a number, `numSignatures`, 1 to [`MAX_SAD_DOCUMENTS`]. Only `signDoc` spends
//!   it, once (one call, whether it signs `numSignatures` documents or fewer), and never more
//!   documents than `numSignatures`. Such a SAD is refused by `signHash`, and a SAD bound to
//!   hashes by `signDoc`. Both live [`SAD_LIFETIME`].

use chrono::{DateTime, Duration, Utc};

use crate::Lang;
use crate::otp::OtpChannel;
use crate::remote_signing::{Digest, MAX_DIGESTS, MAX_DOCUMENTS};
use crate::validation::{Field, Problem, ValidationError};

pub mod documents;

/// How long a bearer token of `auth/login` lasts.
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::minutes(30);

/// How long a SAD lasts: long enough for a client to hash and sign what it just authorized.
pub const SAD_LIFETIME: Duration = Duration::minutes(5);

/// The most signatures one authorization makes (the credential's `multisign`).
pub const MAX_SIGNATURES: usize = MAX_DIGESTS;

/// The most documents a SAD for `signDoc` signs: as many as one confirmation signs in the
/// portal.
pub const MAX_SAD_DOCUMENTS: usize = MAX_DOCUMENTS;

/// SHA-256, the only hash signed.
pub const SHA256_OID: &str = "2.16.840.1.101.3.4.2.1";

/// ECDSA with SHA-256, the algorithm of every signature made.
pub const ECDSA_WITH_SHA256_OID: &str = "1.2.840.10045.4.3.2";

/// The key's algorithm: an elliptic-curve public key.
pub const EC_PUBLIC_KEY_OID: &str = "1.2.840.10045.2.1";

/// The key's curve, P-256 (prime256v1), and its length in bits.
pub const P256_OID: &str = "1.2.840.10045.3.1.7";
pub const KEY_LENGTH: u32 = 256;

/// The hash algorithm a request names (`hashAlgo` in v1, `hashAlgorithmOID` in v2), if any:
/// only SHA-256.
pub fn check_hash_algorithm(hash_algorithm: Option<&str>) -> Result<(), ValidationError> {
    match hash_algorithm.map(str::trim) {
        None | Some(SHA256_OID) => Ok(()),
        Some("") => Err(ValidationError::new(Field::HashAlgorithm, Problem::Missing)),
        Some(_) => Err(ValidationError::new(Field::HashAlgorithm, Problem::Format)),
    }
}

/// The signature algorithm of a `signHash` (`signAlgo`): ecdsa-with-SHA256, or the key's own
/// algorithm (the hash is then SHA-256 whether `hashAlgo` says so or not).
pub fn check_sign_algorithm(
    sign_algorithm: Option<&str>,
    hash_algorithm: Option<&str>,
) -> Result<(), ValidationError> {
    match sign_algorithm.map(str::trim) {
        None | Some("") => Err(ValidationError::new(Field::SignAlgorithm, Problem::Missing)),
        Some(ECDSA_WITH_SHA256_OID | EC_PUBLIC_KEY_OID) => check_hash_algorithm(hash_algorithm),
        Some(_) => Err(ValidationError::new(Field::SignAlgorithm, Problem::Format)),
    }
}

/// What `credentials/authorize` grants: the hashes that the SAD will sign, each once, or a
/// number of documents that one `signDoc` will sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    binding: Binding,
}

/// What a SAD is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// `signHash`: exactly these hashes, each once.
    Hashes(Vec<Digest>),
    /// `signDoc`: at most this many documents, in one call.
    Documents(usize),
}

impl Authorization {
    /// What a request asks: hashes when it names any (as many as `numSignatures`), otherwise
    /// `numSignatures` documents, when the API version serves `signDoc` (`documents_served`;
    /// v1 has no `signDoc`, so there a request without hashes lacks them).
    pub fn requested(
        num_signatures: Option<i64>,
        digests: Vec<Digest>,
        documents_served: bool,
    ) -> Result<Authorization, ValidationError> {
        if digests.is_empty() && documents_served {
            Authorization::for_documents(num_signatures)
        } else {
            Authorization::new(num_signatures, digests)
        }
    }

    /// `numSignatures` and the hashes of the request (at most [`MAX_SIGNATURES`], already
    /// checked to be SHA-256 digests). The SAD is bound to the hashes (the credential's SCAL
    /// is 2), so there must be as many as `numSignatures`, and no hash twice.
    pub fn new(
        num_signatures: Option<i64>,
        digests: Vec<Digest>,
    ) -> Result<Authorization, ValidationError> {
        let Some(num_signatures) = num_signatures else {
            return Err(ValidationError::new(Field::NumSignatures, Problem::Missing));
        };
        if digests.is_empty() {
            return Err(ValidationError::new(Field::Hash, Problem::Missing));
        }
        if digests.len() > MAX_SIGNATURES {
            return Err(ValidationError::new(
                Field::Hash,
                Problem::TooLong {
                    max: MAX_SIGNATURES,
                },
            ));
        }
        if usize::try_from(num_signatures).ok() != Some(digests.len()) {
            return Err(ValidationError::new(Field::NumSignatures, Problem::Format));
        }
        if has_repeats(&digests) {
            return Err(ValidationError::new(Field::Hash, Problem::Repeated));
        }
        Ok(Authorization {
            binding: Binding::Hashes(digests),
        })
    }

    /// A SAD for `signDoc`: `numSignatures` documents, 1 to [`MAX_SAD_DOCUMENTS`].
    pub fn for_documents(num_signatures: Option<i64>) -> Result<Authorization, ValidationError> {
        let Some(num_signatures) = num_signatures else {
            return Err(ValidationError::new(Field::NumSignatures, Problem::Missing));
        };
        match usize::try_from(num_signatures) {
            Ok(count @ 1..=MAX_SAD_DOCUMENTS) => Ok(Authorization {
                binding: Binding::Documents(count),
            }),
            _ => Err(ValidationError::new(Field::NumSignatures, Problem::Format)),
        }
    }

    pub fn binding(&self) -> &Binding {
        &self.binding
    }

    /// The hashes the SAD signs; none for a SAD of documents.
    pub fn digests(&self) -> &[Digest] {
        match &self.binding {
            Binding::Hashes(digests) => digests,
            Binding::Documents(_) => &[],
        }
    }

    /// How many documents the SAD signs; `None` for a SAD of hashes.
    pub fn documents(&self) -> Option<usize> {
        match self.binding {
            Binding::Hashes(_) => None,
            Binding::Documents(count) => Some(count),
        }
    }

    /// When a SAD granted at `now` stops signing.
    pub fn expires_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + SAD_LIFETIME
    }
}

fn has_repeats(digests: &[Digest]) -> bool {
    digests
        .iter()
        .enumerate()
        .any(|(i, d)| digests[..i].contains(d))
}

/// A SAD as the store keeps it: until when it signs, and what it is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sad {
    pub expires_at: DateTime<Utc>,
    pub bound: SadBound,
}

/// What a stored SAD signs, and what of it was signed already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SadBound {
    /// Its hashes, each with whether it was signed already.
    Hashes(Vec<(Digest, bool)>),
    /// At most `count` documents in one `signDoc`; `used` once that call claimed it.
    Documents { count: usize, used: bool },
}

/// Why a SAD does not sign what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SadRefusal {
    /// Not a SAD of this credential (never given, or tidied away after expiring).
    Unknown,
    Expired,
    /// A hash the SAD was not given for.
    OtherHash,
    /// A hash the SAD signed already (or one asked twice), or all its signatures are made.
    Used,
    /// A SAD of hashes given to `signDoc`.
    ForHashes,
    /// A SAD of documents (authorized without hashes) given to `signHash`.
    ForDocuments,
    /// A SAD of documents that a `signDoc` spent already: each signs in one call.
    Spent,
    /// More documents than the SAD's `numSignatures`.
    TooManyDocuments {
        max: usize,
    },
}

impl SadRefusal {
    pub fn code(self) -> &'static str {
        match self {
            SadRefusal::Unknown => "sad_unknown",
            SadRefusal::Expired => "sad_expired",
            SadRefusal::OtherHash => "sad_other_hash",
            SadRefusal::Used => "sad_used",
            SadRefusal::ForHashes => "sad_for_hashes",
            SadRefusal::ForDocuments => "sad_for_documents",
            SadRefusal::Spent => "sad_spent",
            SadRefusal::TooManyDocuments { .. } => "sad_too_many_documents",
        }
    }

    /// The request's field at fault.
    pub fn field(self) -> Field {
        match self {
            SadRefusal::Unknown
            | SadRefusal::Expired
            | SadRefusal::ForHashes
            | SadRefusal::ForDocuments
            | SadRefusal::Spent => Field::Sad,
            SadRefusal::OtherHash | SadRefusal::Used => Field::Hash,
            SadRefusal::TooManyDocuments { .. } => Field::Documents,
        }
    }

    pub fn message(self, lang: Lang) -> String {
        let sentence = match self {
            SadRefusal::TooManyDocuments { max } => {
                return match lang {
                    Lang::El => format!(
                        "Τα δεδομένα ενεργοποίησης (SAD) δόθηκαν για έως {max} έγγραφα (numSignatures)."
                    ),
                    Lang::En => format!(
                        "The signature activation data (SAD) was given for at most {max} documents (numSignatures)."
                    ),
                };
            }
            SadRefusal::Unknown => lang.pick(
                "Τα δεδομένα ενεργοποίησης υπογραφής (SAD) δεν είναι έγκυρα για αυτό το πιστοποιητικό.",
                "The signature activation data (SAD) is not valid for this credential.",
            ),
            SadRefusal::Expired => lang.pick(
                "Τα δεδομένα ενεργοποίησης υπογραφής (SAD) έληξαν· ζητήστε νέα με το credentials/authorize.",
                "The signature activation data (SAD) has expired; ask credentials/authorize for new.",
            ),
            SadRefusal::OtherHash => lang.pick(
                "Η σύνοψη δεν είναι από αυτές για τις οποίες δόθηκαν τα δεδομένα ενεργοποίησης (SAD).",
                "The hash is not one the signature activation data (SAD) was given for.",
            ),
            SadRefusal::Used => lang.pick(
                "Η σύνοψη έχει ήδη υπογραφεί με αυτά τα δεδομένα ενεργοποίησης (SAD)· κάθε σύνοψη υπογράφεται μία φορά.",
                "The hash was already signed with this signature activation data (SAD); each hash signs once.",
            ),
            SadRefusal::ForHashes => lang.pick(
                "Τα δεδομένα ενεργοποίησης (SAD) δόθηκαν για συγκεκριμένες συνόψεις και υπογράφουν μόνο με το signatures/signHash· για το signDoc ζητήστε νέα με το credentials/authorize χωρίς hashes.",
                "The signature activation data (SAD) was given for hashes and signs only with signatures/signHash; for signDoc ask credentials/authorize without hashes.",
            ),
            SadRefusal::ForDocuments => lang.pick(
                "Τα δεδομένα ενεργοποίησης (SAD) δόθηκαν χωρίς συνόψεις και υπογράφουν μόνο έγγραφα με το signatures/signDoc.",
                "The signature activation data (SAD) was given without hashes and signs only documents, with signatures/signDoc.",
            ),
            SadRefusal::Spent => lang.pick(
                "Τα δεδομένα ενεργοποίησης (SAD) έχουν ήδη χρησιμοποιηθεί· κάθε SAD υπογράφει έγγραφα μία φορά.",
                "The signature activation data (SAD) was used already; each SAD signs documents once.",
            ),
        };
        sentence.to_owned()
    }
}

/// The hashes of a SAD that a `signHash` is about to sign, still to be claimed by the store
/// atomically (each only if unused, and only while the SAD is fresh). Made only by
/// [`Sad::check_use`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SadUse {
    digests: Vec<Digest>,
}

impl SadUse {
    pub fn digests(&self) -> &[Digest] {
        &self.digests
    }

    /// The store's answer: `claimed` is false when another request signed one of the hashes
    /// first, or the SAD expired meanwhile.
    pub fn conclude(self, claimed: bool) -> Result<Vec<Digest>, SadRefusal> {
        if claimed {
            Ok(self.digests)
        } else {
            Err(SadRefusal::Used)
        }
    }
}

/// A `signDoc` about to spend a SAD of documents, still to be claimed by the store atomically
/// (only if unused, and only while the SAD is fresh). Made only by [`Sad::check_documents`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentsUse {
    count: usize,
}

impl DocumentsUse {
    /// How many documents the call signs.
    pub fn count(self) -> usize {
        self.count
    }

    /// The store's answer: `claimed` is false when another call spent the SAD first, or it
    /// expired meanwhile.
    pub fn conclude(self, claimed: bool) -> Result<usize, SadRefusal> {
        if claimed {
            Ok(self.count)
        } else {
            Err(SadRefusal::Spent)
        }
    }
}

impl Sad {
    /// Whether the SAD signs `requested` at `now`: only a SAD of hashes, only before it
    /// expires, only its own hashes, and each of them once.
    pub fn check_use(
        &self,
        requested: &[Digest],
        now: DateTime<Utc>,
    ) -> Result<SadUse, SadRefusal> {
        let hashes = match &self.bound {
            SadBound::Hashes(hashes) => hashes,
            SadBound::Documents { .. } => return Err(SadRefusal::ForDocuments),
        };
        if now >= self.expires_at {
            return Err(SadRefusal::Expired);
        }
        for digest in requested {
            match hashes.iter().find(|(d, _)| d == digest) {
                None => return Err(SadRefusal::OtherHash),
                Some((_, true)) => return Err(SadRefusal::Used),
                Some((_, false)) => {}
            }
        }
        if has_repeats(requested) {
            return Err(SadRefusal::Used);
        }
        Ok(SadUse {
            digests: requested.to_vec(),
        })
    }

    /// Whether the SAD signs `count` documents in one `signDoc` at `now`: only a SAD of
    /// documents, only before it expires, only once, and no more than its `numSignatures`.
    pub fn check_documents(
        &self,
        count: usize,
        now: DateTime<Utc>,
    ) -> Result<DocumentsUse, SadRefusal> {
        let (max, used) = match self.bound {
            SadBound::Hashes(_) => return Err(SadRefusal::ForHashes),
            SadBound::Documents { count, used } => (count, used),
        };
        if now >= self.expires_at {
            return Err(SadRefusal::Expired);
        }
        if used {
            return Err(SadRefusal::Spent);
        }
        if count > max {
            return Err(SadRefusal::TooManyDocuments { max });
        }
        Ok(DocumentsUse { count })
    }
}

/// How the holder's one-time code reaches them, as `credentials/info` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpKind {
    /// Sent when asked (`credentials/sendOTP`): the email channel.
    Online,
    /// Made by a device of the holder's: the authenticator app (TOTP).
    Offline,
}

impl OtpKind {
    pub fn of(channel: &OtpChannel) -> OtpKind {
        match channel {
            OtpChannel::Email => OtpKind::Online,
            OtpChannel::Totp { .. } => OtpKind::Offline,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            OtpKind::Online => "online",
            OtpKind::Offline => "offline",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            OtpKind::Online => lang.pick("Κωδικός μίας χρήσης από email", "One-time code by email"),
            OtpKind::Offline => lang.pick(
                "Κωδικός της εφαρμογής επαλήθευσης",
                "Code of the authenticator app",
            ),
        }
    }

    pub fn description(self, lang: Lang) -> &'static str {
        match self {
            OtpKind::Online => lang.pick(
                "Ο εξαψήφιος κωδικός που στέλνεται στο email σας με το credentials/sendOTP.",
                "The six-digit code that credentials/sendOTP sends to your email.",
            ),
            OtpKind::Offline => lang.pick(
                "Ο εξαψήφιος κωδικός που δείχνει τώρα η εφαρμογή επαλήθευσης.",
                "The six-digit code your authenticator app shows now.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::otp::StoredSecret;

    fn digest(n: u8) -> Digest {
        Digest::from_bytes([n; 32])
    }

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000, 0).unwrap()
    }

    #[test]
    fn an_authorization_names_as_many_distinct_hashes_as_signatures() {
        let two = vec![digest(1), digest(2)];
        let granted = Authorization::new(Some(2), two.clone()).unwrap();
        assert_eq!(granted.digests(), two.as_slice());
        assert_eq!(granted.expires_at(now()), now() + Duration::minutes(5));

        let problem = |n: Option<i64>, digests: Vec<Digest>| {
            let e = Authorization::new(n, digests).unwrap_err();
            (e.field, e.problem)
        };
        assert_eq!(
            problem(None, two.clone()),
            (Field::NumSignatures, Problem::Missing)
        );
        for wrong in [0, 1, 3, -2] {
            assert_eq!(
                problem(Some(wrong), two.clone()),
                (Field::NumSignatures, Problem::Format),
                "{wrong}"
            );
        }
        assert_eq!(problem(Some(1), vec![]), (Field::Hash, Problem::Missing));
        assert_eq!(
            problem(Some(2), vec![digest(1), digest(1)]),
            (Field::Hash, Problem::Repeated)
        );
        let many: Vec<Digest> = (0..=100).map(|n| digest(n as u8)).collect();
        assert_eq!(
            problem(Some(101), many),
            (Field::Hash, Problem::TooLong { max: 100 })
        );
        let hundred: Vec<Digest> = (0..100).map(|n| digest(n as u8)).collect();
        assert!(Authorization::new(Some(100), hundred).is_ok());
    }

    fn sad() -> Sad {
        Sad {
            expires_at: now() + SAD_LIFETIME,
            bound: SadBound::Hashes(vec![
                (digest(1), false),
                (digest(2), true),
                (digest(3), false),
            ]),
        }
    }

    fn documents_sad(count: usize, used: bool) -> Sad {
        Sad {
            expires_at: now() + SAD_LIFETIME,
            bound: SadBound::Documents { count, used },
        }
    }

    #[test]
    fn without_hashes_v2_authorizes_documents_and_v1_asks_for_hashes() {
        let granted = Authorization::requested(Some(2), vec![], true).unwrap();
        assert_eq!(granted.binding(), &Binding::Documents(2));
        assert_eq!(granted.documents(), Some(2));
        assert!(granted.digests().is_empty());
        assert_eq!(granted.expires_at(now()), now() + SAD_LIFETIME);
        let most = Authorization::requested(Some(MAX_SAD_DOCUMENTS as i64), vec![], true);
        assert_eq!(most.unwrap().documents(), Some(MAX_SAD_DOCUMENTS));

        let problem = |n: Option<i64>, digests: Vec<Digest>, documents_served: bool| {
            let e = Authorization::requested(n, digests, documents_served).unwrap_err();
            (e.field, e.problem)
        };
        assert_eq!(
            problem(Some(1), vec![], false),
            (Field::Hash, Problem::Missing),
            "v1 has no signDoc"
        );
        assert_eq!(
            problem(None, vec![], true),
            (Field::NumSignatures, Problem::Missing)
        );
        for wrong in [0, -1, MAX_SAD_DOCUMENTS as i64 + 1, 100] {
            assert_eq!(
                problem(Some(wrong), vec![], true),
                (Field::NumSignatures, Problem::Format),
                "{wrong}"
            );
        }
        // Hashes named: a SAD of hashes, whatever the version.
        let hashes = Authorization::requested(Some(1), vec![digest(1)], true).unwrap();
        assert_eq!(hashes.binding(), &Binding::Hashes(vec![digest(1)]));
        assert_eq!(hashes.documents(), None);
        assert_eq!(
            problem(Some(2), vec![digest(1)], true),
            (Field::NumSignatures, Problem::Format)
        );
        let expectation = Field::NumSignatures.format_expectation(Lang::En);
        assert!(expectation.contains(&format!("from 1 to {MAX_SAD_DOCUMENTS}")));
    }

    #[test]
    fn a_documents_sad_signs_up_to_its_count_in_one_call_while_fresh() {
        let sad = documents_sad(2, false);
        for count in [1, 2] {
            let usage = sad.check_documents(count, now()).unwrap();
            assert_eq!(usage.count(), count);
            assert_eq!(usage.conclude(true), Ok(count));
        }
        let lost_race = sad.check_documents(2, now()).unwrap();
        assert_eq!(lost_race.conclude(false), Err(SadRefusal::Spent));
        assert_eq!(
            sad.check_documents(3, now()),
            Err(SadRefusal::TooManyDocuments { max: 2 })
        );
        assert_eq!(
            documents_sad(2, true).check_documents(1, now()),
            Err(SadRefusal::Spent)
        );
        assert_eq!(
            sad.check_documents(1, now() + SAD_LIFETIME),
            Err(SadRefusal::Expired)
        );
    }

    #[test]
    fn a_sad_serves_only_the_method_it_was_given_for() {
        assert_eq!(
            documents_sad(1, false).check_use(&[digest(1)], now()),
            Err(SadRefusal::ForDocuments)
        );
        assert_eq!(sad().check_documents(1, now()), Err(SadRefusal::ForHashes));
        assert_eq!(SadRefusal::ForHashes.field(), Field::Sad);
        assert_eq!(SadRefusal::ForDocuments.field(), Field::Sad);
        assert_eq!(SadRefusal::Spent.field(), Field::Sad);
        assert_eq!(
            SadRefusal::TooManyDocuments { max: 2 }.field(),
            Field::Documents
        );
        let too_many = SadRefusal::TooManyDocuments { max: 2 };
        assert!(too_many.message(Lang::El).contains("έως 2 έγγραφα"));
        assert!(too_many.message(Lang::En).contains("at most 2 documents"));
        assert!(SadRefusal::ForHashes.message(Lang::En).contains("signHash"));
        assert!(
            SadRefusal::ForDocuments
                .message(Lang::En)
                .contains("signDoc")
        );
    }

    #[test]
    fn a_sad_signs_its_unused_hashes_while_fresh() {
        let used = sad().check_use(&[digest(3), digest(1)], now()).unwrap();
        assert_eq!(used.digests(), &[digest(3), digest(1)]);
        assert_eq!(used.conclude(true), Ok(vec![digest(3), digest(1)]));
        let lost_race = sad().check_use(&[digest(1)], now()).unwrap();
        assert_eq!(lost_race.conclude(false), Err(SadRefusal::Used));
    }

    #[test]
    fn a_sad_refuses_other_hashes_used_hashes_repeats_and_lateness() {
        let refused = |requested: &[Digest], at: DateTime<Utc>| sad().check_use(requested, at);
        assert_eq!(refused(&[digest(9)], now()), Err(SadRefusal::OtherHash));
        assert_eq!(
            refused(&[digest(1), digest(9)], now()),
            Err(SadRefusal::OtherHash)
        );
        assert_eq!(refused(&[digest(2)], now()), Err(SadRefusal::Used));
        assert_eq!(
            refused(&[digest(1), digest(1)], now()),
            Err(SadRefusal::Used)
        );
        assert_eq!(
            refused(&[digest(1)], now() + SAD_LIFETIME),
            Err(SadRefusal::Expired)
        );
        assert!(refused(&[digest(1)], now() + SAD_LIFETIME - Duration::seconds(1)).is_ok());
        assert_eq!(SadRefusal::Expired.field(), Field::Sad);
        assert_eq!(SadRefusal::OtherHash.field(), Field::Hash);
        for refusal in [
            SadRefusal::Unknown,
            SadRefusal::Expired,
            SadRefusal::OtherHash,
            SadRefusal::Used,
            SadRefusal::ForHashes,
            SadRefusal::ForDocuments,
            SadRefusal::Spent,
            SadRefusal::TooManyDocuments { max: 1 },
        ] {
            assert!(refusal.message(Lang::El).contains("SAD"), "{refusal:?}");
            assert!(refusal.message(Lang::En).contains("SAD"), "{refusal:?}");
        }
    }

    #[test]
    fn only_sha256_and_ecdsa_are_asked_for() {
        assert_eq!(check_hash_algorithm(None), Ok(()));
        assert_eq!(check_hash_algorithm(Some(SHA256_OID)), Ok(()));
        let sha1 = check_hash_algorithm(Some("1.3.14.3.2.26")).unwrap_err();
        assert_eq!(
            (sha1.field, sha1.problem),
            (Field::HashAlgorithm, Problem::Format)
        );
        assert_eq!(
            check_sign_algorithm(Some(ECDSA_WITH_SHA256_OID), None),
            Ok(())
        );
        assert_eq!(
            check_sign_algorithm(Some(EC_PUBLIC_KEY_OID), Some(SHA256_OID)),
            Ok(())
        );
        let rsa = check_sign_algorithm(Some("1.2.840.113549.1.1.11"), None).unwrap_err();
        assert_eq!(rsa.field, Field::SignAlgorithm);
        let missing = check_sign_algorithm(None, None).unwrap_err();
        assert_eq!(
            (missing.field, missing.problem),
            (Field::SignAlgorithm, Problem::Missing)
        );
        let wrong_hash =
            check_sign_algorithm(Some(EC_PUBLIC_KEY_OID), Some("2.16.840.1.101.3.4.2.3"))
                .unwrap_err();
        assert_eq!(wrong_hash.field, Field::HashAlgorithm);
    }

    #[test]
    fn email_codes_are_online_and_authenticator_codes_offline() {
        assert_eq!(OtpKind::of(&OtpChannel::Email).code(), "online");
        let totp = OtpChannel::Totp {
            secret: StoredSecret("sealed:..".to_owned()),
            last_step: 0,
            drift: 0,
        };
        assert_eq!(OtpKind::of(&totp).code(), "offline");
        for kind in [OtpKind::Online, OtpKind::Offline] {
            for lang in [Lang::El, Lang::En] {
                assert!(!kind.label(lang).is_empty());
                assert!(!kind.description(lang).is_empty());
            }
        }
    }
}
