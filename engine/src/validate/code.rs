//! The stable codes of the checks: one enum, so a typo in a check, a profile or a lookup is a
//! compile error or a load-time error, never a silent no-op. Serialised as the snake_case
//! string clients already read (`turned_head`).

use serde::{Deserialize, Serialize};

macro_rules! codes {
    ($($variant:ident => $name:literal,)+) => {
        /// A check's failure code. Declared in the order a citizen should fix them: first what
        /// makes the photo unusable, then framing, then what the person does, then what the
        /// camera and the room do (reports sort by it).
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Code {
            $($variant,)+
        }

        impl Code {
            /// Every code, in priority order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)+];

            /// The stable string (as serialised).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)+
                }
            }
        }
    };
}

codes! {
    NoFace => "no_face",
    MultipleFaces => "multiple_faces",
    HeadCropped => "head_cropped",
    FaceTooSmall => "face_too_small",
    FaceTooLarge => "face_too_large",
    LowRes => "low_res",
    OffCenter => "off_center",
    TurnedHead => "turned_head",
    Tilted => "tilted",
    Occlusion => "occlusion",
    HeadCovering => "head_covering",
    Glasses => "glasses",
    ClosedEyes => "closed_eyes",
    GazeAway => "gaze_away",
    OpenMouth => "open_mouth",
    NonNeutralExpression => "non_neutral_expression",
    RedEye => "red_eye",
    Blur => "blur",
    Underexposed => "underexposed",
    Overexposed => "overexposed",
    UnevenLighting => "uneven_lighting",
    LowDynamicRange => "low_dynamic_range",
    Grayscale => "grayscale",
    ColourCast => "colour_cast",
    CompressionArtifacts => "compression_artifacts",
    BusyBackground => "busy_background",
    DarkBackground => "dark_background",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Code {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Code::ALL.iter().copied().find(|c| c.as_str() == s).ok_or_else(|| format!("unknown check code `{s}`"))
    }
}

/// The codes as their strings, joined by `sep` (for reports and logs).
pub fn joined(codes: &[Code], sep: &str) -> String {
    codes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(sep)
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_is_the_serialised_form_and_parses_back() {
        for &c in Code::ALL {
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{c}\""));
            assert_eq!(c.as_str().parse::<Code>(), Ok(c));
        }
        assert!("glases".parse::<Code>().is_err());
        assert!(Code::NoFace < Code::Blur, "priority order");
    }
}
