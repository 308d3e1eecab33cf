//! The Groupes screen: thematic groups and small circles as cards, and the
//! opened group's members, facilitator, next meeting and discussion thread;
//! deleting and moderating it wait in its "…" menu.

use chrono::{Datelike, TimeZone, Timelike};
use egui::RichText;
use passerelle_core::model::{
    Command, Group, GroupCommand, ItemId, ItemKind, Meeting, MemberId, Timestamp,
};

use super::Cx;
use crate::design::{self, Kind, card_icon, icon};
use crate::i18n::Lang;
use crate::i18n::groups::GroupsStrings;

/// The form to create a group.
#[derive(Default)]
struct GroupForm {
    name: String,
    theme: Option<String>,
    description: String,
}

/// The next-meeting form: plain fields, checked when saved.
#[derive(Default)]
struct MeetingForm {
    day: String,
    month: String,
    year: String,
    hour: String,
    minute: String,
    place: String,
    error: Option<MeetingError>,
}

/// Why the meeting fields do not make a time.
#[derive(Clone, Copy, Debug, PartialEq)]
enum MeetingError {
    NotANumber,
    NoSuchDate,
    NoSuchTime,
    Past,
}

impl MeetingError {
    fn message(self, t: &GroupsStrings) -> &'static str {
        match self {
            MeetingError::NotANumber => t.bad_number,
            MeetingError::NoSuchDate => t.bad_date,
            MeetingError::NoSuchTime => t.bad_time,
            MeetingError::Past => t.past_date,
        }
    }
}

impl MeetingForm {
    /// The form filled with a group's planned meeting, or empty but for the
    /// year (`now`'s).
    fn from_meeting(meeting: Option<&Meeting>, now: chrono::DateTime<chrono::Local>) -> Self {
        let planned =
            meeting.and_then(|m| Some((chrono::Local.timestamp_millis_opt(m.at).single()?, m)));
        match planned {
            Some((at, m)) => Self {
                day: at.day().to_string(),
                month: at.month().to_string(),
                year: at.year().to_string(),
                hour: at.hour().to_string(),
                minute: format!("{:02}", at.minute()),
                place: m.place.clone().unwrap_or_default(),
                error: None,
            },
            None => Self {
                year: now.year().to_string(),
                ..Self::default()
            },
        }
    }

    /// The meeting the fields describe, in the local time zone.
    fn meeting(&self, now: Timestamp) -> Result<Meeting, MeetingError> {
        let at = local_time(
            [&self.day, &self.month, &self.year, &self.hour, &self.minute],
            now,
        )?;
        let place = self.place.trim();
        Ok(Meeting {
            at,
            place: (!place.is_empty()).then(|| place.to_owned()),
        })
    }
}

/// Reads day, month, year, hour and minute typed by a person ("5", "05",
/// a two-digit year "26" for 2026) as a local time to come.
fn local_time(fields: [&str; 5], now: Timestamp) -> Result<Timestamp, MeetingError> {
    let mut n = [0u32; 5];
    for (slot, field) in n.iter_mut().zip(fields) {
        *slot = field.trim().parse().map_err(|_| MeetingError::NotANumber)?;
    }
    let [day, month, year, hour, minute] = n;
    let year = if year < 100 { 2000 + year } else { year };
    if hour > 23 || minute > 59 {
        return Err(MeetingError::NoSuchTime);
    }
    let year = i32::try_from(year).map_err(|_| MeetingError::NoSuchDate)?;
    let date = chrono::NaiveDate::from_ymd_opt(year, month, day).ok_or(MeetingError::NoSuchDate)?;
    let naive = date
        .and_hms_opt(hour, minute, 0)
        .ok_or(MeetingError::NoSuchTime)?;
    // `earliest` also covers the hour repeated when clocks go back; a time
    // skipped when clocks go forward does not exist.
    let at = chrono::Local
        .from_local_datetime(&naive)
        .earliest()
        .ok_or(MeetingError::NoSuchTime)?
        .timestamp_millis();
    if at < now {
        return Err(MeetingError::Past);
    }
    Ok(at)
}

/// The command last sent from this screen, so `applied` acts on the right form.
enum Pending {
    Create(ItemId),
    Message,
    Delete,
    Other,
}

/// The Groupes screen's state: the selected group and the forms.
#[derive(Default)]
pub struct GroupsPanel {
    selected: Option<ItemId>,
    creating: Option<GroupForm>,
    message: String,
    meeting: MeetingForm,
    /// The group and planned meeting the meeting form was filled from.
    meeting_for: Option<(ItemId, Option<Meeting>)>,
    confirm_delete: bool,
    pending: Option<Pending>,
    scroll_to_selected: bool,
    moderate: super::moderation::ModerateMenu,
}

impl GroupsPanel {
    /// Selects a group (from a search result).
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
            Some(Pending::Message) => self.message.clear(),
            Some(Pending::Delete) => {
                self.selected = None;
                self.confirm_delete = false;
            }
            Some(Pending::Other) | None => {}
        }
    }

    fn select(&mut self, id: ItemId) {
        if self.selected.as_ref() != Some(&id) {
            self.message.clear();
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
        let t = cx.lang.groups();
        egui::Panel::left("groups-list")
            .resizable(true)
            .default_size(320.0)
            .show(ui, |ui| self.list_ui(ui, cx));
        egui::ScrollArea::vertical()
            .id_salt("group-detail")
            .auto_shrink(false)
            .show(ui, |ui| {
                if let Some(form) = &mut self.creating {
                    match create_ui(ui, cx, form) {
                        FormAction::Sent(id) => self.pending = Some(Pending::Create(id)),
                        FormAction::Cancel => self.creating = None,
                        FormAction::None => {}
                    }
                    return;
                }
                let group = self
                    .selected
                    .as_ref()
                    .and_then(|id| cx.view.community.groups.iter().find(|g| &g.id == id));
                match group {
                    Some(group) => self.detail_ui(ui, cx, group),
                    None => {
                        ui.add_space(design::GAP);
                        design::empty(ui, t.pick_group);
                    }
                }
            });
    }

    fn list_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let (t, lang) = (cx.lang.groups(), cx.lang);
        ui.add_space(design::GAP);
        design::heading(ui, Kind::Group, t.nav);
        ui.add_space(design::GAP);
        if active(cx) && design::icon_button(ui, icon::CREATE, t.new_group).clicked() {
            self.creating = Some(GroupForm::default());
            self.selected = None;
        }
        ui.add_space(design::GAP);
        let groups = &cx.view.community.groups;
        if groups.is_empty() {
            design::empty(ui, t.no_groups);
            return;
        }
        let card_height = design::list_card_height(ui, 2);
        let row_height = card_height + design::GAP - ui.spacing().item_spacing.y;
        let line = design::list_card_line(ui);
        let mut clicked = None;
        let scroll_to = self
            .scroll_to_selected
            .then(|| self.selected.clone())
            .flatten();
        let mut area = egui::ScrollArea::vertical()
            .id_salt("groups-rows")
            .auto_shrink(false);
        if let Some(id) = &scroll_to
            && let Some(n) = groups.iter().position(|g| &g.id == id)
        {
            area =
                area.vertical_scroll_offset(n as f32 * (row_height + ui.spacing().item_spacing.y));
        }
        area.show_rows(ui, row_height, groups.len(), |ui, range| {
            for group in &groups[range] {
                let selected = self.selected.as_ref() == Some(&group.id);
                let open = design::opened(design::list_card(
                    ui,
                    Kind::Group,
                    card_height,
                    selected,
                    |ui| {
                        let title = ui
                            .horizontal(|ui| {
                                ui.set_height(line);
                                design::title_link(ui, &group.name).clicked()
                            })
                            .inner;
                        ui.horizontal(|ui| {
                            ui.set_height(line);
                            let count = member_count(lang, group.members.len());
                            design::meta_with(ui, card_icon::PEOPLE, count);
                            if let Some(m) = &group.next_meeting {
                                design::meta_with(ui, icon::CALENDAR, lang.short_date(m.at));
                            }
                            if let Some(theme) = &group.theme {
                                design::meta_with(
                                    ui,
                                    card_icon::CATEGORY,
                                    cx.view.theme_label(theme),
                                );
                            }
                        });
                        title
                    },
                ));
                if open {
                    clicked = Some(group.id.clone());
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

    fn detail_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, group: &Group) {
        let (t, lang, view) = (cx.lang.groups(), cx.lang, &**cx.view);
        ui.add_space(design::GAP);
        ui.horizontal(|ui| {
            ui.label(RichText::new(t.nav).strong());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                self.menu_ui(ui, cx, group);
            });
        });
        design::card(ui, Kind::Group, |ui| {
            if let Some(theme) = &group.theme {
                design::tag(ui, Kind::Group, view.theme_label(theme));
            }
            design::title(ui, &group.name);
            if !group.description.as_str().trim().is_empty() {
                ui.label(group.description.as_str());
            }
            ui.add_space(design::GAP / 2.0);
            match &group.facilitator {
                Some(f) => {
                    ui.horizontal(|ui| {
                        design::meta(ui, t.facilitated_by);
                        design::person(ui, view.member_name(f), f.as_str());
                    });
                }
                None => {
                    design::meta(ui, t.no_facilitator);
                }
            }
            let meeting = match &group.next_meeting {
                Some(m) => {
                    let mut text = format!(
                        "{} : {} · {}",
                        t.next_meeting,
                        lang.date(m.at),
                        lang.time(m.at)
                    );
                    if let Some(place) = &m.place {
                        text.push_str(&format!(" · {place}"));
                    }
                    text
                }
                None => t.no_meeting.to_owned(),
            };
            design::meta_with(ui, icon::CALENDAR, meeting);
        });
        self.membership_ui(ui, cx, group);
        ui.add_space(design::GAP);
        self.thread_ui(ui, cx, group);
        let facilitates = cx.my_id().is_some() && cx.my_id() == group.facilitator.as_ref();
        if active(cx) && (cx.is_moderator() || facilitates) {
            ui.add_space(design::SECTION);
            self.organise_ui(ui, cx, group);
        }
    }

    /// The group's "…" menu: delete (asking first) for who created it or a
    /// moderator, and moderation. Nothing when none applies.
    fn menu_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, group: &Group) {
        let may_delete = active(cx) && cx.may_edit(&group.created_by);
        if !may_delete && !cx.is_moderator() {
            return;
        }
        design::more_menu_asking(ui, cx.lang.t().more_actions, |ui| {
            if may_delete {
                self.delete_ui(ui, cx, group);
            }
            let lock = group.locked.as_ref();
            self.moderate.ui(ui, cx, ItemKind::Group, &group.id, lock);
        });
    }

    fn membership_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, group: &Group) {
        let (t, lang, view) = (cx.lang.groups(), cx.lang, &**cx.view);
        ui.add_space(design::GAP / 2.0);
        ui.horizontal(|ui| {
            ui.label(card_icon::PEOPLE.rich_text().size(design::BODY + 2.0));
            ui.label(
                RichText::new(format!(
                    "{} ({})",
                    t.members,
                    lang.number(group.members.len())
                ))
                .strong(),
            );
        });
        ui.horizontal_wrapped(|ui| {
            for id in group.members.keys() {
                let id = MemberId::from(id.as_str());
                let name = view.member_name(&id);
                ui.horizontal(|ui| {
                    design::avatar(ui, name, id.as_str(), 26.0);
                    if group.facilitator.as_ref() == Some(&id) {
                        ui.label(format!("{name} ({})", t.facilitator_mark));
                    } else {
                        ui.label(name);
                    }
                });
                ui.add_space(design::GAP / 2.0);
            }
        });
        let Some(me) = cx.my_id().filter(|_| active(cx)) else {
            design::meta(ui, t.read_only);
            return;
        };
        ui.add_space(design::GAP / 2.0);
        if group.members.contains_key(me.as_str()) {
            ui.horizontal_wrapped(|ui| {
                ui.label(icon::DONE.rich_text().size(design::BODY + 2.0));
                ui.label(t.you_are_member);
                if ui.button(t.leave).clicked() {
                    let command = Command::Groups(GroupCommand::LeaveGroup {
                        group: group.id.clone(),
                    });
                    self.apply(cx, Pending::Other, command);
                }
            });
        } else if design::primary_button(ui, Kind::Group, card_icon::JOIN, t.join, true).clicked() {
            let command = Command::Groups(GroupCommand::JoinGroup {
                group: group.id.clone(),
            });
            self.apply(cx, Pending::Other, command);
        }
    }

    fn thread_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, group: &Group) {
        let (t, lang, view) = (cx.lang.groups(), cx.lang, &**cx.view);
        ui.horizontal(|ui| {
            ui.label(icon::FORUM.rich_text().size(design::TITLE));
            design::title(ui, t.thread);
        });
        if group.thread.is_empty() {
            design::meta(ui, t.no_messages);
        } else {
            // Message ids are ULIDs: the map's order is the order they were written.
            egui::ScrollArea::vertical()
                .id_salt(("thread", group.id.as_str()))
                .max_height(320.0)
                .stick_to_bottom(true)
                .show(ui, |ui| {
                    for message in group.thread.values() {
                        let name = view.member_name(&message.author);
                        ui.horizontal(|ui| {
                            design::avatar(ui, name, message.author.as_str(), 26.0);
                            ui.vertical(|ui| {
                                ui.horizontal_wrapped(|ui| {
                                    ui.label(RichText::new(name).strong());
                                    design::meta(ui, lang.date_time(message.at));
                                });
                                ui.label(&message.text);
                            });
                        });
                        ui.add_space(design::GAP / 2.0);
                    }
                });
        }
        let locked = super::moderation::locked_ui(ui, cx, group.locked.as_ref());
        if !active(cx) || locked {
            return;
        }
        let label = ui.label(t.message);
        ui.add(
            egui::TextEdit::multiline(&mut self.message)
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        let ready = !self.message.trim().is_empty();
        if design::primary_button(ui, Kind::Group, card_icon::SEND, t.send, ready).clicked() {
            let command = Command::Groups(GroupCommand::PostInGroup {
                group: group.id.clone(),
                id: cx.new_id(),
                text: self.message.trim().to_owned(),
            });
            self.apply(cx, Pending::Message, command);
        }
    }

    fn organise_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, group: &Group) {
        let (t, view) = (cx.lang.groups(), &**cx.view);
        ui.horizontal(|ui| {
            ui.label(icon::SETTINGS.rich_text().size(design::TITLE));
            design::title(ui, t.organise);
        });
        let mut facilitator = group.facilitator.clone();
        let current = facilitator
            .as_ref()
            .map_or(t.nobody, |id| view.member_name(id));
        let label = ui.label(t.who_facilitates);
        egui::ComboBox::from_id_salt(("facilitator", group.id.as_str()))
            .selected_text(current)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut facilitator, None, t.nobody);
                for id in group.members.keys() {
                    let id = MemberId::from(id.as_str());
                    let name = view.member_name(&id).to_owned();
                    ui.selectable_value(&mut facilitator, Some(id), name);
                }
            })
            .response
            .labelled_by(label.id);
        if facilitator != group.facilitator {
            let command = Command::Groups(GroupCommand::SetFacilitator {
                group: group.id.clone(),
                member: facilitator,
            });
            self.apply(cx, Pending::Other, command);
        }
        ui.add_space(6.0);
        self.meeting_ui(ui, cx, group);
    }

    fn meeting_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, group: &Group) {
        let t = cx.lang.groups();
        let key = (group.id.clone(), group.next_meeting.clone());
        if self.meeting_for.as_ref() != Some(&key) {
            self.meeting = MeetingForm::from_meeting(group.next_meeting.as_ref(), cx.now);
            self.meeting_for = Some(key);
        }
        ui.label(RichText::new(t.next_meeting).strong());
        ui.label(RichText::new(t.date_hint).small());
        let form = &mut self.meeting;
        ui.horizontal_wrapped(|ui| {
            for (text, field, width) in [
                (t.day, &mut form.day, 36.0),
                (t.month, &mut form.month, 36.0),
                (t.year, &mut form.year, 56.0),
                (t.hour, &mut form.hour, 36.0),
                (t.minute, &mut form.minute, 36.0),
            ] {
                let label = ui.label(text);
                ui.add(egui::TextEdit::singleline(field).desired_width(width))
                    .labelled_by(label.id);
            }
        });
        ui.horizontal(|ui| {
            let label = ui.label(t.place);
            ui.add(egui::TextEdit::singleline(&mut form.place).desired_width(260.0))
                .labelled_by(label.id);
        });
        if let Some(error) = form.error {
            ui.colored_label(ui.visuals().error_fg_color, error.message(t));
        }
        let (save, clear) = ui
            .horizontal(|ui| {
                let save = ui.button(t.save_meeting).clicked();
                let clear = group.next_meeting.is_some() && ui.button(t.clear_meeting).clicked();
                (save, clear)
            })
            .inner;
        if save {
            match form.meeting(cx.now.timestamp_millis()) {
                Ok(meeting) => {
                    form.error = None;
                    let command = Command::Groups(GroupCommand::SetNextMeeting {
                        group: group.id.clone(),
                        meeting: Some(meeting),
                    });
                    self.apply(cx, Pending::Other, command);
                }
                Err(e) => form.error = Some(e),
            }
        }
        if clear {
            let command = Command::Groups(GroupCommand::SetNextMeeting {
                group: group.id.clone(),
                meeting: None,
            });
            self.apply(cx, Pending::Other, command);
        }
    }

    fn delete_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, group: &Group) {
        let t = cx.lang.groups();
        let words = super::DeleteWords {
            delete: t.delete,
            question: t.delete_question,
            confirm: t.confirm_delete,
            cancel: t.cancel,
        };
        if super::confirm_delete(ui, &mut self.confirm_delete, words) {
            let command = Command::Groups(GroupCommand::DeleteGroup {
                id: group.id.clone(),
            });
            self.apply(cx, Pending::Delete, command);
        }
    }
}

/// What the person did with the group form.
enum FormAction {
    None,
    Sent(ItemId),
    Cancel,
}

/// The group form.
fn create_ui(ui: &mut egui::Ui, cx: &Cx, form: &mut GroupForm) -> FormAction {
    let (t, view) = (cx.lang.groups(), &**cx.view);
    ui.add_space(design::GAP);
    design::heading(ui, Kind::Group, t.new_group);
    ui.add_space(design::GAP);
    let label = ui.label(t.name);
    ui.add(egui::TextEdit::singleline(&mut form.name).desired_width(320.0))
        .labelled_by(label.id);
    let label = ui.label(t.theme);
    let selected = form
        .theme
        .as_deref()
        .map_or(t.no_theme, |id| view.theme_label(id));
    egui::ComboBox::from_id_salt("group-theme")
        .selected_text(selected)
        .width(320.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut form.theme, None, t.no_theme);
            for theme in &view.community.themes {
                ui.selectable_value(&mut form.theme, Some(theme.id.clone()), &theme.label);
            }
        })
        .response
        .labelled_by(label.id);
    let label = ui.label(t.description);
    ui.add(
        egui::TextEdit::multiline(&mut form.description)
            .hint_text(t.description_hint)
            .desired_rows(4)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    let ready = !form.name.trim().is_empty();
    let mut action = FormAction::None;
    ui.horizontal(|ui| {
        if design::primary_button(ui, Kind::Group, icon::CREATE, t.create, ready).clicked() {
            let id = cx.new_id();
            cx.apply(Command::Groups(GroupCommand::AddGroup {
                id: id.clone(),
                name: form.name.trim().to_owned(),
                theme: form.theme.clone(),
                description: form.description.trim().to_owned(),
            }));
            action = FormAction::Sent(id);
        }
        if ui.button(t.cancel).clicked() {
            action = FormAction::Cancel;
        }
    });
    action
}

/// "1 membre", "4 membres" (French counts 0 and 1 as singular).
fn member_count(lang: Lang, n: usize) -> String {
    let t = lang.groups();
    let singular = match lang {
        Lang::Fr => n <= 1,
        Lang::En => n == 1,
    };
    let word = if singular {
        t.member_one
    } else {
        t.member_many
    };
    format!("{} {word}", lang.number(n))
}

/// Whether this device's member may still act in the community.
fn active(cx: &Cx) -> bool {
    cx.me.is_some_and(|m| m.is_active())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(fields: [&str; 5]) -> Result<Timestamp, MeetingError> {
        local_time(fields, 0)
    }

    #[test]
    fn a_well_written_date_is_read_in_local_time() {
        let ts = at(["5", "03", "2031", "18", "30"]).unwrap();
        let local = chrono::Local.timestamp_millis_opt(ts).unwrap();
        assert_eq!(
            (
                local.day(),
                local.month(),
                local.year(),
                local.hour(),
                local.minute()
            ),
            (5, 3, 2031, 18, 30)
        );
        assert_eq!(at(["5", "3", "31", "18", "30"]), Ok(ts), "a two-digit year");
    }

    #[test]
    fn impossible_dates_and_times_are_refused_with_a_reason() {
        assert_eq!(
            at(["31", "2", "2031", "10", "0"]),
            Err(MeetingError::NoSuchDate)
        );
        assert_eq!(
            at(["1", "13", "2031", "10", "0"]),
            Err(MeetingError::NoSuchDate)
        );
        assert_eq!(
            at(["1", "2", "2031", "24", "0"]),
            Err(MeetingError::NoSuchTime)
        );
        assert_eq!(
            at(["1", "2", "2031", "10", "60"]),
            Err(MeetingError::NoSuchTime)
        );
        assert_eq!(
            at(["", "2", "2031", "10", "0"]),
            Err(MeetingError::NotANumber)
        );
        assert_eq!(
            at(["1er", "2", "2031", "10", "0"]),
            Err(MeetingError::NotANumber)
        );
        let now = chrono::Local
            .with_ymd_and_hms(2026, 12, 5, 10, 0, 0)
            .unwrap()
            .timestamp_millis();
        assert_eq!(
            local_time(["1", "1", "2020", "10", "0"], now),
            Err(MeetingError::Past)
        );
    }
}
