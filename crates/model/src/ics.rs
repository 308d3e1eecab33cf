//! Agenda events as iCalendar (RFC 5545) files, for any calendar app.
//!
//! Pure functions: the time stamped into `DTSTAMP` is passed in, every
//! `UID` derives from the event's id (`<id>@passerelle`), so exporting the
//! same event twice gives the same entry and calendar apps update it
//! instead of duplicating it. Times are written in UTC; calendar apps show
//! them in their own time zone.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, EventLike, Property};

use crate::entities::Event;
use crate::ids::Timestamp;
use crate::normalize::slug;

/// Who produced the file, as calendar apps read it.
pub const PRODID: &str = "-//Passerelle//Agenda//FR";

/// How long an event without an end lasts in calendar apps.
pub const DEFAULT_DURATION: &str = "PT1H";

/// The event's iCalendar `UID`: stable across exports and devices.
pub fn uid(event: &Event) -> String {
    format!("{}@passerelle", event.id)
}

/// A file name for one event: its title as a slug, `.ics`.
pub fn file_name(event: &Event) -> String {
    let slug = slug(&event.title);
    if slug.is_empty() {
        format!("{}.ics", event.id)
    } else {
        format!("{slug}.ics")
    }
}

/// One event as a whole calendar file.
pub fn event_calendar(event: &Event, now: Timestamp) -> String {
    agenda_calendar(std::slice::from_ref(event), None, now)
}

/// Several events as one calendar file, optionally named (the community).
pub fn agenda_calendar<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    name: Option<&str>,
    now: Timestamp,
) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"));
    if let Some(name) = name {
        calendar.name(name);
    }
    for event in events {
        calendar.push(vevent(event, now));
    }
    calendar.to_string()
}

fn utc(ts: Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ts).unwrap_or_default()
}

fn vevent(event: &Event, now: Timestamp) -> icalendar::Event {
    let mut out = icalendar::Event::new();
    out.uid(&uid(event))
        .timestamp(utc(now))
        .starts(utc(event.start))
        .summary(&event.title);
    match event.end {
        Some(end) => out.ends(utc(end)),
        None => out.add_property("DURATION", DEFAULT_DURATION),
    };
    let description = event.description.as_str();
    if !description.trim().is_empty() {
        out.description(description);
    }
    if let Some(place) = &event.place {
        out.location(place);
    }
    out.done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ItemId, MemberId};
    use icalendar::{CalendarComponent, CalendarDateTime, DatePerhapsTime};

    const START: Timestamp = 1_795_000_000_000;
    const HOUR: Timestamp = 3_600_000;

    fn event(id: &str, title: &str, end: Option<Timestamp>, place: Option<&str>) -> Event {
        Event {
            id: ItemId::from(id),
            title: title.into(),
            description: autosurgeon::Text::with_value(
                "On cuisine ensemble, chacun apporte un plat ; venez nombreux !\nDeuxième ligne.",
            ),
            start: START,
            end,
            place: place.map(Into::into),
            capacity: Some(12),
            rsvps: Default::default(),
            created_by: MemberId::from("m"),
            created_at: START - 10 * HOUR,
        }
    }

    fn parse(text: &str) -> Calendar {
        text.parse().expect("our output parses back")
    }

    fn utc_of(value: Option<DatePerhapsTime>) -> DateTime<Utc> {
        match value {
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(dt))) => dt,
            other => panic!("expected a UTC date-time, got {other:?}"),
        }
    }

    #[test]
    fn one_event_round_trips_with_every_field() {
        let e = event(
            "01JEVENT",
            "Journée découverte cuisine",
            Some(START + 5 * HOUR),
            Some("Cuisine d'Authenti'Cité, rue du Marché"),
        );
        let now = START - HOUR;
        let text = event_calendar(&e, now);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
        let calendar = parse(&text);
        assert_eq!(calendar.property_value("PRODID"), Some(PRODID));
        assert_eq!(calendar.property_value("VERSION"), Some("2.0"));
        let events: Vec<_> = calendar.events().collect();
        assert_eq!(events.len(), 1);
        let v = events[0];
        assert_eq!(v.get_uid(), Some("01JEVENT@passerelle"));
        assert_eq!(v.get_timestamp(), Some(utc(now)));
        assert_eq!(utc_of(v.get_start()), utc(START));
        assert_eq!(utc_of(v.get_end()), utc(START + 5 * HOUR));
        assert_eq!(v.property_value("DURATION"), None);
        assert_eq!(v.get_summary(), Some("Journée découverte cuisine"));
        assert_eq!(v.get_description(), Some(e.description.as_str()));
        assert_eq!(
            v.get_location(),
            Some("Cuisine d'Authenti'Cité, rue du Marché")
        );
    }

    #[test]
    fn an_event_without_end_lasts_an_hour_and_may_have_no_place() {
        let e = event("01JNOEND", "Pik-nik", None, None);
        let calendar = parse(&event_calendar(&e, START));
        let v = calendar.events().next().expect("one event");
        assert_eq!(v.get_end(), None);
        assert_eq!(v.property_value("DURATION"), Some("PT1H"));
        assert_eq!(v.get_location(), None);
    }

    #[test]
    fn the_whole_agenda_keeps_every_event_and_the_name() {
        let a = event(
            "01JA",
            "Info'action",
            Some(START + 2 * HOUR),
            Some("Centre social"),
        );
        let mut b = event("01JB", "Atelier jardinage", None, Some("Jardins de Gorki"));
        b.start = START + 48 * HOUR;
        let text = agenda_calendar([&a, &b], Some("Échange de savoirs"), START);
        let calendar = parse(&text);
        assert_eq!(calendar.get_name(), Some("Échange de savoirs"));
        let uids: Vec<_> = calendar
            .components
            .iter()
            .filter_map(CalendarComponent::as_event)
            .map(|e| e.get_uid().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(uids, ["01JA@passerelle", "01JB@passerelle"]);
        let second = calendar.events().nth(1).expect("two events");
        assert_eq!(utc_of(second.get_start()), utc(START + 48 * HOUR));
        assert_eq!(second.get_summary(), Some("Atelier jardinage"));
    }

    #[test]
    fn export_is_deterministic_and_named_after_the_title() {
        let e = event("01JX", "Grande Rencontre : 6 tables", None, None);
        assert_eq!(event_calendar(&e, START), event_calendar(&e, START));
        assert_eq!(file_name(&e), "grande-rencontre-6-tables.ics");
        let untitled = event("01JY", "!!!", None, None);
        assert_eq!(file_name(&untitled), "01JY.ics");
    }
}
