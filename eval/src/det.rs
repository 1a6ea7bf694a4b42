//! A DET curve (FNMR against FMR, both on log axes) as a self-contained SVG, so BENCHMARKS.md
//! can show it without a plotting stack. Rates of zero are drawn on the axis floor.

use std::fmt::Write as _;

const W: f64 = 720.0;
const H: f64 = 480.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 220.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
/// Decades shown: FMR 1e-5..1, FNMR 1e-3..1.
const FMR_FLOOR: f64 = 1e-5;
const FNMR_FLOOR: f64 = 1e-3;
const COLOURS: [&str; 8] =
    ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

fn x(fmr: f64) -> f64 {
    let f = fmr.max(FMR_FLOOR).log10();
    LEFT + (f - FMR_FLOOR.log10()) / -FMR_FLOOR.log10() * (W - LEFT - RIGHT)
}

fn y(fnmr: f64) -> f64 {
    let f = fnmr.max(FNMR_FLOOR).log10();
    TOP + (1.0 - (f - FNMR_FLOOR.log10()) / -FNMR_FLOOR.log10()) * (H - TOP - BOTTOM)
}

/// One curve per `(name, points)`; `title` heads the picture.
pub fn svg(title: &str, curves: &[(String, Vec<(f64, f64)>)]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(s, r#"<text x="{LEFT}" y="22" font-size="14">{}</text>"#, escape(title));
    for d in 0..=5 {
        let f = 10f64.powi(-d);
        let px = x(f);
        let label = if d == 0 { "1".to_string() } else { format!("1e-{d}") };
        let _ = writeln!(
            s,
            r##"<line x1="{px:.1}" y1="{TOP}" x2="{px:.1}" y2="{:.1}" stroke="#ddd"/><text x="{px:.1}" y="{:.1}" text-anchor="middle">{label}</text>"##,
            H - BOTTOM,
            H - BOTTOM + 16.0
        );
    }
    for d in 0..=3 {
        let f = 10f64.powi(-d);
        let py = y(f);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            py + 4.0,
            ["100%", "10%", "1%", "0.1%"][d as usize]
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">false match rate</text>"#,
        (LEFT + W - RIGHT) / 2.0,
        H - 12.0
    );
    let _ = writeln!(
        s,
        r#"<text x="16" y="{:.1}" transform="rotate(-90 16 {:.1})" text-anchor="middle">false non-match rate</text>"#,
        (TOP + H - BOTTOM) / 2.0,
        (TOP + H - BOTTOM) / 2.0
    );
    for (i, (name, points)) in curves.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        // One vertex per pixel the curve moves, not one per score.
        let mut path: Vec<String> =
            points.iter().map(|&(fm, fnm)| format!("{:.0},{:.0}", x(fm), y(fnm))).collect();
        path.dedup();
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            path.join(" ")
        );
        let ly = TOP + 10.0 + i as f64 * 18.0;
        let lx = W - RIGHT + 12.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{colour}" stroke-width="3"/><text x="{}" y="{}">{}</text>"#,
            lx + 18.0,
            lx + 24.0,
            ly + 4.0,
            escape(name)
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="{:.1}" font-size="10" fill="#666">rates of 0 are drawn on the floor (FMR 1e-5, FNMR 0.1%)</text>"##,
        TOP - 6.0
    );
    s + "</svg>\n"
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_are_drawn_inside_the_frame() {
        let svg = svg("t <1>", &[("a".into(), vec![(1.0, 0.0), (1e-2, 0.05), (0.0, 1.0)])]);
        assert!(svg.starts_with("<svg") && svg.contains("<polyline") && svg.contains("t &lt;1&gt;"));
        assert!((x(1.0) - (W - RIGHT)).abs() < 1e-9 && (x(0.0) - LEFT).abs() < 1e-9);
        assert!((y(1.0) - TOP).abs() < 1e-9 && (y(0.0) - (H - BOTTOM)).abs() < 1e-9);
    }
}
