//! The stable codes of the signature checks: one enum, so a typo in a check, a profile or a
//! lookup is a compile or load error. Serialised as snake_case (`signature_missing`).

use serde::{Deserialize, Serialize};

macro_rules! codes {
    ($($variant:ident => $name:literal,)+) => {
        /// A signature check's failure code, declared in the order a citizen should fix them:
        /// first what makes the sample no signature at all, then framing, then capture.
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum SignatureCode {
            $($variant,)+
        }

        impl SignatureCode {
            /// Every code, in priority order.
            pub const ALL: &'static [SignatureCode] = &[$(SignatureCode::$variant,)+];

            /// The stable string (as serialised).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(SignatureCode::$variant => $name,)+
                }
            }
        }
    };
}

codes! {
    SignatureMissing => "signature_missing",
    NotASignature => "not_a_signature",
    NotHandwritten => "not_handwritten",
    MultipleSignatures => "multiple_signatures",
    SignatureCropped => "signature_cropped",
    SignatureTooSmall => "signature_too_small",
    Rotated => "rotated",
    LowContrast => "low_contrast",
    Blur => "blur",
    UnevenLighting => "uneven_lighting",
    BackgroundNotPlain => "background_not_plain",
    InkColour => "ink_colour",
}

impl std::fmt::Display for SignatureCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SignatureCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        SignatureCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown signature check code `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_is_the_serialised_form_and_parses_back() {
        for &c in SignatureCode::ALL {
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{c}\""));
            assert_eq!(c.as_str().parse::<SignatureCode>(), Ok(c));
        }
        assert!("blurr".parse::<SignatureCode>().is_err());
        assert!(SignatureCode::SignatureMissing < SignatureCode::InkColour, "priority order");
    }
}
