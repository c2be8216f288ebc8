//! `[sources]`: where photos come from.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::options::{OptionDefault, OptionKind, OptionSpec};

/// Options of the `[sources]` section.
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        key: "sources.folders",
        label: "Photo folders",
        help: "Folders to take photos from (searched recursively). Empty means the user's \
               Pictures folder and the system wallpapers.",
        kind: OptionKind::StringList { allowed: None },
        default: OptionDefault::StringList(&[]),
    },
    OptionSpec {
        key: "sources.extensions",
        label: "File types",
        help: "File extensions to show, e.g. [\"jpg\", \"png\"]. Empty means every supported \
               type: jpg, jpeg, jpe, jfif, png, webp, gif, bmp, tif, tiff.",
        kind: OptionKind::StringList { allowed: None },
        default: OptionDefault::StringList(&[]),
    },
    OptionSpec {
        key: "sources.follow_symlinks",
        label: "Follow symbolic links",
        help: "Follow symbolic links to folders and files (loops are detected and skipped).",
        kind: OptionKind::Bool,
        default: OptionDefault::Bool(false),
    },
    // `sources.feed_percent` (the share of feed photos) comes back with the feeds issue, when
    // there are feed photos to share with: no setting may exist that has no effect.
];

/// The `[sources]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sources {
    /// Folders to take photos from; empty means the Pictures folder and system wallpapers.
    pub folders: Vec<PathBuf>,
    /// Extensions to show (lower case, no dot); empty means every supported type.
    pub extensions: Vec<String>,
    /// Follow symbolic links (with loop protection).
    pub follow_symlinks: bool,
}
