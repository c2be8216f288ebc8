//! Length-prefixed framing of control messages over a byte stream (the worker's stdin/stdout
//! pipes), with a size cap per channel.
//!
//! A frame is a little-endian `u32` length followed by that many bytes of postcard. A sender
//! refuses to send a message over its cap. A receiver that meets a frame over its cap (a
//! misbehaving peer) skips exactly that frame's bytes, counts it, and reports
//! [`WireError::Oversize`]: the message is rejected whole, never truncated and never delivered,
//! and the channel stays usable. A length beyond [`HARD_LIMIT`] means the byte stream itself is
//! corrupt; the channel must then be closed (the supervisor restarts the worker).

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::{self, Read, Write};

/// Largest frame length a receiver will even skip over. Anything larger is stream corruption.
pub const HARD_LIMIT: u32 = 256 << 20;

/// Receiving or sending one message failed.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The peer closed the channel (EOF at or inside a frame).
    #[error("channel closed by the peer")]
    Closed,
    /// An I/O error on the underlying stream.
    #[error("channel i/o error: {0}")]
    Io(#[from] io::Error),
    /// A message larger than the channel's cap was rejected whole (recoverable).
    #[error("message of {len} bytes exceeds the channel cap of {cap} bytes; rejected")]
    Oversize {
        /// The message's size.
        len: u64,
        /// The channel's cap.
        cap: u32,
    },
    /// A frame length no valid message can have: the stream is corrupt (not recoverable).
    #[error("frame length {len} is beyond any valid message; the stream is corrupt")]
    Corrupt {
        /// The length read.
        len: u64,
    },
    /// The frame's bytes are not a valid message (recoverable).
    #[error("undecodable message: {0}")]
    Decode(postcard::Error),
    /// The message could not be encoded.
    #[error("message could not be encoded: {0}")]
    Encode(postcard::Error),
}

impl WireError {
    /// True when the channel stays usable after this error (the one message was dropped).
    pub fn is_recoverable(&self) -> bool {
        matches!(self, Self::Oversize { .. } | Self::Decode(_))
    }
}

/// Counters of one direction of a channel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WireStats {
    /// Messages passed.
    pub messages: u64,
    /// Bytes passed, headers included.
    pub bytes: u64,
    /// Messages rejected for size.
    pub oversize: u64,
    /// Frames that did not decode.
    pub decode_errors: u64,
}

/// The receiving end of a channel.
pub struct WireReader<R> {
    inner: R,
    cap: u32,
    buf: Vec<u8>,
    stats: WireStats,
}

fn eof_is_closed(e: io::Error) -> WireError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        WireError::Closed
    } else {
        WireError::Io(e)
    }
}

impl<R: Read> WireReader<R> {
    /// Reads frames from `inner`, rejecting any over `cap` bytes.
    pub fn new(inner: R, cap: u32) -> Self {
        Self {
            inner,
            cap: cap.min(HARD_LIMIT),
            buf: Vec::new(),
            stats: WireStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> WireStats {
        self.stats
    }

    /// Blocks until the next message arrives. Call it from a thread that exists to wait.
    pub fn recv<T: DeserializeOwned>(&mut self) -> Result<T, WireError> {
        let mut header = [0u8; 4];
        self.inner.read_exact(&mut header).map_err(eof_is_closed)?;
        let len = u32::from_le_bytes(header);
        if len > HARD_LIMIT {
            return Err(WireError::Corrupt {
                len: u64::from(len),
            });
        }
        if len > self.cap {
            let skipped = io::copy(&mut (&mut self.inner).take(u64::from(len)), &mut io::sink())?;
            if skipped < u64::from(len) {
                return Err(WireError::Closed);
            }
            self.stats.oversize += 1;
            return Err(WireError::Oversize {
                len: u64::from(len),
                cap: self.cap,
            });
        }
        self.buf.resize(len as usize, 0);
        self.inner
            .read_exact(&mut self.buf)
            .map_err(eof_is_closed)?;
        self.stats.bytes += 4 + u64::from(len);
        match postcard::from_bytes(&self.buf) {
            Ok(msg) => {
                self.stats.messages += 1;
                Ok(msg)
            }
            Err(e) => {
                self.stats.decode_errors += 1;
                Err(WireError::Decode(e))
            }
        }
    }
}

/// The sending end of a channel.
pub struct WireWriter<W> {
    inner: W,
    cap: u32,
    buf: Vec<u8>,
    stats: WireStats,
}

impl<W: Write> WireWriter<W> {
    /// Writes frames to `inner`, refusing any over `cap` bytes.
    pub fn new(inner: W, cap: u32) -> Self {
        Self {
            inner,
            cap: cap.min(HARD_LIMIT),
            buf: Vec::new(),
            stats: WireStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> WireStats {
        self.stats
    }

    /// Encodes and sends one message, or refuses it (counted) when it is over the cap.
    /// Returns the bytes written, header included.
    pub fn send<T: Serialize>(&mut self, msg: &T) -> Result<usize, WireError> {
        self.encode(msg)?;
        let len = self.buf.len() - 4;
        if len > self.cap as usize {
            self.stats.oversize += 1;
            return Err(WireError::Oversize {
                len: len as u64,
                cap: self.cap,
            });
        }
        self.flush_frame()
    }

    /// Sends a message ignoring this sender's cap (still within [`HARD_LIMIT`]). Only for fault
    /// injection: the sim worker uses it to prove that receivers reject oversize messages.
    pub fn send_ignoring_cap<T: Serialize>(&mut self, msg: &T) -> Result<usize, WireError> {
        self.encode(msg)?;
        if self.buf.len() - 4 > HARD_LIMIT as usize {
            return Err(WireError::Oversize {
                len: self.buf.len() as u64 - 4,
                cap: HARD_LIMIT,
            });
        }
        self.flush_frame()
    }

    /// Writes raw bytes as they are (fault injection: garbage or truncated frames).
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.inner.write_all(bytes)?;
        self.inner.flush()?;
        Ok(())
    }

    fn encode<T: Serialize>(&mut self, msg: &T) -> Result<(), WireError> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.extend_from_slice(&[0; 4]);
        let mut buf = postcard::to_extend(msg, buf).map_err(WireError::Encode)?;
        let len = u32::try_from(buf.len() - 4).unwrap_or(u32::MAX);
        buf[..4].copy_from_slice(&len.to_le_bytes());
        self.buf = buf;
        Ok(())
    }

    fn flush_frame(&mut self) -> Result<usize, WireError> {
        // One write of header and body together, so a frame is never interleaved with another
        // writer's bytes at the OS level either.
        self.inner.write_all(&self.buf)?;
        self.inner.flush()?;
        self.stats.messages += 1;
        self.stats.bytes += self.buf.len() as u64;
        Ok(self.buf.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn messages_round_trip_and_oversize_is_rejected_whole() {
        let mut out = Vec::new();
        let mut w = WireWriter::new(&mut out, 64);
        w.send(&"first".to_string()).unwrap();
        assert!(matches!(
            w.send(&"x".repeat(100)),
            Err(WireError::Oversize { len: 101, cap: 64 })
        ));
        w.send_ignoring_cap(&"y".repeat(100)).unwrap();
        w.send(&"after".to_string()).unwrap();
        assert_eq!(w.stats().oversize, 1);
        assert_eq!(w.stats().messages, 3);

        let mut r = WireReader::new(Cursor::new(out), 64);
        assert_eq!(r.recv::<String>().unwrap(), "first");
        let err = r.recv::<String>().unwrap_err();
        assert!(matches!(err, WireError::Oversize { len: 101, cap: 64 }));
        assert!(err.is_recoverable());
        // The channel stays in sync: the next frame is the one after the rejected one.
        assert_eq!(r.recv::<String>().unwrap(), "after");
        assert!(matches!(r.recv::<String>(), Err(WireError::Closed)));
        assert_eq!(r.stats().oversize, 1);
        assert_eq!(r.stats().messages, 2);
    }

    #[test]
    fn corrupt_and_truncated_streams_fail_cleanly() {
        let cases: &[(&[u8], &str)] = &[
            (&[0xff, 0xff, 0xff, 0xff], "corrupt"),
            (&[5, 0, 0], "closed"),
            (&[5, 0, 0, 0, 1, 2], "closed"),
            (&[2, 0, 0, 0, 0xff, 0xff], "decode"),
            (&[200, 0, 0, 0, 1, 2, 3], "closed"),
            (&[], "closed"),
        ];
        for (bytes, want) in cases {
            let mut r = WireReader::new(Cursor::new(bytes.to_vec()), 100);
            let got = match r.recv::<String>() {
                Err(WireError::Corrupt { .. }) => "corrupt",
                Err(WireError::Closed) => "closed",
                Err(WireError::Decode(_)) => "decode",
                other => panic!("{bytes:?}: unexpected {other:?}"),
            };
            assert_eq!(got, *want, "{bytes:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(0u8..=255, 0..512)) {
            let mut r = WireReader::new(Cursor::new(bytes), 256);
            for _ in 0..64 {
                match r.recv::<crate::message::Envelope<crate::message::FromWorker>>() {
                    Ok(_) => {}
                    Err(e) if e.is_recoverable() => {}
                    Err(_) => break,
                }
            }
        }
    }
}
