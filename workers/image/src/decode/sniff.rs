//! Format detection by content, and the cheap structural reads done before decoding: the size
//! a header claims, and whether the file is complete.
//!
//! The decoders are lenient about truncation (zune-jpeg pads a cut JPEG with grey; a PNG cut
//! after its last IDAT decodes fine), so completeness is checked here: a JPEG must reach its
//! EOI marker and a PNG its IEND chunk. Both walks only skip over segment lengths (and, for
//! JPEG entropy-coded data, search for the next marker with `memchr`), costing well under a
//! millisecond per megabyte.

/// Formats this build decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Jpeg,
    Png,
    Gif,
    WebP,
    Bmp,
    Tiff,
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Detects the format from the first bytes; `None` for anything else (text, HEIC, …).
pub(crate) fn sniff(b: &[u8]) -> Option<Format> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if b.starts_with(PNG_SIGNATURE) {
        Some(Format::Png)
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Some(Format::Gif)
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some(Format::WebP)
    } else if b.starts_with(b"II*\0")
        || b.starts_with(b"MM\0*")
        || b.starts_with(b"II+\0")
        || b.starts_with(b"MM\0+")
    {
        Some(Format::Tiff)
    } else if is_bmp(b) {
        Some(Format::Bmp)
    } else {
        None
    }
}

/// "BM" alone is two letters a text file may start with; also require a known DIB header size.
fn is_bmp(b: &[u8]) -> bool {
    if b.len() < 18 || !b.starts_with(b"BM") {
        return false;
    }
    let dib = u32::from_le_bytes([b[14], b[15], b[16], b[17]]);
    matches!(dib, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124)
}

/// What a PNG's chunk walk found.
pub(crate) struct PngInfo {
    pub width: u32,
    pub height: u32,
    /// IEND was reached: every chunk before it is whole.
    pub complete: bool,
}

/// Reads IHDR (the first chunk, by the standard) and walks the chunk lengths to IEND.
pub(crate) fn png_info(b: &[u8]) -> Option<PngInfo> {
    let ihdr = b.get(8..8 + 8 + 13)?;
    if &ihdr[4..8] != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes([ihdr[8], ihdr[9], ihdr[10], ihdr[11]]);
    let height = u32::from_be_bytes([ihdr[12], ihdr[13], ihdr[14], ihdr[15]]);
    let mut pos = 8usize;
    let mut complete = false;
    while let Some(head) = b.get(pos..pos + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        // length + type + data + CRC
        let Some(end) = pos.checked_add(12).and_then(|p| p.checked_add(len)) else {
            break;
        };
        if end > b.len() {
            break;
        }
        if &head[4..8] == b"IEND" {
            complete = true;
            break;
        }
        pos = end;
    }
    Some(PngInfo {
        width,
        height,
        complete,
    })
}

/// What a JPEG's marker walk found.
#[derive(Debug, Default)]
pub(crate) struct JpegInfo {
    pub width: u32,
    pub height: u32,
    /// Sample precision in bits (8 for ordinary photos).
    pub precision: u8,
    pub components: u8,
    pub progressive: bool,
    /// Lossless (SOF3/SOF7/SOF11/SOF15): only jpeg-decoder reads it.
    pub lossless: bool,
    /// Adobe APP14 colour transform flag (0: RGB/CMYK, 1: YCbCr, 2: YCCK) when present.
    pub adobe_transform: Option<u8>,
    /// The EXIF TIFF block of the first `Exif\0\0` APP1 segment.
    pub exif: Option<(usize, usize)>,
    /// A frame header was seen.
    pub has_frame: bool,
    /// The EOI marker was reached after at least one scan.
    pub complete: bool,
}

/// Walks a JPEG's markers from SOI to EOI. Never fails: what it could not find stays unset.
pub(crate) fn jpeg_info(b: &[u8]) -> JpegInfo {
    let mut info = JpegInfo::default();
    let mut pos = 2; // after SOI
    let mut scans = 0u32;
    loop {
        // Between segments: skip anything up to a 0xFF, then fill bytes (libjpeg tolerates
        // stray bytes here, and so do real files).
        let Some(ff) = memchr::memchr(0xFF, &b[pos.min(b.len())..]) else {
            return info;
        };
        pos += ff;
        while b.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = b.get(pos) else {
            return info;
        };
        pos += 1;
        match marker {
            0xD9 => {
                info.complete = scans > 0;
                return info;
            }
            // Standalone markers: TEM, RSTn, a stray SOI, and 0x00 (a stuffed byte out of place).
            0x00 | 0x01 | 0xD0..=0xD8 => continue,
            _ => {}
        }
        let Some(len) = b
            .get(pos..pos + 2)
            .map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
        else {
            return info;
        };
        if len < 2 {
            return info;
        }
        let Some(seg) = b.get(pos + 2..pos + len) else {
            return info;
        };
        match marker {
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF
                if !info.has_frame && seg.len() >= 6 =>
            {
                info.has_frame = true;
                info.precision = seg[0];
                info.height = u32::from(u16::from_be_bytes([seg[1], seg[2]]));
                info.width = u32::from(u16::from_be_bytes([seg[3], seg[4]]));
                info.components = seg[5];
                info.progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
                info.lossless = matches!(marker, 0xC3 | 0xC7 | 0xCB | 0xCF);
            }
            0xE1 if info.exif.is_none() && seg.starts_with(b"Exif\0\0") => {
                let start = pos + 2 + 6;
                info.exif = Some((start, pos + len));
            }
            0xEE if seg.len() >= 12 && seg.starts_with(b"Adobe") => {
                info.adobe_transform = Some(seg[11]);
            }
            _ => {}
        }
        pos += len;
        if marker == 0xDA {
            scans += 1;
            match skip_entropy_coded(b, pos) {
                Some(next) => pos = next,
                None => return info,
            }
        }
    }
}

/// Returns the position of the first marker (an 0xFF followed by neither a stuffed 0x00 nor a
/// restart marker) at or after `pos`, or `None` when the data ends first.
fn skip_entropy_coded(b: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        pos += memchr::memchr(0xFF, b.get(pos..)?)?;
        let mut next = pos + 1;
        while b.get(next) == Some(&0xFF) {
            next += 1;
        }
        match b.get(next)? {
            0x00 | 0xD0..=0xD7 => pos = next + 1,
            _ => return Some(pos),
        }
    }
}
