//! The Échanges screen: offers and needs with filters; one échange's details,
//! replies ("je peux aider", "ça m'intéresse"), status, edit and delete; a
//! form to post one; and suggested matches between offers and needs, side
//! by side ([`suggestions`]).
//!
//! A community may hold tens of thousands of échanges: a frame draws only
//! the rows on screen, and what is derived from the list (the filtered rows,
//! where each échange is) is rebuilt only when the view brings another list.

mod suggestions;

use std::collections::HashMap;
use std::sync::Arc;

use egui::RichText;
use passerelle_core::model::matching::Match;
use passerelle_core::model::view::Heads;
use passerelle_core::model::{
    Command, CommunityView, Exchange, ExchangeCommand, ExchangeKind, ExchangeMode, ExchangeStatus,
    ItemId, ItemKind, ReplyKind,
};

use super::Cx;
use super::files::export_button;
use crate::i18n::Lang;
use passerelle_core::model::export::csv;
use suggestions::Suggestions;

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

/// The post (or edit) form.
struct Form {
    /// The échange edited, or `None` for a new one.
    editing: Option<ItemId>,
    kind: ExchangeKind,
    title: String,
    category: String,
    mode: ExchangeMode,
    place: String,
    description: String,
}

impl Default for Form {
    fn default() -> Self {
        Self {
            editing: None,
            kind: ExchangeKind::Need,
            title: String::new(),
            category: String::new(),
            mode: ExchangeMode::CoupDeMain,
            place: String::new(),
            description: String::new(),
        }
    }
}

impl Form {
    fn editing(e: &Exchange) -> Self {
        Self {
            editing: Some(e.id.clone()),
            kind: e.kind,
            title: e.title.clone(),
            category: e.category.clone(),
            mode: e.mode,
            place: e.place.clone().unwrap_or_default(),
            description: e.description.as_str().to_owned(),
        }
    }
}

/// Where each échange of a list is, by id: built once per list, so that
/// finding the selected échange or those of a match costs no walk through
/// the list.
#[derive(Default)]
struct Positions {
    /// The list indexed; holding it keeps its address from being reused by
    /// another list.
    of: Option<Arc<Vec<Exchange>>>,
    by_id: HashMap<ItemId, usize>,
}

impl Positions {
    fn refresh(&mut self, exchanges: &Arc<Vec<Exchange>>) {
        if self
            .of
            .as_ref()
            .is_some_and(|of| Arc::ptr_eq(of, exchanges))
        {
            return;
        }
        self.by_id.clear();
        for (n, e) in exchanges.iter().enumerate() {
            // The first échange with an id wins, as a search from the top would.
            self.by_id.entry(e.id.clone()).or_insert(n);
        }
        self.of = Some(exchanges.clone());
    }

    /// The échange `id` of `exchanges`, the list last indexed.
    fn get<'a>(&self, exchanges: &'a [Exchange], id: &ItemId) -> Option<&'a Exchange> {
        self.by_id.get(id).and_then(|&n| exchanges.get(n))
    }
}

/// What the right-hand side shows.
#[derive(Default)]
enum Side {
    /// The post form.
    #[default]
    New,
    /// One échange.
    Details(ItemId),
    /// Editing one échange.
    Edit,
}

/// The screen's state: filters, the filtered rows (recomputed only when the
/// view or the filter changes), the selection, the form, and the matches.
#[derive(Default)]
pub struct ExchangesPanel {
    filter: Filter,
    rows: Vec<usize>,
    /// The list and the filter `rows` were computed from.
    rows_of: Option<(Arc<Vec<Exchange>>, Filter)>,
    positions: Positions,
    form: Form,
    side: Side,
    suggestions: bool,
    matches: Suggestions,
    reply: String,
    confirm_delete: bool,
    moderate: super::moderation::ModerateMenu,
    /// Scroll to the selected row on the next frame.
    scroll_to: bool,
}

impl ExchangesPanel {
    /// Brings an échange forward (from a search result).
    pub fn open(&mut self, id: &str) {
        self.filter = Filter::default();
        self.suggestions = false;
        self.select(id.into());
        self.scroll_to = true;
    }

    /// Empties the form after a successful post or edit.
    pub fn applied(&mut self) {
        if let Side::Edit = self.side
            && let Some(id) = self.form.editing.take()
        {
            self.side = Side::Details(id);
        }
        self.form = Form::default();
        self.reply.clear();
    }

    /// Suggested matches computed by the node.
    pub fn set_matches(&mut self, heads: Heads, matches: Arc<Vec<Match>>) {
        self.matches.set(heads, matches);
    }

    fn select(&mut self, id: ItemId) {
        self.side = Side::Details(id);
        self.confirm_delete = false;
        self.reply.clear();
    }

    fn refresh_rows(&mut self, view: &CommunityView) {
        let current = self
            .rows_of
            .as_ref()
            .is_some_and(|(of, filter)| Arc::ptr_eq(of, &view.exchanges) && *filter == self.filter);
        if current {
            return;
        }
        // Newest first.
        let mut rows: Vec<usize> = view
            .exchanges
            .iter()
            .enumerate()
            .filter(|(_, e)| self.filter.accepts(e))
            .map(|(n, _)| n)
            .collect();
        rows.sort_by_key(|&n| std::cmp::Reverse(view.exchanges[n].created_at));
        self.rows = rows;
        self.rows_of = Some((view.exchanges.clone(), self.filter.clone()));
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let (lang, view) = (cx.lang, &**cx.view);
        let (t, x) = (lang.t(), lang.exchanges());
        self.positions.refresh(&view.exchanges);
        egui::Panel::right("exchange-side")
            .resizable(true)
            .default_size(340.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| match &self.side {
                    Side::Details(id) => {
                        let id = id.clone();
                        match self.positions.get(&view.exchanges, &id) {
                            Some(e) => self.details_ui(ui, cx, e),
                            None => self.side = Side::New,
                        }
                    }
                    Side::New | Side::Edit => self.form_ui(ui, cx),
                });
            });
        ui.heading(format!("{} — {}", view.community.name, t.exchanges));
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.suggestions, false, x.list);
            ui.selectable_value(&mut self.suggestions, true, x.suggestions);
            if !matches!(self.side, Side::New) && ui.button(x.new_button).clicked() {
                self.side = Side::New;
                self.form = Form::default();
            }
            if !view.exchanges.is_empty() {
                export_button(ui, cx, lang.files().export_csv, "echanges.csv", || {
                    Ok(csv::exchanges_csv(view))
                });
            }
        });
        ui.separator();
        if self.suggestions {
            if let Some(id) = self.matches.ui(ui, cx, &self.positions) {
                self.suggestions = false;
                self.open(id.as_str());
            }
            return;
        }
        self.filters_ui(ui, lang, view);
        self.refresh_rows(view);
        ui.label(format!("{} {}", lang.number(self.rows.len()), t.shown));
        ui.separator();
        if self.rows.is_empty() {
            ui.label(t.no_exchange);
            return;
        }
        let row_height = ui.text_style_height(&egui::TextStyle::Body) * 2.0
            + ui.spacing().item_spacing.y * 2.0
            + 4.0;
        let mut scroll = egui::ScrollArea::vertical().auto_shrink(false);
        if std::mem::take(&mut self.scroll_to)
            && let Side::Details(id) = &self.side
            && let Some(pos) = self.rows.iter().position(|&n| &view.exchanges[n].id == id)
        {
            scroll = scroll.vertical_scroll_offset(pos as f32 * row_height);
        }
        let mut clicked = None;
        scroll.show_rows(ui, row_height, self.rows.len(), |ui, range| {
            for &n in &self.rows[range] {
                let e = &view.exchanges[n];
                let selected = matches!(&self.side, Side::Details(id) if id == &e.id);
                if exchange_row_ui(ui, cx, e, selected) {
                    clicked = Some(e.id.clone());
                }
            }
        });
        if let Some(id) = clicked {
            self.select(id);
        }
    }

    fn details_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, e: &Exchange) {
        let (lang, view) = (cx.lang, &**cx.view);
        let (t, x) = (lang.t(), lang.exchanges());
        ui.horizontal(|ui| {
            ui.heading(x.details);
            if ui.button(x.close).clicked() {
                self.side = Side::New;
            }
        });
        ui.label(RichText::new(&e.title).heading().strong());
        ui.label(format!(
            "{} · {} · {} · {}",
            lang.kind(e.kind),
            view.category_label(&e.category),
            lang.mode(e.mode),
            lang.status(e.status)
        ));
        ui.label(format!(
            "{} {} · {} {}",
            t.by,
            view.member_name(&e.author),
            x.posted_on,
            lang.date(e.created_at)
        ));
        if let Some(place) = &e.place {
            ui.label(format!("{} : {place}", x.place));
        }
        ui.add_space(6.0);
        let description = e.description.as_str();
        ui.label(if description.trim().is_empty() {
            x.no_description
        } else {
            description
        });
        ui.separator();

        ui.label(RichText::new(x.replies).strong());
        if e.replies.is_empty() {
            ui.label(x.no_reply);
        }
        let mut replies: Vec<_> = e.replies.values().collect();
        replies.sort_by_key(|r| r.at);
        for r in replies {
            let kind = match r.kind {
                ReplyKind::CanHelp => x.can_help,
                ReplyKind::Interested => x.interested,
                ReplyKind::Message => x.message,
            };
            ui.label(format!(
                "{} — {kind} ({})",
                view.member_name(&r.author),
                lang.date_time(r.at)
            ));
            if !r.text.is_empty() {
                ui.label(RichText::new(&r.text).italics());
            }
        }
        if cx.me.is_none() {
            ui.label(x.not_member);
            return;
        }
        let locked = super::moderation::locked_ui(ui, cx, e.locked.as_ref());
        let mine = cx.my_id() == Some(&e.author);
        if !mine && !locked {
            ui.add_space(6.0);
            let label = ui.label(x.your_words);
            ui.text_edit_multiline(&mut self.reply)
                .labelled_by(label.id);
            ui.horizontal_wrapped(|ui| {
                let main = match e.kind {
                    ExchangeKind::Need => (ReplyKind::CanHelp, x.can_help),
                    ExchangeKind::Offer => (ReplyKind::Interested, x.interested),
                };
                let mut send = None;
                if ui.button(RichText::new(main.1).strong()).clicked() {
                    send = Some(main.0);
                }
                if !self.reply.trim().is_empty() && ui.button(x.send_message).clicked() {
                    send = Some(ReplyKind::Message);
                }
                if let Some(kind) = send {
                    cx.apply(Command::Exchanges(ExchangeCommand::ReplyToExchange {
                        exchange: e.id.clone(),
                        id: cx.new_id(),
                        kind,
                        text: self.reply.trim().to_owned(),
                    }));
                }
            });
        }
        self.moderate
            .ui(ui, cx, ItemKind::Exchange, &e.id, e.locked.as_ref());
        if !cx.may_edit(&e.author) {
            return;
        }
        ui.separator();
        ui.horizontal_wrapped(|ui| {
            let next = match e.status {
                ExchangeStatus::Open => vec![
                    (ExchangeStatus::InProgress, x.mark_in_progress),
                    (ExchangeStatus::Done, x.mark_done),
                ],
                ExchangeStatus::InProgress => vec![(ExchangeStatus::Done, x.mark_done)],
                ExchangeStatus::Done => vec![(ExchangeStatus::Open, x.reopen)],
            };
            for (status, label) in next {
                if ui.button(label).clicked() {
                    cx.apply(Command::Exchanges(ExchangeCommand::SetExchangeStatus {
                        id: e.id.clone(),
                        status,
                    }));
                }
            }
            if ui.button(x.edit).clicked() {
                self.form = Form::editing(e);
                self.side = Side::Edit;
            }
            if !self.confirm_delete {
                if ui.button(x.delete).clicked() {
                    self.confirm_delete = true;
                }
            } else {
                let confirm = egui::Button::new(
                    RichText::new(x.confirm_delete).color(ui.visuals().error_fg_color),
                );
                if ui.add(confirm).clicked() {
                    cx.apply(Command::Exchanges(ExchangeCommand::DeleteExchange {
                        id: e.id.clone(),
                    }));
                    self.side = Side::New;
                    self.confirm_delete = false;
                }
                if ui.button(t.cancel).clicked() {
                    self.confirm_delete = false;
                }
            }
        });
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

    fn form_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let (lang, view) = (cx.lang, &**cx.view);
        let (t, x) = (lang.t(), lang.exchanges());
        let form = &mut self.form;
        ui.heading(if form.editing.is_some() {
            x.edit_title
        } else {
            t.new_exchange
        });
        if cx.me.is_none() {
            ui.label(x.not_member);
            return;
        }
        if form.editing.is_none() {
            ui.horizontal(|ui| {
                for kind in ExchangeKind::ALL {
                    ui.selectable_value(&mut form.kind, *kind, lang.kind(*kind));
                }
            });
        }
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
        let label = ui.label(x.place);
        ui.text_edit_singleline(&mut form.place)
            .labelled_by(label.id);
        let label = ui.label(t.description);
        ui.text_edit_multiline(&mut form.description)
            .labelled_by(label.id);
        let ready = !form.title.trim().is_empty();
        let place = Some(form.place.trim().to_owned()).filter(|p| !p.is_empty());
        ui.horizontal(|ui| match form.editing.clone() {
            None => {
                if ui
                    .add_enabled(ready, egui::Button::new(t.publish))
                    .clicked()
                {
                    cx.apply(Command::Exchanges(ExchangeCommand::AddExchange {
                        id: cx.new_id(),
                        kind: form.kind,
                        title: form.title.trim().to_owned(),
                        description: form.description.clone(),
                        category: form.category.clone(),
                        mode: form.mode,
                        place,
                    }));
                }
            }
            Some(id) => {
                if ui
                    .add_enabled(ready, egui::Button::new(x.save_changes))
                    .clicked()
                {
                    cx.apply(Command::Exchanges(ExchangeCommand::UpdateExchange {
                        id,
                        title: Some(form.title.trim().to_owned()),
                        description: Some(form.description.clone()),
                        category: Some(form.category.clone()),
                        mode: Some(form.mode),
                        place: Some(place),
                    }));
                }
                if ui.button(t.cancel).clicked() {
                    let id = form.editing.take().expect("editing");
                    *form = Form::default();
                    self.side = Side::Details(id);
                }
            }
        });
    }
}

/// One row of the list; returns whether it was clicked.
fn exchange_row_ui(ui: &mut egui::Ui, cx: &Cx, e: &Exchange, selected: bool) -> bool {
    let (lang, view) = (cx.lang, &**cx.view);
    let t = lang.t();
    let response = ui
        .horizontal(|ui| {
            let color = match e.kind {
                ExchangeKind::Offer => egui::Color32::from_rgb(0x1b, 0x5e, 0x20),
                ExchangeKind::Need => egui::Color32::from_rgb(0x8a, 0x2b, 0x06),
            };
            let color = if ui.visuals().dark_mode {
                ui.visuals().strong_text_color()
            } else {
                color
            };
            // A fixed width keeps every title in one column.
            let height = ui.text_style_height(&egui::TextStyle::Body);
            ui.add_sized(
                [64.0, height],
                egui::Label::new(RichText::new(lang.kind(e.kind)).strong().color(color)),
            );
            ui.vertical(|ui| {
                let title = ui.selectable_label(selected, RichText::new(&e.title).strong());
                ui.label(format!(
                    "{} · {} · {} · {} {} · {}",
                    view.category_label(&e.category),
                    lang.mode(e.mode),
                    lang.status(e.status),
                    t.by,
                    view.member_name(&e.author),
                    lang.replies(e.replies.len())
                ));
                title
            })
            .inner
        })
        .inner;
    response.clicked()
}
