//! The event form: what people type, checked into an event with messages
//! in their words. Dates and times are read the way people write them.

use chrono::{Local, NaiveDate, NaiveTime, TimeZone};
use passerelle_core::model::{Event, ItemId, Timestamp};

use crate::i18n::agenda::AgendaStrings;

/// The create / edit form, as typed.
#[derive(Clone, Debug, Default)]
pub(super) struct EventForm {
    pub(super) editing: Option<ItemId>,
    pub(super) title: String,
    pub(super) description: String,
    pub(super) date: String,
    pub(super) start: String,
    pub(super) end: String,
    pub(super) place: String,
    pub(super) capacity: String,
    pub(super) error: Option<&'static str>,
}

/// What the form means once checked.
#[derive(Debug, PartialEq)]
pub(super) struct CheckedEvent {
    pub(super) title: String,
    pub(super) description: String,
    pub(super) start: Timestamp,
    pub(super) end: Option<Timestamp>,
    pub(super) place: Option<String>,
    pub(super) capacity: Option<i64>,
}

impl EventForm {
    pub(super) fn prefilled(e: &Event) -> Self {
        let local = |ts: Timestamp| Local.timestamp_millis_opt(ts).single().unwrap_or_default();
        Self {
            editing: Some(e.id.clone()),
            title: e.title.clone(),
            description: e.description.as_str().to_owned(),
            date: local(e.start).format("%d/%m/%Y").to_string(),
            start: local(e.start).format("%H:%M").to_string(),
            end: e
                .end
                .map(|end| local(end).format("%H:%M").to_string())
                .unwrap_or_default(),
            place: e.place.clone().unwrap_or_default(),
            capacity: e.capacity.map(|c| c.to_string()).unwrap_or_default(),
            error: None,
        }
    }

    /// Checks every field, returning the first problem in the user's words.
    pub(super) fn check(&self, t: &AgendaStrings) -> Result<CheckedEvent, &'static str> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err(t.err_title);
        }
        let date = parse_date(&self.date).ok_or(t.err_date)?;
        let start_time = parse_time(&self.start).ok_or(t.err_start)?;
        let start = local_millis(date, start_time).ok_or(t.err_start)?;
        let end = if self.end.trim().is_empty() {
            None
        } else {
            let end_time = parse_time(&self.end).ok_or(t.err_end)?;
            let end = local_millis(date, end_time).ok_or(t.err_end)?;
            if end <= start {
                return Err(t.err_end_before);
            }
            Some(end)
        };
        let capacity = match self.capacity.trim() {
            "" => None,
            text => Some(
                text.parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(t.err_capacity)?,
            ),
        };
        let place = Some(self.place.trim().to_owned()).filter(|p| !p.is_empty());
        Ok(CheckedEvent {
            title: title.to_owned(),
            description: self.description.trim().to_owned(),
            start,
            end,
            place,
            capacity,
        })
    }
}

/// "23/11/2026", "23/11/26", "2026-11-23", "23.11.2026".
pub(super) fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    // Two-digit years first: "%Y" would read "26" as the year 26.
    ["%d/%m/%y", "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
}

/// "14:30", "14h30", "14h", "9.15", "14".
pub(super) fn parse_time(text: &str) -> Option<NaiveTime> {
    let text = text.trim().to_lowercase();
    let (hours, minutes) = match text.split_once([':', 'h', '.']) {
        Some((h, m)) => (h.trim(), m.trim()),
        None => (text.as_str(), ""),
    };
    let hours: u32 = hours.parse().ok()?;
    let minutes: u32 = if minutes.is_empty() {
        0
    } else {
        minutes.parse().ok()?
    };
    NaiveTime::from_hms_opt(hours, minutes, 0)
}

pub(super) fn local_millis(date: NaiveDate, time: NaiveTime) -> Option<Timestamp> {
    Local
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|dt| dt.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_are_read_the_way_people_write_them() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        for text in ["23/11/2026", " 23/11/26 ", "2026-11-23", "23.11.2026"] {
            assert_eq!(parse_date(text), Some(d), "{text}");
        }
        assert_eq!(parse_date("31/02/2026"), None);
        assert_eq!(parse_date("demain"), None);
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0);
        assert_eq!(parse_time("14:30"), t(14, 30));
        assert_eq!(parse_time("14h30"), t(14, 30));
        assert_eq!(parse_time("14h"), t(14, 0));
        assert_eq!(parse_time("9"), t(9, 0));
        assert_eq!(parse_time("25:00"), None);
        assert_eq!(parse_time("midi"), None);
    }

    #[test]
    fn the_form_explains_what_is_wrong() {
        let t = &crate::i18n::agenda::FR;
        let mut form = EventForm {
            title: "Pik-nik".into(),
            date: "23/11/2026".into(),
            start: "12:00".into(),
            ..Default::default()
        };
        assert!(form.check(t).is_ok());
        form.end = "11:00".into();
        assert_eq!(form.check(t), Err(t.err_end_before));
        form.end = "14:00".into();
        form.capacity = "zéro".into();
        assert_eq!(form.check(t), Err(t.err_capacity));
        form.capacity = "0".into();
        assert_eq!(form.check(t), Err(t.err_capacity));
        form.capacity = "20".into();
        let checked = form.check(t).unwrap();
        assert_eq!(checked.capacity, Some(20));
        assert_eq!(checked.end.unwrap() - checked.start, 2 * 3_600_000);
        form.title = "  ".into();
        assert_eq!(form.check(t), Err(t.err_title));
    }
}
