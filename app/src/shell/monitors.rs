//! Which monitors get a window: a pure function of the monitors the OS reports and the
//! `display.monitors` setting, table-tested below.

/// A monitor as the shell sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorInfo {
    /// The OS's name for it ("DP-1", `\\.\DISPLAY1`), if it has one.
    pub name: Option<String>,
    /// Top-left corner on the desktop, physical pixels.
    pub position: (i32, i32),
    /// Size in physical pixels.
    pub size: (u32, u32),
    /// Refresh rate in millihertz, if known.
    pub refresh_mhz: Option<u32>,
}

/// Indices into `monitors` to cover, in desktop order (left to right, then top to bottom).
///
/// `selection` holds 1-based numbers (in that same desktop order) or monitor names; empty
/// means every monitor. Entries that match nothing are returned in `unknown`; when nothing
/// matches at all, every monitor is used, so a stale setting never leaves the screen uncovered.
pub fn select(monitors: &[MonitorInfo], selection: &[String]) -> (Vec<usize>, Vec<String>) {
    let mut order: Vec<usize> = (0..monitors.len()).collect();
    order.sort_by_key(|&i| (monitors[i].position.0, monitors[i].position.1));
    order.dedup_by_key(|&mut i| (monitors[i].position, monitors[i].size));
    if selection.is_empty() {
        return (order, Vec::new());
    }
    let mut chosen = Vec::new();
    let mut unknown = Vec::new();
    for entry in selection {
        let entry = entry.trim();
        let hit = match entry.parse::<usize>() {
            Ok(n) if n >= 1 => order.get(n - 1).copied(),
            _ => order
                .iter()
                .copied()
                .find(|&i| monitors[i].name.as_deref() == Some(entry)),
        };
        match hit {
            Some(i) if !chosen.contains(&i) => chosen.push(i),
            Some(_) => {}
            None => unknown.push(entry.to_owned()),
        }
    }
    if chosen.is_empty() {
        return (order, unknown);
    }
    chosen.sort_by_key(|i| order.iter().position(|o| o == i));
    (chosen, unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, x: i32, y: i32) -> MonitorInfo {
        MonitorInfo {
            name: Some(name.into()),
            position: (x, y),
            size: (1920, 1080),
            refresh_mhz: Some(60_000),
        }
    }

    #[test]
    fn selection_table() {
        // Reported out of desktop order, as X and Windows may do.
        let mons = [m("HDMI-1", 1920, 0), m("DP-1", 0, 0), m("DP-2", 3840, 0)];
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases: &[(&[&str], &[usize], &[&str])] = &[
            (&[], &[1, 0, 2], &[]),
            (&["1"], &[1], &[]),
            (&["2"], &[0], &[]),
            (&["3", "1"], &[1, 2], &[]),
            (&["DP-2"], &[2], &[]),
            (&["HDMI-1", "1", "1"], &[1, 0], &[]),
            (&["9", "DP-2"], &[2], &["9"]),
            (&["0"], &[1, 0, 2], &["0"]),
            (&["TV"], &[1, 0, 2], &["TV"]),
            (&[" 2 "], &[0], &[]),
        ];
        for (sel, want, unknown) in cases {
            let (got, bad) = select(&mons, &s(sel));
            assert_eq!(got, *want, "{sel:?}");
            assert_eq!(bad, s(unknown), "{sel:?}");
        }
    }

    #[test]
    fn mirrored_monitors_get_one_window() {
        let mons = [m("DP-1", 0, 0), m("HDMI-1", 0, 0)];
        assert_eq!(select(&mons, &[]).0, [0]);
        assert!(select(&[], &[]).0.is_empty());
    }
}
