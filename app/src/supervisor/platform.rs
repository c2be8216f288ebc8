//! Platform parts of spawning a worker: region inheritance and "die with the UI".
//!
//! - Linux: in the child, between fork and exec, clear close-on-exec on the region descriptors
//!   and set `PR_SET_PDEATHSIG(SIGKILL)`, so the kernel kills the worker when the spawning
//!   thread's process dies. The worker also checks its parent pid (closing the race where the
//!   parent died before the prctl) and exits when its stdin closes.
//! - Windows: every worker joins one job object created with `KILL_ON_JOB_CLOSE`; the job
//!   handle dies with the UI process, and the kernel then kills every worker in it.
//! - Other unix: stdin closing is the signal (no parent-death signal exists there).

use idlewild_protocol::shm::SharedRegion;
use std::process::{Child, Command};
use std::sync::Arc;

/// Prepares `cmd` so the child can open `regions`.
#[cfg(unix)]
pub(crate) fn prepare(cmd: &mut Command, regions: &[Arc<SharedRegion>]) {
    use std::os::unix::process::CommandExt;
    let fds: Vec<i32> = regions.iter().filter_map(|r| r.inheritable_fd()).collect();
    // SAFETY: the closure runs in the forked child before exec and only calls fcntl and prctl,
    // which are async-signal-safe; it allocates nothing (`fds` was built before the fork).
    unsafe {
        cmd.pre_exec(move || {
            for &fd in &fds {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            #[cfg(target_os = "linux")]
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Nothing to adopt on unix: the parent-death signal was set in the child.
#[cfg(unix)]
pub(crate) fn adopt(_child: &Child) {}

/// Prepares `cmd`: no console window for workers. Regions are duplicated into the child after
/// it starts (`SharedRegion::token_for_child`).
#[cfg(windows)]
pub(crate) fn prepare(cmd: &mut Command, _regions: &[Arc<SharedRegion>]) {
    use std::os::windows::process::CommandExt;
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    cmd.creation_flags(CREATE_NO_WINDOW);
}

/// Puts the child into the kill-on-close job object.
#[cfg(windows)]
pub(crate) fn adopt(child: &Child) {
    use std::os::windows::io::AsRawHandle;
    use std::sync::OnceLock;
    use windows_sys::Win32::System::JobObjects::{
        AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation,
        SetInformationJobObject,
    };
    // The job handle is deliberately never closed: it must live exactly as long as this
    // process, and the kernel closes it (killing the workers) however the process ends.
    static JOB: OnceLock<usize> = OnceLock::new();
    let job = *JOB.get_or_init(|| {
        // SAFETY: plain Win32 calls with valid (null or stack) arguments.
        unsafe {
            let job = CreateJobObjectW(std::ptr::null(), std::ptr::null());
            if job.is_null() {
                return 0;
            }
            let mut info: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = std::mem::zeroed();
            info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
            SetInformationJobObject(
                job,
                JobObjectExtendedLimitInformation,
                &info as *const _ as *const _,
                std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            );
            job as usize
        }
    });
    if job != 0 {
        // SAFETY: both handles are valid for the duration of the call.
        let ok = unsafe { AssignProcessToJobObject(job as _, child.as_raw_handle() as _) };
        if ok == 0 {
            tracing::warn!(
                "could not put worker {} into the kill-on-close job",
                child.id()
            );
        }
    }
}
