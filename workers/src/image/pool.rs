//! The decode pool: a few low-priority threads that turn a photo into a display-sized frame,
//! watched by the role's main thread.
//!
//! The library checks the per-image deadline between stages; a decoder stuck *inside* a stage
//! (a pathological file, a decoder bug) cannot be interrupted, so the main thread gives up on
//! any job that overruns its deadline by [`GRACE`] (the job's thread had started it): the job counts as "too slow", its thread is
//! abandoned (its result, if it ever comes, is ignored) and a fresh thread takes its place. If
//! more than [`MAX_STUCK`] abandoned threads are still running, the process exits and the
//! supervisor starts a clean one: a stuck decoder costs one photo, never the screen.
//!
//! **Memory admission:** before it allocates, a job asks the main thread for its memory (the
//! output frame, the file, then the decode's own estimated peak once the header is read) with a
//! [`Need`]; the main thread makes room in the frame cache or postpones the job. So the cache
//! and the decodes in flight together stay within one byte budget.

use crossbeam_channel::{Receiver, Sender};
use idlewild_image::ImageError;
use idlewild_image::cache::FrameKey;
use idlewild_image::prepare::{Prepared, prepare_admitted};
use idlewild_protocol::message::image::ImageLimits;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Extra time after a job's deadline before its thread is abandoned.
pub const GRACE: Duration = Duration::from_secs(1);
/// Abandoned threads still running that make the worker restart itself.
pub const MAX_STUCK: usize = 2;

/// Job states. Every change is one compare-exchange, so the main thread and a decode thread
/// never both believe they own the outcome.
/// Waiting in the queue.
const QUEUED: u8 = 0;
/// A decode thread is working on it.
const STARTED: u8 = 1;
/// The main thread gave up on it (a thread that had started it is surplus now).
const ABANDONED: u8 = 2;
/// The thread finished it in time (its result will be delivered).
const COMPLETED: u8 = 3;

/// A photo to prepare.
struct Job {
    id: u64,
    key: FrameKey,
    limits: ImageLimits,
    deadline: Instant,
    state: Arc<AtomicU8>,
}

/// A job asks for memory before allocating it.
pub struct Need {
    /// The job's id.
    pub id: u64,
    /// Bytes it is about to allocate (on top of what it was granted before).
    pub bytes: u64,
    /// Where the answer goes: `true` to go ahead, `false` to postpone the job.
    pub reply: Sender<bool>,
}

/// A finished job.
pub struct Done {
    /// The job's id (from [`Pool::submit`]).
    pub id: u64,
    /// The frame, or why the photo was skipped.
    pub result: Result<(Vec<u8>, Prepared), ImageError>,
}

struct InFlight {
    key: FrameKey,
    deadline: Instant,
    state: Arc<AtomicU8>,
    /// Memory granted to it so far.
    granted: u64,
}

/// Threads, queue and the jobs in flight.
pub struct Pool {
    jobs: Sender<Job>,
    job_rx: Receiver<Job>,
    done_tx: Sender<Done>,
    done: Receiver<Done>,
    threads: usize,
    in_flight: HashMap<u64, InFlight>,
    next_id: u64,
    /// Abandoned threads that have not finished yet (each decrements it when it does).
    stuck: Arc<AtomicUsize>,
    abandoned: u64,
    grace: Duration,
    work: Work,
    needs_tx: Sender<Need>,
    needs: Receiver<Need>,
    granted: u64,
}

/// A job's memory admission: asks the main thread for bytes (see [`Need`]).
pub type Admit<'a> = &'a dyn Fn(u64) -> Result<(), ImageError>;

/// What a decode thread does with a job: the real path in production, a stand-in with a
/// controlled duration in the pool's own tests.
pub type Work =
    fn(&FrameKey, &ImageLimits, Instant, &mut Vec<u8>, Admit<'_>) -> Result<Prepared, ImageError>;

/// The real work: read, decode and scale the photo into `out`. The frame (twice: the output and
/// the sharpening copy) and the file are asked for first, the decode once its header is read.
fn prepare(
    key: &FrameKey,
    limits: &ImageLimits,
    deadline: Instant,
    out: &mut Vec<u8>,
    admit: Admit<'_>,
) -> Result<Prepared, ImageError> {
    let frame = u64::from(key.width) * u64::from(key.height) * 4;
    admit(frame * 2 + key.len)?;
    out.resize(frame as usize, 0);
    prepare_admitted(
        &key.path,
        (key.width, key.height),
        &key.scale,
        limits,
        Some(deadline),
        out,
        admit,
    )
}

impl Pool {
    /// Starts `threads` decode threads.
    pub fn new(threads: usize) -> Self {
        Self::with_work(threads, GRACE, prepare)
    }

    /// Starts `threads` threads doing `work`, given up on `grace` after a job's deadline.
    pub fn with_work(threads: usize, grace: Duration, work: Work) -> Self {
        let (jobs, job_rx) = crossbeam_channel::unbounded();
        let (done_tx, done) = crossbeam_channel::unbounded();
        let (needs_tx, needs) = crossbeam_channel::unbounded();
        let pool = Self {
            jobs,
            job_rx,
            done_tx,
            done,
            threads: threads.max(1),
            in_flight: HashMap::new(),
            next_id: 0,
            stuck: Arc::new(AtomicUsize::new(0)),
            abandoned: 0,
            grace,
            work,
            needs_tx,
            needs,
            granted: 0,
        };
        for _ in 0..pool.threads {
            pool.spawn_thread();
        }
        pool
    }

    fn spawn_thread(&self) {
        let jobs = self.job_rx.clone();
        let done = self.done_tx.clone();
        let stuck = self.stuck.clone();
        let work = self.work;
        let needs = self.needs_tx.clone();
        let spawned = std::thread::Builder::new()
            .name("decode".into())
            .spawn(move || decode_thread(jobs, done, needs, stuck, work));
        if let Err(e) = spawned {
            tracing::error!("cannot start a decode thread: {e}");
        }
    }

    /// Where finished jobs arrive.
    pub fn done(&self) -> &Receiver<Done> {
        &self.done
    }

    /// Where jobs ask for memory.
    pub fn needs(&self) -> &Receiver<Need> {
        &self.needs
    }

    /// The key of a job in flight, if it still is (an abandoned job is not).
    pub fn key_of(&self, id: u64) -> Option<&FrameKey> {
        self.in_flight.get(&id).map(|j| &j.key)
    }

    /// Memory granted to the jobs in flight.
    pub fn granted(&self) -> u64 {
        self.granted
    }

    /// Records `bytes` granted to job `id`.
    pub fn grant(&mut self, id: u64, bytes: u64) {
        if let Some(job) = self.in_flight.get_mut(&id) {
            job.granted += bytes;
            self.granted += bytes;
        }
    }

    fn release(&mut self, job: &InFlight) {
        self.granted = self.granted.saturating_sub(job.granted);
    }

    /// Keys of the jobs queued or running.
    pub fn keys(&self) -> Vec<FrameKey> {
        self.in_flight.values().map(|j| j.key.clone()).collect()
    }

    /// Decode threads (not counting abandoned ones).
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Threads given up on so far.
    pub fn abandoned(&self) -> u64 {
        self.abandoned
    }

    /// Queues a job; returns its id.
    pub fn submit(&mut self, key: FrameKey, limits: ImageLimits) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        let deadline = Instant::now() + Duration::from_millis(u64::from(limits.time_budget_ms));
        let state = Arc::new(AtomicU8::new(QUEUED));
        self.in_flight.insert(
            id,
            InFlight {
                key: key.clone(),
                deadline,
                state: state.clone(),
                granted: 0,
            },
        );
        // The receiving end lives in `self`, so the send cannot fail.
        let _ = self.jobs.send(Job {
            id,
            key,
            limits,
            deadline,
            state,
        });
        id
    }

    /// Takes a finished job out of the in-flight set; `None` for the result of an abandoned
    /// job (ignored).
    pub fn finish(&mut self, done: Done) -> Option<(FrameKey, Done)> {
        let job = self.in_flight.remove(&done.id)?;
        self.release(&job);
        Some((job.key, done))
    }

    /// Gives up on jobs past their deadline plus the grace; returns their keys (each to be
    /// treated as a "too slow" failure) and replaces the threads that were running them.
    /// Returns `Err` with the number of stuck threads when there are too many and the process
    /// should restart.
    pub fn reap_overdue(&mut self, now: Instant) -> Result<Vec<FrameKey>, usize> {
        let overdue: Vec<u64> = self
            .in_flight
            .iter()
            .filter(|(_, j)| now > j.deadline + self.grace)
            .map(|(id, _)| *id)
            .collect();
        let mut keys = Vec::new();
        for id in overdue {
            let state = &self.in_flight[&id].state;
            let cas = |from| {
                state
                    .compare_exchange(from, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            };
            // Count the thread as stuck *before* claiming a started job, so that its decrement
            // (which it only makes after seeing the claim) can never come first.
            self.stuck.fetch_add(1, Ordering::AcqRel);
            let took_a_thread = cas(STARTED);
            if !took_a_thread {
                self.stuck.fetch_sub(1, Ordering::AcqRel);
                // Still queued: no thread is lost; whoever dequeues it skips it. Otherwise it
                // has just completed and its result is on the way: leave it.
                if !cas(QUEUED) {
                    continue;
                }
            }
            if let Some(job) = self.in_flight.remove(&id) {
                // Its memory is given back now, although a stuck thread may still hold it:
                // a stuck decode is the exception, and it ends the process past MAX_STUCK.
                self.release(&job);
                self.abandoned += 1;
                keys.push(job.key);
                if took_a_thread {
                    self.spawn_thread();
                }
            }
        }
        let stuck = self.stuck();
        if stuck > MAX_STUCK {
            return Err(stuck);
        }
        Ok(keys)
    }

    /// Abandoned threads still running.
    pub fn stuck(&self) -> usize {
        self.stuck.load(Ordering::Acquire)
    }
}

fn decode_thread(
    jobs: Receiver<Job>,
    done: Sender<Done>,
    needs: Sender<Need>,
    stuck: Arc<AtomicUsize>,
    work: Work,
) {
    lower_priority();
    let mut scratch = Vec::new();
    while let Ok(job) = jobs.recv() {
        let started = Instant::now();
        let key = &job.key;
        let started_ok = job
            .state
            .compare_exchange(QUEUED, STARTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if !started_ok {
            // Given up on while queued: skip it.
            continue;
        }
        let (reply_tx, reply) = crossbeam_channel::bounded(1);
        let admit = |bytes: u64| {
            let need = Need {
                id: job.id,
                bytes,
                reply: reply_tx.clone(),
            };
            if needs.send(need).is_err() {
                return Err(ImageError::Deferred);
            }
            let wait = job.deadline.saturating_duration_since(Instant::now());
            match reply.recv_timeout(wait) {
                Ok(true) => Ok(()),
                Ok(false) => Err(ImageError::Deferred),
                Err(_) => Err(ImageError::TooSlow {
                    budget_ms: job.limits.time_budget_ms,
                }),
            }
        };
        let result = work(key, &job.limits, job.deadline, &mut scratch, &admit)
            .map(|prepared| (std::mem::take(&mut scratch), prepared));
        if result.is_err() {
            // Postponed or failed: the buffer is not kept for the next job (its memory is
            // accounted per job).
            scratch = Vec::new();
        }
        let claimed = job
            .state
            .compare_exchange(STARTED, COMPLETED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if !claimed {
            // The main thread gave up on this job and started a replacement thread: this one
            // is surplus now. Leave the pool (and the stuck count) and end.
            stuck.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!(
                path = %key.path.display(),
                ms = started.elapsed().as_millis() as u64,
                "abandoned decode finished late"
            );
            return;
        }
        if done.send(Done { id: job.id, result }).is_err() {
            return;
        }
    }
}

/// Decoding is background work: let the render thread of the UI process win every contest
/// for a core (on 2-core machines this is what keeps frame times flat while prefetching).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on this thread's own id (gettid) with a valid niceness; failure only
    // leaves the priority unchanged.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
    #[cfg(windows)]
    // SAFETY: GetCurrentThread returns a pseudo-handle valid for this thread.
    unsafe {
        use windows_sys::Win32::System::Threading::{
            GetCurrentThread, SetThreadPriority, THREAD_PRIORITY_BELOW_NORMAL,
        };
        SetThreadPriority(GetCurrentThread(), THREAD_PRIORITY_BELOW_NORMAL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idlewild_image::decode::PhotoMeta;
    use idlewild_protocol::message::image::ScaleOptions;
    use std::path::PathBuf;

    /// Stand-in work: sleeps for the number of milliseconds in the file name, ignoring the
    /// deadline, as a decoder stuck inside one stage would; then "prepares" a 1×1 frame.
    fn sleepy(
        key: &FrameKey,
        _: &ImageLimits,
        _: Instant,
        out: &mut Vec<u8>,
        _: Admit<'_>,
    ) -> Result<Prepared, ImageError> {
        let ms: u64 = key.path.to_string_lossy().parse().unwrap_or(0);
        std::thread::sleep(Duration::from_millis(ms));
        out.clear();
        out.extend_from_slice(&[1, 2, 3, 255]);
        Ok(Prepared {
            width: 1,
            height: 1,
            source_width: 1,
            source_height: 1,
            meta: PhotoMeta::default(),
            decode_us: ms * 1000,
            scale_us: 0,
        })
    }

    fn key(ms: u64) -> FrameKey {
        FrameKey {
            path: PathBuf::from(ms.to_string()),
            mtime_ns: 0,
            len: 0,
            width: 1,
            height: 1,
            scale: ScaleOptions::default(),
        }
    }

    fn limits(budget_ms: u32) -> ImageLimits {
        ImageLimits {
            time_budget_ms: budget_ms,
            ..ImageLimits::default()
        }
    }

    fn wait_started(pool: &Pool, ids: &[u64]) {
        let end = Instant::now() + Duration::from_secs(30);
        while !ids
            .iter()
            .all(|id| pool.in_flight[id].state.load(Ordering::Acquire) == STARTED)
        {
            assert!(Instant::now() < end, "jobs never started");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn an_overdue_job_is_abandoned_and_its_thread_replaced() {
        let mut pool = Pool::with_work(1, Duration::ZERO, sleepy);
        let slow = pool.submit(key(400), limits(1));
        // A job queued behind it is abandoned too, but it costs no thread.
        let queued = pool.submit(key(400), limits(1));
        wait_started(&pool, &[slow]);
        std::thread::sleep(Duration::from_millis(5));
        let reaped = pool.reap_overdue(Instant::now()).expect("one stuck thread");
        assert_eq!(reaped.len(), 2, "both jobs given up on");
        assert_eq!(
            (pool.abandoned(), pool.keys().len(), pool.stuck()),
            (2, 0, 1)
        );
        // The replacement thread serves new work at once, while the stuck one still sleeps.
        let fresh = pool.submit(key(0), limits(60_000));
        let done = pool
            .done()
            .recv_timeout(Duration::from_secs(30))
            .expect("a result");
        assert_eq!(done.id, fresh, "no result of an abandoned job is delivered");
        assert!(done.id != slow && done.id != queued);
        let (_, done) = pool.finish(done).expect("in flight");
        assert_eq!(done.result.expect("prepared").0, [1, 2, 3, 255]);
        // The abandoned thread leaves once its work ends; nothing stays stuck, and its late
        // result never shows up.
        let end = Instant::now() + Duration::from_secs(30);
        while pool.stuck() > 0 {
            assert!(Instant::now() < end, "the abandoned thread never finished");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(pool.done().try_recv().is_err());
    }

    #[test]
    fn jobs_within_budget_are_never_reaped() {
        let mut pool = Pool::with_work(2, Duration::ZERO, sleepy);
        let ids = [
            pool.submit(key(30), limits(60_000)),
            pool.submit(key(30), limits(60_000)),
        ];
        wait_started(&pool, &ids);
        assert_eq!(pool.reap_overdue(Instant::now()), Ok(Vec::new()));
        for _ in 0..2 {
            let done = pool
                .done()
                .recv_timeout(Duration::from_secs(30))
                .expect("a result");
            assert!(pool.finish(done).is_some());
        }
        assert_eq!((pool.abandoned(), pool.stuck()), (0, 0));
    }

    /// Stand-in work that asks for the number of bytes in its file name before "decoding".
    fn hungry(
        job: &FrameKey,
        _: &ImageLimits,
        _: Instant,
        out: &mut Vec<u8>,
        admit: Admit<'_>,
    ) -> Result<Prepared, ImageError> {
        let bytes: u64 = job.path.to_string_lossy().parse().unwrap_or(0);
        admit(bytes)?;
        sleepy(&key(0), &limits(1), Instant::now(), out, admit)
    }

    #[test]
    fn memory_is_asked_for_granted_and_given_back() {
        let mut pool = Pool::with_work(1, GRACE, hungry);
        let id = pool.submit(key(1000), limits(60_000));
        let need = pool
            .needs()
            .recv_timeout(Duration::from_secs(30))
            .expect("a need");
        assert_eq!((need.id, need.bytes), (id, 1000));
        pool.grant(need.id, need.bytes);
        assert_eq!(pool.granted(), 1000);
        need.reply.send(true).unwrap();
        let done = pool
            .done()
            .recv_timeout(Duration::from_secs(30))
            .expect("a result");
        let (_, done) = pool.finish(done).expect("in flight");
        assert!(done.result.is_ok());
        assert_eq!(pool.granted(), 0, "finishing gives the memory back");

        // Refused: the job ends as postponed, which is not a failure of the photo.
        let id = pool.submit(key(2000), limits(60_000));
        let need = pool
            .needs()
            .recv_timeout(Duration::from_secs(30))
            .expect("a need");
        assert_eq!(need.id, id);
        need.reply.send(false).unwrap();
        let done = pool
            .done()
            .recv_timeout(Duration::from_secs(30))
            .expect("a result");
        let (_, done) = pool.finish(done).expect("in flight");
        assert!(matches!(done.result, Err(ImageError::Deferred)));
        assert_eq!(pool.granted(), 0);
    }

    #[test]
    fn too_many_stuck_threads_ask_for_a_restart() {
        let mut pool = Pool::with_work(3, Duration::ZERO, sleepy);
        let ids: Vec<u64> = (0..3).map(|_| pool.submit(key(300), limits(1))).collect();
        wait_started(&pool, &ids);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(pool.reap_overdue(Instant::now()), Err(3));
    }
}
