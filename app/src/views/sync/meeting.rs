//! "Se retrouver", the meeting mode: members who sit together see who is
//! here, what each one passed on, in words, and invite someone new with a
//! large QR code. Addresses, tickets and relays stay out of sight: people
//! on the same Wi-Fi find each other by themselves.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use passerelle_core::SessionError;
use passerelle_core::model::{DeviceKey, Member, MemberId, Role};

use super::{Cx, qr_sized_ui};
use crate::bridge::Inbox;
use crate::design::{self, Kind, icon};
use crate::i18n::Lang;
use crate::i18n::errors::{Problem, describe_session};

/// How long a code made during a meeting admits someone.
const INVITE_VALID: Duration = Duration::from_secs(24 * 3600);

/// The widest the invitation's QR code is drawn, in points.
const QR_SIDE: f32 = 360.0;

/// A member met in this run, on the Wi-Fi or in a session, with what
/// their devices exchanged with this one.
pub struct Present<'a> {
    /// Who.
    pub member: &'a Member,
    /// A session with one of their devices is open now.
    pub live: bool,
    /// One of their devices was found on the Wi-Fi.
    pub nearby: bool,
    /// Items that first reached this device from theirs.
    pub news: u64,
    /// When a session with them last ended well, or changes last came.
    pub last_sync: Option<i64>,
    /// Why their last session ended badly, if it did.
    pub error: Option<&'a SessionError>,
}

/// The members met in this run (found nearby, in a session, or synced),
/// one entry per member whatever their devices, those connected first.
pub fn present<'a>(cx: &Cx<'a>) -> Vec<Present<'a>> {
    let net = cx.net;
    let keys: BTreeSet<&String> = (net.nearby.keys())
        .chain(net.live.keys())
        .chain(net.peers.keys())
        .collect();
    let mut by_member: BTreeMap<&MemberId, Present<'a>> = BTreeMap::new();
    for key in keys {
        if key == cx.device.as_str() {
            continue;
        }
        let Some(member) = cx.view.member_for_device(&DeviceKey(key.clone())) else {
            continue;
        };
        let entry = by_member.entry(&member.id).or_insert(Present {
            member,
            live: false,
            nearby: false,
            news: 0,
            last_sync: None,
            error: None,
        });
        entry.live |= net.live.contains_key(key);
        entry.nearby |= net.nearby.contains_key(key);
        if let Some(record) = net.peers.get(key) {
            entry.news += record.news;
            entry.last_sync = entry.last_sync.max(record.last_sync);
            entry.error = entry.error.or(record.last_error.as_ref());
        }
    }
    let mut people: Vec<Present<'a>> = by_member.into_values().collect();
    people.sort_by(|a, b| (b.live, &a.member.display_name).cmp(&(a.live, &b.member.display_name)));
    people
}

/// "Ana vous a transmis 12 nouveautés", when she did.
pub fn news_line(cx: &Cx, person: &Present) -> Option<String> {
    news_words(cx.lang, &person.member.display_name, person.news)
}

/// "`name` vous a transmis `n` nouveautés", in `lang`; `None` for none.
fn news_words(lang: Lang, name: &str, n: u64) -> Option<String> {
    let t = lang.sync();
    let template = match n {
        0 => return None,
        1 => t.news_one,
        _ => t.news_many,
    };
    Some(
        template
            .replace("{name}", name)
            .replace("{n}", &lang.number(n)),
    )
}

/// Where this device stands with `person`, in words.
pub fn state_line(cx: &Cx, person: &Present) -> String {
    let t = cx.lang.sync();
    let name = &person.member.display_name;
    if person.live {
        t.up_to_date.replace("{name}", name)
    } else if let Some(e) = person.error {
        format!(
            "{} {}",
            t.interrupted.replace("{name}", name),
            describe_session(cx.lang, e)
        )
    } else if let Some(at) = person.last_sync {
        t.up_to_date_at
            .replace("{name}", name)
            .replace("{time}", &cx.lang.time(at))
    } else {
        t.on_wifi.replace("{name}", name)
    }
}

/// One person: avatar and name, then where things stand.
pub fn person_ui(ui: &mut egui::Ui, cx: &Cx, person: &Present) {
    design::card(ui, Kind::Member, |ui| {
        design::person(ui, &person.member.display_name, person.member.id.as_str());
        if let Some(news) = news_line(cx, person) {
            ui.label(egui::RichText::new(news).strong());
        }
        let state_icon = if person.live { icon::DONE } else { icon::WIFI };
        design::meta_with(ui, state_icon, state_line(cx, person));
    });
}

/// The meeting mode's state: whether it is shown, and the invitation made
/// during it.
#[derive(Default)]
pub struct Meeting {
    /// The meeting view is shown instead of the Synchronisation screen.
    pub open: bool,
    /// The invitation made during the meeting: its id and ticket.
    invite: Option<(String, String)>,
    inviting: bool,
    invites: Inbox<Result<(String, String), Problem>>,
}

/// What the meeting view asks of the screen around it.
pub enum MeetingAction {
    /// Nothing.
    None,
    /// "Terminer la rencontre".
    End,
}

impl Meeting {
    /// Draws the meeting view; `sync_now_ui` draws the "Synchroniser
    /// maintenant" button and its summary.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        cx: &Cx,
        sync_now_ui: impl FnOnce(&mut egui::Ui),
    ) -> MeetingAction {
        let t = cx.lang.sync();
        for result in self.invites.drain() {
            self.inviting = false;
            self.invite = result.ok();
        }
        let mut action = MeetingAction::None;
        ui.horizontal(|ui| {
            design::heading(ui, Kind::Sync, t.meet);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if design::icon_button(ui, icon::DONE, t.end_meeting).clicked() {
                    action = MeetingAction::End;
                }
            });
        });
        ui.label(t.meeting_intro);
        ui.add_space(design::GAP);
        egui::ScrollArea::vertical()
            .id_salt("meeting-scroll")
            .auto_shrink(false)
            .show(ui, |ui| {
                ui.columns(2, |columns| {
                    let [left, right] = columns else {
                        return;
                    };
                    let top_down = egui::Layout::top_down(egui::Align::Min);
                    left.with_layout(top_down, |ui| {
                        self.who_ui(ui, cx);
                        ui.add_space(design::SECTION);
                        design::card(ui, Kind::Sync, sync_now_ui);
                    });
                    right.with_layout(top_down, |ui| self.invite_ui(ui, cx));
                });
            });
        action
    }

    fn who_ui(&self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.sync();
        design::heading(ui, Kind::Member, t.here_title);
        let people = present(cx);
        if people.is_empty() {
            design::empty(ui, t.nobody_here);
        }
        for person in &people {
            person_ui(ui, cx, person);
        }
    }

    fn invite_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.sync();
        design::card(ui, Kind::Sync, |ui| {
            design::title(ui, t.invite_title);
            let may_invite = cx.me.is_some_and(Member::is_active);
            if !may_invite {
                ui.label(t.ask_to_invite);
                for member in (cx.view.community.members.iter())
                    .filter(|m| m.is_active() && m.role != Role::Membre)
                {
                    design::person(ui, &member.display_name, member.id.as_str());
                }
                return;
            }
            let shown = self.invite.as_ref().and_then(|(id, ticket)| {
                let invite = cx
                    .view
                    .community
                    .invites
                    .iter()
                    .find(|i| i.id.as_str() == id);
                match invite.and_then(|i| i.used_by.as_ref()) {
                    Some(joined) => {
                        let name = super::peer_name(cx.view, cx.lang, joined);
                        ui.label(t.invite_used.replace("{name}", &name));
                        None
                    }
                    None => Some(ticket.clone()),
                }
            });
            match shown {
                Some(ticket) => {
                    ui.label(t.invite_text);
                    qr_sized_ui(ui, &ticket, cx.lang, QR_SIDE);
                    if ui.button(cx.lang.members().copy).clicked() {
                        ui.ctx().copy_text(ticket);
                    }
                }
                None => {
                    let label = if self.invite.is_some() {
                        t.another_invite
                    } else {
                        t.make_invite
                    };
                    let ready = !self.inviting && cx.net.info.is_some();
                    let clicked = ui
                        .add_enabled_ui(ready, |ui| design::icon_button(ui, icon::QR_CODE, label))
                        .inner
                        .clicked();
                    if clicked {
                        self.create(cx);
                    }
                    if self.inviting {
                        ui.label(t.making_invite);
                    } else if cx.net.info.is_none() {
                        ui.label(cx.lang.members().network_needed);
                    }
                }
            }
        });
    }

    fn create(&mut self, cx: &Cx) {
        self.inviting = true;
        crate::views::members::make_invite(cx, &self.invites, INVITE_VALID);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn news_are_told_in_words_with_singular_and_plural() {
        assert_eq!(news_words(Lang::Fr, "Ana", 0), None);
        assert_eq!(
            news_words(Lang::Fr, "Ana", 1).as_deref(),
            Some("Ana vous a transmis 1 nouveauté")
        );
        assert_eq!(
            news_words(Lang::Fr, "Ana", 12).as_deref(),
            Some("Ana vous a transmis 12 nouveautés")
        );
        assert_eq!(
            news_words(Lang::En, "Ana", 12).as_deref(),
            Some("Ana passed on 12 new items to you")
        );
    }

    #[test]
    fn every_template_names_what_it_is_filled_with_in_both_languages() {
        for lang in [Lang::Fr, Lang::En] {
            let t = lang.sync();
            let templates = [
                (t.news_one, &["{name}"][..]),
                (t.news_many, &["{name}", "{n}"]),
                (t.up_to_date, &["{name}"]),
                (t.up_to_date_at, &["{name}", "{time}"]),
                (t.on_wifi, &["{name}"]),
                (t.interrupted, &["{name}"]),
                (t.last_exchange, &["{name}", "{when}"]),
                (t.invite_used, &["{name}"]),
            ];
            for (template, holes) in templates {
                for hole in holes {
                    assert!(template.contains(hole), "{lang:?}: {template} lacks {hole}");
                }
            }
        }
    }
}
