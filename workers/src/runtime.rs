//! What every worker process shares: start-up, the control thread, the outbox, region attach.
//!
//! Threads of a worker:
//! - **main**: runs the role (decoding, capturing, simulating: anything slow).
//! - **control**: reads control messages from stdin. It answers `Ping` itself, at once, and bumps
//!   the heartbeat counter of every attached region, so a 500 ms decode on the main thread never
//!   looks like a hang. Everything else is forwarded to the role through a bounded queue. When
//!   stdin closes, the UI process is gone and the worker exits at once (no orphans).

use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError};
use idlewild_protocol::WorkerKind;
use idlewild_protocol::clock::mono_ns;
use idlewild_protocol::message::{
    DEFAULT_MESSAGE_CAP, Envelope, FromWorker, PROTOCOL_VERSION, RegionGrant, RegionRole, ToWorker,
};
use idlewild_protocol::shm::{SharedRegion, ShmError};
use idlewild_protocol::wire::{WireError, WireReader, WireWriter};
use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Requests queued for the role before the control thread starts refusing them.
const INBOX_CAP: usize = 256;

/// How the supervisor started this worker (`idlewild worker <kind> --epoch N --parent-pid P`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkerArgs {
    /// Which role to run.
    pub kind: WorkerKind,
    /// The epoch the supervisor assigned to this process.
    pub epoch: u64,
    /// The supervisor's pid; the worker refuses to start if its parent is already someone else.
    pub parent_pid: Option<u32>,
}

/// A worker could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// This build has no role for the kind.
    #[error("worker role '{0}' is not part of this build")]
    Unavailable(WorkerKind),
    /// The parent died before the worker was set up.
    #[error("the supervisor (pid {0}) is gone; not starting")]
    Orphaned(u32),
    /// Setting up the control channel failed.
    #[error("could not set up the control channel: {0}")]
    Setup(io::Error),
    /// The control channel failed.
    #[error("control channel: {0}")]
    Channel(#[from] WireError),
    /// A shared-memory region could not be used.
    #[error("shared memory: {0}")]
    Shm(#[from] ShmError),
}

/// Something for the role to handle, in arrival order.
pub enum Inbound {
    /// The regions of this epoch, mapped and checked.
    Attach(Regions),
    /// A request (kind-specific bodies, e.g. `ToWorker::Sim`).
    Request(Envelope<ToWorker>),
    /// Finish and return from the role.
    Shutdown,
}

/// The regions granted to this worker.
#[derive(Default, Clone)]
pub struct Regions {
    /// The latest-wins frames region, if granted.
    pub frames: Option<Arc<SharedRegion>>,
    /// The stream ring, if granted.
    pub stream: Option<Arc<SharedRegion>>,
}

impl Regions {
    fn all(&self) -> Vec<Arc<SharedRegion>> {
        self.frames
            .iter()
            .chain(self.stream.iter())
            .cloned()
            .collect()
    }
}

/// Sends messages to the UI. Cloneable; every message gets the next sequence number.
#[derive(Clone)]
pub struct Outbox {
    inner: Arc<OutboxInner>,
}

struct OutboxInner {
    writer: Mutex<WireWriter<File>>,
    kind: WorkerKind,
    epoch: u64,
    seq: AtomicU64,
}

impl Outbox {
    fn envelope(
        &self,
        body: FromWorker,
        answer: Option<&Envelope<ToWorker>>,
        payload_size: u64,
    ) -> Envelope<FromWorker> {
        Envelope {
            version: PROTOCOL_VERSION,
            worker_kind: self.inner.kind,
            seq_no: self.inner.seq.fetch_add(1, Ordering::Relaxed) + 1,
            correlation_id: answer.map_or(0, |r| r.seq_no),
            epoch: self.inner.epoch,
            generation: answer.map_or(0, |r| r.generation),
            ts_req: answer.map_or(0, |r| r.ts_req),
            ts_res: mono_ns(),
            payload_size,
            body,
        }
    }

    fn write(&self, env: &Envelope<FromWorker>, ignore_cap: bool) -> Result<(), WireError> {
        let mut writer = self.inner.writer.lock().unwrap_or_else(|e| e.into_inner());
        if ignore_cap {
            writer.send_ignoring_cap(env)
        } else {
            writer.send(env)
        }
        .map(|_| ())
    }

    /// Answers `request` (its seq, generation and timestamp are copied into the response).
    pub fn reply(
        &self,
        request: &Envelope<ToWorker>,
        body: FromWorker,
        payload_size: u64,
    ) -> Result<(), WireError> {
        self.write(&self.envelope(body, Some(request), payload_size), false)
    }

    /// Sends an unsolicited message.
    pub fn notify(&self, body: FromWorker) -> Result<(), WireError> {
        self.write(&self.envelope(body, None, 0), false)
    }

    /// Fault injection: sends a response ignoring this side's size cap.
    pub fn reply_ignoring_cap(
        &self,
        request: &Envelope<ToWorker>,
        body: FromWorker,
    ) -> Result<(), WireError> {
        self.write(&self.envelope(body, Some(request), 0), true)
    }
}

/// The role's view of its process: inbox, outbox, identity.
pub struct Worker {
    /// The kind being run.
    pub kind: WorkerKind,
    /// This process's epoch.
    pub epoch: u64,
    inbox: Receiver<Inbound>,
    outbox: Outbox,
    heartbeats_stopped: Arc<AtomicBool>,
}

impl Worker {
    /// Waits for the next inbound item; `None` once the control thread is gone.
    pub fn recv(&self) -> Option<Inbound> {
        self.inbox.recv().ok()
    }

    /// The next inbound item if one is queued. `Err(())` once the control thread is gone.
    #[allow(clippy::result_unit_err)]
    pub fn try_recv(&self) -> Result<Option<Inbound>, ()> {
        match self.inbox.try_recv() {
            Ok(m) => Ok(Some(m)),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(()),
        }
    }

    /// The inbox itself, for roles that wait on it together with their own channels.
    pub fn inbox(&self) -> &Receiver<Inbound> {
        &self.inbox
    }

    /// The outbox.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Fault injection: from now on the control thread ignores pings, as a hung worker would.
    pub fn stop_heartbeats(&self) {
        self.heartbeats_stopped.store(true, Ordering::SeqCst);
    }
}

/// Runs the worker process for `args` until the role returns or the UI goes away.
pub fn run(args: WorkerArgs) -> Result<(), WorkerError> {
    let role = crate::roles::role(args.kind).ok_or(WorkerError::Unavailable(args.kind))?;
    if let Some(parent) = args.parent_pid {
        check_parent(parent)?;
    }
    let channel_out = take_stdout_for_channel().map_err(WorkerError::Setup)?;
    let outbox = Outbox {
        inner: Arc::new(OutboxInner {
            writer: Mutex::new(WireWriter::new(channel_out, DEFAULT_MESSAGE_CAP)),
            kind: args.kind,
            epoch: args.epoch,
            seq: AtomicU64::new(0),
        }),
    };
    let (tx, rx) = crossbeam_channel::bounded(INBOX_CAP);
    let stopped = Arc::new(AtomicBool::new(false));
    let control = Control {
        args,
        outbox: outbox.clone(),
        tx,
        heartbeats_stopped: stopped.clone(),
    };
    std::thread::Builder::new()
        .name("control".into())
        .spawn(move || control.run())
        .map_err(WorkerError::Setup)?;
    outbox.notify(FromWorker::Hello {
        pid: std::process::id(),
        capabilities: role.capabilities,
    })?;
    tracing::info!(kind = %args.kind, epoch = args.epoch, pid = std::process::id(), "[HEALTH] worker started");
    let mut worker = Worker {
        kind: args.kind,
        epoch: args.epoch,
        inbox: rx,
        outbox,
        heartbeats_stopped: stopped,
    };
    let result = (role.run)(&mut worker);
    tracing::info!(kind = %args.kind, epoch = args.epoch, "[HEALTH] worker finished");
    result
}

struct Control {
    args: WorkerArgs,
    outbox: Outbox,
    tx: Sender<Inbound>,
    heartbeats_stopped: Arc<AtomicBool>,
}

impl Control {
    fn run(self) {
        let mut reader = WireReader::new(io::stdin(), DEFAULT_MESSAGE_CAP);
        let mut regions: Vec<Arc<SharedRegion>> = Vec::new();
        loop {
            let env = match reader.recv::<Envelope<ToWorker>>() {
                Ok(env) => env,
                Err(e) if e.is_recoverable() => {
                    tracing::warn!(kind = %self.args.kind, "rejected a control message: {e}");
                    continue;
                }
                Err(WireError::Closed) => {
                    // The UI process is gone (however it died): never outlive it.
                    tracing::info!(kind = %self.args.kind, "[HEALTH] control channel closed; exiting");
                    std::process::exit(0);
                }
                Err(e) => {
                    tracing::error!(kind = %self.args.kind, "control channel broken: {e}; exiting");
                    std::process::exit(2);
                }
            };
            if env.version != PROTOCOL_VERSION {
                let message = format!(
                    "protocol version {} not supported (this worker speaks {PROTOCOL_VERSION})",
                    env.version
                );
                let _ = self.outbox.reply(&env, FromWorker::Error { message }, 0);
                continue;
            }
            match &env.body {
                ToWorker::Ping { beat } => {
                    if self.heartbeats_stopped.load(Ordering::SeqCst) {
                        continue;
                    }
                    regions.iter().for_each(|r| r.beat());
                    let _ = self.outbox.reply(&env, FromWorker::Pong { beat: *beat }, 0);
                }
                ToWorker::Attach {
                    regions: grants, ..
                } => match attach(grants, self.args) {
                    Ok(set) => {
                        regions = set.all();
                        let _ = self.outbox.reply(&env, FromWorker::Attached, 0);
                        let _ = self.tx.send(Inbound::Attach(set));
                    }
                    Err(e) => {
                        tracing::error!(kind = %self.args.kind, "cannot attach regions: {e}; exiting");
                        let _ = self.outbox.reply(
                            &env,
                            FromWorker::Error {
                                message: e.to_string(),
                            },
                            0,
                        );
                        std::process::exit(3);
                    }
                },
                ToWorker::Shutdown => {
                    let _ = self.tx.send(Inbound::Shutdown);
                }
                ToWorker::Sim(_) | ToWorker::Image(_) | ToWorker::Fft(_) => {
                    match self.tx.try_send(Inbound::Request(env)) {
                        Ok(()) => {}
                        Err(TrySendError::Full(Inbound::Request(env))) => {
                            let message = "worker busy: request dropped".to_owned();
                            let _ = self.outbox.reply(&env, FromWorker::Error { message }, 0);
                        }
                        Err(_) => return,
                    }
                }
            }
        }
    }
}

fn attach(grants: &[RegionGrant], args: WorkerArgs) -> Result<Regions, WorkerError> {
    let mut set = Regions::default();
    for grant in grants {
        if grant.layout.epoch != args.epoch || grant.layout.kind != args.kind {
            return Err(ShmError::Mismatch("grant is for another worker or epoch").into());
        }
        // SAFETY: the grant arrived on our control channel from the supervisor that spawned us.
        let region = Arc::new(unsafe { SharedRegion::open(&grant.token, grant.layout)? });
        match grant.role {
            RegionRole::Frames => set.frames = Some(region),
            RegionRole::Stream => set.stream = Some(region),
        }
    }
    Ok(set)
}

#[cfg(unix)]
fn check_parent(parent: u32) -> Result<(), WorkerError> {
    // SAFETY: getppid has no preconditions.
    let actual = unsafe { libc::getppid() };
    if actual as u32 != parent {
        // The supervisor died between spawning us and our start: PR_SET_PDEATHSIG could not
        // fire for it, so refuse to run as an orphan.
        return Err(WorkerError::Orphaned(parent));
    }
    Ok(())
}

#[cfg(windows)]
fn check_parent(parent: u32) -> Result<(), WorkerError> {
    use windows_sys::Win32::Foundation::{
        CloseHandle, ERROR_INVALID_PARAMETER, GetLastError, WAIT_OBJECT_0,
    };
    use windows_sys::Win32::System::Threading::{
        OpenProcess, PROCESS_SYNCHRONIZE, WaitForSingleObject,
    };
    // Windows has no getppid. The supervisor puts us into its kill-on-close job right after
    // spawning us; if it died before that, refuse to start (stdin closing would also stop us,
    // a moment later). A reused pid only makes this check pass, never fail, wrongly.
    // SAFETY: OpenProcess only reads its arguments.
    let process = unsafe { OpenProcess(PROCESS_SYNCHRONIZE, 0, parent) };
    if process.is_null() {
        // SAFETY: GetLastError has no preconditions.
        let error = unsafe { GetLastError() };
        // Only "no such process" means it is gone; access denied means it exists.
        return if error == ERROR_INVALID_PARAMETER {
            Err(WorkerError::Orphaned(parent))
        } else {
            Ok(())
        };
    }
    // SAFETY: `process` is the handle we just opened; a zero timeout only polls its state.
    let exited = unsafe { WaitForSingleObject(process, 0) } == WAIT_OBJECT_0;
    // SAFETY: closing the handle we opened, once.
    unsafe { CloseHandle(process) };
    if exited {
        return Err(WorkerError::Orphaned(parent));
    }
    Ok(())
}

/// Takes the process's stdout as the control channel and points stdout at stderr, so stray
/// prints from any library can never corrupt the channel's framing.
#[cfg(unix)]
fn take_stdout_for_channel() -> io::Result<File> {
    use std::os::fd::FromRawFd;
    // SAFETY: dup/dup2/fcntl on the standard descriptors, which exist in every process we start
    // (the supervisor pipes all three).
    unsafe {
        let fd = libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::dup2(2, 1) < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(File::from_raw_fd(fd))
    }
}

/// Windows: unlike `dup2` on unix, `SetStdHandle` does not touch the C runtime's descriptor 1,
/// so a C library that `printf`s would still write into the channel. None of ours does.
#[cfg(windows)]
fn take_stdout_for_channel() -> io::Result<File> {
    use std::os::windows::io::FromRawHandle;
    use windows_sys::Win32::Foundation::{
        HANDLE_FLAG_INHERIT, INVALID_HANDLE_VALUE, SetHandleInformation,
    };
    use windows_sys::Win32::System::Console::{
        GetStdHandle, STD_ERROR_HANDLE, STD_OUTPUT_HANDLE, SetStdHandle,
    };
    // SAFETY: GetStdHandle only reads the process's standard-handle table.
    let out = unsafe { GetStdHandle(STD_OUTPUT_HANDLE) };
    // SAFETY: as above.
    let err = unsafe { GetStdHandle(STD_ERROR_HANDLE) };
    if out.is_null() || out == INVALID_HANDLE_VALUE {
        return Err(io::Error::other("stdout is not a pipe from the supervisor"));
    }
    // The pipe end was inherited, so it is still inheritable: clear that (the unix side's
    // F_DUPFD_CLOEXEC), or any process this worker started would hold the channel open after
    // the worker died and the supervisor would never see it close.
    // SAFETY: `out` is a valid handle of this process; only its inherit flag changes.
    if unsafe { SetHandleInformation(out, HANDLE_FLAG_INHERIT, 0) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // Point stdout at stderr, so that Rust prints (std looks the handle up on every write) go
    // to the supervisor's log instead of corrupting the channel's framing.
    // SAFETY: `err` is this process's stderr handle (or null, which makes stdout a sink).
    if unsafe { SetStdHandle(STD_OUTPUT_HANDLE, err) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the standard-handle table no longer names `out`, so the returned File owns it and
    // closes it exactly once. (The C runtime's descriptor 1 still holds the raw value, but no
    // Rust code writes through it; see the note on `take_stdout_for_channel`.)
    Ok(unsafe { File::from_raw_handle(out) })
}
