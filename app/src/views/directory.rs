//! The Annuaire screen: people, places and organisations of the territory,
//! filtered by kind, tag and name; an entry's contact details and its links
//! to other entries (both directions); forms to create, edit, link.

use egui::RichText;
use passerelle_core::model::normalize::fold;
use passerelle_core::model::view::CommunityPart;
use passerelle_core::model::{
    Actor, ActorKind, AnnuaireCommand, Command, CommunityView, Contact, ItemId, ItemKind,
    command::MAX_TAGS,
};

use super::Cx;
use super::cache::SameArc;
use super::files::{ImportForm, export_button};
use crate::design::{self, Kind, icon, more_icon};
use crate::i18n::directory::DirectoryStrings;
use passerelle_core::ImportKind;
use passerelle_core::model::export::csv;

mod bookable;

/// The height of an entry's card in the list: its name, its kind and tags
/// (the rest is in the detail pane).
const ROW_HEIGHT: f32 = 100.0;

/// Which entries to show.
#[derive(Clone, Debug, Default, PartialEq)]
struct Filter {
    kind: Option<ActorKind>,
    tag: Option<String>,
    text: String,
}

/// The create / edit form, as typed.
#[derive(Clone, Debug)]
struct ActorForm {
    editing: Option<ItemId>,
    kind: ActorKind,
    name: String,
    description: String,
    phone: String,
    email: String,
    website: String,
    address: String,
    tags: String,
    error: Option<&'static str>,
}

impl Default for ActorForm {
    fn default() -> Self {
        Self {
            editing: None,
            kind: ActorKind::Organisation,
            name: String::new(),
            description: String::new(),
            phone: String::new(),
            email: String::new(),
            website: String::new(),
            address: String::new(),
            tags: String::new(),
            error: None,
        }
    }
}

/// What the form means once checked.
#[derive(Debug, PartialEq)]
struct CheckedActor {
    name: String,
    description: String,
    contact: Contact,
    address: Option<String>,
    tags: Vec<String>,
}

fn non_empty(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// "cuisine, Lieu ,, cuisine" → ["cuisine", "lieu"].
fn split_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split([',', ';']).map(|t| t.trim().to_lowercase()) {
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

impl ActorForm {
    fn prefilled(a: &Actor) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            editing: Some(a.id.clone()),
            kind: a.kind,
            name: a.name.clone(),
            description: a.description.as_str().to_owned(),
            phone: text(&a.contact.phone),
            email: text(&a.contact.email),
            website: text(&a.contact.website),
            address: text(&a.address),
            tags: a.tags.join(", "),
            error: None,
        }
    }

    fn check(&self, t: &DirectoryStrings) -> Result<CheckedActor, &'static str> {
        let name = non_empty(&self.name).ok_or(t.err_name)?;
        let email = non_empty(&self.email);
        if email.as_ref().is_some_and(|e| !e.contains('@')) {
            return Err(t.err_email);
        }
        let tags = split_tags(&self.tags);
        if tags.len() > MAX_TAGS {
            return Err(t.err_tags);
        }
        Ok(CheckedActor {
            name,
            description: self.description.trim().to_owned(),
            contact: Contact {
                email,
                phone: non_empty(&self.phone),
                website: non_empty(&self.website),
            },
            address: non_empty(&self.address),
            tags,
        })
    }
}

/// The link being made from the selected entry.
#[derive(Default)]
struct LinkForm {
    other: Option<ItemId>,
    /// `None` until the user edits it: shows the usual relation.
    label: Option<String>,
    error: Option<&'static str>,
}

/// What the last command sent was, so `applied` knows what to empty.
#[derive(Clone, Debug, PartialEq)]
enum Pending {
    Saved(ItemId),
    Linked,
    Deleted,
    Other,
}

/// The screen's state: filters, rows and tags (recomputed only when the
/// annuaire or a filter changes), the selection and the forms.
#[derive(Default)]
pub struct DirectoryPanel {
    filter: Filter,
    rows: Vec<usize>,
    /// The community part and the filter `rows` and `tags` were computed
    /// from.
    rows_key: Option<(SameArc<CommunityPart>, Filter)>,
    tags: Vec<String>,
    selected: Option<ItemId>,
    reveal: bool,
    form: Option<ActorForm>,
    link: LinkForm,
    confirm_delete: bool,
    pending: Option<Pending>,
    import: ImportForm,
    moderate: super::moderation::ModerateMenu,
    bookable: bookable::BookableForm,
}

fn kind_label(t: &DirectoryStrings, kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::Person => t.person,
        ActorKind::Organisation => t.organisation,
        ActorKind::Place => t.place,
    }
}

impl DirectoryPanel {
    /// Brings an entry forward (from a search result).
    pub fn open(&mut self, id: &str) {
        self.filter = Filter::default();
        self.select(ItemId::from(id));
        self.reveal = true;
    }

    /// A command sent from this screen was saved.
    pub fn applied(&mut self) {
        match self.pending.take() {
            Some(Pending::Saved(id)) => {
                self.form = None;
                self.select(id);
                self.reveal = true;
            }
            Some(Pending::Linked) => self.link = LinkForm::default(),
            Some(Pending::Deleted) => {
                self.selected = None;
                self.confirm_delete = false;
            }
            Some(Pending::Other) | None => {}
        }
    }

    fn select(&mut self, id: ItemId) {
        if self.selected.as_ref() != Some(&id) {
            self.link = LinkForm::default();
        }
        self.selected = Some(id);
        self.form = None;
        self.confirm_delete = false;
    }

    fn send(&mut self, cx: &Cx, command: Command, pending: Pending) {
        self.pending = Some(pending);
        cx.apply(command);
    }

    fn refresh_rows(&mut self, view: &CommunityView) {
        let key = (SameArc::new(&view.community), self.filter.clone());
        if self.rows_key.as_ref() == Some(&key) {
            return;
        }
        let actors = &view.community.actors;
        let mut tags: Vec<String> = actors.iter().flat_map(|a| a.tags.clone()).collect();
        tags.sort_by_cached_key(|t| fold(t));
        tags.dedup();
        self.tags = tags;
        let words: Vec<String> = fold(&self.filter.text)
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        self.rows = (0..actors.len())
            .filter(|&n| {
                let a = &actors[n];
                let haystack = || {
                    fold(&format!(
                        "{} {} {}",
                        a.name,
                        a.description.as_str(),
                        a.tags.join(" ")
                    ))
                };
                self.filter.kind.is_none_or(|k| a.kind == k)
                    && self.filter.tag.as_ref().is_none_or(|t| a.tags.contains(t))
                    && (words.is_empty() || {
                        let text = haystack();
                        words.iter().all(|w| text.contains(w.as_str()))
                    })
            })
            .collect();
        self.rows_key = Some(key);
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let (lang, view) = (cx.lang, &**cx.view);
        let t = lang.directory();
        let selected = self
            .selected
            .as_ref()
            .and_then(|id| view.community.actors.iter().find(|a| &a.id == id));
        design::heading(ui, Kind::Place, t.nav);
        egui::Panel::right("directory-side")
            .resizable(true)
            .default_size(320.0)
            .max_size(ui.available_width() / 2.0)
            .show(ui, |ui| {
                let width = ui.available_width();
                egui::ScrollArea::vertical().show(ui, |ui| {
                    // A vertical area grows to last frame's content: cards that fill
                    // the width would keep it wider than the screen after a resize.
                    ui.set_max_width(width - ui.spacing().scroll.allocated_width());
                    ui.add_space(design::GAP);
                    if self.form.is_some() {
                        self.form_ui(ui, cx);
                    } else if let Some(actor) = selected {
                        self.detail_ui(ui, cx, actor);
                    } else {
                        design::empty(ui, t.pick_actor);
                    }
                });
            });
        self.filters_ui(ui, cx);
        self.refresh_rows(view);
        design::meta(ui, format!("{} {}", lang.number(self.rows.len()), t.shown));
        ui.add_space(design::GAP / 2.0);
        if self.rows.is_empty() {
            let empty = if view.community.actors.is_empty() {
                t.no_actor_yet
            } else {
                t.no_actor
            };
            design::empty(ui, empty);
            return;
        }
        let spacing = ui.spacing().item_spacing.y;
        let list_width = ui.available_width() - ui.spacing().scroll.allocated_width();
        let mut area = egui::ScrollArea::vertical()
            .id_salt("directory-list")
            .auto_shrink(false);
        let selected_id = selected.map(|a| a.id.clone());
        if self.reveal
            && let Some(id) = &selected_id
            && let Some(n) = self
                .rows
                .iter()
                .position(|&n| &view.community.actors[n].id == id)
        {
            area = area.vertical_scroll_offset(n as f32 * (ROW_HEIGHT + spacing));
        }
        self.reveal = false;
        let mut clicked = None;
        area.show_rows(ui, ROW_HEIGHT, self.rows.len(), |ui, range| {
            // The cards fill the width: keep it to the room left (see `list_card`).
            ui.set_max_width(list_width);
            for &n in &self.rows[range] {
                let a = &view.community.actors[n];
                let is_selected = selected_id.as_ref() == Some(&a.id);
                let card = design::list_card(ui, Kind::Place, ROW_HEIGHT, is_selected, |ui| {
                    if design::title_link(ui, &a.name).clicked() {
                        clicked = Some(a.id.clone());
                    }
                    ui.horizontal(|ui| {
                        design::tag(ui, Kind::Place, kind_label(t, a.kind));
                        if !a.tags.is_empty() {
                            design::meta_with(ui, more_icon::TAG, a.tags.join(", "));
                        }
                    });
                });
                if card.response.clicked() {
                    clicked = Some(a.id.clone());
                }
            }
        });
        if let Some(id) = clicked {
            self.select(id);
        }
    }

    fn filters_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.directory();
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(t.filter);
            ui.add(
                egui::TextEdit::singleline(&mut self.filter.text)
                    .hint_text(t.filter_hint)
                    .desired_width(200.0),
            )
            .labelled_by(label.id);
            if cx.me.is_some() && design::icon_button(ui, icon::ADD, t.new_actor).clicked() {
                self.form = Some(ActorForm::default());
                self.confirm_delete = false;
            }
        });
        ui.horizontal_wrapped(|ui| {
            for (kind, label) in [
                (None, t.all),
                (Some(ActorKind::Person), t.people),
                (Some(ActorKind::Place), t.places),
                (Some(ActorKind::Organisation), t.organisations),
            ] {
                ui.selectable_value(&mut self.filter.kind, kind, label);
            }
            ui.separator();
            let label = ui.label(t.tag);
            let selected = self
                .filter
                .tag
                .clone()
                .unwrap_or_else(|| t.any_tag.to_owned());
            egui::ComboBox::from_id_salt("directory-tag")
                .selected_text(selected)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.tag, None, t.any_tag);
                    for tag in &self.tags {
                        ui.selectable_value(&mut self.filter.tag, Some(tag.clone()), tag);
                    }
                })
                .response
                .labelled_by(label.id);
        });
        let f = cx.lang.files();
        ui.horizontal_wrapped(|ui| {
            export_button(ui, cx, f.export_csv, "annuaire.csv", || {
                Ok(csv::annuaire_csv(cx.view))
            });
        });
        if cx.me.is_some() {
            egui::CollapsingHeader::new(f.import_title)
                .id_salt("directory_import")
                .show(ui, |ui| {
                    self.import.ui(
                        ui,
                        cx,
                        ImportKind::Annuaire,
                        f.import_csv,
                        f.import_hint_csv,
                    )
                });
        }
    }

    fn detail_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, a: &Actor) {
        let t = cx.lang.directory();
        ui.horizontal(|ui| {
            design::tag(ui, Kind::Place, kind_label(t, a.kind));
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                self.more_menu_ui(ui, cx, a);
            });
        });
        ui.heading(&a.name);
        if !a.description.as_str().trim().is_empty() {
            ui.label(a.description.as_str());
        }
        let contact = [
            (more_icon::PHONE, t.phone, &a.contact.phone),
            (more_icon::EMAIL, t.email, &a.contact.email),
            (more_icon::WEBSITE, t.website, &a.contact.website),
            (icon::PLACE, t.address, &a.address),
        ];
        if contact.iter().any(|(_, _, v)| v.is_some()) {
            ui.add_space(design::GAP);
            ui.label(RichText::new(t.contact).strong());
            for (icon, label, value) in contact {
                if let Some(value) = value {
                    ui.horizontal(|ui| {
                        ui.label(design::icon_text(icon, design::BODY + 2.0).weak())
                            .on_hover_text(label);
                        ui.label(value.as_str());
                    });
                }
            }
        }
        if !a.tags.is_empty() {
            ui.horizontal_wrapped(|ui| {
                ui.label(design::icon_text(more_icon::TAG, design::BODY).weak())
                    .on_hover_text(t.tag);
                for tag in &a.tags {
                    // A tag filters the list to its entries.
                    if ui.small_button(format!("#{tag}")).clicked() {
                        self.filter.tag = Some(tag.clone());
                    }
                }
            });
        }
        let may_add = cx.me.is_some() && cx.may_edit(&a.created_by);
        let item = (ItemKind::Actor, &a.id);
        crate::attachments::item_ui(ui, cx, item, &a.attachments, &a.created_by, may_add);
        ui.add_space(design::GAP / 2.0);
        if cx.me.is_some() && design::icon_button(ui, icon::EDIT, t.edit).clicked() {
            self.form = Some(ActorForm::prefilled(a));
            self.confirm_delete = false;
        }
        if self.confirm_delete {
            ui.label(RichText::new(t.delete_question).strong());
            ui.horizontal(|ui| {
                let confirm = RichText::new(t.confirm_delete).color(ui.visuals().error_fg_color);
                if ui.button(confirm).clicked() {
                    self.send(
                        cx,
                        Command::Annuaire(AnnuaireCommand::DeleteActor { id: a.id.clone() }),
                        Pending::Deleted,
                    );
                }
                if ui.button(t.cancel).clicked() {
                    self.confirm_delete = false;
                }
            });
        }
        self.moderate.panel_ui(ui, cx, ItemKind::Actor, &a.id, None);
        self.bookable.ui(ui, cx, a);
        ui.add_space(design::SECTION);
        self.links_ui(ui, cx, a);
        if cx.me.is_some() {
            ui.add_space(design::GAP);
            self.link_form_ui(ui, cx, a);
        }
    }

    /// The "…" menu of an entry: deleting it (for its author, animateurs
    /// and admins) and moderating it.
    fn more_menu_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, a: &Actor) {
        let may_delete = cx.me.is_some() && cx.may_edit(&a.created_by);
        if !may_delete && !cx.is_moderator() {
            return;
        }
        let t = cx.lang.directory();
        design::more_menu(ui, cx.lang.t().more_actions, |ui| {
            if may_delete && design::icon_button(ui, icon::DELETE, t.delete).clicked() {
                self.confirm_delete = true;
                self.form = None;
            }
            self.moderate.menu_ui(ui, cx, ItemKind::Actor, &a.id, None);
        });
    }

    /// Links in both directions, as sentences: "Authenti'Cité gère [Cuisine]".
    fn links_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, a: &Actor) {
        let view = &**cx.view;
        let t = cx.lang.directory();
        ui.horizontal(|ui| {
            ui.label(design::icon_text(more_icon::LINK, design::BODY + 2.0).weak());
            ui.label(RichText::new(t.links).strong());
        });
        let name_of = |id: &ItemId| {
            view.community
                .actors
                .iter()
                .find(|x| &x.id == id)
                .map(|x| x.name.as_str())
        };
        let mut open = None;
        let mut unlink = None;
        let mut any = false;
        for link in &view.community.links {
            let outgoing = link.from == a.id;
            if !outgoing && link.to != a.id {
                continue;
            }
            let other = if outgoing { &link.to } else { &link.from };
            let Some(other_name) = name_of(other) else {
                continue;
            };
            any = true;
            ui.horizontal_wrapped(|ui| {
                if outgoing {
                    ui.label(format!("{} {}", a.name, link.label));
                    if ui.link(other_name).clicked() {
                        open = Some(other.clone());
                    }
                } else {
                    if ui.link(other_name).clicked() {
                        open = Some(other.clone());
                    }
                    ui.label(format!("{} {}", link.label, a.name));
                }
                if cx.me.is_some() && ui.small_button(t.unlink).clicked() {
                    unlink = Some(link.id.clone());
                }
            });
        }
        if !any {
            design::meta(ui, t.no_links);
        }
        if let Some(id) = unlink {
            self.send(
                cx,
                Command::Annuaire(AnnuaireCommand::Unlink { id }),
                Pending::Other,
            );
        }
        if let Some(id) = open {
            self.select(id);
            self.reveal = true;
        }
    }

    fn link_form_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, a: &Actor) {
        let view = &**cx.view;
        let t = cx.lang.directory();
        ui.label(RichText::new(t.link_to).strong());
        let link = &mut self.link;
        let other_name = link
            .other
            .as_ref()
            .and_then(|id| view.community.actors.iter().find(|x| &x.id == id))
            .map_or(t.choose, |x| x.name.as_str());
        let label = ui.label(t.link_other);
        egui::ComboBox::from_id_salt("directory-link-other")
            .selected_text(other_name)
            .show_ui(ui, |ui| {
                for other in view.community.actors.iter().filter(|x| x.id != a.id) {
                    ui.selectable_value(&mut link.other, Some(other.id.clone()), &other.name);
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label(t.link_label);
        let text = link
            .label
            .get_or_insert_with(|| t.default_link_label.to_owned());
        ui.add(egui::TextEdit::singleline(text).hint_text(t.link_label_hint))
            .labelled_by(label.id);
        if let Some(error) = link.error {
            ui.label(
                RichText::new(error)
                    .strong()
                    .color(ui.visuals().error_fg_color),
            );
        }
        if ui.button(t.add_link).clicked() {
            let label = link.label.as_deref().map(str::trim).unwrap_or_default();
            let checked = match (&link.other, label.is_empty()) {
                (None, _) => Err(t.err_link_other),
                (_, true) => Err(t.err_link_label),
                (Some(other), false) => Ok((other.clone(), label.to_owned())),
            };
            match checked {
                Err(e) => link.error = Some(e),
                Ok((to, label)) => {
                    link.error = None;
                    let command = Command::Annuaire(AnnuaireCommand::LinkActors {
                        id: cx.new_id(),
                        from: a.id.clone(),
                        to,
                        label,
                    });
                    self.send(cx, command, Pending::Linked);
                }
            }
        }
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.directory();
        let Some(form) = self.form.as_mut() else {
            return;
        };
        ui.heading(if form.editing.is_some() {
            t.edit_actor
        } else {
            t.new_actor
        });
        ui.label(t.kind);
        ui.horizontal(|ui| {
            for kind in ActorKind::ALL {
                // The kind of an existing entry cannot change.
                let enabled = form.editing.is_none() || form.kind == *kind;
                let button = egui::Button::selectable(form.kind == *kind, kind_label(t, *kind));
                if ui.add_enabled(enabled, button).clicked() {
                    form.kind = *kind;
                }
            }
        });
        let field = |ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str| {
            let label = ui.label(label);
            ui.add(egui::TextEdit::singleline(value).hint_text(hint))
                .labelled_by(label.id);
        };
        field(ui, t.name, &mut form.name, "");
        let label = ui.label(t.description);
        ui.add(egui::TextEdit::multiline(&mut form.description).desired_rows(3))
            .labelled_by(label.id);
        field(ui, t.phone, &mut form.phone, "");
        field(ui, t.email, &mut form.email, "");
        field(ui, t.website, &mut form.website, "");
        field(ui, t.address, &mut form.address, "");
        field(ui, t.tags, &mut form.tags, t.tags_hint);
        if let Some(error) = form.error {
            ui.label(
                RichText::new(error)
                    .strong()
                    .color(ui.visuals().error_fg_color),
            );
        }
        let (mut submit, mut cancel) = (false, false);
        ui.horizontal(|ui| {
            submit = ui
                .button(if form.editing.is_some() {
                    t.save
                } else {
                    t.create
                })
                .clicked();
            cancel = ui.button(t.cancel).clicked();
        });
        if cancel {
            self.form = None;
            return;
        }
        if !submit {
            return;
        }
        let checked = match form.check(t) {
            Ok(c) => c,
            Err(e) => {
                form.error = Some(e);
                return;
            }
        };
        form.error = None;
        let (command, id) = match form.editing.clone() {
            Some(id) => (
                Command::Annuaire(AnnuaireCommand::UpdateActor {
                    id: id.clone(),
                    name: Some(checked.name),
                    description: Some(checked.description),
                    contact: Some(checked.contact),
                    address: Some(checked.address),
                    tags: Some(checked.tags),
                }),
                id,
            ),
            None => {
                let id = cx.new_id();
                (
                    Command::Annuaire(AnnuaireCommand::AddActor {
                        id: id.clone(),
                        kind: form.kind,
                        name: checked.name,
                        description: checked.description,
                        contact: checked.contact,
                        address: checked.address,
                        tags: checked.tags,
                    }),
                    id,
                )
            }
        };
        self.send(cx, command, Pending::Saved(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_split_on_commas_lowered_and_deduplicated() {
        assert_eq!(
            split_tags("Cuisine, lieu ,, cuisine; Jardin "),
            ["cuisine", "lieu", "jardin"]
        );
        assert!(split_tags(" , ").is_empty());
    }

    #[test]
    fn the_form_explains_what_is_wrong() {
        let t = &crate::i18n::directory::FR;
        let mut form = ActorForm {
            name: "Ressourcerie".into(),
            email: "contact.example".into(),
            ..Default::default()
        };
        assert_eq!(form.check(t), Err(t.err_email));
        form.email = " contact@ressourcerie.example ".into();
        form.tags = "réemploi, Lieu".into();
        let checked = form.check(t).unwrap();
        assert_eq!(
            checked.contact.email.as_deref(),
            Some("contact@ressourcerie.example")
        );
        assert_eq!(checked.contact.phone, None);
        assert_eq!(checked.tags, ["réemploi", "lieu"]);
        form.name = " ".into();
        assert_eq!(form.check(t), Err(t.err_name));
    }
}
