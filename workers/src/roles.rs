//! The registry of worker roles: one `const` row per worker kind this build implements.
//!
//! The supervisor only starts kinds listed here; a kind without a row (its role has not been
//! built yet) is reported as unavailable instead of being started and failing.

use crate::runtime::{Worker, WorkerError};
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::Capabilities;

/// One worker role.
pub struct Role {
    /// The kind it implements.
    pub kind: WorkerKind,
    /// What it can do (announced in `Hello`).
    pub capabilities: Capabilities,
    /// Its main loop, run on the worker's main thread after start-up.
    pub run: fn(&mut Worker) -> Result<(), WorkerError>,
}

/// Every role in this build.
pub const ROLES: &[Role] = &[
    Role {
        kind: WorkerKind::Sim,
        capabilities: Capabilities(Capabilities::FRAMES.0 | Capabilities::STREAM.0),
        run: crate::sim::run,
    },
    Role {
        kind: WorkerKind::Image,
        capabilities: Capabilities::FRAMES,
        run: crate::image::run,
    },
    Role {
        kind: WorkerKind::Fft,
        capabilities: Capabilities(Capabilities::STREAM.0 | Capabilities::AUDIO_CAPTURE.0),
        run: crate::fft::run,
    },
];

/// The role for `kind`, if this build has one.
pub fn role(kind: WorkerKind) -> Option<&'static Role> {
    ROLES.iter().find(|r| r.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_rows_are_unique_and_findable() {
        for (i, r) in ROLES.iter().enumerate() {
            assert!(
                ROLES[i + 1..].iter().all(|o| o.kind != r.kind),
                "{} twice",
                r.kind
            );
            let found = role(r.kind).expect("every row is findable");
            assert_eq!((found.kind, found.capabilities), (r.kind, r.capabilities));
        }
        assert!(role(WorkerKind::Sim).is_some());
        assert!(role(WorkerKind::Image).is_some());
        assert!(role(WorkerKind::Fft).is_some());
    }
}
