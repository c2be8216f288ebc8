//! Settings into the renderer's types: the one place a [`Settings`] becomes a [`ShowConfig`]
//! (flux's "a single function translates config into the renderer's own settings type"), and
//! the tests that hold the settings' tables equal to the renderer's registry.

use std::time::Duration;

use idlewild_renderer::{Easing, KenBurns, TransitionId};
use idlewild_settings::Settings;

use super::render::{self, ShowConfig};
use super::show::Timing;

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
