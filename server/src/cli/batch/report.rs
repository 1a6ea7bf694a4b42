//! `--report`: one self-contained HTML page for the operator: a bar chart of the reasons (inline
//! SVG) and a thumbnail of every rejected photo with its reasons. The thumbnails are the photos,
//! scaled down and embedded as data URIs, which is why the report is opt-in and must be kept like
//! the photos themselves. No script, no external resource.

use super::row::Row;
use super::summary::Tally;
use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rayon::prelude::*;
use sapa_engine::image::{DecodeLimits, decode};
use std::fmt::Write;
use std::path::Path;

/// Thumbnail height in pixels.
pub const THUMB_HEIGHT: u32 = 96;

/// Writes the report for `rows`; the rejected photos are read again for their thumbnails (so a
/// resumed run's report covers the earlier run's photos too).
pub fn write(path: &Path, rows: &[&Row], tally: &Tally, limits: &DecodeLimits) -> anyhow::Result<()> {
    let rejected: Vec<&Row> = rows.iter().copied().filter(|r| r.outcome() == "reject").collect();
    let thumbs: Vec<Option<String>> =
        rejected.par_iter().map(|r| thumbnail(Path::new(&r.file), limits)).collect();
    let mut html = String::new();
    head(&mut html, tally);
    html += "<h2>Reasons</h2>\n";
    html += &chart(tally);
    let _ = writeln!(html, "<h2>Rejected photos ({})</h2>\n<div class=\"grid\">", rejected.len());
    for (row, thumb) in rejected.iter().zip(&thumbs) {
        html += "<figure>";
        match thumb {
            Some(uri) => {
                let _ = write!(html, "<img src=\"{uri}\" height=\"{THUMB_HEIGHT}\" alt=\"\">");
            }
            None => html += "<div class=\"nothumb\">no thumbnail</div>",
        }
        let _ = write!(html, "<figcaption><b>{}</b><ol>", escape(&row.file));
        for (code, message) in row.reasons() {
            let _ = write!(html, "<li><code>{}</code> {}</li>", escape(code), escape(message));
        }
        html += "</ol></figcaption></figure>\n";
    }
    html += "</div>\n";
    let errors: Vec<&Row> = rows.iter().copied().filter(|r| r.error.is_some()).collect();
    if !errors.is_empty() {
        let _ = writeln!(
            html,
            "<h2>Errors ({})</h2>\n<table><tr><th>file</th><th>code</th><th>message</th></tr>",
            errors.len()
        );
        for row in errors {
            let e = row.error.as_ref().expect("filtered on error");
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                escape(&row.file),
                escape(&e.code),
                escape(&e.message)
            );
        }
        html += "</table>\n";
    }
    html += "</body></html>\n";
    std::fs::write(path, html).with_context(|| format!("writing {}", path.display()))
}

fn head(html: &mut String, tally: &Tally) {
    let total: usize = tally.by_outcome.values().sum();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>sapa batch report</title>\n<style>\
body{{font-family:sans-serif;margin:1.5em;color:#222}}\
.grid{{display:flex;flex-wrap:wrap;gap:12px}}\
figure{{margin:0;padding:8px;border:1px solid #ccc;border-radius:4px;max-width:320px}}\
figcaption{{font-size:12px;overflow-wrap:anywhere}} figcaption ol{{padding-left:1.4em;margin:4px 0}}\
.nothumb{{height:{THUMB_HEIGHT}px;line-height:{THUMB_HEIGHT}px;color:#888}}\
table{{border-collapse:collapse;font-size:13px}} td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left}}\
.note{{background:#fff3cd;padding:6px 10px;border-radius:4px}}\
</style></head><body>\n<h1>sapa batch report</h1>\n\
<p class=\"note\">This report embeds thumbnails of the rejected photos. Keep and delete it as you would the photos.</p>\n\
<p>{total} photos: {} accept, {} reject, {} error.</p>\n",
        tally.count("accept"),
        tally.count("reject"),
        tally.count("error")
    );
}

/// Horizontal bars, one per failure or error code, longest first.
fn chart(tally: &Tally) -> String {
    let mut bars: Vec<(&str, usize, &str)> = tally
        .by_failure
        .iter()
        .map(|(c, n)| (c.as_str(), *n, "#c0392b"))
        .chain(tally.by_error.iter().map(|(c, n)| (c.as_str(), *n, "#7f8c8d")))
        .collect();
    bars.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if bars.is_empty() {
        return "<p>No photo was rejected and none failed.</p>\n".to_string();
    }
    let max = bars.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f32;
    let (label_w, bar_w, row_h) = (190.0, 400.0, 20.0);
    let height = row_h * bars.len() as f32 + 4.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" font-size=\"12\" role=\"img\">\n",
        label_w + bar_w + 50.0
    );
    for (i, (code, n, colour)) in bars.iter().enumerate() {
        let y = i as f32 * row_h + 2.0;
        let w = (*n as f32 / max * bar_w).max(1.0);
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\">{n}</text>",
            label_w - 6.0,
            y + 13.0,
            escape(code),
            row_h - 4.0,
            label_w + w + 4.0,
            y + 13.0
        );
    }
    svg += "</svg>\n<p><small>red: failed checks; grey: errors</small></p>\n";
    svg
}

/// A small JPEG of the photo as a data URI, or `None` when it cannot be read again.
fn thumbnail(path: &Path, limits: &DecodeLimits) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let img = decode(&bytes, limits).ok()?.rgb;
    let h = THUMB_HEIGHT.min(img.height()).max(1);
    let w = ((img.width() as f32 * h as f32 / img.height() as f32).round() as u32).max(1);
    let small = image::imageops::thumbnail(&img, w, h);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 75).encode_image(&small).ok()?;
    Some(format!("data:image/jpeg;base64,{}", STANDARD.encode(jpeg)))
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            '\'' => out += "&#39;",
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
