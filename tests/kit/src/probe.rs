//! Probes for the parts of a machine the end-to-end tests need, each answering before the test
//! starts: the part is there (with the paths a test uses), or a [`Missing`] that names the file
//! not found and the Debian package that provides it (`scripts/test.sh` installs them all).
//!
//! A probe only looks at files; it never runs the part. So a part that is installed but fails is
//! the test's failure, never a skip. Every probe is a method of [`Machine`], which can be rooted
//! in a fake directory tree for the probes' own tests.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where the photo tests take their real photos from (package `mate-backgrounds`).
pub const PHOTO_DIR: &str = "/usr/share/backgrounds/mate/nature";

/// A part of the test machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The virtual framebuffer X server.
    Xvfb,
    /// Xorg with the dummy video driver, set up with `xrandr` (several monitors).
    XorgDummy,
    /// Mesa's software Vulkan driver and the Vulkan loader.
    Lavapipe,
    /// The PulseAudio daemon, its client tools and `sox`.
    PulseAudio,
    /// The real photos of `mate-backgrounds`.
    Photos,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Xvfb => "Xvfb",
            Part::XorgDummy => "Xorg with the dummy driver",
            Part::Lavapipe => "lavapipe (Mesa's software Vulkan driver)",
            Part::PulseAudio => "PulseAudio",
            Part::Photos => "the mate-backgrounds photos",
        })
    }
}

/// A part that is not installed: which, what exactly was not found, and the package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// The part.
    pub part: Part,
    /// The file or program not found.
    pub what: String,
    /// The Debian package that provides it.
    pub package: &'static str,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is missing: no {} (Debian package `{}`; scripts/test.sh installs it)",
            self.part, self.what, self.package
        )
    }
}

impl std::error::Error for Missing {}

/// What the Xorg dummy probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XorgDummy {
    /// The Xorg server binary.
    pub xorg: PathBuf,
    /// `xrandr`, which sets up the monitors.
    pub xrandr: PathBuf,
}

/// What the lavapipe probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lavapipe {
    /// The ICD manifest the Vulkan loader reads.
    pub icd: PathBuf,
    /// The Vulkan loader library.
    pub loader: PathBuf,
}

/// What the PulseAudio probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulseTools {
    /// The daemon.
    pub pulseaudio: PathBuf,
    /// Its control client (`scripts/pulse-null-sink.sh` waits with it).
    pub pactl: PathBuf,
    /// Plays a file into a sink.
    pub paplay: PathBuf,
    /// Makes the test tones.
    pub sox: PathBuf,
}

/// A machine's files: the real one ([`Machine::here`]) or a fake tree ([`Machine::fake`]).
#[derive(Clone, Debug)]
pub struct Machine {
    root: PathBuf,
    path: Vec<PathBuf>,
}

impl Machine {
    /// This machine, with programs looked up on `PATH`.
    pub fn here() -> Machine {
        let path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        Machine {
            root: PathBuf::from("/"),
            path,
        }
    }

    /// A fake machine rooted at `root`, whose `PATH` is `root/usr/bin` and `root/bin`.
    pub fn fake(root: &Path) -> Machine {
        Machine {
            root: root.to_owned(),
            path: vec![root.join("usr/bin"), root.join("bin")],
        }
    }

    /// The same machine with `PATH` replaced (absolute directories, not re-rooted).
    pub fn with_path(mut self, path: Vec<PathBuf>) -> Machine {
        self.path = path;
        self
    }

    /// An absolute path of the machine.
    fn at(&self, abs: &str) -> PathBuf {
        self.root.join(abs.trim_start_matches('/'))
    }

    /// Where the program `name` is on `PATH`.
    fn which(&self, name: &str) -> Option<PathBuf> {
        self.path
            .iter()
            .map(|dir| dir.join(name))
            .find(|p| executable(p))
    }

    fn program(&self, part: Part, name: &str, package: &'static str) -> Result<PathBuf, Missing> {
        self.which(name).ok_or_else(|| Missing {
            part,
            what: format!("`{name}` on PATH"),
            package,
        })
    }

    /// `Xvfb`.
    pub fn xvfb(&self) -> Result<PathBuf, Missing> {
        self.program(Part::Xvfb, "Xvfb", "xvfb")
    }

    /// Xorg, its dummy video driver and `xrandr`.
    pub fn xorg_dummy(&self) -> Result<XorgDummy, Missing> {
        let xorg = ["/usr/lib/xorg/Xorg", "/usr/libexec/Xorg"]
            .iter()
            .map(|p| self.at(p))
            .find(|p| executable(p))
            .ok_or_else(|| Missing {
                part: Part::XorgDummy,
                what: "/usr/lib/xorg/Xorg".into(),
                package: "xserver-xorg-core",
            })?;
        let driver = "/usr/lib/xorg/modules/drivers/dummy_drv.so";
        if !self.at(driver).is_file() {
            return Err(Missing {
                part: Part::XorgDummy,
                what: driver.into(),
                package: "xserver-xorg-video-dummy",
            });
        }
        let xrandr = self.program(Part::XorgDummy, "xrandr", "x11-xserver-utils")?;
        Ok(XorgDummy { xorg, xrandr })
    }

    /// An `lvp_icd*.json` manifest where the Vulkan loader looks for drivers, the library it
    /// names, and the loader `libvulkan.so.1`.
    pub fn lavapipe(&self) -> Result<Lavapipe, Missing> {
        let missing = |what: &str, package| Missing {
            part: Part::Lavapipe,
            what: what.into(),
            package,
        };
        let icd = [
            "/etc/vulkan/icd.d",
            "/usr/local/share/vulkan/icd.d",
            "/usr/share/vulkan/icd.d",
        ]
        .iter()
        .flat_map(|dir| std::fs::read_dir(self.at(dir)).into_iter().flatten())
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("lvp_icd") && n.ends_with(".json"))
        })
        // A manifest left behind by a removed package names a library that is gone.
        .find(|p| self.icd_library(p).is_some())
        .ok_or_else(|| {
            missing(
                "lavapipe ICD (/usr/share/vulkan/icd.d/lvp_icd.*.json naming an existing library)",
                "mesa-vulkan-drivers",
            )
        })?;
        let loader = self
            .library("libvulkan.so.1")
            .ok_or_else(|| missing("Vulkan loader libvulkan.so.1", "libvulkan1"))?;
        Ok(Lavapipe { icd, loader })
    }

    /// The library an ICD manifest's `library_path` names, if it exists.
    fn icd_library(&self, manifest: &Path) -> Option<PathBuf> {
        let text = std::fs::read_to_string(manifest).ok()?;
        let named = json_string_field(&text, "library_path")?;
        if named.starts_with('/') {
            Some(self.at(&named)).filter(|p| p.is_file())
        } else if named.contains('/') {
            // Relative to the manifest's folder.
            Some(manifest.parent()?.join(&named)).filter(|p| p.is_file())
        } else {
            self.library(&named)
        }
    }

    /// A shared library in the machine's library folders (multiarch ones included).
    fn library(&self, name: &str) -> Option<PathBuf> {
        let mut dirs = Vec::new();
        for base in ["/usr/lib", "/lib"] {
            let base = self.at(base);
            let mut arch: Vec<PathBuf> = std::fs::read_dir(&base)
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with("-linux-gnu"))
                })
                .collect();
            arch.sort();
            dirs.extend(arch);
            dirs.push(base);
        }
        dirs.extend(["/usr/lib64", "/lib64", "/usr/local/lib"].map(|d| self.at(d)));
        dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
    }

    /// `pulseaudio`, `pactl`, `paplay` and `sox`.
    pub fn pulseaudio(&self) -> Result<PulseTools, Missing> {
        Ok(PulseTools {
            pulseaudio: self.program(Part::PulseAudio, "pulseaudio", "pulseaudio")?,
            pactl: self.program(Part::PulseAudio, "pactl", "pulseaudio-utils")?,
            paplay: self.program(Part::PulseAudio, "paplay", "pulseaudio-utils")?,
            sox: self.program(Part::PulseAudio, "sox", "sox")?,
        })
    }

    /// The photos `names` of [`PHOTO_DIR`], in that order.
    pub fn photos(&self, names: &[&str]) -> Result<Vec<PathBuf>, Missing> {
        names
            .iter()
            .map(|name| {
                let path = self.at(PHOTO_DIR).join(name);
                if path.is_file() {
                    Ok(path)
                } else {
                    Err(Missing {
                        part: Part::Photos,
                        what: format!("{PHOTO_DIR}/{name}"),
                        package: "mate-backgrounds",
                    })
                }
            })
            .collect()
    }

    /// Every JPEG of [`PHOTO_DIR`], sorted; missing when there are fewer than `at_least`.
    pub fn photo_library(&self, at_least: usize) -> Result<Vec<PathBuf>, Missing> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(self.at(PHOTO_DIR))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
            .collect();
        found.sort();
        if found.len() < at_least {
            return Err(Missing {
                part: Part::Photos,
                what: format!(
                    "{at_least} JPEG photos in {PHOTO_DIR} (found {})",
                    found.len()
                ),
                package: "mate-backgrounds",
            });
        }
        Ok(found)
    }
}

/// [`Machine::xvfb`] on this machine.
pub fn xvfb() -> Result<PathBuf, Missing> {
    Machine::here().xvfb()
}

/// [`Machine::xorg_dummy`] on this machine.
pub fn xorg_dummy() -> Result<XorgDummy, Missing> {
    Machine::here().xorg_dummy()
}

/// [`Machine::lavapipe`] on this machine.
pub fn lavapipe() -> Result<Lavapipe, Missing> {
    Machine::here().lavapipe()
}

/// [`Machine::pulseaudio`] on this machine.
pub fn pulseaudio() -> Result<PulseTools, Missing> {
    Machine::here().pulseaudio()
}

/// [`Machine::photos`] on this machine.
pub fn photos(names: &[&str]) -> Result<Vec<PathBuf>, Missing> {
    Machine::here().photos(names)
}

/// [`Machine::photo_library`] on this machine.
pub fn photo_library(at_least: usize) -> Result<Vec<PathBuf>, Missing> {
    Machine::here().photo_library(at_least)
}

/// A regular file the user may execute (on Windows: any regular file).
fn executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// The string value of `"key": "value"` in a small JSON document (an ICD manifest has one
/// `library_path`; escapes other than `\/` and `\\` do not occur in paths worth probing).
fn json_string_field(text: &str, key: &str) -> Option<String> {
    let after_key = &text[text.find(&format!("\"{key}\""))? + key.len() + 2..];
    let after_colon = after_key.trim_start().strip_prefix(':')?.trim_start();
    let body = after_colon.strip_prefix('"')?;
    let end = body.find('"')?;
    Some(body[..end].replace("\\/", "/").replace("\\\\", "\\"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Creates `rel` under `root` (and its folders), executable when `exec`.
    fn touch(root: &Path, rel: &str, exec: bool, text: &str) {
        let path = root.join(rel.trim_start_matches('/'));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = if exec { 0o755 } else { 0o644 };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        }
        #[cfg(not(unix))]
        let _ = exec;
    }

    fn package(r: Result<impl std::fmt::Debug, Missing>) -> &'static str {
        r.expect_err("missing").package
    }

    #[test]
    fn xvfb_must_be_an_executable_on_path() {
        let root = tempfile::tempdir().expect("temp dir");
        let m = Machine::fake(root.path());
        assert_eq!(package(m.xvfb()), "xvfb");
        touch(root.path(), "/usr/bin/Xvfb", false, "");
        #[cfg(unix)]
        assert_eq!(package(m.xvfb()), "xvfb", "not executable");
        touch(root.path(), "/usr/bin/Xvfb", true, "");
        assert_eq!(m.xvfb(), Ok(root.path().join("usr/bin/Xvfb")));
        // Another PATH does not find it.
        let elsewhere = m.with_path(vec![root.path().join("opt")]);
        let missing = elsewhere.xvfb().expect_err("not on that PATH");
        assert_eq!(missing.part, Part::Xvfb);
        assert!(missing.to_string().contains("`Xvfb` on PATH"), "{missing}");
    }

    #[test]
    fn xorg_dummy_names_each_missing_package_in_turn() {
        let root = tempfile::tempdir().expect("temp dir");
        let m = Machine::fake(root.path());
        assert_eq!(package(m.xorg_dummy()), "xserver-xorg-core");
        touch(root.path(), "/usr/lib/xorg/Xorg", true, "");
        assert_eq!(package(m.xorg_dummy()), "xserver-xorg-video-dummy");
        touch(
            root.path(),
            "/usr/lib/xorg/modules/drivers/dummy_drv.so",
            false,
            "",
        );
        assert_eq!(package(m.xorg_dummy()), "x11-xserver-utils");
        touch(root.path(), "/usr/bin/xrandr", true, "");
        let found = m.xorg_dummy().expect("complete");
        assert_eq!(found.xorg, root.path().join("usr/lib/xorg/Xorg"));
    }

    #[test]
    fn lavapipe_needs_a_manifest_naming_an_existing_driver_and_the_loader() {
        let root = tempfile::tempdir().expect("temp dir");
        let m = Machine::fake(root.path());
        assert_eq!(package(m.lavapipe()), "mesa-vulkan-drivers");
        // Another driver's manifest is not lavapipe.
        let intel = r#"{"ICD": {"library_path": "/usr/lib/x86_64-linux-gnu/libvulkan_intel.so"}}"#;
        touch(
            root.path(),
            "/usr/lib/x86_64-linux-gnu/libvulkan_intel.so",
            false,
            "",
        );
        touch(
            root.path(),
            "/usr/share/vulkan/icd.d/intel_icd.x86_64.json",
            false,
            intel,
        );
        assert_eq!(package(m.lavapipe()), "mesa-vulkan-drivers");
        // A lavapipe manifest whose library is gone (a removed package) does not count.
        let lvp = r#"{
            "ICD": { "api_version": "1.1.230",
                     "library_path": "/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" },
            "file_format_version": "1.0.0" }"#;
        touch(
            root.path(),
            "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json",
            false,
            lvp,
        );
        assert_eq!(package(m.lavapipe()), "mesa-vulkan-drivers");
        touch(
            root.path(),
            "/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so",
            false,
            "",
        );
        assert_eq!(package(m.lavapipe()), "libvulkan1", "no loader yet");
        touch(
            root.path(),
            "/usr/lib/x86_64-linux-gnu/libvulkan.so.1",
            false,
            "",
        );
        let found = m.lavapipe().expect("complete");
        assert_eq!(
            found.icd,
            root.path()
                .join("usr/share/vulkan/icd.d/lvp_icd.x86_64.json")
        );
        assert_eq!(
            found.loader,
            root.path().join("usr/lib/x86_64-linux-gnu/libvulkan.so.1")
        );
    }

    #[test]
    fn a_manifest_may_name_its_library_by_file_name() {
        let root = tempfile::tempdir().expect("temp dir");
        let m = Machine::fake(root.path());
        touch(
            root.path(),
            "/etc/vulkan/icd.d/lvp_icd.json",
            false,
            r#"{"ICD":{"library_path" : "libvulkan_lvp.so"}}"#,
        );
        touch(root.path(), "/usr/lib64/libvulkan.so.1", false, "");
        assert_eq!(package(m.lavapipe()), "mesa-vulkan-drivers");
        touch(root.path(), "/usr/lib64/libvulkan_lvp.so", false, "");
        assert!(m.lavapipe().is_ok());
    }

    #[test]
    fn pulseaudio_needs_the_daemon_its_clients_and_sox() {
        let root = tempfile::tempdir().expect("temp dir");
        let m = Machine::fake(root.path());
        assert_eq!(package(m.pulseaudio()), "pulseaudio");
        touch(root.path(), "/usr/bin/pulseaudio", true, "");
        assert_eq!(package(m.pulseaudio()), "pulseaudio-utils");
        touch(root.path(), "/usr/bin/pactl", true, "");
        let missing = m.pulseaudio().expect_err("no paplay");
        assert!(missing.what.contains("paplay"), "{missing}");
        touch(root.path(), "/bin/paplay", true, "");
        assert_eq!(package(m.pulseaudio()), "sox");
        touch(root.path(), "/usr/bin/sox", true, "");
        assert!(m.pulseaudio().is_ok());
    }

    #[test]
    fn photos_are_found_by_name_or_counted() {
        let root = tempfile::tempdir().expect("temp dir");
        let m = Machine::fake(root.path());
        let missing = m.photos(&["Aqua.jpg"]).expect_err("none");
        assert_eq!(
            (missing.part, missing.package),
            (Part::Photos, "mate-backgrounds")
        );
        assert!(missing.what.ends_with("nature/Aqua.jpg"), "{missing}");
        for name in ["Aqua.jpg", "Dune.jpg", "notes.txt"] {
            touch(root.path(), &format!("{PHOTO_DIR}/{name}"), false, "");
        }
        assert_eq!(
            m.photos(&["Dune.jpg", "Aqua.jpg"]).expect("both"),
            [
                m.at(PHOTO_DIR).join("Dune.jpg"),
                m.at(PHOTO_DIR).join("Aqua.jpg")
            ]
        );
        assert_eq!(m.photo_library(2).expect("two JPEGs").len(), 2);
        assert_eq!(package(m.photo_library(3)), "mate-backgrounds");
    }

    #[test]
    fn json_fields_are_read_with_spaces_and_escapes() {
        assert_eq!(
            json_string_field(
                r#"{ "library_path" :  "\/usr\/lib\/x.so" }"#,
                "library_path"
            ),
            Some("/usr/lib/x.so".into())
        );
        assert_eq!(json_string_field(r#"{"other": "x"}"#, "library_path"), None);
        assert_eq!(
            json_string_field(r#"{"library_path": 3}"#, "library_path"),
            None
        );
    }

    /// The probes on this machine agree with what `scripts/test.sh` installs: each part that
    /// is missing is a skip, so under `IDLEWILD_REQUIRE_ALL=1` (CI) every part must be there.
    #[test]
    #[cfg(target_os = "linux")]
    fn this_machine_has_every_part_or_says_which_is_missing() {
        let probes = [
            xvfb().map(drop),
            xorg_dummy().map(drop),
            lavapipe().map(drop),
            pulseaudio().map(drop),
            photo_library(6).map(drop),
        ];
        for missing in probes.into_iter().filter_map(Result::err) {
            crate::skip(missing);
        }
    }
}
