//! The Agenda's Réservations tab: a bookable place's week, a form to book
//! a slot, and the place's bookings with their conflicts (in red) and the
//! referent's "résoudre". The bookings list is shared with the Annuaire.
//!
//! Times are shown and read in the place's time (its UTC offset), so every
//! member sees the same hours. The schedule is derived from the view only
//! when the bookings change, not every frame.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, TimeZone};
use egui::{Color32, RichText};
use passerelle_core::model::booking::{Booking, Schedule, Status, check_hours};
use passerelle_core::model::view::CommunityPart;
use passerelle_core::model::{Actor, BookingCommand, Command, CommunityView, ItemId, ics};

use super::Cx;
use super::form::{parse_date, parse_time};
use crate::i18n::bookings::BookingsStrings;
use crate::views::cache::SameArc;

/// A place's offset, or UTC.
fn offset_of(place: &Actor) -> FixedOffset {
    place
        .booking
        .as_ref()
        .and_then(|b| i32::try_from(b.utc_offset_minutes * 60).ok())
        .and_then(FixedOffset::east_opt)
        .unwrap_or(FixedOffset::east_opt(0).expect("zero is a valid offset"))
}

fn in_place(ms: i64, offset: FixedOffset) -> DateTime<FixedOffset> {
    offset.timestamp_millis_opt(ms).single().unwrap_or_default()
}

fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Days::new(u64::from(day.weekday().num_days_from_monday()))
}

/// A status's words and whether it is shown in red.
fn status_words(t: &BookingsStrings, status: Status) -> (&'static str, bool) {
    match status {
        Status::Confirmed => (t.confirmed, false),
        Status::Provisional => (t.provisional, true),
        Status::Conflicting => (t.conflicting, true),
        Status::Refused => (t.refused, false),
        Status::Cancelled => (t.cancelled, false),
    }
}

/// The booking form's fields, as typed.
#[derive(Default)]
struct BookingForm {
    date: String,
    start: String,
    end: String,
    note: String,
    error: Option<String>,
}

/// The tab's state.
#[derive(Default)]
pub struct BookingsPanel {
    place: Option<ItemId>,
    /// The Monday of the week shown.
    week: Option<NaiveDate>,
    form: BookingForm,
    /// The day just booked: the week follows it once saved.
    booked_day: Option<NaiveDate>,
    schedule: PlaceSchedule,
}

/// A place's schedule, derived again only when the place, the bookings or
/// the community part (the place's hours and capacity) change.
#[derive(Default)]
pub(crate) struct PlaceSchedule {
    cached: Option<Cached>,
}

struct Cached {
    place: ItemId,
    bookings: SameArc<Vec<Booking>>,
    community: SameArc<CommunityPart>,
    schedule: Arc<Schedule>,
}

impl PlaceSchedule {
    /// The schedule of `place` in `view`.
    pub(crate) fn of(&mut self, view: &CommunityView, place: &ItemId) -> Arc<Schedule> {
        match &self.cached {
            Some(c)
                if c.place == *place
                    && !c.bookings.changed(&view.bookings)
                    && !c.community.changed(&view.community) =>
            {
                c.schedule.clone()
            }
            _ => {
                let schedule = Arc::new(view.place_schedule(place));
                self.cached = Some(Cached {
                    place: place.clone(),
                    bookings: SameArc::new(&view.bookings),
                    community: SameArc::new(&view.community),
                    schedule: schedule.clone(),
                });
                schedule
            }
        }
    }
}

impl BookingsPanel {
    /// A booking sent from this tab was saved.
    pub fn applied(&mut self) {
        if let Some(day) = self.booked_day.take() {
            self.week = Some(monday_of(day));
            self.form = BookingForm::default();
        }
    }

    /// Draws the tab.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.bookings();
        let view = &**cx.view;
        let places: Vec<&Actor> = view
            .community
            .actors
            .iter()
            .filter(|a| a.booking.is_some())
            .collect();
        if places.is_empty() {
            ui.label(t.no_bookable);
            return;
        }
        let chosen = self
            .place
            .as_ref()
            .and_then(|id| places.iter().position(|p| &p.id == id))
            .unwrap_or(0);
        let place = places[chosen];
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("{} :", t.place));
            for p in &places {
                if ui.selectable_label(p.id == place.id, &p.name).clicked() {
                    self.place = Some(p.id.clone());
                }
            }
        });
        let schedule = self.schedule.of(view, &place.id);
        let offset = offset_of(place);
        let week = *self.week.get_or_insert_with(|| {
            monday_of(in_place(cx.now.timestamp_millis(), offset).date_naive())
        });
        ui.horizontal(|ui| {
            if ui.button(t.previous_week).clicked() {
                self.week = Some(week - Days::new(7));
            }
            ui.label(format!("{} {}", t.week_of, week.format("%d/%m/%Y")));
            if ui.button(t.next_week).clicked() {
                self.week = Some(week + Days::new(7));
            }
        });
        week_ui(ui, t, view, &schedule, offset, week);
        ui.separator();
        if cx.me.is_some() {
            self.form_ui(ui, cx, place, offset);
            ui.separator();
        }
        schedule_ui(ui, cx, place, &schedule);
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, place: &Actor, offset: FixedOffset) {
        let t = cx.lang.bookings();
        ui.label(RichText::new(t.new_booking).strong());
        let f = &mut self.form;
        egui::Grid::new("booking-form")
            .num_columns(2)
            .show(ui, |ui| {
                for (label, hint, text) in [
                    (t.date, t.date_hint, &mut f.date),
                    (t.start, t.time_hint, &mut f.start),
                    (t.end, t.time_hint, &mut f.end),
                    (t.note, t.note_hint, &mut f.note),
                ] {
                    let l = ui.label(label);
                    ui.add(egui::TextEdit::singleline(text).hint_text(hint))
                        .labelled_by(l.id);
                    ui.end_row();
                }
            });
        ui.label(RichText::new(t.offline_note).small());
        if let Some(error) = &f.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        if ui.button(t.book).clicked() {
            let Some(day) = parse_date(&f.date) else {
                f.error = Some(t.err_date.to_owned());
                return;
            };
            let at = |text: &str| {
                let time = parse_time(text)?;
                offset
                    .from_local_datetime(&day.and_time(time))
                    .single()
                    .map(|d| d.timestamp_millis())
            };
            let (Some(start), Some(end)) = (at(&f.start), at(&f.end)) else {
                f.error = Some(t.err_time.to_owned());
                return;
            };
            // Checked here too, to explain in the user's language.
            if let Some(b) = &place.booking
                && let Err(e) = check_hours(b, start, end)
            {
                f.error = Some(crate::i18n::errors::describe_hours(cx.lang, &e));
                return;
            }
            f.error = None;
            self.booked_day = Some(day);
            cx.apply(Command::Booking(BookingCommand::BookPlace {
                id: cx.new_id(),
                place: place.id.clone(),
                start,
                end,
                note: f.note.clone(),
            }));
        }
    }
}

/// Seven columns, one per day of the week, with that day's bookings.
fn week_ui(
    ui: &mut egui::Ui,
    t: &BookingsStrings,
    view: &CommunityView,
    schedule: &Schedule,
    offset: FixedOffset,
    monday: NaiveDate,
) {
    let red = ui.visuals().error_fg_color;
    egui::Grid::new("booking-week")
        .num_columns(7)
        .striped(true)
        .min_col_width(120.0)
        .show(ui, |ui| {
            for (n, name) in t.days.iter().enumerate() {
                let day = monday + Days::new(n as u64);
                ui.label(RichText::new(format!("{name} {}", day.format("%d/%m"))).strong());
            }
            ui.end_row();
            for n in 0..7 {
                let day = monday + Days::new(n);
                ui.vertical(|ui| {
                    for (b, status) in &schedule.bookings {
                        if in_place(b.start, offset).date_naive() != day {
                            continue;
                        }
                        let (word, alarm) = status_words(t, *status);
                        let text = format!(
                            "{} {}\n{word}",
                            hours(b, offset),
                            view.member_name(&b.member)
                        );
                        let mut rich = RichText::new(text).small();
                        if alarm {
                            rich = rich.color(red).strong();
                        } else if matches!(status, Status::Refused | Status::Cancelled) {
                            rich = rich.strikethrough().color(Color32::GRAY);
                        }
                        ui.label(rich);
                    }
                });
            }
            ui.end_row();
        });
}

fn hours(b: &Booking, offset: FixedOffset) -> String {
    format!(
        "{}-{}",
        in_place(b.start, offset).format("%H:%M"),
        in_place(b.end, offset).format("%H:%M")
    )
}

/// A place's bookings, conflicts first in red with "résoudre" for the
/// referent (and animateurs, admins), "annuler" for the member who booked.
pub(crate) fn schedule_ui(ui: &mut egui::Ui, cx: &Cx, place: &Actor, schedule: &Schedule) {
    let t = cx.lang.bookings();
    let view = &**cx.view;
    let offset = offset_of(place);
    let red = ui.visuals().error_fg_color;
    let referent = place.booking.as_ref().and_then(|b| b.referent.as_ref());
    let decides = cx.is_moderator() || referent.is_some_and(|r| cx.my_id() == Some(r));
    let when = |b: &Booking| {
        format!(
            "{} {}",
            in_place(b.start, offset).format("%d/%m/%Y"),
            hours(b, offset)
        )
    };
    let find = |id: &ItemId| schedule.bookings.iter().find(|(b, _)| &b.id == id);
    if !schedule.conflicts.is_empty() {
        ui.label(RichText::new(t.conflicts).strong().color(red));
        ui.label(RichText::new(t.conflict_explained).small());
        if let Some(r) = referent {
            ui.label(format!("{} {}", t.referent_decides, view.member_name(r)));
        }
        for conflict in &schedule.conflicts {
            ui.group(|ui| {
                for id in conflict.winners.iter().chain(&conflict.losers) {
                    let Some((b, status)) = find(id) else {
                        continue;
                    };
                    let (word, _) = status_words(t, *status);
                    ui.horizontal_wrapped(|ui| {
                        ui.label(
                            RichText::new(format!(
                                "{} — {} — {word}",
                                when(b),
                                view.member_name(&b.member)
                            ))
                            .color(red),
                        );
                        if decides {
                            ui.menu_button(t.resolve, |ui| {
                                if ui.button(t.keep).clicked() {
                                    cx.apply(Command::Booking(BookingCommand::DecideBooking {
                                        booking: b.id.clone(),
                                        keep: true,
                                    }));
                                    ui.close();
                                }
                                if ui.button(t.drop).clicked() {
                                    cx.apply(Command::Booking(BookingCommand::DecideBooking {
                                        booking: b.id.clone(),
                                        keep: false,
                                    }));
                                    ui.close();
                                }
                            });
                        }
                    });
                }
            });
        }
        ui.separator();
    }
    ui.horizontal(|ui| {
        ui.label(RichText::new(t.bookings).strong());
        if !schedule.bookings.is_empty() && ui.small_button(t.export).clicked() {
            let text = ics::place_calendar(view, place, cx.now.timestamp_millis());
            cx.save_export("reservations.ics", text.into_bytes());
        }
    });
    if schedule.bookings.is_empty() {
        ui.label(t.no_booking);
    }
    for (b, status) in &schedule.bookings {
        let (word, alarm) = status_words(t, *status);
        ui.horizontal_wrapped(|ui| {
            let mut text = format!("{} — {} — {word}", when(b), view.member_name(&b.member));
            if !b.note.is_empty() {
                text.push_str(&format!(" — {}", b.note));
            }
            let rich = if alarm {
                RichText::new(text).color(red)
            } else {
                RichText::new(text)
            };
            ui.label(rich);
            let mine = cx.my_id() == Some(&b.member);
            let live = !matches!(status, Status::Cancelled | Status::Refused);
            if live && (mine || decides) && ui.small_button(t.cancel_booking).clicked() {
                cx.apply(Command::Booking(BookingCommand::CancelBooking {
                    booking: b.id.clone(),
                }));
            }
        });
    }
}
