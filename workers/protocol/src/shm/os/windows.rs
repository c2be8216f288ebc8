//! Windows: a pagefile-backed section (`CreateFileMappingW(INVALID_HANDLE_VALUE, ...)`),
//! created non-inheritable and duplicated into the child process after it is spawned.
//!
//! The section has no name, so no other process can open it; the kernel frees it when the last
//! handle and the last view are gone, whichever side dies first.

use super::super::{RegionToken, ShmError};
use super::os_err;
use std::os::windows::io::AsRawHandle;
use windows_sys::Win32::Foundation::{CloseHandle, DuplicateHandle, HANDLE, INVALID_HANDLE_VALUE};
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, FILE_MAP_READ, FILE_MAP_WRITE, MEM_MAPPED, MEMORY_BASIC_INFORMATION,
    MEMORY_MAPPED_VIEW_ADDRESS, MapViewOfFile, PAGE_READWRITE, UnmapViewOfFile, VirtualQuery,
};
use windows_sys::Win32::System::Threading::GetCurrentProcess;

/// The only rights either side needs: map a read-write view. The worker's duplicate gets no
/// more than this (no `SECTION_EXTEND_SIZE`, no `WRITE_DAC`), so a compromised worker can do
/// nothing to the section but read and write its bytes.
const VIEW_ACCESS: u32 = FILE_MAP_READ | FILE_MAP_WRITE;

pub(crate) struct Mapping {
    view: *mut u8,
    handle: HANDLE,
}

/// Maps `len` bytes of the section (0: all of it) read-write.
fn map_view(handle: HANDLE, len: usize) -> Result<*mut u8, ShmError> {
    // SAFETY: MapViewOfFile only reads its arguments; an invalid or wrong-type handle makes it
    // fail (null view) rather than misbehave.
    let view = unsafe { MapViewOfFile(handle, VIEW_ACCESS, 0, 0, len) };
    if view.Value.is_null() {
        return Err(os_err("MapViewOfFile"));
    }
    Ok(view.Value.cast())
}

/// The size of the view that starts at `view`, as the memory manager sees it.
fn view_len(view: *mut u8) -> Option<usize> {
    let mut info = std::mem::MaybeUninit::<MEMORY_BASIC_INFORMATION>::uninit();
    // SAFETY: `info` is a writable buffer of exactly the length passed; VirtualQuery only
    // inspects our own address space.
    let got = unsafe {
        VirtualQuery(
            view.cast_const().cast(),
            info.as_mut_ptr(),
            size_of::<MEMORY_BASIC_INFORMATION>(),
        )
    };
    if got == 0 {
        return None;
    }
    // SAFETY: a non-zero return means VirtualQuery filled the whole structure.
    let info = unsafe { info.assume_init() };
    (info.Type == MEM_MAPPED && info.AllocationBase == view.cast()).then_some(info.RegionSize)
}

impl Mapping {
    pub(crate) fn create(len: u64) -> Result<Self, ShmError> {
        let view_len = usize::try_from(len).map_err(|_| ShmError::Layout("region too large"))?;
        // SAFETY: INVALID_HANDLE_VALUE asks for a pagefile-backed (committed, zero-filled)
        // section; a null name keeps it private and null security attributes make the handle
        // non-inheritable, so it reaches a worker only through `token_for_child`.
        let handle = unsafe {
            CreateFileMappingW(
                INVALID_HANDLE_VALUE,
                std::ptr::null(),
                PAGE_READWRITE,
                (len >> 32) as u32,
                len as u32,
                std::ptr::null(),
            )
        };
        if handle.is_null() {
            return Err(os_err("CreateFileMappingW"));
        }
        match map_view(handle, view_len) {
            Ok(view) => Ok(Self { view, handle }),
            Err(e) => {
                // SAFETY: closing the handle we just created; nothing else refers to it.
                unsafe { CloseHandle(handle) };
                Err(e)
            }
        }
    }

    /// # Safety
    /// The token must be a handle the supervisor duplicated into this process for this region.
    /// Once the section is mapped, the handle is owned by the returned mapping (or closed if
    /// the section turns out to be too small).
    pub(crate) unsafe fn open(token: &RegionToken, len: u64) -> Result<Self, ShmError> {
        let RegionToken::Handle(raw) = *token else {
            return Err(ShmError::Mismatch("expected a section handle"));
        };
        let raw = usize::try_from(raw).map_err(|_| ShmError::Mismatch("handle out of range"))?;
        let handle: HANDLE = std::ptr::without_provenance_mut(raw);
        if handle.is_null() || handle == INVALID_HANDLE_VALUE {
            return Err(ShmError::Mismatch("expected a section handle"));
        }
        // Map the whole section, not `len` bytes, so that its real size can be checked below.
        // If this fails the handle is left open: it is not a section we can map, so it may not
        // be ours to close, and the worker exits on a failed attach anyway.
        let view = map_view(handle, 0)?;
        // From here on `Drop` unmaps the view and closes the handle on every path.
        let mapping = Self { view, handle };
        match view_len(mapping.view) {
            Some(size) if size as u64 >= len => Ok(mapping),
            // A larger section of the wrong region is caught by the control page check, which
            // compares the region length the supervisor stored with the one we computed.
            _ => Err(ShmError::Mismatch("section is smaller than its layout")),
        }
    }

    pub(crate) fn ptr(&self) -> *mut u8 {
        self.view
    }

    pub(crate) fn token_for_child(
        &self,
        child: &std::process::Child,
    ) -> Result<RegionToken, ShmError> {
        let mut target: HANDLE = std::ptr::null_mut();
        // SAFETY: both process handles are valid (ours is a pseudo-handle, the child's is held
        // by `child`, opened with PROCESS_DUP_HANDLE among all rights) and `self.handle` is our
        // open section. The duplicate is created in the child, non-inheritable, and dies with it.
        let ok = unsafe {
            DuplicateHandle(
                GetCurrentProcess(),
                self.handle,
                child.as_raw_handle(),
                &mut target,
                VIEW_ACCESS,
                0,
                0,
            )
        };
        if ok == 0 {
            return Err(os_err("DuplicateHandle"));
        }
        Ok(RegionToken::Handle(target.addr() as u64))
    }

    pub(crate) fn forget_name(&self) {}
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the view and the handle belong to this mapping and are released exactly once;
        // nothing borrows the view past the owning `SharedRegion`.
        unsafe {
            UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS {
                Value: self.view.cast(),
            });
            CloseHandle(self.handle);
        }
    }
}
