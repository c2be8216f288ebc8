//! `snapshot --from A --to B --out F.png [--transition ID] [--progress P] [--size WxH]
//! [--param KEY=VALUE]... [--seed N]`: one offscreen frame of a transition, for golden tests,
//! documentation and debugging. The struct is its own clap declaration: its doc comments are
//! `idlewild snapshot --help`.

use super::grammar::{absolute_path, size};
use std::path::PathBuf;

/// A transition progress in `0..=1` (never NaN, so it can be compared exactly).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress(f32);

impl Eq for Progress {}

impl Progress {
    /// A progress, if `value` is in `0..=1` (NaN is not).
    pub fn new(value: f32) -> Option<Progress> {
        (0.0..=1.0).contains(&value).then_some(Progress(value))
    }

    /// The value.
    pub fn get(self) -> f32 {
        self.0
    }

    /// `--progress` as typed.
    fn parse(text: &str) -> Result<Progress, String> {
        text.parse::<f32>()
            .ok()
            .and_then(Progress::new)
            .ok_or_else(|| "expected a number from 0 to 1, such as 0.5".to_owned())
    }
}

/// What `snapshot` renders.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct SnapshotCommand {
    /// Transition key
    #[arg(long, value_name = "ID", default_value = "crossfade")]
    pub transition: String,
    /// From 0 (--from) to 1 (--to)
    #[arg(long, value_name = "P", value_parser = Progress::parse, default_value = "0.5")]
    pub progress: Progress,
    /// The old photo
    #[arg(long, value_name = "A", value_parser = absolute_path())]
    pub from: PathBuf,
    /// The new photo
    #[arg(long, value_name = "B", value_parser = absolute_path())]
    pub to: PathBuf,
    /// Frame size in pixels
    #[arg(long, value_name = "WxH", value_parser = size, default_value = "1920x1080")]
    pub size: (u32, u32),
    /// The PNG to write
    #[arg(long, value_name = "F.png", value_parser = absolute_path())]
    pub out: PathBuf,
    /// A transition option (repeatable)
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = param)]
    pub params: Vec<(String, String)>,
    /// The transition's random seed
    #[arg(long, value_name = "N", default_value = "0")]
    pub seed: u32,
}

/// `KEY=VALUE`, both trimmed; the key must not be empty.
fn param(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .filter(|(k, _)| !k.trim().is_empty())
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .ok_or_else(|| "expected KEY=VALUE, such as direction=left".to_owned())
}
