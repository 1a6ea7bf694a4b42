//! Citizen-facing messages for the service's own error codes, in kk, ru and en; codes the engine
//! owns (an unreadable image, no face) come from the engine's catalogue.

use sapa_engine::validate::Lang;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Deserialize)]
struct Entry {
    kk: String,
    ru: String,
    en: String,
}

fn catalogue() -> &'static HashMap<String, Entry> {
    static CATALOGUE: OnceLock<HashMap<String, Entry>> = OnceLock::new();
    CATALOGUE.get_or_init(|| toml::from_str(include_str!("messages.toml")).expect("messages.toml parses"))
}

/// Every code the service itself answers with.
pub fn codes() -> impl Iterator<Item = &'static str> {
    catalogue().keys().map(String::as_str)
}

/// The message for `code` in `lang`, if either catalogue has one.
pub fn message(code: &str, lang: Lang) -> Option<&'static str> {
    if let Some(e) = catalogue().get(code) {
        return Some(match lang {
            Lang::Kk => &e.kk,
            Lang::Ru => &e.ru,
            Lang::En => &e.en,
        });
    }
    // The signature catalogue falls back to the photo one for the intake codes.
    let engine = sapa_engine::signature::messages::message(code, false, lang);
    (!engine.is_empty()).then_some(engine)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_code_speaks_kazakh_russian_and_english() {
        assert!(codes().count() >= 15);
        for code in codes() {
            for lang in [Lang::Kk, Lang::Ru, Lang::En] {
                let m = message(code, lang).unwrap();
                assert!(!m.trim().is_empty(), "{code} has no {lang:?} text");
            }
            assert_ne!(message(code, Lang::Kk), message(code, Lang::En), "{code}: kk is a copy of en");
        }
        // The engine's intake codes come through too.
        assert!(message("corrupt_image", Lang::Ru).unwrap().contains("повреждён"));
        assert!(message("no_face", Lang::Kk).is_some());
    }
}
