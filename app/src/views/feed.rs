//! The Fil screen: a welcome with the next events, what arrived since the
//! last sync, and the community's announcements as cards with their
//! comments; "Commenter" on each card, deleting and moderating in its "…"
//! menu.

use std::collections::HashSet;
use std::sync::Arc;

use egui::RichText;
use passerelle_core::model::{
    Command, CommunityView, FilCommand, ItemId, ItemKind, MemberId, Post,
};

use super::Cx;
use super::cache::SameArc;
use crate::attachments::{self, Dest};
use crate::bridge::Msg;
use crate::design::{self, Kind, icon};
use crate::i18n::feed::FeedStrings;

/// How many announcements are drawn at first, and how many more on request:
/// the page holds them all with their comments, so it stays short.
const PAGE: usize = 20;

/// The key of the files chosen before the post is published.
const POST_FORM: &str = "post-form";

/// How many upcoming events the welcome shows.
const UPCOMING: usize = 3;

/// Longest excerpt of a text in the "arrived" list, in characters.
const EXCERPT: usize = 90;

const DAY: i64 = 24 * 60 * 60 * 1000;

/// What kind of item arrived.
#[derive(Clone, Copy)]
enum FreshKind {
    Exchange,
    Event,
    Idea,
    Sheet,
    Post,
    Comment,
    Group,
    Actor,
}

impl FreshKind {
    fn label(self, t: &FeedStrings) -> &'static str {
        match self {
            FreshKind::Exchange => t.kind_exchange,
            FreshKind::Event => t.kind_event,
            FreshKind::Idea => t.kind_idea,
            FreshKind::Sheet => t.kind_sheet,
            FreshKind::Post => t.kind_post,
            FreshKind::Comment => t.kind_comment,
            FreshKind::Group => t.kind_group,
            FreshKind::Actor => t.kind_actor,
        }
    }
}

/// One line of the "arrived since your last sync" block.
struct FreshEntry {
    kind: FreshKind,
    title: String,
    author: String,
}

/// The command last sent from this screen, so `applied` empties the right form.
enum Pending {
    Post,
    Comment,
    Delete,
}

/// The Fil screen's state: the forms, and the "arrived" list (recomputed
/// only when the view or the set of unseen items changes).
#[derive(Default)]
pub struct FeedPanel {
    draft: String,
    /// The post whose comment box is open.
    commenting: Option<ItemId>,
    comment: String,
    focus_comment: bool,
    /// The post whose deletion waits for confirmation.
    confirm_delete: Option<ItemId>,
    pending: Option<Pending>,
    /// How many posts are drawn (at least [`PAGE`]).
    shown: usize,
    /// A post to scroll to (from a search result).
    target: Option<String>,
    fresh: Vec<FreshEntry>,
    /// Some unseen items are no longer in the view (deleted since).
    fresh_missing: bool,
    /// The view and the number of unseen items `fresh` was computed from.
    fresh_key: Option<(SameArc<CommunityView>, usize)>,
    moderate: super::moderation::ModerateMenu,
    /// The post whose "Ajouter une photo ou un fichier" zone is open.
    attaching: Option<ItemId>,
}

impl FeedPanel {
    /// Brings a post forward (from a search result).
    pub fn open(&mut self, id: &str) {
        self.target = Some(id.to_owned());
    }

    /// Empties the form that was just saved.
    pub fn applied(&mut self) {
        match self.pending.take() {
            Some(Pending::Post) => self.draft.clear(),
            Some(Pending::Comment) => {
                self.comment.clear();
                self.commenting = None;
            }
            Some(Pending::Delete) => self.confirm_delete = None,
            None => {}
        }
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        self.refresh_fresh(cx.view, cx.fresh);
        if let Some(target) = &self.target
            && let Some(n) =
                cx.view.posts.iter().position(|p| {
                    p.id.as_str() == target || p.comments.contains_key(target.as_str())
                })
        {
            self.shown = self.shown.max(n + 1);
        }
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show(ui, |ui| {
                welcome_ui(ui, cx);
                ui.add_space(design::GAP);
                self.fresh_ui(ui, cx);
                self.write_ui(ui, cx);
                ui.add_space(design::GAP);
                self.posts_ui(ui, cx);
            });
    }

    fn refresh_fresh(&mut self, view: &Arc<CommunityView>, fresh: &HashSet<String>) {
        let key = (SameArc::new(view), fresh.len());
        if self.fresh_key.as_ref() == Some(&key) {
            return;
        }
        self.fresh_key = Some(key);
        self.fresh.clear();
        if fresh.is_empty() {
            self.fresh_missing = false;
            return;
        }
        let entries = &mut self.fresh;
        let mut add = |kind, id: &str, title: &str, author: &MemberId| {
            if fresh.contains(id) {
                entries.push(FreshEntry {
                    kind,
                    title: excerpt(title),
                    author: view.member_name(author).to_owned(),
                });
            }
        };
        for e in view.exchanges.iter() {
            add(FreshKind::Exchange, e.id.as_str(), &e.title, &e.author);
        }
        for e in view.events.iter() {
            add(FreshKind::Event, e.id.as_str(), &e.title, &e.created_by);
        }
        for i in view.ideas.iter() {
            add(FreshKind::Idea, i.id.as_str(), i.text.as_str(), &i.author);
        }
        for s in view.sheets.iter() {
            add(FreshKind::Sheet, s.id.as_str(), &s.title, &s.created_by);
        }
        for p in view.posts.iter() {
            add(FreshKind::Post, p.id.as_str(), p.text.as_str(), &p.author);
            for (id, c) in &p.comments {
                add(FreshKind::Comment, id, &c.text, &c.author);
            }
        }
        for g in &view.community.groups {
            add(FreshKind::Group, g.id.as_str(), &g.name, &g.created_by);
        }
        for a in &view.community.actors {
            add(FreshKind::Actor, a.id.as_str(), &a.name, &a.created_by);
        }
        self.fresh_missing = self.fresh.len() < fresh.len();
    }

    fn fresh_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        if cx.fresh.is_empty() {
            return;
        }
        let t = cx.lang.feed();
        highlight_frame(ui).show(ui, |ui| {
            ui.set_width(ui.available_width());
            section_ui(ui, Kind::Sync, t.fresh_title);
            if !self.fresh.is_empty() {
                ui.label(t.fresh_intro);
            }
            egui::ScrollArea::vertical()
                .id_salt("fresh-items")
                .max_height(220.0)
                .show(ui, |ui| {
                    for entry in &self.fresh {
                        ui.horizontal_wrapped(|ui| {
                            ui.label(RichText::new(entry.kind.label(t)).strong());
                            ui.label(format!("{} — {}", entry.title, entry.author));
                        });
                    }
                });
            if self.fresh_missing {
                ui.label(RichText::new(t.fresh_deleted).italics());
            }
            if ui.button(t.all_seen).clicked() {
                cx.bridge.send(Msg::MarkSeen(cx.community.clone()));
            }
        });
        ui.add_space(design::GAP);
    }

    fn write_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.feed();
        if !cx.me.is_some_and(|m| m.is_active()) {
            design::empty(ui, t.read_only);
            return;
        }
        design::card(ui, Kind::Post, |ui| {
            ui.label(RichText::new(t.write_title).strong());
            let label = ui.label(t.post_label);
            ui.add(
                egui::TextEdit::multiline(&mut self.draft)
                    .hint_text(t.post_hint)
                    .desired_rows(3)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            attachments::add_ui(ui, cx, Dest::Form(POST_FORM));
            let ready = !self.draft.trim().is_empty();
            if design::primary_button(ui, Kind::Post, Kind::Post.icon(), t.publish, ready).clicked()
            {
                self.pending = Some(Pending::Post);
                let id = cx.new_id();
                let command = Command::Fil(FilCommand::AddPost {
                    id: id.clone(),
                    text: self.draft.trim().to_owned(),
                });
                let files = cx.files.take_staged(POST_FORM);
                cx.files.apply_with(cx, command, ItemKind::Post, id, files);
            }
        });
    }

    fn posts_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.feed();
        ui.add_space(design::GAP);
        section_ui(ui, Kind::Post, t.posts_title);
        let posts = &cx.view.posts;
        if posts.is_empty() {
            design::empty(ui, t.no_posts);
            return;
        }
        let limit = self.shown.max(PAGE).min(posts.len());
        for post in &posts[..limit] {
            let response = self.post_ui(ui, cx, post);
            let targeted = self.target.as_deref().is_some_and(|target| {
                post.id.as_str() == target || post.comments.contains_key(target)
            });
            if targeted {
                response.scroll_to_me(Some(egui::Align::TOP));
                self.target = None;
            }
        }
        if limit < posts.len() && ui.button(t.show_older).clicked() {
            self.shown = limit + PAGE;
        }
    }

    fn post_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, post: &Post) -> egui::Response {
        let (t, lang, view) = (cx.lang.feed(), cx.lang, &**cx.view);
        let fresh = cx.fresh.contains(post.id.as_str());
        ui.scope(|ui| {
            design::card(ui, Kind::Post, |ui| {
                ui.horizontal(|ui| {
                    design::person(ui, view.member_name(&post.author), post.author.as_str());
                    design::meta(ui, lang.date_time(post.created_at));
                    if fresh {
                        new_badge_ui(ui, t);
                    }
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        self.menu_ui(ui, cx, post);
                    });
                });
                ui.label(post.text.as_str());
                let may_add = self.attaching.as_ref() == Some(&post.id);
                let item = (ItemKind::Post, &post.id);
                attachments::item_ui(ui, cx, item, &post.attachments, &post.author, may_add);
                if !post.comments.is_empty() {
                    ui.add_space(design::GAP / 2.0);
                }
                for (id, comment) in &post.comments {
                    ui.horizontal(|ui| {
                        ui.add_space(design::GAP * 2.0);
                        let name = view.member_name(&comment.author);
                        design::avatar(ui, name, comment.author.as_str(), 22.0);
                        ui.vertical(|ui| {
                            ui.horizontal_wrapped(|ui| {
                                ui.label(RichText::new(name).strong());
                                design::meta(ui, lang.date_time(comment.at));
                                if cx.fresh.contains(id.as_str()) {
                                    new_badge_ui(ui, t);
                                }
                            });
                            ui.label(&comment.text);
                        });
                    });
                }
                self.post_actions_ui(ui, cx, post);
            });
        })
        .response
    }

    /// "Commenter" and the comment box.
    fn post_actions_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, post: &Post) {
        let t = cx.lang.feed();
        let locked = super::moderation::locked_ui(ui, cx, post.locked.as_ref());
        let active = cx.me.is_some_and(|m| m.is_active()) && !locked;
        if !active {
            return;
        }
        if self.commenting.as_ref() == Some(&post.id) {
            let label = ui.label(t.comment_label);
            let edit = ui
                .add(
                    egui::TextEdit::multiline(&mut self.comment)
                        .desired_rows(2)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            if std::mem::take(&mut self.focus_comment) {
                edit.request_focus();
            }
            ui.horizontal(|ui| {
                let ready = !self.comment.trim().is_empty();
                let send = design::primary_button(ui, Kind::Post, icon::FORUM, t.send, ready);
                if send.clicked() {
                    self.pending = Some(Pending::Comment);
                    cx.apply(Command::Fil(FilCommand::AddComment {
                        post: post.id.clone(),
                        id: cx.new_id(),
                        text: self.comment.trim().to_owned(),
                    }));
                }
                if ui.button(t.cancel).clicked() {
                    self.commenting = None;
                }
            });
            return;
        }
        if design::icon_button(ui, icon::FORUM, t.comment).clicked() {
            if self.commenting.as_ref() != Some(&post.id) {
                self.comment.clear();
            }
            self.commenting = Some(post.id.clone());
            self.focus_comment = true;
        }
    }

    /// The post's "…" menu: delete (asking first) for its author or a
    /// moderator, and moderation. Nothing when none applies.
    fn menu_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, post: &Post) {
        let t = cx.lang.feed();
        let may_delete = cx.may_edit(&post.author) && cx.me.is_some_and(|m| m.is_active());
        if !may_delete && !cx.is_moderator() {
            return;
        }
        design::more_menu_asking(ui, cx.lang.t().more_actions, |ui| {
            if may_delete {
                let add = cx.lang.attachments().add;
                if design::icon_button(ui, design::file_icon::ADD, add).clicked() {
                    self.attaching = Some(post.id.clone());
                    ui.close();
                }
                let mut armed = self.confirm_delete.as_ref() == Some(&post.id);
                let words = super::DeleteWords {
                    delete: t.delete,
                    question: t.delete_question,
                    confirm: t.confirm_delete,
                    cancel: t.cancel,
                };
                if super::confirm_delete(ui, &mut armed, words) {
                    self.pending = Some(Pending::Delete);
                    cx.apply(Command::Fil(FilCommand::DeletePost {
                        id: post.id.clone(),
                    }));
                    ui.close();
                }
                if armed {
                    self.confirm_delete = Some(post.id.clone());
                } else if self.confirm_delete.as_ref() == Some(&post.id) {
                    self.confirm_delete = None;
                }
            }
            self.moderate
                .ui(ui, cx, ItemKind::Post, &post.id, post.locked.as_ref());
        });
    }
}

/// A section's title with its kind's icon.
fn section_ui(ui: &mut egui::Ui, kind: Kind, text: &str) {
    ui.horizontal(|ui| {
        let color = kind.stripe(ui.visuals().dark_mode);
        ui.label(kind.icon().rich_text().size(design::TITLE).color(color));
        design::title(ui, text);
    });
}

/// The screen's heading, the community's name and description, and its
/// next events.
fn welcome_ui(ui: &mut egui::Ui, cx: &Cx) {
    let (t, lang, view) = (cx.lang.feed(), cx.lang, &**cx.view);
    ui.add_space(design::GAP);
    design::heading(ui, Kind::Post, t.nav);
    ui.add_space(design::GAP);
    design::card(ui, Kind::Member, |ui| {
        design::title(ui, format!("{} · {}", t.welcome, view.community.name));
        if !view.community.description.trim().is_empty() {
            ui.label(&view.community.description);
        }
    });
    ui.add_space(design::GAP / 2.0);
    section_ui(ui, Kind::Event, t.upcoming);
    // Events are sorted by start: skip the past ones, keeping those still under way.
    let now = cx.now.timestamp_millis();
    let from = view.events.partition_point(|e| e.start < now - DAY);
    let mut upcoming = view.events[from..]
        .iter()
        .filter(|e| e.end.unwrap_or(e.start) >= now)
        .take(UPCOMING)
        .peekable();
    if upcoming.peek().is_none() {
        design::empty(ui, t.no_upcoming);
    }
    for event in upcoming {
        design::card(ui, Kind::Event, |ui| {
            ui.label(RichText::new(&event.title).strong());
            ui.horizontal_wrapped(|ui| {
                let when = format!("{} · {}", lang.date(event.start), lang.time(event.start));
                design::meta_with(ui, icon::CALENDAR, when);
                if let Some(place) = &event.place {
                    design::meta_with(ui, icon::PLACE, place);
                }
            });
        });
    }
}

/// The frame of something new: a strong border (the "Nouveau" label carries
/// the meaning, the border only draws the eye).
fn highlight_frame(ui: &egui::Ui) -> egui::Frame {
    let stroke = egui::Stroke::new(2.0, ui.visuals().selection.stroke.color);
    egui::Frame::group(ui.style())
        .stroke(stroke)
        .fill(ui.visuals().faint_bg_color)
}

fn new_badge_ui(ui: &mut egui::Ui, t: &FeedStrings) {
    design::tag(ui, Kind::Sync, t.new_badge);
}

/// The first line of a text, cut to [`EXCERPT`] characters.
fn excerpt(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    match line.char_indices().nth(EXCERPT) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}
