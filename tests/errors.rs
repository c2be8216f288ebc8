//! What a user reads when the command line names something that is not there: one clear line
//! on stderr (never an X protocol structure, never the same OS error twice) and the documented
//! exit status (app/src/exit.rs).

#[cfg(target_os = "linux")]
mod common_x11;

use std::process::Command;

/// The lines of stderr that the binary itself wrote as its final word (`idlewild: …`), as
/// opposed to log lines.
#[cfg(target_os = "linux")]
fn final_words(o: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.starts_with("idlewild: "))
        .map(str::to_owned)
        .collect()
}

fn idlewild() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idlewild"));
    cmd.env_remove("IDLEWILD_LOG");
    cmd
}

#[test]
fn an_unreadable_snapshot_photo_is_one_line_with_the_os_error_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jpg");
    let file = dir.path().join("file.txt");
    std::fs::write(&file, "not a folder").unwrap();
    let through_a_file = file.join("photo.jpg");
    let out = dir.path().join("out.png");
    // Two ways the OS refuses to read a photo (its error said once), and a folder (refused
    // before any read, with no OS error at all).
    let cases = [
        (
            missing.as_path(),
            "cannot read the file: No such file or directory (os error 2)",
        ),
        (
            through_a_file.as_path(),
            "cannot read the file: Not a directory (os error 20)",
        ),
        (
            dir.path(),
            "not a supported image: not a regular file (a folder, pipe or device)",
        ),
    ];
    for (from, why) in cases {
        let o = idlewild()
            .arg("snapshot")
            .arg("--from")
            .arg(from)
            .arg("--to")
            .arg(from)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        assert_eq!(
            stderr,
            format!(
                "idlewild: cannot use {} as a photo: {why}\n",
                from.display()
            ),
            "exactly one line"
        );
        assert!(!out.exists(), "no PNG after a failure");
    }
}

/// `--window-id` naming no window: one clear line and status 6 (`Exit::NoWindow`), under a
/// private Xvfb (a missing window needs a real X server to be missing from).
#[cfg(target_os = "linux")]
#[test]
fn a_window_id_that_names_no_window_is_one_line_and_status_6() {
    let home = tempfile::tempdir().unwrap();
    let Some(x) = common_x11::XServer::xvfb(320, 240, &home.path().join("xvfb.log")) else {
        return;
    };
    // No workers: the run must fail at the window, not on anything they do.
    let settings = home.path().join("settings.toml");
    std::fs::write(
        &settings,
        "[workers.image]\nenabled = false\n[workers.fft]\nenabled = false\n",
    )
    .unwrap();
    for id in ["0", "0x7fffffff"] {
        let o = idlewild()
            .env("DISPLAY", &x.display)
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_STATE_HOME", home.path())
            .env("XDG_CACHE_HOME", home.path())
            .arg("--settings")
            .arg(&settings)
            .args(["--window-id", id])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(6), "{stderr}");
        let hex = format!(
            "0x{:x}",
            u64::from_str_radix(id.trim_start_matches("0x"), 16).unwrap()
        );
        assert_eq!(
            final_words(&o),
            [format!(
                "idlewild: there is no X window {hex} to draw into (the X server answered \
                 BadDrawable)"
            )],
            "{stderr}"
        );
        assert_eq!(
            stderr.matches(&format!("X window {hex}")).count(),
            1,
            "said once: {stderr}"
        );
        assert!(!stderr.contains("X11Error"), "{stderr}");
    }
}
