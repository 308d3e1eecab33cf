//! The form to post an échange, or to edit one: the kind first (two large
//! choices), the title, then what is optional, and "Publier" standing out.

use passerelle_core::model::{
    Command, Exchange, ExchangeCommand, ExchangeKind, ExchangeMode, ItemId, ItemKind,
};

use super::{ExchangesPanel, Side, exchange_kind};
use crate::attachments::{self, Dest};
use crate::design::{self, icon};
use crate::views::Cx;

/// The key of the files chosen in the form before the échange exists.
const FORM: &str = "exchange-form";

/// The post (or edit) form.
pub(super) struct Form {
    /// The échange edited, or `None` for a new one.
    pub(super) editing: Option<ItemId>,
    pub(super) kind: ExchangeKind,
    pub(super) title: String,
    pub(super) category: String,
    pub(super) mode: ExchangeMode,
    pub(super) place: String,
    pub(super) description: String,
    /// Moves the focus to the title on the next frame ("Je propose" was
    /// clicked: the person can type at once).
    pub(super) focus_title: bool,
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
            focus_title: false,
        }
    }
}

impl Form {
    pub(super) fn editing(e: &Exchange) -> Self {
        Self {
            editing: Some(e.id.clone()),
            kind: e.kind,
            title: e.title.clone(),
            category: e.category.clone(),
            mode: e.mode,
            place: e.place.clone().unwrap_or_default(),
            description: e.description.as_str().to_owned(),
            focus_title: true,
        }
    }
}

impl ExchangesPanel {
    pub(super) fn form_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let (lang, view) = (cx.lang, &**cx.view);
        let (t, x) = (lang.t(), lang.exchanges());
        let form = &mut self.form;
        let kind = exchange_kind(form.kind);
        design::heading(
            ui,
            kind,
            if form.editing.is_some() {
                x.edit_title
            } else {
                t.new_exchange
            },
        );
        if cx.me.is_none() {
            design::empty(ui, x.not_member);
            return;
        }
        ui.add_space(design::GAP);
        if form.editing.is_none() {
            ui.horizontal(|ui| {
                for k in ExchangeKind::ALL {
                    let label = lang.kind(*k);
                    let text = (
                        exchange_kind(*k).icon().rich_text(),
                        egui::RichText::new(label),
                    );
                    let selected = form.kind == *k;
                    let response = ui.selectable_value(&mut form.kind, *k, text);
                    // Read as its word alone, not the icon's private character.
                    response.widget_info(|| {
                        egui::WidgetInfo::selected(egui::Role::Button, true, selected, label)
                    });
                }
            });
        }
        let label = ui.label(t.title);
        let title = ui
            .add(egui::TextEdit::singleline(&mut form.title).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        if std::mem::take(&mut form.focus_title) {
            title.request_focus();
        }
        if form.category.is_empty()
            && let Some(first) = view.community.categories.first()
        {
            form.category = first.id.clone();
        }
        ui.add_space(design::GAP / 2.0);
        egui::Grid::new("exchange-form-choices")
            .num_columns(2)
            .spacing([design::GAP, design::GAP / 2.0])
            .show(ui, |ui| {
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
                ui.end_row();
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
                ui.end_row();
            });
        ui.add_space(design::GAP / 2.0);
        let label = ui.label(x.place);
        ui.add(egui::TextEdit::singleline(&mut form.place).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        let label = ui.label(t.description);
        ui.add(
            egui::TextEdit::multiline(&mut form.description)
                .desired_rows(3)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        match &form.editing {
            // An échange that exists takes its files at once.
            Some(id) => {
                let e = view.exchanges.iter().find(|e| &e.id == id);
                if let Some(e) = e {
                    let item = (ItemKind::Exchange, &e.id);
                    attachments::item_ui(ui, cx, item, &e.attachments, &e.author, true);
                }
            }
            None => {
                ui.add_space(design::GAP / 2.0);
                attachments::add_ui(ui, cx, Dest::Form(FORM));
            }
        }
        ui.add_space(design::GAP);
        let ready = !form.title.trim().is_empty();
        let place = Some(form.place.trim().to_owned()).filter(|p| !p.is_empty());
        let mut posted = false;
        ui.horizontal(|ui| match form.editing.clone() {
            None => {
                if design::primary_button(ui, kind, kind.icon(), t.publish, ready).clicked() {
                    posted = true;
                    let id = cx.new_id();
                    let command = Command::Exchanges(ExchangeCommand::AddExchange {
                        id: id.clone(),
                        kind: form.kind,
                        title: form.title.trim().to_owned(),
                        description: form.description.clone(),
                        category: form.category.clone(),
                        mode: form.mode,
                        place,
                    });
                    let files = cx.files.take_staged(FORM);
                    cx.files
                        .apply_with(cx, command, ItemKind::Exchange, id, files);
                }
                if ui.button(t.cancel).clicked() {
                    *form = Form::default();
                    cx.files.clear_staged(FORM);
                    self.side = Side::Closed;
                }
            }
            Some(id) => {
                if design::primary_button(ui, kind, icon::DONE, x.save_changes, ready).clicked() {
                    cx.apply(Command::Exchanges(ExchangeCommand::UpdateExchange {
                        id,
                        title: Some(form.title.trim().to_owned()),
                        description: Some(form.description.clone()),
                        category: Some(form.category.clone()),
                        mode: Some(form.mode),
                        place: Some(place),
                    }));
                }
                if ui.button(t.cancel).clicked()
                    && let Some(id) = form.editing.take()
                {
                    *form = Form::default();
                    self.side = Side::Details(id);
                }
            }
        });
        // The newest échange comes first: show the top of the list, where
        // it is about to appear.
        self.scroll_top |= posted;
    }
}
