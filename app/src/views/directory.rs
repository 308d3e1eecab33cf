//! The Directory screen.

use super::Cx;

/// The Directory screen's state.
#[derive(Default)]
pub struct DirectoryPanel {}

impl DirectoryPanel {
    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        ui.heading(cx.lang.directory().nav);
    }

    /// Brings an item forward (from a search result).
    pub fn open(&mut self, _id: &str) {}

    /// A command sent from this screen was saved.
    pub fn applied(&mut self) {}
}
