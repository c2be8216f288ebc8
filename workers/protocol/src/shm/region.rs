//! A mapped shared-memory region: created by the supervisor, opened by a worker.

use super::layout::{ControlPage, Discipline, Geometry, LayoutParams, SlotHeader};
use super::{ShmError, os};
use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;

/// What a worker needs to map a region its supervisor created. It travels in the `Attach`
/// control message, next to the region's [`LayoutParams`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegionToken {
    /// Linux: a sealed memfd inherited at this descriptor number.
    Fd(i32),
    /// Other unix: a `shm_open` name, unlinked by the supervisor once the worker attached.
    Name(String),
    /// Windows: a section handle duplicated into the worker process.
    Handle(u64),
}

/// A shared-memory region mapped read-write into this process.
///
/// Dropping it unmaps the view and closes the handle; the kernel frees the memory when the last
/// process does the same, so every exit path (a crash included) releases it.
pub struct SharedRegion {
    map: os::Mapping,
    params: LayoutParams,
    geom: Geometry,
}

// SAFETY: the region is plain memory. Headers and the control page are only accessed through
// atomics; payload bytes are only accessed under the seqlock protocol of the disciplines, which
// is designed for concurrent access from other processes and therefore from other threads too.
unsafe impl Send for SharedRegion {}
// SAFETY: see `Send`: every shared access goes through atomics or the seqlock protocol.
unsafe impl Sync for SharedRegion {}

impl SharedRegion {
    /// Creates a zero-filled region for `params` and initialises its control page. Supervisor
    /// side only.
    pub fn create(params: LayoutParams) -> Result<Self, ShmError> {
        let geom = params.geometry().map_err(ShmError::Layout)?;
        let map = os::Mapping::create(geom.region_len)?;
        let region = Self { map, params, geom };
        region.control().initialise(&params, &geom);
        // The exchange word starts naming slot 1 as the shared middle (see `frames`).
        region.control().writer.handoff.store(1, Ordering::Release);
        Ok(region)
    }

    /// Maps a region created by the supervisor and checks that it is the one described by
    /// `params`. Worker side only.
    ///
    /// # Safety
    /// `token` must come from this process's supervisor (the `Attach` message): on Linux the
    /// descriptor number it names is taken over and closed when the region drops.
    pub unsafe fn open(token: &RegionToken, params: LayoutParams) -> Result<Self, ShmError> {
        let geom = params.geometry().map_err(ShmError::Layout)?;
        // SAFETY: forwarded from this function's contract.
        let map = unsafe { os::Mapping::open(token, geom.region_len)? };
        let region = Self { map, params, geom };
        region
            .control()
            .matches(&params, &geom)
            .map_err(ShmError::Mismatch)?;
        Ok(region)
    }

    /// The parameters both sides derive the layout from.
    pub fn params(&self) -> &LayoutParams {
        &self.params
    }

    /// Fails unless the region was created for `expected` (readers and writers call it).
    pub(crate) fn expect_discipline(&self, expected: Discipline) -> Result<(), ShmError> {
        let found = self.params.discipline;
        if found != expected {
            return Err(ShmError::WrongDiscipline { expected, found });
        }
        Ok(())
    }

    /// Offsets and sizes derived from the parameters.
    pub fn geometry(&self) -> &Geometry {
        &self.geom
    }

    /// The control page.
    pub fn control(&self) -> &ControlPage {
        // SAFETY: the mapping is at least CONTROL_LEN bytes, page-aligned (so 64-aligned), and
        // ControlPage consists of atomics only, which are valid for any bit pattern and may be
        // shared between threads and processes.
        unsafe { &*(self.map.ptr() as *const ControlPage) }
    }

    /// The header of slot `index`. Panics on an index outside the layout: indices come from the
    /// caller's own validated state, never from shared bytes.
    pub(crate) fn slot(&self, index: u32) -> &SlotHeader {
        let offset = self.slot_offset(index);
        // SAFETY: `slot_offset` checked that the slot lies inside the mapping; slot starts are
        // page-aligned and SlotHeader is all atomics (valid for any bit pattern).
        unsafe { &*(self.map.ptr().add(offset) as *const SlotHeader) }
    }

    /// Start of slot `index`'s payload (`max_payload` bytes are mapped from there).
    pub(crate) fn payload_ptr(&self, index: u32) -> *mut u8 {
        let offset = self.slot_offset(index) + self.geom.payload_offset as usize;
        // SAFETY: the payload area lies inside the slot, which lies inside the mapping.
        unsafe { self.map.ptr().add(offset) }
    }

    fn slot_offset(&self, index: u32) -> usize {
        assert!(index < self.params.slot_count, "slot index out of range");
        // Cannot overflow: geometry() proved region_len fits in usize.
        (super::layout::CONTROL_LEN + u64::from(index) * self.geom.slot_stride) as usize
    }

    /// Bumps the heartbeat counter in the writer line (the worker's heartbeat thread calls it).
    pub fn beat(&self) {
        self.control()
            .writer
            .heartbeat
            .fetch_add(1, Ordering::Relaxed);
    }

    /// The current heartbeat counter.
    pub fn heartbeat(&self) -> u64 {
        self.control().writer.heartbeat.load(Ordering::Relaxed)
    }

    /// Records the writer's pid in the writer line.
    pub fn set_writer_pid(&self, pid: u32) {
        self.control().writer.pid.store(pid, Ordering::Relaxed);
    }

    /// Total mapped bytes.
    pub fn len(&self) -> usize {
        self.geom.region_len as usize
    }

    /// Regions are never empty; present for API completeness.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The descriptor a child must inherit (Linux), so the spawner can clear close-on-exec on it
    /// in the child only. `None` where regions are passed by name or duplicated handle.
    #[cfg(unix)]
    pub fn inheritable_fd(&self) -> Option<std::os::fd::RawFd> {
        self.map.inheritable_fd()
    }

    /// The token a freshly spawned child uses to open this region. On Windows this duplicates
    /// the section handle into the child; on Linux the child must have inherited the
    /// descriptor (see [`Self::inheritable_fd`]).
    pub fn token_for_child(&self, child: &std::process::Child) -> Result<RegionToken, ShmError> {
        self.map.token_for_child(child)
    }

    /// Called once the child confirmed it mapped the region: on systems with named objects,
    /// removes the name so that only open handles keep the memory alive.
    pub fn child_attached(&self) {
        self.map.forget_name();
    }
}
