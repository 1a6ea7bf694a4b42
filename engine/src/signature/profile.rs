//! The `[signature]` section of a profile: every threshold the signature checks compare against,
//! and the size of the normalised sample. The numbers and where they come from are in
//! `profiles/*.toml`.

use super::code::SignatureCode;
use crate::validate::report::{Severity, Unmeasurable};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// An ink colour class, as `ink_colour` names it (blue includes violet ballpoint ink).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InkColour {
    Black,
    Blue,
    Red,
    Green,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureProfile {
    /// The normalised sample's size in pixels (the signature field of the document).
    pub field_width_px: u32,
    pub field_height_px: u32,
    /// White margin around the ink in the normalised sample, as a share of the ink's height.
    pub margin: f32,
    /// `signature_missing`: minimum share of the frame that is ink.
    pub min_ink_share: f32,
    /// `low_contrast`: minimum darkness of the ink's core against its paper (0-255).
    pub min_ink_darkness: f32,
    /// `background_not_plain`: maximum ruled lines (rows or columns of print across the frame),
    /// maximum mean darkness of the paper away from the ink (texture), maximum share of the ink
    /// in a second colour (a stamp).
    pub max_ruled_lines: f32,
    pub max_paper_mottle: f32,
    pub max_second_colour_share: f32,
    /// `signature_cropped`: maximum ink strokes the frame edge cuts (ink on the border over the
    /// stroke width).
    pub max_cut_strokes: f32,
    /// `multiple_signatures`: maximum separate blocks of writing; blocks are apart when a gap is
    /// wider than `block_gap` times the height of the tallest line of writing.
    pub max_writing_blocks: f32,
    pub block_gap: f32,
    /// `not_handwritten`: maximum share of the ink's edges that run exactly along or across the
    /// writing's axis (type is made of straight strokes, handwriting of curves).
    pub max_axis_aligned_edges: f32,
    /// ...and the most separate letters that share one height and one baseline (type's capitals).
    pub max_aligned_letters: f32,
    /// `not_a_signature`: maximum share of the ink's bounding box that is ink, and maximum stroke
    /// width over the ink's height (a photo or an object is filled, a signature is lines).
    pub max_box_fill: f32,
    pub max_stroke_to_height: f32,
    /// `signature_too_small`: minimum ink height and ink pixel count.
    pub min_ink_height_px: f32,
    pub min_ink_pixels: f32,
    /// `blur`: minimum steepness of the ink's edges (the largest one-pixel step over the local
    /// range; about 0.5 for a sharp edge).
    pub min_edge_sharpness: f32,
    /// `uneven_lighting`: maximum spread of the paper's brightness (98th minus 2nd percentile over
    /// the 98th).
    pub max_paper_spread: f32,
    /// `rotated`: maximum angle of the writing's main axis, degrees.
    pub max_rotation_deg: f32,
    /// `ink_colour`: the allowed colours and the minimum share of ink in them.
    pub allowed_colours: Vec<InkColour>,
    pub min_allowed_colour_share: f32,
    /// Per-code severity overrides (`reject` is the default).
    #[serde(default)]
    pub severity: HashMap<SignatureCode, Severity>,
    /// What a check does when it could not be measured (`warn` when absent).
    #[serde(default)]
    pub on_unmeasurable: Unmeasurable,
}

impl SignatureProfile {
    pub fn severity(&self, code: SignatureCode) -> Severity {
        self.severity.get(&code).copied().unwrap_or_default()
    }
}
