//! The generated signature set on seed 2, which no threshold saw (they were set on seed 1). The
//! targets are at most 2% of usable samples rejected and at least 90% of each defect caught by
//! its own code; where the measured result misses one, the test pins what was measured
//! (BENCHMARKS.md, "Signature samples") so a regression still fails it.

use sapa_engine::validate::Profile;
use sapa_eval::signature::eval::{run_set, summarise};
use sapa_eval::signature::synth::Kind;

/// Defects below the 90% target when this was written, with the recall measured then.
const SHORT: [(Kind, f64); 3] = [(Kind::Stamp, 0.8), (Kind::Two, 0.8), (Kind::Typed, 0.8)];

#[test]
fn the_held_out_generated_set_meets_the_targets_or_the_measured_floor() {
    let profile = Profile::built_in("kz-id").unwrap();
    let outcomes = run_set(2, 150, 30, &profile);
    let s = summarise(&outcomes);
    assert_eq!(s.usable, 150);
    // Measured 4 of 150 (2.7%), all on a second ink colour read in a blue signature; target 3.
    assert!(s.false_rejects <= 4, "{} of {} usable samples rejected", s.false_rejects, s.usable);
    assert_eq!(s.recall.len(), 15, "every defect kind was generated");
    for (kind, (n, hit)) in &s.recall {
        let floor = SHORT.iter().find(|(k, _)| k == kind).map_or(0.9, |(_, f)| *f);
        assert!(
            *hit as f64 >= floor * *n as f64,
            "{}: {hit}/{n} caught by {:?}",
            kind.name(),
            kind.expected()
        );
    }
}
