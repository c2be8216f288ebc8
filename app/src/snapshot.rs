//! `idlewild snapshot`: one frame of a transition rendered offscreen into a PNG. The photos go
//! through the image worker's own path (`prepare_file`: decode, orient, fill-scale to the
//! size), the frame through the real renderer on whatever adapter wgpu finds (lavapipe on a
//! machine without a GPU). A tool command: it is not the UI process, which never decodes.

use crate::cli::SnapshotCommand;
use anyhow::{Context, bail};
use idlewild_image::prepare::prepare_file;
use idlewild_protocol::message::image::{ImageLimits, ScaleOptions};
use idlewild_renderer::{
    FrameState, Renderer, Slot, TextureFormat, TransitionId, offscreen, registry,
};
use std::fs::File;
use std::io::BufWriter;

/// Renders the frame and writes the PNG.
pub fn run(cmd: &SnapshotCommand) -> anyhow::Result<()> {
    let Some(transition) = TransitionId::from_key(&cmd.transition) else {
        let known: Vec<&str> = registry::TRANSITIONS.iter().map(|t| t.key).collect();
        bail!(
            "unknown transition \"{}\"; known: {}",
            cmd.transition,
            known.join(", ")
        );
    };
    let pairs: Vec<(&str, &str)> = cmd
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // Checked before any photo is decoded, so a typo is reported at once.
    let params = transition.desc().parse_params(&pairs)?;
    let (width, height) = cmd.size;
    let prepare = |path: &std::path::Path| {
        let mut out = Vec::new();
        prepare_file(
            path,
            cmd.size,
            &ScaleOptions::default(),
            &ImageLimits::default(),
            None,
            &mut out,
        )
        // The image error already says why in its message (an OS error included), so it is not
        // chained as a source: `{:#}` would print the OS error a second time.
        .map_err(|e| anyhow::anyhow!("cannot use {} as a photo: {e}", path.display()))?;
        anyhow::Ok(out)
    };
    let (from, to) = (prepare(&cmd.from)?, prepare(&cmd.to)?);
    let (device, queue, info) = offscreen::device().map_err(|e| match e {
        idlewild_renderer::RenderError::NoAdapter(why) => {
            anyhow::Error::from(crate::exit::Fatal::NoGraphics(why))
        }
        other => other.into(),
    })?;
    tracing::info!(adapter = %info.name, backend = ?info.backend, "snapshot adapter");
    // A plain (non-sRGB) target: the PNG holds the frame's bytes as the renderer made them.
    let mut renderer = Renderer::new(&device, &queue, TextureFormat::Rgba8Unorm, cmd.size)?;
    renderer.set_image(&queue, Slot::Current, &from, width, height)?;
    renderer.set_image(&queue, Slot::Next, &to, width, height)?;
    // The options and seed given (defaults and 0), so a snapshot is reproducible.
    renderer.update(&FrameState {
        progress: cmd.progress.get(),
        params,
        seed: cmd.seed,
        ..FrameState::new(transition)
    });
    let rgba = offscreen::render_to_rgba(&mut renderer, &device, &queue, cmd.size)?;
    let file =
        File::create(&cmd.out).with_context(|| format!("cannot create {}", cmd.out.display()))?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgba)?;
    writer.finish()?;
    println!(
        "{} at {} ({}x{}) on {} -> {}",
        cmd.transition,
        cmd.progress.get(),
        width,
        height,
        info.name,
        cmd.out.display()
    );
    Ok(())
}
