//! Suggested matches between offers and needs, side by side.
//!
//! The node computes them once per version of the community; a large
//! community has hundreds of thousands, so only the matches on screen are
//! laid out, each frame (every match takes the same height, measured once
//! drawn).

use std::sync::Arc;

use egui::RichText;
use passerelle_core::model::ItemId;
use passerelle_core::model::matching::Match;
use passerelle_core::model::view::Heads;

use super::Positions;
use crate::bridge::Msg;
use crate::views::Cx;

/// Space between the grid's columns and between its rows.
const GRID_SPACING: egui::Vec2 = egui::vec2(24.0, 8.0);

/// The matches the node computed, and which version it was asked for.
#[derive(Default)]
pub(super) struct Suggestions {
    /// Suggested matches and the heads they were computed at.
    matches: Option<(Heads, Arc<Vec<Match>>)>,
    asked: Option<Heads>,
    /// The height of one match as last laid out, less the item spacing
    /// `show_rows` adds (see [`match_height`] for the first frame).
    measured: Option<f32>,
}

impl Suggestions {
    /// Suggested matches computed by the node.
    pub(super) fn set(&mut self, heads: Heads, matches: Arc<Vec<Match>>) {
        self.matches = Some((heads, matches));
    }

    /// Draws the matches of the current view (asking the node for them
    /// when it has not yet); returns the échange whose title was clicked.
    pub(super) fn ui(
        &mut self,
        ui: &mut egui::Ui,
        cx: &Cx,
        positions: &Positions,
    ) -> Option<ItemId> {
        let (lang, view) = (cx.lang, &**cx.view);
        let x = lang.exchanges();
        let current = self.matches.as_ref().filter(|(h, _)| *h == view.heads);
        let Some((_, matches)) = current else {
            if self.asked.as_ref() != Some(&view.heads) {
                self.asked = Some(view.heads.clone());
                let community = cx.community.clone();
                cx.bridge.request(move |h| async move {
                    let view = h.view(&community).await?;
                    let matches = h.matches(&community).await?;
                    Ok(Msg::Matches(community, view.heads.clone(), matches))
                });
            }
            ui.label(x.loading_suggestions);
            return None;
        };
        ui.label(x.suggestions_text);
        if matches.is_empty() {
            ui.label(x.no_suggestion);
            return None;
        }
        let find = |id: &ItemId| positions.get(&view.exchanges, id);
        let mut clicked = None;
        let row_height = self.measured.unwrap_or_else(|| match_height(ui));
        let item_spacing = ui.spacing().item_spacing.y;
        let mut measured = None;
        egui::ScrollArea::vertical().auto_shrink(false).show_rows(
            ui,
            row_height,
            matches.len(),
            |ui, range| {
                let count = range.len();
                // Two grid rows a match: the stripes stay on the same rows
                // wherever the list starts.
                let grid = egui::Grid::new("matches")
                    .num_columns(2)
                    .striped(true)
                    .spacing(GRID_SPACING)
                    .start_row(2 * range.start)
                    .show(ui, |ui| {
                        for m in &matches[range] {
                            let (Some(offer), Some(need)) = (find(&m.offer), find(&m.need)) else {
                                continue;
                            };
                            for e in [offer, need] {
                                ui.vertical(|ui| {
                                    ui.label(RichText::new(lang.kind(e.kind)).strong());
                                    if ui.link(&e.title).clicked() {
                                        clicked = Some(e.id.clone());
                                    }
                                    ui.label(view.member_name(&e.author));
                                });
                            }
                            ui.end_row();
                            ui.label(
                                RichText::new(format!(
                                    "{} : {}",
                                    x.shared_words,
                                    m.shared.join(", ")
                                ))
                                .small(),
                            );
                            ui.end_row();
                        }
                    });
                // Every match takes the same height: measure it, so that
                // the rows `show_rows` reserves are those drawn.
                if count > 0 {
                    let pitch = (grid.response.rect.height() + GRID_SPACING.y) / count as f32;
                    measured = Some(pitch - item_spacing);
                }
            },
        );
        if let Some(height) = measured
            && (height - row_height).abs() > 0.5
        {
            self.measured = Some(height);
            ui.ctx().request_repaint();
        }
        clicked
    }
}

/// The height of one match, less the item spacing `show_rows` adds: a
/// line each for the kind, the title and the author, then the shared
/// words, each of the two grid rows followed by the grid's spacing.
fn match_height(ui: &egui::Ui) -> f32 {
    let spacing = ui.spacing();
    let min = spacing.interact_size.y;
    let line = ui.text_style_height(&egui::TextStyle::Body);
    let entries = (3.0 * line + 2.0 * spacing.item_spacing.y).max(min);
    let shared = ui.text_style_height(&egui::TextStyle::Small).max(min);
    entries + shared + 2.0 * GRID_SPACING.y - spacing.item_spacing.y
}
