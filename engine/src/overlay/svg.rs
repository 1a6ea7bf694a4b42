//! The overlay as SVG text, in the photo's pixel space (`viewBox="0 0 W H"`), so a page can lay it
//! over the photo it already shows. Every element carries a `data-kind` (and regions a
//! `data-code`) that tests and scripts read back.

use super::{Band, Overlay, colour};
use std::fmt::Write;

/// The SVG of `o`. With `photo` (an image URL, e.g. a `data:` URL), the photo is drawn beneath
/// and the file stands alone; without it the SVG is transparent, for laying over the photo.
pub fn svg(o: &Overlay, photo: Option<&str>) -> String {
    let (w, h) = (o.width as f32, o.height as f32);
    // Strokes scale with the photo so they read the same on a 400 px and a 4000 px photo.
    let sw = (w.max(h) / 400.0).max(1.0);
    let font = (w.max(h) / 40.0).max(10.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" class="sapa-overlay" font-family="sans-serif">"#,
        o.width, o.height, o.width, o.height
    );
    if let Some(url) = photo {
        let _ = write!(
            s,
            r#"<image data-kind="photo" href="{}" x="0" y="0" width="{}" height="{}"/>"#,
            escape(url),
            o.width,
            o.height
        );
    }
    let band = |s: &mut String, kind: &str, b: &Band| {
        let c = colour::hex(colour::BAND);
        let _ = write!(
            s,
            r#"<rect data-kind="{kind}" data-holds="{}" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{c}" fill-opacity="0.18" stroke="{c}" stroke-width="{:.1}" stroke-dasharray="{:.1}"/>"#,
            b.holds,
            b.x,
            b.y_min,
            b.w,
            b.y_max - b.y_min,
            sw,
            4.0 * sw
        );
    };
    if let Some(b) = &o.head_band {
        band(&mut s, "head_band", b);
    }
    if let Some(b) = &o.eye_band {
        band(&mut s, "eye_band", b);
    }
    if let Some([x, y, bw, bh]) = o.crop {
        let _ = write!(
            s,
            r#"<rect data-kind="crop" x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" fill="none" stroke="{}" stroke-width="{:.1}"/>"#,
            colour::hex(colour::CROP),
            2.0 * sw
        );
    }
    if let Some([x, y, bw, bh]) = o.face {
        let _ = write!(
            s,
            r#"<rect data-kind="face" x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" fill="none" stroke="{}" stroke-width="{sw:.1}"/>"#,
            colour::hex(colour::FACE)
        );
    }
    for l in &o.landmarks {
        let _ = write!(
            s,
            r#"<circle data-kind="landmark" data-name="{}" cx="{:.1}" cy="{:.1}" r="{:.1}" fill="{}"/>"#,
            l.name,
            l.x,
            l.y,
            2.0 * sw,
            colour::hex(colour::LANDMARK)
        );
    }
    if let Some(p) = &o.pose {
        for (axis, end, c) in
            [("x", p.x_end, colour::AXIS_X), ("y", p.y_end, colour::AXIS_Y), ("z", p.z_end, colour::AXIS_Z)]
        {
            let _ = write!(
                s,
                r#"<line data-kind="pose_axis" data-axis="{axis}" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-width="{:.1}"/>"#,
                p.origin[0],
                p.origin[1],
                end[0],
                end[1],
                colour::hex(c),
                1.5 * sw
            );
        }
    }
    for r in &o.regions {
        let c = colour::hex(if r.rejects { colour::REJECT } else { colour::WARN });
        let [x, y, bw, bh] = r.rect;
        // The label sits above the box, or inside it at the photo's top edge.
        let ly = if y - 0.3 * font > font { y - 0.3 * font } else { y + font };
        let _ = write!(
            s,
            r#"<g data-kind="region" data-code="{code}" data-measure="{m}"><rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" fill="{c}" fill-opacity="0.12" stroke="{c}" stroke-width="{:.1}"/><text x="{:.1}" y="{ly:.1}" font-size="{font:.1}" fill="{c}" stroke="black" stroke-width="{:.1}" paint-order="stroke">{code}</text></g>"#,
            2.0 * sw,
            x.max(0.0) + sw,
            0.15 * font,
            code = r.code,
            m = r.measure,
        );
    }
    s.push_str("</svg>");
    s
}

/// Escapes an attribute value.
fn escape(v: &str) -> String {
    v.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlay::{Region, build::pose_axes};
    use crate::validate::Code;

    #[test]
    fn regions_carry_their_code_and_box() {
        let mut o = Overlay::empty(400, 500);
        o.regions.push(Region {
            code: Code::MultipleFaces,
            measure: "second_face_area_ratio".into(),
            rect: [10.0, 20.0, 30.0, 40.0],
            rejects: true,
        });
        o.pose = Some(pose_axes(crate::detect::Point::new(200.0, 250.0), 100.0, 0.0, 0.0, 90.0));
        let s = svg(&o, Some("data:image/png;base64,AAA\"<"));
        assert!(s.contains(r#"data-code="multiple_faces""#), "{s}");
        assert!(s.contains(r#"x="10.0" y="20.0" width="30.0" height="40.0""#), "{s}");
        assert!(s.contains(">multiple_faces</text>"), "{s}");
        assert!(s.contains("AAA&quot;&lt;"), "{s}");
        // Roll 90°: the x axis points straight up.
        assert!(s.contains(r#"data-axis="x" x1="200.0" y1="250.0" x2="200.0" y2="150.0""#), "{s}");
    }
}
