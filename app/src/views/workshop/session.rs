//! One workshop, live: choosing it (or creating it, for facilitators),
//! picking one's table, noting ideas at that table, and the synthesis by
//! theme with votes and authors, where the facilitator merges duplicates,
//! moves ideas between themes, edits the typology, closes the workshop and
//! makes the feuille de route.

use std::collections::BTreeSet;

use egui::RichText;
use passerelle_core::model::workshop::{Synthesis, preset_themes, roadmap, synthesis};
use passerelle_core::model::{
    Command, CommunityView, Idea, IdeaCommand, ItemId, Theme, Workshop, WorkshopCommand,
};

use super::super::Cx;
use super::super::cache::SameArc;
use super::super::files::export_button;
use super::count;
use passerelle_core::model::export::markdown;

/// The ideas, the workshops and the workshop a synthesis was computed from.
type SynthesisKey = (SameArc<Vec<Idea>>, SameArc<Vec<Workshop>>, ItemId);

/// The workshop creator's fields.
struct NewWorkshop {
    title: String,
    date: String,
    tables: i64,
    themes: Vec<Theme>,
}

impl NewWorkshop {
    /// An empty workshop for the day of `now`, with the preset themes.
    fn on(now: chrono::DateTime<chrono::Local>) -> Self {
        NewWorkshop {
            title: String::new(),
            date: now.format("%Y-%m-%d").to_string(),
            tables: 6,
            themes: preset_themes(),
        }
    }
}

/// The state of the workshop part of the Atelier screen.
#[derive(Default)]
pub struct Session {
    /// The workshop shown; `None` shows every idea of the community.
    pub selected: Option<ItemId>,
    creating: Option<NewWorkshop>,
    /// The typology being edited by the facilitator.
    editing_themes: Option<Vec<Theme>>,
    idea: String,
    theme: Option<String>,
    /// Ideas ticked for a merge.
    ticked: BTreeSet<ItemId>,
    /// The synthesis, recomputed only when the ideas or workshops change.
    synthesis: Option<Synthesis>,
    synthesis_key: Option<SynthesisKey>,
    error: Option<&'static str>,
    /// Whether the last command sent was the idea form's.
    idea_pending: bool,
    /// The id of the workshop being created, selected once it exists.
    created: Option<ItemId>,
    /// Whether the workshop shown was chosen in the selector. Until then an
    /// open workshop is shown: a participant arriving at the Grande
    /// Rencontre lands on it, not on every idea of the community.
    chosen: bool,
}

impl Session {
    /// A command sent from this screen was saved.
    pub fn applied(&mut self) {
        if std::mem::take(&mut self.idea_pending) {
            self.idea.clear();
        }
        if let Some(id) = self.created.take() {
            self.selected = Some(id);
            self.creating = None;
        }
        self.error = None;
    }

    /// The workshop selector, and the creator for facilitators.
    pub fn selector_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let (view, t) = (&**cx.view, cx.lang.workshop());
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(t.workshop);
            let name = |id: &Option<ItemId>| {
                id.as_ref()
                    .and_then(|id| view.workshop(id))
                    .map_or(t.all_ideas.to_owned(), |w| w.title.clone())
            };
            if !self.chosen && self.selected.is_none() {
                // Workshops are listed newest first.
                self.selected = view
                    .workshops
                    .iter()
                    .find(|w| !w.closed)
                    .map(|w| w.id.clone());
            }
            let mut selected = self.selected.clone();
            egui::ComboBox::from_id_salt("workshop-select")
                .selected_text(name(&selected))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut selected, None, t.all_ideas);
                    for w in view.workshops.iter() {
                        ui.selectable_value(&mut selected, Some(w.id.clone()), &w.title);
                    }
                })
                .response
                .labelled_by(label.id);
            if selected != self.selected {
                self.chosen = true;
                self.selected = selected;
                self.ticked.clear();
                self.editing_themes = None;
            }
            if cx.is_moderator() && self.creating.is_none() && ui.button(t.new_workshop).clicked() {
                self.creating = Some(NewWorkshop::on(cx.now));
            }
        });
        if self.creating.is_some() {
            egui::Frame::group(ui.style()).show(ui, |ui| self.creator_ui(ui, cx));
        }
    }

    fn creator_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.workshop();
        let Some(form) = self.creating.as_mut() else {
            return;
        };
        ui.heading(t.new_workshop);
        let label = ui.label(t.title);
        ui.text_edit_singleline(&mut form.title)
            .labelled_by(label.id);
        let label = ui.label(t.date);
        ui.text_edit_singleline(&mut form.date)
            .labelled_by(label.id);
        let label = ui.label(t.tables);
        ui.add(egui::DragValue::new(&mut form.tables).range(1..=100))
            .labelled_by(label.id);
        ui.label(RichText::new(t.typology).strong());
        themes_editor_ui(ui, cx, "new-workshop-themes", &mut form.themes);
        if let Some(error) = self.error {
            ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
        }
        let (mut error, mut created, mut cancel) = (self.error, None, false);
        ui.horizontal(|ui| {
            if ui.button(t.create_workshop).clicked() {
                let date = chrono::NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d");
                match date {
                    _ if form.title.trim().is_empty() => error = Some(t.err_title),
                    Err(_) => error = Some(t.err_date),
                    Ok(day) => {
                        let id = cx.new_id();
                        cx.apply(Command::Workshop(WorkshopCommand::CreateWorkshop {
                            id: id.clone(),
                            title: form.title.trim().to_owned(),
                            date: day
                                .and_time(chrono::NaiveTime::MIN)
                                .and_utc()
                                .timestamp_millis(),
                            tables: form.tables,
                            themes: filled(&form.themes),
                        }));
                        created = Some(id);
                    }
                }
            }
            cancel = ui.button(t.cancel).clicked();
        });
        self.error = error;
        if created.is_some() {
            self.created = created;
        }
        if cancel {
            self.creating = None;
            self.error = None;
        }
    }

    fn refresh(&mut self, view: &CommunityView, workshop: &Workshop) {
        let key = (
            SameArc::new(&view.ideas),
            SameArc::new(&view.workshops),
            workshop.id.clone(),
        );
        if self.synthesis_key.as_ref() != Some(&key) {
            self.synthesis = Some(synthesis(&view.ideas, workshop));
            self.synthesis_key = Some(key);
        }
    }

    /// The selected workshop: seat, idea form, synthesis and facilitation.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx, workshop: &Workshop) {
        let (lang, view) = (cx.lang, &**cx.view);
        let t = lang.workshop();
        self.refresh(view, workshop);
        let facilitator = cx
            .me
            .is_some_and(|m| cx.is_moderator() || m.id == workshop.created_by);
        let date = chrono::DateTime::from_timestamp_millis(workshop.date)
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default();
        ui.label(
            RichText::new(format!(
                "{} — {date} · {} {}{}",
                workshop.title,
                workshop.tables,
                t.tables_word,
                if workshop.closed { t.closed } else { "" }
            ))
            .heading(),
        );
        ui.horizontal_wrapped(|ui| {
            let f = lang.files();
            export_button(ui, cx, f.export_markdown, "synthese-atelier.md", || {
                markdown::workshop_markdown(view, workshop, &f.document)
            });
            export_button(ui, cx, f.export_html, "synthese-atelier.html", || {
                markdown::workshop_html(view, workshop, &f.document)
            });
        });
        if let Some(me) = cx.me
            && !workshop.closed
        {
            ui.horizontal_wrapped(|ui| {
                let seat = workshop.table_of(&me.id);
                let mut table = seat;
                let label = ui.label(t.your_table);
                let text = |n: Option<i64>| {
                    n.map_or(t.choose_table.to_owned(), |n| format!("{} {n}", t.table))
                };
                egui::ComboBox::from_id_salt("workshop-seat")
                    .selected_text(text(table))
                    .show_ui(ui, |ui| {
                        for n in 1..=workshop.tables {
                            ui.selectable_value(&mut table, Some(n), text(Some(n)));
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if let Some(n) = table.filter(|_| table != seat) {
                    cx.apply(Command::Workshop(WorkshopCommand::JoinTable {
                        workshop: workshop.id.clone(),
                        table: n,
                    }));
                }
            });
            self.idea_form_ui(ui, cx, workshop);
        }
        if facilitator {
            self.facilitation_ui(ui, cx, workshop);
        }
        ui.separator();
        let Some(synthesis) = self.synthesis.take() else {
            return;
        };
        ui.label(format!(
            "{} · {}",
            count(lang, synthesis.idea_count(), t.idea_one, t.idea_many),
            count(lang, synthesis.vote_count(), t.vote_one, t.vote_many)
        ));
        egui::ScrollArea::vertical()
            .id_salt("workshop-synthesis")
            .auto_shrink(false)
            .show(ui, |ui| {
                for theme in &synthesis.themes {
                    if theme.ideas.is_empty() && theme.theme.is_none() {
                        continue;
                    }
                    let votes: usize = theme.ideas.iter().map(|i| i.votes.len()).sum();
                    let label = theme
                        .theme
                        .as_ref()
                        .map_or(t.no_theme, |t| t.label.as_str());
                    ui.add_space(6.0);
                    ui.label(
                        RichText::new(format!(
                            "{label} — {} · {}",
                            count(lang, theme.ideas.len(), t.idea_one, t.idea_many),
                            count(lang, votes, t.vote_one, t.vote_many)
                        ))
                        .heading(),
                    );
                    for idea in &theme.ideas {
                        egui::Frame::group(ui.style()).show(ui, |ui| {
                            ui.set_width(ui.available_width());
                            self.idea_ui(ui, cx, workshop, idea, facilitator);
                        });
                    }
                }
            });
        self.synthesis = Some(synthesis);
    }

    fn idea_form_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, workshop: &Workshop) {
        let t = cx.lang.workshop();
        let label = ui.label(t.idea);
        ui.add(
            egui::TextEdit::multiline(&mut self.idea)
                .desired_rows(2)
                .hint_text(t.idea_hint),
        )
        .labelled_by(label.id);
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(t.theme);
            egui::ComboBox::from_id_salt("workshop-idea-theme")
                .selected_text(
                    self.theme
                        .as_deref()
                        .map_or(t.no_theme, |id| workshop.theme_label(id)),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.theme, None, t.no_theme);
                    for th in &workshop.themes {
                        ui.selectable_value(&mut self.theme, Some(th.id.clone()), &th.label);
                    }
                })
                .response
                .labelled_by(label.id);
        });
        if ui.button(t.add).clicked() {
            if self.idea.trim().is_empty() {
                self.error = Some(t.err_text);
            } else {
                cx.apply(Command::Workshop(WorkshopCommand::AddWorkshopIdea {
                    workshop: workshop.id.clone(),
                    id: cx.new_id(),
                    text: self.idea.trim().to_owned(),
                    theme: self.theme.clone(),
                }));
                self.idea_pending = true;
            }
        }
        if let Some(error) = self.error.filter(|_| self.creating.is_none()) {
            ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
        }
    }

    fn facilitation_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, workshop: &Workshop) {
        let (lang, view) = (cx.lang, &**cx.view);
        let t = lang.workshop();
        ui.horizontal_wrapped(|ui| {
            let merge = ui.add_enabled(self.ticked.len() >= 2, egui::Button::new(t.merge));
            if merge.clicked() {
                // The most voted of the ticked ideas is kept.
                let ticked = self.ticked.clone();
                let keep = self
                    .synthesis
                    .iter()
                    .flat_map(|s| &s.themes)
                    .flat_map(|th| &th.ideas)
                    .filter(|i| ticked.contains(&i.id))
                    .max_by_key(|i| i.votes.len())
                    .map(|i| i.id.clone());
                if let Some(keep) = keep {
                    let merged = ticked.into_iter().filter(|i| *i != keep).collect();
                    cx.apply(Command::Workshop(WorkshopCommand::MergeIdeas {
                        keep,
                        merged,
                    }));
                    self.ticked.clear();
                }
            }
            if ui.button(t.edit_typology).clicked() {
                self.editing_themes = Some(workshop.themes.clone());
            }
            if !workshop.closed && ui.button(t.close_workshop).clicked() {
                cx.apply(Command::Workshop(WorkshopCommand::CloseWorkshop {
                    workshop: workshop.id.clone(),
                }));
            }
            if ui.button(t.make_roadmap).clicked() {
                let title = format!("{} — {}", t.roadmap, workshop.title);
                cx.apply(roadmap(view, workshop, cx.new_id(), &title, t.no_theme));
            }
        });
        let mut done = false;
        if let Some(themes) = self.editing_themes.as_mut() {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.label(RichText::new(t.typology).strong());
                themes_editor_ui(ui, cx, "edit-workshop-themes", themes);
                ui.horizontal(|ui| {
                    if ui.button(t.save_typology).clicked() {
                        cx.apply(Command::Workshop(WorkshopCommand::EditWorkshopThemes {
                            workshop: workshop.id.clone(),
                            themes: filled(themes),
                        }));
                        done = true;
                    }
                    if ui.button(t.cancel).clicked() {
                        done = true;
                    }
                });
            });
        }
        if done {
            self.editing_themes = None;
        }
    }

    fn idea_ui(
        &mut self,
        ui: &mut egui::Ui,
        cx: &Cx,
        workshop: &Workshop,
        idea: &passerelle_core::model::workshop::SynthesisIdea,
        facilitator: bool,
    ) {
        let (lang, view) = (cx.lang, &**cx.view);
        let t = lang.workshop();
        ui.horizontal_wrapped(|ui| {
            if facilitator {
                let mut ticked = self.ticked.contains(&idea.id);
                if ui.checkbox(&mut ticked, t.duplicate).changed() {
                    if ticked {
                        self.ticked.insert(idea.id.clone());
                    } else {
                        self.ticked.remove(&idea.id);
                    }
                }
            }
            ui.label(RichText::new(&idea.text).strong());
        });
        let authors: Vec<&str> = idea.authors.iter().map(|a| view.member_name(a)).collect();
        let mut line = format!("{} {}", t.by, authors.join(", "));
        if let Some(n) = idea.table {
            line.push_str(&format!(" · {} {n}", t.table));
        }
        if !idea.merged.is_empty() {
            line.push_str(&format!(
                " · {}",
                count(lang, idea.merged.len(), t.merged_one, t.merged_many)
            ));
        }
        ui.label(line);
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(count(lang, idea.votes.len(), t.vote_one, t.vote_many)).strong(),
            );
            if let Some(me) = cx.me {
                if idea.votes.contains(me.id.as_str()) {
                    ui.label(t.you_voted);
                } else if ui.button(t.vote).clicked() {
                    cx.apply(Command::Ideas(IdeaCommand::Vote {
                        idea: idea.id.clone(),
                    }));
                }
            }
            if facilitator {
                let current = view
                    .ideas
                    .iter()
                    .find(|i| i.id == idea.id)
                    .and_then(|i| i.theme.clone());
                let mut theme = current.clone();
                let label = ui.label(t.move_to);
                egui::ComboBox::from_id_salt(("workshop-move", idea.id.as_str()))
                    .selected_text(
                        theme
                            .as_deref()
                            .map_or(t.no_theme, |id| workshop.theme_label(id)),
                    )
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut theme, None, t.no_theme);
                        for th in &workshop.themes {
                            ui.selectable_value(&mut theme, Some(th.id.clone()), &th.label);
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if theme != current {
                    cx.apply(Command::Workshop(WorkshopCommand::MoveIdea {
                        idea: idea.id.clone(),
                        theme,
                    }));
                }
            }
        });
    }
}

/// Editable typology lines: rename, remove, add. Ids of existing themes are
/// kept so renaming keeps ideas sorted; new lines get theirs from the label.
fn themes_editor_ui(ui: &mut egui::Ui, cx: &Cx, salt: &str, themes: &mut Vec<Theme>) {
    let t = cx.lang.workshop();
    let mut remove = None;
    for (n, theme) in themes.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            ui.add(egui::TextEdit::singleline(&mut theme.label).id_salt((salt, n)));
            if ui.small_button(t.remove_theme).clicked() {
                remove = Some(n);
            }
        });
    }
    if let Some(n) = remove {
        themes.remove(n);
    }
    if ui.button(t.add_theme).clicked() {
        themes.push(Theme {
            id: String::new(),
            label: String::new(),
        });
    }
}

/// The typology without its blank lines.
fn filled(themes: &[Theme]) -> Vec<Theme> {
    themes
        .iter()
        .filter(|t| !t.label.trim().is_empty())
        .cloned()
        .collect()
}
