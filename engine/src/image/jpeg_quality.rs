//! The JPEG quality a file was saved at, read from its luminance quantisation table. A heavily
//! compressed upload shows blocking and ringing on the face; the table says so without looking at
//! a single pixel.

/// The JPEG standard's example luminance table (ITU-T T.81 Annex K), which libjpeg scales by the
/// quality setting. Only its sum is used, so the order (natural or zig-zag) does not matter.
const STD_LUMA: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17,
    22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78,
    87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

fn scaled_sum(quality: u32) -> u32 {
    let scale = if quality < 50 { 5000 / quality } else { 200 - 2 * quality };
    STD_LUMA.iter().map(|&t| ((t as u32 * scale + 50) / 100).clamp(1, 255)).sum()
}

/// The first luminance (id 0) quantisation table, if the JPEG has one before its first scan.
fn luma_table(b: &[u8]) -> Option<Vec<u16>> {
    let mut i = 2;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        if matches!(marker, 0xD8 | 0x01 | 0xD0..=0xD7) {
            i += 2;
            continue;
        }
        if matches!(marker, 0xD9 | 0xDA) {
            return None;
        }
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        let seg = b.get(i + 4..i + 2 + len)?;
        if marker == 0xDB {
            let mut j = 0;
            while j < seg.len() {
                let (precision, id) = (seg[j] >> 4, seg[j] & 0x0F);
                let n = if precision == 0 { 64 } else { 128 };
                let body = seg.get(j + 1..j + 1 + n)?;
                if id == 0 {
                    return Some(if precision == 0 {
                        body.iter().map(|&v| v as u16).collect()
                    } else {
                        body.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect()
                    });
                }
                j += 1 + n;
            }
        }
        i += 2 + len;
    }
    None
}

/// Estimated libjpeg quality (1-100) of a JPEG file; `None` for other files or odd tables.
pub fn estimate(bytes: &[u8]) -> Option<u8> {
    if bytes.len() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8 {
        return None;
    }
    let table = luma_table(bytes)?;
    let sum: u32 = table.iter().map(|&v| v as u32).sum();
    (1..=100u32).min_by_key(|&q| scaled_sum(q).abs_diff(sum)).map(|q| q as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_the_quality_a_jpeg_was_written_with() {
        let img = image::RgbImage::from_fn(64, 64, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 90]));
        for q in [30u8, 60, 90] {
            let mut out = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, q).encode_image(&img).unwrap();
            let est = estimate(&out).unwrap();
            assert!((est as i32 - q as i32).abs() <= 2, "wrote {q}, read {est}");
        }
        assert_eq!(estimate(b"\x89PNG"), None);
    }
}
