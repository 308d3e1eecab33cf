//! The Report screen.

use super::Cx;

/// The Report screen's state.
#[derive(Default)]
pub struct ReportPanel {}

impl ReportPanel {
    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        ui.heading(cx.lang.report().nav);
    }

    /// Brings an item forward (from a search result).
    pub fn open(&mut self, _id: &str) {}

    /// A command sent from this screen was saved.
    pub fn applied(&mut self) {}
}
