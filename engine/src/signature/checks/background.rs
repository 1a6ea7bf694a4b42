//! `background_not_plain`: lined, grid or printed paper (ruled lines across the frame), a
//! textured paper (the paper's mean darkness away from the ink) and a stamp (ink in a second
//! colour: a stamp in the signature's own colour is not told apart).

use crate::signature::colour::InkColours;
use crate::signature::report::SignatureCheck;
use crate::signature::sample::Sample;
use crate::signature::{SignatureCode, SignatureProfile};
use crate::validate::Threshold;

pub fn check(s: &Sample, p: &SignatureProfile, colours: &InkColours) -> Vec<SignatureCheck> {
    let code = SignatureCode::BackgroundNotPlain;
    let lines = SignatureCheck::judge(
        code,
        "ruled_lines",
        s.lines.count() as f32,
        Threshold::Max { max: p.max_ruled_lines },
    );
    let mottle =
        SignatureCheck::judge(code, "paper_mottle", mottle(s), Threshold::Max { max: p.max_paper_mottle });
    let t = Threshold::Max { max: p.max_second_colour_share };
    let second = if colours.total() == 0 {
        SignatureCheck::not_measured(code, "second_colour_share", t, "no ink found")
    } else {
        SignatureCheck::judge(code, "second_colour_share", colours.second_share(), t)
    };
    vec![lines, mottle, second]
}

/// Mean darkness of the paper away from ink and printed lines (0-255): near 0 on plain paper.
fn mottle(s: &Sample) -> f32 {
    let (mut sum, mut n) = (0u64, 0u64);
    let has_lines = s.lines.count() > 0;
    for y in (0..s.h).step_by(2) {
        for x in (0..s.w).step_by(2) {
            let d = s.dark[y * s.w + x];
            if d < s.threshold && (!has_lines || !s.lines.on(x, y)) {
                sum += u64::from(d);
                n += 1;
            }
        }
    }
    sum as f32 / n.max(1) as f32
}
