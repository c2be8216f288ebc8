//! Helpers for the end-to-end tests of the window shell: a private Xvfb per test, the real
//! binary started under it (killed with every process of its group if a test fails half way),
//! screenshots and synthetic input through x11rb (core `GetImage`, XTEST), and reference frames
//! that say which photo a screenshot shows.
//!
//! Nothing here needs xdotool or ImageMagick: the X protocol does the screenshots and the input,
//! the `image` crate decodes and scales the reference photos independently of the worker's own
//! decoder and scaler. [`world`] holds one test's world (lock, server, home, photos).
//!
//! "Cannot run here" is decided from typed signals only: a missing X server or photo is found by
//! an up-front probe (`idlewild_testkit::probe`), and a run that ends early is judged by its
//! exit status (`idlewild::exit::Exit`), never by words in its output. Every skip goes through
//! `idlewild_testkit::skip` (loud, recorded, and a failure under `IDLEWILD_REQUIRE_ALL=1`).

#![allow(dead_code)]

pub mod world;

use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use idlewild::exit::Exit;
use idlewild_testkit::{probe, require, skip};
use image::RgbImage;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    self, AtomEnum, ConnectionExt as _, CreateWindowAux, ImageFormat, ImageOrder, MapState, Window,
    WindowClass,
};
use x11rb::protocol::xtest::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;

/// The real `idlewild` binary cargo built for these tests.
pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_idlewild"))
}

/// A private hard link to (or, across file systems, a copy of) the binary in `dir`. The run and
/// the workers it starts (from its own path) are then one build even when cargo replaces
/// `target/debug/idlewild` while the test runs (another build in the same target directory).
fn private_exe(dir: &Path) -> PathBuf {
    let to = dir.join("idlewild");
    let mut last = None;
    // Cargo replaces the file by removing it and linking the new one: retry a missing file.
    for _ in 0..50 {
        match std::fs::hard_link(exe(), &to).or_else(|_| std::fs::copy(exe(), &to).map(drop)) {
            Ok(()) => return to,
            Err(e) => last = Some(e),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("cannot link or copy {}: {last:?}", exe().display());
}

/// Keysyms the tests type.
pub mod keysym {
    /// `x`: the next photo.
    pub const X: u32 = 0x0078;
    /// `z`: the previous photo.
    pub const Z: u32 = 0x007a;
    /// `Escape`: quit.
    pub const ESCAPE: u32 = 0xff1b;
}

/// Mean absolute difference per channel (0..255) below which a screenshot shows a photo.
pub const MATCH_MAD: f64 = 12.0;
/// Reference photos must differ from each other by at least this much, so a match below
/// [`MATCH_MAD`] names exactly one of them (the mean absolute difference is a metric: a
/// screenshot within 12 of one photo is more than 28 away from every other).
pub const DISTINCT_MAD: f64 = 40.0;

/// Polls `f` every 50 ms until it returns `Some` or `timeout` passes.
pub fn poll<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A private X server for one test (Xvfb, or Xorg with the dummy driver for several
/// monitors); terminated on drop.
pub struct XServer {
    child: Child,
    /// `:N`.
    pub display: String,
    /// The test's own connection (screenshots, input, the test's windows).
    pub conn: RustConnection,
    /// The root window of screen 0.
    pub root: Window,
    log: PathBuf,
}

impl XServer {
    /// Starts `Xvfb` with one `width`×`height`×24 screen on a display number the server picks
    /// itself (`-displayfd`), and waits until it accepts connections. `None` (skipped) when
    /// Xvfb is not installed; a server that is installed but does not start fails the test.
    pub fn xvfb(width: u16, height: u16, log: &Path) -> Option<XServer> {
        let xvfb = require(probe::xvfb())?;
        let mut cmd = Command::new(xvfb);
        cmd.args(["-screen", "0"])
            .arg(format!("{width}x{height}x24"))
            .args(["-nolisten", "tcp", "-noreset"]);
        Some(XServer::spawn(cmd, log).unwrap_or_else(|e| panic!("{e}")))
    }

    /// Starts Xorg with the dummy video driver and sets up one RandR output per entry of
    /// `monitors` (sizes, side by side from the left, the first one primary): a real
    /// multi-monitor X server, which Xvfb cannot be (it has one CRTC). `None` (skipped) when
    /// Xorg, the dummy driver or `xrandr` is missing (probed first), or when the installed Xorg
    /// may not run here (it wants root or a console: that cannot be probed without running it).
    pub fn xorg_dummy(monitors: &[(u16, u16)], dir: &Path) -> Option<XServer> {
        let probe::XorgDummy { xorg, xrandr } = require(probe::xorg_dummy())?;
        let width: u32 = monitors.iter().map(|m| u32::from(m.0)).sum();
        let height = monitors.iter().map(|m| m.1).max().unwrap_or(480);
        std::fs::create_dir_all(dir).expect("Xorg folder");
        let config = dir.join("xorg.conf");
        // No modes in the config: the outputs get theirs from xrandr below. The sync ranges
        // accept any mode those make; the video memory holds the whole virtual screen.
        std::fs::write(
            &config,
            format!(
                "Section \"Device\"\n  Identifier \"dummy\"\n  Driver \"dummy\"\n  \
                 VideoRam {ram}\nEndSection\n\
                 Section \"Monitor\"\n  Identifier \"monitor\"\n  HorizSync 5.0-1000.0\n  \
                 VertRefresh 5.0-200.0\nEndSection\n\
                 Section \"Screen\"\n  Identifier \"screen\"\n  Device \"dummy\"\n  \
                 Monitor \"monitor\"\n  DefaultDepth 24\n  SubSection \"Display\"\n    \
                 Depth 24\n    Virtual {width} {height}\n  EndSubSection\nEndSection\n",
                ram = (width * u32::from(height) * 4 / 1024 + 4096),
            ),
        )
        .expect("xorg.conf");
        let empty = dir.join("xorg.conf.d");
        std::fs::create_dir_all(&empty).expect("config dir");
        let log = dir.join("xorg.log");
        let mut cmd = Command::new(xorg);
        cmd.arg("-config")
            .arg(&config)
            .arg("-configdir")
            .arg(&empty)
            .arg("-logfile")
            .arg(&log)
            .args(["-nolisten", "tcp", "-noreset", "-novtswitch", "-sharevts"]);
        let server = match XServer::spawn(cmd, &dir.join("xorg.stderr")) {
            Ok(s) => s,
            Err(e) => {
                skip(format!(
                    "Xorg with the dummy driver is installed but did not start here (it may \
                     want root or a console): {e}"
                ));
                return None;
            }
        };
        let randr = |args: &[String]| {
            let out = Command::new(&xrandr)
                .env("DISPLAY", &server.display)
                .args(args)
                .output()
                .expect("run xrandr");
            assert!(
                out.status.success(),
                "xrandr {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let mut x = 0u32;
        for (i, &(w, h)) in monitors.iter().enumerate() {
            let (w, h) = (u32::from(w), u32::from(h));
            let name = format!("idlewild_{w}x{h}_{i}");
            // A 60 Hz mode with small blanking intervals; the dummy outputs accept any.
            let (htotal, vtotal) = (w + 160, h + 30);
            let clock = f64::from(htotal * vtotal) * 60.0 / 1e6;
            let line = [w, w + 48, w + 80, htotal, h, h + 3, h + 10, vtotal];
            let mut args = vec!["--newmode".to_owned(), name.clone(), format!("{clock:.2}")];
            args.extend(line.iter().map(u32::to_string));
            randr(&args);
            let output = format!("DUMMY{i}");
            randr(&["--addmode".into(), output.clone(), name.clone()]);
            let mut args = vec![
                "--output".to_owned(),
                output,
                "--mode".into(),
                name,
                "--pos".into(),
                format!("{x}x0"),
            ];
            if i == 0 {
                args.push("--primary".into());
            }
            randr(&args);
            x += w;
        }
        let listed = randr(&["--listmonitors".into()]);
        assert!(
            listed.starts_with(&format!("Monitors: {}", monitors.len())),
            "the dummy server shows other monitors than asked for:\n{listed}"
        );
        Some(server)
    }

    /// Runs an X server command with `-displayfd` (the server picks a free display number
    /// and writes it when it accepts connections) and connects to it.
    fn spawn(mut cmd: Command, log: &Path) -> Result<XServer, String> {
        let (read, write) = pipe();
        let wfd = write.as_raw_fd();
        cmd.args(["-displayfd", "3"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(log).expect("X server log file"))
            .process_group(0);
        // SAFETY: between fork and exec only async-signal-safe calls are made (dup2, fcntl) on
        // a descriptor this process owns; nothing allocates.
        unsafe {
            cmd.pre_exec(move || {
                // The write end becomes fd 3 without close-on-exec, for -displayfd.
                let rc = if wfd == 3 {
                    libc::fcntl(3, libc::F_SETFD, 0)
                } else {
                    libc::dup2(wfd, 3)
                };
                if rc < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
        drop(write);
        // The server writes its display number once it accepts connections; EOF means it died.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut file = File::from(read);
            let mut text = String::new();
            let mut byte = [0u8; 1];
            while let Ok(1) = file.read(&mut byte) {
                if byte[0] == b'\n' {
                    break;
                }
                text.push(char::from(byte[0]));
            }
            let _ = tx.send(text);
        });
        let number = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(n) if !n.trim().is_empty() => n.trim().to_owned(),
            other => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the X server did not report a display ({other:?}); its log:\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                ));
            }
        };
        let display = format!(":{number}");
        let connected = poll(Duration::from_secs(10), || {
            x11rb::connect(Some(&display)).ok()
        });
        let Some((conn, screen)) = connected else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("cannot connect to the X server on {display}"));
        };
        let root = conn.setup().roots[screen].root;
        Ok(XServer {
            child,
            display,
            conn,
            root,
            log: log.to_owned(),
        })
    }

    /// A round trip: every request sent so far has been processed by the server.
    pub fn sync(&self) {
        self.conn
            .get_input_focus()
            .expect("X request")
            .reply()
            .expect("X reply");
    }

    /// The viewable top-level window called `title` (`_NET_WM_NAME` or `WM_NAME`), if any.
    pub fn find_window(&self, title: &str) -> Option<Window> {
        self.find_windows(title).into_iter().next()
    }

    /// Every viewable top-level window called `title`, in stacking order.
    pub fn find_windows(&self, title: &str) -> Vec<Window> {
        let Some(tree) = self
            .conn
            .query_tree(self.root)
            .ok()
            .and_then(|c| c.reply().ok())
        else {
            return Vec::new();
        };
        tree.children
            .into_iter()
            .filter(|&w| self.title(w).as_deref() == Some(title) && self.viewable(w))
            .collect()
    }

    fn title(&self, window: Window) -> Option<String> {
        let net_wm_name = self
            .conn
            .intern_atom(false, b"_NET_WM_NAME")
            .ok()?
            .reply()
            .ok()?
            .atom;
        for property in [net_wm_name, AtomEnum::WM_NAME.into()] {
            let reply = self
                .conn
                .get_property(false, window, property, AtomEnum::ANY, 0, 256)
                .ok()?
                .reply()
                .ok()?;
            if !reply.value.is_empty() {
                return Some(String::from_utf8_lossy(&reply.value).into_owned());
            }
        }
        None
    }

    /// True when `window` is mapped and all its ancestors are.
    pub fn viewable(&self, window: Window) -> bool {
        self.conn
            .get_window_attributes(window)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE)
    }

    /// The window's position on the root window and its size.
    pub fn geometry(&self, window: Window) -> Option<((i16, i16), (u16, u16))> {
        let g = self.conn.get_geometry(window).ok()?.reply().ok()?;
        let at = self
            .conn
            .translate_coordinates(window, self.root, 0, 0)
            .ok()?
            .reply()
            .ok()?;
        Some(((at.dst_x, at.dst_y), (g.width, g.height)))
    }

    /// The window's contents as the screen shows them, or `None` when it cannot be read (not
    /// viewable, gone).
    pub fn screenshot(&self, window: Window) -> Option<RgbImage> {
        let (_, (w, h)) = self.geometry(window)?;
        let reply = self
            .conn
            .get_image(ImageFormat::Z_PIXMAP, window, 0, 0, w, h, !0)
            .ok()?
            .reply()
            .ok()?;
        let setup = self.conn.setup();
        let bpp = setup
            .pixmap_formats
            .iter()
            .find(|f| f.depth == reply.depth)
            .map(|f| f.bits_per_pixel)?;
        let visual = setup
            .roots
            .iter()
            .flat_map(|s| &s.allowed_depths)
            .flat_map(|d| &d.visuals)
            .find(|v| v.visual_id == reply.visual)?;
        assert_eq!(
            bpp, 32,
            "screenshots expect 32-bit pixels (a depth-24 server)"
        );
        let lsb = setup.image_byte_order == ImageOrder::LSB_FIRST;
        let channel = |pixel: u32, mask: u32| ((pixel & mask) >> mask.trailing_zeros()) as u8;
        let mut out = RgbImage::new(u32::from(w), u32::from(h));
        for (px, chunk) in out.pixels_mut().zip(reply.data.chunks_exact(4)) {
            let bytes = [chunk[0], chunk[1], chunk[2], chunk[3]];
            let v = if lsb {
                u32::from_le_bytes(bytes)
            } else {
                u32::from_be_bytes(bytes)
            };
            *px = image::Rgb([
                channel(v, visual.red_mask),
                channel(v, visual.green_mask),
                channel(v, visual.blue_mask),
            ]);
        }
        Some(out)
    }

    /// A plain 24-bit window of the test's own, filled with `background` (0xRRGGBB), mapped.
    pub fn create_window(&self, x: i16, y: i16, w: u16, h: u16, background: u32) -> Window {
        let id = self.conn.generate_id().expect("X id");
        self.conn
            .create_window(
                x11rb::COPY_DEPTH_FROM_PARENT,
                id,
                self.root,
                x,
                y,
                w,
                h,
                0,
                WindowClass::INPUT_OUTPUT,
                x11rb::COPY_FROM_PARENT,
                &CreateWindowAux::new().background_pixel(background),
            )
            .expect("create_window");
        self.conn.map_window(id).expect("map_window");
        self.sync();
        id
    }

    /// Destroys a window of the test's own.
    pub fn destroy_window(&self, window: Window) {
        self.conn.destroy_window(window).expect("destroy_window");
        self.sync();
    }

    /// Gives `window` the keyboard focus, as a window manager would on a click.
    pub fn focus(&self, window: Window) {
        self.conn
            .set_input_focus(xproto::InputFocus::PARENT, window, x11rb::CURRENT_TIME)
            .expect("set_input_focus");
        self.sync();
    }

    /// Presses and releases the key that types `keysym` (XTEST), and waits until the server has
    /// processed both.
    pub fn key(&self, keysym: u32) {
        let code = self.keycode(keysym);
        for kind in [xproto::KEY_PRESS_EVENT, xproto::KEY_RELEASE_EVENT] {
            self.conn
                .xtest_fake_input(kind, code, x11rb::CURRENT_TIME, self.root, 0, 0, 0)
                .expect("XTEST key");
        }
        self.sync();
    }

    fn keycode(&self, keysym: u32) -> u8 {
        let setup = self.conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let map = self
            .conn
            .get_keyboard_mapping(min, max - min + 1)
            .expect("keyboard mapping")
            .reply()
            .expect("keyboard mapping reply");
        let per = usize::from(map.keysyms_per_keycode).max(1);
        map.keysyms
            .chunks(per)
            .position(|syms| syms.contains(&keysym))
            .map(|i| min + i as u8)
            .unwrap_or_else(|| panic!("no key types keysym 0x{keysym:x}"))
    }

    /// Moves the pointer to (`x`, `y`) on the root window (XTEST, a real motion event), and
    /// waits until the server has processed it.
    pub fn move_pointer(&self, x: i16, y: i16) {
        self.conn
            .xtest_fake_input(
                xproto::MOTION_NOTIFY_EVENT,
                0,
                x11rb::CURRENT_TIME,
                self.root,
                x,
                y,
                0,
            )
            .expect("XTEST motion");
        self.sync();
    }

    /// Where the pointer is on the root window.
    pub fn pointer(&self) -> (i16, i16) {
        let p = self
            .conn
            .query_pointer(self.root)
            .expect("query_pointer")
            .reply()
            .expect("query_pointer reply");
        (p.root_x, p.root_y)
    }
}

impl Drop for XServer {
    fn drop(&mut self) {
        // SIGTERM first, so the server removes its lock file and socket; SIGKILL if it hangs.
        // SAFETY: kill(2) on the server this guard started and has not reaped yet.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let end = Instant::now() + Duration::from_secs(3);
        while !matches!(self.child.try_wait(), Ok(Some(_))) {
            if Instant::now() >= end {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if std::thread::panicking() {
            eprintln!(
                "---- X server log ----\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }
}

/// A close-on-exec pipe (read end, write end).
fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array it is given.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just created and are owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// A private home for one run: settings, cache (the worker's index and playlist), state (logs)
/// and the runtime directory all live in one temporary folder, so the user's files are never
/// touched.
///
/// Kept (and its path printed) when the test fails, with the run's log, the X server's log and
/// the last screenshot.
pub struct Home {
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
    /// The binary this home runs (see [`private_exe`]).
    pub exe: PathBuf,
}

impl Home {
    /// A fresh home.
    pub fn new() -> Home {
        let dir = tempfile::Builder::new()
            .prefix("idlewild-shell-")
            .tempdir()
            .expect("temp dir");
        for sub in ["bin", "config", "cache", "state", "data", "run", "photos"] {
            std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
        }
        let exe = private_exe(&dir.path().join("bin"));
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("run"),
            std::fs::Permissions::from_mode(0o700),
        )
        .expect("chmod 700");
        Home {
            root: dir.path().to_owned(),
            dir: Some(dir),
            exe,
        }
    }

    /// A path inside the home.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// The settings file, written through `idlewild settings set` (one call per pair).
    pub fn settings(&self, pairs: &[(&str, &str)]) -> PathBuf {
        let file = self.path("config/settings.toml");
        for (key, value) in pairs {
            let out = Command::new(&self.exe)
                .arg("--settings")
                .arg(&file)
                .args(["settings", "set", key, value])
                .envs(self.env(None))
                .output()
                .expect("run idlewild settings set");
            assert!(
                out.status.success(),
                "settings set {key} {value}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        file
    }

    /// The environment of a run: the display (if any) and the private folders.
    fn env(&self, display: Option<&str>) -> Vec<(String, PathBuf)> {
        let mut env = vec![
            ("XDG_CONFIG_HOME".into(), self.path("config")),
            ("XDG_CACHE_HOME".into(), self.path("cache")),
            ("XDG_STATE_HOME".into(), self.path("state")),
            ("XDG_DATA_HOME".into(), self.path("data")),
            ("XDG_RUNTIME_DIR".into(), self.path("run")),
        ];
        if let Some(d) = display {
            env.push(("DISPLAY".into(), PathBuf::from(d)));
        }
        env
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(dir) = self.dir.take()
        {
            let _ = std::fs::remove_file(self.path("bin/idlewild"));
            eprintln!("kept for inspection: {}", dir.keep().display());
        }
    }
}

/// Copies `names` (file names under `/usr/share/backgrounds/mate/nature`) into `dir`. False
/// (skipped) when `mate-backgrounds` is not installed.
pub fn copy_photos(dir: &Path, names: &[&str]) -> bool {
    let Some(photos) = require(probe::photos(names)) else {
        return false;
    };
    for (from, name) in photos.iter().zip(names) {
        std::fs::copy(from, dir.join(name)).expect("copy photo");
    }
    true
}

/// The real binary running under an Xvfb; on drop it and every process left in its process
/// group (the workers) are killed, so no test leaves orphans behind.
pub struct App {
    child: Child,
    /// Its process id (and process group id).
    pub pid: u32,
    exe: PathBuf,
    status: Option<ExitStatus>,
    log: PathBuf,
}

impl App {
    /// Starts `idlewild ARGS` on `x`'s display with `home`'s private folders and the extra
    /// environment `extra`; stdout and stderr go to `idlewild.log` in the home.
    pub fn spawn<S: AsRef<OsStr>>(
        x: &XServer,
        home: &Home,
        args: &[S],
        extra: &[(&str, &str)],
    ) -> App {
        let log = home.path("idlewild.log");
        let out = File::create(&log).expect("log file");
        let child = Command::new(&home.exe)
            .args(args)
            .envs(home.env(Some(&x.display)))
            // The developer's own sound server stays out of the tests unless a test names one;
            // so does a forced renderer group (a test that wants one passes it in `extra`).
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("PULSE_SERVER")
            .env_remove("IDLEWILD_RENDERER")
            .envs(extra.iter().copied())
            .env("IDLEWILD_LOG", "info,idlewild=debug,idlewild_workers=debug")
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup log"))
            .stderr(out)
            .process_group(0)
            .spawn()
            .expect("start idlewild");
        let pid = child.id();
        App {
            child,
            pid,
            exe: home.exe.clone(),
            status: None,
            log,
        }
    }

    /// Everything the run printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its exit status, if it has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("try_wait");
        }
        self.status
    }

    /// Waits up to `timeout` for it to exit; its status and how long the wait took.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<(ExitStatus, Duration)> {
        let start = Instant::now();
        loop {
            if let Some(s) = self.exited() {
                return Some((s, start.elapsed()));
            }
            if start.elapsed() >= timeout {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Polls `f` until it returns `Some`, for at most `timeout`. `None` (skipped) when the run
    /// ended with an environmental exit status ([`Exit::is_environmental`]: no display, or no
    /// graphics device, not even the CPU compositor, can draw here); any other exit, and the
    /// timeout, fail the test with the run's output. For the first wait of a test, before
    /// anything was drawn.
    pub fn wait_for<T>(
        &mut self,
        timeout: Duration,
        what: &str,
        f: impl FnMut() -> Option<T>,
    ) -> Option<T> {
        self.wait(timeout, what, true, f)
    }

    /// Polls `f` until it returns `Some`, for at most `timeout`; any exit (environmental or
    /// not) and the timeout fail the test. For waits after the run has drawn, and for tests
    /// whose subject is drawing where nothing else can (fallback group C).
    pub fn wait_until<T>(
        &mut self,
        timeout: Duration,
        what: &str,
        f: impl FnMut() -> Option<T>,
    ) -> T {
        match self.wait(timeout, what, false, f) {
            Some(v) => v,
            None => unreachable!("a strict wait panics instead of skipping"),
        }
    }

    fn wait<T>(
        &mut self,
        timeout: Duration,
        what: &str,
        may_skip: bool,
        mut f: impl FnMut() -> Option<T>,
    ) -> Option<T> {
        let end = Instant::now() + timeout;
        loop {
            if let Some(v) = f() {
                return Some(v);
            }
            if let Some(status) = self.exited() {
                let exit = status.code().and_then(Exit::from_code);
                if may_skip && exit.is_some_and(Exit::is_environmental) {
                    let output = self.output();
                    let last = output.lines().last().unwrap_or("");
                    skip(format!(
                        "idlewild exited with {status} ({exit:?}) before {what}: this machine \
                         cannot draw here. Its last line: {last}"
                    ));
                    return None;
                }
                // The output follows (the guard prints it).
                panic!("idlewild exited ({status}, {exit:?}) before {what}");
            }
            if Instant::now() >= end {
                panic!("no {what} within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Live processes of its group other than itself (its workers): same group, same private
    /// binary, so a recycled group id can never name a stranger.
    pub fn group_members(&self) -> Vec<u32> {
        let exe = self.exe.to_string_lossy();
        processes()
            .filter(|p| p.pgrp == self.pid && p.pid != self.pid && p.alive())
            .filter(|p| p.cmdline().first().is_some_and(|a| *a == exe))
            .map(|p| p.pid)
            .collect()
    }

    /// Its live `worker image` children.
    pub fn image_workers(&self) -> Vec<u32> {
        self.workers("image")
    }

    /// Its live `worker KIND` children.
    pub fn workers(&self, kind: &str) -> Vec<u32> {
        processes()
            .filter(|p| p.ppid == self.pid && p.alive())
            .filter(|p| {
                let args = p.cmdline();
                args.windows(2).any(|w| w[0] == "worker" && w[1] == kind)
            })
            .map(|p| p.pid)
            .collect()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if self.exited().is_none() {
            // SAFETY: kill(2) on the process group this guard started; its leader is not reaped
            // yet, so the group id cannot name anybody else.
            unsafe {
                libc::kill(-(self.pid as libc::pid_t), libc::SIGKILL);
            }
            let _ = self.child.wait();
        }
        // Anything left in the group (a worker that outlived its parent) goes too, by pid.
        for pid in self.group_members() {
            // SAFETY: kill(2) on a live process of the group this guard started.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGKILL);
            }
        }
        if std::thread::panicking() {
            eprintln!("---- idlewild output ----\n{}", self.output());
        }
    }
}

/// One `/proc/PID/stat` line, the fields the tests need.
pub struct Proc {
    /// Process id.
    pub pid: u32,
    /// Parent.
    pub ppid: u32,
    /// Process group.
    pub pgrp: u32,
    state: String,
}

impl Proc {
    /// Not exited (a zombie has exited; only its parent has not collected it yet).
    pub fn alive(&self) -> bool {
        self.state != "Z" && self.state != "X"
    }

    /// Its arguments.
    pub fn cmdline(&self) -> Vec<String> {
        std::fs::read(format!("/proc/{}/cmdline", self.pid))
            .map(|b| {
                b.split(|&c| c == 0)
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Every process `/proc` lists now.
pub fn processes() -> impl Iterator<Item = Proc> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The command name may hold spaces and parentheses: fields start after the last ')'.
            let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
            let state = fields.next()?.to_owned();
            let ppid = fields.next()?.parse().ok()?;
            let pgrp = fields.next()?.parse().ok()?;
            Some(Proc {
                pid,
                ppid,
                pgrp,
                state,
            })
        })
}

/// The source photos as a window of one size shows them with `display.mode = fill`: scaled to
/// cover the window and cropped around the centre, made here with the `image` crate.
pub struct References {
    names: Vec<String>,
    frames: Vec<RgbImage>,
}

/// Which reference a screenshot shows.
#[derive(Debug, Clone)]
pub struct Match {
    /// The photo shown, when one is within [`MATCH_MAD`].
    pub photo: Option<usize>,
    /// Distance to every reference, in order.
    pub distances: Vec<f64>,
}

impl References {
    /// References for `files` at `size`; asserts they are pairwise more than [`DISTINCT_MAD`]
    /// apart, so a match is never ambiguous.
    pub fn new(files: &[PathBuf], size: (u32, u32)) -> References {
        let frames: Vec<RgbImage> = files.iter().map(|f| fill(f, size)).collect();
        for i in 0..frames.len() {
            for j in i + 1..frames.len() {
                let d = mad(&frames[i], &frames[j]);
                assert!(
                    d > DISTINCT_MAD,
                    "reference photos {i} and {j} are too alike ({d:.1}) to tell apart"
                );
            }
        }
        References {
            names: files
                .iter()
                .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
                .collect(),
            frames,
        }
    }

    /// A photo's reference frame.
    pub fn frame(&self, i: usize) -> &RgbImage {
        &self.frames[i]
    }

    /// A photo's file name.
    pub fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    /// Which photo `shot` shows, if any.
    pub fn classify(&self, shot: &RgbImage) -> Match {
        let distances: Vec<f64> = self.frames.iter().map(|f| mad(f, shot)).collect();
        let photo = distances
            .iter()
            .enumerate()
            .filter(|(_, d)| **d < MATCH_MAD)
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i);
        Match { photo, distances }
    }
}

/// `path` decoded, cropped around its centre to `size`'s aspect ratio and scaled to `size`.
fn fill(path: &Path, (w, h): (u32, u32)) -> RgbImage {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("decode {}: {e}", path.display()))
        .to_rgb8();
    let (sw, sh) = img.dimensions();
    let (cw, ch) = if u64::from(sw) * u64::from(h) > u64::from(w) * u64::from(sh) {
        // Wider than the window: crop the sides.
        (
            ((u64::from(sh) * u64::from(w) + u64::from(h) / 2) / u64::from(h)) as u32,
            sh,
        )
    } else {
        (
            sw,
            ((u64::from(sw) * u64::from(h) + u64::from(w) / 2) / u64::from(w)) as u32,
        )
    };
    let crop = image::imageops::crop_imm(&img, (sw - cw) / 2, (sh - ch) / 2, cw, ch).to_image();
    image::imageops::resize(&crop, w, h, image::imageops::FilterType::Triangle)
}

/// Mean absolute difference per channel of two images of one size; +inf when sizes differ.
pub fn mad(a: &RgbImage, b: &RgbImage) -> f64 {
    if a.dimensions() != b.dimensions() {
        return f64::INFINITY;
    }
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len().max(1) as f64
}
