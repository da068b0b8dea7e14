//! PKCE (RFC 7636) with the S256 method: the client keeps a random verifier and sends only its
//! SHA-256 challenge with the authorization request, so that an authorization code intercepted
//! on its way back (a log, a `Referer`, another app on the device) cannot be exchanged by anyone
//! who does not hold the verifier.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};

/// The only challenge method certdesk sends and the local registry accepts (`plain` would put
/// the verifier itself in the browser's URL).
pub const S256: &str = "S256";

/// A fresh code verifier: 32 random bytes, base64url without padding (43 characters of the
/// unreserved set, as RFC 7636 §4.1 recommends).
pub fn new_verifier() -> String {
    URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 32]>())
}

/// The S256 challenge of a verifier: base64url(SHA-256(verifier)) without padding (§4.2).
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` has the form of §4.1: 43 to 128 characters of `[A-Z a-z 0-9 - . _ ~]`.
pub fn is_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `challenge` has the form of an S256 challenge: 43 base64url characters (32 bytes).
pub fn is_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && URL_SAFE_NO_PAD
            .decode(challenge)
            .is_ok_and(|bytes| bytes.len() == 32)
}

/// Whether `verifier` is well formed and its S256 challenge is `expected` (§4.6).
pub fn verify(verifier: &str, expected: &str) -> bool {
    // The challenge is public; comparing digests still keeps the time taken independent of it.
    is_verifier(verifier)
        && Sha256::digest(challenge(verifier).as_bytes()) == Sha256::digest(expected.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636, appendix B: the 32 octets, their base64url verifier and its S256 challenge.
    const RFC_OCTETS: [u8; 32] = [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37,
        77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];
    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_challenge_of_the_rfc_example() {
        assert_eq!(URL_SAFE_NO_PAD.encode(RFC_OCTETS), RFC_VERIFIER);
        assert_eq!(challenge(RFC_VERIFIER), RFC_CHALLENGE);
        assert!(verify(RFC_VERIFIER, RFC_CHALLENGE));
        assert!(is_challenge(RFC_CHALLENGE));
    }

    #[test]
    fn verifiers_are_fresh_and_well_formed() {
        let a = new_verifier();
        assert_eq!(a.len(), 43);
        assert!(is_verifier(&a), "{a}");
        assert_ne!(a, new_verifier());
        assert!(is_challenge(&challenge(&a)));
        assert!(verify(&a, &challenge(&a)));
    }

    #[test]
    fn a_wrong_or_malformed_verifier_does_not_verify() {
        assert!(!verify(&new_verifier(), RFC_CHALLENGE));
        // The challenge itself is no verifier of itself.
        assert!(!verify(RFC_CHALLENGE, RFC_CHALLENGE));
        // Too short, too long, or outside the unreserved set.
        assert!(!is_verifier(&RFC_VERIFIER[..42]));
        assert!(!is_verifier(&"a".repeat(129)));
        assert!(is_verifier(&"a".repeat(128)));
        assert!(!is_verifier(&format!("{}+", &RFC_VERIFIER[..42])));
        assert!(!verify("", RFC_CHALLENGE));
        assert!(!is_challenge("plain-verifier"));
        assert!(!is_challenge(&format!("{}=", &RFC_CHALLENGE[..42])));
    }
}
