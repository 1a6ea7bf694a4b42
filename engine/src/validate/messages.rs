//! The message catalogue (`messages.toml`, compiled in): every code in Kazakh, Russian, English.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::OnceLock;

pub const MESSAGES_TOML: &str = include_str!("messages.toml");

/// A language a citizen may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Kk,
    Ru,
    #[default]
    En,
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "kk" | "kz" | "kk-kz" => Ok(Lang::Kk),
            "ru" | "ru-ru" | "ru-kz" => Ok(Lang::Ru),
            "en" | "en-us" | "en-gb" => Ok(Lang::En),
            other => Err(format!("unknown language {other:?}: use kk, ru or en")),
        }
    }
}

impl Lang {
    /// The first supported language in an HTTP `Accept-Language` header, by order of preference.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut langs: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut it = part.split(';');
                let tag = it.next()?.trim();
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                    .unwrap_or(1.0);
                let primary = tag.split('-').next()?;
                primary.parse::<Lang>().ok().map(|l| (q, l))
            })
            .collect();
        langs.sort_by(|a, b| b.0.total_cmp(&a.0));
        langs.first().map(|l| l.1)
    }
}

#[derive(Debug, Deserialize)]
pub struct Entry {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

pub fn catalogue() -> &'static HashMap<String, Entry> {
    static CAT: OnceLock<HashMap<String, Entry>> = OnceLock::new();
    CAT.get_or_init(|| toml::from_str(MESSAGES_TOML).expect("embedded messages.toml is valid"))
}

/// The message for `code` in `lang`; a passed check gets the common "meets the requirement".
pub fn message(code: &str, passed: bool, lang: Lang) -> &'static str {
    let key = if passed { "passed" } else { code };
    match catalogue().get(key) {
        Some(e) => match lang {
            Lang::Kk => &e.kk,
            Lang::Ru => &e.ru,
            Lang::En => &e.en,
        },
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reportable_code_has_all_three_languages() {
        let cat = catalogue();
        let intake =
            ["empty_input", "unsupported_format", "corrupt_image", "image_too_large", "image_too_small"];
        let checks = super::super::code::Code::ALL.iter().map(|c| c.as_str());
        for code in checks.chain(intake).chain(["passed", "not_measured"]) {
            let e = cat.get(code).unwrap_or_else(|| panic!("no message for {code}"));
            for (lang, text) in [("kk", &e.kk), ("ru", &e.ru), ("en", &e.en)] {
                assert!(text.trim().len() > 5, "{code}: empty {lang} message");
            }
            assert_ne!(e.kk, e.ru, "{code}: kk is a copy of ru");
            assert_ne!(e.ru, e.en, "{code}: ru is a copy of en");
        }
    }

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(Lang::from_accept_language("kk-KZ,ru;q=0.8,en;q=0.5"), Some(Lang::Kk));
        assert_eq!(Lang::from_accept_language("de-DE, ru;q=0.9, en;q=0.8"), Some(Lang::Ru));
        assert_eq!(Lang::from_accept_language("fr"), None);
    }
}
