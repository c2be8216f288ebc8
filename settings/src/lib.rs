//! Idlewild's settings: the typed model, the option tables that drive validation and the CLI,
//! repair of invalid values, versioned upgrades, and crash-safe persistence in TOML.
//!
//! Loading is infallible (defaults plus a [`LoadReport`]); [`SettingsStore::set`] is the only
//! writer and edits the user's document in place, so comments and unknown keys survive.
//!
//! **Boundary:** this crate knows nothing of windows, GPUs, IPC or workers' code; it only
//! describes their settings.

mod docpath;
mod error;
mod evaluate;
mod fsio;
mod migrate;
mod options;
mod report;
mod sections;
mod store;

pub use error::SettingsError;
pub use migrate::CURRENT_VERSION;
pub use options::{OptionDefault, OptionKind, OptionSpec, find_option, options};
pub use report::{ListedOption, LoadOutcome, LoadReport, LoadSource, Repair, SetOutcome};
pub use sections::Settings;
pub use sections::display::{Display, DisplayMode};
pub use sections::input::Input;
pub use sections::logging::{LogLevel, Logging};
pub use sections::sources::Sources;
pub use sections::transitions::{
    BLINDS_ORIENTATIONS, BlindsOptions, DiffuseOptions, EASINGS, SLIDE_DIRECTIONS, SlideOptions,
    TRANSITION_EFFECTS, TransitionDurations, Transitions, WIPE_DIRECTIONS, WipeOptions,
};
pub use sections::visualizer::{ORDERS, PALETTES, PLACEMENTS, VISUALIZER_MODES, Visualizer};
pub use sections::workers::{ImageWorker, SimWorker, WorkerToggle, Workers};
pub use store::{FILE_NAME, SettingsStore, default_path};
