//! `--report`: one self-contained HTML page for the operator: a bar chart of the reasons (inline
//! SVG) and a thumbnail of every rejected photo with its reasons. The thumbnails are the photos,
//! scaled down and embedded as data URIs, which is why the report is opt-in and must be kept like
//! the photos themselves. A rejected photo whose line carries its overlay is shown with it: the
//! face box, the crop, the bands and each failed check's region with its code (`sapa_engine::overlay`).
//! No script, no external resource.

use super::row::Row;
use super::summary::Tally;
use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use rayon::prelude::*;
use sapa_engine::image::{DecodeLimits, decode};
use sapa_engine::overlay::{Overlay, svg};
use std::path::Path;

/// Thumbnail height in pixels.
pub const THUMB_HEIGHT: u32 = 96;
/// Height of a thumbnail with its overlay: taller, so the labels read.
pub const OVERLAY_HEIGHT: u32 = 240;

/// The page's style: no external resource, long file names wrap where they must.
const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222}\
.grid{display:flex;flex-wrap:wrap;gap:12px}\
figure{margin:0;padding:8px;border:1px solid #ccc;border-radius:4px;max-width:320px}\
figcaption{font-size:12px;overflow-wrap:anywhere} figcaption ol{padding-left:1.4em;margin:4px 0}\
.nothumb{height:96px;line-height:96px;color:#888}\
.overlay svg{height:240px;width:auto;display:block}\
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}\
.note{background:#fff3cd;padding:6px 10px;border-radius:4px}";

/// Writes the report for `rows`; the rejected photos are read again for their thumbnails (so a
/// resumed run's report covers the earlier run's photos too). maud escapes every value.
pub fn write(path: &Path, rows: &[&Row], tally: &Tally, limits: &DecodeLimits) -> anyhow::Result<()> {
    let rejected: Vec<&Row> = rows.iter().copied().filter(|r| r.outcome() == "reject").collect();
    let thumbs: Vec<Option<String>> =
        rejected.par_iter().map(|r| thumbnail(Path::new(&r.file), limits, r.overlay.as_ref())).collect();
    let errors: Vec<&Row> = rows.iter().copied().filter(|r| r.error.is_some()).collect();
    let total: usize = tally.by_outcome.values().sum();
    let page = html! {
        (DOCTYPE)
        html {
            head { meta charset="utf-8"; title { "sapa batch report" } style { (PreEscaped(STYLE)) } }
            body {
                h1 { "sapa batch report" }
                p.note { "This report embeds thumbnails of the rejected photos. Keep and delete it as you would the photos." }
                p { (total) " photos: " (tally.count("accept")) " accept, " (tally.count("reject")) " reject, "
                    (tally.count("error")) " error." }
                h2 { "Reasons" }
                (chart(tally))
                h2 { "Rejected photos (" (rejected.len()) ")" }
                div.grid {
                    @for (row, thumb) in rejected.iter().zip(&thumbs) {
                        figure {
                            @match (thumb, &row.overlay) {
                                // Our own SVG: every text in it is a check code or a number.
                                (Some(uri), Some(o)) => div.overlay { (PreEscaped(svg::svg(o, Some(uri)))) }
                                (Some(uri), None) => img src=(uri) height=(THUMB_HEIGHT) alt="";
                                (None, _) => div.nothumb { "no thumbnail" }
                            }
                            figcaption {
                                b { (row.file) }
                                ol { @for (code, message) in row.reasons() { li { code { (code) } " " (message) } } }
                            }
                        }
                    }
                }
                @if let Some(sig) = &tally.signatures {
                    (signatures(rows, sig))
                }
                @if !errors.is_empty() {
                    h2 { "Errors (" (errors.len()) ")" }
                    table {
                        tr { th { "file" } th { "code" } th { "message" } }
                        @for row in &errors {
                            @if let Some(e) = &row.error {
                                tr { td { (row.file) } td { code { (e.code) } } td { (e.message) } }
                            }
                        }
                    }
                }
            }
        }
    };
    std::fs::write(path, page.into_string()).with_context(|| format!("writing {}", path.display()))
}

/// The signature samples filed with the photos: counts, then each one refused, with its photo,
/// its failed codes and messages, or its error (no pictures: the photo's section has those).
fn signatures(rows: &[&Row], tally: &Tally) -> Markup {
    let refused: Vec<(&Row, &Row)> = rows
        .iter()
        .filter_map(|r| r.signature.as_deref().map(|s| (*r, s)))
        .filter(|(_, s)| s.outcome() != "accept")
        .collect();
    html! {
        h2 { "Signature samples" }
        p { (tally.by_outcome.values().sum::<usize>()) " samples: " (tally.count("accept")) " accept, "
            (tally.count("reject")) " reject, " (tally.count("error")) " error." }
        @if !refused.is_empty() {
            table {
                tr { th { "signature" } th { "photo" } th { "outcome" } th { "reasons" } }
                @for (photo, sig) in &refused {
                    tr {
                        td { (sig.file) } td { (photo.file) } td { (sig.outcome()) }
                        td {
                            @if let Some(e) = &sig.error { code { (e.code) } " " (e.message) }
                            @for (code, message) in sig.reasons() { div { code { (code) } " " (message) } }
                        }
                    }
                }
            }
        }
    }
}

/// Horizontal bars, one per failure or error code, longest first (inline SVG).
fn chart(tally: &Tally) -> Markup {
    let mut bars: Vec<(&str, usize, &str)> = tally
        .by_failure
        .iter()
        .map(|(c, n)| (c.as_str(), *n, "#c0392b"))
        .chain(tally.by_error.iter().map(|(c, n)| (c.as_str(), *n, "#7f8c8d")))
        .collect();
    bars.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if bars.is_empty() {
        return html! { p { "No photo was rejected and none failed." } };
    }
    let max = bars.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f32;
    let (label_w, bar_w, row_h) = (190.0_f32, 400.0_f32, 20.0_f32);
    let height = row_h * bars.len() as f32 + 4.0;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" width=(label_w + bar_w + 50.0) height=(height) font-size="12" role="img" {
            @for (i, (code, n, colour)) in bars.iter().enumerate() {
                @let y = i as f32 * row_h + 2.0;
                @let w = (*n as f32 / max * bar_w).max(1.0);
                text x=(label_w - 6.0) y=(y + 13.0) text-anchor="end" { (code) }
                rect x=(label_w) y=(y) width=(format!("{w:.1}")) height=(row_h - 4.0) fill=(colour) {}
                text x=(label_w + w + 4.0) y=(y + 13.0) { (n) }
            }
        }
        p { small { "red: failed checks; grey: errors" } }
    }
}

/// A small JPEG of the photo as a data URI, or `None` when it cannot be read again (or is no
/// longer the photo the overlay was drawn on).
fn thumbnail(path: &Path, limits: &DecodeLimits, overlay: Option<&Overlay>) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let img = decode(&bytes, limits).ok()?.rgb;
    if overlay.is_some_and(|o| (o.width, o.height) != img.dimensions()) {
        return None;
    }
    let height = if overlay.is_some() { OVERLAY_HEIGHT } else { THUMB_HEIGHT };
    let h = height.min(img.height()).max(1);
    let w = ((img.width() as f32 * h as f32 / img.height() as f32).round() as u32).max(1);
    let small = image::imageops::thumbnail(&img, w, h);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 75).encode_image(&small).ok()?;
    Some(format!("data:image/jpeg;base64,{}", STANDARD.encode(jpeg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_escapes_what_it_draws() {
        let mut tally = Tally::default();
        tally.by_failure.insert("<script>\"x\"&".into(), 3);
        let svg = chart(&tally).into_string();
        assert!(svg.contains("&lt;script&gt;&quot;x&quot;&amp;"), "{svg}");
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("width=\"400.0\""), "the longest bar spans the chart: {svg}");
    }
}
