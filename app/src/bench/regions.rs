//! `bench shm`, part 4 (Linux): what creating and mapping a region costs, our way against the
//! way the `shared_memory` crate does it.
//!
//! Ours: `memfd_create` + `ftruncate` + seals + `mmap` (an anonymous file, no name anywhere,
//! inherited by the child). Theirs (and our own path on other unix, `shm/os/posix.rs`): a named
//! `shm_open(O_CREAT | O_EXCL)` + `ftruncate` + `mmap` + `shm_unlink` once the child has
//! opened it. Both are timed through first touch of one page and teardown, interleaved round by
//! round, at the size of a 4K frames region. The bench calls libc directly so both sides do
//! exactly the system calls named and nothing else.

/// Runs the comparison and prints its lines.
#[cfg(target_os = "linux")]
pub(crate) fn run() -> anyhow::Result<()> {
    use super::{summary, us};
    // Three 4K RGBA slots plus their headers and the control page, as in part 1.
    let len = 4096 + 3 * (4096 + super::FRAME_BYTES.next_multiple_of(4096));
    let rounds = 200;
    let (mut memfd, mut named) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        linux::memfd_region(len)?;
        memfd.push(t.elapsed().as_nanos() as u64);
        let t = std::time::Instant::now();
        linux::named_region(len)?;
        named.push(t.elapsed().as_nanos() as u64);
    }
    let (m50, m99, _) = summary(memfd);
    let (n50, n99, _) = summary(named);
    println!();
    println!(
        "region create + map + first touch + unmap ({:.1} MB, {rounds} rounds):",
        len as f64 / 1e6
    );
    println!(
        "  memfd + seals (ours, Linux)  p50 {:>12}  p99 {:>12}",
        us(m50),
        us(m99)
    );
    println!(
        "  shm_open by name + unlink    p50 {:>12}  p99 {:>12}  (shared_memory's way; ours on other unix)",
        us(n50),
        us(n99)
    );
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn run() -> anyhow::Result<()> {
    println!();
    println!("region creation: memfd against shm_open is a Linux comparison — skipped");
    Ok(())
}

#[cfg(target_os = "linux")]
mod linux {
    use std::io::Error;

    /// Maps `fd` for `len` bytes, writes its first page, reads it back and unmaps it.
    fn map_touch_unmap(fd: libc::c_int, len: usize) -> std::io::Result<()> {
        // SAFETY: a fresh shared mapping of a descriptor we own, of the length just set.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Error::last_os_error());
        }
        // SAFETY: the first byte lies inside the mapping; volatile so the touch is not elided.
        unsafe {
            std::ptr::write_volatile(ptr.cast::<u8>(), 1);
            std::hint::black_box(std::ptr::read_volatile(ptr.cast::<u8>()));
            libc::munmap(ptr, len);
        }
        Ok(())
    }

    /// Closes `fd` when dropped, so an error path cannot leak it.
    struct Fd(libc::c_int);
    impl Drop for Fd {
        fn drop(&mut self) {
            // SAFETY: closing a descriptor this guard owns.
            unsafe { libc::close(self.0) };
        }
    }

    fn size(fd: &Fd, len: usize) -> std::io::Result<()> {
        // SAFETY: ftruncate on a descriptor we own.
        if unsafe { libc::ftruncate(fd.0, len as libc::off_t) } != 0 {
            return Err(Error::last_os_error());
        }
        Ok(())
    }

    /// What `SharedRegion::create` does on Linux (`shm/os/linux.rs`), minus the layout.
    pub(super) fn memfd_region(len: usize) -> std::io::Result<()> {
        // SAFETY: a valid C string and documented flags.
        let fd = unsafe {
            libc::memfd_create(
                c"idlewild-bench".as_ptr(),
                libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
            )
        };
        if fd < 0 {
            return Err(Error::last_os_error());
        }
        let fd = Fd(fd);
        size(&fd, len)?;
        let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
        // SAFETY: fcntl on a descriptor we own with an integer argument.
        if unsafe { libc::fcntl(fd.0, libc::F_ADD_SEALS, seals) } != 0 {
            return Err(Error::last_os_error());
        }
        map_touch_unmap(fd.0, len)
    }

    /// What `shared_memory` does on unix (and `shm/os/posix.rs`): a name in `/dev/shm`,
    /// created exclusively, unlinked at the end (here at once; there when the owner drops it,
    /// so a killed owner leaves the object behind until reboot).
    pub(super) fn named_region(len: usize) -> std::io::Result<()> {
        let name = format!("/idlewild-bench-{}\0", std::process::id());
        // SAFETY: a NUL-terminated name; O_EXCL never opens someone else's object.
        let fd = unsafe {
            libc::shm_open(
                name.as_ptr().cast(),
                libc::O_CREAT | libc::O_EXCL | libc::O_RDWR | libc::O_CLOEXEC,
                0o600,
            )
        };
        if fd < 0 {
            return Err(Error::last_os_error());
        }
        let fd = Fd(fd);
        let result = size(&fd, len).and_then(|()| map_touch_unmap(fd.0, len));
        // SAFETY: unlinking the name this call created.
        unsafe { libc::shm_unlink(name.as_ptr().cast()) };
        result
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn both_ways_create_map_and_clean_up() {
            super::memfd_region(1 << 20).unwrap();
            super::named_region(1 << 20).unwrap();
            // The name is gone afterwards: creating it again exclusively succeeds.
            super::named_region(1 << 20).unwrap();
        }
    }
}
