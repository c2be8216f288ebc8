//! `[sources]`: where photos come from.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::options::{OptionDefault, OptionKind, OptionSpec};

/// Options of the `[sources]` section.
pub const OPTIONS: &[OptionSpec] = &[OptionSpec {
    key: "sources.folders",
    label: "Photo folders",
    help: "Folders to take photos from. Empty means the user's Pictures folder and the \
           system wallpapers.",
    kind: OptionKind::StringList,
    default: OptionDefault::StringList(&[]),
}];

/// The `[sources]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sources {
    /// Folders to take photos from; empty means the Pictures folder and system wallpapers.
    pub folders: Vec<PathBuf>,
}
