//! The scan thread: walks the sources with the previous index, streams what it finds to the
//! role's main thread, and saves the new index when the walk was complete.

use crossbeam_channel::Receiver;
use idlewild_image::index::Index;
use idlewild_image::scan::{ScanEvent, ScanOptions, scan};
use std::ops::ControlFlow;
use std::path::PathBuf;

/// Messages of the scan thread.
pub enum ScanMsg {
    Event(ScanEvent),
    /// The walk ended; the index when it was complete (so absent files may be dropped).
    Finished(Option<Index>),
}

/// Walks the sources on a thread, streaming what it finds; saves the index when complete.
pub fn spawn_scan(options: ScanOptions, index_file: PathBuf) -> Receiver<ScanMsg> {
    let (tx, rx) = crossbeam_channel::bounded(64);
    let spawned = std::thread::Builder::new()
        .name("scan".into())
        .spawn(move || {
            // A corrupt index is moved aside (and logged) by `load_or_none`: scan from scratch.
            let previous = Index::load_or_none(&index_file);
            let index = scan(&options, previous.as_ref(), &mut |event| {
                match tx.send(ScanMsg::Event(event)) {
                    Ok(()) => ControlFlow::Continue(()),
                    // The session was replaced: stop walking.
                    Err(_) => ControlFlow::Break(()),
                }
            });
            let complete = index.is_complete();
            if complete && let Err(e) = index.save(&index_file) {
                tracing::warn!("cannot save the scan index: {e}");
            }
            let _ = tx.send(ScanMsg::Finished(complete.then_some(index)));
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the scan thread: {e}");
    }
    rx
}
