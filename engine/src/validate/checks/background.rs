//! A plain, light background, judged only where the person mask says there is no person.

use crate::validate::code::Code;
use crate::validate::context::Ctx;
use crate::validate::profile::Profile;
use crate::validate::report::{CheckResult, Threshold};

pub fn check(ctx: &Ctx, p: &Profile) -> Vec<CheckResult> {
    let b = &p.background;
    let (t_grad, t_lum) = (Threshold::Max { max: b.max_gradient }, Threshold::Min { min: b.min_luminance });
    let Some(mask) = &ctx.person else {
        return vec![
            CheckResult::not_measured(
                Code::BusyBackground,
                "background_gradient",
                t_grad,
                "segmentation not run",
            ),
            CheckResult::not_measured(
                Code::DarkBackground,
                "background_luminance",
                t_lum,
                "segmentation not run",
            ),
        ];
    };
    let s = crate::quality::segmentation::SIZE;
    let img = &mask.small;
    let luma = |x: u32, y: u32| {
        let p = img.get_pixel(x, y).0;
        0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
    };
    let (mut grad, mut lum, mut n) = (0f32, 0f32, 0u32);
    for y in 1..s - 1 {
        for x in 1..s - 1 {
            // Background only, away from the person's outline (where the mask is uncertain).
            let clear = [(x, y), (x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                .iter()
                .all(|&(u, v)| mask.at(u, v) < 0.1);
            if !clear {
                continue;
            }
            let gx = (luma(x + 1, y) - luma(x - 1, y)) / 2.0;
            let gy = (luma(x, y + 1) - luma(x, y - 1)) / 2.0;
            grad += (gx * gx + gy * gy).sqrt();
            lum += luma(x, y);
            n += 1;
        }
    }
    let share = n as f32 / ((s - 2) * (s - 2)) as f32;
    if share < b.min_share {
        return vec![
            CheckResult::not_measured(
                Code::BusyBackground,
                "background_gradient",
                t_grad,
                "too little background to judge",
            ),
            CheckResult::not_measured(
                Code::DarkBackground,
                "background_luminance",
                t_lum,
                "too little background to judge",
            ),
        ];
    }
    vec![
        CheckResult::judge(Code::BusyBackground, "background_gradient", grad / n as f32, t_grad),
        CheckResult::judge(Code::DarkBackground, "background_luminance", lum / n as f32, t_lum),
    ]
}
