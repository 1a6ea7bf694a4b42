//! One photo of a batch: decode once, validate, and take the template from the same analysis
//! (detection and mesh are not run twice).

use crate::cli::enrol::recognition_error;
use crate::cli::files::{self, ErrorBody, ErrorLine};
use crate::cli::validate::localized;
use sapa_engine::Recognizer;
use sapa_engine::overlay::Overlay;
use sapa_engine::validate::{Decision, Lang, Profile, Report, Validator};
use serde::Serialize;
use std::path::Path;

/// What every photo of a run is checked with.
pub struct Job<'a> {
    pub validator: &'a Validator,
    pub recognizer: &'a Recognizer,
    pub profile: &'a Profile,
    pub lang: Lang,
}

/// `sapa validate --json`'s line plus the template (base64 of the engine's template bytes, which
/// name the model and its version), or why there is none.
#[derive(Serialize)]
struct ResultLine<'a> {
    file: &'a str,
    #[serde(flatten)]
    report: &'a Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template_error: Option<ErrorBody>,
    /// A rejected photo's overlay geometry (what the HTML report draws over its thumbnail).
    #[serde(skip_serializing_if = "Option::is_none")]
    overlay: Option<&'a Overlay>,
}

impl Job<'_> {
    /// The photo's JSON line: its result, or its error. Only a serialisation failure is an `Err`.
    pub fn line(&self, key: &str, path: &Path) -> serde_json::Result<String> {
        match self.judge(path) {
            Ok(line) => serde_json::to_string(&line.as_line(key)),
            Err(error) => serde_json::to_string(&ErrorLine { file: key, error: &error }),
        }
    }

    fn judge(&self, path: &Path) -> Result<Judged, ErrorBody> {
        let bytes = files::read(path)?;
        let decoded = self.validator.analyzer().decode(&bytes).map_err(|e| localized(&e, self.lang))?;
        drop(bytes);
        let analysis = self
            .validator
            .analyzer()
            .analyze(&decoded.rgb, decoded.source)
            .map_err(|e| ErrorBody::from(&e))?;
        let (report, overlay) = self
            .validator
            .judge_with_overlay(&decoded.rgb, &analysis, self.profile, self.lang)
            .map_err(|e| ErrorBody::from(&e))?;
        let template = self
            .recognizer
            .template_of_main_face(&decoded.rgb, &analysis)
            .map(|t| t.to_base64())
            .map_err(|e| recognition_error(&e, path));
        let overlay = (report.decision == Decision::Reject).then_some(overlay);
        Ok(Judged { report, template, overlay })
    }
}

struct Judged {
    report: Report,
    template: Result<String, ErrorBody>,
    overlay: Option<Overlay>,
}

impl Judged {
    fn as_line<'a>(&'a self, file: &'a str) -> ResultLine<'a> {
        let (template, template_error) = match &self.template {
            Ok(t) => (Some(t.clone()), None),
            Err(e) => (None, Some(ErrorBody::new(e.code, e.message.clone()))),
        };
        ResultLine { file, report: &self.report, template, template_error, overlay: self.overlay.as_ref() }
    }
}
