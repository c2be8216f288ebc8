//! The visualizer's named colour palettes: one `const` row each, in sRGB bytes.
//!
//! A bar is shaded from its palette's `low` colour at the baseline (or centre line) to `high` at
//! the band's far edge, mixed in sRGB-encoded values as CSS gradients are; ghost caps use
//! `ghost`. A palette with a `hue_spread` turns each bar's two colours round the hue wheel by
//! its position, which is how `spectrum` gets a hue per bar. Both draw paths take their colours
//! from [`Palette::bar_colours`], so neither repeats this logic.

/// A named palette. Colours are sRGB bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Palette {
    /// Stable id, as written in settings files.
    pub id: &'static str,
    /// Human-readable name for the settings dialog.
    pub label: &'static str,
    /// Colour at the bottom of the gradient.
    pub low: [u8; 3],
    /// Colour at the top of the gradient, reached by full-height bars.
    pub high: [u8; 3],
    /// Colour of the ghost caps.
    pub ghost: [u8; 3],
    /// Degrees of hue the bars' colours turn through from the first bar to the last; 0 keeps
    /// every bar the same.
    pub hue_spread: f32,
}

/// Every palette, in the order of the settings' `visualizer.palette` choices; the first is the
/// default.
pub const PALETTES: &[Palette] = &[
    Palette {
        id: "aurora",
        label: "Aurora",
        low: [0, 168, 150],
        high: [176, 116, 255],
        ghost: [232, 224, 255],
        hue_spread: 0.0,
    },
    Palette {
        id: "ember",
        label: "Ember",
        low: [176, 24, 16],
        high: [255, 196, 72],
        ghost: [255, 236, 192],
        hue_spread: 0.0,
    },
    Palette {
        id: "ocean",
        label: "Ocean",
        low: [16, 40, 120],
        high: [88, 228, 255],
        ghost: [216, 246, 255],
        hue_spread: 0.0,
    },
    Palette {
        id: "mono",
        label: "Mono",
        low: [120, 120, 120],
        high: [248, 248, 248],
        ghost: [255, 255, 255],
        hue_spread: 0.0,
    },
    Palette {
        id: "spectrum",
        label: "Spectrum",
        // Red at the first bar, through yellow, green, cyan and blue to magenta at the last
        // (300 degrees, so the two ends do not meet in the same red).
        low: [200, 32, 40],
        high: [255, 150, 140],
        ghost: [255, 255, 255],
        hue_spread: 300.0,
    },
];

// `PaletteId::AURORA` names row 0; this keeps a reordering from changing it.
const _: () = assert!(matches!(PALETTES[0].id.as_bytes(), b"aurora"));

/// A palette known to exist in [`PALETTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaletteId(usize);

impl PaletteId {
    /// Teal to violet (row 0, the default).
    pub const AURORA: PaletteId = PaletteId(0);

    /// Looks a palette up by its id, as written in settings files.
    pub fn by_id(id: &str) -> Option<PaletteId> {
        PALETTES.iter().position(|p| p.id == id).map(PaletteId)
    }

    /// Every palette, in registry order.
    pub fn all() -> impl Iterator<Item = PaletteId> {
        (0..PALETTES.len()).map(PaletteId)
    }

    /// The palette's id.
    pub fn id(self) -> &'static str {
        self.palette().id
    }

    /// The registry row.
    pub fn palette(self) -> &'static Palette {
        &PALETTES[self.0]
    }
}

impl Default for PaletteId {
    fn default() -> Self {
        PaletteId::AURORA
    }
}

impl Palette {
    /// The `[low, high]` gradient colours of bar `i` of `n` as sRGB-encoded values in `0..=1`.
    pub fn bar_colours(&self, i: usize, n: usize) -> [[f32; 3]; 2] {
        let turn = if n > 1 {
            self.hue_spread * i as f32 / (n - 1) as f32
        } else {
            0.0
        };
        [self.low, self.high].map(|c| rotate_hue(unit(c), turn))
    }

    /// The ghost cap colour as sRGB-encoded values in `0..=1`.
    pub fn ghost_colour(&self) -> [f32; 3] {
        unit(self.ghost)
    }
}

fn unit(c: [u8; 3]) -> [f32; 3] {
    c.map(|v| f32::from(v) / 255.0)
}

/// `rgb` with its hue turned by `degrees`, keeping its HSV saturation and value.
fn rotate_hue(rgb: [f32; 3], degrees: f32) -> [f32; 3] {
    let [r, g, b] = rgb;
    let max = r.max(g).max(b);
    let chroma = max - r.min(g).min(b);
    if degrees == 0.0 || chroma <= 0.0 {
        return rgb;
    }
    // Hue in sixths of the wheel (0..6).
    let sextant = if max == r {
        ((g - b) / chroma).rem_euclid(6.0)
    } else if max == g {
        (b - r) / chroma + 2.0
    } else {
        (r - g) / chroma + 4.0
    };
    let h = (sextant + degrees / 60.0).rem_euclid(6.0);
    let x = chroma * (1.0 - (h.rem_euclid(2.0) - 1.0).abs());
    let m = max - chroma;
    let [r, g, b] = match h as u32 {
        0 => [chroma, x, 0.0],
        1 => [x, chroma, 0.0],
        2 => [0.0, chroma, x],
        3 => [0.0, x, chroma],
        4 => [x, 0.0, chroma],
        _ => [chroma, 0.0, x],
    };
    [r + m, g + m, b + m]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(c: [f32; 3]) -> [u8; 3] {
        c.map(|v| (v * 255.0).round() as u8)
    }

    #[test]
    fn ids_resolve_and_the_settings_names_match() {
        for id in PaletteId::all() {
            assert_eq!(PaletteId::by_id(id.id()), Some(id));
            assert!(!id.palette().label.is_empty());
        }
        let names: Vec<_> = PALETTES.iter().map(|p| p.id).collect();
        assert_eq!(names, ["aurora", "ember", "ocean", "mono", "spectrum"]);
        assert_eq!(PaletteId::by_id("neon"), None);
    }

    #[test]
    fn gradients_are_the_same_for_every_bar() {
        let aurora = PaletteId::AURORA.palette();
        for i in [0, 5, 95] {
            let [low, high] = aurora.bar_colours(i, 96);
            assert_eq!((bytes(low), bytes(high)), (aurora.low, aurora.high));
        }
    }

    #[test]
    fn spectrum_turns_the_hue_by_bar_index() {
        let spectrum = PaletteId::by_id("spectrum").expect("registered").palette();
        let low = |i, n| bytes(spectrum.bar_colours(i, n)[0]);
        // First bar: the palette's own red; a third of the way: turned 100 degrees (green);
        // last: 300 degrees (magenta, blue and red both high, green low).
        assert_eq!(low(0, 4), spectrum.low);
        let [r, g, b] = low(1, 4);
        assert!(g > r && g > b, "green: {r} {g} {b}");
        let [r, g, b] = low(3, 4);
        assert!(r > g && b > g, "magenta: {r} {g} {b}");
        // One bar, or a turn of a whole circle, changes nothing.
        assert_eq!(low(0, 1), spectrum.low);
        assert_eq!(bytes(rotate_hue(unit([10, 200, 30]), 360.0)), [10, 200, 30]);
        // Greys have no hue to turn.
        assert_eq!(rotate_hue([0.5; 3], 90.0), [0.5; 3]);
    }
}
