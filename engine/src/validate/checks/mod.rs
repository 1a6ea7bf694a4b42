//! One module per group of checks. Each takes the measured context and the profile and returns
//! its results; none of them decides alone.

pub mod background;
pub mod capture;
pub mod eyes;
pub mod faces;
pub mod framing;
pub mod glasses;
pub mod head_covering;
pub mod mouth;
pub mod occlusion;
pub mod pose;
