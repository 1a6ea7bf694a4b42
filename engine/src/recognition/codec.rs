//! Compact, versioned template serialisation, for storing references and passing templates
//! between services. Layout (all integers and floats little-endian):
//!
//! ```text
//! "SAPT" | format u8 = 1 | id_len u8 | model id | ver_len u8 | model version
//!        | quality f32 | dim u16 | dim x f32 | CRC-32 (IEEE) of everything before, u32
//! ```
//!
//! Base64 is the standard alphabet with padding, so a template fits in JSON.

use super::error::TemplateDefect;
use super::template::Template;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

pub const MAGIC: &[u8; 4] = b"SAPT";
pub const FORMAT_VERSION: u8 = 1;

impl Template {
    /// The binary form (see the module docs for the layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let (id, ver) = (self.model_id().as_bytes(), self.model_version().as_bytes());
        let mut out = Vec::with_capacity(4 + 1 + 2 + id.len() + ver.len() + 6 + 4 * self.dim() + 4);
        out.extend_from_slice(MAGIC);
        out.push(FORMAT_VERSION);
        // Lengths fit: the constructors cap tags at 255 bytes and dimensions at u16::MAX.
        out.push(id.len() as u8);
        out.extend_from_slice(id);
        out.push(ver.len() as u8);
        out.extend_from_slice(ver);
        out.extend_from_slice(&self.quality().to_le_bytes());
        out.extend_from_slice(&(self.dim() as u16).to_le_bytes());
        for v in self.embedding() {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Reads the binary form, refusing bad magic, unknown versions, wrong lengths, damaged bytes
    /// (CRC) and invalid values.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TemplateDefect> {
        if bytes.len() < MAGIC.len() || &bytes[..4] != MAGIC {
            return Err(TemplateDefect::BadMagic);
        }
        let mut r = Reader { bytes, pos: 4 };
        let version = r.u8()?;
        if version != FORMAT_VERSION {
            return Err(TemplateDefect::UnsupportedVersion(version));
        }
        if bytes.len() < 4 + 1 + 4 {
            return Err(TemplateDefect::Length(format!("{} bytes", bytes.len())));
        }
        let (body, tail) = bytes.split_at(bytes.len() - 4);
        let stored = u32::from_le_bytes(tail.try_into().expect("4 bytes"));
        let mut r = Reader { bytes: body, pos: 5 };
        let id_len = r.u8()? as usize;
        let id = r.text(id_len, "model id")?;
        let ver_len = r.u8()? as usize;
        let ver = r.text(ver_len, "model version")?;
        let quality = f32::from_le_bytes(r.take(4)?.try_into().expect("4 bytes"));
        let dim = u16::from_le_bytes(r.take(2)?.try_into().expect("2 bytes")) as usize;
        let expected = r.pos + 4 * dim;
        if body.len() != expected {
            return Err(TemplateDefect::Length(format!(
                "{} bytes for dimension {dim}, expected {}",
                bytes.len(),
                expected + 4
            )));
        }
        // Length first, then CRC: a truncated blob gets the more telling error.
        if crc32fast::hash(body) != stored {
            return Err(TemplateDefect::Checksum);
        }
        let embedding = r
            .take(4 * dim)?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        Template::from_normalised(id, ver, quality, embedding)
    }

    /// The binary form as standard base64.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.to_bytes())
    }

    /// Reads [`Template::to_base64`]'s output.
    pub fn from_base64(text: &str) -> Result<Self, TemplateDefect> {
        let bytes = STANDARD.decode(text.trim()).map_err(|e| TemplateDefect::Base64(e.to_string()))?;
        Self::from_bytes(&bytes)
    }
}

/// A bounds-checked cursor: every short read is a length error, never a panic.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], TemplateDefect> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| TemplateDefect::Length("truncated".into()))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, TemplateDefect> {
        Ok(self.take(1)?[0])
    }
    fn text(&mut self, n: usize, what: &'static str) -> Result<String, TemplateDefect> {
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| TemplateDefect::Field(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Template {
        Template::new("rec_x", "abc123", 0.75, &[1.0, -2.0, 3.0, 0.5]).unwrap()
    }

    #[test]
    fn round_trips_bit_for_bit() {
        let t = sample();
        assert_eq!(Template::from_bytes(&t.to_bytes()).unwrap(), t);
        assert_eq!(Template::from_base64(&t.to_base64()).unwrap(), t);
    }

    #[test]
    fn every_single_byte_flip_is_refused() {
        let bytes = sample().to_bytes();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            assert!(Template::from_bytes(&b).is_err(), "flip at {i} accepted");
        }
    }

    #[test]
    fn truncation_magic_and_version_are_typed() {
        let bytes = sample().to_bytes();
        for n in 0..bytes.len() {
            assert!(Template::from_bytes(&bytes[..n]).is_err(), "prefix {n}");
        }
        let mut b = bytes.clone();
        b[0] = b'X';
        assert_eq!(Template::from_bytes(&b), Err(TemplateDefect::BadMagic));
        let mut b = bytes.clone();
        b[4] = 9;
        assert_eq!(Template::from_bytes(&b), Err(TemplateDefect::UnsupportedVersion(9)));
        let mut b = bytes;
        b.push(0);
        assert!(matches!(Template::from_bytes(&b), Err(TemplateDefect::Length(_))));
        assert!(matches!(Template::from_base64("@@@"), Err(TemplateDefect::Base64(_))));
    }
}
