//! The Sync screen.

use passerelle_core::Ticket;

use super::Cx;
use crate::bridge::{Bridge, Msg};
use crate::i18n::Lang;

/// Joining a community with an invite ticket (onboarding and navigation).
#[derive(Default)]
pub struct JoinForm {
    ticket: String,
    /// Set while the join runs.
    busy: bool,
}

impl JoinForm {
    /// The join failed (the error is shown): the form can be sent again.
    pub fn failed(&mut self) {
        self.busy = false;
    }

    /// Draws the form; returns true when the user cancels.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, bridge: &Bridge) -> bool {
        let t = lang.sync();
        ui.heading(t.join_title);
        ui.label(t.join_text);
        ui.add_space(8.0);
        let label = ui.label(t.ticket);
        ui.add(
            egui::TextEdit::multiline(&mut self.ticket)
                .desired_rows(3)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        let text = self.ticket.trim().to_owned();
        let ready = !text.is_empty() && !self.busy;
        let (join, cancel) = ui
            .horizontal(|ui| {
                (
                    ui.add_enabled(ready, egui::Button::new(t.join)).clicked(),
                    ui.button(lang.t().cancel).clicked(),
                )
            })
            .inner;
        if self.busy {
            ui.label(t.joining);
        }
        if join {
            match Ticket::decode(&text) {
                Ok(ticket) => {
                    self.busy = true;
                    bridge
                        .request(move |h| async move { Ok(Msg::Created(h.join(&ticket).await?)) });
                }
                Err(e) => bridge.send(Msg::Error(e.to_string())),
            }
        }
        cancel
    }
}

/// The Sync screen's state.
#[derive(Default)]
pub struct SyncPanel {}

impl SyncPanel {
    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        ui.heading(cx.lang.sync().nav);
    }

    /// Brings an item forward (from a search result).
    pub fn open(&mut self, _id: &str) {}

    /// A command sent from this screen was saved.
    pub fn applied(&mut self) {}
}
