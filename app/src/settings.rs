//! The app's own settings (language, text size, theme), kept in
//! `<data>/app.json` so they survive a restart; and where exports go.

use std::path::{Path, PathBuf};

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
}

impl Settings {
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

    /// Saves the settings (written to a temporary file, then renamed).
    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(data_dir)?;
        let tmp = data_dir.join("app.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(tmp, Self::path(data_dir))
    }

    /// Applies the text size and theme to egui.
    pub fn apply(&self, ctx: &egui::Context) {
        ctx.set_theme(if self.dark {
            egui::Theme::Dark
        } else {
            egui::Theme::Light
        });
        let scale = if self.large_text { 1.35 } else { 1.0 };
        if (ctx.zoom_factor() - scale).abs() > f32::EPSILON {
            ctx.set_zoom_factor(scale);
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
