//! A plain, light background, judged only where the person mask says there is no person.

use crate::quality::segmentation::{PersonMask, SIZE};
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
    let min_pixels = (b.min_share * ((SIZE - 2) * (SIZE - 2)) as f32).ceil() as u32;
    // Away from the person first, as far as the face's size says loose hair reaches; a tight crop
    // with little background falls back nearer, down to the pixels just off the outline (close to
    // the measure before session 17).
    let measured = radii(ctx.lm.measures.inter_eye_px, mask)
        .into_iter()
        .map(|r| background_stats(mask, r))
        .find(|st| st.pixels >= min_pixels.max(1));
    let Some(st) = measured else {
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
    };
    vec![
        CheckResult::judge(Code::BusyBackground, "background_gradient", st.gradient, t_grad),
        CheckResult::judge(Code::DarkBackground, "background_luminance", st.luminance, t_lum),
    ]
}

/// How far, in mask pixels (1/256 of the frame's side), the background is read from anything the
/// person mask gives 0.1 or more. Loose hair and flyaway strands sit just outside the mask's
/// outline; at one pixel they read as a busy background (session 17: the Canada set's long and
/// curly hair, 1.6-2.5 against 1.5). Eight pixels (3% of the side) leave most of them out.
const FAR_FROM_PERSON_PX: u32 = 8;
/// Hair reaches as far as the head is large, not as far as the frame is: on a head that fills
/// the frame, curls stand out well past 8 mask pixels (session 19: a held-out Canada portrait read
/// 1.02 against 1.0 at 8 pixels). So the first reading is taken this many eye distances from the
/// person, when that is further than `FAR_FROM_PERSON_PX`. The tune split reads the same at 0.25,
/// 0.3 and 0.35 (BENCHMARKS.md).
const HAIR_REACH_IED: f32 = 0.3;
/// The fallback when too little background lies that far away: just off the outline. It reads
/// higher than the far reading on the same backdrop, so a tight crop is judged a little more
/// strictly; the 8 labelled photos that fall back are all cut-off heads, and none changed verdict.
const NEXT_TO_PERSON_PX: u32 = 1;

/// The distances to read the background at, furthest first: the face-scaled hair reach (when it
/// is further than the fixed one), the fixed one, then just off the outline.
fn radii(inter_eye_px: f32, mask: &PersonMask) -> Vec<u32> {
    // Mask pixels per source pixel along the frame's longer side (the mask squashes the frame).
    let per_px = SIZE as f32 / mask.width.max(mask.height).max(1) as f32;
    let reach = (HAIR_REACH_IED * inter_eye_px * per_px).round();
    let reach = if reach.is_finite() { reach.clamp(0.0, (SIZE / 2) as f32) as u32 } else { 0 };
    (reach > FAR_FROM_PERSON_PX)
        .then_some(reach)
        .into_iter()
        .chain([FAR_FROM_PERSON_PX, NEXT_TO_PERSON_PX])
        .collect()
}

/// Mean luminance gradient and mean luminance over the background pixels at least `r` mask
/// pixels from the person.
struct BackgroundStats {
    gradient: f32,
    luminance: f32,
    pixels: u32,
}

fn background_stats(mask: &PersonMask, r: u32) -> BackgroundStats {
    let s = SIZE;
    let near = near_person(mask, r);
    let img = &mask.small;
    let luma = |x: u32, y: u32| {
        let p = img.get_pixel(x, y).0;
        0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
    };
    let (mut grad, mut lum, mut n) = (0f32, 0f32, 0u32);
    for y in 1..s - 1 {
        for x in 1..s - 1 {
            if near[(y * s + x) as usize] {
                continue;
            }
            let gx = (luma(x + 1, y) - luma(x - 1, y)) / 2.0;
            let gy = (luma(x, y + 1) - luma(x, y - 1)) / 2.0;
            grad += (gx * gx + gy * gy).sqrt();
            lum += luma(x, y);
            n += 1;
        }
    }
    let per = |v: f32| if n == 0 { 0.0 } else { v / n as f32 };
    BackgroundStats { gradient: per(grad), luminance: per(lum), pixels: n }
}

/// Pixels within `r` (Chebyshev distance) of a pixel the mask gives at least 0.1 person: a
/// separable box dilation of the thresholded mask, each pass a running count along its line, so
/// the cost does not grow with `r` (the face-scaled reach is up to a fifth of the side).
fn near_person(mask: &PersonMask, r: u32) -> Vec<bool> {
    let (s, r) = (SIZE as usize, r as usize);
    let person: Vec<bool> = (0..s * s).map(|i| mask.at((i % s) as u32, (i / s) as u32) >= 0.1).collect();
    let rows = dilate_lines(&person, s, r, |line, i| line * s + i);
    dilate_lines(&rows, s, r, |line, i| i * s + line)
}

/// One pass of a box dilation of radius `r` along `s` lines of `s` pixels; `at(line, i)` is the
/// index of pixel `i` of a line.
fn dilate_lines(src: &[bool], s: usize, r: usize, at: impl Fn(usize, usize) -> usize) -> Vec<bool> {
    let mut out = vec![false; s * s];
    let mut prefix = vec![0u32; s + 1];
    for line in 0..s {
        for i in 0..s {
            prefix[i + 1] = prefix[i] + src[at(line, i)] as u32;
        }
        for i in 0..s {
            out[at(line, i)] = prefix[(i + r + 1).min(s)] > prefix[i.saturating_sub(r)];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    /// A disc of person on a plain grey backdrop, with dark strands of hair 2-5 pixels outside
    /// the disc that the mask leaves out; `busy` adds a checkerboard far from the person.
    fn scene(busy: bool) -> PersonMask {
        let (c, radius) = (128.0f32, 60.0f32);
        let mut prob = vec![0f32; (SIZE * SIZE) as usize];
        let mut small = RgbImage::from_pixel(SIZE, SIZE, Rgb([200, 200, 200]));
        for y in 0..SIZE {
            for x in 0..SIZE {
                let d = ((x as f32 - c).powi(2) + (y as f32 - c).powi(2)).sqrt();
                if d <= radius {
                    prob[(y * SIZE + x) as usize] = 1.0;
                    small.put_pixel(x, y, Rgb([120, 90, 80]));
                } else if d > radius + 2.0 && d < radius + 5.0 && (x + y) % 3 == 0 {
                    small.put_pixel(x, y, Rgb([30, 25, 20]));
                } else if busy && d > radius + 20.0 && ((x / 4) + (y / 4)) % 2 == 0 {
                    small.put_pixel(x, y, Rgb([60, 60, 60]));
                }
            }
        }
        PersonMask { prob, small, width: 1024, height: 1024 }
    }

    #[test]
    fn hair_next_to_the_outline_is_not_read_as_background() {
        let plain = scene(false);
        let next = background_stats(&plain, NEXT_TO_PERSON_PX);
        let far = background_stats(&plain, FAR_FROM_PERSON_PX);
        assert!(next.gradient > 1.0, "strands next to the outline read {}", next.gradient);
        assert!(far.gradient < 0.05, "the backdrop away from the person reads {}", far.gradient);
        assert!(far.pixels < next.pixels && far.pixels > 0);
    }

    #[test]
    fn curls_further_out_are_left_out_when_the_face_is_large() {
        // Strands 9-14 pixels outside the outline: past the fixed 8, inside 0.3 of a large
        // face's eye distance (64 mask pixels here, as on a head that fills the frame).
        let mut m = scene(false);
        for y in 0..SIZE {
            for x in 0..SIZE {
                let d = ((x as f32 - 128.0).powi(2) + (y as f32 - 128.0).powi(2)).sqrt();
                if d > 69.0 && d < 74.0 && (x + y) % 3 == 0 {
                    m.small.put_pixel(x, y, Rgb([30, 25, 20]));
                }
            }
        }
        let r = radii(64.0 * 4.0, &m);
        assert_eq!(r, vec![19, FAR_FROM_PERSON_PX, NEXT_TO_PERSON_PX]);
        assert!(background_stats(&m, FAR_FROM_PERSON_PX).gradient > 1.0);
        assert!(background_stats(&m, r[0]).gradient < 0.05);
    }

    #[test]
    fn a_small_face_keeps_the_fixed_distance() {
        let m = scene(false);
        assert_eq!(radii(40.0, &m), vec![FAR_FROM_PERSON_PX, NEXT_TO_PERSON_PX]);
        assert_eq!(radii(f32::NAN, &m), vec![FAR_FROM_PERSON_PX, NEXT_TO_PERSON_PX]);
    }

    #[test]
    fn a_busy_backdrop_away_from_the_person_is_still_read() {
        let far = background_stats(&scene(true), FAR_FROM_PERSON_PX);
        assert!(far.gradient > 5.0, "checkerboard reads {}", far.gradient);
    }

    #[test]
    fn the_running_count_dilation_matches_the_definition() {
        let mut m = scene(false);
        let mut seed = 7u32;
        for p in m.prob.iter_mut() {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *p = if seed >> 24 == 0 { 1.0 } else { 0.0 };
        }
        let s = SIZE as i64;
        for r in [0u32, 1, 3, 8, 19] {
            let near = near_person(&m, r);
            for (y, x) in (0..s).flat_map(|y| (0..s).map(move |x| (y, x))) {
                let want = (-(r as i64)..=r as i64).any(|dy| {
                    (-(r as i64)..=r as i64).any(|dx| {
                        let (yy, xx) = (y + dy, x + dx);
                        (0..s).contains(&yy) && (0..s).contains(&xx) && m.at(xx as u32, yy as u32) >= 0.1
                    })
                });
                assert_eq!(near[(y * s + x) as usize], want, "r {r} at ({x}, {y})");
            }
        }
    }

    #[test]
    fn the_dilation_reaches_exactly_r_pixels() {
        let mut m = scene(false);
        m.prob.iter_mut().for_each(|p| *p = 0.0);
        m.prob[(100 * SIZE + 100) as usize] = 0.5;
        let near = near_person(&m, 8);
        let at = |x: u32, y: u32| near[(y * SIZE + x) as usize];
        assert!(at(108, 108) && at(92, 100) && at(100, 92));
        assert!(!at(109, 100) && !at(100, 109) && !at(91, 91));
    }
}
