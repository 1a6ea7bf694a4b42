//! One module per signature check. Each reads the measured [`Sample`](super::sample::Sample) and
//! the `[signature]` profile and returns its results; every measure is reported, or reported as
//! not measured with the reason, never skipped.

pub mod background;
pub mod blur;
pub mod contrast;
pub mod cropped;
pub mod ink_colour;
pub mod lighting;
pub mod missing;
pub mod multiple;
pub mod not_a_signature;
pub mod not_handwritten;
pub mod rotated;
pub mod too_small;

use super::SignatureCode;
use super::report::SignatureCheck;
use crate::validate::Threshold;

/// The usual "there is no ink to measure" result.
fn no_ink(code: SignatureCode, measure: &'static str, threshold: Threshold) -> SignatureCheck {
    SignatureCheck::not_measured(code, measure, threshold, "no ink found")
}
