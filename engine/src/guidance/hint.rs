//! From a frame's judged measures to what the person in front of the camera should do. Pure: the
//! checks (`crate::validate::checks`) measure and judge with the profile's thresholds; this module
//! only turns their failures, and the crop's place in the frame, into typed hints.

use crate::image::resize::Rect;
use crate::validate::messages::Lang;
use crate::validate::{CheckResult, Code, Status};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

macro_rules! hints {
    ($($variant:ident => $name:literal,)+) => {
        /// One thing to do. Declared most urgent first: nothing else can be judged without one
        /// face, a pose is judged only once the face is placed, light and focus last (hints sort
        /// by this order). "Left" and "right" are the person's own.
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Hint {
            $($variant,)+
        }

        impl Hint {
            /// Every hint, most urgent first.
            pub const ALL: &'static [Hint] = &[$(Hint::$variant,)+];

            /// The stable string (as serialised).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Hint::$variant => $name,)+
                }
            }
        }
    };
}

hints! {
    NoFace => "no_face",
    OnePersonOnly => "one_person_only",
    MoveBack => "move_back",
    MoveCloser => "move_closer",
    MoveLeft => "move_left",
    MoveRight => "move_right",
    MoveUp => "move_up",
    MoveDown => "move_down",
    TurnLeft => "turn_left",
    TurnRight => "turn_right",
    ChinUp => "chin_up",
    ChinDown => "chin_down",
    StraightenHead => "straighten_head",
    OpenEyes => "open_eyes",
    LookAtCamera => "look_at_camera",
    CloseMouth => "close_mouth",
    NeutralExpression => "neutral_expression",
    RemoveGlasses => "remove_glasses",
    RemoveHeadwear => "remove_headwear",
    MoreLight => "more_light",
    LessLight => "less_light",
    EvenLight => "even_light",
    HoldStill => "hold_still",
}

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const MESSAGES_TOML: &str = include_str!("messages.toml");

#[derive(Deserialize)]
struct Entry {
    kk: String,
    ru: String,
    en: String,
}

fn catalogue() -> &'static HashMap<String, Entry> {
    static CAT: OnceLock<HashMap<String, Entry>> = OnceLock::new();
    CAT.get_or_init(|| toml::from_str(MESSAGES_TOML).expect("embedded guidance messages.toml is valid"))
}

impl Hint {
    /// What the kiosk shows or says, in `lang`.
    pub fn message(self, lang: Lang) -> &'static str {
        match catalogue().get(self.as_str()) {
            Some(e) => match lang {
                Lang::Kk => &e.kk,
                Lang::Ru => &e.ru,
                Lang::En => &e.en,
            },
            None => "",
        }
    }
}

/// Where the ICAO crop the face needs lies in the frame.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    pub width: f32,
    pub height: f32,
    /// The crop the profile wants around this head, wherever it falls (it may leave the frame).
    pub crop: Rect,
    /// The crop's height over the frame's below which the person should come closer.
    pub min_crop_height_share: f32,
    /// The crop's height, in the placement's units, below which the person should come closer
    /// because the crop would have too few of the camera's pixels for the document photo
    /// (`[framing] min_height`, judged as `low_res` by the capture); 0 when the camera cannot give
    /// them at any distance ([`min_crop_height_px`]).
    pub min_crop_height_px: f32,
}

/// The crop height, in the camera frame's own pixels, that the capture's resolution rule asks for
/// (`[framing] min_width` x `min_height` of the crop's own pixels, `low_res`), or `None` when a
/// `width` x `height` frame cannot hold such a crop at any distance: coming closer cannot fix
/// that, so guidance does not ask it (the capture still judges it).
pub fn min_crop_height_px(profile: &crate::validate::Profile, width: u32, height: u32) -> Option<f32> {
    let (f, out) = (&profile.framing, &profile.output);
    let aspect = out.width as f32 / out.height as f32;
    let need = (f.min_height as f32).max(f.min_width as f32 / aspect);
    (need <= height as f32 && need * aspect <= width as f32).then_some(need)
}

/// Distance and centring: the crop must lie inside the frame (the kiosk never pads) and fill
/// enough of it. A crop out on both sides of an axis, or taller or wider than the frame, means
/// the person is too close; out on one side means off centre. The frame is the camera's own
/// (unmirrored): a crop past the image's left edge is a person too far to their own right.
pub fn placement(p: &Placement) -> Vec<Hint> {
    let c = p.crop;
    let (out_left, out_right) = (c.x < 0.0, c.x + c.w > p.width);
    let (out_top, out_bottom) = (c.y < 0.0, c.y + c.h > p.height);
    if c.h > p.height || c.w > p.width || (out_left && out_right) || (out_top && out_bottom) {
        return vec![Hint::MoveBack];
    }
    let mut out = Vec::new();
    if c.h < p.min_crop_height_share * p.height || c.h < p.min_crop_height_px {
        out.push(Hint::MoveCloser);
    }
    if out_left {
        out.push(Hint::MoveLeft);
    }
    if out_right {
        out.push(Hint::MoveRight);
    }
    if out_top {
        out.push(Hint::MoveDown);
    }
    if out_bottom {
        out.push(Hint::MoveUp);
    }
    out
}

/// The hint for one failed check, if the person can fix it. Only what was measured and failed
/// counts: an unmeasured check is the capture's business. Camera properties (resolution, colour,
/// compression, frame rotation) are not the person's to fix and give no hint.
pub fn from_check(r: &CheckResult) -> Option<Hint> {
    if r.passed || r.status != Status::Measured {
        return None;
    }
    let v = r.value?;
    Some(match (r.code, r.measure) {
        // yaw > 0: turned to their own left, so they turn back to their right.
        (Code::TurnedHead, _) => {
            if v > 0.0 {
                Hint::TurnRight
            } else {
                Hint::TurnLeft
            }
        }
        // pitch > 0: looking up, so the chin goes down.
        (Code::Tilted, "pitch_deg") => {
            if v > 0.0 {
                Hint::ChinDown
            } else {
                Hint::ChinUp
            }
        }
        (Code::Tilted, "roll_deg") => Hint::StraightenHead,
        (Code::ClosedEyes, _) => Hint::OpenEyes,
        (Code::GazeAway, _) => Hint::LookAtCamera,
        (Code::OpenMouth, _) => Hint::CloseMouth,
        (Code::NonNeutralExpression, _) => Hint::NeutralExpression,
        (Code::Glasses, _) => Hint::RemoveGlasses,
        (Code::HeadCovering, _) => Hint::RemoveHeadwear,
        (Code::Underexposed, _) => Hint::MoreLight,
        (Code::Overexposed, _) => Hint::LessLight,
        (Code::UnevenLighting, _) => Hint::EvenLight,
        (Code::Blur, _) => Hint::HoldStill,
        _ => return None,
    })
}

/// Every hint for a frame, most urgent first, each once.
pub fn collect(placement_hints: Vec<Hint>, results: &[CheckResult]) -> Vec<Hint> {
    let mut hints: Vec<Hint> =
        placement_hints.into_iter().chain(results.iter().filter_map(from_check)).collect();
    hints.sort();
    hints.dedup();
    hints
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Threshold;

    fn failed(code: Code, measure: &'static str, v: f32) -> CheckResult {
        CheckResult::judge(code, measure, v, Threshold::Range { min: -1.0, max: 1.0 })
    }

    fn place(x: f32, y: f32, w: f32, h: f32) -> Vec<Hint> {
        placement(&Placement {
            width: 640.0,
            height: 480.0,
            crop: Rect { x, y, w, h },
            min_crop_height_share: 0.7,
            min_crop_height_px: 0.0,
        })
    }

    #[test]
    fn every_hint_has_three_distinct_languages() {
        for &h in Hint::ALL {
            let [kk, ru, en] = [Lang::Kk, Lang::Ru, Lang::En].map(|l| h.message(l));
            assert!(kk.len() > 5 && ru.len() > 5 && en.len() > 5, "{h}: a message is missing");
            assert!(kk != ru && ru != en, "{h}: a message is a copy of another language");
        }
    }

    #[test]
    fn the_crop_s_place_says_which_way_to_move() {
        assert!(place(170.0, 40.0, 300.0, 400.0).is_empty(), "centred, large enough");
        assert_eq!(place(170.0, 60.0, 200.0, 260.0), vec![Hint::MoveCloser]);
        assert_eq!(place(-20.0, 40.0, 300.0, 400.0), vec![Hint::MoveLeft]);
        assert_eq!(place(360.0, 40.0, 300.0, 400.0), vec![Hint::MoveRight]);
        assert_eq!(place(170.0, -30.0, 300.0, 400.0), vec![Hint::MoveDown]);
        assert_eq!(place(170.0, 100.0, 300.0, 400.0), vec![Hint::MoveUp]);
        assert_eq!(place(100.0, -10.0, 400.0, 500.0), vec![Hint::MoveBack]);
    }

    #[test]
    fn a_crop_with_too_few_camera_pixels_asks_the_person_closer_when_the_camera_can_give_them() {
        let kiosk = crate::validate::Profile::built_in("kiosk").unwrap();
        // 600 px of crop height (`[framing] min_height`; 450 px wide needs only 579 at 413:531).
        assert_eq!(min_crop_height_px(&kiosk, 1280, 720), Some(600.0));
        assert_eq!(min_crop_height_px(&kiosk, 1920, 1080), Some(600.0));
        assert_eq!(min_crop_height_px(&kiosk, 640, 480), None, "no distance gives 600 px of 480");
        // A 1280x720 frame: a crop of 0.75 of its height passes the share but has 540 px.
        let at = |h: f32| {
            placement(&Placement {
                width: 1280.0,
                height: 720.0,
                crop: Rect { x: 640.0 - h * 0.39, y: (720.0 - h) / 2.0, w: h * 0.778, h },
                min_crop_height_share: 0.7,
                min_crop_height_px: 600.0,
            })
        };
        assert_eq!(at(540.0), vec![Hint::MoveCloser]);
        assert!(at(610.0).is_empty());
    }

    #[test]
    fn a_failed_check_names_the_way_to_fix_it() {
        assert_eq!(from_check(&failed(Code::TurnedHead, "yaw_deg", 12.0)), Some(Hint::TurnRight));
        assert_eq!(from_check(&failed(Code::TurnedHead, "yaw_deg", -12.0)), Some(Hint::TurnLeft));
        assert_eq!(from_check(&failed(Code::Tilted, "pitch_deg", 15.0)), Some(Hint::ChinDown));
        assert_eq!(from_check(&failed(Code::Tilted, "roll_deg", -15.0)), Some(Hint::StraightenHead));
        assert_eq!(from_check(&failed(Code::Tilted, "frame_rotation_deg", 5.0)), None);
        assert_eq!(from_check(&failed(Code::LowRes, "inter_eye_px", 5.0)), None);
        assert_eq!(from_check(&failed(Code::TurnedHead, "yaw_deg", 0.5)), None, "passed");
        let unmeasured = CheckResult::not_measured(
            Code::Glasses,
            "eye_band_glasses_share",
            Threshold::Max { max: 0.0 },
            "-",
        );
        assert_eq!(from_check(&unmeasured), None);
    }

    #[test]
    fn hints_come_most_urgent_first_and_once() {
        let results = [
            failed(Code::Blur, "edge_sharpness", 5.0),
            failed(Code::TurnedHead, "yaw_deg", 9.0),
            failed(Code::Underexposed, "dark_share", 5.0),
            failed(Code::Underexposed, "face_luminance", 5.0),
        ];
        let hints = collect(vec![Hint::MoveCloser], &results);
        assert_eq!(hints, vec![Hint::MoveCloser, Hint::TurnRight, Hint::MoreLight, Hint::HoldStill]);
    }
}
