//! The Knowledge screen.

use super::Cx;

/// The Knowledge screen's state.
#[derive(Default)]
pub struct KnowledgePanel {}

impl KnowledgePanel {
    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        ui.heading(cx.lang.knowledge().nav);
    }

    /// Brings an item forward (from a search result).
    pub fn open(&mut self, _id: &str) {}

    /// A command sent from this screen was saved.
    pub fn applied(&mut self) {}
}
