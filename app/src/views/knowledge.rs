//! The Savoirs screen: collaborative sheets (project sheets, how-tos) that
//! anyone can read, complete and correct, part by part.
//!
//! A section's body is a shared text: what a save sends is merged as text
//! edits, so two members changing different passages on different devices
//! both keep their words. When the sheet changes on this device while
//! someone writes (a sync arrived), the draft is kept, the saved version is
//! shown beside it, and a save merges the two when they touch different
//! passages.

use egui::RichText;
use passerelle_core::model::{
    Command, CommunityView, ItemId, ItemKind, SavoirsCommand, Section, Sheet,
};

use super::Cx;
use super::cache::SameArc;
use crate::bridge::Msg;
use crate::design::{self, Kind, icon, more_icon};
use crate::i18n::Lang;
use crate::i18n::knowledge::KnowledgeStrings;
use passerelle_core::model::export::markdown;
use passerelle_core::model::normalize::slug;

/// The height of a sheet's card in the list: its title, its author and
/// its number of parts.
const ROW_HEIGHT: f32 = 92.0;

/// The form to start a sheet.
#[derive(Default)]
struct SheetForm {
    title: String,
    heading: String,
    body: String,
}

/// The form to add a part at the end of the selected sheet.
#[derive(Default)]
struct SectionForm {
    heading: String,
    body: String,
}

/// A section being edited: what it said when editing began, and the draft.
struct Draft {
    sheet: ItemId,
    section: String,
    base_heading: String,
    base_body: String,
    heading: String,
    body: String,
    /// Bumped on every keystroke, so the merge preview is redone only then.
    revision: u64,
}

impl Draft {
    fn new(sheet: &Sheet, section: &Section) -> Self {
        Self {
            sheet: sheet.id.clone(),
            section: section.id.clone(),
            base_heading: section.heading.clone(),
            base_body: section.body.as_str().to_owned(),
            heading: section.heading.clone(),
            body: section.body.as_str().to_owned(),
            revision: 0,
        }
    }
}

/// What happened to the edited section since editing began.
enum Underneath {
    Unchanged,
    /// Someone else saved it: their version, and the merge of both if the
    /// two changes touch different passages.
    Changed {
        heading: String,
        body: String,
        merged: Option<String>,
    },
    /// The sheet is gone.
    Deleted,
}

impl Underneath {
    fn of(draft: &Draft, view: &CommunityView) -> Self {
        let section = view
            .sheets
            .iter()
            .find(|s| s.id == draft.sheet)
            .and_then(|s| s.sections.iter().find(|x| x.id == draft.section));
        let Some(section) = section else {
            return Underneath::Deleted;
        };
        let body = section.body.as_str();
        if section.heading == draft.base_heading && body == draft.base_body {
            return Underneath::Unchanged;
        }
        Underneath::Changed {
            heading: section.heading.clone(),
            body: body.to_owned(),
            merged: merge(&draft.base_body, &draft.body, body),
        }
    }
}

/// The command last sent from this screen, so `applied` acts on the right form.
enum Pending {
    Create(ItemId),
    AddSection,
    Edit,
    Delete,
}

/// The sheets and the draft's revision `Underneath` was computed from.
type UnderneathKey = (SameArc<Vec<Sheet>>, u64);

/// The Savoirs screen's state: the selected sheet, the forms, and the
/// section being edited with what happened to it underneath (recomputed
/// only when the sheets or the draft change).
#[derive(Default)]
pub struct KnowledgePanel {
    selected: Option<ItemId>,
    creating: Option<SheetForm>,
    adding: Option<SectionForm>,
    draft: Option<Draft>,
    underneath: Option<(UnderneathKey, Underneath)>,
    confirm_delete: bool,
    pending: Option<Pending>,
    scroll_to_selected: bool,
    moderate: super::moderation::ModerateMenu,
}

impl KnowledgePanel {
    /// Selects a sheet (from a search result).
    pub fn open(&mut self, id: &str) {
        self.select(ItemId::from(id));
        self.scroll_to_selected = true;
    }

    /// Empties the form that was just saved.
    pub fn applied(&mut self) {
        match self.pending.take() {
            Some(Pending::Create(id)) => {
                self.creating = None;
                self.select(id);
            }
            Some(Pending::AddSection) => self.adding = None,
            Some(Pending::Edit) => self.draft = None,
            Some(Pending::Delete) => {
                self.selected = None;
                self.confirm_delete = false;
            }
            None => {}
        }
    }

    fn select(&mut self, id: ItemId) {
        if self.selected.as_ref() != Some(&id) {
            self.adding = None;
            self.confirm_delete = false;
        }
        self.selected = Some(id);
        self.creating = None;
    }

    fn apply(&mut self, cx: &Cx, pending: Pending, command: Command) {
        self.pending = Some(pending);
        cx.apply(command);
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.knowledge();
        self.refresh_underneath(cx.view);
        egui::Panel::left("sheets-list")
            .resizable(true)
            .default_size(300.0)
            .max_size(ui.available_width() / 2.0)
            .show(ui, |ui| self.list_ui(ui, cx));
        let width = ui.available_width();
        egui::ScrollArea::vertical()
            .id_salt("sheet-detail")
            .auto_shrink(false)
            .show(ui, |ui| {
                // A vertical area grows to last frame's content: cards that fill
                // the width would keep it wider than the screen after a resize.
                ui.set_max_width(width - ui.spacing().scroll.allocated_width());
                if let Some(form) = &mut self.creating {
                    match create_ui(ui, cx, form) {
                        FormAction::Sent(id) => self.pending = Some(Pending::Create(id)),
                        FormAction::Cancel => self.creating = None,
                        FormAction::None => {}
                    }
                    return;
                }
                let sheet = self
                    .selected
                    .as_ref()
                    .and_then(|id| cx.view.sheets.iter().find(|s| &s.id == id));
                if let Some(sheet) = sheet {
                    self.sheet_ui(ui, cx, sheet);
                } else if self.draft.is_some() {
                    self.deleted_ui(ui, t);
                } else {
                    ui.add_space(design::GAP);
                    design::empty(ui, t.pick_sheet);
                }
            });
    }

    fn refresh_underneath(&mut self, view: &CommunityView) {
        let Some(draft) = &self.draft else {
            self.underneath = None;
            return;
        };
        let key = (SameArc::new(&view.sheets), draft.revision);
        if self.underneath.as_ref().is_some_and(|(k, _)| *k == key) {
            return;
        }
        self.underneath = Some((key, Underneath::of(draft, view)));
    }

    fn list_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let (t, lang) = (cx.lang.knowledge(), cx.lang);
        ui.add_space(design::GAP);
        design::heading(ui, Kind::Knowledge, t.nav);
        if active(cx) && design::icon_button(ui, icon::ADD, t.new_sheet).clicked() {
            self.creating = Some(SheetForm::default());
            self.selected = None;
        }
        ui.add_space(design::GAP);
        let sheets = &cx.view.sheets;
        if sheets.is_empty() {
            design::empty(ui, t.no_sheets);
            return;
        }
        let spacing = ui.spacing().item_spacing.y;
        let scroll_to = self
            .scroll_to_selected
            .then(|| self.selected.clone())
            .flatten();
        let list_width = ui.available_width() - ui.spacing().scroll.allocated_width();
        let mut area = egui::ScrollArea::vertical()
            .id_salt("sheets-rows")
            .auto_shrink(false);
        if let Some(n) = scroll_to
            .as_ref()
            .and_then(|id| sheets.iter().position(|s| &s.id == id))
        {
            area = area.vertical_scroll_offset(n as f32 * (ROW_HEIGHT + spacing));
        }
        let mut clicked = None;
        area.show_rows(ui, ROW_HEIGHT, sheets.len(), |ui, range| {
            // The cards fill the width: keep it to the room left (see `list_card`).
            ui.set_max_width(list_width);
            for sheet in &sheets[range] {
                let selected = self.selected.as_ref() == Some(&sheet.id);
                let card = design::list_card(ui, Kind::Knowledge, ROW_HEIGHT, selected, |ui| {
                    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                    if design::title_link(ui, &sheet.title).clicked() {
                        clicked = Some(sheet.id.clone());
                    }
                    ui.horizontal(|ui| {
                        let author = cx.view.member_name(&sheet.created_by);
                        design::avatar(ui, author, sheet.created_by.as_str(), 22.0);
                        design::meta(
                            ui,
                            format!("{author} · {}", part_count(lang, sheet.sections.len())),
                        );
                    });
                });
                if card.response.clicked() {
                    clicked = Some(sheet.id.clone());
                }
            }
        });
        if scroll_to.is_some() {
            self.scroll_to_selected = false;
        }
        if let Some(id) = clicked {
            self.select(id);
        }
    }

    fn sheet_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, sheet: &Sheet) {
        let (t, lang) = (cx.lang.knowledge(), cx.lang);
        ui.add_space(design::GAP);
        ui.horizontal(|ui| {
            design::tag(ui, Kind::Knowledge, t.sheet);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                self.more_menu_ui(ui, cx, sheet);
            });
        });
        ui.heading(&sheet.title);
        ui.horizontal_wrapped(|ui| {
            let author = cx.view.member_name(&sheet.created_by);
            design::avatar(ui, author, sheet.created_by.as_str(), 28.0);
            ui.label(format!("{} {author}", t.started_by));
            design::meta_inline(
                ui,
                more_icon::HISTORY,
                format!("{} {}", t.updated, lang.short_date(sheet.updated_at)),
            );
        });
        if !active(cx) {
            ui.label(RichText::new(t.read_only).italics());
        }
        if self.confirm_delete {
            self.delete_ui(ui, cx, sheet);
        }
        self.moderate
            .panel_ui(ui, cx, ItemKind::Sheet, &sheet.id, None);
        ui.add_space(design::GAP);
        for section in &sheet.sections {
            let editing = self
                .draft
                .as_ref()
                .is_some_and(|d| d.sheet == sheet.id && d.section == section.id);
            design::card(ui, Kind::Knowledge, |ui| {
                if editing {
                    self.editor_ui(ui, cx);
                } else {
                    self.section_ui(ui, cx, sheet, section);
                }
            });
        }
        if active(cx) {
            ui.add_space(design::GAP);
            self.add_section_ui(ui, cx, sheet);
        }
        // A sheet is written by many: every member may add to it.
        let item = (ItemKind::Sheet, &sheet.id);
        let (files, author) = (&sheet.attachments, &sheet.created_by);
        crate::attachments::item_ui(ui, cx, item, files, author, active(cx));
        ui.add_space(design::SECTION);
        ui.horizontal_wrapped(|ui| {
            let f = lang.files();
            let stem = match slug(&sheet.title) {
                s if s.is_empty() => sheet.id.to_string(),
                s => s,
            };
            // Its pictures and files go in a folder beside the text.
            let dir = format!("{stem}_fichiers");
            let files = (!sheet.attachments.is_empty()).then_some(dir.as_str());
            let md = format!("{stem}.md");
            if ui.button(f.export_markdown).clicked() {
                match markdown::sheet_markdown_with_files(sheet, files) {
                    Ok(text) => save_with_files(cx, sheet, &md, text, &dir),
                    Err(e) => export_failed(cx, &md, &e),
                }
            }
            let html = format!("{stem}.html");
            if ui.button(f.export_html).clicked() {
                match markdown::sheet_html_with_files(sheet, &f.document, files) {
                    Ok(text) => save_with_files(cx, sheet, &html, text, &dir),
                    Err(e) => export_failed(cx, &html, &e),
                }
            }
        });
    }

    /// The "…" menu of a sheet: deleting it (for its author, animateurs and
    /// admins) and moderating it.
    fn more_menu_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, sheet: &Sheet) {
        let may_delete = active(cx) && cx.may_edit(&sheet.created_by);
        if !may_delete && !cx.is_moderator() {
            return;
        }
        let t = cx.lang.knowledge();
        design::more_menu(ui, cx.lang.t().more_actions, |ui| {
            if may_delete && design::icon_button(ui, icon::DELETE, t.delete).clicked() {
                self.confirm_delete = true;
            }
            self.moderate
                .menu_ui(ui, cx, ItemKind::Sheet, &sheet.id, None);
        });
    }

    fn section_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, sheet: &Sheet, section: &Section) {
        let t = cx.lang.knowledge();
        if !section.heading.trim().is_empty() {
            design::title(ui, &section.heading);
        }
        ui.label(section.body.as_str());
        // One part at a time: a second editor would hide the first draft.
        let free = self.draft.is_none();
        if active(cx)
            && ui
                .add_enabled_ui(free, |ui| design::icon_button(ui, icon::EDIT, t.edit))
                .inner
                .clicked()
        {
            self.draft = Some(Draft::new(sheet, section));
        }
    }

    fn editor_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.knowledge();
        let Some(draft) = &mut self.draft else {
            return;
        };
        let label = ui.label(t.heading);
        let heading = ui
            .add(egui::TextEdit::singleline(&mut draft.heading).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        let label = ui.label(t.body);
        let body = ui
            .add(
                egui::TextEdit::multiline(&mut draft.body)
                    .desired_rows(8)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if heading.changed() || body.changed() {
            draft.revision += 1;
        }
        let mut take_theirs = None;
        if let Some((
            _,
            Underneath::Changed {
                heading,
                body,
                merged,
            },
        )) = &self.underneath
        {
            conflict_ui(ui, t, heading, body, merged.is_some());
            if merged.is_none() && ui.button(t.take_theirs).clicked() {
                take_theirs = Some((heading.clone(), body.clone()));
            }
        }
        if let Some((heading, body)) = take_theirs {
            draft.base_heading = heading.clone();
            draft.heading = heading;
            draft.base_body = body.clone();
            draft.body = body;
            draft.revision += 1;
        }
        let (save, cancel) = ui
            .horizontal(|ui| (ui.button(t.save).clicked(), ui.button(t.cancel).clicked()))
            .inner;
        if cancel {
            self.draft = None;
            return;
        }
        if !save {
            return;
        }
        let heading =
            (draft.heading != draft.base_heading).then(|| draft.heading.trim().to_owned());
        let body = (draft.body != draft.base_body).then(|| match &self.underneath {
            Some((
                _,
                Underneath::Changed {
                    merged: Some(merged),
                    ..
                },
            )) => merged.clone(),
            _ => draft.body.clone(),
        });
        if heading.is_none() && body.is_none() {
            self.draft = None;
            return;
        }
        let command = Command::Savoirs(SavoirsCommand::EditSection {
            sheet: draft.sheet.clone(),
            section: draft.section.clone(),
            heading,
            body,
        });
        self.apply(cx, Pending::Edit, command);
    }

    /// The sheet was deleted while the draft was open: keep the words reachable.
    fn deleted_ui(&mut self, ui: &mut egui::Ui, t: &KnowledgeStrings) {
        let Some(draft) = &self.draft else {
            return;
        };
        ui.label(RichText::new(t.deleted_meanwhile).strong());
        let label = ui.label(t.your_text);
        let mut text = draft.body.as_str();
        ui.add(
            egui::TextEdit::multiline(&mut text)
                .desired_rows(8)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        if ui.button(t.close).clicked() {
            self.draft = None;
        }
    }

    fn add_section_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, sheet: &Sheet) {
        let t = cx.lang.knowledge();
        let Some(form) = &mut self.adding else {
            if design::icon_button(ui, icon::ADD, t.add_section).clicked() {
                self.adding = Some(SectionForm::default());
            }
            return;
        };
        ui.label(RichText::new(t.add_section).heading());
        let label = ui.label(t.heading);
        ui.add(
            egui::TextEdit::singleline(&mut form.heading)
                .hint_text(t.heading_hint)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        let label = ui.label(t.body);
        ui.add(
            egui::TextEdit::multiline(&mut form.body)
                .desired_rows(5)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        let ready = !form.heading.trim().is_empty() || !form.body.trim().is_empty();
        let (add, cancel) = ui
            .horizontal(|ui| {
                (
                    ui.add_enabled(ready, egui::Button::new(t.add)).clicked(),
                    ui.button(t.cancel).clicked(),
                )
            })
            .inner;
        if cancel {
            self.adding = None;
        } else if add {
            let command = Command::Savoirs(SavoirsCommand::AddSection {
                sheet: sheet.id.clone(),
                id: cx.new_id().0,
                heading: form.heading.trim().to_owned(),
                body: form.body.clone(),
            });
            self.apply(cx, Pending::AddSection, command);
        }
    }

    fn delete_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, sheet: &Sheet) {
        let t = cx.lang.knowledge();
        let words = super::DeleteWords {
            delete: t.delete,
            question: t.delete_question,
            confirm: t.confirm_delete,
            cancel: t.cancel,
        };
        if super::confirm_delete(ui, &mut self.confirm_delete, words) {
            let command = Command::Savoirs(SavoirsCommand::DeleteSheet {
                id: sheet.id.clone(),
            });
            self.apply(cx, Pending::Delete, command);
        }
    }
}

/// The note shown when someone else saved the part being edited, with
/// their version.
fn conflict_ui(ui: &mut egui::Ui, t: &KnowledgeStrings, heading: &str, body: &str, merges: bool) {
    let stroke = egui::Stroke::new(2.0, ui.visuals().warn_fg_color);
    egui::Frame::group(ui.style())
        .stroke(stroke)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(t.conflict).strong());
            ui.label(if merges {
                t.conflict_merge
            } else {
                t.conflict_clash
            });
            ui.add_space(4.0);
            ui.label(RichText::new(t.their_version).italics());
            if !heading.trim().is_empty() {
                ui.label(RichText::new(heading).strong());
            }
            ui.label(body);
        });
}

/// What the person did with the sheet form.
enum FormAction {
    None,
    Sent(ItemId),
    Cancel,
}

/// The form to start a sheet with its first part.
fn create_ui(ui: &mut egui::Ui, cx: &Cx, form: &mut SheetForm) -> FormAction {
    let t = cx.lang.knowledge();
    ui.heading(t.new_sheet);
    let label = ui.label(t.title);
    ui.add(
        egui::TextEdit::singleline(&mut form.title)
            .hint_text(t.title_hint)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    let label = ui.label(t.first_heading);
    ui.add(
        egui::TextEdit::singleline(&mut form.heading)
            .hint_text(t.heading_hint)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    let label = ui.label(t.body);
    ui.add(
        egui::TextEdit::multiline(&mut form.body)
            .desired_rows(8)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    let ready = !form.title.trim().is_empty();
    let mut action = FormAction::None;
    ui.horizontal(|ui| {
        if ui.add_enabled(ready, egui::Button::new(t.create)).clicked() {
            let id = cx.new_id();
            cx.apply(Command::Savoirs(SavoirsCommand::AddSheet {
                id: id.clone(),
                title: form.title.trim().to_owned(),
                sections: vec![(form.heading.trim().to_owned(), form.body.clone())],
            }));
            action = FormAction::Sent(id);
        }
        if ui.button(t.cancel).clicked() {
            action = FormAction::Cancel;
        }
    });
    action
}

/// "1 partie", "3 parties" (French counts 0 and 1 as singular).
fn part_count(lang: Lang, n: usize) -> String {
    let t = lang.knowledge();
    let singular = match lang {
        Lang::Fr => n <= 1,
        Lang::En => n == 1,
    };
    let word = if singular { t.part_one } else { t.part_many };
    format!("{} {word}", lang.number(n))
}

/// Whether this device's member may still act in the community.
fn active(cx: &Cx) -> bool {
    cx.me.is_some_and(|m| m.is_active())
}

/// The one passage where `other` differs from `base`: the byte range
/// `start..base_end` of `base` became `start..other_end` of `other`.
fn changed_span(base: &str, other: &str) -> (usize, usize, usize) {
    let start = base
        .char_indices()
        .zip(other.chars())
        .find(|((_, a), b)| a != b)
        .map_or(base.len().min(other.len()), |((i, _), _)| i);
    // The common end may not overlap the common start in either text.
    let room = (base.len() - start).min(other.len() - start);
    let mut end = 0;
    for (a, b) in base.chars().rev().zip(other.chars().rev()) {
        if a != b || end + a.len_utf8() > room {
            break;
        }
        end += a.len_utf8();
    }
    (start, base.len() - end, other.len() - end)
}

/// Merges two edits of `base` when they change different passages; `None`
/// when they overlap (then a person has to choose).
fn merge(base: &str, mine: &str, theirs: &str) -> Option<String> {
    if mine == base || mine == theirs {
        return Some(theirs.to_owned());
    }
    if theirs == base {
        return Some(mine.to_owned());
    }
    let (m_start, m_base_end, m_end) = changed_span(base, mine);
    let (t_start, t_base_end, t_end) = changed_span(base, theirs);
    if m_base_end <= t_start {
        Some(
            [
                &mine[..m_end],
                &base[m_base_end..t_start],
                &theirs[t_start..],
            ]
            .concat(),
        )
    } else if t_base_end <= m_start {
        Some(
            [
                &theirs[..t_end],
                &base[t_base_end..m_start],
                &mine[m_start..],
            ]
            .concat(),
        )
    } else {
        None
    }
}

/// Writes a sheet's export to the exports folder, with the bytes of its
/// attachments on this device in `dir` beside it (those not here yet are
/// left out; the text still names them).
fn save_with_files(cx: &Cx, sheet: &Sheet, name: &str, text: String, dir: &str) {
    if sheet.attachments.is_empty() {
        cx.save_export(name, text.into_bytes());
        return;
    }
    let (name, dir) = (name.to_owned(), dir.to_owned());
    let community = cx.community.clone();
    let files: Vec<_> = sheet.attachments.values().cloned().collect();
    cx.bridge.request(move |h| async move {
        let exports = crate::settings::exports_dir();
        let beside = exports.join(&dir);
        let failed = |path: &std::path::Path| {
            let path = path.to_owned();
            move |cause| passerelle_core::CoreError::Io {
                action: "write",
                path,
                cause,
            }
        };
        std::fs::create_dir_all(&beside).map_err(failed(&beside))?;
        for a in &files {
            let target = beside.join(passerelle_core::model::attachments::file_name(a));
            match h.save_blob(&community, &a.hash, &target).await {
                Ok(_)
                | Err(passerelle_core::CoreError::Attach(passerelle_core::AttachError::NotHere)) => {}
                Err(e) => return Err(e),
            }
        }
        let path = exports.join(&name);
        std::fs::write(&path, text).map_err(failed(&path))?;
        Ok(Msg::Saved(path))
    });
}

fn export_failed(cx: &Cx, name: &str, e: &dyn std::fmt::Display) {
    tracing::warn!("export {name}: {e}");
    cx.bridge
        .send(Msg::Error(crate::i18n::errors::Problem::failed(|l| {
            l.files().export_failed
        })));
}

#[cfg(test)]
mod tests {
    use super::merge;

    #[test]
    fn edits_of_different_passages_are_both_kept() {
        let base = "Une ventouse, un seau, des gants.";
        let mine = "Une ventouse, un grand seau, des gants.";
        let theirs = "Une ventouse, un seau, des gants et une clé.";
        let both = "Une ventouse, un grand seau, des gants et une clé.";
        assert_eq!(merge(base, mine, theirs).as_deref(), Some(both));
        assert_eq!(merge(base, theirs, mine).as_deref(), Some(both));
    }

    #[test]
    fn accents_and_one_sided_edits_merge_too() {
        let base = "Étape 1 : é à ù";
        assert_eq!(
            merge(base, base, "Étape 2 : é à ù").as_deref(),
            Some("Étape 2 : é à ù")
        );
        assert_eq!(
            merge(base, "Étape 1 : é à û", base).as_deref(),
            Some("Étape 1 : é à û")
        );
        assert_eq!(
            merge(base, "Étape 1 : è à ù", "Étape 1 : é à ù !").as_deref(),
            Some("Étape 1 : è à ù !")
        );
    }

    #[test]
    fn edits_of_the_same_passage_ask_a_person() {
        let base = "Rendez-vous mardi.";
        assert_eq!(
            merge(base, "Rendez-vous jeudi.", "Rendez-vous lundi."),
            None
        );
    }
}
