//! `[pad]` in a profile: the operating point of presentation-attack detection.

use serde::{Deserialize, Serialize};

/// Where the kiosk draws the line between live and attack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PadProfile {
    /// A face whose attack probability (`score`) is at or above this is an attack.
    pub threshold: f32,
    /// The data and split the threshold was set on (ISO/IEC 30107-3 wants it stated).
    pub source: String,
}
