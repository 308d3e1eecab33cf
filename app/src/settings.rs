//! The app's own settings (language, text size, theme, notifications,
//! serving with the window closed), kept in
//! `<data>/app.json` so they survive a restart; and where exports go.

use std::path::{Path, PathBuf};

use passerelle_core::write_atomic;
use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// What the user chose for the interface.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Interface language.
    pub lang: Lang,
    /// Bigger text everywhere.
    pub large_text: bool,
    /// Dark theme (light by default).
    pub dark: bool,
    /// Which notifications are shown.
    pub notify: crate::notify::NotifyPrefs,
    /// Keep serving neighbours when the window is closed (`None`: the
    /// default, on; see [`crate::background`]).
    pub keep_serving: Option<bool>,
}

impl Settings {
    /// Whether closing the window leaves Passerelle serving.
    pub fn keeps_serving(&self) -> bool {
        self.keep_serving.unwrap_or(true)
    }

    fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("app.json")
    }

    /// The saved settings, or the defaults when there are none (or they
    /// cannot be read: settings are never worth refusing to start over).
    pub fn load(data_dir: &Path) -> Settings {
        std::fs::read(Self::path(data_dir))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Saves the settings, crash-safely ([`passerelle_core::write_atomic`]).
    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(data_dir)?;
        let bytes = serde_json::to_vec_pretty(self)?;
        write_atomic(&Self::path(data_dir), &bytes, false).map_err(std::io::Error::other)
    }

    /// Applies the text size and theme to egui.
    pub fn apply(&self, ctx: &egui::Context) {
        let theme = if self.dark {
            egui::Theme::Dark
        } else {
            egui::Theme::Light
        };
        if ctx.theme() != theme || ctx.style_of(theme).visuals != visuals(theme) {
            ctx.set_visuals_of(egui::Theme::Light, visuals(egui::Theme::Light));
            ctx.set_visuals_of(egui::Theme::Dark, visuals(egui::Theme::Dark));
            ctx.set_theme(theme);
        }
        if !crate::design::is_applied(&ctx.global_style()) {
            crate::design::install(ctx);
            ctx.all_styles_mut(crate::design::apply);
        }
        let scale = if self.large_text { 1.3 } else { 1.0 };
        if (ctx.zoom_factor() - scale).abs() > f32::EPSILON {
            ctx.set_zoom_factor(scale);
        }
    }
}

/// egui's visuals with every text colour at WCAG AA contrast (4.5:1) or
/// better on every background it is drawn on: darker grey text, links,
/// warnings and errors in light mode, lighter ones in dark mode.
pub fn visuals(theme: egui::Theme) -> egui::Visuals {
    use egui::Color32;
    match theme {
        egui::Theme::Light => {
            let mut v = egui::Visuals::light();
            v.widgets.noninteractive.fg_stroke.color = Color32::from_gray(40);
            v.widgets.inactive.fg_stroke.color = Color32::from_gray(20);
            v.weak_text_color = Some(Color32::from_gray(85));
            v.hyperlink_color = Color32::from_rgb(0, 82, 160);
            v.warn_fg_color = Color32::from_rgb(150, 65, 0);
            v.error_fg_color = Color32::from_rgb(180, 0, 0);
            v.selection.bg_fill = Color32::from_rgb(180, 215, 255);
            v.selection.stroke.color = Color32::from_rgb(0, 50, 100);
            v
        }
        egui::Theme::Dark => {
            let mut v = egui::Visuals::dark();
            v.widgets.noninteractive.fg_stroke.color = Color32::from_gray(215);
            v.widgets.inactive.fg_stroke.color = Color32::from_gray(230);
            v.weak_text_color = Some(Color32::from_gray(170));
            v.hyperlink_color = Color32::from_rgb(120, 185, 255);
            v.warn_fg_color = Color32::from_rgb(255, 170, 60);
            v.error_fg_color = Color32::from_rgb(255, 120, 120);
            v.selection.bg_fill = Color32::from_rgb(0, 70, 130);
            v.selection.stroke.color = Color32::from_rgb(220, 235, 255);
            v
        }
    }
}

/// Where exports are written: `Documents/Passerelle` (or `~/Passerelle`),
/// or `PASSERELLE_EXPORT_DIR` when set.
pub fn exports_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PASSERELLE_EXPORT_DIR") {
        return PathBuf::from(dir);
    }
    let dirs = directories::UserDirs::new();
    dirs.as_ref()
        .and_then(|d| d.document_dir().map(Path::to_owned))
        .or_else(|| dirs.as_ref().map(|d| d.home_dir().to_owned()))
        .unwrap_or_default()
        .join("Passerelle")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use egui::Color32;

    /// WCAG 2 relative luminance of an sRGB colour.
    fn luminance(c: Color32) -> f64 {
        let channel = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(c.r()) + 0.7152 * channel(c.g()) + 0.0722 * channel(c.b())
    }

    /// The WCAG 2 contrast ratio of two colours.
    pub(crate) fn contrast(a: Color32, b: Color32) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn every_text_colour_passes_wcag_aa_in_both_themes() {
        for theme in [egui::Theme::Light, egui::Theme::Dark] {
            let v = visuals(theme);
            let w = &v.widgets;
            let texts = [
                ("text", v.text_color()),
                ("strong", v.strong_text_color()),
                ("weak", v.weak_text_color()),
                ("link", v.hyperlink_color),
                ("warning", v.warn_fg_color),
                ("error", v.error_fg_color),
            ];
            let backgrounds = [
                ("panel", v.panel_fill),
                ("window", v.window_fill),
                ("text field", v.text_edit_bg_color()),
                // Additive: drawn over the panel.
                ("stripe", v.panel_fill + v.faint_bg_color),
                ("card", crate::design::card_fill(v.dark_mode)),
            ];
            for (what, fg) in texts {
                for (on, bg) in backgrounds {
                    let ratio = contrast(fg, bg);
                    assert!(ratio >= 4.5, "{theme:?}: {what} on {on} is {ratio:.2}:1");
                }
            }
            // Buttons at rest, hovered and pressed; selected items.
            for (what, state) in [
                ("button", &w.inactive),
                ("hovered button", &w.hovered),
                ("pressed button", &w.active),
            ] {
                let ratio = contrast(state.fg_stroke.color, state.weak_bg_fill);
                assert!(ratio >= 4.5, "{theme:?}: {what} is {ratio:.2}:1");
            }
            let ratio = contrast(v.selection.stroke.color, v.selection.bg_fill);
            assert!(ratio >= 4.5, "{theme:?}: selection is {ratio:.2}:1");
        }
    }
}
