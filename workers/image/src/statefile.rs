//! Small crash-safe state files (the scan index, the playlist position) and the lossless path
//! encoding they share.
//!
//! A state file is a 24-byte header followed by the payload:
//!
//! | bytes  | field                                                               |
//! |--------|---------------------------------------------------------------------|
//! | 0..4   | magic, one per kind of file                                         |
//! | 4..8   | format version, u32 little endian                                   |
//! | 8..16  | payload length, u64 little endian                                   |
//! | 16..24 | xxh3-64 of bytes 0..16 followed by the payload, u64 little endian   |
//!
//! The checksum covers the header too, so a flipped bit in the version field reads as
//! [`StateError::Corrupt`], and only a file really written by another format version reads as
//! [`StateError::Version`]. Files are replaced with `idlewild_fsio::atomic_write` (temp file
//! beside the target, synced, renamed over it), so a crash leaves either the old or the new
//! file, never a torn one.
//!
//! **Invariant:** nothing here panics on file contents; every defect is a [`StateError`].

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use xxhash_rust::xxh3::Xxh3;

/// Length of the header in front of every payload.
const HEADER_LEN: usize = 24;

/// State files are small (a 100,000-photo index is a few megabytes); anything far larger is not
/// one of ours, and refusing it early avoids reading a huge file into memory.
const MAX_STATE_BYTES: u64 = 512 << 20;

/// Why a state file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file system refused (permissions, disk full, …).
    #[error("state file I/O failed: {0}")]
    Io(#[from] io::Error),
    /// The file is not a valid state file of the expected kind: wrong magic, wrong length, bad
    /// checksum, or a payload that does not decode.
    #[error("state file is corrupt: {0}")]
    Corrupt(String),
    /// The file is intact but was written in another format version.
    #[error("state file has format version {0}, which this build does not read")]
    Version(u32),
}

/// Writes `payload` under a header to `path`, atomically: temp file in the same directory,
/// fsync, rename. Creates the parent directory.
pub fn write_state(
    path: &Path,
    magic: [u8; 4],
    version: u32,
    payload: &[u8],
) -> Result<(), StateError> {
    let bytes = encode(magic, version, payload);
    idlewild_fsio::atomic_write(path, &bytes)
        .map_err(|e| StateError::Io(io::Error::new(e.source.kind(), e.to_string())))
}

/// Reads the payload of the state file at `path`. `Ok(None)` when there is no file.
pub fn read_state(
    path: &Path,
    magic: [u8; 4],
    version: u32,
) -> Result<Option<Vec<u8>>, StateError> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if meta.len() > MAX_STATE_BYTES {
        return Err(StateError::Corrupt(format!(
            "{} bytes is too large",
            meta.len()
        )));
    }
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    decode(&bytes, magic, version).map(Some)
}

/// Reads a state file for a caller that starts fresh on any problem: a missing file is `None`
/// quietly; a corrupt or foreign-version file is moved aside (see [`quarantine`]) and logged
/// once; an I/O error is logged and also `None`. `what` names the file in the log.
pub fn read_or_quarantine(
    path: &Path,
    magic: [u8; 4],
    version: u32,
    what: &str,
) -> Option<Vec<u8>> {
    match read_state(path, magic, version) {
        Ok(payload) => payload,
        Err(err @ (StateError::Corrupt(_) | StateError::Version(_))) => {
            quarantine(path, &err, what);
            None
        }
        Err(err) => {
            tracing::warn!(path = %path.display(), "cannot read the {what}, starting fresh: {err}");
            None
        }
    }
}

/// Moves a bad state file aside to `<name>.corrupt` (replacing an older one, so at most one is
/// kept) and logs a warning. Used when the file is unreadable or its payload does not decode;
/// the caller then starts fresh and the next save writes a new file.
pub fn quarantine(path: &Path, err: &StateError, what: &str) {
    let aside = quarantine_path(path);
    match fs::rename(path, &aside) {
        Ok(()) => tracing::warn!(
            path = %path.display(),
            "the {what} is unusable ({err}); moved it to {} and starting fresh",
            aside.display()
        ),
        Err(e) => tracing::warn!(
            path = %path.display(),
            "the {what} is unusable ({err}) and could not be moved aside ({e}); starting fresh"
        ),
    }
}

/// The path a corrupt state file is moved to.
pub fn quarantine_path(path: &Path) -> PathBuf {
    sibling(path, ".corrupt")
}

fn encode(magic: [u8; 4], version: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&magic);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    let sum = checksum(&out[..16], payload);
    out.extend_from_slice(&sum.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fn decode(bytes: &[u8], magic: [u8; 4], version: u32) -> Result<Vec<u8>, StateError> {
    let Some((header, payload)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Err(StateError::Corrupt(format!(
            "only {} bytes, shorter than the header",
            bytes.len()
        )));
    };
    if header[..4] != magic {
        return Err(StateError::Corrupt("wrong magic".into()));
    }
    let field = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&header[at..at + 8]);
        u64::from_le_bytes(b)
    };
    let mut v = [0u8; 4];
    v.copy_from_slice(&header[4..8]);
    let file_version = u32::from_le_bytes(v);
    let len = field(8);
    if len != payload.len() as u64 {
        return Err(StateError::Corrupt(format!(
            "header says {len} payload bytes, file has {}",
            payload.len()
        )));
    }
    if field(16) != checksum(&header[..16], payload) {
        return Err(StateError::Corrupt("checksum mismatch".into()));
    }
    // Checked after the checksum: only an intact file is trusted to name its version.
    if file_version != version {
        return Err(StateError::Version(file_version));
    }
    Ok(payload.to_vec())
}

fn checksum(header: &[u8], payload: &[u8]) -> u64 {
    let mut h = Xxh3::new();
    h.update(header);
    h.update(payload);
    h.digest()
}

/// `<name><suffix>` in the same directory as `path`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(OsStr::to_os_string)
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// A path (or file name) as bytes that round-trip exactly: the OS bytes on unix, UTF-16 code
/// units (little endian) on Windows, so unpaired surrogates survive too. These bytes are what
/// the playlist hashes, so they must not change between builds.
pub fn os_to_bytes(s: &OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        s.as_bytes().to_vec()
    }
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStrExt;
        s.encode_wide().flat_map(u16::to_le_bytes).collect()
    }
    #[cfg(not(any(unix, windows)))]
    {
        s.to_string_lossy().into_owned().into_bytes()
    }
}

/// The inverse of [`os_to_bytes`]; `None` when the bytes cannot be from it (an odd length on
/// Windows).
pub fn bytes_to_os(b: &[u8]) -> Option<OsString> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(OsString::from_vec(b.to_vec()))
    }
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStringExt;
        let (units, rest) = b.as_chunks::<2>();
        if !rest.is_empty() {
            return None;
        }
        let wide: Vec<u16> = units.iter().map(|u| u16::from_le_bytes(*u)).collect();
        Some(OsString::from_wide(&wide))
    }
    #[cfg(not(any(unix, windows)))]
    {
        String::from_utf8(b.to_vec()).ok().map(OsString::from)
    }
}

/// A byte string that serializes as one length-prefixed blob (postcard's `bytes`), instead of
/// serde's default of a sequence of separately encoded `u8`s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_byte_buf(BytesVisitor)
    }
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Bytes;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a byte string")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
        Ok(Bytes(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
        Ok(Bytes(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Bytes, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(b) = seq.next_element()? {
            out.push(b);
        }
        Ok(Bytes(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: [u8; 4] = *b"TEST";

    fn temp() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    #[test]
    fn round_trip_creates_the_parent_directory() {
        let dir = temp();
        let path = dir.path().join("a/b/state.bin");
        write_state(&path, MAGIC, 3, b"hello").expect("write");
        assert_eq!(
            read_state(&path, MAGIC, 3).expect("read").as_deref(),
            Some(&b"hello"[..])
        );
        // An empty payload is valid too.
        write_state(&path, MAGIC, 3, b"").expect("write");
        assert_eq!(
            read_state(&path, MAGIC, 3).expect("read").as_deref(),
            Some(&b""[..])
        );
    }

    #[test]
    fn missing_file_is_none() {
        let dir = temp();
        assert!(
            read_state(&dir.path().join("nope"), MAGIC, 1)
                .expect("read")
                .is_none()
        );
    }

    #[test]
    fn truncated_files_are_corrupt() {
        let dir = temp();
        let path = dir.path().join("s");
        write_state(&path, MAGIC, 1, b"some payload").expect("write");
        let full = fs::read(&path).expect("read back");
        for cut in 0..full.len() {
            fs::write(&path, &full[..cut]).expect("truncate");
            assert!(
                matches!(read_state(&path, MAGIC, 1), Err(StateError::Corrupt(_))),
                "cut at {cut}"
            );
        }
        // Extra bytes after the payload are as wrong as missing ones.
        let mut longer = full.clone();
        longer.push(0);
        fs::write(&path, &longer).expect("extend");
        assert!(matches!(
            read_state(&path, MAGIC, 1),
            Err(StateError::Corrupt(_))
        ));
    }

    #[test]
    fn every_flipped_byte_is_corrupt() {
        let dir = temp();
        let path = dir.path().join("s");
        write_state(&path, MAGIC, 1, b"0123456789").expect("write");
        let full = fs::read(&path).expect("read back");
        for at in 0..full.len() {
            let mut bad = full.clone();
            bad[at] ^= 0x10;
            fs::write(&path, &bad).expect("write bad");
            // Even a flipped version byte is corrupt, not a version mismatch: the checksum
            // covers the header.
            assert!(
                matches!(read_state(&path, MAGIC, 1), Err(StateError::Corrupt(_))),
                "flip at {at}"
            );
        }
    }

    #[test]
    fn wrong_magic_and_wrong_version() {
        let dir = temp();
        let path = dir.path().join("s");
        write_state(&path, MAGIC, 2, b"x").expect("write");
        assert!(matches!(
            read_state(&path, *b"ELSE", 2),
            Err(StateError::Corrupt(_))
        ));
        assert!(matches!(
            read_state(&path, MAGIC, 1),
            Err(StateError::Version(2))
        ));
    }

    #[test]
    fn leftover_temp_files_do_not_matter() {
        let dir = temp();
        let path = dir.path().join("s");
        write_state(&path, MAGIC, 1, b"old").expect("write");
        // A crash between create and rename leaves temp files like these behind (the second
        // one named as this process would name its next one).
        fs::write(dir.path().join(".s.tmp-4294967295-0"), b"garbage").expect("litter");
        let ours = format!(".tmp-{}-", std::process::id());
        fs::write(dir.path().join(format!(".s{ours}4000000000")), b"garbage").expect("litter");
        assert_eq!(
            read_state(&path, MAGIC, 1).expect("read").as_deref(),
            Some(&b"old"[..])
        );
        write_state(&path, MAGIC, 1, b"new").expect("write over litter");
        assert_eq!(
            read_state(&path, MAGIC, 1).expect("read").as_deref(),
            Some(&b"new"[..])
        );
        // No temp file of ours is left after a successful write.
        let left: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(&ours))
            .collect();
        assert_eq!(left.len(), 1, "only the litter planted above");
    }

    #[test]
    fn quarantine_keeps_one_copy() {
        let dir = temp();
        let path = dir.path().join("s");
        fs::write(&path, b"first bad").expect("write");
        assert!(read_or_quarantine(&path, MAGIC, 1, "test file").is_none());
        assert!(!path.exists());
        assert_eq!(
            fs::read(quarantine_path(&path)).expect("aside"),
            b"first bad"
        );
        fs::write(&path, b"second bad").expect("write");
        assert!(read_or_quarantine(&path, MAGIC, 1, "test file").is_none());
        assert_eq!(
            fs::read(quarantine_path(&path)).expect("aside"),
            b"second bad"
        );
        // A missing file is quietly None and moves nothing.
        assert!(read_or_quarantine(&path, MAGIC, 1, "test file").is_none());
        assert!(quarantine_path(&path).exists());
    }

    #[test]
    fn os_bytes_round_trip() {
        for s in ["", "plain.jpg", "ünïcødé/日本.png", "a b\\c"] {
            let os = OsStr::new(s);
            assert_eq!(bytes_to_os(&os_to_bytes(os)).as_deref(), Some(os), "{s:?}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let raw = OsStr::from_bytes(b"caf\xe9\xff.jpg");
            assert_eq!(bytes_to_os(&os_to_bytes(raw)).as_deref(), Some(raw));
        }
    }

    #[test]
    fn bytes_newtype_is_one_blob_in_postcard() {
        let b = Bytes(vec![1, 2, 3, 200]);
        let enc = postcard::to_stdvec(&b).expect("encode");
        assert_eq!(enc, vec![4, 1, 2, 3, 200]);
        let dec: Bytes = postcard::from_bytes(&enc).expect("decode");
        assert_eq!(dec, b);
    }
}
