//! `snapshot --from A --to B --out F.png [--transition ID] [--progress P] [--size WxH]
//! [--param KEY=VALUE]... [--seed N]`: one offscreen frame of a transition, for golden tests,
//! documentation and debugging.

use super::{CliError, Command, Scope, Split, no_extra};
use std::path::PathBuf;

pub(super) const TRANSITION: &str = "--transition";
pub(super) const PROGRESS: &str = "--progress";
pub(super) const FROM: &str = "--from";
pub(super) const TO: &str = "--to";
pub(super) const SIZE: &str = "--size";
pub(super) const OUT: &str = "--out";
pub(super) const PARAM: &str = "--param";
pub(super) const SEED: &str = "--seed";

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
}

/// What `snapshot` renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotCommand {
    /// Transition key (default `crossfade`); checked against the registry when run.
    pub transition: String,
    /// Progress, 0 = the `from` photo, 1 = the `to` photo (default 0.5).
    pub progress: Progress,
    /// The old photo.
    pub from: PathBuf,
    /// The new photo.
    pub to: PathBuf,
    /// Frame size (default 1920×1080).
    pub size: (u32, u32),
    /// The PNG to write.
    pub out: PathBuf,
    /// Transition options as `(key, value)` text, in order (checked against the registry when
    /// run: keys and values depend on the transition).
    pub params: Vec<(String, String)>,
    /// The transition's random seed (default 0).
    pub seed: u32,
}

pub(super) fn parse(split: Split) -> Result<Command, CliError> {
    const SCOPE: Scope = Scope::Snapshot;
    if split.help {
        return Ok(Command::Help);
    }
    no_extra(SCOPE, split.positionals.iter().cloned())?;
    let required = |option: &'static str, what: &'static str| {
        split
            .get(option)
            .map(PathBuf::from)
            .ok_or(CliError::Missing { scope: SCOPE, what })
    };
    let bad = |option: &'static str, value: &str, expected: &'static str| CliError::BadNumber {
        scope: SCOPE,
        option,
        value: value.to_owned(),
        expected,
    };
    let progress = match split.get(PROGRESS) {
        Some(text) => text
            .parse::<f32>()
            .ok()
            .and_then(Progress::new)
            .ok_or_else(|| bad(PROGRESS, text, "a number from 0 to 1, such as 0.5"))?,
        None => Progress(0.5),
    };
    let size = match split.get(SIZE) {
        Some(text) => {
            let side = |s: &str| s.parse::<u32>().ok().filter(|v| (1..=16_384).contains(v));
            text.split_once(['x', 'X'])
                .and_then(|(w, h)| Some((side(w)?, side(h)?)))
                .ok_or_else(|| bad(SIZE, text, "WxH, such as 1280x720"))?
        }
        None => (1920, 1080),
    };
    let params = split
        .all(PARAM)
        .map(|text| {
            text.split_once('=')
                .filter(|(k, _)| !k.trim().is_empty())
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| bad(PARAM, text, "KEY=VALUE, such as direction=left"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let seed = match split.get(SEED) {
        Some(text) => text
            .parse::<u32>()
            .map_err(|_| bad(SEED, text, "a whole number from 0 to 4294967295"))?,
        None => 0,
    };
    Ok(Command::Snapshot(SnapshotCommand {
        transition: split.get(TRANSITION).unwrap_or("crossfade").to_owned(),
        progress,
        from: required(FROM, "the --from photo")?,
        to: required(TO, "the --to photo")?,
        size,
        out: required(OUT, "the --out file")?,
        params,
        seed,
    }))
}
