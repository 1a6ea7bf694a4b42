//! `/kiosk/messages.json`: every message the kiosk page can show a citizen about an answer of
//! Sapa's, in kk, ru and en, keyed by the stable codes the answers carry. The page loads it once
//! and renders each answer's codes from it, so switching the language re-renders what is on the
//! screen without asking the service again. Built from the service's own catalogues (guidance
//! hints, validation checks, identification reasons, error codes), never copied: a message changed
//! there changes here.

use crate::error_code::ErrorCode;
use crate::http::messages as error_messages;
use crate::http::routes::identify::IdentifyCode;
use sapa_engine::guidance::Hint;
use sapa_engine::recognition::UnusableReason;
use sapa_engine::validate::{Code, Lang, messages as check_messages};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// One message in the three languages.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Texts {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

impl Texts {
    fn of(f: impl Fn(Lang) -> String) -> Self {
        Self { kk: f(Lang::Kk), ru: f(Lang::Ru), en: f(Lang::En) }
    }
}

/// The catalogue the page reads.
#[derive(Debug, Serialize)]
pub struct Catalogue {
    /// Guidance's and capture's hints (`hints[].code`).
    pub hints: BTreeMap<&'static str, Texts>,
    /// Validation codes (a report's checks, capture's `others`), plus `not_measured` for a check
    /// that failed because it could not be measured.
    pub checks: BTreeMap<&'static str, Texts>,
    /// The kiosk's own wording for a check whose general message asks for something a person at
    /// a kiosk cannot do (another camera, another wall: `kiosk/messages.toml`); the page prefers
    /// it to `checks`.
    pub kiosk: BTreeMap<&'static str, Texts>,
    /// Identification's reasons (`reasons[].code`): the route's own and the poor-photo ones.
    pub identify: BTreeMap<&'static str, Texts>,
    /// Error codes a citizen can see (`error.code`).
    pub errors: BTreeMap<&'static str, Texts>,
}

fn kiosk_wording() -> &'static HashMap<Code, Texts> {
    static W: OnceLock<HashMap<Code, Texts>> = OnceLock::new();
    W.get_or_init(|| toml::from_str(include_str!("messages.toml")).expect("kiosk/messages.toml parses"))
}

pub fn catalogue() -> Catalogue {
    let hints = Hint::ALL.iter().map(|h| (h.as_str(), Texts::of(|l| h.message(l).to_string()))).collect();
    let checks = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .chain(["not_measured"])
        .map(|c| (c, Texts::of(|l| check_messages::message(c, false, l).to_string())))
        .collect();
    let kiosk = kiosk_wording().iter().map(|(c, t)| (c.as_str(), t.clone())).collect();
    let identify = IdentifyCode::ALL
        .iter()
        .map(|c| (c.as_str(), Texts::of(|l| c.message(l).to_string())))
        .chain(UnusableReason::ALL.iter().map(|r| {
            (r.code(), Texts::of(|l| check_messages::message(r.message_code(), false, l).to_string()))
        }))
        .collect();
    let errors = ErrorCode::ALL
        .iter()
        .filter_map(|&c| {
            let t = Texts::of(|l| error_messages::message(c, l).unwrap_or_default().to_string());
            (!t.en.is_empty()).then_some((c.as_str(), t))
        })
        .collect();
    Catalogue { hints, checks, kiosk, identify, errors }
}

/// The catalogue as JSON, built once.
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| serde_json::to_string(&catalogue()).expect("the catalogue serialises"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(section: &str, m: &BTreeMap<&'static str, Texts>) {
        for (code, t) in m {
            for s in [&t.kk, &t.ru, &t.en] {
                assert!(!s.trim().is_empty(), "{section}.{code}: a language is missing");
            }
            assert!(t.kk != t.en && t.ru != t.en && t.kk != t.ru, "{section}.{code}: a copy");
        }
    }

    #[test]
    fn every_code_an_answer_can_carry_is_in_the_catalogue_in_three_languages() {
        let c = catalogue();
        assert_eq!(c.hints.len(), Hint::ALL.len());
        assert_eq!(c.checks.len(), Code::ALL.len() + 1);
        assert_eq!(c.identify.len(), IdentifyCode::ALL.len() + UnusableReason::ALL.len());
        for (name, m) in
            [("hints", &c.hints), ("checks", &c.checks), ("kiosk", &c.kiosk), ("identify", &c.identify)]
        {
            complete(name, m);
        }
        // Every error a citizen can see; the server's own faults read `internal_error`.
        for code in ErrorCode::ALL.iter().filter(|c| !error_messages::SERVER_FAULTS.contains(c)) {
            assert!(c.errors.contains_key(code.as_str()), "{code}");
        }
        assert!(c.errors.contains_key("internal_error") && c.errors.contains_key("reference_not_found"));
        // The same words as the answers carry: drawn from the same catalogues.
        assert_eq!(c.hints["close_mouth"].ru, Hint::CloseMouth.message(Lang::Ru));
        assert_eq!(c.identify["no_match"].kk, IdentifyCode::NoMatch.message(Lang::Kk));
        assert_eq!(c.identify["blurred"].en, check_messages::message("blur", false, Lang::En));
        assert!(c.kiosk["low_res"].en.contains("kiosk's camera"));
        assert_ne!(c.kiosk["busy_background"].ru, c.checks["busy_background"].ru);
        let parsed: serde_json::Value = serde_json::from_str(json()).unwrap();
        assert_eq!(parsed["checks"]["low_res"]["ru"], c.checks["low_res"].ru);
    }
}
