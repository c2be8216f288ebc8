//! The simulator worker: deterministic payloads and fault knobs, so the supervisor and the
//! shared-memory readers are tested against a real process that really crashes, hangs and lies.
//!
//! Every frame's payload is [`fill_pattern`] of its epoch and sequence number, so a reader can
//! prove that an accepted frame is exactly the frame its header names ([`pattern_matches`]).

use crate::runtime::{Inbound, Worker, WorkerError};
use idlewild_protocol::message::{Envelope, FromWorker, SimRequest, SimResponse, ToWorker};
use idlewild_protocol::shm::{FrameWriter, StreamWriter, WriteMeta};
use std::time::Duration;

/// Fills `buf` with the pattern of frame `seq` of `epoch`.
pub fn fill_pattern(epoch: u64, seq: u64, buf: &mut [u8]) {
    let base = (seq ^ (epoch << 40)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut chunks = buf.chunks_exact_mut(8);
    for (i, chunk) in (&mut chunks).enumerate() {
        chunk.copy_from_slice(&(base ^ i as u64).to_le_bytes());
    }
    let rest = chunks.into_remainder();
    let tail = (base ^ u64::MAX).to_le_bytes();
    let n = rest.len();
    rest.copy_from_slice(&tail[..n]);
}

/// True when `buf` is exactly [`fill_pattern`] of `epoch` and `seq`.
pub fn pattern_matches(epoch: u64, seq: u64, buf: &[u8]) -> bool {
    let base = (seq ^ (epoch << 40)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut chunks = buf.chunks_exact(8);
    let words_ok = (&mut chunks)
        .enumerate()
        .all(|(i, c)| c == (base ^ i as u64).to_le_bytes());
    let rest = chunks.remainder();
    words_ok && rest == &(base ^ u64::MAX).to_le_bytes()[..rest.len()]
}

#[derive(Clone, Copy)]
struct RunConfig {
    width: u32,
    height: u32,
    period: Duration,
    floats: u32,
    checksum: bool,
}

struct Sim {
    frames: Option<FrameWriter>,
    stream: Option<StreamWriter>,
    latency: Duration,
    running: Option<RunConfig>,
    produced: u64,
    last_size: (u32, u32),
}

/// The sim role's main loop.
pub fn run(w: &mut Worker) -> Result<(), WorkerError> {
    let mut sim = Sim {
        frames: None,
        stream: None,
        latency: Duration::ZERO,
        running: None,
        produced: 0,
        last_size: (64, 64),
    };
    loop {
        let next = if sim.running.is_some() {
            match w.try_recv() {
                Ok(next) => next,
                Err(()) => return Ok(()),
            }
        } else {
            match w.recv() {
                Some(next) => Some(next),
                None => return Ok(()),
            }
        };
        match next {
            Some(Inbound::Attach(regions)) => {
                sim.frames = regions.frames.map(FrameWriter::new).transpose()?;
                sim.stream = regions.stream.map(StreamWriter::new).transpose()?;
            }
            Some(Inbound::Shutdown) => return Ok(()),
            Some(Inbound::Request(env)) => sim.handle(w, &env)?,
            None => {}
        }
        if let Some(cfg) = sim.running {
            sim.write_frame(w.epoch, 0, cfg.width, cfg.height, cfg.checksum)?;
            if cfg.floats > 0 {
                sim.publish_bins(cfg.floats)?;
            }
            sim.produced += 1;
            if !cfg.period.is_zero() {
                std::thread::sleep(cfg.period);
            }
        }
    }
}

impl Sim {
    fn write_frame(
        &mut self,
        epoch: u64,
        generation: u64,
        width: u32,
        height: u32,
        checksum: bool,
    ) -> Result<u64, WorkerError> {
        let Some(writer) = self.frames.as_mut() else {
            return Ok(0);
        };
        self.last_size = (width, height);
        let mut frame = writer.begin(WriteMeta::rgba8(generation, width, height))?;
        let seq = frame.seq();
        fill_pattern(epoch, seq, frame.payload());
        Ok(frame.commit(checksum))
    }

    fn publish_bins(&mut self, floats: u32) -> Result<(), WorkerError> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(());
        };
        let phase = self.produced as f32 * 0.1;
        stream.publish_with(WriteMeta::f32s(0, floats), true, |out| {
            for (i, chunk) in out.chunks_exact_mut(4).enumerate() {
                let v = ((i as f32 * 0.05 + phase).sin() + 1.0) * 0.5;
                chunk.copy_from_slice(&v.to_le_bytes());
            }
        })?;
        Ok(())
    }

    fn handle(&mut self, w: &Worker, env: &Envelope<ToWorker>) -> Result<(), WorkerError> {
        let ToWorker::Sim(request) = &env.body else {
            return Ok(());
        };
        let reply =
            |body: SimResponse, size: u64| w.outbox().reply(env, FromWorker::Sim(body), size);
        match request {
            SimRequest::Run {
                width,
                height,
                period_us,
                floats,
                checksum,
            } => {
                self.running = Some(RunConfig {
                    width: *width,
                    height: *height,
                    period: Duration::from_micros(u64::from(*period_us)),
                    floats: *floats,
                    checksum: *checksum,
                });
            }
            SimRequest::Stop => {
                self.running = None;
                reply(
                    SimResponse::Stopped {
                        frames: self.produced,
                    },
                    0,
                )?;
            }
            SimRequest::Frame { width, height } => {
                std::thread::sleep(self.latency);
                let seq = self.write_frame(w.epoch, env.generation, *width, *height, true)?;
                let size = u64::from(*width) * u64::from(*height) * 4;
                reply(SimResponse::FrameReady { seq }, size)?;
            }
            SimRequest::Echo { token } => {
                std::thread::sleep(self.latency);
                reply(SimResponse::Echo { token: *token }, 0)?;
            }
            SimRequest::SetLatency { ms } => self.latency = Duration::from_millis(u64::from(*ms)),
            SimRequest::CrashMidWrite { after_bytes } => {
                let (width, height) = self.last_size;
                if let Some(writer) = self.frames.as_mut() {
                    let mut frame = writer.begin(WriteMeta::rgba8(0, width, height))?;
                    let payload = frame.payload();
                    let n = (*after_bytes as usize).min(payload.len());
                    payload[..n].fill(0xEE);
                }
                tracing::warn!("sim: crashing mid-write as asked");
                no_core_dump();
                std::process::abort();
            }
            SimRequest::Hang => {
                tracing::warn!("sim: hanging as asked (no more heartbeats)");
                w.stop_heartbeats();
                loop {
                    std::thread::sleep(Duration::from_secs(3600));
                }
            }
            SimRequest::GarbageHeader => {
                if let Some(writer) = self.frames.as_mut() {
                    let frame = writer.begin(WriteMeta::rgba8(env.generation, 8, 8))?;
                    frame.commit_garbage_header(env.seq_no.wrapping_mul(0xA076_1D64_78BD_642F));
                }
            }
            SimRequest::Oversize { bytes } => {
                let blob = SimResponse::Blob(vec![0xAB; *bytes as usize]);
                w.outbox().reply_ignoring_cap(env, FromWorker::Sim(blob))?;
            }
        }
        Ok(())
    }
}

/// A deliberate crash should not leave a core file behind in whatever directory we run in.
fn no_core_dump() {
    #[cfg(unix)]
    {
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: setrlimit with a valid, initialised struct; failure only means a core file.
        unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_identifies_epoch_and_seq() {
        for len in [0usize, 1, 7, 8, 9, 64, 1001] {
            let mut buf = vec![0; len];
            fill_pattern(3, 17, &mut buf);
            assert!(pattern_matches(3, 17, &buf), "len {len}");
            if len >= 8 {
                assert!(!pattern_matches(3, 18, &buf));
                assert!(!pattern_matches(4, 17, &buf));
                let mut torn = buf.clone();
                let mid = len / 2;
                fill_pattern(3, 18, &mut torn[mid..]);
                assert!(
                    !pattern_matches(3, 17, &torn),
                    "a half-overwritten buffer is caught"
                );
            }
        }
    }
}
