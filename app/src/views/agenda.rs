//! The Agenda screen.

use super::Cx;

/// The Agenda screen's state.
#[derive(Default)]
pub struct AgendaPanel {}

impl AgendaPanel {
    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        ui.heading(cx.lang.agenda().nav);
    }

    /// Brings an item forward (from a search result).
    pub fn open(&mut self, _id: &str) {}

    /// A command sent from this screen was saved.
    pub fn applied(&mut self) {}
}
