//! Error-rate maths for verification: EER, FNMR at a fixed FMR, and thresholds calibrated from
//! an impostor score distribution. Scores are similarities (higher = more alike) and a pair is
//! declared a match when `score >= threshold`.

use serde::{Deserialize, Serialize};

/// False match and false non-match rates at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ErrorRates {
    pub fmr: f64,
    pub fnmr: f64,
}

/// The rates at `threshold`.
pub fn rates_at(genuine: &[f32], impostor: &[f32], threshold: f32) -> ErrorRates {
    ErrorRates { fmr: fraction(impostor, |s| s >= threshold), fnmr: fraction(genuine, |s| s < threshold) }
}

fn fraction(v: &[f32], pred: impl Fn(f32) -> bool) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.iter().filter(|&&s| pred(s)).count() as f64 / v.len() as f64
}

/// The equal error rate and the threshold where it is reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Eer {
    pub eer: f64,
    pub threshold: f32,
}

/// The EER: over every threshold between observed scores, the point where FMR and FNMR are
/// closest, reported as their mean. When the classes separate, it is 0 at the middle of the gap.
pub fn eer(genuine: &[f32], impostor: &[f32]) -> Option<Eer> {
    if genuine.is_empty() || impostor.is_empty() {
        return None;
    }
    let mut all: Vec<f32> = genuine.iter().chain(impostor).copied().collect();
    all.sort_by(f32::total_cmp);
    all.dedup();
    let mut candidates = vec![all[0] - 1e-3];
    candidates.extend(all.windows(2).map(|w| (w[0] + w[1]) / 2.0));
    candidates.push(all[all.len() - 1] + 1e-3);
    let key = |t: f32| {
        let r = rates_at(genuine, impostor, t);
        ((r.fmr - r.fnmr).abs(), r.fmr + r.fnmr)
    };
    let best = candidates.iter().map(|&t| key(t)).min_by(|a, b| a.partial_cmp(b).expect("finite"))?;
    let ties: Vec<f32> = candidates.into_iter().filter(|&t| key(t) == best).collect();
    let threshold = ties[ties.len() / 2];
    let r = rates_at(genuine, impostor, threshold);
    Some(Eer { eer: (r.fmr + r.fnmr) / 2.0, threshold })
}

/// The lowest threshold whose empirical FMR on `impostor` is at most `fmr`: just above the
/// score of the `floor(fmr * n) + 1`-th highest impostor. `None` without impostor scores.
pub fn empirical_threshold(impostor: &[f32], fmr: f64) -> Option<f32> {
    if impostor.is_empty() {
        return None;
    }
    let mut desc = impostor.to_vec();
    desc.sort_by(|a, b| b.total_cmp(a));
    let allowed = (fmr * desc.len() as f64).floor() as usize;
    Some(match desc.get(allowed) {
        Some(&s) => next_up(s),
        None => f32::NEG_INFINITY,
    })
}

/// FNMR at the empirical threshold for `fmr`, with that threshold.
pub fn fnmr_at_fmr(genuine: &[f32], impostor: &[f32], fmr: f64) -> Option<(f64, f32)> {
    let t = empirical_threshold(impostor, fmr)?;
    Some((rates_at(genuine, impostor, t).fnmr, t))
}

fn next_up(x: f32) -> f32 {
    if x.is_nan() || x == f32::INFINITY {
        return x;
    }
    let bits = x.to_bits();
    let next = if x == 0.0 {
        1
    } else if x > 0.0 {
        bits + 1
    } else {
        bits - 1
    };
    f32::from_bits(next)
}

/// How a threshold was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// Read off the impostor scores, with at least [`MIN_TAIL_COUNT`] of them above it.
    Measured,
    /// The sample is too small for this FMR: extrapolated, to be re-calibrated on more data.
    Provisional,
}

/// Impostor scores that must lie above a threshold before its FMR counts as measured. With 10
/// events the relative standard error of the FMR estimate is about 30%.
pub const MIN_TAIL_COUNT: f64 = 10.0;
/// Share of the highest impostor scores used to fit the tail model.
const TAIL_SHARE: f64 = 0.05;
/// Fewest exceedances for a tail fit.
const MIN_TAIL_FIT: usize = 20;

/// A threshold for one target FMR, and how much to trust it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibrated {
    pub fmr: f64,
    pub threshold: f32,
    pub basis: Basis,
    pub method: String,
}

/// Calibrates a threshold for `fmr` from impostor scores.
///
/// With `n` impostor scores the smallest FMR the sample resolves is about `1/n`, and one that
/// is estimated well needs `fmr * n >= 10`. Below that the threshold is the larger of (a) an
/// exponential tail fitted to the top 5% of impostor scores (peaks over threshold with shape 0,
/// which is heavier than the near-Gaussian tail of cosine impostor scores, so errs on the safe
/// side), (b) the empirical threshold when `fmr * n >= 1`, and (c) just above the highest
/// impostor score when `fmr < 1/n`. Such thresholds are marked provisional.
pub fn calibrate(impostor: &[f32], fmr: f64) -> Option<Calibrated> {
    let n = impostor.len();
    let empirical = empirical_threshold(impostor, fmr)?;
    let expected_tail = fmr * n as f64;
    if expected_tail >= MIN_TAIL_COUNT {
        return Some(Calibrated {
            fmr,
            threshold: empirical,
            basis: Basis::Measured,
            method: format!("empirical: {} of {n} impostor scores may lie above", expected_tail.floor()),
        });
    }
    let mut desc = impostor.to_vec();
    desc.sort_by(|a, b| b.total_cmp(a));
    let max = desc[0];
    let k = ((n as f64 * TAIL_SHARE).ceil() as usize).max(MIN_TAIL_FIT).min(n - 1);
    let mut method = String::new();
    let mut threshold = f32::NEG_INFINITY;
    if k >= 1 {
        let u = desc[k];
        let beta = desc[..k].iter().map(|s| (s - u) as f64).sum::<f64>() / k as f64;
        if beta > 0.0 {
            let t = u as f64 + beta * (k as f64 / (n as f64 * fmr)).ln();
            threshold = t as f32;
            method =
                format!("exponential tail fit on top {k} of {n} impostor scores (u={u:.4}, beta={beta:.4})");
        }
    }
    if expected_tail >= 1.0 && empirical > threshold {
        threshold = empirical;
        method += "; raised to the empirical threshold";
    }
    if expected_tail < 1.0 && next_up(max) > threshold {
        threshold = next_up(max);
        method += "; raised to just above the highest impostor score";
    }
    let threshold = threshold.min(1.0);
    Some(Calibrated {
        fmr,
        threshold,
        basis: Basis::Provisional,
        method: method.trim_start_matches("; ").to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eer_of_separated_and_overlapping_classes() {
        let e = eer(&[0.8, 0.9], &[0.1, 0.2]).unwrap();
        assert_eq!(e.eer, 0.0);
        assert!(e.threshold > 0.2 && e.threshold < 0.8);
        let e = eer(&[0.3, 0.8, 0.9, 0.95], &[0.1, 0.2, 0.25, 0.5]).unwrap();
        assert!((e.eer - 0.25).abs() < 1e-9, "{e:?}");
    }

    #[test]
    fn empirical_threshold_admits_at_most_the_target() {
        let imp: Vec<f32> = (0..100).map(|i| i as f32 / 100.0).collect();
        let t = empirical_threshold(&imp, 0.05).unwrap();
        assert_eq!(rates_at(&[], &imp, t).fmr, 0.05);
        let t = empirical_threshold(&imp, 0.001).unwrap();
        assert_eq!(rates_at(&[], &imp, t).fmr, 0.0);
        assert!(t > 0.99);
    }

    #[test]
    fn small_samples_give_provisional_thresholds_above_every_impostor() {
        let imp: Vec<f32> = (0..1000).map(|i| (i as f32 / 1000.0).powi(3)).collect();
        let c = calibrate(&imp, 1e-2).unwrap();
        assert_eq!(c.basis, Basis::Measured);
        let c = calibrate(&imp, 1e-4).unwrap();
        assert_eq!(c.basis, Basis::Provisional);
        assert!(c.threshold > imp[999]);
        let c3 = calibrate(&imp, 1e-3).unwrap();
        assert!(c3.threshold >= empirical_threshold(&imp, 1e-3).unwrap());
    }
}
