//! The Échanges screen: offers and needs as cards with filters; one
//! échange's details, replies ("je peux aider", "ça m'intéresse"), status,
//! and, in its "…" menu, edit, delete and moderation ([`details`]); a form
//! to post one ([`form`]); and suggested matches between offers and needs,
//! side by side ([`suggestions`]).
//!
//! A community may hold tens of thousands of échanges: a frame draws only
//! the cards on screen (they all have one height), and what is derived from
//! the list (the filtered rows, where each échange is) is rebuilt only when
//! the view brings another list.

mod details;
mod form;
mod suggestions;

use std::collections::HashMap;
use std::sync::Arc;

use passerelle_core::model::matching::Match;
use passerelle_core::model::view::Heads;
use passerelle_core::model::{CommunityView, Exchange, ExchangeKind, ExchangeStatus, ItemId};

use super::Cx;
use super::files::export_button;
use crate::attachments;
use crate::design::{self, Kind, card_icon, icon};
use crate::i18n::Lang;
use form::Form;
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

/// What the right-hand side shows: nothing until an échange is opened or
/// "Je propose" / "Je cherche" is clicked, so the cards have the width.
#[derive(Default)]
enum Side {
    /// No side: the list alone.
    #[default]
    Closed,
    /// The post form.
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
    /// Scroll to the top of the list on the next frame.
    scroll_top: bool,
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
        match self.side {
            Side::Edit => {
                if let Some(id) = self.form.editing.take() {
                    self.side = Side::Details(id);
                }
            }
            // Posted: it is at the top of the list.
            Side::New => self.side = Side::Closed,
            Side::Closed | Side::Details(_) => {}
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

    /// Opens the form to post an échange of `kind`, its title focused.
    fn new_form(&mut self, kind: ExchangeKind) {
        self.side = Side::New;
        self.form = Form {
            kind,
            focus_title: true,
            ..Form::default()
        };
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let (lang, view) = (cx.lang, &**cx.view);
        let (t, x) = (lang.t(), lang.exchanges());
        self.positions.refresh(&view.exchanges);
        if !matches!(self.side, Side::Closed) {
            egui::Panel::right("exchange-side")
                .resizable(true)
                .default_size(320.0)
                .show(ui, |ui| {
                    ui.add_space(design::GAP);
                    egui::ScrollArea::vertical().show(ui, |ui| match &self.side {
                        Side::Details(id) => {
                            let id = id.clone();
                            match self.positions.get(&view.exchanges, &id) {
                                Some(e) => self.details_ui(ui, cx, e),
                                None => self.side = Side::Closed,
                            }
                        }
                        Side::New | Side::Edit => self.form_ui(ui, cx),
                        Side::Closed => {}
                    });
                });
        }
        ui.add_space(design::GAP);
        design::heading(ui, Kind::Offer, t.exchanges);
        ui.add_space(design::GAP);
        ui.horizontal_wrapped(|ui| {
            if cx.me.is_some() {
                for (kind, label, explain) in [
                    (ExchangeKind::Offer, x.offer_button, x.offer_explain),
                    (ExchangeKind::Need, x.need_button, x.need_explain),
                ] {
                    let look = exchange_kind(kind);
                    if design::icon_button(ui, look.icon(), label)
                        .on_hover_text(explain)
                        .clicked()
                    {
                        self.new_form(kind);
                    }
                }
                ui.separator();
            }
            ui.selectable_value(&mut self.suggestions, false, x.list);
            ui.selectable_value(&mut self.suggestions, true, x.suggestions);
            if !view.exchanges.is_empty() {
                export_button(ui, cx, lang.files().export_csv, "echanges.csv", || {
                    Ok(csv::exchanges_csv(view))
                });
            }
        });
        ui.add_space(design::GAP);
        if self.suggestions {
            if let Some(id) = self.matches.ui(ui, cx, &self.positions) {
                self.suggestions = false;
                self.open(id.as_str());
            }
            return;
        }
        self.filters_ui(ui, lang, view);
        self.refresh_rows(view);
        design::meta(ui, format!("{} {}", lang.number(self.rows.len()), t.shown));
        ui.add_space(design::GAP);
        if self.rows.is_empty() {
            design::empty(
                ui,
                if view.exchanges.is_empty() {
                    x.nothing_yet
                } else {
                    x.no_match
                },
            );
            return;
        }
        let card_height = design::list_card_height(ui, 2);
        let row_height = card_height + design::GAP - ui.spacing().item_spacing.y;
        let mut scroll = egui::ScrollArea::vertical().auto_shrink(false);
        if std::mem::take(&mut self.scroll_top) {
            scroll = scroll.vertical_scroll_offset(0.0);
        }
        if std::mem::take(&mut self.scroll_to)
            && let Side::Details(id) = &self.side
            && let Some(pos) = self.rows.iter().position(|&n| &view.exchanges[n].id == id)
        {
            scroll = scroll
                .vertical_scroll_offset(pos as f32 * (row_height + ui.spacing().item_spacing.y));
        }
        let mut clicked = None;
        scroll.show_rows(ui, row_height, self.rows.len(), |ui, range| {
            for &n in &self.rows[range] {
                let e = &view.exchanges[n];
                let selected = matches!(&self.side, Side::Details(id) if id == &e.id);
                if exchange_card_ui(ui, cx, e, selected, card_height) {
                    clicked = Some(e.id.clone());
                }
            }
        });
        if let Some(id) = clicked {
            self.select(id);
        }
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
}

/// The look of an échange kind: an offer never looks like a need.
fn exchange_kind(kind: ExchangeKind) -> Kind {
    match kind {
        ExchangeKind::Offer => Kind::Offer,
        ExchangeKind::Need => Kind::Need,
    }
}

/// One card of the list, `height` high: the kind, the title and the status
/// on a line, who posted it and the details on the next. Returns whether
/// it was clicked.
fn exchange_card_ui(ui: &mut egui::Ui, cx: &Cx, e: &Exchange, selected: bool, height: f32) -> bool {
    let (lang, view) = (cx.lang, &**cx.view);
    let kind = exchange_kind(e.kind);
    let line = design::list_card_line(ui);
    design::opened(design::list_card(ui, kind, height, selected, |ui| {
        attachments::with_thumb(ui, cx, &e.attachments, |ui| {
            let title = ui
                .horizontal(|ui| {
                    ui.set_height(line);
                    design::tag(ui, kind, lang.kind(e.kind));
                    if e.status != ExchangeStatus::Open {
                        status_ui(ui, lang, e.status);
                    }
                    design::title_link(ui, &e.title).clicked()
                })
                .inner;
            ui.horizontal(|ui| {
                ui.set_height(line);
                design::person(ui, view.member_name(&e.author), e.author.as_str());
                ui.add_space(design::GAP);
                design::meta_with(ui, card_icon::CATEGORY, view.category_label(&e.category));
                design::meta(ui, lang.mode(e.mode));
                design::meta_with(ui, icon::FORUM, lang.replies(e.replies.len()));
                attachments::count_ui(ui, lang, &e.attachments);
            });
            title
        })
    }))
}

/// "En cours", "Réalisé": a quiet word with its icon.
fn status_ui(ui: &mut egui::Ui, lang: Lang, status: ExchangeStatus) {
    let icon = match status {
        ExchangeStatus::Done => icon::DONE,
        ExchangeStatus::Open | ExchangeStatus::InProgress => icon::TIME,
    };
    design::meta_with(ui, icon, lang.status(status));
}
