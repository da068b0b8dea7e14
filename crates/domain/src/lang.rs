//! The two languages of the product: Greek first, English where asked.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    El,
    En,
}

impl Lang {
    /// Picks the language from an `Accept-Language` header value: English only when English is
    /// preferred over Greek; Greek otherwise (the default of the product).
    pub fn from_accept_language(header: &str) -> Lang {
        for part in header.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("el") {
                return Lang::El;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::El
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::El => "el",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "el" => Some(Lang::El),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the text of this language out of a Greek/English pair.
    pub fn pick(self, el: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::El => el,
            Lang::En => en,
        }
    }

    /// [`Lang::pick`] for texts that are not `'static`.
    pub(crate) fn pick_owned(self, el: &str, en: &str) -> String {
        match self {
            Lang::El => el.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_the_first_known_tag() {
        assert_eq!(Lang::from_accept_language("en"), Lang::En);
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept_language("el-GR,en;q=0.5"), Lang::El);
        assert_eq!(Lang::from_accept_language("fr, en;q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::El);
        assert_eq!(Lang::from_accept_language("de"), Lang::El);
    }
}
