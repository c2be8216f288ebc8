//! Linux: a sealed `memfd`, inherited by the child at the same descriptor number.

use super::super::{RegionToken, ShmError};
use super::os_err;
use memmap2::{MmapOptions, MmapRaw};
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};

pub(crate) struct Mapping {
    map: MmapRaw,
    file: File,
}

impl Mapping {
    pub(crate) fn create(len: u64) -> Result<Self, ShmError> {
        // SAFETY: the name is a valid C string; the flags are documented memfd_create flags.
        let fd = unsafe {
            libc::memfd_create(
                c"idlewild-shm".as_ptr(),
                libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
            )
        };
        if fd < 0 {
            return Err(os_err("memfd_create"));
        }
        // SAFETY: memfd_create just returned this descriptor and nothing else owns it.
        let file = unsafe { File::from_raw_fd(fd) };
        file.set_len(len).map_err(|source| ShmError::Os {
            op: "ftruncate",
            source,
        })?;
        // Seal the size so no process can shrink the file under a reader (which would turn
        // reads of the mapping into SIGBUS), then seal the seals themselves.
        let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
        // SAFETY: fcntl on a descriptor we own with an integer argument.
        if unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, seals) } != 0 {
            return Err(os_err("fcntl(F_ADD_SEALS)"));
        }
        let map = MmapOptions::new()
            .len(len as usize)
            .map_raw(&file)
            .map_err(|source| ShmError::Os { op: "mmap", source })?;
        Ok(Self { map, file })
    }

    /// # Safety
    /// The token's descriptor must have been inherited from the supervisor for this region.
    pub(crate) unsafe fn open(token: &RegionToken, len: u64) -> Result<Self, ShmError> {
        let RegionToken::Fd(fd) = *token else {
            return Err(ShmError::Mismatch("expected an inherited descriptor"));
        };
        // SAFETY: F_GETFD only inspects the descriptor table.
        if fd < 0 || unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
            return Err(ShmError::Mismatch("inherited descriptor is not open"));
        }
        // SAFETY: the caller guarantees the descriptor was handed to us for this region.
        let file = unsafe { File::from_raw_fd(fd) };
        // Keep it from leaking into any process this worker might start.
        // SAFETY: fcntl on a descriptor we now own.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        let meta = file.metadata().map_err(|source| ShmError::Os {
            op: "fstat",
            source,
        })?;
        if !meta.is_file() || meta.len() != len {
            return Err(ShmError::Mismatch(
                "inherited descriptor has the wrong size",
            ));
        }
        // SAFETY: F_GET_SEALS only reads the seal set.
        let seals = unsafe { libc::fcntl(fd, libc::F_GET_SEALS) };
        if seals < 0 || seals & libc::F_SEAL_SHRINK == 0 {
            return Err(ShmError::Mismatch("region is not sealed against shrinking"));
        }
        let map = MmapOptions::new()
            .len(len as usize)
            .map_raw(&file)
            .map_err(|source| ShmError::Os { op: "mmap", source })?;
        Ok(Self { map, file })
    }

    pub(crate) fn ptr(&self) -> *mut u8 {
        self.map.as_mut_ptr()
    }

    pub(crate) fn inheritable_fd(&self) -> Option<RawFd> {
        Some(self.file.as_raw_fd())
    }

    pub(crate) fn token_for_child(
        &self,
        _child: &std::process::Child,
    ) -> Result<RegionToken, ShmError> {
        Ok(RegionToken::Fd(self.file.as_raw_fd()))
    }

    pub(crate) fn forget_name(&self) {}
}
