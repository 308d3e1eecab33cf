//! The Agenda screen: events as a list (coming up first, then past ones) or
//! as a month grid, an event's detail with RSVP, a form to create or edit
//! one, and export to calendar apps (ICS).

use chrono::{DateTime, Datelike, Local, NaiveDate, NaiveTime, TimeZone};
use egui::RichText;
use passerelle_core::model::ics;
use passerelle_core::model::{
    AgendaCommand, Command, CommunityView, Event, ItemId, ItemKind, RsvpAnswer, Timestamp,
};

use super::Cx;
use super::cache::SameArc;
use super::files::ImportForm;
use crate::attachments::{self, Dest};
use crate::design::{self, Kind, card_icon, icon};
use crate::i18n::Lang;
use crate::i18n::agenda::AgendaStrings;
use passerelle_core::ImportKind;

mod bookings;
pub(crate) use bookings::{PlaceSchedule, schedule_ui};
mod form;

use form::{EventForm, local_millis};

/// The key of the files chosen in the form before the event exists.
const EVENT_FORM: &str = "event-form";

/// How the events are laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Mode {
    #[default]
    List,
    Month,
    /// Bookings of shared places.
    Bookings,
}

/// One line of the list ("À venir" is written above it).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Row {
    /// "Passés", at the foot of a line as high as a card.
    PastHeading,
    Event(usize),
}

/// What the last command sent from this screen was, so `applied` knows
/// which form to empty.
#[derive(Clone, Debug, PartialEq)]
enum Pending {
    Saved(ItemId),
    Deleted,
    Other,
}

fn local_date(ts: Timestamp) -> NaiveDate {
    Local
        .timestamp_millis_opt(ts)
        .single()
        .unwrap_or_default()
        .date_naive()
}

/// The screen's state: mode, shown month, selection, rows derived from the
/// view (recomputed only when the events or the hour change) and the form.
#[derive(Default)]
pub struct AgendaPanel {
    mode: Mode,
    /// First day of the month shown in the grid (today's month at first).
    month: Option<NaiveDate>,
    selected: Option<ItemId>,
    /// A search result asked for this event: show it on the next frame.
    reveal: bool,
    rows: Vec<Row>,
    /// The events and the hour `rows` were computed from.
    rows_key: Option<(SameArc<Vec<Event>>, i64)>,
    days: Vec<Vec<usize>>,
    /// The events and the month `days` were computed from.
    days_key: Option<(SameArc<Vec<Event>>, NaiveDate)>,
    form: Option<EventForm>,
    confirm_delete: bool,
    pending: Option<Pending>,
    import: ImportForm,
    moderate: super::moderation::ModerateMenu,
    bookings: bookings::BookingsPanel,
}

impl AgendaPanel {
    /// Brings an event forward (from a search result).
    pub fn open(&mut self, id: &str) {
        self.selected = Some(ItemId::from(id));
        self.form = None;
        self.confirm_delete = false;
        self.reveal = true;
    }

    /// A command sent from this screen was saved.
    pub fn applied(&mut self) {
        self.bookings.applied();
        match self.pending.take() {
            Some(Pending::Saved(id)) => {
                self.form = None;
                self.selected = Some(id);
                self.reveal = true;
            }
            Some(Pending::Deleted) => {
                self.selected = None;
                self.confirm_delete = false;
            }
            Some(Pending::Other) | None => {}
        }
    }

    fn send(&mut self, cx: &Cx, command: Command, pending: Pending) {
        self.pending = Some(pending);
        cx.apply(command);
    }

    fn refresh_rows(&mut self, view: &CommunityView, now: Timestamp) {
        // Events move from "coming up" to "past" as time passes: the hour is
        // part of the key.
        let key = (SameArc::new(&view.events), now / 3_600_000);
        if self.rows_key.as_ref() == Some(&key) {
            return;
        }
        let is_past = |e: &Event| e.end.unwrap_or(e.start + 3_600_000) < now;
        let upcoming = (0..view.events.len()).filter(|&n| !is_past(&view.events[n]));
        let mut past: Vec<usize> = (0..view.events.len())
            .filter(|&n| is_past(&view.events[n]))
            .collect();
        past.reverse();
        let mut rows: Vec<Row> = upcoming.map(Row::Event).collect();
        if !past.is_empty() {
            rows.push(Row::PastHeading);
            rows.extend(past.into_iter().map(Row::Event));
        }
        self.rows = rows;
        self.rows_key = Some(key);
    }

    fn refresh_days(&mut self, view: &CommunityView, first: NaiveDate) {
        let key = (SameArc::new(&view.events), first);
        if self.days_key.as_ref() == Some(&key) {
            return;
        }
        let mut days = vec![Vec::new(); days_in_month(first) as usize];
        for (n, e) in view.events.iter().enumerate() {
            let day = local_date(e.start);
            if day.year() == first.year() && day.month() == first.month() {
                days[day.day0() as usize].push(n);
            }
        }
        self.days = days;
        self.days_key = Some(key);
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let (lang, view) = (cx.lang, &**cx.view);
        let t = lang.agenda();
        let selected = self
            .selected
            .as_ref()
            .and_then(|id| view.events.iter().position(|e| &e.id == id));
        if self.reveal
            && let Some(n) = selected
        {
            self.month = Some(first_of_month(local_date(view.events[n].start)));
        }
        ui.add_space(design::GAP);
        design::heading(ui, Kind::Event, t.nav);
        ui.add_space(design::GAP);
        if self.mode == Mode::Bookings {
            ui.horizontal_wrapped(|ui| self.tabs_ui(ui, lang));
            ui.separator();
            egui::ScrollArea::vertical()
                .id_salt("agenda-bookings")
                .show(ui, |ui| self.bookings.ui(ui, cx));
            return;
        }
        // The side opens with an event or the form: until then the cards
        // have the whole width, and answer with their "J'y vais".
        if self.form.is_some() || selected.is_some() {
            egui::Panel::right("agenda-side")
                .resizable(true)
                .default_size(320.0)
                .show(ui, |ui| {
                    ui.add_space(design::GAP);
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        if self.form.is_some() {
                            self.form_ui(ui, cx);
                        } else if let Some(n) = selected {
                            self.detail_ui(ui, cx, &view.events[n]);
                        }
                    });
                });
        }
        ui.horizontal_wrapped(|ui| {
            if cx.me.is_some() && design::icon_button(ui, icon::ADD, t.new_event).clicked() {
                self.form = Some(EventForm::default());
                self.confirm_delete = false;
            }
            ui.separator();
            self.tabs_ui(ui, lang);
            ui.separator();
            if !view.events.is_empty()
                && design::icon_button(ui, icon::DOWNLOAD, t.export_all).clicked()
            {
                let text = ics::agenda_calendar(
                    view.events.iter(),
                    Some(&view.community.name),
                    cx.now.timestamp_millis(),
                );
                cx.save_export("agenda.ics", text.into_bytes());
            }
        });
        if cx.me.is_some() {
            let f = lang.files();
            egui::CollapsingHeader::new(f.import_title)
                .id_salt("agenda_import")
                .show(ui, |ui| {
                    self.import
                        .ui(ui, cx, ImportKind::Agenda, f.import_ics, f.import_hint_ics)
                });
        }
        ui.add_space(design::GAP / 2.0);
        if selected.is_none() && self.mode == Mode::List && !view.events.is_empty() {
            design::meta(ui, t.pick_event);
        }
        let selected = selected.map(|n| view.events[n].id.clone());
        match self.mode {
            Mode::List => self.list_ui(ui, cx, selected.as_ref()),
            Mode::Month => self.month_ui(ui, lang, view, selected.as_ref(), cx.now),
            Mode::Bookings => {}
        }
        self.reveal = false;
    }

    /// Liste, Mois, Réservations.
    fn tabs_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.agenda();
        ui.selectable_value(&mut self.mode, Mode::List, t.list);
        ui.selectable_value(&mut self.mode, Mode::Month, t.month);
        ui.selectable_value(&mut self.mode, Mode::Bookings, lang.bookings().tab);
    }

    fn list_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, selected: Option<&ItemId>) {
        let (lang, view, now) = (cx.lang, &**cx.view, cx.now);
        let t = lang.agenda();
        if view.events.is_empty() {
            design::empty(ui, t.no_event);
            return;
        }
        self.refresh_rows(view, now.timestamp_millis());
        let card_height = design::list_card_height(ui, 3);
        let row_height = card_height + design::GAP - ui.spacing().item_spacing.y;
        ui.label(RichText::new(t.upcoming).heading().strong());
        let mut area = egui::ScrollArea::vertical()
            .id_salt("agenda-list")
            .auto_shrink(false);
        if self.reveal
            && let Some(id) = selected
            && let Some(n) = self
                .rows
                .iter()
                .position(|r| matches!(r, Row::Event(n) if &view.events[*n].id == id))
        {
            area =
                area.vertical_scroll_offset(n as f32 * (row_height + ui.spacing().item_spacing.y));
        }
        let mut clicked = None;
        let mut going = None;
        let now_ms = now.timestamp_millis();
        area.show_rows(ui, row_height, self.rows.len(), |ui, range| {
            for row in &self.rows[range] {
                match *row {
                    Row::PastHeading => {
                        // As high as a card, so every row keeps one height.
                        let size = egui::vec2(ui.available_width(), row_height);
                        let layout = egui::Layout::bottom_up(egui::Align::Min);
                        ui.allocate_ui_with_layout(size, layout, |ui| {
                            ui.set_min_height(row_height);
                            ui.label(RichText::new(t.past).heading().strong());
                        });
                    }
                    Row::Event(n) => {
                        let e = &view.events[n];
                        let selected = selected == Some(&e.id);
                        match event_card_ui(ui, cx, e, selected, card_height, now_ms) {
                            CardAction::Open => clicked = Some(e.id.clone()),
                            CardAction::Going => going = Some(e.id.clone()),
                            CardAction::None => {}
                        }
                    }
                }
            }
        });
        if let Some(id) = clicked {
            self.select(id);
        }
        if let Some(event) = going {
            let command = Command::Agenda(AgendaCommand::Rsvp {
                event,
                answer: RsvpAnswer::Yes,
            });
            self.send(cx, command, Pending::Other);
        }
    }

    fn select(&mut self, id: ItemId) {
        self.selected = Some(id);
        self.form = None;
        self.confirm_delete = false;
    }

    fn month_ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        view: &CommunityView,
        selected: Option<&ItemId>,
        now: DateTime<Local>,
    ) {
        let t = lang.agenda();
        let today = now.date_naive();
        let first = *self.month.get_or_insert_with(|| first_of_month(today));
        ui.horizontal(|ui| {
            if ui.button(t.previous_month).clicked() {
                self.month = first.checked_sub_months(chrono::Months::new(1));
            }
            let title =
                local_millis(first, NaiveTime::MIN).map_or_else(String::new, |ts| lang.month(ts));
            ui.label(RichText::new(title).heading().strong());
            if ui.button(t.next_month).clicked() {
                self.month = first.checked_add_months(chrono::Months::new(1));
            }
            if first != first_of_month(today) && ui.button(t.this_month).clicked() {
                self.month = Some(first_of_month(today));
            }
        });
        let first = self.month.unwrap_or(first);
        self.refresh_days(view, first);
        let spacing = ui.spacing().item_spacing.x;
        let cell_width = ((ui.available_width() - 6.0 * spacing) / 7.0).max(60.0);
        let offset = first.weekday().num_days_from_monday() as usize;
        let cells = (offset + self.days.len()).div_ceil(7) * 7;
        let mut clicked = None;
        egui::ScrollArea::vertical()
            .id_salt("agenda-month")
            .auto_shrink(false)
            .show(ui, |ui| {
                egui::Grid::new("agenda-month-grid")
                    .num_columns(7)
                    .min_col_width(cell_width)
                    .max_col_width(cell_width)
                    .striped(true)
                    .show(ui, |ui| {
                        for day in t.weekdays {
                            ui.label(RichText::new(day).strong());
                        }
                        ui.end_row();
                        for cell in 0..cells {
                            let day = cell.checked_sub(offset).filter(|d| *d < self.days.len());
                            ui.vertical(|ui| {
                                ui.set_width(cell_width);
                                ui.set_min_height(72.0);
                                let Some(day) = day else { return };
                                let date = first.with_day(day as u32 + 1).unwrap_or(first);
                                let number = if date == today {
                                    RichText::new(format!("{} · {}", day + 1, t.today))
                                        .strong()
                                        .underline()
                                } else {
                                    RichText::new((day + 1).to_string())
                                };
                                ui.label(number);
                                for &n in &self.days[day] {
                                    let e = &view.events[n];
                                    let text = format!("{} {}", lang.time(e.start), e.title);
                                    let button =
                                        egui::Button::selectable(selected == Some(&e.id), text)
                                            .truncate();
                                    if ui.add(button).on_hover_text(&e.title).clicked() {
                                        clicked = Some(e.id.clone());
                                    }
                                }
                            });
                            if cell % 7 == 6 {
                                ui.end_row();
                            }
                        }
                    });
            });
        if let Some(id) = clicked {
            self.select(id);
        }
    }

    fn detail_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, e: &Event) {
        let (lang, view) = (cx.lang, &**cx.view);
        let t = lang.agenda();
        ui.horizontal(|ui| {
            ui.label(RichText::new(t.details).strong());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if design::icon_button(ui, card_icon::CLOSE, t.close).clicked() {
                    self.selected = None;
                    self.confirm_delete = false;
                }
                self.menu_ui(ui, cx, e);
            });
        });
        let full = is_full(e);
        design::card(ui, Kind::Event, |ui| {
            if full {
                design::tag(ui, Kind::Event, t.full);
            }
            design::title(ui, &e.title);
            design::meta_with(ui, icon::CALENDAR, lang.date(e.start));
            design::meta_with(ui, icon::TIME, time_range(lang, e));
            if let Some(place) = &e.place {
                design::meta_with(ui, icon::PLACE, format!("{} : {place}", t.place));
            }
            design::meta_with(ui, card_icon::PEOPLE, capacity_text(lang, e));
            ui.horizontal(|ui| {
                design::meta(ui, t.proposed_by);
                design::person(ui, view.member_name(&e.created_by), e.created_by.as_str());
            });
            if !e.description.as_str().trim().is_empty() {
                ui.add_space(design::GAP / 2.0);
                ui.label(e.description.as_str());
            }
        });
        let may_add = cx.may_edit(&e.created_by);
        let item = (ItemKind::Event, &e.id);
        attachments::item_ui(ui, cx, item, &e.attachments, &e.created_by, may_add);
        ui.add_space(design::GAP / 2.0);
        self.rsvp_ui(ui, cx, e, full);
        ui.add_space(design::GAP);
        for (answer, heading) in [
            (RsvpAnswer::Yes, t.coming),
            (RsvpAnswer::Maybe, t.maybe_coming),
            (RsvpAnswer::No, t.not_coming),
        ] {
            let names = names_answering(view, e, answer);
            if !names.is_empty() {
                ui.label(format!(
                    "{heading} ({}) : {}",
                    names.len(),
                    names.join(", ")
                ));
            }
        }
        if e.rsvps.is_empty() {
            design::meta(ui, t.nobody_yet);
        }
        ui.add_space(design::GAP);
        if design::icon_button(ui, icon::CALENDAR, t.export_one).clicked() {
            let text = ics::event_calendar(e, cx.now.timestamp_millis());
            cx.save_export(&ics::file_name(e), text.into_bytes());
        }
    }

    /// The "…" menu: edit and delete for who proposed the event (or a
    /// moderator), and moderation. Nothing when none applies.
    fn menu_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, e: &Event) {
        let t = cx.lang.agenda();
        let may_edit = cx.may_edit(&e.created_by);
        if !may_edit && !cx.is_moderator() {
            return;
        }
        design::more_menu_asking(ui, cx.lang.t().more_actions, |ui| {
            if may_edit {
                if design::icon_button(ui, icon::EDIT, t.edit).clicked() {
                    self.form = Some(EventForm::prefilled(e));
                    self.confirm_delete = false;
                    ui.close();
                }
                let words = super::DeleteWords {
                    delete: t.delete,
                    question: t.delete_question,
                    confirm: t.confirm_delete,
                    cancel: t.cancel,
                };
                if super::confirm_delete(ui, &mut self.confirm_delete, words) {
                    self.send(
                        cx,
                        Command::Agenda(AgendaCommand::DeleteEvent { id: e.id.clone() }),
                        Pending::Deleted,
                    );
                    ui.close();
                }
            }
            self.moderate.ui(ui, cx, ItemKind::Event, &e.id, None);
        });
    }

    fn rsvp_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, e: &Event, full: bool) {
        let lang = cx.lang;
        let t = lang.agenda();
        let Some(me) = cx.me else {
            ui.label(t.not_member);
            return;
        };
        let mine = e.rsvps.get(me.id.as_str()).map(|r| r.answer);
        match mine {
            Some(answer) => ui.label(format!("{} : {}", t.your_answer, answer_label(t, answer))),
            None => ui.label(t.no_answer_yet),
        };
        // A member already counted keeps their place; others cannot take the last one.
        let yes_blocked = full && mine != Some(RsvpAnswer::Yes);
        let mut chosen = None;
        ui.horizontal_wrapped(|ui| {
            for answer in [RsvpAnswer::Yes, RsvpAnswer::Maybe, RsvpAnswer::No] {
                let enabled = !(answer == RsvpAnswer::Yes && yes_blocked);
                let button =
                    egui::Button::selectable(mine == Some(answer), answer_label(t, answer));
                if ui.add_enabled(enabled, button).clicked() && mine != Some(answer) {
                    chosen = Some(answer);
                }
            }
        });
        if yes_blocked {
            ui.label(t.full_message);
        }
        if let Some(answer) = chosen {
            let command = Command::Agenda(AgendaCommand::Rsvp {
                event: e.id.clone(),
                answer,
            });
            self.send(cx, command, Pending::Other);
        }
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.agenda();
        let Some(form) = self.form.as_mut() else {
            return;
        };
        design::heading(
            ui,
            Kind::Event,
            if form.editing.is_some() {
                t.edit_event
            } else {
                t.new_event
            },
        );
        ui.add_space(design::GAP);
        let field = |ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str| {
            let label = ui.label(label);
            ui.add(
                egui::TextEdit::singleline(value)
                    .hint_text(hint)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        };
        field(ui, t.title, &mut form.title, "");
        field(ui, t.date, &mut form.date, t.date_hint);
        field(ui, t.start, &mut form.start, t.time_hint);
        field(ui, t.end, &mut form.end, t.time_hint);
        field(ui, t.place, &mut form.place, t.place_hint);
        field(ui, t.capacity, &mut form.capacity, t.capacity_hint);
        let label = ui.label(t.description);
        ui.add(egui::TextEdit::multiline(&mut form.description).desired_rows(4))
            .labelled_by(label.id);
        match &form.editing {
            // An event that exists takes its files at once.
            Some(id) => {
                if let Some(e) = cx.view.events.iter().find(|e| &e.id == id) {
                    let item = (ItemKind::Event, &e.id);
                    attachments::item_ui(ui, cx, item, &e.attachments, &e.created_by, true);
                }
            }
            None => attachments::add_ui(ui, cx, Dest::Form(EVENT_FORM)),
        }
        if let Some(error) = form.error {
            ui.label(
                RichText::new(error)
                    .strong()
                    .color(ui.visuals().error_fg_color),
            );
        }
        let mut submit = false;
        let mut cancel = false;
        ui.horizontal(|ui| {
            let save = if form.editing.is_some() {
                t.save
            } else {
                t.create
            };
            submit = design::primary_button(ui, Kind::Event, icon::DONE, save, true).clicked();
            cancel = ui.button(t.cancel).clicked();
        });
        if cancel {
            self.form = None;
            cx.files.clear_staged(EVENT_FORM);
            return;
        }
        if !submit {
            return;
        }
        let checked = match form.check(t) {
            Ok(checked) => checked,
            Err(message) => {
                form.error = Some(message);
                return;
            }
        };
        form.error = None;
        match form.editing.clone() {
            Some(id) => {
                let command = Command::Agenda(AgendaCommand::UpdateEvent {
                    id: id.clone(),
                    title: Some(checked.title),
                    description: Some(checked.description),
                    start: Some(checked.start),
                    end: Some(checked.end),
                    place: Some(checked.place),
                    capacity: Some(checked.capacity),
                });
                self.send(cx, command, Pending::Saved(id));
            }
            None => {
                let id = cx.new_id();
                let command = Command::Agenda(AgendaCommand::AddEvent {
                    id: id.clone(),
                    title: checked.title,
                    description: checked.description,
                    start: checked.start,
                    end: checked.end,
                    place: checked.place,
                    capacity: checked.capacity,
                });
                self.pending = Some(Pending::Saved(id.clone()));
                let files = cx.files.take_staged(EVENT_FORM);
                cx.files.apply_with(cx, command, ItemKind::Event, id, files);
            }
        }
    }
}

/// What a card of the list was asked.
enum CardAction {
    None,
    /// Open the event in the side.
    Open,
    /// Answer "J'y vais" at once.
    Going,
}

/// One card of the list, `height` high: the title (and "Complet"), when
/// and where, who comes, and "J'y vais" for an event to come.
fn event_card_ui(
    ui: &mut egui::Ui,
    cx: &Cx,
    e: &Event,
    selected: bool,
    height: f32,
    now: Timestamp,
) -> CardAction {
    let mut going = false;
    let open = design::opened(design::list_card(ui, Kind::Event, height, selected, |ui| {
        attachments::with_thumb(ui, cx, &e.attachments, |ui| {
            event_card_lines_ui(ui, cx, e, now, &mut going)
        })
    }));
    if going {
        CardAction::Going
    } else if open {
        CardAction::Open
    } else {
        CardAction::None
    }
}

/// The three lines of an event's card; returns whether its title was
/// clicked (`going`: whether "J'y vais" was).
fn event_card_lines_ui(
    ui: &mut egui::Ui,
    cx: &Cx,
    e: &Event,
    now: Timestamp,
    going: &mut bool,
) -> bool {
    let (lang, view) = (cx.lang, &**cx.view);
    let t = lang.agenda();
    let line = design::list_card_line(ui);
    {
        let title = ui
            .horizontal(|ui| {
                ui.set_height(line);
                // The answer first, on the right, where the eye ends the line.
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let answer = cx
                        .me
                        .and_then(|me| e.rsvps.get(me.id.as_str()))
                        .map(|r| r.answer);
                    let to_come = e.end.unwrap_or(e.start) >= now;
                    if to_come && answer == Some(RsvpAnswer::Yes) {
                        ui.label(RichText::new(t.you_go).strong());
                        let color = Kind::Event.stripe(ui.visuals().dark_mode);
                        ui.label(icon::DONE.rich_text().size(design::BODY + 2.0).color(color));
                    } else if to_come && cx.me.is_some_and(|m| m.is_active()) && !is_full(e) {
                        *going = design::icon_button(ui, card_icon::CHECK, t.going).clicked();
                    }
                    ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                        if is_full(e) {
                            design::tag(ui, Kind::Event, t.full);
                        }
                        design::title_link(ui, &e.title).clicked()
                    })
                    .inner
                })
                .inner
            })
            .inner;
        ui.horizontal(|ui| {
            ui.set_height(line);
            let when = format!("{} · {}", lang.date(e.start), time_range(lang, e));
            design::meta_with(ui, icon::CALENDAR, when);
        });
        ui.horizontal(|ui| {
            ui.set_height(line);
            if let Some(place) = &e.place {
                design::meta_with(ui, icon::PLACE, place);
                ui.add_space(design::GAP);
            }
            let names = names_answering(view, e, RsvpAnswer::Yes);
            let mut who = capacity_text(lang, e);
            if !names.is_empty() {
                who.push_str(" · ");
                who.push_str(&names.join(", "));
            }
            design::meta_with(ui, card_icon::PEOPLE, who);
            attachments::count_ui(ui, lang, &e.attachments);
        });
        title
    }
}

fn answer_label(t: &AgendaStrings, answer: RsvpAnswer) -> &'static str {
    match answer {
        RsvpAnswer::Yes => t.answer_yes,
        RsvpAnswer::Maybe => t.answer_maybe,
        RsvpAnswer::No => t.answer_no,
    }
}

/// "14:00 – 16:00", or "14:00" when the end is unknown.
fn time_range(lang: Lang, e: &Event) -> String {
    match e.end {
        Some(end) if local_date(end) == local_date(e.start) => {
            format!("{} – {}", lang.time(e.start), lang.time(end))
        }
        Some(end) => format!("{} – {}", lang.time(e.start), lang.date_time(end)),
        None => lang.time(e.start),
    }
}

/// "12 / 20 inscrits", or "12 inscrits" without a limit.
fn capacity_text(lang: Lang, e: &Event) -> String {
    let t = lang.agenda();
    let coming = lang.number(e.attending());
    match e.capacity {
        Some(capacity) => format!("{coming} / {} {}", lang.number(capacity), t.registered),
        None => format!("{coming} {}", t.registered),
    }
}

fn is_full(e: &Event) -> bool {
    e.capacity
        .is_some_and(|c| i64::try_from(e.attending()).unwrap_or(i64::MAX) >= c)
}

fn names_answering(view: &CommunityView, e: &Event, answer: RsvpAnswer) -> Vec<String> {
    e.rsvps
        .iter()
        .filter(|(_, r)| r.answer == answer)
        .map(|(member, _)| view.member_name(&member.as_str().into()).to_owned())
        .collect()
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

fn days_in_month(first: NaiveDate) -> u32 {
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|next| next.pred_opt())
        .map_or(31, |last| last.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_have_their_length() {
        let d = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap();
        assert_eq!(days_in_month(d(2026, 2)), 28);
        assert_eq!(days_in_month(d(2028, 2)), 29);
        assert_eq!(days_in_month(d(2026, 12)), 31);
    }
}
