//! `idlewild settings ...` through the real binary: values round-trip, a corrupt file is backed
//! up and never silently overwritten, bad input gets a clear error and changes nothing.

mod common;

use std::process::Output;

fn idlewild(settings: &std::path::Path, args: &[&str]) -> Output {
    common::exe_command()
        .arg("--settings")
        .arg(settings)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn set_get_path_and_list() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sub").join("settings.toml");
    let o = idlewild(&file, &["settings", "path"]);
    assert_eq!(stdout(&o), file.display().to_string());
    assert_eq!(
        stdout(&idlewild(&file, &["settings", "get", "display.mode"])),
        "fill"
    );
    let o = idlewild(&file, &["settings", "set", "display.mode", "fit"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        stdout(&idlewild(&file, &["settings", "get", "display.mode"])),
        "fit"
    );
    assert!(
        idlewild(&file, &["settings", "set", "workers.fft.enabled", "false"])
            .status
            .success()
    );
    assert_eq!(
        stdout(&idlewild(
            &file,
            &["settings", "get", "workers.fft.enabled"]
        )),
        "false"
    );
    let list = stdout(&idlewild(&file, &["settings", "list"]));
    assert!(list.contains("transitions.duration_ms = 1500"), "{list}");
    let bad = idlewild(&file, &["settings", "set", "transitions.duration_ms", "5"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("transitions.duration_ms"),
        "{bad:?}"
    );
    let unknown = idlewild(&file, &["settings", "get", "display.zoom"]);
    assert!(!unknown.status.success());
}

#[test]
fn a_corrupt_file_is_backed_up_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let garbage = "[display\nmode = \n";
    std::fs::write(&file, garbage).unwrap();
    assert_eq!(
        stdout(&idlewild(&file, &["settings", "get", "display.mode"])),
        "fill"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        garbage,
        "reading never rewrites the file"
    );
    let o = idlewild(&file, &["settings", "set", "display.mode", "shrink"]);
    assert!(o.status.success(), "{o:?}");
    let backups: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("corrupt"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(std::fs::read_to_string(backups[0].path()).unwrap(), garbage);
    assert_eq!(
        stdout(&idlewild(&file, &["settings", "get", "display.mode"])),
        "shrink"
    );
}
