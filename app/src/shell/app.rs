//! The UI thread: winit's event loop, the windows, input, and starting/stopping the render
//! thread. Everything slow (GPU, IPC, files) happens elsewhere.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use idlewild_protocol::message::image::DisplaySpec;
use idlewild_renderer::{Easing, KenBurns, TransitionId};
use idlewild_settings::{Settings, SettingsStore};
use winit::application::ApplicationHandler;
use winit::dpi::{LogicalSize, PhysicalPosition};
use winit::event::{ElementState, MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop, EventLoopProxy};
use winit::keyboard::{KeyCode, NamedKey, PhysicalKey};
use winit::window::{Fullscreen, Window, WindowAttributes, WindowId};

use super::foreign::{self, ForeignEvent};
use super::gpu::{self, Target};
use super::input::{self, Hotkey, Input, InputPolicy, Verdict};
use super::metrics::MetricsSink;
use super::monitors::{self, MonitorInfo};
use super::render::{self, Command, Notice, OutputSpec, ShowConfig};
use super::show::Timing;
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
    /// From the render thread.
    Render(Notice),
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

struct App {
    launch: Launch,
    settings: Settings,
    settings_path: Option<PathBuf>,
    supervisor: Option<Arc<Supervisor>>,
    proxy: EventLoopProxy<UiEvent>,
    surfaces: Vec<Surface>,
    policy: InputPolicy,
    render: Option<(Sender<Command>, std::thread::JoinHandle<()>)>,
    metrics_writer: Option<std::thread::JoinHandle<()>>,
    started: Instant,
    had_focus: bool,
    focus_check: Option<Instant>,
    failure: Option<String>,
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
    if let Some(problem) = &loaded.report.problem {
        tracing::warn!("settings: {problem}; running on defaults");
    }
    let exe = std::env::current_exe()?;
    let (config, unavailable) = SupervisorConfig::from_settings(&settings, exe);
    for kind in unavailable {
        tracing::debug!("{kind} worker: not in this build");
    }
    let supervisor = Arc::new(Supervisor::start(config)?);
    let event_loop = EventLoop::<UiEvent>::with_user_event().build()?;
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
        Some(message) => anyhow::bail!(message),
        None => Ok(()),
    }
}

impl App {
    /// Creates the windows (or adopts the foreign one) and starts the render thread.
    fn start(&mut self, event_loop: &ActiveEventLoop) -> anyhow::Result<()> {
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
                let proxy = self.proxy.clone();
                let size = foreign::open(window, move |e| {
                    let _ = proxy.send_event(UiEvent::Foreign(e));
                })?;
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
        self.start_render(event_loop, outputs)
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
        let metrics = match &self.launch.metrics {
            Some(path) => {
                let (sink, writer) = MetricsSink::open(path)
                    .map_err(|e| anyhow::anyhow!("--metrics {}: {e}", path.display()))?;
                self.metrics_writer = Some(writer);
                Some(sink)
            }
            None => None,
        };
        let instance = gpu::instance(Box::new(event_loop.owned_display_handle()));
        let proxy = self.proxy.clone();
        let notify = Box::new(move |n| {
            let _ = proxy.send_event(UiEvent::Render(n));
        });
        let Some(supervisor) = self.supervisor.clone() else {
            anyhow::bail!("the supervisor is gone");
        };
        let visual = crate::visualizer::VisualizerClient::from_settings(
            &self.settings,
            self.launch.audio_file.as_ref(),
        );
        self.render = Some(render::spawn(
            instance,
            outputs,
            show_config(&self.settings),
            images,
            visual,
            supervisor,
            metrics,
            notify,
        )?);
        Ok(())
    }

    fn send(&self, cmd: Command) {
        if let Some((tx, _)) = &self.render {
            let _ = tx.send(cmd);
        }
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

    /// Stops the render thread, the metrics writer and the workers, in that order.
    fn stop(&mut self) {
        if let Some((tx, handle)) = self.render.take() {
            let _ = tx.send(Command::Quit);
            if handle.join().is_err() {
                tracing::error!("the render thread panicked");
            }
        }
        self.metrics_writer.take().map(|h| h.join());
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
            self.failure = Some(format!("{e:#}"));
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
            UiEvent::Render(Notice::FirstFrame { display }) => {
                if let Some(i) = self.surfaces.iter().position(|s| s.display == display) {
                    self.show(i);
                }
            }
            UiEvent::Render(Notice::Fatal(message)) => {
                self.failure = Some(message);
                event_loop.exit();
            }
            UiEvent::Foreign(ForeignEvent::Resized(w, h)) => self.send(Command::Resize {
                display: 0,
                size: (w, h),
            }),
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
        let mut wake = self.focus_check;
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

/// The show's configuration from settings (the one place settings turn into the renderer's
/// types; unknown names cannot occur after loading, and fall back to the defaults if they do).
pub fn show_config(s: &Settings) -> ShowConfig {
    let t = &s.transitions;
    let interval = Duration::from_secs(u64::from(s.display.interval_s));
    let durations: Vec<Duration> = TransitionId::all()
        .map(|id| Duration::from_millis(u64::from(t.duration_ms_for(id.desc().key))))
        .collect();
    let params = TransitionId::all()
        .map(|id| {
            let desc = id.desc();
            let values = t.effect_options(desc.key);
            let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
            desc.parse_params(&pairs).unwrap_or_else(|e| {
                // Settings are validated against the same tables, so this is a drift between
                // them (caught by the tests), never a user's typo.
                tracing::warn!("transitions.{}: {e}; using its defaults", desc.key);
                id.default_params()
            })
        })
        .collect();
    let pool: Vec<TransitionId> = t
        .pool
        .iter()
        .filter_map(|k| TransitionId::from_key(k))
        .collect();
    let ken_burns = s.display.ken_burns.then(|| {
        KenBurns {
            zoom_min: 1.0,
            zoom_max: s.display.ken_burns_zoom_pct as f32 / 100.0,
            speed: s.display.ken_burns_speed_pct as f32 / 100.0,
        }
        .validated()
    });
    ShowConfig {
        timing: Timing::new(interval),
        easing: Easing::from_name(&t.easing).unwrap_or(Easing::Linear),
        longest: durations.iter().copied().max().unwrap_or_default(),
        durations,
        params,
        random: t.random,
        fixed: TransitionId::from_key(&t.effect).unwrap_or_default(),
        pool,
        seed: fastrand::u64(..),
        ken_burns,
        metrics_period: render::metrics_period(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_name_exactly_the_renderers_effects_and_easings() {
        let keys: Vec<&str> = TransitionId::all().map(|id| id.desc().key).collect();
        assert_eq!(idlewild_settings::TRANSITION_EFFECTS, keys.as_slice());
        let easings: Vec<String> = idlewild_renderer::easing::ALL
            .iter()
            .map(|e| e.name())
            .collect();
        assert_eq!(idlewild_settings::EASINGS, easings.as_slice());
    }

    #[test]
    fn show_config_follows_settings() {
        let mut s = Settings::default();
        s.display.interval_s = 20;
        s.transitions.duration_ms = 1000;
        s.transitions.durations.slide = 2500;
        s.transitions.random = false;
        s.transitions.effect = "wipe".into();
        s.transitions.pool = vec!["blinds".into(), "diffuse".into()];
        s.transitions.easing = "quad-out".into();
        s.display.ken_burns_zoom_pct = 150;
        s.display.ken_burns_speed_pct = 50;
        let c = show_config(&s);
        assert_eq!(c.timing.interval, Duration::from_secs(20));
        let slide = TransitionId::from_key("slide").unwrap();
        let at = |id: TransitionId| c.durations[TransitionId::all().position(|t| t == id).unwrap()];
        assert_eq!(at(slide), Duration::from_millis(2500));
        assert_eq!(at(TransitionId::CROSSFADE), Duration::from_millis(1000));
        assert_eq!(c.longest, Duration::from_millis(2500));
        assert!(!c.random);
        assert_eq!(c.fixed, TransitionId::from_key("wipe").unwrap());
        assert_eq!(
            c.pool,
            [
                TransitionId::from_key("blinds").unwrap(),
                TransitionId::from_key("diffuse").unwrap()
            ]
        );
        assert_eq!(c.easing, Easing::from_name("quad-out").unwrap());
        let kb = c.ken_burns.unwrap();
        assert_eq!((kb.zoom_min, kb.zoom_max, kb.speed), (1.0, 1.5, 0.5));
        s.display.ken_burns = false;
        assert!(show_config(&s).ken_burns.is_none());
        // Untouched effects draw with their registry defaults; set options reach the params.
        for id in TransitionId::all() {
            assert_eq!(c.params_of(id), id.default_params(), "{}", id.desc().key);
        }
        s.transitions.wipe.direction = "up".into();
        s.transitions.wipe.softness = 0;
        s.transitions.diffuse.block_px = 64;
        s.transitions.blinds.orientation = "vertical".into();
        let c = show_config(&s);
        let params = |key: &str| c.params_of(TransitionId::from_key(key).unwrap());
        assert_eq!(params("wipe")[..2], [2.0, 0.0]);
        assert_eq!(params("diffuse")[0], 64.0);
        assert_eq!(params("blinds")[..2], [12.0, 1.0]);
    }

    /// Every option of every registry row is a setting `transitions.<effect>.<key>` of the same
    /// kind, range, choices and default, and the settings have no option the registry lacks.
    #[test]
    fn settings_mirror_every_transitions_option_table() {
        use idlewild_renderer::OptionKind as R;
        use idlewild_settings::{OptionDefault as D, OptionKind as S};
        let mut mirrored = Vec::new();
        for id in TransitionId::all() {
            let desc = id.desc();
            for o in desc.options {
                let key = format!("transitions.{}.{}", desc.key, o.key);
                let spec = idlewild_settings::find_option(&key)
                    .unwrap_or_else(|| panic!("no setting {key}"));
                match (o.kind, spec.kind, spec.default) {
                    (R::Choice(choices), S::Enum { values }, D::Enum(default)) => {
                        assert_eq!(choices, values, "{key}: choices");
                        assert_eq!(choices[o.default as usize], default, "{key}: default");
                    }
                    (R::Number, S::Int { min, max }, D::Int(default)) => {
                        assert_eq!((o.min, o.max), (min as f32, max as f32), "{key}: range");
                        assert_eq!(o.default, default as f32, "{key}: default");
                    }
                    other => panic!("{key}: kinds differ: {other:?}"),
                }
                mirrored.push(key);
            }
        }
        let effect_rows: Vec<&str> = idlewild_settings::options()
            .map(|o| o.key)
            .filter(|k| {
                let rest = k.strip_prefix("transitions.").unwrap_or("");
                rest.contains('.') && !rest.starts_with("durations.")
            })
            .collect();
        assert_eq!(
            effect_rows, mirrored,
            "no setting without a registry option"
        );
    }
}
