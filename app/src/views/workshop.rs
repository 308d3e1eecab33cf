//! The Atelier screen: ideas from the workshop tables, grouped by table or by
//! theme, votes, moderation (move to another theme, delete), a live
//! synthesis of the themes by votes, and a form to note an idea; with a
//! workshop chosen, the live session of that workshop (see [`session`]).

mod session;

use egui::RichText;
use passerelle_core::model::view::CommunityPart;
use passerelle_core::model::{Command, CommunityView, Idea, IdeaCommand, ItemId, ItemKind};

use super::Cx;
use super::cache::SameArc;
use super::files::export_button;
use crate::design::{self, Kind, icon, more_icon};
use crate::i18n::Lang;
use crate::i18n::workshop::WorkshopStrings;
use passerelle_core::model::export::markdown;

/// How the ideas are gathered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Grouping {
    #[default]
    Table,
    Theme,
    Synthesis,
}

/// What a group of ideas shares.
#[derive(Clone, Debug, PartialEq)]
enum GroupKey {
    Table(Option<i64>),
    Theme(Option<String>),
}

/// Ideas sharing a table or a theme, and their votes.
#[derive(Clone, Debug)]
struct IdeaGroup {
    key: GroupKey,
    ideas: Vec<usize>,
    votes: usize,
}

/// The form to note an idea. The table and theme stay chosen between ideas:
/// a table's scribe notes several in a row.
#[derive(Default)]
struct IdeaForm {
    text: String,
    table: Option<i64>,
    theme: Option<String>,
    error: Option<&'static str>,
}

/// The screen's state: the grouping, the groups (recomputed only when the
/// ideas or the grouping change), the form and a pending deletion.
#[derive(Default)]
pub struct WorkshopPanel {
    grouping: Grouping,
    groups: Vec<IdeaGroup>,
    /// The ideas, the community part (theme labels) and the grouping
    /// `groups` were computed from.
    groups_key: Option<(SameArc<Vec<Idea>>, SameArc<CommunityPart>, Grouping)>,
    /// Highest table number used so far, for the table picker.
    max_table: i64,
    form: IdeaForm,
    confirm_delete: Option<ItemId>,
    highlighted: Option<ItemId>,
    /// Whether the last command sent was the form's.
    form_pending: bool,
    /// The workshop chosen, if any, and its session.
    session: session::Session,
    moderate: super::moderation::ModerateMenu,
    /// The idea whose "Ajouter une photo ou un fichier" zone is open.
    attaching: Option<ItemId>,
}

/// Groups the ideas by table (numbered tables first) or by theme (the
/// typology's order, unsorted ideas last); for the synthesis, themes by
/// votes and each theme's ideas by votes.
fn group_ideas(view: &CommunityView, grouping: Grouping) -> Vec<IdeaGroup> {
    let ideas = &view.ideas;
    // A duplicate merged into another idea is shown through the kept one.
    let listed = || (0..ideas.len()).filter(|&n| ideas[n].merged_into.is_none());
    let votes_of = |n: &usize| ideas[*n].votes.len();
    let make = |key: GroupKey, members: Vec<usize>| IdeaGroup {
        votes: members.iter().map(votes_of).sum(),
        key,
        ideas: members,
    };
    match grouping {
        Grouping::Table => {
            let mut tables: Vec<Option<i64>> = listed().map(|n| ideas[n].table).collect();
            tables.sort_by_key(|t| (t.is_none(), *t));
            tables.dedup();
            tables
                .into_iter()
                .map(|table| {
                    let members = listed().filter(|&n| ideas[n].table == table);
                    make(GroupKey::Table(table), members.collect())
                })
                .collect()
        }
        Grouping::Theme | Grouping::Synthesis => {
            let known = |id: &str| view.community.themes.iter().any(|t| t.id == id);
            let keys = view
                .community
                .themes
                .iter()
                .map(|t| Some(t.id.clone()))
                .chain([None]);
            let mut groups: Vec<IdeaGroup> = keys
                .map(|theme| {
                    let members = listed()
                        .filter(|&n| match (&theme, ideas[n].theme.as_deref()) {
                            (Some(t), Some(idea)) => t == idea,
                            // Ideas whose theme is unknown here sit with the unsorted ones.
                            (None, idea) => idea.is_none_or(|i| !known(i)),
                            (Some(_), None) => false,
                        })
                        .collect();
                    make(GroupKey::Theme(theme), members)
                })
                .filter(|g| !g.ideas.is_empty())
                .collect();
            if grouping == Grouping::Synthesis {
                // Stable sorts keep the typology's order between equals.
                groups.sort_by_key(|g| std::cmp::Reverse(g.votes));
                for g in &mut groups {
                    g.ideas.sort_by_key(|n| std::cmp::Reverse(votes_of(n)));
                }
            }
            groups
        }
    }
}

/// "1 vote", "3 votes" (French counts 0 and 1 as singular).
fn count(lang: Lang, n: usize, one: &str, many: &str) -> String {
    let singular = match lang {
        Lang::Fr => n <= 1,
        Lang::En => n == 1,
    };
    format!("{} {}", lang.number(n), if singular { one } else { many })
}

fn group_title(t: &WorkshopStrings, view: &CommunityView, key: &GroupKey) -> String {
    match key {
        GroupKey::Table(Some(n)) => format!("{} {n}", t.table),
        GroupKey::Table(None) => t.no_table.to_owned(),
        GroupKey::Theme(Some(theme)) => view.theme_label(theme).to_owned(),
        GroupKey::Theme(None) => t.no_theme.to_owned(),
    }
}

impl WorkshopPanel {
    /// Brings an idea forward (from a search result).
    pub fn open(&mut self, id: &str) {
        self.highlighted = Some(ItemId::from(id));
        if self.grouping == Grouping::Synthesis {
            self.grouping = Grouping::Table;
        }
    }

    /// A command sent from this screen was saved.
    pub fn applied(&mut self) {
        if std::mem::take(&mut self.form_pending) {
            self.form.text.clear();
            self.form.error = None;
        }
        self.confirm_delete = None;
        self.session.applied();
    }

    fn send(&mut self, cx: &Cx, command: Command) {
        self.form_pending = false;
        cx.apply(command);
    }

    fn refresh(&mut self, view: &CommunityView) {
        let key = (
            SameArc::new(&view.ideas),
            SameArc::new(&view.community),
            self.grouping,
        );
        if self.groups_key.as_ref() == Some(&key) {
            return;
        }
        self.groups = group_ideas(view, self.grouping);
        self.max_table = view.ideas.iter().filter_map(|i| i.table).max().unwrap_or(0);
        self.groups_key = Some(key);
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let (lang, view) = (cx.lang, &**cx.view);
        let t = lang.workshop();
        self.refresh(view);
        let chosen = self
            .session
            .selected
            .as_ref()
            .and_then(|id| view.workshop(id))
            .cloned();
        // The form's panel comes first, so that the rows above the ideas
        // wrap beside it instead of running under it.
        if chosen.is_none() {
            egui::Panel::right("workshop-form")
                .resizable(true)
                .default_size(280.0)
                .max_size(ui.available_width() / 2.0)
                .show(ui, |ui| {
                    ui.add_space(design::GAP);
                    if cx.me.is_some() {
                        self.form_ui(ui, cx);
                    } else {
                        ui.label(t.not_member);
                    }
                });
        }
        design::heading(ui, Kind::Idea, t.nav);
        self.session.selector_ui(ui, cx);
        if let Some(workshop) = chosen {
            self.session.ui(ui, cx, &workshop);
            return;
        }
        ui.horizontal_wrapped(|ui| {
            for (grouping, label) in [
                (Grouping::Table, t.by_table),
                (Grouping::Theme, t.by_theme),
                (Grouping::Synthesis, t.synthesis),
            ] {
                ui.selectable_value(&mut self.grouping, grouping, label);
            }
            ui.separator();
            let votes: usize = view.ideas.iter().map(|i| i.votes.len()).sum();
            ui.label(format!(
                "{} · {}",
                count(lang, view.ideas.len(), t.idea_one, t.idea_many),
                count(lang, votes, t.vote_one, t.vote_many)
            ));
            if !view.ideas.is_empty() {
                ui.separator();
                let f = lang.files();
                export_button(ui, cx, f.export_markdown, "synthese-atelier.md", || {
                    markdown::synthesis_markdown(view, &f.document)
                });
                export_button(ui, cx, f.export_html, "synthese-atelier.html", || {
                    markdown::synthesis_html(view, &f.document)
                });
            }
        });
        ui.separator();
        // The grouping may have changed just above.
        self.refresh(view);
        if view.ideas.is_empty() {
            design::empty(ui, t.no_idea);
            return;
        }
        let groups = std::mem::take(&mut self.groups);
        let width = ui.available_width();
        egui::ScrollArea::vertical()
            .id_salt("workshop-ideas")
            .auto_shrink(false)
            .show(ui, |ui| {
                // A vertical area grows to last frame's content: cards that fill
                // the width would keep it wider than the screen after a resize.
                ui.set_max_width(width - ui.spacing().scroll.allocated_width());
                if self.grouping == Grouping::Synthesis {
                    ui.label(t.synthesis_intro);
                    synthesis_ui(ui, lang, view, &groups);
                    return;
                }
                for group in &groups {
                    ui.add_space(design::GAP);
                    design::title(
                        ui,
                        format!(
                            "{} — {} · {}",
                            group_title(t, view, &group.key),
                            count(lang, group.ideas.len(), t.idea_one, t.idea_many),
                            count(lang, group.votes, t.vote_one, t.vote_many)
                        ),
                    );
                    for &n in &group.ideas {
                        design::card(ui, Kind::Idea, |ui| {
                            self.idea_ui(ui, cx, &view.ideas[n]);
                        });
                    }
                }
            });
        self.groups = groups;
    }

    fn idea_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, idea: &Idea) {
        let (lang, view) = (cx.lang, &**cx.view);
        let t = lang.workshop();
        let text = ui
            .horizontal(|ui| {
                let menu = ui.with_layout(egui::Layout::right_to_left(egui::Align::Min), |ui| {
                    self.more_menu_ui(ui, cx, idea);
                    ui.with_layout(egui::Layout::left_to_right(egui::Align::Min), |ui| {
                        ui.add(
                            egui::Label::new(
                                RichText::new(idea.text.as_str())
                                    .size(design::BODY + 1.0)
                                    .strong(),
                            )
                            .wrap(),
                        )
                    })
                    .inner
                });
                menu.inner
            })
            .inner;
        if self.highlighted.as_ref() == Some(&idea.id) {
            text.scroll_to_me(Some(egui::Align::Center));
            self.highlighted = None;
        }
        let theme = idea
            .theme
            .as_deref()
            .map_or(t.no_theme, |id| view.theme_label(id));
        let table = idea
            .table
            .map_or_else(|| t.no_table.to_owned(), |n| format!("{} {n}", t.table));
        ui.horizontal_wrapped(|ui| {
            let author = view.member_name(&idea.author);
            design::avatar(ui, author, idea.author.as_str(), 22.0);
            design::meta(ui, author);
            design::meta_inline(ui, more_icon::TABLE, format!("{table} · {theme}"));
        });
        ui.horizontal_wrapped(|ui| {
            ui.label(design::icon_text(more_icon::VOTE, design::BODY + 1.0));
            ui.label(
                RichText::new(count(lang, idea.votes.len(), t.vote_one, t.vote_many)).strong(),
            );
            if let Some(me) = cx.me {
                if idea.votes.contains_key(me.id.as_str()) {
                    ui.label(RichText::new(t.you_voted).strong());
                    if ui.button(t.unvote).clicked() {
                        self.send(
                            cx,
                            Command::Ideas(IdeaCommand::Unvote {
                                idea: idea.id.clone(),
                            }),
                        );
                    }
                } else if ui.button(t.vote).clicked() {
                    self.send(
                        cx,
                        Command::Ideas(IdeaCommand::Vote {
                            idea: idea.id.clone(),
                        }),
                    );
                }
            }
        });
        let may_add = self.attaching.as_ref() == Some(&idea.id);
        let item = (ItemKind::Idea, &idea.id);
        crate::attachments::item_ui(ui, cx, item, &idea.attachments, &idea.author, may_add);
        if self.confirm_delete.as_ref() == Some(&idea.id) {
            ui.label(RichText::new(t.delete_question).strong());
            ui.horizontal(|ui| {
                let confirm = RichText::new(t.confirm_delete).color(ui.visuals().error_fg_color);
                if ui.button(confirm).clicked() {
                    self.send(
                        cx,
                        Command::Ideas(IdeaCommand::DeleteIdea {
                            id: idea.id.clone(),
                        }),
                    );
                }
                if ui.button(t.cancel).clicked() {
                    self.confirm_delete = None;
                }
            });
        }
        self.moderate
            .panel_ui(ui, cx, ItemKind::Idea, &idea.id, None);
    }

    /// The "…" menu of an idea: deleting it (for its author, animateurs and
    /// admins) and moderating it.
    fn more_menu_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, idea: &Idea) {
        let may_delete = cx.may_edit(&idea.author);
        if !may_delete && !cx.is_moderator() {
            return;
        }
        let (t, view) = (cx.lang.workshop(), &**cx.view);
        design::more_menu(ui, cx.lang.t().more_actions, |ui| {
            // A workshop's idea moves within its workshop's typology, in the session.
            if cx.is_moderator() && idea.workshop.is_none() {
                ui.menu_button(t.move_to, |ui| {
                    let themes = view.community.themes.iter();
                    let choices = [(None, t.no_theme)]
                        .into_iter()
                        .chain(themes.map(|th| (Some(&th.id), th.label.as_str())));
                    for (theme, label) in choices {
                        let current = idea.theme.as_ref() == theme;
                        if ui.radio(current, label).clicked() && !current {
                            self.send(
                                cx,
                                Command::Ideas(IdeaCommand::SetIdeaTheme {
                                    idea: idea.id.clone(),
                                    theme: theme.cloned(),
                                }),
                            );
                            ui.close();
                        }
                    }
                });
            }
            let add = cx.lang.attachments().add;
            if may_delete && design::icon_button(ui, design::file_icon::ADD, add).clicked() {
                self.attaching = Some(idea.id.clone());
            }
            if may_delete && design::icon_button(ui, icon::DELETE, t.delete).clicked() {
                self.confirm_delete = Some(idea.id.clone());
            }
            self.moderate
                .menu_ui(ui, cx, ItemKind::Idea, &idea.id, None);
        });
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let (lang, view) = (cx.lang, &**cx.view);
        let t = lang.workshop();
        let form = &mut self.form;
        ui.heading(t.new_idea);
        let label = ui.label(t.idea);
        ui.add(
            egui::TextEdit::multiline(&mut form.text)
                .desired_rows(4)
                .hint_text(t.idea_hint),
        )
        .labelled_by(label.id);
        let table_text = |table: Option<i64>| {
            table.map_or_else(|| t.no_table.to_owned(), |n| format!("{} {n}", t.table))
        };
        let label = ui.label(t.table);
        egui::ComboBox::from_id_salt("idea-form-table")
            .selected_text(table_text(form.table))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut form.table, None, t.no_table);
                // One more than the highest table so far, and at least the six
                // tables of a Grande Rencontre.
                for n in 1..=(self.max_table + 1).max(6) {
                    ui.selectable_value(&mut form.table, Some(n), table_text(Some(n)));
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label(t.theme);
        egui::ComboBox::from_id_salt("idea-form-theme")
            .selected_text(
                form.theme
                    .as_deref()
                    .map_or(t.no_theme, |id| view.theme_label(id)),
            )
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut form.theme, None, t.no_theme);
                for th in &view.community.themes {
                    ui.selectable_value(&mut form.theme, Some(th.id.clone()), &th.label);
                }
            })
            .response
            .labelled_by(label.id);
        if let Some(error) = form.error {
            ui.label(
                RichText::new(error)
                    .strong()
                    .color(ui.visuals().error_fg_color),
            );
        }
        if ui.button(t.add).clicked() {
            if form.text.trim().is_empty() {
                form.error = Some(t.err_text);
                return;
            }
            form.error = None;
            let command = Command::Ideas(IdeaCommand::AddIdea {
                id: cx.new_id(),
                text: form.text.trim().to_owned(),
                theme: form.theme.clone(),
                table: form.table,
            });
            cx.apply(command);
            self.form_pending = true;
        }
    }
}

fn synthesis_ui(ui: &mut egui::Ui, lang: Lang, view: &CommunityView, groups: &[IdeaGroup]) {
    let t = lang.workshop();
    for (rank, group) in groups.iter().enumerate() {
        ui.add_space(6.0);
        ui.label(
            RichText::new(format!(
                "{}. {} — {} · {}",
                rank + 1,
                group_title(t, view, &group.key),
                count(lang, group.votes, t.vote_one, t.vote_many),
                count(lang, group.ideas.len(), t.idea_one, t.idea_many)
            ))
            .heading(),
        );
        for &n in &group.ideas {
            let idea = &view.ideas[n];
            ui.label(format!(
                "– {} ({})",
                idea.text.as_str(),
                count(lang, idea.votes.len(), t.vote_one, t.vote_many)
            ));
        }
    }
}
