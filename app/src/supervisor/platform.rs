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
///
/// The child already runs when this is called (std cannot spawn suspended), so it is outside the
/// job for a moment; if the UI dies in that window, the worker's `--parent-pid` check or its
/// stdin closing ends it instead.
#[cfg(windows)]
pub(crate) fn adopt(child: &Child) {
    use std::os::windows::io::AsRawHandle;
    use std::sync::OnceLock;
    // The job handle is deliberately never closed: it must live exactly as long as this
    // process, and the kernel closes it (killing the workers) however the process ends. It is
    // stored as an address because raw handles are not `Sync`; `None` means the job could not
    // be set up, which is logged once and leaves stdin closing as the only safety net.
    static JOB: OnceLock<Option<usize>> = OnceLock::new();
    let Some(job) = *JOB.get_or_init(create_kill_on_close_job) else {
        return;
    };
    let job: windows_sys::Win32::Foundation::HANDLE = std::ptr::without_provenance_mut(job);
    // SAFETY: `job` is our open job handle (never closed) and the process handle is held by
    // `child` for the duration of the call.
    let ok = unsafe {
        windows_sys::Win32::System::JobObjects::AssignProcessToJobObject(job, child.as_raw_handle())
    };
    if ok == 0 {
        tracing::warn!(
            "could not put worker {} into the kill-on-close job: {}",
            child.id(),
            std::io::Error::last_os_error()
        );
    }
}

/// Creates the job every worker joins: closing its last handle (this process exiting, however
/// it exits) kills every process in it, and a worker that crashes dies at once instead of
/// waiting on a Windows Error Reporting dialog nobody will see.
#[cfg(windows)]
fn create_kill_on_close_job() -> Option<usize> {
    use windows_sys::Win32::Foundation::CloseHandle;
    use windows_sys::Win32::System::JobObjects::{
        CreateJobObjectW, JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION,
        JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
        JobObjectExtendedLimitInformation, SetInformationJobObject,
    };
    // SAFETY: null security attributes (a non-inheritable handle, so workers cannot keep the
    // job alive) and a null name (a private job nobody else can open).
    let job = unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) };
    if job.is_null() {
        let e = std::io::Error::last_os_error();
        tracing::warn!("could not create the workers' job object: {e}");
        return None;
    }
    // SAFETY: the structure is plain data for which all-zero is the documented "no limits".
    let mut info: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
    info.BasicLimitInformation.LimitFlags =
        JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
    // SAFETY: `job` is the handle just created; the pointer and length describe `info`, which
    // outlives the call.
    let ok = unsafe {
        SetInformationJobObject(
            job,
            JobObjectExtendedLimitInformation,
            (&raw const info).cast(),
            size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
        )
    };
    if ok == 0 {
        let e = std::io::Error::last_os_error();
        tracing::warn!("could not make the workers' job kill-on-close: {e}");
        // A job without the limit would only hide the problem: don't use it.
        // SAFETY: closing the handle we created, once; no process was assigned to it.
        unsafe { CloseHandle(job) };
        return None;
    }
    Some(job.addr())
}
