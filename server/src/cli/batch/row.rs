//! One photo's result (and its signature sample's) as the summary, CSV and HTML report need it,
//! read back from its JSON line, so results from this run and from a resumed run go through the
//! same path.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    pub file: String,
    /// `accept` or `reject`; absent on an error line.
    #[serde(default)]
    pub decision: Option<String>,
    /// Failed rejecting codes, most important first.
    #[serde(default)]
    pub failed: Vec<String>,
    #[serde(default)]
    checks: Vec<Check>,
    #[serde(default)]
    pub error: Option<Problem>,
    /// A rejected photo's overlay geometry; absent in lines written before overlays existed.
    #[serde(default)]
    pub overlay: Option<sapa_engine::overlay::Overlay>,
    /// The signature sample filed with the photo: the same shape (file, decision, failed codes,
    /// checks, or an error), read by the same code.
    #[serde(default)]
    pub signature: Option<Box<Row>>,
}

#[derive(Debug, Clone, Deserialize)]
struct Check {
    code: String,
    passed: bool,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Problem {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

impl Row {
    pub fn parse(line: &str) -> serde_json::Result<Self> {
        serde_json::from_str(line)
    }

    /// `accept`, `reject` or `error`.
    pub fn outcome(&self) -> &str {
        match (&self.error, &self.decision) {
            (Some(_), _) | (None, None) => "error",
            (None, Some(d)) => d,
        }
    }

    /// The failed codes with their messages, in the order of `failed`.
    pub fn reasons(&self) -> Vec<(&str, &str)> {
        self.failed
            .iter()
            .map(|code| {
                let message = self
                    .checks
                    .iter()
                    .find(|c| c.code == *code && !c.passed)
                    .map(|c| c.message.as_str())
                    .unwrap_or("");
                (code.as_str(), message)
            })
            .collect()
    }
}
