//! The operating-system half of a region: create, share with a child, open, map, unmap.
//!
//! One implementation per platform, all with the same shape (`Mapping`).

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::Mapping;

#[cfg(all(unix, not(target_os = "linux")))]
mod posix;
#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) use posix::Mapping;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::Mapping;

use super::ShmError;

pub(crate) fn os_err(op: &'static str) -> ShmError {
    ShmError::Os {
        op,
        source: std::io::Error::last_os_error(),
    }
}
