//! The signature messages (`messages.toml` beside this file, compiled in): every signature code
//! in Kazakh, Russian and English, looked up like the photo messages.

use crate::validate::Lang;
use crate::validate::messages::Entry;
use std::collections::HashMap;
use std::sync::OnceLock;

pub const MESSAGES_TOML: &str = include_str!("messages.toml");

fn catalogue() -> &'static HashMap<String, Entry> {
    static CAT: OnceLock<HashMap<String, Entry>> = OnceLock::new();
    CAT.get_or_init(|| toml::from_str(MESSAGES_TOML).expect("embedded signature messages.toml is valid"))
}

/// The message for a signature `code` in `lang`; a passed check gets "meets the requirement",
/// and intake error codes fall back to the photo catalogue.
pub fn message(code: &str, passed: bool, lang: Lang) -> &'static str {
    if passed {
        return crate::validate::messages::message("passed", true, lang);
    }
    match catalogue().get(code) {
        Some(e) => match lang {
            Lang::Kk => &e.kk,
            Lang::Ru => &e.ru,
            Lang::En => &e.en,
        },
        None => crate::validate::messages::message(code, false, lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::SignatureCode;

    #[test]
    fn every_signature_code_has_all_three_languages() {
        let cat = catalogue();
        let codes = SignatureCode::ALL.iter().map(|c| c.as_str());
        for code in codes.chain(["not_measured", "invalid_strokes"]) {
            let e = cat.get(code).unwrap_or_else(|| panic!("no message for {code}"));
            for (lang, text) in [("kk", &e.kk), ("ru", &e.ru), ("en", &e.en)] {
                assert!(text.trim().len() > 5, "{code}: empty {lang} message");
            }
            assert_ne!(e.kk, e.ru, "{code}: kk is a copy of ru");
            assert_ne!(e.ru, e.en, "{code}: ru is a copy of en");
        }
        assert!(message("blur", false, Lang::En).contains("signature"), "signature blur is not the photo's");
        assert!(!message("empty_input", false, Lang::Ru).is_empty(), "intake codes fall back");
    }
}
