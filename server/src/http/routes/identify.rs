//! `POST /v1/kiosk/identify`: is the person at the kiosk the holder of this IIN? One frame (or
//! its crop) and the IIN in; face detection, presentation-attack detection, then the 1:1
//! comparison `POST /v1/verify` makes by IIN (same reference lookup, same calibrated threshold).

use super::super::body;
use super::super::error::{ApiError, ErrorResponse};
use super::super::guard::AuditFacts;
use super::super::state::{AppState, PadMissing, PadReport, Timing};
use super::ApiQuery;
use super::verify::{operating_point, reference_of};
use crate::references::{Iin, ReferenceError};
use crate::verdict::poor_photos;
use axum::Json;
use axum::extract::{Request, State};
use sapa_engine::pad::PadDecision;
use sapa_engine::recognition::{Usability, Verdict};
use sapa_engine::validate::Lang;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub struct IdentifyQuery {
    /// `kk`, `ru` or `en` for the messages; otherwise from `Accept-Language`.
    pub lang: Option<String>,
}

/// What the kiosk does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Live, and the face matches the IIN's reference at the calibrated threshold.
    Identified,
    /// The face does not match, or the reference is too poor to decide on: to a member of staff.
    NotIdentified,
    /// PAD judged the face a print, a screen or a mask; the comparison is not run.
    AttackSuspected,
    /// No face, more than one face, or a photo too poor to judge a comparison: take it again.
    Retake,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identified => "identified",
            Self::NotIdentified => "not_identified",
            Self::AttackSuspected => "attack_suspected",
            Self::Retake => "retake",
        }
    }
}

/// The route's own reason codes (a `retake` for a poor photo also gives the engine's
/// photo-quality codes: `blurred`, `turned`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifyCode {
    NoFace,
    MultipleFaces,
    AttackSuspected,
    NoMatch,
    ReferenceUnusable,
    PadUnavailable,
}

impl IdentifyCode {
    pub const ALL: [Self; 6] = [
        Self::NoFace,
        Self::MultipleFaces,
        Self::AttackSuspected,
        Self::NoMatch,
        Self::ReferenceUnusable,
        Self::PadUnavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoFace => "no_face",
            Self::MultipleFaces => "multiple_faces",
            Self::AttackSuspected => "attack_suspected",
            Self::NoMatch => "no_match",
            Self::ReferenceUnusable => "reference_unusable",
            Self::PadUnavailable => "pad_unavailable",
        }
    }

    /// The citizen's message in `lang` (server/src/http/identify.toml).
    pub fn message(self, lang: Lang) -> &'static str {
        #[derive(Deserialize)]
        struct Entry {
            kk: String,
            ru: String,
            en: String,
        }
        static CATALOGUE: OnceLock<HashMap<IdentifyCode, Entry>> = OnceLock::new();
        let c = CATALOGUE
            .get_or_init(|| toml::from_str(include_str!("../identify.toml")).expect("identify.toml parses"));
        let e = c.get(&self).expect("every identify code has messages (a test checks)");
        match lang {
            Lang::Kk => &e.kk,
            Lang::Ru => &e.ru,
            Lang::En => &e.en,
        }
    }

    fn reason(self, lang: Lang) -> Reason {
        Reason { code: self.as_str(), message: self.message(lang) }
    }
}

/// One reason for the outcome.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reason {
    /// `no_face`, `multiple_faces`, `attack_suspected`, `no_match`, `reference_unusable`,
    /// `pad_unavailable`, or a photo-quality code (`face_too_small`, `turned`, `blurred`, `dark`,
    /// `obscured`).
    pub code: &'static str,
    /// For the citizen, in the requested language.
    pub message: &'static str,
}

/// The identification's outcome.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IdentifyResponse {
    pub outcome: Outcome,
    /// Why, each with the citizen's message; empty when `identified`.
    pub reasons: Vec<Reason>,
    /// PAD on the face; `null` when there is no face or the service runs without PAD
    /// (`pad_missing` says which).
    pub pad: Option<PadReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pad_missing: Option<PadMissing>,
    /// Similarity to the reference; `null` when the comparison was not run (`retake` for no or
    /// several faces, `attack_suspected`).
    pub score: Option<f32>,
    /// The score a match needs (the calibration's default operating point).
    pub threshold: f32,
    /// The calibrated false match rate the threshold stands for.
    pub fmr: f64,
    /// Recognition model id.
    pub model: String,
    /// Where the reference came from (`store` or `gbd`); `null` when it was not looked up.
    pub reference_source: Option<String>,
}

/// Multipart form of `POST /v1/kiosk/identify`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct IdentifyForm {
    /// The captured frame or its crop (JPEG or PNG).
    #[schema(format = Binary, value_type = String)]
    photo: Vec<u8>,
    /// The IIN the person claims.
    iin: String,
}

/// Identify the person at a kiosk: the frame's face, live, against the IIN's reference.
///
/// Same intake limits and errors as `POST /v1/verify`. `retake`: no face, more than one face, or
/// a photo too poor to judge a comparison. `attack_suspected`: PAD says attack at the kiosk
/// profile's `[pad]` threshold; the comparison is not run. Otherwise the comparison at the
/// calibration's default operating point: `identified` or `not_identified`.
#[utoipa::path(
    post,
    path = "/v1/kiosk/identify",
    params(IdentifyQuery),
    request_body(content = IdentifyForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The outcome, its reasons, PAD and the score", body = IdentifyResponse),
        (status = 400, description = "Missing part (`missing_field`), bad IIN (`invalid_iin`), bad query", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the `verify` scope", body = ErrorResponse),
        (status = 404, description = "No reference for this IIN (`reference_not_found`)", body = ErrorResponse),
        (status = 408, description = "The body did not arrive within `body_read_timeout_ms`", body = ErrorResponse),
        (status = 409, description = "`reference_outdated`, as `POST /v1/verify`", body = ErrorResponse),
        (status = 413, description = "Over the body or pixel limits", body = ErrorResponse),
        (status = 422, description = "Not a readable image; a reference that yields no template", body = ErrorResponse),
        (status = 503, description = "Saturated, past the deadline, or ГБД ФЛ unavailable", body = ErrorResponse),
    ),
    security(("api_key" = ["verify"])),
    tag = "kiosk"
)]
pub async fn identify(
    State(state): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<IdentifyQuery>,
    req: Request,
) -> (AuditFacts, Result<Json<IdentifyResponse>, ApiError>) {
    let mut facts = AuditFacts::default();
    let result = run(&state, q, req, &mut facts).await;
    if let Ok(v) = &result {
        let outcome = v.outcome.as_str();
        state.metrics.decision("identify", outcome);
        facts.decision = Some(outcome);
        facts.score = v.score;
        facts.reasons = v.reasons.iter().map(|r| r.code).collect();
    }
    (facts, result.map(Json))
}

/// What the photo alone says, before any reference is looked up.
enum Probe {
    /// No face, or several: nothing to compare.
    Unjudged(IdentifyCode),
    /// PAD says attack.
    Attack(PadReport),
    /// One face, live (or PAD unavailable): its template and usability.
    Face(Result<PadReport, PadMissing>, sapa_engine::Template, Usability),
}

async fn run(
    state: &Arc<AppState>,
    q: IdentifyQuery,
    req: Request,
    facts: &mut AuditFacts,
) -> Result<IdentifyResponse, ApiError> {
    let lang = super::lang(q.lang.as_deref(), req.headers())?;
    let (fmr, threshold) = operating_point(state, None, lang)?;
    let admission = state.admit().map_err(|e| e.in_lang(lang))?;
    let fail = |e: ApiError| e.in_lang(lang);
    let mut parts = body::form(req, state.intake()).await.map_err(fail)?;
    let photo = parts.file("photo").map_err(fail)?;
    let iin = parts.texts.remove("iin").ok_or_else(|| {
        fail(ApiError::bad_request(crate::error_code::ErrorCode::MissingField, "give the `iin`"))
    })?;
    let iin = Iin::parse(iin.trim()).map_err(|e| fail(ReferenceError::from(e).into()))?;
    facts.iin_hash = Some(state.audit.iin_hash(&iin));
    let engine = state.engine.clone();
    let model = engine.recognizer.model().id().to_string();
    let (probe, timing) = state
        .compute_admitted(admission, move || {
            let mut timing = Timing::default();
            let probe = (|| {
                let analyzer = engine.validator.analyzer();
                let decoded = timing.stage("decode", || analyzer.decode(&photo))?;
                let analysis =
                    timing.stage("analyze", || analyzer.analyze(&decoded.rgb, decoded.source.clone()))?;
                let face = match analysis.faces.as_slice() {
                    [] => return Ok(Probe::Unjudged(IdentifyCode::NoFace)),
                    [face] => face,
                    _ => return Ok(Probe::Unjudged(IdentifyCode::MultipleFaces)),
                };
                let pad = match &engine.pad {
                    Some(pad) => Ok(pad.judge(&decoded.rgb, &face.detection.bbox, &mut timing)?),
                    None => Err(PadMissing::PadUnavailable),
                };
                if let Ok(p) = &pad
                    && p.decision == PadDecision::Attack
                {
                    return Ok(Probe::Attack(p.clone()));
                }
                let (template, usability) = engine.assessed_template(&decoded.rgb, &analysis, &mut timing)?;
                Ok::<_, ApiError>(Probe::Face(pad, template, usability))
            })();
            (probe, timing)
        })
        .await
        .map_err(fail)?;
    state.record_timing(&timing);
    let answer = |outcome, reasons, pad: Option<Result<PadReport, PadMissing>>, score, source| {
        let (pad, pad_missing) = match pad {
            Some(Ok(p)) => (Some(p), None),
            Some(Err(m)) => (None, Some(m)),
            None => (None, Some(PadMissing::NoFace)),
        };
        IdentifyResponse {
            outcome,
            reasons,
            pad,
            pad_missing,
            score,
            threshold,
            fmr,
            model: model.clone(),
            reference_source: source,
        }
    };
    let (pad, probe_t, probe_u) = match probe.map_err(fail)? {
        Probe::Unjudged(code) => {
            return Ok(answer(Outcome::Retake, vec![code.reason(lang)], None, None, None));
        }
        Probe::Attack(p) => {
            let reasons = vec![IdentifyCode::AttackSuspected.reason(lang)];
            return Ok(answer(Outcome::AttackSuspected, reasons, Some(Ok(p)), None, None));
        }
        Probe::Face(pad, t, u) => (pad, t, u),
    };
    let (reference_t, reference_u, origin) = reference_of(state, iin, lang).await?;
    let score = probe_t.similarity(&reference_t).map_err(|e| fail(e.into()))?;
    let verdict = Verdict::decide(score, threshold, &probe_u, &reference_u);
    let poor = poor_photos(verdict, &probe_u, &reference_u, lang)
        .into_iter()
        .map(|p| Reason { code: p.reason, message: p.message });
    let (mut outcome, mut reasons): (Outcome, Vec<Reason>) = match verdict {
        Verdict::Match => (Outcome::Identified, Vec::new()),
        Verdict::NoMatch => (Outcome::NotIdentified, vec![IdentifyCode::NoMatch.reason(lang)]),
        Verdict::Retake => (Outcome::Retake, poor.collect()),
        Verdict::ReferenceUnusable => (
            Outcome::NotIdentified,
            std::iter::once(IdentifyCode::ReferenceUnusable.reason(lang)).chain(poor).collect(),
        ),
    };
    if pad.is_err() {
        // Fail closed: an unattended kiosk that cannot tell a live face from a presented one
        // does not identify anyone, whatever the match says.
        if outcome == Outcome::Identified {
            outcome = Outcome::NotIdentified;
        }
        reasons.push(IdentifyCode::PadUnavailable.reason(lang));
    }
    Ok(answer(outcome, reasons, Some(pad), Some(score), Some(origin.as_str().to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_identify_code_speaks_kazakh_russian_and_english() {
        for code in IdentifyCode::ALL {
            let [kk, ru, en] = [Lang::Kk, Lang::Ru, Lang::En].map(|l| code.message(l));
            for m in [kk, ru, en] {
                assert!(!m.trim().is_empty(), "{code:?}");
            }
            assert!(kk != en && ru != en && kk != ru, "{code:?}: a copy");
            let parsed: IdentifyCode = serde_json::from_value(serde_json::json!(code.as_str())).unwrap();
            assert_eq!(parsed, code);
        }
    }
}
