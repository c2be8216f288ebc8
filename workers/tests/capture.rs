//! Loopback capture end to end, against a real (private) PulseAudio daemon with a null sink
//! started by `scripts/pulse-null-sink.sh`: a 1 kHz sine played into the sink must come out of
//! [`Capture`] at 1 kHz, a default-sink switch must be followed, and a missing or dying server
//! must turn into `NoAudio` and back, without panics and with a prompt drop.
//!
//! The pulse client reads its server from the process environment (`PULSE_SERVER`), which all
//! tests of one binary share, so every pulse check lives in the one test below, in order.

#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use idlewild_workers::fft::capture::{Capture, CaptureConfig, CaptureStatus};

/// Quick retries so that the recovery checks take seconds, not the production 30 s.
fn config() -> CaptureConfig {
    CaptureConfig {
        retry_initial: Duration::from_millis(100),
        retry_max: Duration::from_secs(1),
        device_poll: Duration::from_millis(300),
        buffer_frames: 1024,
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pulse-null-sink.sh")
}

/// A private daemon in its own directory; stopped and removed on drop.
struct Daemon {
    dir: PathBuf,
}

impl Daemon {
    /// `Err` carries the script's message (e.g. pulseaudio not installed).
    fn start(dir: &Path) -> Result<Daemon, String> {
        let daemon = Daemon {
            dir: dir.to_owned(),
        };
        daemon.launch()?;
        Ok(daemon)
    }

    /// Runs the start script for this directory (again, after `stop`).
    fn launch(&self) -> Result<(), String> {
        let out = Command::new("bash")
            .arg(script())
            .arg(&self.dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run the script: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(())
    }

    fn server(&self) -> String {
        format!("unix:{}/native", self.dir.display())
    }

    fn pactl(&self, args: &[&str]) {
        let status = Command::new("pactl")
            .arg("-s")
            .arg(self.server())
            .args(args)
            .stdout(Stdio::null())
            .status()
            .expect("pactl runs");
        assert!(status.success(), "pactl {args:?}");
    }

    /// Plays `seconds` of a sine at `hz`, sampled at `rate`, into `sink` (the child is `paplay`
    /// itself, so killing it stops the sound).
    fn play_sine(&self, sink: &str, hz: u32, rate: u32, seconds: u32) -> Child {
        let wav = self.dir.join(format!("sine-{hz}-{rate}.wav"));
        let made = Command::new("sox")
            .args(["-q", "-n", "-r", &rate.to_string(), "-b", "16"])
            .arg(&wav)
            .args([
                "synth",
                &seconds.to_string(),
                "sine",
                &hz.to_string(),
                "vol",
                "0.5",
            ])
            .status()
            .expect("sox runs");
        assert!(made.success(), "sox made {}", wav.display());
        Command::new("paplay")
            .arg("-s")
            .arg(self.server())
            .arg(format!("--device={sink}"))
            .arg(&wav)
            .stdin(Stdio::null())
            .spawn()
            .expect("paplay runs")
    }

    fn stop(&self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("--stop")
            .arg(&self.dir)
            .status();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn set_server(value: &str) {
    // SAFETY: this binary has a single test, so no other thread reads the environment while it
    // changes; the capture threads of earlier steps were dropped before.
    unsafe { std::env::set_var("PULSE_SERVER", value) };
}

/// The next status within `limit` that `want` accepts (earlier ones are skipped).
fn wait_status(
    rx: &Receiver<CaptureStatus>,
    limit: Duration,
    want: impl Fn(&CaptureStatus) -> bool,
) -> Option<CaptureStatus> {
    let deadline = Instant::now() + limit;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(status) => {
                eprintln!("status: {status:?}");
                if want(&status) {
                    return Some(status);
                }
            }
            Err(_) => return None,
        }
    }
    None
}

/// The frequency with the most energy between 50 Hz and 5 kHz (Hann window, Goertzel scan in
/// 5 Hz steps, then 0.1 Hz steps around the winner).
fn dominant_hz(samples: &[f32], rate: u32) -> f64 {
    let n = samples.len();
    let windowed: Vec<f64> = samples
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let w = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / (n - 1) as f64).cos();
            f64::from(s) * w
        })
        .collect();
    let power = |hz: f64| {
        let coeff = 2.0 * (2.0 * std::f64::consts::PI * hz / f64::from(rate)).cos();
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for &x in &windowed {
            let s0 = x + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        s1 * s1 + s2 * s2 - coeff * s1 * s2
    };
    let best = |from: f64, to: f64, step: f64| {
        let mut best = (from, f64::MIN);
        let mut hz = from;
        while hz <= to {
            let p = power(hz);
            if p > best.1 {
                best = (hz, p);
            }
            hz += step;
        }
        best.0
    };
    let coarse = best(50.0, 5000.0, 5.0);
    best(coarse - 6.0, coarse + 6.0, 0.1)
}

/// Drains until `want` samples louder than silence arrived (or `limit` passes); returns them
/// with their rate and the time the first loud one came.
fn collect_tone(capture: &Capture, want: usize, limit: Duration) -> (Vec<f32>, u32, Duration) {
    let began = Instant::now();
    let mut loud = Vec::new();
    let mut first = None;
    let mut rate = 0;
    let mut chunk = Vec::new();
    let mut max_age = Duration::ZERO;
    while loud.len() < want && began.elapsed() < limit {
        chunk.clear();
        if let Some(d) = capture.drain_into(&mut chunk) {
            assert_eq!(d.frames, chunk.len());
            // Arrival times are recent, though a null sink may deliver its monitor's audio in
            // bursts (its block size follows the latency its players ask for).
            let now = idlewild_protocol::clock::mono_ns();
            assert!(d.newest_ns <= now, "newest sample stamped in the future");
            let age = Duration::from_nanos(now - d.newest_ns);
            assert!(age < Duration::from_secs(3), "newest sample is {age:?} old");
            max_age = max_age.max(age);
            if rate != d.sample_rate {
                loud.clear();
                rate = d.sample_rate;
            }
            let rms = (chunk.iter().map(|s| s * s).sum::<f32>() / chunk.len() as f32).sqrt();
            if rms > 0.05 {
                first.get_or_insert_with(|| began.elapsed());
                loud.extend_from_slice(&chunk);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("oldest newest-sample at a drain: {max_age:?}");
    (loud, rate, first.unwrap_or(limit))
}

#[test]
fn loopback_capture_follows_the_default_sink_and_survives_the_server() {
    // 1. No server at all: NoAudio with a reason, promptly, and a prompt drop.
    set_server("unix:/nonexistent/idlewild/pulse/native");
    let began = Instant::now();
    let capture = Capture::start(config());
    let status = wait_status(&capture.status(), Duration::from_secs(5), |_| true);
    match &status {
        Some(CaptureStatus::NoAudio { reason }) => assert!(!reason.is_empty()),
        other => panic!("expected NoAudio without a server, got {other:?}"),
    }
    eprintln!("no server: NoAudio after {:?}", began.elapsed());
    std::thread::sleep(Duration::from_millis(500)); // a few retries
    assert_eq!(capture.drain_into(&mut Vec::new()), None);
    let dropping = Instant::now();
    drop(capture);
    assert!(
        dropping.elapsed() < Duration::from_secs(2),
        "drop took {:?}",
        dropping.elapsed()
    );

    // 2. A private daemon with a null sink playing a 1 kHz sine.
    let dir = std::env::temp_dir().join(format!("idlewild-capture-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // The daemon, its clients and sox are probed up front: missing is a skip (a failure under
    // IDLEWILD_REQUIRE_ALL=1); installed but not starting is a failure.
    if idlewild_testkit::require(idlewild_testkit::probe::pulseaudio()).is_none() {
        return;
    }
    let daemon = Daemon::start(&dir)
        .unwrap_or_else(|why| panic!("PulseAudio is installed but did not start: {why}"));
    set_server(&daemon.server());
    let mut player = daemon.play_sine("vsink", 1000, 48_000, 8);
    std::thread::sleep(Duration::from_millis(200));

    let began = Instant::now();
    let capture = Capture::start(config());
    let status = capture.status();
    let capturing = wait_status(&status, Duration::from_secs(10), |s| {
        matches!(s, CaptureStatus::Capturing { .. })
    });
    let Some(CaptureStatus::Capturing {
        device,
        sample_rate,
    }) = capturing
    else {
        panic!("no Capturing status within 10 s");
    };
    eprintln!(
        "capturing {device:?} at {sample_rate} Hz after {:?}",
        began.elapsed()
    );
    assert_eq!(device, "Monitor of Null Output");
    assert_eq!(sample_rate, 48_000);
    let (tone, rate, first) = collect_tone(&capture, 24_000, Duration::from_secs(5));
    assert!(
        tone.len() >= 24_000,
        "only {} loud samples in 5 s",
        tone.len()
    );
    let hz = dominant_hz(&tone[tone.len() - 24_000..], rate);
    eprintln!("first tone after {first:?}; dominant frequency {hz:.1} Hz");
    assert!((hz - 1000.0).abs() <= 10.0, "dominant frequency {hz} Hz");

    // 3. A new default sink at another rate: followed, and only the new rate is returned.
    daemon.pactl(&[
        "load-module",
        "module-null-sink",
        "sink_name=vsink2",
        "rate=44100",
        "sink_properties=device.description=Second",
    ]);
    // The first tone stops, so that only the new sink's tone can be heard afterwards (pulse may
    // move streams along with the default sink).
    let _ = player.kill();
    let _ = player.wait();
    let mut player2 = daemon.play_sine("vsink2", 440, 44_100, 6);
    // Let the new sink run at 44.1 kHz first: an idle pulse sink adopts the rate of the first
    // stream that arrives, and ours, moved along with the default, would make it 48 kHz.
    std::thread::sleep(Duration::from_millis(500));
    daemon.pactl(&["set-default-sink", "vsink2"]);
    let switched = wait_status(&status, Duration::from_secs(5), |s| {
        matches!(s, CaptureStatus::Capturing { .. })
    });
    assert_eq!(
        switched,
        Some(CaptureStatus::Capturing {
            device: "Monitor of Second".into(),
            sample_rate: 44_100
        })
    );
    let (tone, rate, _) = collect_tone(&capture, 22_050, Duration::from_secs(4));
    assert_eq!(rate, 44_100);
    assert!(
        tone.len() >= 22_050,
        "only {} loud samples after the switch",
        tone.len()
    );
    let hz = dominant_hz(&tone[tone.len() - 22_050..], rate);
    eprintln!("after the switch: dominant frequency {hz:.1} Hz");
    assert!(
        (hz - 440.0).abs() <= 10.0,
        "dominant frequency {hz} Hz after the switch"
    );

    // 4. The server dies: NoAudio once; it comes back: capturing again by itself.
    let killed = Instant::now();
    daemon.stop();
    let _ = player2.wait();
    let lost = wait_status(&status, Duration::from_secs(10), |s| {
        matches!(s, CaptureStatus::NoAudio { .. })
    });
    assert!(lost.is_some(), "no NoAudio after the server died");
    eprintln!("server killed: NoAudio after {:?}", killed.elapsed());
    daemon.launch().expect("the daemon restarts");
    let restarted = Instant::now();
    let back = wait_status(&status, Duration::from_secs(10), |s| {
        matches!(s, CaptureStatus::Capturing { .. })
    });
    assert_eq!(
        back,
        Some(CaptureStatus::Capturing {
            device: "Monitor of Null Output".into(),
            sample_rate: 48_000
        })
    );
    eprintln!(
        "server restarted: capturing again after {:?}",
        restarted.elapsed()
    );

    // 5. A hung server (SIGSTOP): the next device poll times out and says "no audio"; the
    // manager may then be stuck connecting, yet drop stays prompt.
    let pid = std::fs::read_to_string(daemon.dir.join("pulseaudio.pid")).expect("pid file");
    let signal = |sig: &str| {
        let ok = Command::new("kill")
            .args([sig, pid.trim()])
            .status()
            .expect("kill runs");
        assert!(ok.success(), "kill {sig} {pid}");
    };
    signal("-STOP");
    let hung = Instant::now();
    let silent = wait_status(&status, Duration::from_secs(10), |s| {
        matches!(s, CaptureStatus::NoAudio { .. })
    });
    eprintln!("server hung: {silent:?} after {:?}", hung.elapsed());
    assert!(
        matches!(&silent, Some(CaptureStatus::NoAudio { reason }) if reason.contains("did not answer")),
        "a hung server is no audio: {silent:?}"
    );
    let dropping = Instant::now();
    drop(capture);
    let took = dropping.elapsed();
    signal("-CONT");
    eprintln!("drop with a hung server took {took:?}");
    assert!(took < Duration::from_secs(2), "drop took {took:?}");
    drop(daemon);
}
