//! Image intake: bytes in, an upright RGB8 image out, or a typed error saying why not.
//!
//! The path is: refuse empty or oversized input, sniff the format from magic bytes (never a file
//! name), read the dimensions with a few-dozen-byte header parser of our own and check them
//! against [`DecodeLimits`] before any decoder runs, then decode.
//!
//! For speed (millions of photos): a colour JPEG, WebP, 8-bit RGB PNG or JPEG 2000 decodes
//! straight into the buffer that becomes the returned `RgbImage` (one pixel allocation, no
//! conversion pass); only grayscale, alpha, 16-bit and EXIF-rotated images take one more pass.
//! Compressed bytes are borrowed (the `image` JPEG decoder alone copies them once, which is
//! small next to the pixels). Hopeless inputs are refused from their first bytes, and [`probe`]
//! stops after the headers.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::metadata::Orientation;
use image::{DynamicImage, ExtendedColorType, ImageDecoder, ImageError, ImageReader, RgbImage};
use serde::Serialize;

use super::DecodeLimits;
use crate::error::{EngineError, Result};

/// The formats Sapa reads: what cameras, phones, web uploads and ePassport/registry photo stores
/// produce. TIFF, BMP, GIF and the rest are refused as `unsupported_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Jpeg,
    Png,
    Webp,
    /// JP2 box format or a raw J2K codestream (ePassport DG2, state registries).
    Jpeg2000,
}

/// The colour model stored in the file, before conversion to RGB. A `Gray` photo is usually a
/// rejection reason for an ID document, so it is reported rather than hidden by the conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColourKind {
    Gray,
    GrayAlpha,
    Rgb,
    Rgba,
    Cmyk,
}

/// What the file said about itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceInfo {
    pub format: ImageFormat,
    /// Width after the EXIF orientation is applied (the width of the decoded image).
    pub width: u32,
    /// Height after the EXIF orientation is applied.
    pub height: u32,
    /// Width as stored in the file, before orientation.
    pub orig_width: u32,
    /// Height as stored in the file, before orientation.
    pub orig_height: u32,
    pub colour: ColourKind,
    /// Bits per channel as stored (16 for a 16-bit PNG, which is decoded to 8).
    pub bits_per_channel: u8,
    /// The EXIF orientation tag, 1 (upright) to 8; 1 when absent.
    pub exif_orientation: u8,
    /// For a JPEG, the libjpeg quality its luminance table was scaled for (1-100).
    pub jpeg_quality: Option<u8>,
}

impl SourceInfo {
    /// Describes pixels that did not come from a file (a kiosk frame, a test image): upright
    /// 8-bit RGB, reported as PNG.
    pub fn for_pixels(img: &RgbImage) -> Self {
        Self {
            format: ImageFormat::Png,
            width: img.width(),
            height: img.height(),
            orig_width: img.width(),
            orig_height: img.height(),
            colour: ColourKind::Rgb,
            bits_per_channel: 8,
            exif_orientation: 1,
            jpeg_quality: None,
        }
    }
}

/// A decoded, upright, 8-bit RGB image and what its file said about it.
#[derive(Debug, Clone)]
pub struct DecodedImage {
    pub rgb: RgbImage,
    pub source: SourceInfo,
}

/// Reads only the headers: format, dimensions, colour model and orientation, with every limit
/// checked. No pixel is decoded, so this is cheap even for a huge file.
pub fn probe(bytes: &[u8], limits: &DecodeLimits) -> Result<SourceInfo> {
    open(bytes, limits).map(|opened| with_quality(opened.info, bytes))
}

fn with_quality(mut info: SourceInfo, bytes: &[u8]) -> SourceInfo {
    if info.format == ImageFormat::Jpeg {
        info.jpeg_quality = super::jpeg_quality::estimate(bytes);
    }
    info
}

/// Decodes to upright RGB8: EXIF orientation applied, alpha composited onto white, grayscale
/// expanded, 16-bit scaled to 8, CMYK converted. See the module docs for the order of checks.
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<DecodedImage> {
    let Opened { decoder, info, orientation } = open(bytes, limits)?;
    check_complete(info.format, bytes)?;
    let mut budget = limits.decoder_limits(info.orig_width, info.orig_height);
    budget.reserve(decoder.total_bytes()).map_err(from_image_error)?;
    let pixels = guarded("decoding", || DynamicImage::from_decoder(decoder).map_err(from_image_error))?;
    let rgb = apply_orientation(into_rgb8(pixels), orientation);
    Ok(DecodedImage { rgb, source: with_quality(info, bytes) })
}

/// A decoder positioned after the headers, with everything learned from them.
struct Opened<'a> {
    decoder: Box<dyn ImageDecoder + 'a>,
    info: SourceInfo,
    orientation: Orientation,
}

/// Every check that needs no pixels, in the order of their cost.
fn open<'a>(bytes: &'a [u8], limits: &DecodeLimits) -> Result<Opened<'a>> {
    if bytes.is_empty() {
        return Err(EngineError::EmptyInput);
    }
    limits.check_bytes(bytes.len())?;
    let format = sniff(bytes)?;
    let header = read_header(format, bytes)?;
    if animated(format, bytes) {
        return Err(EngineError::UnsupportedFormat(
            "an animated image is not a photo: send one still frame as JPEG, PNG, WebP or JPEG 2000".into(),
        ));
    }
    limits.check_dimensions(header.width, header.height)?;
    let budget = limits.decoder_limits(header.width, header.height);
    let mut decoder = guarded("reading the header", || new_decoder(format, bytes, budget))?;
    // The decoder's own idea of the size is what it will allocate for: check that too.
    let (width, height) = decoder.dimensions();
    limits.check_dimensions(width, height)?;
    // A damaged EXIF block is no reason to refuse a photo: treat it as upright.
    let orientation = guarded("reading EXIF", || decoder.orientation().map_err(from_image_error))
        .unwrap_or(Orientation::NoTransforms);
    let info = source_info(format, &header, decoder.as_ref(), orientation);
    Ok(Opened { decoder, info, orientation })
}

/// Runs third-party decoder code so that a bug in it on hostile input becomes a typed error
/// instead of taking down a worker thread (only effective with `panic = "unwind"`).
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(EngineError::CorruptImage(format!("the decoder failed while {what}"))))
}

// ---------------------------------------------------------------------------------------------
// Format sniffing

const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const JP2_MAGIC: &[u8] = b"\x00\x00\x00\x0cjP  \r\n\x87\n";
const J2K_MAGIC: &[u8] = &[0xFF, 0x4F, 0xFF, 0x51];

/// The format, from the first bytes alone.
fn sniff(bytes: &[u8]) -> Result<ImageFormat> {
    if bytes.starts_with(JPEG_MAGIC) {
        Ok(ImageFormat::Jpeg)
    } else if bytes.starts_with(PNG_MAGIC) {
        Ok(ImageFormat::Png)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Ok(ImageFormat::Webp)
    } else if bytes.starts_with(JP2_MAGIC) || bytes.starts_with(J2K_MAGIC) {
        Ok(ImageFormat::Jpeg2000)
    } else {
        Err(EngineError::UnsupportedFormat(describe_unsupported(bytes).to_string()))
    }
}

/// Names common formats we refuse, so the client gets a useful message.
fn describe_unsupported(bytes: &[u8]) -> &'static str {
    let brand = bytes.get(4..12);
    if bytes.starts_with(b"GIF8") {
        "GIF is not accepted (use JPEG, PNG, WebP or JPEG 2000)"
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        "TIFF is not accepted (use JPEG, PNG, WebP or JPEG 2000)"
    } else if bytes.starts_with(b"BM") {
        "BMP is not accepted (use JPEG, PNG, WebP or JPEG 2000)"
    } else if matches!(brand, Some(b) if b.starts_with(b"ftyp")) {
        "HEIF/AVIF is not accepted (use JPEG, PNG, WebP or JPEG 2000)"
    } else if bytes.starts_with(b"%PDF") {
        "PDF is not an image (use JPEG, PNG, WebP or JPEG 2000)"
    } else {
        "not a JPEG, PNG, WebP or JPEG 2000 image"
    }
}

impl ImageFormat {
    fn name(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Png => "PNG",
            ImageFormat::Webp => "WebP",
            ImageFormat::Jpeg2000 => "JPEG 2000",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Header parsing: just enough to know the size before trusting a decoder with it.

/// What a header tells us. `colour`/`bits` are `None` when only the decoder can say (a PNG
/// palette with or without tRNS, WebP alpha, JPEG 2000 colour boxes).
#[derive(Debug, Clone, Copy)]
struct Header {
    width: u32,
    height: u32,
    colour: Option<ColourKind>,
    bits: Option<u8>,
}

fn read_header(format: ImageFormat, bytes: &[u8]) -> Result<Header> {
    let header = match format {
        ImageFormat::Jpeg => jpeg_header(bytes),
        ImageFormat::Png => png_header(bytes),
        ImageFormat::Webp => webp_header(bytes),
        ImageFormat::Jpeg2000 => jpeg2000_header(bytes),
    };
    match header {
        Some(h) if h.width > 0 && h.height > 0 => Ok(h),
        _ => Err(EngineError::CorruptImage(format!(
            "no readable {} header with the image size",
            format.name()
        ))),
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn be64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(3)?)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

/// PNG: IHDR must be the first chunk, at a fixed offset.
fn png_header(b: &[u8]) -> Option<Header> {
    if be32(b, 8)? != 13 || b.get(12..16)? != b"IHDR" {
        return None;
    }
    let (depth, colour_type) = (*b.get(24)?, *b.get(25)?);
    let colour = match colour_type {
        0 => Some(ColourKind::Gray),
        2 => Some(ColourKind::Rgb),
        4 => Some(ColourKind::GrayAlpha),
        6 => Some(ColourKind::Rgba),
        _ => None, // palette: RGB or RGBA depending on a later tRNS chunk
    };
    let bits = if colour_type == 3 { 8 } else { depth };
    Some(Header { width: be32(b, 16)?, height: be32(b, 20)?, colour, bits: Some(bits) })
}

/// JPEG: the first start-of-frame segment.
fn jpeg_header(b: &[u8]) -> Option<Header> {
    jpeg_frame(b, jpeg_find_marker(b, is_start_of_frame)?)
}

/// Walks the marker segments after SOI to the first marker `wanted` accepts and returns the
/// offset just past it. Gives up at EOI, or at SOS unless wanted (scan data is not walkable).
fn jpeg_find_marker(b: &[u8], wanted: impl Fn(u8) -> bool) -> Option<usize> {
    let mut i = 2;
    loop {
        if *b.get(i)? != 0xFF {
            return None;
        }
        while *b.get(i)? == 0xFF {
            i += 1; // fill bytes
        }
        let marker = b[i];
        i += 1;
        if wanted(marker) {
            return Some(i);
        }
        match marker {
            0x01 | 0xD0..=0xD8 => {} // standalone markers carry no length
            0xD9 | 0xDA => return None,
            _ => {
                let len = usize::from(be16(b, i)?);
                if len < 2 {
                    return None;
                }
                i += len;
            }
        }
    }
}

/// SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
fn is_start_of_frame(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// The SOF segment body at `i` (its length field): precision, height, width, components.
fn jpeg_frame(b: &[u8], i: usize) -> Option<Header> {
    let colour = match *b.get(i + 7)? {
        1 => Some(ColourKind::Gray),
        3 => Some(ColourKind::Rgb),
        4 => Some(ColourKind::Cmyk),
        _ => None,
    };
    Some(Header {
        width: u32::from(be16(b, i + 5)?),
        height: u32::from(be16(b, i + 3)?),
        colour,
        bits: Some(*b.get(i + 2)?),
    })
}

/// WebP: the first chunk after `RIFF....WEBP` is VP8 (lossy), VP8L (lossless) or VP8X (extended).
fn webp_header(b: &[u8]) -> Option<Header> {
    const DATA: usize = 20;
    let (width, height) = match b.get(12..16)? {
        b"VP8 " => {
            if b.get(DATA + 3..DATA + 6)? != [0x9D, 0x01, 0x2A] {
                return None;
            }
            let w = le16(b, DATA + 6)? & 0x3FFF;
            (u32::from(w), u32::from(le16(b, DATA + 8)? & 0x3FFF))
        }
        b"VP8L" => {
            if *b.get(DATA)? != 0x2F {
                return None;
            }
            let v = le32(b, DATA + 1)?;
            ((v & 0x3FFF) + 1, ((v >> 14) & 0x3FFF) + 1)
        }
        b"VP8X" => (le24(b, DATA + 4)? + 1, le24(b, DATA + 7)? + 1),
        _ => return None,
    };
    Some(Header { width, height, colour: None, bits: Some(8) })
}

/// Whether the file is an animation: a WebP whose VP8X header sets the animation flag, or a PNG
/// with an `acTL` chunk before its image data (APNG). An identity photo is one still image, and
/// which frame a decoder would show is not for the client to guess, so animations are refused.
/// (Bytes after an image's end, such as a JPEG with a ZIP appended, are ignored: only the
/// decoded pixels are judged, and the upload is never stored.)
fn animated(format: ImageFormat, b: &[u8]) -> bool {
    match format {
        ImageFormat::Webp => b.get(12..16) == Some(b"VP8X") && b.get(20).is_some_and(|f| f & 0x02 != 0),
        ImageFormat::Png => {
            let mut at = 8;
            // Chunks up to the first IDAT; a bounded walk (a PNG has few chunks before IDAT).
            for _ in 0..64 {
                let (Some(len), Some(kind)) = (be32(b, at), b.get(at + 4..at + 8)) else { return false };
                match kind {
                    b"acTL" => return true,
                    b"IDAT" | b"IEND" => return false,
                    _ => at = at.saturating_add(12).saturating_add(len as usize),
                }
            }
            false
        }
        _ => false,
    }
}

/// JPEG 2000: the SIZ segment of the codestream, found directly or inside the JP2 `jp2c` box.
fn jpeg2000_header(b: &[u8]) -> Option<Header> {
    j2k_siz(jpeg2000_codestream(b)?)
}

/// The codestream: the whole input for raw J2K, else the `jp2c` box of a JP2 file.
fn jpeg2000_codestream(b: &[u8]) -> Option<&[u8]> {
    if b.starts_with(J2K_MAGIC) { Some(b) } else { jp2_codestream(b) }
}

/// The contents of the first `jp2c` (contiguous codestream) box. A truncated last box is
/// returned as far as it goes: the SIZ segment is at its start.
fn jp2_codestream(b: &[u8]) -> Option<&[u8]> {
    let mut i = 0usize;
    while i.checked_add(8)? <= b.len() {
        let (header_len, box_len) = match be32(b, i)? {
            0 => (8, (b.len() - i) as u64), // box runs to the end of the file
            1 => (16, be64(b, i + 8)?),     // 64-bit extended length
            n => (8, u64::from(n)),
        };
        if box_len < header_len as u64 {
            return None;
        }
        let end = i.checked_add(usize::try_from(box_len).ok()?)?;
        if b.get(i + 4..i + 8)? == b"jp2c" {
            return b.get(i + header_len..end.min(b.len()));
        }
        i = end;
    }
    None
}

/// Most tiles a codestream can address: tile indices (Isot) are 16-bit.
const MAX_J2K_TILES: u64 = 65_535;

/// SIZ (ISO 15444-1 A.5.1): image and tile grid. Refuses absurd tilings, which would make the
/// decoder allocate per-tile state for millions of tiles.
fn j2k_siz(cs: &[u8]) -> Option<Header> {
    if !cs.starts_with(J2K_MAGIC) {
        return None;
    }
    let field = |k: usize| be32(cs, 8 + 4 * k); // Xsiz, Ysiz, XOsiz, YOsiz, XTsiz, YTsiz, XTOsiz, YTOsiz
    let (x, y, x_off, y_off) = (field(0)?, field(1)?, field(2)?, field(3)?);
    let (tile_w, tile_h, tile_x_off, tile_y_off) = (field(4)?, field(5)?, field(6)?, field(7)?);
    if tile_w == 0 || tile_h == 0 {
        return None;
    }
    let tiles_x = u64::from(x.checked_sub(tile_x_off)?.div_ceil(tile_w));
    let tiles_y = u64::from(y.checked_sub(tile_y_off)?.div_ceil(tile_h));
    if tiles_x * tiles_y > MAX_J2K_TILES {
        return None;
    }
    let precision = (*cs.get(42)? & 0x7F) + 1; // Ssiz of the first component
    Some(Header {
        width: x.checked_sub(x_off)?,
        height: y.checked_sub(y_off)?,
        colour: None,
        bits: Some(precision),
    })
}

// ---------------------------------------------------------------------------------------------
// Completeness: the JPEG and JPEG 2000 decoders are lenient and fill a cut-off image with grey,
// so a truncated upload would pass as a photo with a grey band. Both formats must end their
// coded data with an end marker (FF D9: EOI in JPEG, EOC in JPEG 2000); we require it.

const END_MARKER: [u8; 2] = [0xFF, 0xD9];

/// Refuses a JPEG or JPEG 2000 whose coded data does not reach its end marker.
fn check_complete(format: ImageFormat, bytes: &[u8]) -> Result<()> {
    let complete = match format {
        ImageFormat::Jpeg => jpeg_scan_start(bytes).is_some_and(|sos| has_end_marker(&bytes[sos..])),
        ImageFormat::Jpeg2000 => jpeg2000_codestream(bytes).is_some_and(|cs| cs.ends_with(&END_MARKER)),
        // The PNG and WebP decoders report truncation themselves.
        ImageFormat::Png | ImageFormat::Webp => true,
    };
    if complete {
        Ok(())
    } else {
        Err(EngineError::CorruptImage(format!("the {} data is truncated (no end marker)", format.name())))
    }
}

/// EOI after the entropy-coded data. Searched from the end: trailers after EOI (camera
/// maker notes, MPF previews) are short, so a valid file costs a few comparisons. Inside
/// entropy-coded data FF is always stuffed (FF 00) or a restart marker, so FF D9 is EOI.
fn has_end_marker(scan: &[u8]) -> bool {
    scan.windows(2).rev().any(|w| w == END_MARKER)
}

/// Offset of the first SOS segment.
fn jpeg_scan_start(b: &[u8]) -> Option<usize> {
    jpeg_find_marker(b, |m| m == 0xDA)
}

// ---------------------------------------------------------------------------------------------
// Decoders

/// A decoder for `format`, positioned after the headers, bounded by `budget`.
fn new_decoder<'a>(
    format: ImageFormat,
    bytes: &'a [u8],
    budget: image::Limits,
) -> Result<Box<dyn ImageDecoder + 'a>> {
    let format = match format {
        ImageFormat::Jpeg2000 => return new_jpeg2000_decoder(bytes, budget),
        ImageFormat::Jpeg => {
            let mut decoder = super::jpeg::StrictJpeg::new(bytes, &budget).map_err(from_image_error)?;
            decoder.set_limits(budget).map_err(from_image_error)?;
            return Ok(Box::new(decoder));
        }
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Webp => image::ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(budget);
    let decoder = reader.into_decoder().map_err(from_image_error)?;
    Ok(Box::new(decoder))
}

/// `hayro-jpeg2000` borrows the bytes and implements `ImageDecoder`, converting CMYK and ICC
/// colour to sRGB itself.
fn new_jpeg2000_decoder<'a>(bytes: &'a [u8], budget: image::Limits) -> Result<Box<dyn ImageDecoder + 'a>> {
    let settings = hayro_jpeg2000::DecodeSettings::default();
    let mut decoder = hayro_jpeg2000::Image::new(bytes, &settings)
        .map_err(|e| EngineError::CorruptImage(format!("JPEG 2000: {e}")))?;
    decoder.set_limits(budget).map_err(from_image_error)?;
    Ok(Box::new(decoder))
}

/// Maps `image` errors onto the engine's codes.
fn from_image_error(e: ImageError) -> EngineError {
    match e {
        ImageError::Limits(l) => EngineError::ImageTooLarge(l.to_string()),
        ImageError::Unsupported(u) => EngineError::UnsupportedFormat(u.to_string()),
        other => EngineError::CorruptImage(other.to_string()),
    }
}

fn source_info(
    format: ImageFormat,
    header: &Header,
    decoder: &dyn ImageDecoder,
    orientation: Orientation,
) -> SourceInfo {
    let (w, h) = decoder.dimensions();
    let (colour, bits) = match decoder.original_color_type() {
        // e.g. 12-bit JPEG 2000: fall back to the layout the decoder produces.
        ExtendedColorType::Unknown(_) => colour_of(decoder.color_type().into()),
        stored => colour_of(stored),
    };
    let (width, height) = if swaps_axes(orientation) { (h, w) } else { (w, h) };
    SourceInfo {
        format,
        width,
        height,
        orig_width: w,
        orig_height: h,
        colour: header.colour.unwrap_or(colour),
        bits_per_channel: header.bits.unwrap_or(bits),
        exif_orientation: orientation.to_exif(),
        jpeg_quality: None,
    }
}

/// The colour model and bits per channel a decoder reports.
fn colour_of(c: ExtendedColorType) -> (ColourKind, u8) {
    let channels = c.channel_count().max(1);
    let bits = u8::try_from(c.bits_per_pixel() / u16::from(channels)).unwrap_or(8);
    let kind = match (c, channels) {
        (ExtendedColorType::Cmyk8 | ExtendedColorType::Cmyk16, _) => ColourKind::Cmyk,
        (_, 1) => ColourKind::Gray,
        (_, 2) => ColourKind::GrayAlpha,
        (_, 4) => ColourKind::Rgba,
        _ => ColourKind::Rgb,
    };
    (kind, bits)
}

fn swaps_axes(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Rotations of 90/270 degrees need a new buffer; flips and 180 work in place.
fn apply_orientation(rgb: RgbImage, orientation: Orientation) -> RgbImage {
    if orientation == Orientation::NoTransforms {
        return rgb;
    }
    let mut img = DynamicImage::ImageRgb8(rgb);
    img.apply_orientation(orientation);
    img.into_rgb8()
}

// ---------------------------------------------------------------------------------------------
// Conversion to RGB8

/// Converts any decoded layout to RGB8; an RGB8 image is moved, not copied.
fn into_rgb8(img: DynamicImage) -> RgbImage {
    let (w, h) = (img.width(), img.height());
    match img {
        DynamicImage::ImageRgb8(rgb) => rgb,
        DynamicImage::ImageLuma8(p) => map_pixels(w, h, p.as_raw(), |[v]: [u8; 1]| [v; 3]),
        DynamicImage::ImageLumaA8(p) => {
            map_pixels(w, h, p.as_raw(), |[v, a]: [u8; 2]| [over_white8(v, a); 3])
        }
        DynamicImage::ImageRgba8(p) => map_pixels(w, h, p.as_raw(), rgba8_over_white),
        DynamicImage::ImageLuma16(p) => map_pixels(w, h, p.as_raw(), |[v]: [u16; 1]| [to8(v); 3]),
        DynamicImage::ImageLumaA16(p) => {
            map_pixels(w, h, p.as_raw(), |[v, a]: [u16; 2]| [over_white16(v, a); 3])
        }
        DynamicImage::ImageRgb16(p) => {
            map_pixels(w, h, p.as_raw(), |[r, g, b]: [u16; 3]| [to8(r), to8(g), to8(b)])
        }
        DynamicImage::ImageRgba16(p) => map_pixels(w, h, p.as_raw(), |[r, g, b, a]: [u16; 4]| {
            [over_white16(r, a), over_white16(g, a), over_white16(b, a)]
        }),
        // Float layouts: none of our decoders produce them, but stay total.
        other => {
            let rgba = other.into_rgba8();
            map_pixels(w, h, rgba.as_raw(), rgba8_over_white)
        }
    }
}

/// One pass over `N`-channel pixels into a fresh RGB8 buffer.
fn map_pixels<T: Copy, const N: usize>(w: u32, h: u32, raw: &[T], f: impl Fn([T; N]) -> [u8; 3]) -> RgbImage {
    let (pixels, _) = raw.as_chunks::<N>();
    let mut out = Vec::with_capacity(pixels.len() * 3);
    out.extend(pixels.iter().flat_map(|p| f(*p)));
    RgbImage::from_raw(w, h, out).unwrap_or_else(|| RgbImage::new(w, h))
}

fn rgba8_over_white([r, g, b, a]: [u8; 4]) -> [u8; 3] {
    [over_white8(r, a), over_white8(g, a), over_white8(b, a)]
}

/// `v` at opacity `a` over white: `255 - (255 - v) * a / 255`, rounded.
fn over_white8(v: u8, a: u8) -> u8 {
    let x = u32::from(255 - v) * u32::from(a) + 128;
    255 - ((x + (x >> 8)) >> 8) as u8
}

/// 16-bit `v` at 16-bit opacity `a` over white, scaled to 8 bits.
fn over_white16(v: u16, a: u16) -> u8 {
    let ink = (u32::from(u16::MAX - v) * u32::from(a) + 32_767) / 65_535;
    to8(u16::MAX - ink as u16)
}

/// 16 to 8 bits, rounded.
fn to8(v: u16) -> u8 {
    ((u32::from(v) * 255 + 32_767) / 65_535) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositing_onto_white() {
        assert_eq!(over_white8(0, 255), 0);
        assert_eq!(over_white8(0, 0), 255);
        assert_eq!(over_white8(0, 128), 127);
        assert_eq!(over_white8(200, 255), 200);
        assert_eq!(over_white16(0, 0), 255);
        assert_eq!(over_white16(0, u16::MAX), 0);
        assert_eq!(to8(u16::MAX), 255);
        assert_eq!(to8(257 * 100), 100);
    }

    fn png(width: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(width, width, image::Rgb([120, 130, 140]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn an_animation_is_refused_and_bytes_after_the_image_are_ignored() {
        let limits = DecodeLimits::default();
        // APNG: an acTL chunk (2 frames, loop forever) between IHDR and IDAT.
        let still = png(256);
        let mut apng = still[..33].to_vec();
        let actl: [u8; 8] = [0, 0, 0, 2, 0, 0, 0, 0];
        apng.extend_from_slice(&8u32.to_be_bytes());
        apng.extend_from_slice(b"acTL");
        apng.extend_from_slice(&actl);
        apng.extend_from_slice(&0u32.to_be_bytes());
        apng.extend_from_slice(&still[33..]);
        let Err(e) = decode(&apng, &limits) else { panic!("an APNG is refused") };
        assert!(matches!(&e, EngineError::UnsupportedFormat(m) if m.contains("animated")), "{e}");
        assert!(decode(&still, &limits).is_ok(), "a still PNG decodes");
        // Animated WebP: VP8X with the animation flag (the header alone decides).
        let mut webp = b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00".to_vec();
        webp.extend_from_slice(&[0x02, 0, 0, 0, 15, 0, 0, 7, 0, 0]);
        let Err(e) = decode(&webp, &limits) else { panic!("an animated WebP is refused") };
        assert!(matches!(&e, EngineError::UnsupportedFormat(m) if m.contains("animated")), "{e}");
        // A JPEG with a ZIP appended (a polyglot) is judged by its pixels.
        let img = image::RgbImage::from_pixel(256, 192, image::Rgb([90, 100, 110]));
        let mut jpeg = std::io::Cursor::new(Vec::new());
        img.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
        let mut polyglot = jpeg.into_inner();
        polyglot.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x08\x00 not a photo");
        let d = decode(&polyglot, &limits).expect("the JPEG part decodes");
        assert_eq!(d.rgb.dimensions(), (256, 192));
    }

    #[test]
    fn jpeg_marker_walk_finds_the_frame() {
        // SOI, APP0 (length 4, 2 bytes of data), SOF0: 8-bit, 20 high, 30 wide, 3 components.
        let b = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xC0, 0, 17, 8, 0, 20, 0, 30, 3];
        let h = jpeg_header(&b).unwrap();
        assert_eq!((h.width, h.height, h.colour, h.bits), (30, 20, Some(ColourKind::Rgb), Some(8)));
        assert!(jpeg_header(&b[..10]).is_none());
    }
}
