//! Geometry of the frame: head size, margins, centring and resolution (ICAO 9303 / ISO 19794-5).

use crate::validate::code::Code;
use crate::validate::context::Ctx;
use crate::validate::profile::Profile;
use crate::validate::report::{CheckResult, Threshold};

pub fn check(ctx: &Ctx, p: &Profile) -> Vec<CheckResult> {
    let f = &p.framing;
    let h = &ctx.head;
    let fr = ctx.frame;
    let in_crop = ctx.crop.is_some() && p.frame == crate::validate::profile::FrameMode::Crop;
    // Judged on the proposed crop: what the crop sets (head size, horizontal centring) is reported
    // as fixed by it; what it only frames (the eyes' height, given the head's proportions) is read.
    // Where the crop could not reach the target (held back at the image's edge), the failure stays.
    let note = |c: CheckResult| {
        if in_crop { c.with_note("judged on the proposed crop") } else { c }
    };
    let set_by_crop = |c: CheckResult| if in_crop && c.passed { c.fixed_by_crop() } else { note(c) };
    let mut out = Vec::new();

    // The whole head in the original image, with room to spare: a crop cannot add what is not there.
    let (w, hgt) = (ctx.img.width() as f32, ctx.img.height() as f32);
    let margins = [h.crown_y, hgt - h.chin_y, h.left_x, w - h.right_x];
    let min_margin = margins.iter().copied().fold(f32::MAX, f32::min) / h.eye_to_chin;
    out.push(CheckResult::judge(
        Code::HeadCropped,
        "min_margin_eye_chin",
        min_margin,
        Threshold::Min { min: f.min_margin },
    ));

    let head_ratio = h.height() / fr.h;
    out.push(set_by_crop(CheckResult::judge(
        Code::FaceTooSmall,
        "head_height_ratio",
        head_ratio,
        Threshold::Min { min: f.head_height_min },
    )));
    out.push(set_by_crop(CheckResult::judge(
        Code::FaceTooLarge,
        "head_height_ratio",
        head_ratio,
        Threshold::Max { max: f.head_height_max },
    )));

    let ex = (h.eyes.x - fr.x) / fr.w;
    let ey = (h.eyes.y - fr.y) / fr.h;
    out.push(set_by_crop(CheckResult::judge(
        Code::OffCenter,
        "eye_x_ratio",
        ex,
        Threshold::Range { min: f.eye_x_min, max: f.eye_x_max },
    )));
    out.push(note(CheckResult::judge(
        Code::OffCenter,
        "eye_y_ratio",
        ey,
        Threshold::Range { min: f.eye_y_min, max: f.eye_y_max },
    )));

    out.push(CheckResult::judge(
        Code::LowRes,
        "inter_eye_px",
        ctx.lm.measures.inter_eye_px,
        Threshold::Min { min: f.min_inter_eye_px },
    ));
    // The photo's own pixels that end up in it: the crop's source size without the padding strip
    // (extended background adds no resolution), or the whole image.
    let real_w = (fr.x + fr.w).min(w) - fr.x.max(0.0);
    let real_h = (fr.y + fr.h).min(hgt) - fr.y.max(0.0);
    out.push(note(CheckResult::judge(
        Code::LowRes,
        "frame_width_px",
        real_w,
        Threshold::Min { min: f.min_width as f32 },
    )));
    out.push(note(CheckResult::judge(
        Code::LowRes,
        "frame_height_px",
        real_h,
        Threshold::Min { min: f.min_height as f32 },
    )));
    out
}
