//! Where photos come from: the default folders of each platform, `~` expansion of configured
//! folders, and the extension filter.
//!
//! Everything here is a pure function of its inputs (plus, for [`default_folders`], which
//! folders exist), so the rules are table-tested below.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

/// File extensions the decoder handles, lower case, without the dot.
pub const SUPPORTED_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "jfif", "png", "webp", "gif", "bmp", "tif", "tiff",
];

/// Why a source configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// An extension the decoder does not handle (or an empty one).
    #[error("unsupported image extension {0:?} (supported: {list})", list = SUPPORTED_EXTENSIONS.join(", "))]
    UnknownExtension(String),
}

/// The platform's usual photo folders that exist on this machine, in a fixed order, without
/// duplicates: the user's Pictures folder first, then the system wallpapers.
pub fn default_folders() -> Vec<PathBuf> {
    dedup_paths(candidate_folders().into_iter().filter(|p| p.is_dir()))
}

/// The folders to scan: the configured ones (with a leading `~` expanded to the home folder)
/// when there are any, else [`default_folders`]. Duplicates are dropped, first one wins.
pub fn effective_folders(configured: &[PathBuf]) -> Vec<PathBuf> {
    if configured.is_empty() {
        return default_folders();
    }
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    dedup_paths(configured.iter().map(|p| expand_tilde(p, home.as_deref())))
}

/// Replaces a leading `~` component with `home`. `~user` forms are left alone (no portable way
/// to resolve them), and so is everything when the home folder is unknown.
pub fn expand_tilde(path: &Path, home: Option<&Path>) -> PathBuf {
    let mut components = path.components();
    match (components.next(), home) {
        (Some(Component::Normal(first)), Some(home)) if first == OsStr::new("~") => {
            let mut out = home.to_path_buf();
            out.extend(components);
            out
        }
        _ => path.to_path_buf(),
    }
}

/// Keeps the first of equal paths, preserving order. Equality is `Path`'s, component-wise, so
/// `/a/` and `/a` are the same folder; aliases through links are caught later by the scanner's
/// visited set.
pub fn dedup_paths(paths: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    paths
        .into_iter()
        .filter(|p| seen.insert(p.clone()))
        .collect()
}

/// Every folder [`default_folders`] considers, existing or not.
fn candidate_folders() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(dirs) = directories::UserDirs::new() {
        match dirs.picture_dir() {
            Some(p) => out.push(p.to_path_buf()),
            // Linux reports a Pictures folder only when `user-dirs.dirs` names one; most homes
            // still have the conventional one.
            None => out.push(dirs.home_dir().join("Pictures")),
        }
    }
    #[cfg(target_os = "linux")]
    {
        out.push(PathBuf::from("/usr/share/backgrounds"));
        out.push(PathBuf::from("/usr/share/wallpapers"));
    }
    #[cfg(target_os = "macos")]
    {
        out.push(PathBuf::from("/System/Library/Desktop Pictures"));
        out.push(PathBuf::from("/Library/Desktop Pictures"));
    }
    #[cfg(windows)]
    {
        let root = std::env::var_os("SystemRoot")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(r"C:\Windows"));
        out.extend(windows_wallpaper_folders(&root));
    }
    out
}

/// The wallpaper folders under `%SystemRoot%`.
#[cfg_attr(not(windows), allow(dead_code))]
fn windows_wallpaper_folders(system_root: &Path) -> [PathBuf; 2] {
    [
        system_root.join("Web").join("Wallpaper"),
        system_root.join("Web").join("4K").join("Wallpaper"),
    ]
}

/// The set of file extensions a scan takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtensionSet {
    /// Lower case, without dots, sorted, unique: a canonical form, so equal sets fingerprint
    /// equally whatever order the settings listed them in.
    exts: Vec<String>,
}

impl ExtensionSet {
    /// The set named by `extensions` (case-insensitive, leading dots and surrounding spaces
    /// tolerated), or every supported extension when the list is empty. An extension the
    /// decoder does not handle is an error that names it.
    pub fn new(extensions: &[String]) -> Result<Self, SourceError> {
        if extensions.is_empty() {
            return Ok(Self::all());
        }
        let mut exts = Vec::with_capacity(extensions.len());
        for raw in extensions {
            let ext = raw.trim().trim_start_matches('.').to_ascii_lowercase();
            if !SUPPORTED_EXTENSIONS.contains(&ext.as_str()) {
                return Err(SourceError::UnknownExtension(raw.clone()));
            }
            exts.push(ext);
        }
        exts.sort_unstable();
        exts.dedup();
        Ok(Self { exts })
    }

    /// Every supported extension.
    pub fn all() -> Self {
        let mut exts: Vec<String> = SUPPORTED_EXTENSIONS.iter().map(|e| e.to_string()).collect();
        exts.sort_unstable();
        Self { exts }
    }

    /// Whether `path`'s extension is in the set, ignoring ASCII case. Allocation-free: it runs
    /// once per file of the library.
    pub fn matches(&self, path: &Path) -> bool {
        let Some(ext) = path.extension() else {
            return false;
        };
        let ext = ext.as_encoded_bytes();
        self.exts
            .iter()
            .any(|e| e.as_bytes().eq_ignore_ascii_case(ext))
    }

    /// The extensions, lower case, sorted.
    pub fn as_slice(&self) -> &[String] {
        &self.exts
    }
}

impl Default for ExtensionSet {
    fn default() -> Self {
        Self::all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(list: &[&str]) -> Result<ExtensionSet, SourceError> {
        ExtensionSet::new(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn extension_set_parsing() {
        // (configured list, the set it gives or the extension the error names)
        type Case<'a> = (&'a [&'a str], Result<&'a [&'a str], &'a str>);
        let cases: &[Case] = &[
            (&[], Ok(SUPPORTED_EXTENSIONS)),
            (&["jpg"], Ok(&["jpg"])),
            (&["JPG", ".png", " .Webp "], Ok(&["jpg", "png", "webp"])),
            (&["png", "PNG", "png"], Ok(&["png"])),
            (&["jpg", "heic"], Err("heic")),
            (&["."], Err(".")),
            (&[""], Err("")),
            (&["j pg"], Err("j pg")),
        ];
        for (input, expected) in cases {
            match (set(input), expected) {
                (Ok(got), Ok(want)) => {
                    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
                    want.sort();
                    assert_eq!(got.as_slice(), want.as_slice(), "{input:?}");
                }
                (Err(SourceError::UnknownExtension(name)), Err(want)) => {
                    assert_eq!(&name, want, "{input:?}")
                }
                (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn unknown_extension_error_names_it() {
        let err = set(&["raw"]).expect_err("raw is not supported");
        assert!(err.to_string().contains("\"raw\""), "{err}");
    }

    #[test]
    fn extension_matching() {
        let jpg_png = set(&["jpg", "png"]).expect("valid");
        let cases: &[(&str, bool)] = &[
            ("a.jpg", true),
            ("a.JPG", true),
            ("dir/b.Png", true),
            ("a.jpeg", false),
            ("a.jpg.txt", false),
            ("a.txt.jpg", true),
            ("jpg", false),
            ("a.", false),
            ("a", false),
            (".jpg", false),
        ];
        for (path, want) in cases {
            assert_eq!(jpg_png.matches(Path::new(path)), *want, "{path}");
        }
        assert!(ExtensionSet::all().matches(Path::new("x.TIFF")));
        assert!(ExtensionSet::all().matches(Path::new("x.jfif")));
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_match_on_their_extension() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(OsStr::from_bytes(b"caf\xe9.JPG"));
        assert!(ExtensionSet::all().matches(p));
    }

    #[test]
    fn tilde_expansion() {
        let home = Path::new("/home/ann");
        let cases: &[(&str, Option<&Path>, &str)] = &[
            ("~", Some(home), "/home/ann"),
            ("~/Photos", Some(home), "/home/ann/Photos"),
            ("~/a/b", Some(home), "/home/ann/a/b"),
            ("~bob/Photos", Some(home), "~bob/Photos"),
            ("/srv/~/x", Some(home), "/srv/~/x"),
            ("rel/~", Some(home), "rel/~"),
            ("~/Photos", None, "~/Photos"),
            ("/abs", Some(home), "/abs"),
        ];
        for (input, home, want) in cases {
            assert_eq!(
                expand_tilde(Path::new(input), *home),
                Path::new(want),
                "{input}"
            );
        }
    }

    #[test]
    fn dedup_keeps_first_and_order() {
        let got = dedup_paths(["/b", "/a", "/b/", "/c", "/a"].map(PathBuf::from));
        assert_eq!(got, ["/b", "/a", "/c"].map(PathBuf::from));
    }

    #[test]
    fn effective_folders_prefers_configuration() {
        let configured = vec![
            PathBuf::from("/x"),
            PathBuf::from("/y"),
            PathBuf::from("/x"),
        ];
        assert_eq!(
            effective_folders(&configured),
            vec![PathBuf::from("/x"), PathBuf::from("/y")]
        );
        // Defaults only ever name existing folders.
        assert!(effective_folders(&[]).iter().all(|p| p.is_dir()));
    }

    #[test]
    fn windows_folders_sit_under_system_root() {
        let [a, b] = windows_wallpaper_folders(Path::new("root"));
        assert_eq!(a, Path::new("root").join("Web").join("Wallpaper"));
        assert_eq!(
            b,
            Path::new("root").join("Web").join("4K").join("Wallpaper")
        );
    }
}
