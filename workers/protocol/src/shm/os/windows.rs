//! Windows: a pagefile-backed section (`CreateFileMappingW(INVALID_HANDLE_VALUE, ...)`),
//! duplicated into the child process after it is spawned.

use super::super::{RegionToken, ShmError};
use super::os_err;
use std::os::windows::io::AsRawHandle;
use windows_sys::Win32::Foundation::{
    CloseHandle, DUPLICATE_SAME_ACCESS, DuplicateHandle, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, FILE_MAP_ALL_ACCESS, MEMORY_BASIC_INFORMATION, MEMORY_MAPPED_VIEW_ADDRESS,
    MapViewOfFile, PAGE_READWRITE, UnmapViewOfFile, VirtualQuery,
};
use windows_sys::Win32::System::Threading::GetCurrentProcess;

pub(crate) struct Mapping {
    view: *mut u8,
    handle: HANDLE,
}

fn map_view(handle: HANDLE, len: u64) -> Result<*mut u8, ShmError> {
    // SAFETY: `handle` is a valid section handle owned by this process.
    let view = unsafe { MapViewOfFile(handle, FILE_MAP_ALL_ACCESS, 0, 0, len as usize) };
    if view.Value.is_null() {
        return Err(os_err("MapViewOfFile"));
    }
    Ok(view.Value as *mut u8)
}

impl Mapping {
    pub(crate) fn create(len: u64) -> Result<Self, ShmError> {
        // SAFETY: INVALID_HANDLE_VALUE asks for a pagefile-backed section; no name, default
        // (non-inheritable) security.
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
        match map_view(handle, len) {
            Ok(view) => Ok(Self { view, handle }),
            Err(e) => {
                // SAFETY: closing the handle we just created.
                unsafe { CloseHandle(handle) };
                Err(e)
            }
        }
    }

    /// # Safety
    /// The token must be a handle the supervisor duplicated into this process for this region.
    pub(crate) unsafe fn open(token: &RegionToken, len: u64) -> Result<Self, ShmError> {
        let RegionToken::Handle(raw) = *token else {
            return Err(ShmError::Mismatch("expected a section handle"));
        };
        let handle = raw as usize as HANDLE;
        let view = map_view(handle, len)?;
        let mapping = Self { view, handle };
        let mut info: MEMORY_BASIC_INFORMATION = unsafe { std::mem::zeroed() };
        // SAFETY: querying our own fresh view into a valid out-struct.
        let got = unsafe {
            VirtualQuery(
                mapping.view as *const _,
                &mut info,
                size_of::<MEMORY_BASIC_INFORMATION>(),
            )
        };
        if got == 0 || (info.RegionSize as u64) < len {
            return Err(ShmError::Mismatch("section is smaller than its layout"));
        }
        Ok(mapping)
    }

    pub(crate) fn ptr(&self) -> *mut u8 {
        self.view
    }

    pub(crate) fn token_for_child(
        &self,
        child: &std::process::Child,
    ) -> Result<RegionToken, ShmError> {
        let mut target: HANDLE = std::ptr::null_mut();
        // SAFETY: both process handles are valid (ours and the child's, held by `child`), the
        // source handle is ours; the duplicate lives in the child and dies with it.
        let ok = unsafe {
            DuplicateHandle(
                GetCurrentProcess(),
                self.handle,
                child.as_raw_handle() as HANDLE,
                &mut target,
                0,
                0,
                DUPLICATE_SAME_ACCESS,
            )
        };
        if ok == 0 {
            return Err(os_err("DuplicateHandle"));
        }
        Ok(RegionToken::Handle(target as usize as u64))
    }

    pub(crate) fn forget_name(&self) {}
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the view and handle are ours and are released exactly once.
        unsafe {
            UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS {
                Value: self.view as *mut _,
            });
            CloseHandle(self.handle);
        }
    }
}
