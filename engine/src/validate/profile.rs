//! Validation profiles: every threshold a check uses, read from TOML. The three built-in profiles
//! (`profiles/*.toml` in the repository) are compiled in; any other file can be loaded at run time.

use super::code::Code;
use super::report::{Severity, Unmeasurable};
use crate::error::{EngineError, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How the frame is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameMode {
    /// Judge the framing of the 35x45 crop Sapa proposes: framing a crop can fix is not a fault.
    Crop,
    /// Judge the frame exactly as given (strict ICAO).
    AsGiven,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub description: String,
    pub frame: FrameMode,
    /// Where each number comes from.
    #[serde(default)]
    pub sources: Vec<String>,
    pub output: OutputSpec,
    pub faces: Faces,
    pub framing: Framing,
    pub pose: Pose,
    pub eyes: Eyes,
    pub mouth: Mouth,
    pub occlusion: Occlusion,
    pub capture: Capture,
    pub background: Background,
    /// Live guidance at a kiosk camera (`crate::guidance`); defaults where a profile has none.
    #[serde(default)]
    pub guidance: Guidance,
    /// Signature samples: thresholds of `crate::signature`'s checks and the normalised size.
    pub signature: crate::signature::SignatureProfile,
    /// Presentation-attack detection's operating point (`crate::pad`); only where PAD is used.
    #[serde(default)]
    pub pad: Option<crate::pad::PadProfile>,
    /// Per-code severity overrides (`reject` is the default). An unknown code is refused at load.
    #[serde(default)]
    pub severity: HashMap<Code, Severity>,
    /// What a code does when none of its measures could be taken on a photo: `pass`, `warn` or
    /// `reject`, per code, with `default` for the rest (itself `warn` when absent). Nothing that
    /// was not measured passes silently: the report lists it under `not_measured`.
    #[serde(default)]
    pub on_unmeasurable: OnUnmeasurable,
}

/// `[on_unmeasurable]`: `default`, then any code by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OnUnmeasurable {
    #[serde(default)]
    pub default: Unmeasurable,
    #[serde(flatten)]
    pub codes: HashMap<Code, Unmeasurable>,
}

/// The rendered crop: 35x45 mm at 300 dpi is 413x531 px.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    pub width: u32,
    pub height: u32,
    /// Share of the crop height between its top edge and the crown.
    pub top_margin: f32,
    /// Chin-to-crown over crop height the crop aims for.
    pub head_height: f32,
    /// How far the crop may reach past the image edges, as a share of its own size; the strip
    /// is filled with the colour of the image's top edge (a plain background extended).
    #[serde(default)]
    pub max_padding: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faces {
    /// Area of the second-largest face over the largest above which a second person counts.
    pub max_second_face_ratio: f32,
    /// A second detection pass for people cut by the frame edge: the frame shrunk to this share
    /// of the detector's input (context for a half-visible face), at this detector score.
    pub edge_pass_fill: f32,
    pub edge_pass_min_score: f32,
    /// Minimum face-presence score of the landmark model on another detection for it to count
    /// as a face.
    pub min_face_presence: f32,
    /// Maximum area of a person region separate from the main person, over the main face box.
    pub max_other_person_ratio: f32,
    /// Another detection is a separate face only while its overlap (IoU) with the main face and
    /// with every face already counted stays below this.
    #[serde(default = "d_second_face_max_overlap")]
    pub second_face_max_overlap: f32,
    /// A face of the edge pass counts only where the person mask covers at least this share of
    /// its box.
    #[serde(default = "d_edge_face_min_person_coverage")]
    pub edge_face_min_person_coverage: f32,
}

fn d_second_face_max_overlap() -> f32 {
    0.3
}
fn d_edge_face_min_person_coverage() -> f32 {
    0.5
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framing {
    /// Chin-to-crown over frame height: below `min` the face is too small, above `max` too large.
    pub head_height_min: f32,
    pub head_height_max: f32,
    /// Eye midpoint, as a share of frame width (from the left) and height (from the top).
    pub eye_x_min: f32,
    pub eye_x_max: f32,
    pub eye_y_min: f32,
    pub eye_y_max: f32,
    /// Minimum distance between the eye centres, in source pixels.
    pub min_inter_eye_px: f32,
    /// Minimum frame (or crop source) size in pixels.
    pub min_width: u32,
    pub min_height: u32,
    /// Minimum room between the head and each frame edge, in units of the eye-to-chin distance.
    pub min_margin: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pose {
    pub max_yaw_deg: f32,
    pub max_pitch_deg: f32,
    pub max_roll_deg: f32,
    /// Maximum turn of the whole picture inside its frame, read from padded corner wedges.
    pub max_frame_rotation_deg: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Eyes {
    /// Minimum lid gap over eye width for each eye.
    pub min_openness: f32,
    /// Minimum probability, for each eye, that the eye-state classifier sees it open.
    pub min_open_probability: f32,
    /// Minimum share of the iris box the face parser labels eye, for the less visible eye.
    #[serde(default = "d_min_parsed_eye_share")]
    pub min_parsed_eye_share: f32,
    /// The parser's closed eye refuses only when the eye-state classifier also leans closed: its
    /// probability for the less open eye under this (its own decision line).
    #[serde(default = "d_parsed_eye_confirm_below")]
    pub parsed_eye_confirm_below: f32,
    /// Maximum gaze angle (head pose plus eye-in-head), degrees.
    pub max_gaze_deg: f32,
    /// Maximum share of the pupil area that is flash-red.
    pub max_red_share: f32,
    /// A pupil pixel is flash-red when its red channel exceeds this (0-255) and is this many times
    /// both green and blue.
    #[serde(default = "d_red_eye_min_red")]
    pub red_eye_min_red: f32,
    #[serde(default = "d_red_eye_dominance")]
    pub red_eye_dominance: f32,
}

fn d_min_parsed_eye_share() -> f32 {
    0.36
}
fn d_parsed_eye_confirm_below() -> f32 {
    0.5
}
fn d_red_eye_min_red() -> f32 {
    90.0
}
fn d_red_eye_dominance() -> f32 {
    1.8
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mouth {
    /// Maximum mouth opening: the largest inner-lip gap over the eye-to-chin distance, times the
    /// square root of the share of the mouth showing teeth or interior.
    pub max_openness: f32,
    /// Maximum expression score (0 neutral, 1 clearly not).
    pub max_expression: f32,
    /// Maximum smile: how far the mouth corners sit above the lips' centre, over mouth width.
    pub max_smile: f32,
    /// Maximum mean of the two mouth-corner smile blendshapes (MediaPipe's, 0 to 1), read from
    /// the mesh's shape: it sees a closed-mouth smile the pixel classifier misses.
    pub max_smile_shape: f32,
    /// Maximum probability of a smile or a disgust grimace on the second expression classifier
    /// (face-api's, colour 112 px crops). Not read where the face parser finds the mouth covered.
    #[serde(default = "d_max_mouth_expression")]
    pub max_mouth_expression: f32,
    /// A mouth pixel is teeth when its CIELAB L* exceeds the lips' by this and (in colour) its a*
    /// is below the lips' by `teeth_redness`; it is the mouth's interior when its L* is below the
    /// lips' by `interior_darkness`.
    #[serde(default = "d_teeth_lightness")]
    pub teeth_lightness: f32,
    #[serde(default = "d_teeth_redness")]
    pub teeth_redness: f32,
    #[serde(default = "d_interior_darkness")]
    pub interior_darkness: f32,
}

fn d_max_mouth_expression() -> f32 {
    0.5
}
fn d_teeth_lightness() -> f32 {
    12.0
}
fn d_teeth_redness() -> f32 {
    6.0
}
fn d_interior_darkness() -> f32 {
    25.0
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Occlusion {
    /// Maximum share of the band across the eyes parsed as eyeglasses.
    pub max_glasses_share: f32,
    /// Minimum share of the outer-lip outline parsed as mouth or lips (a mask hides them).
    pub min_mouth_visible: f32,
    /// Minimum share of the box around the nose tip parsed as nose.
    pub min_nose_visible: f32,
    /// Maximum share of the eyes' band parsed as hair (hair across the eyes).
    pub max_eye_hair_share: f32,
    /// Maximum share of the band above the hairline parsed as hat or cloth.
    pub max_head_covering_share: f32,
    /// Whether a headscarf worn for religious reasons is accepted: a covering that wraps the
    /// sides of the face (at least `min_scarf_side_share` of each cheek-side band) and leaves at
    /// least `min_face_visible` of the face outline visible.
    pub allow_religious_headscarf: bool,
    pub min_scarf_side_share: f32,
    pub min_face_visible: f32,
    /// A palm near the face counts as a hand when the hand-landmark model's presence is at least
    /// this (MediaPipe's own floor is 0.5).
    #[serde(default = "d_min_hand_presence")]
    pub min_hand_presence: f32,
    /// Maximum share of a hand's 21 landmarks inside the face box enlarged 1.2x: more is a hand
    /// over the face.
    #[serde(default = "d_max_hand_on_face_share")]
    pub max_hand_on_face_share: f32,
}

fn d_min_hand_presence() -> f32 {
    0.5
}

fn d_max_hand_on_face_share() -> f32 {
    0.3
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capture {
    /// Minimum slope over local range at the face's strongest edges (0.5 is a one-pixel edge;
    /// see `quality::sharpness`).
    pub min_edge_sharpness: f32,
    /// Maximum share of face pixels with luminance at or below `dark_pixel_luma` (OFIQ
    /// under-exposure).
    pub max_dark_share: f32,
    /// Maximum share of face pixels with luminance at or above `bright_pixel_luma` (OFIQ
    /// over-exposure).
    pub max_bright_share: f32,
    /// The clipping bounds those shares count (0-255 luminance; OFIQ uses 25 and 247).
    #[serde(default = "d_dark_pixel_luma")]
    pub dark_pixel_luma: f32,
    #[serde(default = "d_bright_pixel_luma")]
    pub bright_pixel_luma: f32,
    /// Face mean luminance must lie in this range.
    pub min_face_luminance: f32,
    pub max_face_luminance: f32,
    /// Minimum 99th-percentile luminance of the whole image (a photo taken in too little light).
    pub min_white_point: f32,
    /// Minimum entropy of the face luminance histogram, bits (OFIQ dynamic range).
    pub min_entropy_bits: f32,
    /// Maximum difference of mean luminance between face halves over the face mean.
    pub max_lighting_asymmetry: f32,
    /// Natural skin range of mean CIELAB a* and b* on the cheeks (OFIQ natural colour).
    pub skin_a_min: f32,
    pub skin_a_max: f32,
    pub skin_b_min: f32,
    pub skin_b_max: f32,
    /// Minimum mean chroma of the image for it to count as a colour photo.
    pub min_chroma: f32,
    /// Minimum estimated JPEG quality (IJG scale 1-100), read from the file's quantisation table.
    pub min_jpeg_quality: f32,
    /// Maximum 8×8 block-grid strength measured in the pixels around the face (see
    /// `quality::blockiness`): catches a photo compressed hard and saved again at a high quality.
    pub max_blockiness: f32,
    /// The eyes as exposure and colour references (`quality::eye_references`): the largest share
    /// of blown-out sclera, the range the pupils' black may take (lifted: washed out; crushed: a
    /// darkening tone curve), and the range of the sclera's CIELAB b* (white balance).
    pub max_sclera_clipped_share: f32,
    pub min_pupil_luminance: f32,
    pub max_pupil_luminance: f32,
    pub sclera_b_min: f32,
    pub sclera_b_max: f32,
}

fn d_dark_pixel_luma() -> f32 {
    25.0
}
fn d_bright_pixel_luma() -> f32 {
    247.0
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Background {
    /// Maximum mean luminance gradient over the background (OFIQ background uniformity).
    pub max_gradient: f32,
    /// Minimum mean background luminance (0-255).
    pub min_luminance: f32,
    /// Below this share of the frame the background is too small to judge.
    pub min_share: f32,
}

/// `[guidance]`: what live guidance adds to the checks' thresholds, which it reuses. Guidance
/// judges only what is independent of the camera's resolution (a preview frame is small); the
/// capture judges the full-resolution frame with every check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Guidance {
    /// Frames are shrunk to this long side before measuring (the fast path).
    pub max_long_side: u32,
    /// The ICAO crop's height over the frame's below which the person is asked to come closer.
    pub min_crop_height_share: f32,
    /// Run the face parser (glasses, head covering) on a frame that passes everything else.
    pub parse_when_ready: bool,
}

impl Default for Guidance {
    fn default() -> Self {
        Self { max_long_side: 640, min_crop_height_share: 0.7, parse_when_ready: true }
    }
}

const BUILT_IN: [(&str, &str); 3] = [
    ("kz-id", include_str!("../../../profiles/kz-id.toml")),
    ("icao", include_str!("../../../profiles/icao.toml")),
    ("kiosk", include_str!("../../../profiles/kiosk.toml")),
];

impl Profile {
    /// Names of the compiled-in profiles; the first is the default.
    pub fn built_in_names() -> Vec<&'static str> {
        BUILT_IN.iter().map(|(n, _)| *n).collect()
    }

    /// A compiled-in profile by name.
    pub fn built_in(name: &str) -> Result<Profile> {
        let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            EngineError::Config(format!("no built-in profile {name:?} (have kz-id, icao, kiosk)"))
        })?;
        Profile::from_toml(text)
    }

    pub fn from_toml(text: &str) -> Result<Profile> {
        let p: Profile = toml::from_str(text).map_err(|e| EngineError::Config(format!("profile: {e}")))?;
        p.check()?;
        Ok(p)
    }

    fn check(&self) -> Result<()> {
        let f = &self.framing;
        let ok = f.head_height_min < f.head_height_max
            && f.eye_x_min < f.eye_x_max
            && f.eye_y_min < f.eye_y_max
            && self.output.width > 0
            && self.output.height > 0;
        if !ok {
            return Err(EngineError::Config(format!("profile {}: inconsistent ranges", self.name)));
        }
        Ok(())
    }

    pub fn severity(&self, code: Code) -> Severity {
        self.severity.get(&code).copied().unwrap_or_default()
    }

    /// The policy for `code` when none of its measures could be taken.
    pub fn on_unmeasurable(&self, code: Code) -> Unmeasurable {
        let u = &self.on_unmeasurable;
        u.codes.get(&code).copied().unwrap_or(u.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_code_in_severity_is_refused_at_load() {
        let text = include_str!("../../../profiles/kz-id.toml");
        let good = format!("{text}\n[severity]\nglasses = \"warn\"\n");
        assert!(Profile::from_toml(&good).is_ok());
        let typo = format!("{text}\n[severity]\nglases = \"warn\"\n");
        let err = Profile::from_toml(&typo).unwrap_err().to_string();
        assert!(err.contains("glases"), "{err}");
    }

    #[test]
    fn an_unknown_code_in_on_unmeasurable_is_refused_and_default_is_warn() {
        let text = include_str!("../../../profiles/kz-id.toml");
        let base = Profile::from_toml(text).unwrap();
        assert_eq!(base.on_unmeasurable(Code::Glasses), Unmeasurable::Warn);
        let table = "[on_unmeasurable]\ndefault = \"reject\"\nglasses = \"pass\"";
        let p = Profile::from_toml(&text.replace("[on_unmeasurable]\ndefault = \"warn\"", table)).unwrap();
        assert_eq!(p.on_unmeasurable(Code::Glasses), Unmeasurable::Pass);
        assert_eq!(p.on_unmeasurable(Code::Blur), Unmeasurable::Reject);
        let bare = Profile { on_unmeasurable: OnUnmeasurable::default(), ..base };
        assert_eq!(bare.on_unmeasurable(Code::Blur), Unmeasurable::Warn);
        let typo = text.replace("[on_unmeasurable]\n", "[on_unmeasurable]\nblurr = \"pass\"\n");
        let err = Profile::from_toml(&typo).unwrap_err().to_string();
        assert!(err.contains("blurr"), "{err}");
    }

    #[test]
    fn built_in_profiles_parse() {
        for name in Profile::built_in_names() {
            let p = Profile::built_in(name).unwrap();
            assert_eq!(p.name, name);
        }
    }
}
