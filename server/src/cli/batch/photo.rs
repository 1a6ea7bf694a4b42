//! One photo of a batch: decode once, validate, and take the template from the same analysis
//! (detection and mesh are not run twice). A signature sample filed with the photo is judged
//! beside it; either one failing to read never loses the other's result.

use crate::cli::enrol::recognition_error;
use crate::cli::files::{self, ErrorBody};
use crate::cli::signature as sig;
use crate::cli::validate::localized;
use sapa_engine::Recognizer;
use sapa_engine::overlay::Overlay;
use sapa_engine::signature::SignatureReport;
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
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<&'a SignatureLine>,
}

/// A photo that could not be judged, and the signature filed with it, which still was.
#[derive(Serialize)]
struct ErrorLine<'a> {
    file: &'a str,
    error: &'a ErrorBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<&'a SignatureLine>,
}

/// The signature sample's result in `sapa signature --json`'s shape, or its error.
#[derive(Serialize)]
#[serde(untagged)]
enum SignatureLine {
    Judged {
        file: String,
        #[serde(flatten)]
        report: Box<SignatureReport>,
    },
    Failed {
        file: String,
        error: ErrorBody,
    },
}

impl Job<'_> {
    /// The photo's JSON line: its result, or its error, with the signature's beside it when one
    /// was filed. Only a serialisation failure is an `Err`.
    pub fn line(&self, key: &str, path: &Path, signature: Option<&Path>) -> serde_json::Result<String> {
        let signature = signature.map(|p| self.signature(p));
        match self.judge(path) {
            Ok(line) => serde_json::to_string(&line.as_line(key, signature.as_ref())),
            Err(error) => {
                serde_json::to_string(&ErrorLine { file: key, error: &error, signature: signature.as_ref() })
            }
        }
    }

    /// Judges a signature sample as `sapa signature` does (stroke JSON by its `.json` name).
    fn signature(&self, path: &Path) -> SignatureLine {
        let file = files::display(path);
        let judged = files::read(path).and_then(|bytes| {
            let strokes = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
            sig::judge_file(&bytes, strokes, self.validator.analyzer(), self.profile, self.lang)
                .map_err(|e| sig::localized(&e, self.lang))
        });
        match judged {
            Ok(v) => SignatureLine::Judged { file, report: Box::new(v.report) },
            Err(error) => SignatureLine::Failed { file, error },
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
    fn as_line<'a>(&'a self, file: &'a str, signature: Option<&'a SignatureLine>) -> ResultLine<'a> {
        let (template, template_error) = match &self.template {
            Ok(t) => (Some(t.clone()), None),
            Err(e) => (None, Some(ErrorBody::new(e.code, e.message.clone()))),
        };
        ResultLine {
            file,
            report: &self.report,
            template,
            template_error,
            overlay: self.overlay.as_ref(),
            signature,
        }
    }
}
