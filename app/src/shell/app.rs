//! The UI thread: winit's event loop, the windows, input, and starting, guarding and stopping
//! the render thread. Everything slow (GPU, IPC, files) happens elsewhere.
//!
//! The guardian ([`super::guard`]) looks at the render thread's heartbeat every
//! [`CHECK_EVERY`] from `about_to_wait` (a `WaitUntil`, never a blocking wait). A hung or
//! panicked thread is abandoned (never joined: a hung one would never return) and a fresh one
//! starts on fresh windows: the hung thread still holds its surfaces (a Vulkan swapchain) on the
//! old windows, and a second swapchain on a window that has one fails, so the old windows are
//! hidden and left to it. A foreign window (`--window-id`) cannot be recreated: the new thread
//! draws into it again (after a panic its surface is gone; after a hang, a refused surface
//! sends it to group C). After [`MAX_REBUILDS`](super::guard::MAX_REBUILDS), or when a rebuilt
//! thread cannot start, the run ends with `Fatal::RenderLost` (exit status 5).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use idlewild_protocol::message::image::DisplaySpec;
use idlewild_settings::{Settings, SettingsStore};
use winit::application::ApplicationHandler;
use winit::dpi::{LogicalSize, PhysicalPosition};
use winit::event::{ElementState, MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop, EventLoopProxy};
use winit::keyboard::{KeyCode, NamedKey, PhysicalKey};
use winit::window::{Fullscreen, Window, WindowAttributes, WindowId};

use super::foreign::{self, ForeignEvent};
use super::from_settings::show_config;
use super::gpu::{self, Target};
use super::guard::{Action, CHECK_EVERY, Fault, Guardian, Heartbeat, Thread};
use super::input::{self, Hotkey, Input, InputPolicy, Verdict};
use super::metrics::MetricsSink;
use super::monitors::{self, MonitorInfo};
use super::render::{self, Command, Notice, OutputSpec, Watch};
use crate::exit::Fatal;
use crate::images::{Direction, ImageClient, default_state_dir, image_config};
use crate::mode::{Launch, Mode};
use crate::supervisor::{Supervisor, SupervisorConfig};

/// Windows are shown at the latest this long after start, photo or not, so a saver covers the
/// screen even when there is nothing to show yet.
const SHOW_ANYWAY: Duration = Duration::from_secs(3);
/// Focus moving between our own windows is not focus loss: it must stay lost this long.
const FOCUS_GRACE: Duration = Duration::from_millis(150);
/// The preview window's default size.
const PREVIEW_SIZE: (u32, u32) = (1280, 720);

/// Events the event loop receives from other threads.
#[derive(Debug)]
pub enum UiEvent {
    /// From render thread number `.0` (0 = the first; notices of abandoned ones are ignored).
    Render(u32, Notice),
    /// From the foreign-window watcher.
    Foreign(ForeignEvent),
    /// SIGTERM, SIGINT or SIGHUP.
    Terminate,
}

struct Surface {
    window: Option<Arc<Window>>,
    display: u32,
    visible: bool,
    focused: bool,
}

/// The render thread now running.
struct RenderThread {
    tx: Sender<Command>,
    /// `None` once joined (it panicked or returned).
    handle: Option<std::thread::JoinHandle<()>>,
    heartbeat: Arc<Heartbeat>,
    /// How it ended, once it has.
    ended: Option<Thread>,
}

/// How long a render thread has, after Quit, before it is left behind at exit.
const QUIT_GRACE: Duration = Duration::from_secs(2);

struct App {
    launch: Launch,
    settings: Settings,
    settings_path: Option<PathBuf>,
    supervisor: Option<Arc<Supervisor>>,
    proxy: EventLoopProxy<UiEvent>,
    surfaces: Vec<Surface>,
    policy: InputPolicy,
    render: Option<RenderThread>,
    /// Render threads given up on (hung); never joined.
    abandoned: Vec<std::thread::JoinHandle<()>>,
    /// Number of the render thread now running (0 = the first).
    generation: u32,
    guardian: Guardian,
    next_look: Instant,
    /// `IDLEWILD_TEST_RENDER_FAULT`, read once.
    fault: Option<Fault>,
    /// The foreign window and its last size (it cannot be recreated for a rebuilt thread).
    foreign: Option<(u64, (u32, u32))>,
    /// Kept for rebuilt render threads; dropped before the writer is joined.
    metrics: Option<MetricsSink>,
    metrics_writer: Option<std::thread::JoinHandle<()>>,
    started: Instant,
    had_focus: bool,
    focus_check: Option<Instant>,
    /// Why the run ends early (its exit status with it).
    failure: Option<anyhow::Error>,
}

/// Runs the screensaver in `launch.mode` until the user (or the window's owner) ends it.
pub fn run(settings_path: Option<PathBuf>, launch: Launch) -> anyhow::Result<()> {
    let store = match &settings_path {
        Some(p) => SettingsStore::new(p.clone()),
        None => SettingsStore::at_default_location()?,
    };
    let loaded = store.load();
    let mut settings = loaded.settings;
    if launch.audio_file.is_some() {
        // `--audio-file` asks for the visualizer whatever the settings say.
        settings.visualizer.enabled = true;
    }
    let _log = crate::supervise::start_logging(&settings)?;
    // Loading ran before the logging it configures: say now, once, what it repaired or ignored.
    for note in loaded.report.notes() {
        tracing::warn!(file = %store.path().display(), "settings: {note}");
    }
    let exe = std::env::current_exe()?;
    let (config, unavailable) = SupervisorConfig::from_settings(&settings, exe);
    for kind in unavailable {
        tracing::debug!("{kind} worker: not in this build");
    }
    let supervisor = Arc::new(Supervisor::start(config)?);
    let event_loop = EventLoop::<UiEvent>::with_user_event()
        .build()
        .map_err(|e| Fatal::NoDisplay(e.to_string()))?;
    let proxy = event_loop.create_proxy();
    if let Err(e) = super::signals::on_termination(move || {
        let _ = proxy.send_event(UiEvent::Terminate);
    }) {
        tracing::warn!("cannot handle termination signals: {e}");
    }
    let saver = matches!(launch.mode, Mode::Fullscreen);
    let policy = InputPolicy::new(
        saver,
        settings.input.hard_exit,
        settings.input.mouse_threshold_px,
    );
    let mut app = App {
        launch,
        settings,
        settings_path,
        supervisor: Some(supervisor),
        proxy: event_loop.create_proxy(),
        surfaces: Vec::new(),
        policy,
        render: None,
        abandoned: Vec::new(),
        generation: 0,
        guardian: Guardian::new(Instant::now()),
        next_look: Instant::now() + CHECK_EVERY,
        fault: Fault::from_env(),
        foreign: None,
        metrics: None,
        metrics_writer: None,
        started: Instant::now(),
        had_focus: false,
        focus_check: None,
        failure: None,
    };
    let ran = event_loop.run_app(&mut app);
    app.stop();
    ran?;
    match app.failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

impl App {
    /// Creates the windows (or adopts the foreign one) and starts the render thread.
    fn start(&mut self, event_loop: &ActiveEventLoop) -> anyhow::Result<()> {
        let outputs = self.make_outputs(event_loop)?;
        self.start_render(event_loop, outputs)
    }

    /// The windows to draw on (new ones; the foreign window again).
    fn make_outputs(&mut self, event_loop: &ActiveEventLoop) -> anyhow::Result<Vec<OutputSpec>> {
        let mut outputs = Vec::new();
        match self.launch.mode {
            Mode::Window { size } => {
                let (w, h) = size.unwrap_or(PREVIEW_SIZE);
                let attrs = WindowAttributes::default()
                    .with_title("Idlewild")
                    .with_inner_size(LogicalSize::new(w, h))
                    .with_visible(false);
                let window = Arc::new(event_loop.create_window(attrs)?);
                let size = window.inner_size();
                let refresh = window
                    .current_monitor()
                    .and_then(|m| m.refresh_rate_millihertz());
                outputs.push(self.add(window, (size.width, size.height), refresh));
            }
            Mode::Fullscreen => {
                let all: Vec<_> = event_loop.available_monitors().collect();
                let infos: Vec<MonitorInfo> = all
                    .iter()
                    .map(|m| MonitorInfo {
                        name: m.name(),
                        position: (m.position().x, m.position().y),
                        size: (m.size().width, m.size().height),
                        refresh_mhz: m.refresh_rate_millihertz(),
                    })
                    .collect();
                let (chosen, unknown) = monitors::select(&infos, &self.settings.display.monitors);
                for u in unknown {
                    tracing::warn!("display.monitors: no monitor \"{u}\"");
                }
                if chosen.is_empty() {
                    anyhow::bail!("the window system reports no monitor");
                }
                for i in chosen {
                    let m = &all[i];
                    let attrs = WindowAttributes::default()
                        .with_title("Idlewild")
                        .with_decorations(false)
                        .with_fullscreen(Some(Fullscreen::Borderless(Some(m.clone()))))
                        .with_inner_size(m.size())
                        .with_position(m.position())
                        .with_visible(false);
                    let window = Arc::new(event_loop.create_window(attrs)?);
                    window.set_cursor_visible(false);
                    outputs.push(self.add(window, infos[i].size, infos[i].refresh_mhz));
                }
            }
            Mode::X11Window { window } => {
                let size = match self.foreign {
                    Some((_, size)) => size,
                    None => {
                        let proxy = self.proxy.clone();
                        let size = foreign::open(window, move |e| {
                            let _ = proxy.send_event(UiEvent::Foreign(e));
                        })?;
                        self.foreign = Some((window, size));
                        size
                    }
                };
                self.surfaces.push(Surface {
                    window: None,
                    display: 0,
                    visible: true,
                    focused: false,
                });
                outputs.push(OutputSpec {
                    display: 0,
                    target: Target::XWindow(window),
                    size,
                    refresh_mhz: None,
                });
            }
            Mode::WindowsPreview { parent } => {
                let (window, size) = preview_child(event_loop, parent)?;
                outputs.push(self.add(Arc::new(window), size, None));
            }
            Mode::Config { .. } => anyhow::bail!("the settings dialog is not a drawing mode"),
        }
        Ok(outputs)
    }

    fn add(&mut self, window: Arc<Window>, size: (u32, u32), refresh: Option<u32>) -> OutputSpec {
        let display = self.surfaces.len() as u32;
        self.surfaces.push(Surface {
            window: Some(Arc::clone(&window)),
            display,
            visible: false,
            focused: false,
        });
        OutputSpec {
            display,
            target: Target::Window(window),
            size,
            refresh_mhz: refresh,
        }
    }

    fn start_render(
        &mut self,
        event_loop: &ActiveEventLoop,
        outputs: Vec<OutputSpec>,
    ) -> anyhow::Result<()> {
        let displays: Vec<DisplaySpec> = outputs
            .iter()
            .map(|o| DisplaySpec {
                id: o.display,
                width: o.size.0,
                height: o.size.1,
            })
            .collect();
        let state_dir = default_state_dir().unwrap_or_else(std::env::temp_dir);
        let images = ImageClient::new(image_config(
            &self.settings,
            &displays,
            &self.launch.sources,
            &state_dir,
        ));
        if let (Some(path), None) = (&self.launch.metrics, &self.metrics_writer) {
            let (sink, writer) = MetricsSink::open(path)
                .map_err(|e| anyhow::anyhow!("--metrics {}: {e}", path.display()))?;
            self.metrics_writer = Some(writer);
            self.metrics = Some(sink);
        }
        let instance = gpu::instance(Box::new(event_loop.owned_display_handle()));
        let proxy = self.proxy.clone();
        let generation = self.generation;
        let notify = Box::new(move |n| {
            let _ = proxy.send_event(UiEvent::Render(generation, n));
        });
        let Some(supervisor) = self.supervisor.clone() else {
            anyhow::bail!("the supervisor is gone");
        };
        let visual = crate::visualizer::VisualizerClient::from_settings(
            &self.settings,
            self.launch.audio_file.as_ref(),
        );
        let heartbeat = Arc::new(Heartbeat::default());
        let watch = Watch {
            heartbeat: Arc::clone(&heartbeat),
            fault: Fault::for_generation(self.fault, generation),
            rejoin: generation > 0,
        };
        let parts = render::Parts {
            instance,
            outputs,
            config: show_config(&self.settings),
            images,
            visual,
            supervisor,
            metrics: self.metrics.clone(),
            notify,
        };
        let (tx, handle) = render::spawn(parts, watch)?;
        self.render = Some(RenderThread {
            tx,
            handle: Some(handle),
            heartbeat,
            ended: None,
        });
        Ok(())
    }

    fn send(&self, cmd: Command) {
        if let Some(r) = &self.render {
            let _ = r.tx.send(cmd);
        }
    }

    /// The guardian's look at the render thread (see the module documentation).
    fn guard(&mut self, event_loop: &ActiveEventLoop, now: Instant) {
        if now < self.next_look || self.failure.is_some() {
            return;
        }
        self.next_look = now + CHECK_EVERY;
        let Some(r) = self.render.as_mut() else {
            return;
        };
        if r.ended.is_none() && r.handle.as_ref().is_some_and(|h| h.is_finished()) {
            // Finished: joining returns at once.
            r.ended = r.handle.take().map(|h| match h.join() {
                Ok(()) => Thread::Returned,
                Err(_) => Thread::Panicked,
            });
        }
        let thread = r.ended.unwrap_or(Thread::Running);
        match self.guardian.look(now, r.heartbeat.pulse(), thread) {
            Action::Nothing => {}
            Action::Rebuild { why } => {
                tracing::error!(
                    "{why}; starting a new one on new windows ({} of at most {})",
                    self.guardian.rebuilds(),
                    super::guard::MAX_REBUILDS
                );
                if let Err(e) = self.rebuild(event_loop) {
                    self.give_up(
                        event_loop,
                        format!("{why}; a new one could not start: {e:#}"),
                    );
                }
            }
            Action::GiveUp { why } => self.give_up(event_loop, why),
        }
    }

    /// Leaves the render thread behind (hidden windows and all) and starts a fresh one.
    fn rebuild(&mut self, event_loop: &ActiveEventLoop) -> anyhow::Result<()> {
        if let Some(old) = self.render.take() {
            // Dropping its sender makes it return if it ever wakes up.
            drop(old.tx);
            self.abandoned.extend(old.handle);
        }
        for s in &self.surfaces {
            if let Some(w) = &s.window {
                w.set_visible(false);
            }
        }
        self.surfaces.clear();
        self.generation += 1;
        let now = Instant::now();
        // The new windows show at their first frame, or SHOW_ANYWAY from now.
        self.started = now;
        self.guardian.restarted(now);
        let outputs = self.make_outputs(event_loop)?;
        self.start_render(event_loop, outputs)
    }

    /// Ends the run with exit status 5 so the OS screensaver host can start a new one.
    fn give_up(&mut self, event_loop: &ActiveEventLoop, why: String) {
        tracing::error!("{why}; ending the run");
        self.failure = Some(Fatal::RenderLost(why).into());
        event_loop.exit();
    }

    fn display_of(&self, id: WindowId) -> Option<usize> {
        self.surfaces
            .iter()
            .position(|s| s.window.as_ref().is_some_and(|w| w.id() == id))
    }

    fn show(&mut self, index: usize) {
        let s = &mut self.surfaces[index];
        if s.visible {
            return;
        }
        s.visible = true;
        if let Some(w) = &s.window {
            w.set_visible(true);
            if matches!(self.launch.mode, Mode::Fullscreen) {
                w.focus_window();
            }
            w.request_redraw();
        }
    }

    fn judge(&mut self, event_loop: &ActiveEventLoop, input: Input) {
        match self.policy.judge(input) {
            Verdict::Ignore => {}
            Verdict::Exit(cause) => {
                tracing::info!("ending: {cause:?}");
                event_loop.exit();
            }
            Verdict::Hotkey(Hotkey::Next) => self.send(Command::Step(Direction::Next)),
            Verdict::Hotkey(Hotkey::Previous) => self.send(Command::Step(Direction::Previous)),
            Verdict::Hotkey(Hotkey::Cycle) => self.send(Command::Cycle),
            Verdict::Hotkey(Hotkey::Settings) => {
                self.open_settings();
                if matches!(self.launch.mode, Mode::Fullscreen) {
                    event_loop.exit();
                }
            }
        }
    }

    /// S: starts `idlewild --config` as its own process (the saver itself ends in saver modes).
    fn open_settings(&self) {
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut cmd = std::process::Command::new(exe);
        if let Some(p) = &self.settings_path {
            cmd.arg("--settings").arg(p);
        }
        cmd.arg("--config");
        if let Err(e) = cmd.spawn() {
            tracing::warn!("cannot open the settings: {e}");
        }
    }

    /// Stops the render thread, the metrics writer and the workers, in that order. A render
    /// thread that does not end within [`QUIT_GRACE`] (hung) is left behind, and with it the
    /// metrics writer (its records are flushed line by line) and the supervisor (the workers
    /// exit when this process does).
    fn stop(&mut self) {
        if let Some(r) = self.render.take() {
            let _ = r.tx.send(Command::Quit);
            if let Some(handle) = r.handle {
                let deadline = Instant::now() + QUIT_GRACE;
                while !handle.is_finished() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
                if !handle.is_finished() {
                    tracing::error!("the render thread does not end; leaving it behind");
                    self.abandoned.push(handle);
                } else if handle.join().is_err() {
                    tracing::error!("the render thread panicked");
                }
            }
        }
        self.metrics = None;
        self.abandoned.retain(|h| !h.is_finished());
        if self.abandoned.is_empty() {
            self.metrics_writer.take().map(|h| h.join());
        }
        self.surfaces.clear();
        if let Some(sup) = self.supervisor.take() {
            match Arc::try_unwrap(sup) {
                Ok(sup) => sup.shutdown(),
                Err(_) => tracing::warn!("the supervisor is still shared at exit"),
            }
        }
    }
}

impl ApplicationHandler<UiEvent> for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.render.is_some() || self.failure.is_some() {
            return;
        }
        if let Err(e) = self.start(event_loop) {
            self.failure = Some(e);
            event_loop.exit();
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, id: WindowId, event: WindowEvent) {
        let Some(index) = self.display_of(id) else {
            return;
        };
        let display = self.surfaces[index].display;
        match event {
            WindowEvent::CloseRequested | WindowEvent::Destroyed => event_loop.exit(),
            WindowEvent::Resized(size) => self.send(Command::Resize {
                display,
                size: (size.width, size.height),
            }),
            WindowEvent::RedrawRequested => self.send(Command::Redraw { display }),
            WindowEvent::KeyboardInput { event, .. }
                if event.state == ElementState::Pressed && !event.repeat =>
            {
                let key = key_of(&event.logical_key, event.physical_key);
                self.judge(event_loop, Input::KeyDown(key));
            }
            WindowEvent::CursorMoved { position, .. } => {
                // Desktop coordinates, so moving between monitors' windows is one path.
                let origin = self.surfaces[index]
                    .window
                    .as_ref()
                    .and_then(|w| w.inner_position().ok())
                    .unwrap_or(PhysicalPosition::new(0, 0));
                self.judge(
                    event_loop,
                    Input::PointerAt(
                        position.x + f64::from(origin.x),
                        position.y + f64::from(origin.y),
                    ),
                );
            }
            WindowEvent::MouseInput {
                state: ElementState::Pressed,
                ..
            } => self.judge(event_loop, Input::Click),
            WindowEvent::MouseWheel { delta, .. } => {
                let moved = match delta {
                    MouseScrollDelta::LineDelta(x, y) => x != 0.0 || y != 0.0,
                    MouseScrollDelta::PixelDelta(p) => p.x != 0.0 || p.y != 0.0,
                };
                if moved {
                    self.judge(event_loop, Input::Wheel);
                }
            }
            WindowEvent::Focused(focused) => {
                self.surfaces[index].focused = focused;
                if focused {
                    self.had_focus = true;
                    self.focus_check = None;
                } else if self.had_focus {
                    self.focus_check = Some(Instant::now() + FOCUS_GRACE);
                }
            }
            _ => {}
        }
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: UiEvent) {
        match event {
            UiEvent::Render(generation, _) if generation != self.generation => {}
            UiEvent::Render(_, Notice::FirstFrame { display }) => {
                if let Some(i) = self.surfaces.iter().position(|s| s.display == display) {
                    self.show(i);
                }
            }
            UiEvent::Render(_, Notice::Fatal(fatal)) if self.generation > 0 => {
                let why = format!("a rebuilt render thread could not start: {fatal}");
                self.give_up(event_loop, why);
            }
            UiEvent::Render(_, Notice::Fatal(fatal)) => {
                self.failure = Some(fatal.into());
                event_loop.exit();
            }
            UiEvent::Foreign(ForeignEvent::Resized(w, h)) => {
                if let Some((_, size)) = &mut self.foreign {
                    *size = (w, h);
                }
                self.send(Command::Resize {
                    display: 0,
                    size: (w, h),
                })
            }
            UiEvent::Terminate => {
                tracing::info!("ending: terminated by a signal");
                event_loop.exit();
            }
            UiEvent::Foreign(ForeignEvent::Gone) => {
                tracing::info!("the window we draw into is gone");
                event_loop.exit();
            }
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        let now = Instant::now();
        let show_by = self.started + SHOW_ANYWAY;
        if now >= show_by {
            for i in 0..self.surfaces.len() {
                if !self.surfaces[i].visible {
                    tracing::info!("no photo yet; showing the window anyway");
                    self.show(i);
                }
            }
        }
        if let Some(at) = self.focus_check
            && now >= at
        {
            self.focus_check = None;
            if !self.surfaces.iter().any(|s| s.focused) {
                self.judge(event_loop, Input::FocusLost);
            }
        }
        self.guard(event_loop, now);
        let mut wake = self.focus_check;
        if self.render.is_some() {
            wake = Some(wake.map_or(self.next_look, |w| w.min(self.next_look)));
        }
        if self.surfaces.iter().any(|s| !s.visible) {
            wake = Some(wake.map_or(show_by, |w| w.min(show_by)));
        }
        event_loop.set_control_flow(match wake {
            Some(at) => ControlFlow::WaitUntil(at),
            None => ControlFlow::Wait,
        });
    }
}

/// A key for the input policy: the letter it types when it types an ASCII letter, else the
/// letter printed on the key in the US layout (so Z/X/C/S/Q work on Cyrillic layouts too).
fn key_of(logical: &winit::keyboard::Key, physical: PhysicalKey) -> input::Key {
    use winit::keyboard::Key as K;
    if let K::Named(NamedKey::Escape) = logical {
        return input::Key::Escape;
    }
    if let K::Character(s) = logical
        && let Some(c) = s.chars().next()
        && c.is_ascii_alphabetic()
    {
        return input::Key::Char(c);
    }
    match physical {
        PhysicalKey::Code(KeyCode::KeyZ) => input::Key::Char('z'),
        PhysicalKey::Code(KeyCode::KeyX) => input::Key::Char('x'),
        PhysicalKey::Code(KeyCode::KeyC) => input::Key::Char('c'),
        PhysicalKey::Code(KeyCode::KeyS) => input::Key::Char('s'),
        PhysicalKey::Code(KeyCode::KeyQ) => input::Key::Char('q'),
        _ => match logical {
            K::Character(s) => s.chars().next().map_or(input::Key::Other, input::Key::Char),
            _ => input::Key::Other,
        },
    }
}

/// Windows `/p <HWND>`: a child window filling the preview box of the Screen Saver Settings
/// dialog.
#[cfg(windows)]
fn preview_child(
    event_loop: &ActiveEventLoop,
    parent: u64,
) -> anyhow::Result<(Window, (u32, u32))> {
    use raw_window_handle::{RawWindowHandle, Win32WindowHandle};
    use windows_sys::Win32::Foundation::{HWND, RECT};
    use windows_sys::Win32::UI::WindowsAndMessaging::GetClientRect;
    let hwnd = std::num::NonZeroIsize::new(parent as isize)
        .ok_or_else(|| anyhow::anyhow!("/p needs a window handle"))?;
    let mut rect = RECT {
        left: 0,
        top: 0,
        right: 0,
        bottom: 0,
    };
    // SAFETY: GetClientRect only reads the window's geometry into `rect`; an invalid handle
    // makes it fail, which is checked.
    let ok = unsafe { GetClientRect(parent as HWND, &mut rect) };
    if ok == 0 {
        anyhow::bail!("/p {parent}: not a window");
    }
    let size = (
        (rect.right - rect.left).max(1) as u32,
        (rect.bottom - rect.top).max(1) as u32,
    );
    let handle = RawWindowHandle::Win32(Win32WindowHandle::new(hwnd));
    // SAFETY: the handle names a live window (checked above); Windows keeps the child inside
    // it and destroys the child with it, which ends this run (WindowEvent::Destroyed).
    let attrs = unsafe {
        WindowAttributes::default()
            .with_parent_window(Some(handle))
            .with_decorations(false)
            .with_inner_size(winit::dpi::PhysicalSize::new(size.0, size.1))
            .with_position(winit::dpi::PhysicalPosition::new(0, 0))
            .with_visible(false)
    };
    Ok((event_loop.create_window(attrs)?, size))
}

#[cfg(not(windows))]
fn preview_child(
    _event_loop: &ActiveEventLoop,
    _parent: u64,
) -> anyhow::Result<(Window, (u32, u32))> {
    anyhow::bail!("/p (the Windows preview box) only exists on Windows")
}
