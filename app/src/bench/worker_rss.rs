//! `bench images`, part 2 (Linux: it reads `/proc`): peak RSS of a real image worker process
//! prefetching from a large folder (symlinks to the real photos), against its byte budget: once
//! with the default budget and once with a budget smaller than the largest photo's decode.

use crate::images::{Direction, ImageClient, ImageEvent};
use crate::supervisor::{Event, Supervisor, SupervisorConfig, WorkerSpec, region_plan};
use anyhow::{Context, bail};
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::image::{
    DisplaySpec, ImageConfig, ImageLimits, ImageResponse, ScaleOptions, SourceConfig,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A field of `/proc/<pid>/status` in bytes: `VmHWM` (peak resident set), `RssAnon` (private
/// memory now), `RssShmem` (shared-memory pages now: the frames region).
fn proc_status(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn peak_rss(pid: u32) -> Option<u64> {
    proc_status(pid, "VmHWM:")
}

/// Fills `dir` with `files` symlinks named `00000.jpg`, … cycling through `all`. Each target is
/// made absolute first: a relative target is resolved against the link's own folder, so a
/// `--source` relative to the working directory would give links that point nowhere (the
/// worker then showed 0 frames).
fn link_folder(dir: &Path, all: &[PathBuf], files: u32) -> anyhow::Result<()> {
    if all.is_empty() {
        bail!("no photos to link to");
    }
    for i in 0..files as usize {
        let target = std::path::absolute(&all[i % all.len()])?;
        let ext = target.extension().and_then(|e| e.to_str()).unwrap_or("jpg");
        std::os::unix::fs::symlink(&target, dir.join(format!("{i:05}.{ext}")))?;
    }
    Ok(())
}

/// Runs the worker over `files` symlinks to `all` for `seconds` per budget and prints its memory.
pub fn run(all: &[PathBuf], files: u32, seconds: u32, target: (u32, u32)) -> anyhow::Result<()> {
    let default = u64::from(
        idlewild_settings::Settings::default()
            .workers
            .image
            .cache_mb,
    ) << 20;
    for budget in [default, 64 << 20] {
        run_one(all, files, seconds, target, budget)?;
    }
    Ok(())
}

fn run_one(
    all: &[PathBuf],
    files: u32,
    seconds: u32,
    target: (u32, u32),
    budget: u64,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let state = tempfile::tempdir()?;
    link_folder(dir.path(), all, files)?;
    let cfg = ImageConfig {
        sources: SourceConfig {
            folders: vec![dir.path().to_path_buf()],
            extensions: Vec::new(),
            follow_symlinks: true,
        },
        displays: vec![DisplaySpec {
            id: 0,
            width: target.0,
            height: target.1,
        }],
        scale: ScaleOptions::default(),
        limits: ImageLimits::default(),
        prefetch: 16,
        cache_bytes: budget,
        same_on_all: false,
        feed_percent: 0,
        state_dir: state.path().to_path_buf(),
        seed: Some(1),
    };
    let settings = idlewild_settings::Settings::default();
    let exe = std::env::current_exe()?;
    let (base, _) = SupervisorConfig::from_settings(&settings, exe);
    let sup = Supervisor::start(SupervisorConfig {
        workers: vec![WorkerSpec {
            kind: WorkerKind::Image,
            regions: region_plan(WorkerKind::Image, &settings),
        }],
        ..base
    })?;
    let (pid, frames) = match sup.wait_event(Duration::from_secs(30)) {
        Some(Event::Started { pid, readers, .. }) => (pid, readers.frames),
        other => bail!("the image worker did not start: {other:?}"),
    };
    let idle = peak_rss(pid).unwrap_or(0);
    let mut client = ImageClient::new(cfg);
    client.attach(&sup, frames)?;
    let end = Instant::now() + Duration::from_secs(u64::from(seconds));
    let mut shown = 0u64;
    let mut skipped = 0u64;
    let (mut anon_peak, mut shm_peak) = (0u64, 0u64);
    let mut next_sample = Instant::now();
    while Instant::now() < end {
        if Instant::now() >= next_sample {
            anon_peak = anon_peak.max(proc_status(pid, "RssAnon:").unwrap_or(0));
            shm_peak = shm_peak.max(proc_status(pid, "RssShmem:").unwrap_or(0));
            next_sample = Instant::now() + Duration::from_millis(10);
        }
        if !client.busy() {
            client.request(&sup, 0, Direction::Next)?;
        }
        for event in client.poll(&sup) {
            match event {
                ImageEvent::Frame(_) => {
                    let _ = client.read_frame(|_, bytes| std::hint::black_box(bytes.len()));
                    client.release(&sup);
                    shown += 1;
                }
                ImageEvent::Worker(ImageResponse::Skipped { .. }) => skipped += 1,
                ImageEvent::Failed { message, .. } => {
                    bail!("the worker refused a request: {message}")
                }
                _ => {}
            }
        }
        if let Some(event) = sup.poll_event() {
            bail!("the image worker stopped during the run: {event:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let peak = peak_rss(pid).context("reading the worker's peak RSS")?;
    sup.shutdown();
    let mib = |b: u64| b as f64 / f64::from(1 << 20);
    println!(
        "worker peak RSS while prefetching from {files} photos ({seconds} s, {shown} frames shown, {skipped} skipped, prefetch 16, {}x{}):",
        target.0, target.1
    );
    println!(
        "  idle worker {:.1} MiB; peak {:.1} MiB = cache budget {:.0} MiB + {:.1} MiB ({:.2}× budget)",
        mib(idle),
        mib(peak),
        mib(budget),
        mib(peak.saturating_sub(budget)),
        peak as f64 / budget as f64
    );
    let private = if anon_peak <= budget {
        format!(
            "within the budget ({:.1} MiB under)",
            mib(budget - anon_peak)
        )
    } else {
        format!("budget + {:.1} MiB", mib(anon_peak - budget))
    };
    println!(
        "  of which (sampled every 10 ms): private memory peak {:.1} MiB, {private}; frames region {:.1} MiB (shared with the UI)",
        mib(anon_peak),
        mib(shm_peak)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_to_photos_named_relative_to_the_working_directory_resolve() {
        // A folder in the working directory, named by its relative path: resolved against the
        // links' own (temporary) folder instead, that name points nowhere.
        let cwd = std::env::current_dir().unwrap();
        let photos = tempfile::tempdir_in(&cwd).unwrap();
        std::fs::write(photos.path().join("a.png"), b"not really a png").unwrap();
        let relative = Path::new(photos.path().file_name().unwrap()).join("a.png");
        assert!(relative.is_relative() && relative.exists(), "{relative:?}");

        let links = tempfile::tempdir().unwrap();
        assert!(
            !links.path().join(&relative).exists(),
            "the test would prove nothing"
        );
        link_folder(links.path(), &[relative], 3).unwrap();
        for i in 0..3 {
            // Reading through the link proves it points at the photo.
            let link = links.path().join(format!("{i:05}.png"));
            assert_eq!(
                std::fs::read(&link).unwrap(),
                b"not really a png",
                "{link:?}"
            );
        }
        assert!(
            link_folder(links.path(), &[], 1).is_err(),
            "nothing to link to"
        );
    }
}
