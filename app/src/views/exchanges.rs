//! The Échanges screen: offers and needs, filters, and a form to post one.

use std::sync::Arc;

use egui::RichText;
use passerelle_core::model::{
    Command, CommunityId, CommunityView, Exchange, ExchangeKind, ExchangeMode, ExchangeStatus,
};

use super::Cx;
use crate::bridge::{Bridge, Msg};
use crate::i18n::Lang;

/// Which échanges to show.
#[derive(Clone, Debug, Default, PartialEq)]
struct Filter {
    kind: Option<ExchangeKind>,
    category: Option<String>,
    status: Option<ExchangeStatus>,
}

impl Filter {
    fn accepts(&self, e: &Exchange) -> bool {
        self.kind.is_none_or(|k| e.kind == k)
            && self.category.as_ref().is_none_or(|c| &e.category == c)
            && self.status.is_none_or(|s| e.status == s)
    }
}

/// The post form.
struct Form {
    kind: ExchangeKind,
    title: String,
    category: String,
    mode: ExchangeMode,
    description: String,
}

impl Default for Form {
    fn default() -> Self {
        Self {
            kind: ExchangeKind::Need,
            title: String::new(),
            category: String::new(),
            mode: ExchangeMode::CoupDeMain,
            description: String::new(),
        }
    }
}

/// The screen's state: filters, the filtered rows (recomputed only when the
/// view or the filter changes), and the form.
#[derive(Default)]
pub struct ExchangesPanel {
    filter: Filter,
    rows: Vec<usize>,
    rows_key: Option<(usize, Filter)>,
    form: Form,
}

impl ExchangesPanel {
    /// Brings an échange forward (from a search result).
    pub fn open(&mut self, _id: &str) {
        self.filter = Filter::default();
    }

    /// Empties the form after a successful post.
    pub fn applied(&mut self) {
        self.form.title.clear();
        self.form.description.clear();
    }

    fn refresh_rows(&mut self, view: &CommunityView) {
        let key = (Arc::as_ptr(&view.exchanges) as usize, self.filter.clone());
        if self.rows_key.as_ref() == Some(&key) {
            return;
        }
        self.rows = view
            .exchanges
            .iter()
            .enumerate()
            .filter(|(_, e)| self.filter.accepts(e))
            .map(|(n, _)| n)
            .collect();
        self.rows_key = Some(key);
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let (lang, bridge, community, view) = (cx.lang, cx.bridge, cx.community, &**cx.view);
        let t = lang.t();
        ui.heading(format!("{} — {}", view.community.name, t.exchanges));
        egui::Panel::right("new-exchange")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                self.form_ui(ui, lang, bridge, community, view);
            });
        self.filters_ui(ui, lang, view);
        self.refresh_rows(view);
        ui.label(format!("{} {}", self.rows.len(), t.shown));
        ui.separator();
        if self.rows.is_empty() {
            ui.label(t.no_exchange);
            return;
        }
        let row_height =
            ui.text_style_height(&egui::TextStyle::Body) * 2.0 + ui.spacing().item_spacing.y;
        egui::ScrollArea::vertical().auto_shrink(false).show_rows(
            ui,
            row_height,
            self.rows.len(),
            |ui, range| {
                for &n in &self.rows[range] {
                    exchange_row_ui(ui, lang, view, &view.exchanges[n]);
                }
            },
        );
    }

    fn filters_ui(&mut self, ui: &mut egui::Ui, lang: Lang, view: &CommunityView) {
        let t = lang.t();
        ui.horizontal_wrapped(|ui| {
            for (kind, label) in [
                (None, t.all),
                (Some(ExchangeKind::Offer), t.offers),
                (Some(ExchangeKind::Need), t.needs),
            ] {
                ui.selectable_value(&mut self.filter.kind, kind, label);
            }
            ui.separator();
            let selected = self
                .filter
                .category
                .as_deref()
                .map_or(t.any_category, |c| view.category_label(c));
            let label = ui.label(t.category);
            egui::ComboBox::from_id_salt("filter-category")
                .selected_text(selected)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.category, None, t.any_category);
                    for c in &view.community.categories {
                        ui.selectable_value(
                            &mut self.filter.category,
                            Some(c.id.clone()),
                            &c.label,
                        );
                    }
                })
                .response
                .labelled_by(label.id);
            let selected = self.filter.status.map_or(t.any_status, |s| lang.status(s));
            let label = ui.label(t.status);
            egui::ComboBox::from_id_salt("filter-status")
                .selected_text(selected)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.status, None, t.any_status);
                    for s in ExchangeStatus::ALL {
                        ui.selectable_value(&mut self.filter.status, Some(*s), lang.status(*s));
                    }
                })
                .response
                .labelled_by(label.id);
        });
    }

    fn form_ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        bridge: &Bridge,
        community: &CommunityId,
        view: &CommunityView,
    ) {
        let t = lang.t();
        let form = &mut self.form;
        ui.heading(t.new_exchange);
        ui.horizontal(|ui| {
            for kind in ExchangeKind::ALL {
                ui.selectable_value(&mut form.kind, *kind, lang.kind(*kind));
            }
        });
        let label = ui.label(t.title);
        ui.text_edit_singleline(&mut form.title)
            .labelled_by(label.id);
        if form.category.is_empty()
            && let Some(first) = view.community.categories.first()
        {
            form.category = first.id.clone();
        }
        let label = ui.label(t.category);
        egui::ComboBox::from_id_salt("form-category")
            .selected_text(view.category_label(&form.category))
            .show_ui(ui, |ui| {
                for c in &view.community.categories {
                    ui.selectable_value(&mut form.category, c.id.clone(), &c.label);
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label(t.mode);
        egui::ComboBox::from_id_salt("form-mode")
            .selected_text(lang.mode(form.mode))
            .show_ui(ui, |ui| {
                for m in ExchangeMode::ALL {
                    ui.selectable_value(&mut form.mode, *m, lang.mode(*m));
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label(t.description);
        ui.text_edit_multiline(&mut form.description)
            .labelled_by(label.id);
        let ready = !form.title.trim().is_empty();
        if ui
            .add_enabled(ready, egui::Button::new(t.publish))
            .clicked()
        {
            let command = Command::AddExchange {
                id: bridge
                    .handle()
                    .map(|h| h.new_id())
                    .unwrap_or_else(|| "".into()),
                kind: form.kind,
                title: form.title.clone(),
                description: form.description.clone(),
                category: form.category.clone(),
                mode: form.mode,
                place: None,
            };
            let community = community.clone();
            bridge.request(move |h| async move {
                Ok(Msg::Applied(h.apply(&community, command).await?))
            });
        }
    }
}

fn exchange_row_ui(ui: &mut egui::Ui, lang: Lang, view: &CommunityView, e: &Exchange) {
    let t = lang.t();
    ui.horizontal(|ui| {
        let (badge, color) = match e.kind {
            ExchangeKind::Offer => (lang.kind(e.kind), egui::Color32::from_rgb(0x1b, 0x5e, 0x20)),
            ExchangeKind::Need => (lang.kind(e.kind), egui::Color32::from_rgb(0x8a, 0x2b, 0x06)),
        };
        let color = if ui.visuals().dark_mode {
            ui.visuals().strong_text_color()
        } else {
            color
        };
        // A fixed width keeps every title in one column.
        let height = ui.text_style_height(&egui::TextStyle::Body);
        ui.add_sized(
            [56.0, height],
            egui::Label::new(RichText::new(badge).strong().color(color)),
        );
        ui.vertical(|ui| {
            ui.label(RichText::new(&e.title).strong());
            ui.label(format!(
                "{} · {} · {} · {} {} · {}",
                view.category_label(&e.category),
                lang.mode(e.mode),
                lang.status(e.status),
                t.by,
                view.member_name(&e.author),
                lang.replies(e.replies.len())
            ));
        });
    });
}
