//! Rank statistics by selection (no full sort), shared by the measures that read a quantile of
//! pixel values.

/// The `q` quantile (0-1) by selection, at rank `round((n - 1) q)`; `values` must not be empty.
pub fn percentile(values: &mut [f32], q: f32) -> f32 {
    let k = ((values.len() - 1) as f32 * q).round() as usize;
    at_rank(values, k)
}

/// The median at rank `(n - 1) / 2` (the lower middle for even `n`; `percentile(v, 0.5)` rounds
/// up instead); `None` for no values.
pub fn lower_median(values: &mut [f32]) -> Option<f32> {
    (!values.is_empty()).then(|| at_rank(values, (values.len() - 1) / 2))
}

/// The value of rank `k` (0 is the least).
fn at_rank(values: &mut [f32], k: usize) -> f32 {
    *values.select_nth_unstable_by(k, |a, b| a.total_cmp(b)).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_picks_by_rank() {
        let mut v = vec![5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(percentile(&mut v, 0.0), 1.0);
        assert_eq!(percentile(&mut v, 0.5), 3.0);
        assert_eq!(percentile(&mut v, 1.0), 5.0);
    }

    #[test]
    fn the_lower_median_takes_the_lower_middle() {
        assert_eq!(lower_median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.0));
        assert_eq!(lower_median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(lower_median(&mut []), None);
    }
}
