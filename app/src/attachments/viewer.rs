//! The picture viewer: a picture opened from its thumbnail, whole, over the
//! screen. It says "Récupération…" while the picture comes from another
//! device, and why when it could not.

use egui::{ColorImage, TextureHandle, TextureOptions};
use passerelle_core::model::{Attachment, CommunityId};

use crate::design::{self, file_icon};
use crate::i18n::Lang;
use crate::i18n::errors::Problem;

/// Where the picture is.
enum State {
    /// Being read on this device.
    Loading,
    /// Being fetched from another device.
    Fetching,
    /// Shown.
    Ready(TextureHandle),
    /// Could not be shown.
    Failed(Problem),
}

/// What the person asked of the viewer.
pub enum Action {
    None,
    Close,
    SaveAs,
}

/// One picture opened.
pub struct Viewer {
    community: CommunityId,
    attachment: Attachment,
    state: State,
}

impl Viewer {
    pub fn new(community: CommunityId, attachment: Attachment) -> Self {
        Self {
            community,
            attachment,
            state: State::Loading,
        }
    }

    /// Its community and attachment.
    pub fn attachment(&self) -> (CommunityId, Attachment) {
        (self.community.clone(), self.attachment.clone())
    }

    /// The picture `hash` is being fetched.
    pub fn fetching(&mut self, hash: &str) {
        if hash == self.attachment.hash && matches!(self.state, State::Loading) {
            self.state = State::Fetching;
        }
    }

    /// The picture `hash` was read (or not).
    pub fn loaded(
        &mut self,
        ctx: &egui::Context,
        hash: &str,
        picture: Result<ColorImage, Problem>,
    ) {
        if hash != self.attachment.hash {
            return; // another picture, opened and closed since
        }
        self.state = match picture {
            Ok(picture) => {
                State::Ready(ctx.load_texture("picture", picture, TextureOptions::LINEAR))
            }
            Err(problem) => State::Failed(problem),
        };
    }

    /// Draws the viewer over the screen.
    pub fn ui(&self, ctx: &egui::Context, lang: Lang) -> Action {
        let t = lang.attachments();
        let screen = ctx.content_rect().size();
        let room = egui::vec2(screen.x * 0.85, screen.y * 0.8 - 80.0).max(egui::vec2(120.0, 120.0));
        let mut action = Action::None;
        let modal = egui::Modal::new(egui::Id::unique("picture-viewer")).show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.label(file_icon::PICTURE.rich_text().size(design::TITLE));
                design::title(ui, &self.attachment.name);
            });
            ui.add_space(design::GAP / 2.0);
            match &self.state {
                State::Loading | State::Fetching => {
                    let words = match self.state {
                        State::Fetching => t.fetching,
                        _ => t.loading,
                    };
                    ui.allocate_ui(egui::vec2(room.x.min(420.0), 160.0), |ui| {
                        ui.centered_and_justified(|ui| {
                            ui.horizontal(|ui| {
                                ui.spinner();
                                ui.label(words);
                            });
                        });
                    });
                }
                State::Ready(texture) => {
                    let size = texture.size_vec2();
                    let scale = (room.x / size.x).min(room.y / size.y).min(2.0);
                    ui.add(
                        egui::Image::new((texture.id(), size * scale))
                            .alt_text(&self.attachment.name),
                    );
                }
                State::Failed(problem) => {
                    ui.set_max_width(room.x.min(480.0));
                    ui.label(problem.text(lang));
                }
            }
            ui.add_space(design::GAP / 2.0);
            ui.horizontal(|ui| {
                if matches!(self.state, State::Ready(_))
                    && design::icon_button(ui, file_icon::SAVE, t.save_as).clicked()
                {
                    action = Action::SaveAs;
                }
                if design::icon_button(ui, design::card_icon::CLOSE, t.close).clicked() {
                    action = Action::Close;
                }
            });
        });
        if modal.should_close() {
            action = Action::Close;
        }
        action
    }
}
