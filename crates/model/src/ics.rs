//! Agenda events as iCalendar (RFC 5545) files, for any calendar app.
//!
//! Pure functions: the time stamped into `DTSTAMP` is passed in, every
//! `UID` derives from the event's id (`<id>@passerelle`), so exporting the
//! same event twice gives the same entry and calendar apps update it
//! instead of duplicating it. Times are written in UTC; calendar apps show
//! them in their own time zone.
//!
//! Importing reads any calendar app's file with the same crate's parser and
//! plans one `AddEvent` per event (see [`crate::export`]): an event exported
//! by Passerelle keeps its id, and an event already in the agenda (same id,
//! or same title and start) is skipped, so importing a file twice adds
//! nothing the second time.

use chrono::{DateTime, NaiveDateTime, Utc};
use icalendar::{
    Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime, EventLike, Property,
};

use crate::command::{AgendaCommand, Command};
use crate::entities::Event;
use crate::export::{
    FileError, ImportPlan, Origin, Planned, SkipReason, Skipped, same_name, utf8_text,
};
use crate::ids::{ItemId, Timestamp};
use crate::normalize::slug;
use crate::view::CommunityView;

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

/// A bookable place's bookings as one calendar file named after the place.
/// A confirmed booking is `CONFIRMED`; one in a conflict `TENTATIVE`, with
/// "en conflit" in its title when it is not the one kept for now; a refused
/// or cancelled one `CANCELLED`, so a calendar app that had it updates it.
pub fn place_calendar(
    view: &CommunityView,
    place: &crate::entities::Actor,
    now: Timestamp,
) -> String {
    use crate::booking::Status;
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"));
    calendar.name(&place.name);
    for (booking, status) in view.place_schedule(&place.id).bookings {
        let who = view.member_name(&booking.member);
        let mut summary = if booking.note.trim().is_empty() {
            format!("{} — {who}", place.name)
        } else {
            format!("{} — {} ({who})", place.name, booking.note.trim())
        };
        if status == Status::Conflicting {
            summary.push_str(" — en conflit");
        }
        let ical_status = match status {
            Status::Confirmed => icalendar::EventStatus::Confirmed,
            Status::Provisional | Status::Conflicting => icalendar::EventStatus::Tentative,
            Status::Refused | Status::Cancelled => icalendar::EventStatus::Cancelled,
        };
        let mut out = icalendar::Event::new();
        out.uid(&format!("{}@passerelle", booking.id))
            .timestamp(utc(now))
            .starts(utc(booking.start))
            .ends(utc(booking.end))
            .summary(&summary)
            .status(ical_status);
        if let Some(address) = &place.address {
            out.location(address);
        } else {
            out.location(&place.name);
        }
        calendar.push(out.done());
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

/// The Passerelle event id an exported `UID` carries, if it is one.
fn passerelle_id(uid: &str) -> Option<ItemId> {
    let id = uid.strip_suffix("@passerelle")?;
    ulid::Ulid::from_string(id).ok().map(|_| ItemId::from(id))
}

/// Time zones that are UTC under another name.
fn is_utc(tzid: &str) -> bool {
    matches!(
        tzid.trim_start_matches('/').to_ascii_uppercase().as_str(),
        "UTC" | "GMT" | "ETC/UTC" | "ETC/GMT" | "Z" | "ZULU"
    )
}

/// A calendar time in milliseconds. Times not in UTC (floating ones, and
/// those given with a named time zone) are read with `local`, the importing
/// device's time zone: events shared within a neighbourhood are in it.
fn millis(
    value: DatePerhapsTime,
    local: &impl Fn(NaiveDateTime) -> Option<Timestamp>,
) -> Option<Timestamp> {
    match value {
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(dt)) => Some(dt.timestamp_millis()),
        DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid })
            if is_utc(&tzid) =>
        {
            Some(date_time.and_utc().timestamp_millis())
        }
        DatePerhapsTime::DateTime(
            CalendarDateTime::Floating(naive)
            | CalendarDateTime::WithTimezone {
                date_time: naive, ..
            },
        ) => local(naive),
        DatePerhapsTime::Date(date) => local(date.and_hms_opt(0, 0, 0)?),
    }
}

/// Plans the import of an iCalendar file into `view`'s agenda: one
/// `AddEvent` per `VEVENT`. Events without a title or a readable start, and
/// events already in the agenda or earlier in the file, are skipped.
pub fn plan_import(
    bytes: &[u8],
    view: &CommunityView,
    local: impl Fn(NaiveDateTime) -> Option<Timestamp>,
    mut new_id: impl FnMut() -> ItemId,
) -> Result<ImportPlan, FileError> {
    let text = utf8_text(bytes)?;
    if !text.trim_start().starts_with("BEGIN:VCALENDAR") {
        return Err(FileError::NotCalendar);
    }
    let calendar: Calendar = text
        .parse()
        .map_err(|e: String| FileError::BadCalendar(e))?;
    let mut plan = ImportPlan::default();
    let mut known: Vec<(ItemId, String, Timestamp)> = view
        .events
        .iter()
        .map(|e| (e.id.clone(), e.title.clone(), e.start))
        .collect();
    let events = calendar
        .components
        .iter()
        .filter_map(CalendarComponent::as_event);
    for (rank, event) in events.enumerate() {
        let origin = Origin::Event(rank + 1);
        let title = event.get_summary().unwrap_or_default().trim().to_owned();
        let skip = |reason: SkipReason| Skipped {
            origin,
            label: title.clone(),
            reason,
        };
        if title.is_empty() {
            plan.skipped.push(skip(SkipReason::NoTitle));
            continue;
        }
        let Some(start) = event.get_start().and_then(|s| millis(s, &local)) else {
            plan.skipped.push(skip(SkipReason::NoStart));
            continue;
        };
        let end = event.get_end().and_then(|e| millis(e, &local));
        let own_id = event.get_uid().and_then(passerelle_id);
        let already = known
            .iter()
            .any(|(id, t, s)| own_id.as_ref() == Some(id) || (*s == start && same_name(t, &title)));
        if already {
            plan.skipped.push(skip(SkipReason::InAgenda));
            continue;
        }
        let id = own_id.unwrap_or_else(&mut new_id);
        known.push((id.clone(), title.clone(), start));
        plan.commands.push(Planned {
            origin,
            label: title.clone(),
            command: Command::Agenda(AgendaCommand::AddEvent {
                id,
                title,
                description: event.get_description().unwrap_or_default().to_owned(),
                start,
                end,
                place: event.get_location().map(str::to_owned),
                capacity: None,
            }),
        });
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MemberId;

    const START: Timestamp = 1_795_000_000_000;
    const HOUR: Timestamp = 3_600_000;

    fn event(id: &str, title: &str, end: Option<Timestamp>, place: Option<&str>) -> Event {
        Event {
            attachments: Default::default(),
            moderation: None,
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

    /// The fields RFC 5545 requires, and those calendar apps need, read from
    /// the raw text rather than through the crate.
    #[test]
    fn exports_carry_the_rfc_5545_fields_calendar_apps_need() {
        let mut long = event(
            "01JLONG",
            "Réunion ; virgule, antislash \\ et accents é à ù",
            Some(START + HOUR),
            Some("Salle 1, bâtiment B; RDC"),
        );
        long.description = autosurgeon::Text::with_value("Un long texte. ".repeat(20));
        let short = event("01JSHORT", "Pik-nik", None, None);
        let text = agenda_calendar([&long, &short], Some("Quartier"), START);
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        // Content lines end in CRLF and fold at 75 octets.
        let raw_lines: Vec<&str> = text.split("\r\n").collect();
        assert!(!text.replace("\r\n", "").contains('\n'));
        assert!(raw_lines.iter().all(|l| l.len() <= 75), "unfolded line");
        assert!(
            raw_lines.iter().any(|l| l.starts_with(' ')),
            "long lines fold"
        );
        let unfolded = text.replace("\r\n ", "");
        let lines: Vec<&str> = unfolded.split("\r\n").collect();
        let calendar_part: Vec<&str> = lines
            .iter()
            .take_while(|l| **l != "BEGIN:VEVENT")
            .copied()
            .collect();
        assert_eq!(calendar_part[0], "BEGIN:VCALENDAR");
        assert!(calendar_part.contains(&"VERSION:2.0"));
        assert!(calendar_part.contains(&"PRODID:-//Passerelle//Agenda//FR"));
        let blocks: Vec<Vec<&str>> = unfolded
            .split("BEGIN:VEVENT\r\n")
            .skip(1)
            .map(|b| b.split("\r\n").take_while(|l| *l != "END:VEVENT").collect())
            .collect();
        assert_eq!(blocks.len(), 2);
        let utc_stamp = |v: &str| {
            v.len() == 16
                && v.ends_with('Z')
                && &v[8..9] == "T"
                && v[..8].bytes().all(|b| b.is_ascii_digit())
        };
        for block in &blocks {
            let value = |name: &str| {
                block
                    .iter()
                    .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
            };
            assert!(value("UID").is_some_and(|u| u.ends_with("@passerelle")));
            assert!(value("DTSTAMP").is_some_and(utc_stamp), "{block:?}");
            assert!(value("DTSTART").is_some_and(utc_stamp), "{block:?}");
            assert!(value("SUMMARY").is_some());
            assert!(
                value("DTEND").is_some_and(utc_stamp) ^ value("DURATION").is_some(),
                "one of DTEND and DURATION: {block:?}"
            );
        }
        let first = &blocks[0];
        assert!(first.contains(&"SUMMARY:Réunion \\; virgule\\, antislash \\\\ et accents é à ù"));
        assert!(first.contains(&"LOCATION:Salle 1\\, bâtiment B\\; RDC"));
        let stamp = |ts| utc(ts).format("%Y%m%dT%H%M%SZ").to_string();
        assert!(first.contains(&format!("DTSTART:{}", stamp(START)).as_str()));
        assert!(first.contains(&format!("DTEND:{}", stamp(START + HOUR)).as_str()));
        assert!(blocks[1].contains(&"DURATION:PT1H"));
    }
}
