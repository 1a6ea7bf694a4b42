//! The human-readable verdict both `sapa validate` and `sapa signature` print: one line for the
//! decision, then each failed check's message in the order to fix them, then the warnings.

use sapa_engine::validate::Decision;
use std::fmt::Display;

/// `message(code)` is the message of that code's failed check, if one failed.
pub fn human<'a, C: Display>(
    file: &str,
    decision: Decision,
    profile: &str,
    failed: &'a [C],
    warnings: &'a [C],
    message: impl Fn(&C) -> Option<&'a str>,
) -> String {
    let mut s = match decision {
        Decision::Accept => format!("{file}: ACCEPT ({profile})"),
        Decision::Reject => format!("{file}: REJECT ({profile})"),
    };
    for (n, (code, m)) in failed.iter().filter_map(|c| Some((c, message(c)?))).enumerate() {
        s += &format!("\n  {}. [{code}] {m}", n + 1);
    }
    for (code, m) in warnings.iter().filter_map(|c| Some((c, message(c)?))) {
        s += &format!("\n  warning [{code}] {m}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_numbered_in_order_and_codes_without_a_failed_check_are_left_out() {
        let failed = ["blur", "glasses", "tilted"];
        let warnings = ["colour_cast"];
        let message = |c: &&str| match *c {
            "blur" => Some("The photo is blurred."),
            "tilted" => Some("Hold your head straight."),
            "colour_cast" => Some("The colours are off."),
            _ => None,
        };
        let s = human("a.jpg", Decision::Reject, "kz-id", &failed, &warnings, message);
        assert_eq!(
            s,
            "a.jpg: REJECT (kz-id)\n  1. [blur] The photo is blurred.\n  2. [tilted] Hold your head straight.\n  \
             warning [colour_cast] The colours are off."
        );
        let none: [&str; 0] = [];
        assert_eq!(human("b.png", Decision::Accept, "icao", &none, &none, message), "b.png: ACCEPT (icao)");
    }
}
