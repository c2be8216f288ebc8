//! The render thread's fallback groups and device-loss recovery: which group a run starts in
//! (`IDLEWILD_RENDERER`, or what the adapters allow), how outputs are built for the GPU groups
//! (A, B) and the CPU group (C), and what a lost device leads to (recreate up to
//! [`MAX_RECOVERIES`] times, then group C).

use super::output::{Output, OutputError};
use super::{OutputSpec, RenderLoop, ShowConfig};
use crate::shell::gpu::{self, Gpu};

/// The renderer's fallback group for this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// A: every transition.
    Full,
    /// B: the minimal compositor (crossfade only), after a shader or pipeline failed.
    Minimal,
    /// C: the CPU compositor (crossfade only, no Ken Burns), without a usable adapter.
    Cpu,
}

impl Group {
    /// `IDLEWILD_RENDERER=minimal` (or `b`) forces group B and `cpu` (or `c`) group C: for
    /// tests, and for users whose driver misbehaves.
    pub fn from_env() -> Group {
        Group::parse(std::env::var("IDLEWILD_RENDERER").ok().as_deref())
    }

    /// The group an `IDLEWILD_RENDERER` value asks for (anything else: A).
    pub fn parse(value: Option<&str>) -> Group {
        match value.map(str::to_ascii_lowercase).as_deref() {
            Some("minimal" | "b") => Group::Minimal,
            Some("cpu" | "c") => Group::Cpu,
            _ => Group::Full,
        }
    }

    /// How the log names it.
    pub fn describe(self) -> &'static str {
        match self {
            Group::Full => "group A (every transition)",
            Group::Minimal => "group B (crossfade only)",
            Group::Cpu => "group C (CPU compositor, crossfade only, no Ken Burns)",
        }
    }
}

/// Device losses recovered from per run (device and renderers recreated); the next one demotes
/// the run to group C.
const MAX_RECOVERIES: u32 = 3;

impl RenderLoop {
    /// True when a simulated device loss is due (see [`test_loss_plan`]).
    pub(super) fn test_loss(&mut self) -> bool {
        let Some((after, times)) = self.test_loss_plan else {
            return false;
        };
        let due = after * f64::from(self.test_losses + 1);
        if self.test_losses < times && self.started.elapsed().as_secs_f64() >= due {
            self.test_losses += 1;
            return true;
        }
        false
    }

    /// A lost device: a new device on the best adapter, every renderer rebuilt (same group),
    /// every show blank again until its next photo arrives. After [`MAX_RECOVERIES`], or when
    /// no device can be had, the run goes on in group C; only when that fails too does it end.
    pub(super) fn recover(&mut self) -> Result<(), String> {
        self.recoveries += 1;
        // Surfaces go before the device they were configured for.
        let specs: Vec<OutputSpec> = self.outputs.drain(..).map(|o| o.into_parts().0).collect();
        self.gpu = None;
        let rebuilt = if self.recoveries > MAX_RECOVERIES {
            Err(format!(
                "the graphics device was lost {} times",
                self.recoveries
            ))
        } else {
            tracing::warn!(
                "graphics device lost; recreating it ({} of at most {MAX_RECOVERIES})",
                self.recoveries
            );
            gpu_outputs(
                &self.instance,
                specs.clone(),
                self.config.timing,
                self.group,
            )
        };
        match rebuilt {
            Ok((gpu, outputs, group)) => {
                self.gpu = Some(gpu);
                self.outputs = outputs;
                self.group = group;
            }
            Err(why) => {
                tracing::warn!(
                    "renderer {} for the rest of the run: {why}",
                    Group::Cpu.describe()
                );
                self.outputs = cpu_outputs(specs, &mut self.config)?;
                self.group = Group::Cpu;
            }
        }
        // Uploads in progress went to the old device; the next answers refill the new one.
        self.images.release(&self.supervisor);
        Ok(())
    }
}

/// `IDLEWILD_TEST_DEVICE_LOSS_S=N`: the device counts as lost N seconds in, and again every N
/// seconds up to `IDLEWILD_TEST_DEVICE_LOSSES` times (default once), so tests exercise the real
/// recovery and demotion paths (wgpu offers no way to lose a device on purpose). Read once at
/// start, not per frame.
pub(super) fn test_loss_plan() -> Option<(f64, u32)> {
    let after = std::env::var("IDLEWILD_TEST_DEVICE_LOSS_S")
        .ok()?
        .parse::<f64>()
        .ok()?;
    let times = std::env::var("IDLEWILD_TEST_DEVICE_LOSSES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(1);
    Some((after, times))
}

/// The displays drawn by wgpu in `group` (A, or B when a pipeline fails; demoted for every
/// display at once), with the device they share. `Err` when no adapter can draw into them.
pub(super) fn gpu_outputs(
    instance: &wgpu::Instance,
    specs: Vec<OutputSpec>,
    timing: crate::shell::show::Timing,
    mut group: Group,
) -> Result<(Gpu, Vec<Output>, Group), String> {
    let mut surfaces = Vec::new();
    for spec in &specs {
        surfaces.push(gpu::surface(instance, &spec.target).map_err(|e| e.to_string())?);
    }
    let gpu = gpu::open(instance, surfaces.iter().flatten().next()).map_err(|e| e.to_string())?;
    let mut pending: Vec<(OutputSpec, Option<wgpu::Surface<'static>>)> =
        specs.into_iter().zip(surfaces).collect();
    let mut outputs = Vec::new();
    while let Some((spec, surface)) = pending.pop() {
        match Output::gpu(&gpu, spec, surface, timing, group) {
            Ok(o) => outputs.push(o),
            Err(OutputError::Pipeline(parts)) if group == Group::Full => {
                let (why, spec, surface) = *parts;
                // Demoted for the whole run: every display draws the same way.
                group = Group::Minimal;
                tracing::warn!(
                    "renderer {} for this run: a transition's shader or pipeline failed: {why}",
                    group.describe()
                );
                pending.push((spec, surface));
                for o in outputs.drain(..) {
                    pending.push(o.into_parts());
                }
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    outputs.sort_by_key(|o| o.display);
    Ok((gpu, outputs, group))
}

/// The displays drawn on the CPU (group C). Ken Burns is turned off: resampling every frame on
/// the CPU would cost more than this fallback can spend.
pub(super) fn cpu_outputs(
    specs: Vec<OutputSpec>,
    config: &mut ShowConfig,
) -> Result<Vec<Output>, String> {
    config.ken_burns = None;
    let mut outputs = specs
        .into_iter()
        .map(|spec| Output::cpu(spec, config.timing))
        .collect::<Result<Vec<_>, _>>()?;
    outputs.sort_by_key(|o| o.display);
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::Group;

    #[test]
    fn idlewild_renderer_names_a_group() {
        let table = [
            (None, Group::Full),
            (Some(""), Group::Full),
            (Some("full"), Group::Full),
            (Some("minimal"), Group::Minimal),
            (Some("B"), Group::Minimal),
            (Some("b"), Group::Minimal),
            (Some("cpu"), Group::Cpu),
            (Some("CPU"), Group::Cpu),
            (Some("c"), Group::Cpu),
            (Some("softbuffer"), Group::Full),
        ];
        for (value, want) in table {
            assert_eq!(Group::parse(value), want, "{value:?}");
        }
    }
}
