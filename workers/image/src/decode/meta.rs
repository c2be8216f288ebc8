//! EXIF → orientation, title and capture date.
//!
//! Every field is optional and many files carry junk (blank dates, "0000:00:00", a camera's
//! default description), so each is validated and dropped rather than shown when it is not
//! plausible. A broken EXIF block never fails a decode: it only loses its metadata.

use super::PhotoMeta;
use exif::{In, Tag, Value};

/// Descriptions cameras write by default: they say nothing about the photo, so they are not
/// used as titles (compared case-insensitively after trimming).
const BOILERPLATE: &[&str] = &[
    "OLYMPUS DIGITAL CAMERA",
    "KONICA MINOLTA DIGITAL CAMERA",
    "MINOLTA DIGITAL CAMERA",
    "SONY DSC",
    "DIGITAL CAMERA",
    "EXIF_JPEG_PICTURE",
];

/// What the EXIF block says, with defaults where it says nothing usable.
pub(crate) struct ExifInfo {
    /// EXIF orientation 1–8 (1 when absent or out of range).
    pub orientation: u8,
    pub meta: PhotoMeta,
}

/// Parses a raw EXIF (TIFF) block.
pub(crate) fn parse(tiff: &[u8]) -> ExifInfo {
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    // A partial result still has the fields that parsed; keep them. The parser is third-party
    // code reading bytes from the file, so it runs under the same panic guard as the decoders.
    let parsed = super::guard("EXIF", || {
        reader
            .read_raw(tiff.to_vec())
            .or_else(|e| e.distill_partial_result(|_| {}))
    });
    let Ok(Ok(exif)) = parsed else {
        return ExifInfo {
            orientation: 1,
            meta: PhotoMeta::default(),
        };
    };
    let orientation = exif
        .get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .filter(|o| (1..=8).contains(o))
        .map_or(1, |o| o as u8);
    let title = ascii(&exif, Tag::ImageDescription).and_then(|s| title(&s));
    let taken = [Tag::DateTimeOriginal, Tag::DateTime]
        .into_iter()
        .find_map(|tag| ascii(&exif, tag).and_then(|s| date(s.as_bytes())));
    ExifInfo {
        orientation,
        meta: PhotoMeta { title, taken },
    }
}

/// The first string of an ASCII field (lossy: some cameras write Latin-1 or UTF-8 here).
fn ascii(exif: &exif::Exif, tag: Tag) -> Option<String> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(strings) => strings
            .first()
            .map(|s| String::from_utf8_lossy(s).into_owned()),
        _ => None,
    }
}

/// A title from a description: trimmed (including the NUL padding some writers leave),
/// non-empty, not camera boilerplate.
fn title(description: &str) -> Option<String> {
    let t = description.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if t.is_empty() || BOILERPLATE.iter().any(|b| b.eq_ignore_ascii_case(t)) {
        return None;
    }
    Some(t.to_owned())
}

/// `YYYY:MM:DD HH:MM:SS` → `YYYY-MM-DD HH:MM:SS`, or `None` when blank or implausible.
fn date(raw: &[u8]) -> Option<String> {
    let d = exif::DateTime::from_ascii(raw).ok()?;
    let plausible = (1800..=9999).contains(&d.year)
        && (1..=12).contains(&d.month)
        && (1..=31).contains(&d.day)
        && d.hour < 24
        && d.minute < 60
        && d.second <= 60;
    plausible.then(|| {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            d.year, d.month, d.day, d.hour, d.minute, d.second
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_boilerplate_dropped() {
        assert_eq!(title("  Dunes at dawn \0\0"), Some("Dunes at dawn".into()));
        assert_eq!(title("          "), None);
        assert_eq!(title("KONICA MINOLTA DIGITAL CAMERA"), None);
        assert_eq!(title(" sony dsc "), None);
    }

    #[test]
    fn dates_are_reformatted_and_validated() {
        assert_eq!(
            date(b"2021:07:04 18:30:05"),
            Some("2021-07-04 18:30:05".into())
        );
        assert_eq!(date(b"0000:00:00 00:00:00"), None);
        assert_eq!(date(b"    :  :     :  :  "), None);
        assert_eq!(date(b"2021-07-04"), None);
        assert_eq!(date(b"2021:13:04 18:30:05"), None);
    }
}
