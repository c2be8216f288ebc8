//! One shell test's world: a lock (one X test at a time per binary), a private X server, home
//! and photo folder, and the checks every shell test shares (first photo, next photo, prompt
//! exit without orphans).

use super::{App, Home, References, XServer, copy_photos, poll};
use image::RgbImage;
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Three real photos, far apart in content (asserted by [`References::new`]): one 16:10, one
/// 4:3, one 5:4, so both crop directions of "fill" are exercised.
pub const PHOTOS: [&str; 3] = ["Aqua.jpg", "FreshFlower.jpg", "GreenMeadow.jpg"];
/// The first photo can take several seconds on lavapipe on a loaded machine.
pub const STARTUP: Duration = Duration::from_secs(60);
/// How long a hotkey or a slideshow step may take to show its photo.
pub const STEP: Duration = Duration::from_secs(20);
/// Esc, and a pointer beyond the threshold, end the run within this.
pub const EXIT_DEADLINE: Duration = Duration::from_secs(1);
/// Settings every test uses: no Ken Burns motion (the screenshot must be the still photo), short
/// transitions, and a slideshow slow enough that only the test moves it (test 4 overrides).
pub const STILL: [(&str, &str); 3] = [
    ("display.ken_burns", "false"),
    ("transitions.duration_ms", "300"),
    ("display.interval_s", "3600"),
];

const FIRST_PHOTO: &str = "a window titled \"Idlewild\" showing a photo";

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// One test's world: its lock, X server, private home and photo folder.
pub struct World {
    // Fields drop in order: the X server, then the home, then the lock (each test's `App` is
    // declared after its `World`, so the binary is gone before all of them).
    pub x: XServer,
    pub home: Home,
    pub photos: PathBuf,
    pub files: Vec<PathBuf>,
    pub started: Instant,
    /// The last screenshot taken, saved into the home if the test fails.
    last_shot: RefCell<Option<RgbImage>>,
    _lock: std::sync::MutexGuard<'static, ()>,
}

impl World {
    /// A world on an Xvfb whose runs draw on the GPU (lavapipe). `None` (skipped) when Xvfb,
    /// lavapipe or the photos are missing.
    pub fn new(screen: (u16, u16)) -> Option<World> {
        World::with_server(|home| XServer::xvfb(screen.0, screen.1, &home.path("xvfb.log")))
    }

    /// A world on an Xvfb for runs that must draw without any graphics device (fallback group
    /// C): lavapipe is not needed. `None` (skipped) when Xvfb or the photos are missing.
    pub fn without_gpu(screen: (u16, u16)) -> Option<World> {
        World::build(|home| XServer::xvfb(screen.0, screen.1, &home.path("xvfb.log")))
    }

    /// A world on the X server `start` makes, for runs that draw on the GPU (`None`: skipped,
    /// it said why). Lavapipe is probed first: without it a run would quietly fall back to the
    /// CPU compositor and the test would not test what it says.
    pub fn with_server(start: impl FnOnce(&Home) -> Option<XServer>) -> Option<World> {
        idlewild_testkit::require(idlewild_testkit::probe::lavapipe())?;
        World::build(start)
    }

    /// `noise.wav` in the home: ten seconds of white noise at half scale (mono, 48 kHz), for
    /// `--audio-file`; the fft worker loops it, so every bar keeps moving.
    pub fn noise_wav(&self) -> PathBuf {
        let path = self.home.path("noise.wav");
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let samples = (0..48_000 * 10).map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        });
        idlewild_fft::wav::write_mono16(&path, 48_000, samples).expect("wav written");
        path
    }

    fn build(start: impl FnOnce(&Home) -> Option<XServer>) -> Option<World> {
        let lock = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let started = Instant::now();
        let home = Home::new();
        let photos = home.path("photos");
        if !copy_photos(&photos, &PHOTOS) {
            return None;
        }
        let files = PHOTOS.iter().map(|n| photos.join(n)).collect();
        let x = start(&home)?;
        Some(World {
            _lock: lock,
            x,
            home,
            photos,
            files,
            started,
            last_shot: RefCell::new(None),
        })
    }

    /// Runs `idlewild --settings <settings> ARGS --source <photos>`.
    pub fn spawn(&self, settings: &[(&str, &str)], args: &[&str]) -> App {
        self.spawn_env(settings, args, &[])
    }

    /// [`World::spawn`] with extra environment variables.
    pub fn spawn_env(&self, settings: &[(&str, &str)], args: &[&str], env: &[(&str, &str)]) -> App {
        let file = self.home.settings(settings);
        let mut all: Vec<std::ffi::OsString> = vec!["--settings".into(), file.into()];
        all.extend(args.iter().map(Into::into));
        all.push("--source".into());
        all.push(self.photos.clone().into());
        App::spawn(&self.x, &self.home, &all, env)
    }

    pub fn done(&self, name: &str) {
        eprintln!("{name}: {:.1} s", self.started.elapsed().as_secs_f64());
    }

    /// A screenshot of `window`, remembered as the last one.
    pub fn screenshot(&self, window: u32) -> Option<RgbImage> {
        let shot = self.x.screenshot(window)?;
        *self.last_shot.borrow_mut() = Some(shot.clone());
        Some(shot)
    }

    /// The photo `window` shows now, if it shows one.
    pub fn showing(&self, refs: &References, window: u32) -> Option<usize> {
        refs.classify(&self.screenshot(window)?).photo
    }

    /// Waits until the top-level window titled "Idlewild" is mapped and shows one of the
    /// photos; `None` when the run exited because this machine cannot draw (skipped).
    pub fn first_photo(&self, app: &mut App, refs: &References) -> Option<(u32, usize)> {
        app.wait_for(STARTUP, FIRST_PHOTO, || self.photo_window(refs))
    }

    /// [`World::first_photo`] for a run whose subject is drawing where nothing else can: any
    /// exit fails the test, an environmental one included.
    pub fn first_photo_or_fail(&self, app: &mut App, refs: &References) -> (u32, usize) {
        app.wait_until(STARTUP, FIRST_PHOTO, || self.photo_window(refs))
    }

    /// The "Idlewild" window and the photo it shows, if it shows one.
    fn photo_window(&self, refs: &References) -> Option<(u32, usize)> {
        let win = self.x.find_window("Idlewild")?;
        Some((win, self.showing(refs, win)?))
    }

    /// Waits until `window` shows a photo other than `from`, failing with the last distances.
    pub fn next_photo(&self, refs: &References, window: u32, from: usize, what: &str) -> usize {
        let mut last = None;
        let found = poll(STEP, || {
            let m = refs.classify(&self.screenshot(window)?);
            last = Some(m.distances.clone());
            m.photo.filter(|&p| p != from)
        });
        found.unwrap_or_else(|| {
            panic!(
                "{what}: the window still shows {} (or no photo) after {STEP:?}; last distances \
                 to {PHOTOS:?}: {last:?}",
                refs.name(from),
            )
        })
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(shot) = self.last_shot.borrow().as_ref()
        {
            let _ = shot.save(self.home.path("last-screenshot.png"));
        }
    }
}

/// Asserts that the run exits with status 0 within [`EXIT_DEADLINE`] of `since`, and that none
/// of its workers stays behind.
pub fn assert_exits_promptly(app: &mut App, since: Instant, what: &str) {
    let Some((status, _)) = app.wait_exit(Duration::from_secs(10)) else {
        panic!("{what}: idlewild still runs 10 s later");
    };
    let took = since.elapsed();
    eprintln!("{what}: exited {status} after {took:?}");
    assert!(status.success(), "{what}: exit status {status}");
    assert!(
        took <= EXIT_DEADLINE,
        "{what}: exit took {took:?}, more than {EXIT_DEADLINE:?}"
    );
    let orphans = poll(Duration::from_secs(3), || {
        app.group_members().is_empty().then_some(())
    });
    assert!(
        orphans.is_some(),
        "{what}: workers left running after exit: {:?}",
        app.group_members()
    );
}
