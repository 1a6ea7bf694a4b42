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
        let row = &s.dark[y * s.w..(y + 1) * s.w];
        if has_lines {
            for x in (0..s.w).step_by(2) {
                if row[x] < s.threshold && !s.lines.on(x, y) {
                    sum += u64::from(row[x]);
                    n += 1;
                }
            }
        } else {
            // Every other pixel, without a branch: a row's sums fit in 32 bits.
            let (mut rs, mut rn) = (0u32, 0u32);
            for pair in row.chunks(2) {
                let keep = u32::from(pair[0] < s.threshold);
                rs += keep * u32::from(pair[0]);
                rn += keep;
            }
            sum += u64::from(rs);
            n += u64::from(rn);
        }
    }
    sum as f32 / n.max(1) as f32
}
