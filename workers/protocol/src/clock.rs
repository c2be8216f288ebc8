//! A monotonic clock in nanoseconds that is comparable between processes on one machine.
//!
//! `std::time::Instant` is opaque and cannot cross a process boundary, yet latency across the
//! shared-memory boundary is exactly what we need to measure. Linux `CLOCK_MONOTONIC` and Windows'
//! performance counter are both system-wide, so a timestamp taken in a worker can be subtracted
//! from one taken in the UI.

/// Nanoseconds on the system-wide monotonic clock. Never zero on a running system, so zero can
/// mean "no timestamp" in message fields.
#[cfg(unix)]
pub fn mono_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and CLOCK_MONOTONIC always exists on the unix
    // platforms we build for; clock_gettime writes nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    if rc != 0 {
        return 1;
    }
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
        .max(1)
}

/// Nanoseconds on the system-wide monotonic clock (the performance counter).
#[cfg(windows)]
pub fn mono_ns() -> u64 {
    use windows_sys::Win32::System::Performance::{
        QueryPerformanceCounter, QueryPerformanceFrequency,
    };
    let mut count: i64 = 0;
    let mut freq: i64 = 0;
    // SAFETY: both out-pointers are valid for writes; these calls cannot fail on XP and later.
    unsafe {
        QueryPerformanceCounter(&mut count);
        QueryPerformanceFrequency(&mut freq);
    }
    if freq <= 0 {
        return 1;
    }
    let ns = (count as u128) * 1_000_000_000 / (freq as u128);
    (ns as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_ns_never_goes_backwards_and_is_nonzero() {
        let mut last = mono_ns();
        assert!(last > 0);
        for _ in 0..1000 {
            let now = mono_ns();
            assert!(now >= last, "clock went backwards: {now} < {last}");
            last = now;
        }
    }
}
