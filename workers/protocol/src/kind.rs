//! The worker kinds: one long-lived process each, all the same binary (`idlewild worker <kind>`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which worker a process, a channel or a shared-memory region belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u32)]
pub enum WorkerKind {
    /// Scans folders, decodes, orients and prescales photos into frame slots.
    Image = 1,
    /// Fetches feeds and mirrors their images to disk.
    Rss = 2,
    /// Captures loopback audio and publishes FFT bins into a stream ring.
    Fft = 3,
    /// Precomputes transition data (block orders, shard geometry, lookup tables).
    Prep = 4,
    /// A deterministic simulator with fault knobs, for tests and diagnostics.
    Sim = 5,
}

impl WorkerKind {
    /// Every kind, in start-up order.
    pub const ALL: [WorkerKind; 5] = [Self::Image, Self::Rss, Self::Fft, Self::Prep, Self::Sim];

    /// The name used on the command line, in settings keys and in logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Rss => "rss",
            Self::Fft => "fft",
            Self::Prep => "prep",
            Self::Sim => "sim",
        }
    }

    /// The numeric tag stored in shared-memory control pages.
    pub const fn tag(self) -> u32 {
        self as u32
    }

    /// The kind for a control-page tag, if it names one.
    pub fn from_tag(tag: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.tag() == tag)
    }
}

impl fmt::Display for WorkerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name given was not a worker kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown worker kind {0:?} (expected one of image, rss, fft, prep, sim)")]
pub struct UnknownKind(pub String);

impl FromStr for WorkerKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_tags_round_trip() {
        for kind in WorkerKind::ALL {
            assert_eq!(kind.as_str().parse::<WorkerKind>(), Ok(kind));
            assert_eq!(WorkerKind::from_tag(kind.tag()), Some(kind));
        }
        assert_eq!("SIM".parse::<WorkerKind>(), Ok(WorkerKind::Sim));
        assert!("gpu".parse::<WorkerKind>().is_err());
        assert_eq!(WorkerKind::from_tag(0), None);
    }
}
