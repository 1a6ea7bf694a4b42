//! Mouth closed and a neutral expression.

use crate::validate::context::Ctx;
use crate::validate::profile::Profile;
use crate::validate::report::{CheckResult, Threshold};

pub fn check(ctx: &Ctx, p: &Profile) -> Vec<CheckResult> {
    let m = &p.mouth;
    let mut out = vec![CheckResult::judge(
        "open_mouth",
        "mouth_openness",
        ctx.lm.measures.mouth_openness,
        Threshold::Max {
            max: m.max_openness,
        },
    )];
    let t = Threshold::Max {
        max: m.max_expression,
    };
    out.push(match &ctx.expression {
        Some(e) => CheckResult::judge(
            "non_neutral_expression",
            "expression_score",
            e.non_neutral(),
            t,
        ),
        None => CheckResult::not_measured(
            "non_neutral_expression",
            "expression_score",
            t,
            "expression model not loaded",
        ),
    });
    out
}
