//! Error rates with their uncertainty. A rate measured on `n` trials is reported with a 95%
//! Wilson score interval, which stays inside [0, 1] and is honest at zero errors (0 of 100 is
//! "at most 3.7%", not "0%").

use sapa_engine::recognition::calibration;
use serde::Serialize;

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_964;

/// `k` events in `n` trials, with the 95% Wilson interval.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rate {
    pub k: usize,
    pub n: usize,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Rate {
    pub fn new(k: usize, n: usize) -> Self {
        if n == 0 {
            return Self { k, n, value: f64::NAN, low: 0.0, high: 1.0 };
        }
        let (kf, nf) = (k as f64, n as f64);
        let p = kf / nf;
        let z2 = Z95 * Z95;
        let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
        let half = Z95 / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
        Self { k, n, value: p, low: (centre - half).max(0.0), high: (centre + half).min(1.0) }
    }

    /// `0.54% [0.12, 1.9] (3/556)`.
    pub fn show(&self) -> String {
        if self.n == 0 {
            return "-".into();
        }
        format!("{} [{}, {}] ({}/{})", pc(self.value), pc(self.low), pc(self.high), self.k, self.n)
    }
}

/// A percentage with as many digits as its size needs.
pub fn pc(v: f64) -> String {
    let p = v * 100.0;
    if p == 0.0 {
        "0%".into()
    } else if p < 0.1 {
        format!("{p:.3}%")
    } else if p < 10.0 {
        format!("{p:.2}%")
    } else {
        format!("{p:.1}%")
    }
}

/// Scores of one comparison set under one scorer.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    pub genuine: Vec<f32>,
    pub impostor: Vec<f32>,
}

impl Scores {
    /// FMR and FNMR at a fixed threshold (`score >= threshold` is a match).
    pub fn at(&self, threshold: f32) -> (Rate, Rate) {
        let fm = self.impostor.iter().filter(|&&s| s >= threshold).count();
        let fnm = self.genuine.iter().filter(|&&s| s < threshold).count();
        (Rate::new(fm, self.impostor.len()), Rate::new(fnm, self.genuine.len()))
    }

    pub fn eer(&self) -> Option<f64> {
        calibration::eer(&self.genuine, &self.impostor).map(|e| e.eer)
    }

    /// FNMR at the lowest threshold whose FMR on these impostors is at most `fmr` (an oracle
    /// threshold, fitted on the very scores it is reported on), and whether the impostor count
    /// resolves that FMR at all (`fmr * n >= 1`).
    pub fn fnmr_at_fmr(&self, fmr: f64) -> Option<(Rate, bool)> {
        let t = calibration::empirical_threshold(&self.impostor, fmr)?;
        let resolved = fmr * self.impostor.len() as f64 >= 1.0;
        Some((self.at(t).1, resolved))
    }

    /// The DET curve: (FMR, FNMR) at every distinct score, from strict to lenient.
    pub fn det(&self) -> Vec<(f64, f64)> {
        let mut all: Vec<f32> = self.genuine.iter().chain(&self.impostor).copied().collect();
        all.sort_by(f32::total_cmp);
        all.dedup();
        all.iter()
            .rev()
            .map(|&t| {
                let (fm, fnm) = self.at(t);
                (fm.value, fnm.value)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_is_honest_at_zero_and_narrows_with_n() {
        let r = Rate::new(0, 100);
        assert_eq!(r.value, 0.0);
        assert!(r.high > 0.03 && r.high < 0.04, "{r:?}");
        let small = Rate::new(5, 100);
        let large = Rate::new(50, 1000);
        assert!(small.low < 0.05 && small.high > 0.05);
        assert!(large.high - large.low < small.high - small.low);
    }

    #[test]
    fn oracle_fnmr_knows_what_the_impostors_resolve() {
        let s =
            Scores { genuine: vec![0.9, 0.8, 0.3], impostor: (0..100).map(|i| i as f32 / 250.0).collect() };
        let (r, resolved) = s.fnmr_at_fmr(1e-2).unwrap();
        assert!(resolved);
        assert_eq!(r.k, 1);
        let (_, resolved) = s.fnmr_at_fmr(1e-3).unwrap();
        assert!(!resolved);
    }
}
