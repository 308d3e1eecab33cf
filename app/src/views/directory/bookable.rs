//! A place of the Annuaire made bookable: its opening hours, slot length,
//! how many bookings at once and its referent, then its bookings with
//! conflicts in red and "résoudre" (shared with the Agenda's tab).

use chrono::Offset;
use egui::RichText;
use passerelle_core::model::booking::{Bookable, describe_hours, parse_hours};
use passerelle_core::model::{Actor, ActorKind, BookingCommand, Command, ItemId, MemberId, Role};

use super::Cx;
use crate::views::agenda::PlaceSchedule;

/// The form, as typed, for the place it was opened on.
#[derive(Default)]
pub struct BookableForm {
    place: Option<ItemId>,
    hours: String,
    slot: String,
    capacity: String,
    referent: Option<MemberId>,
    error: Option<String>,
    schedule: PlaceSchedule,
}

impl BookableForm {
    fn reset_for(&mut self, place: &Actor) {
        let b = place.booking.as_ref();
        *self = BookableForm {
            place: Some(place.id.clone()),
            hours: b.map(|b| describe_hours(&b.openings)).unwrap_or_default(),
            slot: b.map_or(60, |b| b.slot_minutes).to_string(),
            capacity: b.map_or(1, |b| b.capacity).to_string(),
            referent: b.and_then(|b| b.referent.clone()),
            error: None,
            schedule: PlaceSchedule::default(),
        };
    }

    /// Draws the place's booking section.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx, place: &Actor) {
        if place.kind != ActorKind::Place {
            return;
        }
        if self.place.as_ref() != Some(&place.id) {
            self.reset_for(place);
        }
        let t = cx.lang.bookings();
        let view = &**cx.view;
        ui.add_space(crate::design::SECTION);
        match &place.booking {
            Some(b) => {
                ui.label(RichText::new(t.bookable).strong());
                ui.label(format!(
                    "{} — {} {} min, {} {}",
                    describe_hours(&b.openings),
                    t.slots_of,
                    b.slot_minutes,
                    b.capacity,
                    t.at_once
                ));
                if let Some(r) = &b.referent {
                    ui.label(format!("{} : {}", t.referent, view.member_name(r)));
                }
                let schedule = self.schedule.of(view, &place.id);
                crate::views::agenda::schedule_ui(ui, cx, place, &schedule);
            }
            None => {
                ui.label(t.not_bookable);
            }
        }
        let referent = place.booking.as_ref().and_then(|b| b.referent.as_ref());
        let may = cx.me.is_some_and(|m| {
            m.id == place.created_by || Some(&m.id) == referent || m.role != Role::Membre
        });
        if !may {
            return;
        }
        egui::CollapsingHeader::new(t.settings)
            .id_salt(("bookable", place.id.as_str()))
            .default_open(place.booking.is_none())
            .show(ui, |ui| self.form_ui(ui, cx, place));
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, place: &Actor) {
        let t = cx.lang.bookings();
        let view = &**cx.view;
        egui::Grid::new("bookable-form")
            .num_columns(2)
            .show(ui, |ui| {
                for (label, hint, text) in [
                    (t.hours, t.hours_hint, &mut self.hours),
                    (t.slot, "60", &mut self.slot),
                    (t.capacity, "1", &mut self.capacity),
                ] {
                    let l = ui.label(label);
                    ui.add(egui::TextEdit::singleline(text).hint_text(hint))
                        .labelled_by(l.id);
                    ui.end_row();
                }
                let label = ui.label(t.referent);
                let shown = self
                    .referent
                    .as_ref()
                    .map_or(t.nobody, |r| view.member_name(r));
                egui::ComboBox::from_id_salt("bookable-referent")
                    .selected_text(shown)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.referent, None, t.nobody);
                        for m in view.community.members.iter().filter(|m| m.is_active()) {
                            ui.selectable_value(
                                &mut self.referent,
                                Some(m.id.clone()),
                                &m.display_name,
                            );
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
            });
        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        ui.horizontal(|ui| {
            let title = if place.booking.is_some() {
                t.update_bookable
            } else {
                t.make_bookable
            };
            if ui.button(title).clicked() {
                match self.checked(t, cx.now, cx.lang) {
                    Ok(bookable) => {
                        self.error = None;
                        cx.apply(Command::Booking(BookingCommand::SetBookable {
                            place: place.id.clone(),
                            bookable: Some(bookable),
                        }));
                    }
                    Err(e) => self.error = Some(e),
                }
            }
            if place.booking.is_some() && ui.button(t.stop_bookable).clicked() {
                cx.apply(Command::Booking(BookingCommand::SetBookable {
                    place: place.id.clone(),
                    bookable: None,
                }));
            }
        });
    }

    fn checked(
        &self,
        t: &crate::i18n::bookings::BookingsStrings,
        now: chrono::DateTime<chrono::Local>,
        lang: crate::i18n::Lang,
    ) -> Result<Bookable, String> {
        let openings = parse_hours(&self.hours).map_err(|e| {
            let why = crate::i18n::errors::describe_hours_text(lang, &e);
            format!("{} : {why}", t.hours)
        })?;
        let number = |text: &str| text.trim().parse::<i64>().ok().filter(|n| *n > 0);
        let (Some(slot), Some(capacity)) = (number(&self.slot), number(&self.capacity)) else {
            return Err(t.err_number.to_owned());
        };
        Ok(Bookable {
            openings,
            capacity,
            slot_minutes: slot,
            referent: self.referent.clone(),
            utc_offset_minutes: i64::from(now.offset().fix().local_minus_utc() / 60),
        })
    }
}
