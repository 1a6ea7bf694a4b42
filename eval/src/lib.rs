//! Evaluation of Sapa on labelled data, apart from the product: the `sapa` binary links none of it.
//!
//! - [`labels`]: labelled photo sets and the identity-disjoint tune / held-out split;
//! - [`validate`]: false rejects and recall per defect on each split;
//! - [`degrade`]: known defects applied to clean portraits, each with the code it must raise;
//! - [`verify`] and [`identities`]: recognition scores and the pairs the sources allow;
//! - [`pad`]: presentation-attack detection per ISO/IEC 30107-3, on bona fide photos, public
//!   attack samples and generated prints and replays;
//! - [`signature`]: a generated signature set and its false rejects and recall per defect;
//! - [`verify_sets`], [`rates`] and [`det`]: recognition at scale, with intervals and DET curves.

pub mod degrade;
pub mod degrade_cmd;
pub mod det;
pub mod identities;
pub mod labels;
pub mod pad;
pub mod rates;
pub mod signature;
pub mod validate;
pub mod verify;
pub mod verify_sets;
