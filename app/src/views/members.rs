//! The Membres screen: who belongs to the community, their profiles and
//! roles, my own profile, and invitations (ticket text and QR code).

use std::sync::Arc;
use std::time::Duration;

use egui::RichText;
use passerelle_core::model::view::CommunityPart;
use passerelle_core::model::{
    Command, CommunityView, Invite, Member, MemberCommand, MemberId, Role,
};

use super::Cx;
use super::cache::SameArc;
use super::sync::{qr_png, qr_ui, run};
use crate::bridge::Inbox;
use crate::design::{self, Kind, icon, more_icon};
use crate::i18n::Lang;

mod devices;

/// The height of a member's card in the list: avatar, name, role, skills
/// (the rest is in the detail pane).
const ROW_HEIGHT: f32 = 84.0;

/// One line of the member list.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Row {
    /// An active member (index in the community's members).
    Active(usize),
    /// The heading above removed members.
    RemovedHeading,
    /// A removed member.
    Removed(usize),
}

/// What the right-hand side shows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Pane {
    /// The selected member (me when none is selected).
    #[default]
    Member,
    /// My profile, being edited.
    Profile,
    /// Creating an invitation, and the pending ones.
    Invite,
}

/// My profile as being edited.
#[derive(Default)]
struct ProfileForm {
    name: String,
    skills: String,
    languages: String,
}

impl ProfileForm {
    fn from_member(m: &Member) -> Self {
        Self {
            name: m.display_name.clone(),
            skills: m.skills.join(", "),
            languages: m.languages.join(", "),
        }
    }
}

/// How long a new invitation stays valid.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Validity {
    Hour,
    Day,
    #[default]
    Week,
}

impl Validity {
    const ALL: [Validity; 3] = [Validity::Hour, Validity::Day, Validity::Week];

    fn duration(self) -> Duration {
        Duration::from_secs(match self {
            Validity::Hour => 3600,
            Validity::Day => 24 * 3600,
            Validity::Week => 7 * 24 * 3600,
        })
    }

    fn label(self, lang: Lang) -> &'static str {
        let t = lang.members();
        match self {
            Validity::Hour => t.valid_hour,
            Validity::Day => t.valid_day,
            Validity::Week => t.valid_week,
        }
    }
}

/// Creating an invitation and showing its ticket; the pending invitations.
/// Used by the Membres and Synchronisation screens.
#[derive(Default)]
pub struct InviteForm {
    validity: Validity,
    busy: bool,
    /// Tickets made in this run, by invite id: a ticket cannot be shown
    /// again later, since only its secret's hash is stored.
    tickets: Vec<(String, String)>,
    /// The invite whose ticket is shown.
    shown: Option<String>,
    results: Inbox<Result<(String, String), crate::i18n::errors::Problem>>,
}

impl InviteForm {
    /// The ticket shown, if any.
    pub fn ticket(&self) -> Option<&str> {
        let shown = self.shown.as_ref()?;
        self.tickets
            .iter()
            .find(|(id, _)| id == shown)
            .map(|(_, ticket)| ticket.as_str())
    }

    /// Draws the form, the ticket and the pending invitations.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.members();
        for result in self.results.drain() {
            self.busy = false;
            if let Ok((id, ticket)) = result {
                self.shown = Some(id.clone());
                self.tickets.push((id, ticket));
            }
        }
        ui.heading(t.invite_title);
        ui.label(t.invite_text);
        let label = ui.label(t.valid_for);
        ui.horizontal_wrapped(|ui| {
            for v in Validity::ALL {
                ui.radio_value(&mut self.validity, v, v.label(cx.lang));
            }
        })
        .response
        .labelled_by(label.id);
        let ready = !self.busy && cx.net.info.is_some() && cx.me.is_some();
        if ui
            .add_enabled(ready, egui::Button::new(t.create_invite))
            .clicked()
        {
            self.create(cx);
        }
        if self.busy {
            ui.label(t.creating);
        } else if cx.net.info.is_none() {
            ui.label(t.network_needed);
        }
        if let Some(ticket) = self.ticket().map(str::to_owned) {
            ticket_ui(ui, cx, &ticket);
        }
        ui.add_space(12.0);
        self.pending_ui(ui, cx);
    }

    fn create(&mut self, cx: &Cx) {
        self.busy = true;
        make_invite(cx, &self.results, self.validity.duration());
    }

    fn pending_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.members();
        ui.label(RichText::new(t.pending_title).strong());
        let now = cx.now.timestamp_millis();
        let pending: Vec<&Invite> = pending_invites(&cx.view.community, now).collect();
        if pending.is_empty() {
            ui.label(t.no_pending);
            return;
        }
        for invite in pending {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!(
                    "{} {} · {} {}",
                    t.invite_by,
                    cx.view.member_name(&invite.created_by),
                    t.expires,
                    cx.lang.date_time(invite.expires_at),
                ));
                let known = self.tickets.iter().any(|(id, _)| id == invite.id.as_str());
                if known
                    && self.shown.as_deref() != Some(invite.id.as_str())
                    && ui.button(t.show_ticket).clicked()
                {
                    self.shown = Some(invite.id.to_string());
                }
                if cx.may_edit(&invite.created_by) && ui.button(t.revoke).clicked() {
                    cx.apply(Command::Members(MemberCommand::RevokeInvite {
                        id: invite.id.clone(),
                    }));
                    if self.shown.as_deref() == Some(invite.id.as_str()) {
                        self.shown = None;
                    }
                }
            });
        }
    }
}

/// Invitations that can still admit someone: not used, revoked nor expired.
pub fn pending_invites(community: &CommunityPart, now: i64) -> impl Iterator<Item = &Invite> {
    community
        .invites
        .iter()
        .filter(move |i| !i.revoked && i.used_by.is_none() && i.expires_at > now)
}

/// A ticket to hand over: its text with a copy button, its QR code, and a
/// button to save the QR code as a picture.
pub fn ticket_ui(ui: &mut egui::Ui, cx: &Cx, ticket: &str) {
    let t = cx.lang.members();
    ui.add_space(8.0);
    ui.label(t.ticket_help);
    let label = ui.label(t.ticket_label);
    let mut text = ticket;
    ui.add(
        egui::TextEdit::multiline(&mut text)
            .desired_rows(3)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    ui.horizontal(|ui| {
        if ui.button(t.copy).clicked() {
            ui.ctx().copy_text(ticket.to_owned());
        }
        if ui.button(t.save_qr).clicked() {
            match qr_png(ticket) {
                Ok(png) => {
                    let name = format!("invitation-passerelle-{}.png", cx.now.timestamp());
                    cx.save_export(&name, png);
                }
                Err(e) => {
                    tracing::warn!("QR code: {e}");
                    cx.bridge.send(crate::bridge::Msg::Error(
                        crate::i18n::errors::Problem::failed(|l| l.members().qr_failed),
                    ));
                }
            }
        }
    });
    qr_ui(ui, ticket, cx.lang);
}

/// A pairing ticket's text, under its QR code: for a device with no
/// camera, copied and passed on some other way.
pub fn pairing_text_ui(ui: &mut egui::Ui, cx: &Cx, ticket: &str) {
    let t = cx.lang.members();
    let label = ui.label(RichText::new(t.ticket_label).small());
    let mut text = ticket;
    ui.add(
        egui::TextEdit::multiline(&mut text)
            .desired_rows(2)
            .desired_width(f32::INFINITY)
            .font(egui::TextStyle::Small),
    )
    .labelled_by(label.id);
    if ui.button(t.copy).clicked() {
        ui.ctx().copy_text(ticket.to_owned());
    }
}

/// The Membres screen's state.
#[derive(Default)]
pub struct MembersPanel {
    rows: Vec<Row>,
    /// The member list `rows` were computed from.
    rows_of: Option<SameArc<CommunityPart>>,
    selected: Option<MemberId>,
    pane: Pane,
    profile: ProfileForm,
    /// The role chosen for the selected member, before it is saved.
    role: Option<Role>,
    /// The removal of the selected member awaits confirmation.
    confirm_remove: bool,
    invite: InviteForm,
    /// The selected member's devices (pairing, revoking, backup).
    devices: devices::DevicesSection,
    /// Devices that signed two versions of one change (moderators).
    contradictions: super::moderation::ContradictionsSection,
}

impl MembersPanel {
    /// Brings a member forward (from a search result).
    pub fn open(&mut self, id: &str) {
        self.select(MemberId(id.to_owned()));
    }

    /// A command sent from this screen was saved: close the form.
    pub fn applied(&mut self) {
        if self.pane == Pane::Profile {
            self.pane = Pane::Member;
        }
        self.role = None;
        self.confirm_remove = false;
    }

    fn select(&mut self, id: MemberId) {
        self.selected = Some(id);
        self.pane = Pane::Member;
        self.role = None;
        self.confirm_remove = false;
    }

    fn refresh_rows(&mut self, community: &Arc<CommunityPart>) {
        if self
            .rows_of
            .as_ref()
            .is_some_and(|of| !of.changed(community))
        {
            return;
        }
        let by_name = |list: &mut Vec<usize>| {
            list.sort_by_cached_key(|&n| community.members[n].display_name.to_lowercase());
        };
        let (mut active, mut removed): (Vec<usize>, Vec<usize>) =
            (0..community.members.len()).partition(|&n| community.members[n].is_active());
        by_name(&mut active);
        by_name(&mut removed);
        self.rows = active.into_iter().map(Row::Active).collect();
        if !removed.is_empty() {
            self.rows.push(Row::RemovedHeading);
            self.rows.extend(removed.into_iter().map(Row::Removed));
        }
        self.rows_of = Some(SameArc::new(community));
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.members();
        let view = &**cx.view;
        egui::Panel::right("members-side")
            .resizable(true)
            .default_size(380.0)
            .max_size(ui.available_width() / 2.0)
            .show(ui, |ui| {
                let width = ui.available_width();
                egui::ScrollArea::vertical().show(ui, |ui| {
                    // A vertical area grows to last frame's content: keep
                    // it to the panel's width.
                    ui.set_max_width(width - ui.spacing().scroll.allocated_width());
                    ui.add_space(design::GAP);
                    match self.pane {
                        Pane::Member => self.member_ui(ui, cx),
                        Pane::Profile => self.profile_ui(ui, cx),
                        Pane::Invite => self.invite.ui(ui, cx),
                    }
                });
            });
        design::heading(ui, Kind::Member, t.nav);
        ui.horizontal_wrapped(|ui| {
            if let Some(me) = cx.me
                && me.is_active()
                && design::icon_button(ui, icon::EDIT, t.edit_profile).clicked()
            {
                self.profile = ProfileForm::from_member(me);
                self.pane = Pane::Profile;
            }
            if design::icon_button(ui, more_icon::INVITE, t.invite_someone).clicked() {
                self.pane = Pane::Invite;
            }
        });
        super::moderation::moderated_ui(ui, cx);
        self.contradictions.ui(ui, cx);
        self.refresh_rows(&view.community);
        let active = view.community.members.iter().filter(|m| m.is_active());
        design::meta(
            ui,
            format!("{} {}", cx.lang.number(active.count()), t.members_count),
        );
        let mut clicked = None;
        let list_width = ui.available_width() - ui.spacing().scroll.allocated_width();
        egui::ScrollArea::vertical()
            .id_salt("members-list")
            .auto_shrink(false)
            .show_rows(ui, ROW_HEIGHT, self.rows.len(), |ui, range| {
                // The cards fill the width: keep it to the room left (see `list_card`).
                ui.set_max_width(list_width);
                for row in &self.rows[range] {
                    let member = match *row {
                        Row::Active(n) | Row::Removed(n) => &view.community.members[n],
                        Row::RemovedHeading => {
                            ui.allocate_ui(egui::vec2(ui.available_width(), ROW_HEIGHT), |ui| {
                                ui.set_min_height(ROW_HEIGHT);
                                ui.with_layout(egui::Layout::bottom_up(egui::Align::LEFT), |ui| {
                                    design::title(ui, t.removed_heading);
                                });
                            });
                            continue;
                        }
                    };
                    let selected = self.selected.as_ref() == Some(&member.id);
                    if member_row_ui(ui, cx, member, selected) {
                        clicked = Some(member.id.clone());
                    }
                }
            });
        if let Some(id) = clicked {
            self.select(id);
        }
    }

    fn member_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.members();
        let lang = cx.lang;
        let view: &CommunityView = cx.view;
        let member = self
            .selected
            .as_ref()
            .and_then(|id| view.member(id))
            .or(cx.me);
        let Some(member) = member else {
            design::empty(ui, t.choose_member);
            return;
        };
        let mine = Some(&member.id) == cx.my_id();
        let mut title = member.display_name.clone();
        if mine {
            title = format!("{title} ({})", t.you);
        }
        ui.horizontal(|ui| {
            design::avatar(ui, &member.display_name, member.id.as_str(), 56.0);
            ui.vertical(|ui| {
                ui.heading(title);
                design::tag(ui, Kind::Member, role_label(lang, member.role));
            });
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Min), |ui| {
                self.more_menu_ui(ui, cx, member, mine);
            });
        });
        ui.horizontal_wrapped(|ui| {
            design::meta_inline(
                ui,
                icon::CALENDAR,
                format!("{} {}", t.joined, lang.date(member.joined_at)),
            );
        });
        if let Some(at) = member.removed_at {
            ui.label(RichText::new(format!("{} {}", t.removed_on, lang.date(at))).strong());
        }
        if self.confirm_remove {
            ui.add_space(design::GAP);
            ui.label(RichText::new(t.remove_title).strong());
            ui.label(t.remove_explained);
            ui.horizontal(|ui| {
                let confirm = RichText::new(t.confirm_remove).color(ui.visuals().error_fg_color);
                if ui.button(confirm).clicked() {
                    cx.apply(Command::Members(MemberCommand::RemoveMember {
                        member: member.id.clone(),
                    }));
                }
                if ui.button(lang.t().cancel).clicked() {
                    self.confirm_remove = false;
                }
            });
        }
        ui.add_space(design::GAP);
        for (icon, label, items) in [
            (more_icon::SKILL, t.skills, &member.skills),
            (more_icon::WEBSITE, t.languages, &member.languages),
        ] {
            ui.horizontal(|ui| {
                ui.label(design::icon_text(icon, design::BODY + 2.0).weak());
                ui.label(RichText::new(label).strong());
            });
            ui.label(list_or(items, t.nothing_yet));
        }
        let i_am_admin = cx
            .me
            .is_some_and(|m| m.role == Role::Admin && m.is_active());
        if i_am_admin && !mine && member.is_active() {
            ui.add_space(design::SECTION);
            self.role_ui(ui, cx, member);
        }
        ui.add_space(design::SECTION);
        self.devices.ui(ui, cx, member);
    }

    /// An admin's choice of another member's role: one click on the role,
    /// one on "Enregistrer le rôle".
    fn role_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, member: &Member) {
        let (t, lang) = (cx.lang.members(), cx.lang);
        let chosen = self.role.get_or_insert(member.role);
        ui.horizontal(|ui| {
            ui.label(design::icon_text(more_icon::ADMIN, design::BODY + 2.0).weak());
            ui.label(RichText::new(t.change_role).strong());
        });
        ui.horizontal_wrapped(|ui| {
            for role in Role::ALL {
                ui.selectable_value(chosen, *role, role_label(lang, *role));
            }
        });
        design::meta(ui, role_help(lang, *chosen));
        let changed = *chosen != member.role;
        if changed && ui.button(t.save_role).clicked() {
            cx.apply(Command::Members(MemberCommand::SetRole {
                member: member.id.clone(),
                role: *chosen,
            }));
        }
    }

    /// The "…" menu of another member, for animateurs and admins: removing
    /// them from the community (asked once more).
    fn more_menu_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, member: &Member, mine: bool) {
        if mine || !member.is_active() || !cx.is_moderator() {
            return;
        }
        let t = cx.lang.members();
        design::more_menu(ui, cx.lang.t().more_actions, |ui| {
            if design::icon_button(ui, icon::DELETE, t.remove).clicked() {
                self.confirm_remove = true;
            }
        });
    }

    fn profile_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.members();
        ui.heading(t.my_profile);
        ui.label(t.profile_help);
        let form = &mut self.profile;
        let label = ui.label(t.display_name);
        ui.text_edit_singleline(&mut form.name)
            .labelled_by(label.id);
        let label = ui.label(t.skills);
        ui.add(egui::TextEdit::singleline(&mut form.skills).hint_text(t.skills_hint))
            .labelled_by(label.id);
        let label = ui.label(t.languages);
        ui.add(egui::TextEdit::singleline(&mut form.languages).hint_text(t.languages_hint))
            .labelled_by(label.id);
        let ready = !form.name.trim().is_empty();
        let (save, cancel) = ui
            .horizontal(|ui| {
                (
                    ui.add_enabled(ready, egui::Button::new(t.save_profile))
                        .clicked(),
                    ui.button(cx.lang.t().cancel).clicked(),
                )
            })
            .inner;
        if save {
            cx.apply(Command::Members(MemberCommand::UpdateProfile {
                display_name: Some(form.name.trim().to_owned()),
                skills: Some(split_list(&form.skills)),
                languages: Some(split_list(&form.languages)),
            }));
        }
        if cancel {
            self.pane = Pane::Member;
        }
    }
}

/// One member in the list, as a card; returns true when their name was
/// clicked.
fn member_row_ui(ui: &mut egui::Ui, cx: &Cx, member: &Member, selected: bool) -> bool {
    let t = cx.lang.members();
    let mut name = member.display_name.clone();
    if Some(&member.id) == cx.my_id() {
        name = format!("{name} ({})", t.you);
    }
    let card = design::list_card(ui, Kind::Member, ROW_HEIGHT, selected, |ui| {
        ui.horizontal(|ui| {
            design::avatar(ui, &member.display_name, member.id.as_str(), 44.0);
            ui.vertical(|ui| {
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                let clicked = ui
                    .horizontal(|ui| {
                        let clicked = design::title_link(ui, name).clicked();
                        // Only the roles that do more stand out: a list of
                        // "Membre" tags would say nothing.
                        if member.role != Role::Membre {
                            design::tag(ui, Kind::Member, role_label(cx.lang, member.role));
                        }
                        clicked
                    })
                    .inner;
                let mut details = Vec::new();
                if !member.skills.is_empty() {
                    details.push(member.skills.join(", "));
                }
                if !member.languages.is_empty() {
                    details.push(format!("{} {}", t.speaks, member.languages.join(", ")));
                }
                details.push(match member.removed_at {
                    Some(at) => format!("{} {}", t.removed_on, cx.lang.short_date(at)),
                    None => format!("{} {}", t.joined, cx.lang.short_date(member.joined_at)),
                });
                ui.add(egui::Label::new(
                    RichText::new(details.join(" · ")).small().weak(),
                ));
                clicked
            })
            .inner
        })
        .inner
    });
    design::opened(card)
}

/// A role's name.
pub fn role_label(lang: Lang, role: Role) -> &'static str {
    let t = lang.members();
    match role {
        Role::Membre => t.role_member,
        Role::Animateur => t.role_facilitator,
        Role::Admin => t.role_admin,
    }
}

/// What a role may do, in one sentence.
fn role_help(lang: Lang, role: Role) -> &'static str {
    let t = lang.members();
    match role {
        Role::Membre => t.role_member_help,
        Role::Animateur => t.role_facilitator_help,
        Role::Admin => t.role_admin_help,
    }
}

fn list_or<'a>(items: &[String], empty: &'a str) -> std::borrow::Cow<'a, str> {
    if items.is_empty() {
        empty.into()
    } else {
        items.join(", ").into()
    }
}

/// "vélo, danse ; cuisine" → ["vélo", "danse", "cuisine"].
fn split_list(text: &str) -> Vec<String> {
    text.split([',', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Makes an invitation to the community shown, valid for `valid_for`; its
/// id and ticket text arrive in `results`, and the shell says it is ready
/// (or why not).
pub fn make_invite(
    cx: &Cx,
    results: &Inbox<Result<(String, String), crate::i18n::errors::Problem>>,
    valid_for: Duration,
) {
    let community = cx.community.clone();
    let t = cx.lang.members();
    run(
        cx.bridge,
        results.sender(),
        |_| t.invite_ready.to_owned(),
        |l| l.members().invite_failed,
        move |h| async move {
            let ticket = h.invite(&community, valid_for).await?;
            let id = ticket
                .invite
                .as_ref()
                .map(|i| i.invite.clone())
                .unwrap_or_default();
            Ok((id, ticket.encode()))
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_split_on_commas_and_semicolons() {
        assert_eq!(
            split_list(" vélo, danse ;cuisine,, "),
            vec!["vélo", "danse", "cuisine"]
        );
        assert!(split_list("  ").is_empty());
    }

    #[test]
    fn rows_follow_a_new_member_list_given_at_a_freed_address() {
        let example = crate::views::cache::tests::example_view();
        let mut fewer = (*example.community).clone();
        fewer.members.truncate(1);
        let mut panel = MembersPanel::default();
        let first = example.community.clone();
        drop(example);
        panel.refresh_rows(&first);
        assert_eq!(panel.rows.len(), first.members.len());
        // The allocator is free to hand the first list's address to the next
        // one of the same size, unless the panel still holds the first.
        drop(first);
        let second = Arc::new(fewer);
        panel.refresh_rows(&second);
        assert_eq!(panel.rows, [Row::Active(0)]);
    }
}
