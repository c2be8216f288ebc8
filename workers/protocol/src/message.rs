//! Control messages: small, immutable, closed enums. Large buffers never travel here; they go
//! through shared memory and a message only names them (sequence number, generation, size).
//!
//! Every message is wrapped in an [`Envelope`] with the common fields. The UI sends
//! [`ToWorker`], a worker answers with [`FromWorker`]; each worker kind adds its own closed
//! request/response pair ([`SimRequest`] / [`SimResponse`], [`ImageRequest`] / [`ImageResponse`],
//! [`FftRequest`] / [`FftResponse`]; the rss and prep pairs arrive with those roles).

use crate::kind::WorkerKind;
use crate::shm::{LayoutParams, RegionToken};
use serde::{Deserialize, Serialize};

pub mod fft;
pub mod image;
pub use fft::{FftRequest, FftResponse};
pub use image::{ImageRequest, ImageResponse};

/// Version of the message schema; a worker refuses to run against another version.
pub const PROTOCOL_VERSION: u16 = 1;

/// Default cap on one encoded message, in bytes, for both directions of a control channel.
pub const DEFAULT_MESSAGE_CAP: u32 = 64 * 1024;

/// The common fields around every message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope<B> {
    /// [`PROTOCOL_VERSION`] of the sender.
    pub version: u16,
    /// The worker kind the channel belongs to.
    pub worker_kind: WorkerKind,
    /// Per-direction sequence number, starting at 1.
    pub seq_no: u64,
    /// For a response, the `seq_no` of the request it answers; 0 for unsolicited messages.
    pub correlation_id: u64,
    /// Worker epoch (bumped by the supervisor at every restart).
    pub epoch: u64,
    /// Request generation: the UI bumps it when it wants something newer; a response carries
    /// the generation of the request it answers.
    pub generation: u64,
    /// Monotonic ns when the request was made (copied into the response).
    pub ts_req: u64,
    /// Monotonic ns when the response was made (0 in requests).
    pub ts_res: u64,
    /// Bytes of shared-memory payload this message announces (0 when none).
    pub payload_size: u64,
    /// The message itself.
    pub body: B,
}

impl<B> Envelope<B> {
    /// A new request from the UI: stamped with the current protocol version and `ts_req` now;
    /// the response fields (`correlation_id`, `ts_res`, `payload_size`) start at zero.
    pub fn request(
        worker_kind: WorkerKind,
        seq_no: u64,
        epoch: u64,
        generation: u64,
        body: B,
    ) -> Self {
        Self {
            version: PROTOCOL_VERSION,
            worker_kind,
            seq_no,
            correlation_id: 0,
            epoch,
            generation,
            ts_req: crate::clock::mono_ns(),
            ts_res: 0,
            payload_size: 0,
            body,
        }
    }
}

/// Bit flags a worker announces in [`FromWorker::Hello`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities(pub u64);

impl Capabilities {
    /// Writes whole frames into a frames region.
    pub const FRAMES: Capabilities = Capabilities(1);
    /// Publishes into a stream ring.
    pub const STREAM: Capabilities = Capabilities(1 << 1);
    /// Has a working audio capture device.
    pub const AUDIO_CAPTURE: Capabilities = Capabilities(1 << 2);
    /// Can reach the network.
    pub const NETWORK: Capabilities = Capabilities(1 << 3);

    /// True when every flag of `other` is set.
    pub fn contains(self, other: Capabilities) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Capabilities {
    type Output = Capabilities;
    fn bitor(self, rhs: Self) -> Self {
        Capabilities(self.0 | rhs.0)
    }
}

/// Which region of a worker a grant is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegionRole {
    /// The latest-wins frames region.
    Frames,
    /// The stream ring.
    Stream,
}

/// One region handed to a worker: how to open it and the layout both sides derive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionGrant {
    /// What the region is for.
    pub role: RegionRole,
    /// How to open it.
    pub token: RegionToken,
    /// Its layout (the worker checks the control page against it).
    pub layout: LayoutParams,
}

/// Messages from the UI (supervisor) to any worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// The regions this epoch writes into; the first message of every epoch.
    Attach {
        /// Heartbeat period the supervisor expects, in milliseconds.
        heartbeat_ms: u32,
        /// The regions.
        regions: Vec<RegionGrant>,
    },
    /// Liveness probe; answered with [`FromWorker::Pong`] by the worker's heartbeat thread.
    Ping {
        /// Echoed back.
        beat: u64,
    },
    /// Finish current work and exit.
    Shutdown,
    /// A request for the sim worker.
    Sim(SimRequest),
    /// A request for the image worker.
    Image(ImageRequest),
    /// A request for the fft worker.
    Fft(FftRequest),
}

/// Messages from any worker to the UI (supervisor).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// First message after start: who the worker is and what it can do.
    Hello {
        /// The worker's process id.
        pid: u32,
        /// What the worker can do on this machine.
        capabilities: Capabilities,
    },
    /// Every granted region is mapped and checked.
    Attached,
    /// Answer to [`ToWorker::Ping`].
    Pong {
        /// The ping's `beat`.
        beat: u64,
    },
    /// A failure the UI should know about (the worker goes on).
    Error {
        /// What failed, in one sentence.
        message: String,
    },
    /// A response of the sim worker.
    Sim(SimResponse),
    /// A response or notification of the image worker.
    Image(ImageResponse),
    /// A response or notification of the fft worker.
    Fft(FftResponse),
}

/// Requests of the simulator worker: deterministic payloads plus fault knobs for tests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SimRequest {
    /// Write frames continuously (each `period_us`), stream items alongside, until `Stop`.
    Run {
        /// Frame width in pixels.
        width: u32,
        /// Frame height in pixels.
        height: u32,
        /// Pause between frames, in microseconds (0: as fast as possible).
        period_us: u32,
        /// f32 values per stream item (0: no stream).
        floats: u32,
        /// Store payload checksums.
        checksum: bool,
    },
    /// Stop a `Run`.
    Stop,
    /// Write exactly one frame for this request's generation and answer `FrameReady`.
    Frame {
        /// Frame width in pixels.
        width: u32,
        /// Frame height in pixels.
        height: u32,
    },
    /// Answer `Echo` after the configured latency (for generation and mailbox tests).
    Echo {
        /// Echoed back.
        token: u64,
    },
    /// Delay every later answer by this many milliseconds.
    SetLatency {
        /// Milliseconds.
        ms: u32,
    },
    /// Begin a frame, write `after_bytes` of it, then abort the process.
    CrashMidWrite {
        /// Bytes written before the crash.
        after_bytes: u64,
    },
    /// Stop answering heartbeats and block forever.
    Hang,
    /// Publish a frame whose header is garbage (random fields, valid commit word).
    GarbageHeader,
    /// Send a message of this many bytes, bypassing the sender's own cap.
    Oversize {
        /// Encoded size of the message to send.
        bytes: u32,
    },
}

/// Responses of the simulator worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SimResponse {
    /// A frame for the request's generation is committed.
    FrameReady {
        /// Its sequence number.
        seq: u64,
    },
    /// Answer to `Echo`.
    Echo {
        /// The request's token.
        token: u64,
    },
    /// A `Run` stopped after this many frames.
    Stopped {
        /// Frames written.
        frames: u64,
    },
    /// Padding for the `Oversize` knob.
    Blob(Vec<u8>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_round_trip_through_postcard() {
        let msg = Envelope {
            version: PROTOCOL_VERSION,
            worker_kind: WorkerKind::Sim,
            seq_no: 3,
            correlation_id: 0,
            epoch: 2,
            generation: 9,
            ts_req: 10,
            ts_res: 0,
            payload_size: 0,
            body: ToWorker::Sim(SimRequest::Frame {
                width: 4,
                height: 2,
            }),
        };
        let bytes = postcard::to_stdvec(&msg).unwrap();
        let back: Envelope<ToWorker> = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, msg);
        assert!(
            bytes.len() < 64,
            "control messages stay small: {} bytes",
            bytes.len()
        );
    }

    #[test]
    fn capabilities_combine() {
        let caps = Capabilities::FRAMES | Capabilities::STREAM;
        assert!(caps.contains(Capabilities::FRAMES));
        assert!(!caps.contains(Capabilities::AUDIO_CAPTURE));
    }
}
