//! The "Stockage" section of the settings menu: the room pictures and files
//! take on this device (the member's own, other people's kept as a cache,
//! thumbnails), the cache limit and the size of files fetched at meetings
//! without being opened, and "Libérer de la place".
//!
//! The figures are asked of the node each time the menu opens, off the UI
//! thread; a change or a cleanup asks them again.

use egui::RichText;
use passerelle_core::{Collected, StorageReport, StorageSettings};

use crate::bridge::{Bridge, Inbox, Msg};
use crate::i18n::Lang;
use crate::i18n::errors::{Problem, fill};

/// Room for other people's files, offered.
const CACHE_LIMITS: [u64; 3] = [250_000_000, 1_000_000_000, 5_000_000_000];
/// Sizes of files fetched at meetings without being opened, offered.
const AUTO_FETCH: [u64; 3] = [0, 2_000_000, 10_000_000];

/// What comes back from the node.
enum StorageMsg {
    Report(StorageReport),
    Freed(Collected),
}

/// The section's state.
#[derive(Default)]
pub struct StorageSection {
    report: Option<StorageReport>,
    /// What the last "Libérer de la place" did.
    freed: Option<Collected>,
    freeing: bool,
    /// The frame the section was last drawn in: drawn again after a gap,
    /// the menu was opened again, and the figures are asked anew.
    drawn: Option<u64>,
    inbox: Inbox<StorageMsg>,
}

impl StorageSection {
    /// Draws the section.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, bridge: &Bridge) {
        let t = lang.storage();
        let frame = ui.ctx().cumulative_frame_nr();
        if self.drawn.is_none_or(|n| n + 1 < frame) {
            self.freed = None;
            self.refresh(bridge);
        }
        self.drawn = Some(frame);
        for msg in self.inbox.drain() {
            match msg {
                StorageMsg::Report(report) => self.report = Some(report),
                StorageMsg::Freed(collected) => {
                    self.freeing = false;
                    self.freed = Some(collected);
                    self.refresh(bridge);
                }
            }
        }
        ui.set_max_width(380.0);
        ui.label(t.menu_hint);
        let Some(report) = &self.report else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(t.counting);
            });
            return;
        };
        let mut settings = StorageSettings {
            cache_limit: report.cache_limit,
            auto_fetch: report.auto_fetch,
        };
        egui::Grid::new("storage-figures")
            .num_columns(2)
            .spacing([crate::design::GAP * 2.0, 4.0])
            .show(ui, |ui| {
                let mut row = |label: &str, bytes: u64| {
                    ui.label(label);
                    ui.label(lang.file_size(bytes));
                    ui.end_row();
                };
                row(t.own, report.own);
                row(t.others, report.others);
                row(t.thumbnails, report.thumbnails);
                if report.unreferenced > 0 {
                    row(t.unreferenced, report.unreferenced);
                }
                ui.label(RichText::new(t.total).strong());
                ui.label(RichText::new(lang.file_size(report.total)).strong());
                ui.end_row();
            });
        let before = settings;
        ui.label(t.cache_limit);
        ui.horizontal(|ui| {
            for limit in CACHE_LIMITS {
                ui.selectable_value(&mut settings.cache_limit, limit, lang.file_size(limit));
            }
        });
        ui.label(t.auto_fetch);
        ui.horizontal(|ui| {
            for size in AUTO_FETCH {
                let label = if size == 0 {
                    t.auto_none.to_owned()
                } else {
                    lang.file_size(size)
                };
                ui.selectable_value(&mut settings.auto_fetch, size, label);
            }
        });
        if settings != before {
            self.save(bridge, settings);
        }
        ui.horizontal(|ui| {
            let free = ui.add_enabled(
                !self.freeing,
                egui::Button::new((crate::design::file_icon::FREE.rich_text(), t.free)),
            );
            // Read by its words alone, not the icon's private character.
            free.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::Button, !self.freeing, t.free)
            });
            if free.on_hover_text(t.free_hint).clicked() {
                self.free(bridge, lang);
            }
            if self.freeing {
                ui.spinner();
                ui.label(t.freeing);
            }
        });
        if let Some(freed) = self.freed {
            ui.label(freed_text(lang, freed));
        }
    }

    /// Asks the node for the figures.
    fn refresh(&self, bridge: &Bridge) {
        let tx = self.inbox.sender();
        bridge.request(move |h| async move {
            Ok(match h.storage().await {
                Ok(report) => {
                    let _ = tx.send(StorageMsg::Report(report));
                    Msg::Nothing
                }
                Err(e) => Msg::Error(Problem::new(e).doing(|l| l.storage().read_failed)),
            })
        });
    }

    /// Saves the settings, then asks the figures again (they carry them).
    fn save(&mut self, bridge: &Bridge, settings: StorageSettings) {
        if let Some(report) = &mut self.report {
            report.cache_limit = settings.cache_limit;
            report.auto_fetch = settings.auto_fetch;
        }
        let tx = self.inbox.sender();
        bridge.request(move |h| async move {
            if let Err(e) = h.set_storage_settings(settings) {
                return Ok(Msg::Error(
                    Problem::new(e).doing(|l| l.storage().write_failed),
                ));
            }
            if let Ok(report) = h.storage().await {
                let _ = tx.send(StorageMsg::Report(report));
            }
            Ok(Msg::Nothing)
        });
    }

    /// "Libérer de la place".
    fn free(&mut self, bridge: &Bridge, lang: Lang) {
        self.freeing = true;
        self.freed = None;
        let tx = self.inbox.sender();
        bridge.request(move |h| async move {
            Ok(match h.free_blobs().await {
                Ok(collected) => {
                    let _ = tx.send(StorageMsg::Freed(collected));
                    Msg::Notice(freed_text(lang, collected))
                }
                Err(e) => {
                    let _ = tx.send(StorageMsg::Freed(Collected::default()));
                    Msg::Error(Problem::new(e).doing(|l| l.storage().free_failed))
                }
            })
        });
    }
}

/// What "Libérer de la place" did, in words.
fn freed_text(lang: Lang, freed: Collected) -> String {
    let t = lang.storage();
    if freed.blobs == 0 {
        return t.nothing_freed.to_owned();
    }
    fill(
        t.freed,
        &[
            ("count", &lang.number(freed.blobs)),
            ("size", &lang.file_size(freed.bytes)),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_freed_is_said_in_both_languages() {
        let freed = Collected {
            blobs: 3,
            bytes: 2_400_000,
        };
        assert_eq!(
            freed_text(Lang::Fr, freed),
            "3 fichier(s) supprimé(s) : 2,4 Mo libéré(s)."
        );
        assert_eq!(
            freed_text(Lang::En, freed),
            "3 file(s) removed: 2.4 MB freed."
        );
        assert!(freed_text(Lang::Fr, Collected::default()).starts_with("Rien à libérer"));
    }

    #[test]
    fn the_default_settings_are_among_the_choices() {
        let default = StorageSettings::default();
        assert!(CACHE_LIMITS.contains(&default.cache_limit));
        assert!(AUTO_FETCH.contains(&default.auto_fetch));
    }

    #[test]
    fn the_choices_are_written_without_a_useless_decimal() {
        assert_eq!(Lang::Fr.file_size(CACHE_LIMITS[0]), "250 Mo");
        assert_eq!(Lang::Fr.file_size(2_400_000), "2,4 Mo");
        assert_eq!(Lang::En.file_size(CACHE_LIMITS[1]), "1 GB");
    }
}
