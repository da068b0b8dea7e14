//! How the stored CA names a key in a token: a PKCS#11 URI (RFC 7512) in place of a sealed key.

/// What the stored CA keeps in place of a sealed key: a PKCS#11 URI (RFC 7512) naming the token
/// and the key, `pkcs11:token=<token label>;object=<key label>`.
pub const KEY_REFERENCE_PREFIX: &str = "pkcs11:";

/// A key in a token, as the stored CA names it (a PKCS#11 URI, RFC 7512).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyReference {
    /// The token's label.
    pub token: String,
    /// The key's label.
    pub object: String,
}

impl std::fmt::Display for KeyReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{KEY_REFERENCE_PREFIX}token={};object={}",
            percent_encode(&self.token),
            percent_encode(&self.object)
        )
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The token key a stored key refers to; `None` for a sealed key.
pub fn key_reference(stored: &[u8]) -> Option<KeyReference> {
    let path = std::str::from_utf8(stored)
        .ok()?
        .strip_prefix(KEY_REFERENCE_PREFIX)?;
    let (mut token, mut object) = (None, None);
    for attribute in path.split(';') {
        match attribute.split_once('=')? {
            ("token", value) => token = Some(percent_decode(value)?),
            ("object", value) => object = Some(percent_decode(value)?),
            _ => {}
        }
    }
    Some(KeyReference {
        token: token?,
        object: object?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pkcs11::ROOT_KEY_LABEL;

    #[test]
    fn a_key_reference_names_the_token_and_the_key() {
        let reference = KeyReference {
            token: "CA token; 1".to_owned(),
            object: ROOT_KEY_LABEL.to_owned(),
        };
        let text = reference.to_string();
        assert_eq!(text, "pkcs11:token=CA%20token%3B%201;object=certdesk-root");
        assert_eq!(key_reference(text.as_bytes()), Some(reference));
        assert_eq!(key_reference(&[0x01, 0x02]), None);
        assert_eq!(key_reference(b"pkcs11:object=x"), None);
    }
}
