//! The "Disponibilité" section of the settings menu: stay available to neighbours
//! when the window is closed ([`crate::background`]), and start with the
//! computer ([`crate::autostart`]); and "Arrêter Passerelle", which closes
//! the window and stops serving whatever the setting.

use std::path::Path;

use crate::i18n::errors::Problem;
use crate::settings::Settings;

/// The "Disponibilité" section of the settings menu. Changes `settings`
/// (saved by the caller) and the autostart entry; a failure to write the
/// entry is returned, to show.
pub fn section_ui(ui: &mut egui::Ui, settings: &mut Settings, data_dir: &Path) -> Option<Problem> {
    let t = settings.lang.tray();
    let mut problem = None;
    ui.label(egui::RichText::new(t.menu).strong());
    {
        ui.label(t.menu_hint);
        let mut keep = settings.keeps_serving();
        if ui.checkbox(&mut keep, t.keep_serving).changed() {
            settings.keep_serving = Some(keep);
        }
        // Read when the menu is open: desktop tools change it too.
        let config = crate::autostart::config_home();
        let mut start = config.as_deref().is_some_and(crate::autostart::is_enabled);
        let toggle = ui.add_enabled(
            config.is_some(),
            egui::Checkbox::new(&mut start, t.start_at_login),
        );
        if toggle.changed()
            && let Some(config) = config
        {
            problem = set_start_at_login(&config, data_dir, start).err();
        }
        ui.separator();
        if ui.button(t.stop).on_hover_text(t.stop_hint).clicked() {
            let ctx = ui.ctx();
            ctx.data_mut(|d| d.insert_temp(stop_id(), true));
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
    problem
}

/// Whether "Arrêter Passerelle" was clicked: the window then closes and the
/// node stops with it ([`crate::background::Window`]).
pub fn stop_requested(ctx: &egui::Context) -> bool {
    ctx.data(|d| d.get_temp::<bool>(stop_id())).unwrap_or(false)
}

fn stop_id() -> egui::Id {
    egui::Id::unique("passerelle-stop")
}

fn set_start_at_login(config: &Path, data_dir: &Path, on: bool) -> Result<(), Problem> {
    if !on {
        return crate::autostart::disable(config).map_err(Problem::new);
    }
    let exe = crate::autostart::current_exe().map_err(|cause| {
        Problem::new(passerelle_core::CoreError::Io {
            action: "read",
            path: "/proc/self/exe".into(),
            cause,
        })
    })?;
    // The entry names the data directory in full: the login session may
    // not have this process's environment or working directory.
    let data_dir = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    crate::autostart::enable(config, &exe, &data_dir).map_err(Problem::new)
}
