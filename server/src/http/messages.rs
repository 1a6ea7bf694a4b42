//! Citizen-facing messages for the service's own error codes, in kk, ru and en; codes the engine
//! owns (an unreadable image, no face) come from the engine's catalogue.

use crate::error_code::ErrorCode;
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

/// Keyed by `ErrorCode`, so a key that is not a code fails to load (and a test loads it).
fn catalogue() -> &'static HashMap<ErrorCode, Entry> {
    static CATALOGUE: OnceLock<HashMap<ErrorCode, Entry>> = OnceLock::new();
    CATALOGUE.get_or_init(|| toml::from_str(include_str!("messages.toml")).expect("messages.toml parses"))
}

/// The codes only the server's own faults carry: a citizen reads the generic `internal_error`
/// message for them, never their detail.
pub const SERVER_FAULTS: &[ErrorCode] =
    &[ErrorCode::ModelError, ErrorCode::InferenceError, ErrorCode::InvalidConfig];

/// The message for `code` in `lang`, if either catalogue has one.
pub fn message(code: ErrorCode, lang: Lang) -> Option<&'static str> {
    if let Some(e) = catalogue().get(&code) {
        return Some(match lang {
            Lang::Kk => &e.kk,
            Lang::Ru => &e.ru,
            Lang::En => &e.en,
        });
    }
    // The signature catalogue falls back to the photo one for the intake codes.
    let engine = sapa_engine::signature::messages::message(code.as_str(), false, lang);
    (!engine.is_empty()).then_some(engine)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_a_citizen_can_see_speaks_kazakh_russian_and_english() {
        for &code in ErrorCode::ALL.iter().filter(|c| !SERVER_FAULTS.contains(c)) {
            for lang in [Lang::Kk, Lang::Ru, Lang::En] {
                let m = message(code, lang).unwrap_or_else(|| panic!("{code} has no {lang:?} message"));
                assert!(!m.trim().is_empty(), "{code} has no {lang:?} text");
            }
            assert_ne!(message(code, Lang::Kk), message(code, Lang::En), "{code}: kk is a copy of en");
        }
        // The engine's intake codes come through too.
        assert!(message(ErrorCode::CorruptImage, Lang::Ru).unwrap().contains("повреждён"));
        for &code in SERVER_FAULTS {
            assert_eq!(message(code, Lang::En), None, "{code} must fall back to internal_error");
        }
    }
}
