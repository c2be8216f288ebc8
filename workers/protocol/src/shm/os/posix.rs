//! Other unix systems (macOS, the BSDs): `shm_open` with a random name, unlinked as soon as the
//! child has it open.

use super::super::{RegionToken, ShmError};
use super::os_err;
use memmap2::{MmapOptions, MmapRaw};
use std::ffi::CString;
use std::fs::File;
use std::os::fd::{FromRawFd, RawFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) struct Mapping {
    map: MmapRaw,
    _file: File,
    name: Mutex<Option<CString>>,
}

fn unique_name() -> CString {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let salt = crate::clock::mono_ns() & 0xffff_ffff;
    // macOS limits names to 31 bytes: "/iw-" + 8 + "-" + 8 + "-" + up to 8 hex digits.
    let name = format!("/iw-{:x}-{n:x}-{salt:x}", std::process::id());
    CString::new(name).unwrap_or_default()
}

fn map(file: &File, len: u64) -> Result<MmapRaw, ShmError> {
    MmapOptions::new()
        .len(len as usize)
        .map_raw(file)
        .map_err(|source| ShmError::Os { op: "mmap", source })
}

impl Mapping {
    pub(crate) fn create(len: u64) -> Result<Self, ShmError> {
        let name = unique_name();
        // SAFETY: valid C string; O_EXCL makes sure we never open someone else's object.
        let fd = unsafe {
            libc::shm_open(
                name.as_ptr(),
                libc::O_CREAT | libc::O_EXCL | libc::O_RDWR,
                0o600,
            )
        };
        if fd < 0 {
            return Err(os_err("shm_open"));
        }
        // SAFETY: shm_open just returned this descriptor.
        let file = unsafe { File::from_raw_fd(fd) };
        // SAFETY: fcntl on a descriptor we own.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        if let Err(source) = file.set_len(len) {
            // SAFETY: unlinking the name we just created.
            unsafe { libc::shm_unlink(name.as_ptr()) };
            return Err(ShmError::Os {
                op: "ftruncate",
                source,
            });
        }
        let map = map(&file, len)?;
        Ok(Self {
            map,
            _file: file,
            name: Mutex::new(Some(name)),
        })
    }

    /// # Safety
    /// The token must name an object created by this process's supervisor.
    pub(crate) unsafe fn open(token: &RegionToken, len: u64) -> Result<Self, ShmError> {
        let RegionToken::Name(name) = token else {
            return Err(ShmError::Mismatch("expected a region name"));
        };
        let name = CString::new(name.as_str()).map_err(|_| ShmError::Mismatch("bad name"))?;
        // SAFETY: valid C string; no O_CREAT, so only an existing object is opened.
        let fd = unsafe { libc::shm_open(name.as_ptr(), libc::O_RDWR, 0) };
        if fd < 0 {
            return Err(os_err("shm_open"));
        }
        // SAFETY: shm_open just returned this descriptor.
        let file = unsafe { File::from_raw_fd(fd) };
        // SAFETY: fcntl on a descriptor we own.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        let meta = file.metadata().map_err(|source| ShmError::Os {
            op: "fstat",
            source,
        })?;
        if meta.len() < len {
            return Err(ShmError::Mismatch("region is smaller than its layout"));
        }
        let map = map(&file, len)?;
        Ok(Self {
            map,
            _file: file,
            name: Mutex::new(None),
        })
    }

    pub(crate) fn ptr(&self) -> *mut u8 {
        self.map.as_mut_ptr()
    }

    pub(crate) fn inheritable_fd(&self) -> Option<RawFd> {
        None
    }

    pub(crate) fn token_for_child(
        &self,
        _child: &std::process::Child,
    ) -> Result<RegionToken, ShmError> {
        let guard = self.name.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(name) => Ok(RegionToken::Name(name.to_string_lossy().into_owned())),
            None => Err(ShmError::Mismatch("region name already removed")),
        }
    }

    pub(crate) fn forget_name(&self) {
        let mut guard = self.name.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(name) = guard.take() {
            // SAFETY: unlinking a name this process created; failure (already gone) is harmless.
            unsafe { libc::shm_unlink(name.as_ptr()) };
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        self.forget_name();
    }
}
