//! Bookings of shared places: a place of the annuaire made bookable (its
//! opening hours, how many bookings may overlap, its referent), the
//! bookings members make of it, and the conflicts between them.
//!
//! Members book offline, so two of them may take the same slot before
//! their devices meet. Nothing is refused at sync time: the conflict is
//! computed, by [`schedule`], from the documents alone, and every device
//! computes the same one whatever order the changes arrived in. The rule:
//! a decision of the place's referent (or of an animateur or admin) wins;
//! otherwise the booking made first (`created_at`, ties broken by id) is
//! kept and the later one stays "en conflit" until someone decides.
//!
//! Bookings are items of the agenda document's `events` map told apart by
//! their `kind` (see docs/SCHEMA.md): that map is created at genesis and
//! bookings need no other container.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use chrono::{DateTime, Datelike, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

use crate::entities::{Actor, ActorKind};
use crate::ids::{ItemId, MemberId, Timestamp};

/// The value of a booking item's `kind` field, which tells it apart from the
/// events it shares the `events` map with.
pub const BOOKING_KIND: &str = "booking";

/// When a bookable place is open on one day of the week.
#[derive(Clone, Debug, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Opening {
    /// ISO weekday: 1 is Monday, 7 is Sunday.
    pub weekday: i64,
    /// Opening time, `HH:MM`, in the place's time ([`Bookable::utc_offset_minutes`]).
    pub from: String,
    /// Closing time, `HH:MM`, after `from`.
    pub to: String,
}

impl Opening {
    /// Opening and closing times, if both are well written.
    pub fn times(&self) -> Option<(NaiveTime, NaiveTime)> {
        Some((parse_hhmm(&self.from)?, parse_hhmm(&self.to)?))
    }
}

/// What makes a place bookable.
#[derive(Clone, Debug, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Bookable {
    /// Opening hours, any number per weekday.
    pub openings: Vec<Opening>,
    /// How many bookings may overlap (1: one group at a time).
    pub capacity: i64,
    /// Bookings start and end on multiples of this many minutes after an opening.
    pub slot_minutes: i64,
    /// The member who decides conflicts, besides animateurs and admins.
    pub referent: Option<MemberId>,
    /// The place's offset from UTC in minutes (60 for Paris in winter):
    /// opening hours are read in it. Stored so that every device checks
    /// hours the same way, whatever its own time zone.
    pub utc_offset_minutes: i64,
}

/// A decision on a booking by the place's referent, an animateur or an admin.
#[derive(Clone, Debug, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Decision {
    /// Kept (confirmed) or dropped (refused).
    pub keep: bool,
    /// Who decided.
    pub by: MemberId,
    /// When.
    pub at: Timestamp,
}

/// A member's booking of a place.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Booking {
    /// Always [`BOOKING_KIND`].
    pub kind: String,
    /// Stable id (a ULID: its order breaks ties between bookings made at
    /// the same millisecond).
    pub id: ItemId,
    /// The annuaire entry booked.
    pub place: ItemId,
    /// Start.
    pub start: Timestamp,
    /// End, after the start.
    pub end: Timestamp,
    /// Who booked (the member, not the device).
    pub member: MemberId,
    /// What for ("atelier cuisine du jeudi").
    pub note: String,
    /// When it was made, on the booking device's clock.
    pub created_at: Timestamp,
    /// The referent's decision, if any.
    pub decision: Option<Decision>,
    /// Set when the booking was cancelled.
    pub cancelled_at: Option<Timestamp>,
}

impl Booking {
    fn overlaps(&self, other: &Booking) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Where a booking stands, as every device computes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Confirmed: no conflict, or kept by a decision.
    Confirmed,
    /// In a conflict, kept for now because it was made first.
    Provisional,
    /// In a conflict and not confirmed: made later, nobody decided yet.
    Conflicting,
    /// Dropped by a decision (or displaced by a booking a decision kept).
    Refused,
    /// Cancelled.
    Cancelled,
}

impl Status {
    /// A short English word, for the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Provisional => "provisional",
            Status::Conflicting => "conflict",
            Status::Refused => "refused",
            Status::Cancelled => "cancelled",
        }
    }
}

/// Bookings of one place whose overlap exceeds its capacity and that no
/// decision settled yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The place.
    pub place: ItemId,
    /// The bookings kept for now (made first), by start.
    pub winners: Vec<ItemId>,
    /// The bookings not confirmed, by start.
    pub losers: Vec<ItemId>,
}

/// Every booking of one place with where it stands, by start.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Schedule {
    /// The bookings and their status, by start then id.
    pub bookings: Vec<(Booking, Status)>,
    /// The unsettled conflicts, by their first booking's start.
    pub conflicts: Vec<Conflict>,
}

impl Schedule {
    /// A booking's status, if it is one of this place's.
    pub fn status(&self, id: &ItemId) -> Option<Status> {
        self.bookings
            .iter()
            .find(|(b, _)| &b.id == id)
            .map(|(_, s)| *s)
    }
}

/// The schedule of a place: its bookings' statuses and conflicts. A pure
/// function of the bookings and the capacity, so every device that has the
/// same changes computes the same schedule.
pub fn schedule(place: &ItemId, capacity: i64, bookings: &[Booking]) -> Schedule {
    let capacity = usize::try_from(capacity.max(1)).unwrap_or(1);
    let mut mine: Vec<&Booking> = bookings.iter().filter(|b| &b.place == place).collect();
    mine.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
    let mut status: BTreeMap<&ItemId, Status> = BTreeMap::new();
    // Contenders: not cancelled, not dropped. Kept ones come first, then
    // first come, first served.
    let mut contenders: Vec<&Booking> = Vec::new();
    for b in &mine {
        if b.cancelled_at.is_some() {
            status.insert(&b.id, Status::Cancelled);
        } else if b.decision.as_ref().is_some_and(|d| !d.keep) {
            status.insert(&b.id, Status::Refused);
        } else {
            contenders.push(b);
        }
    }
    let kept = |b: &Booking| b.decision.as_ref().is_some_and(|d| d.keep);
    contenders.sort_by(|a, b| {
        kept(b)
            .cmp(&kept(a))
            .then(a.created_at.cmp(&b.created_at))
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut accepted: Vec<&Booking> = Vec::new();
    let mut losers: Vec<&Booking> = Vec::new();
    for b in contenders {
        if kept(b) || fits(&accepted, b, capacity) {
            accepted.push(b);
        } else {
            losers.push(b);
        }
    }
    // A loser displaced by a booking a decision kept is refused; the others
    // are in conflict with the bookings they overlap.
    let mut conflicting: Vec<&Booking> = Vec::new();
    for b in &losers {
        if accepted.iter().any(|a| kept(a) && a.overlaps(b)) {
            status.insert(&b.id, Status::Refused);
        } else {
            status.insert(&b.id, Status::Conflicting);
            conflicting.push(b);
        }
    }
    for a in &accepted {
        let disputed = conflicting.iter().any(|l| l.overlaps(a));
        let s = if disputed && !kept(a) {
            Status::Provisional
        } else {
            Status::Confirmed
        };
        status.insert(&a.id, s);
    }
    let conflicts = group_conflicts(place, &mine, &status);
    Schedule {
        bookings: mine.iter().map(|b| ((*b).clone(), status[&b.id])).collect(),
        conflicts,
    }
}

/// Whether `b` fits beside the accepted bookings: at no instant of its time
/// would more than `capacity` bookings overlap.
fn fits(accepted: &[&Booking], b: &Booking, capacity: usize) -> bool {
    let overlapping: Vec<&&Booking> = accepted.iter().filter(|a| a.overlaps(b)).collect();
    // The most overlap is reached at b's start or at an overlapping start.
    std::iter::once(b.start)
        .chain(overlapping.iter().map(|a| a.start).filter(|s| *s > b.start))
        .all(|t| {
            overlapping
                .iter()
                .filter(|a| a.start <= t && t < a.end)
                .count()
                < capacity
        })
}

/// Groups the conflicting bookings and the provisional ones they overlap
/// into conflicts (connected by overlap), in start order.
fn group_conflicts(
    place: &ItemId,
    mine: &[&Booking],
    status: &BTreeMap<&ItemId, Status>,
) -> Vec<Conflict> {
    let involved: Vec<&Booking> = mine
        .iter()
        .copied()
        .filter(|b| matches!(status[&b.id], Status::Provisional | Status::Conflicting))
        .collect();
    let mut group_of: Vec<usize> = (0..involved.len()).collect();
    fn root(group_of: &mut [usize], mut i: usize) -> usize {
        while group_of[i] != i {
            i = group_of[i];
        }
        i
    }
    for i in 0..involved.len() {
        for j in 0..i {
            if involved[i].overlaps(involved[j]) {
                let (ri, rj) = (root(&mut group_of, i), root(&mut group_of, j));
                group_of[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut groups: BTreeMap<usize, Conflict> = BTreeMap::new();
    for (i, b) in involved.iter().enumerate() {
        let conflict = groups.entry(root(&mut group_of, i)).or_insert(Conflict {
            place: place.clone(),
            winners: Vec::new(),
            losers: Vec::new(),
        });
        match status[&b.id] {
            Status::Conflicting => conflict.losers.push(b.id.clone()),
            _ => conflict.winners.push(b.id.clone()),
        }
    }
    groups
        .into_values()
        .filter(|c| !c.losers.is_empty())
        .collect()
}

/// Every unsettled conflict of the community, place by place (places in
/// the annuaire's order, then bookings of places no longer bookable).
pub fn conflicts(actors: &[Actor], bookings: &[Booking]) -> Vec<Conflict> {
    let mut places: Vec<(&ItemId, i64)> = actors
        .iter()
        .filter(|a| a.kind == ActorKind::Place)
        .map(|a| (&a.id, a.booking.as_ref().map_or(1, |b| b.capacity)))
        .collect();
    places.sort();
    places.dedup_by(|a, b| a.0 == b.0);
    let mut out = Vec::new();
    for (place, capacity) in places {
        out.extend(schedule(place, capacity, bookings).conflicts);
    }
    out
}

/// Why a booking does not fit the place's hours, or opening hours are not
/// well written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    /// Ends before it starts.
    #[error("the end must be after the start")]
    EndBeforeStart,
    /// Not inside one opening of that day.
    #[error("the place is not open then (open: {0})")]
    Closed(String),
    /// Not on the slot grid.
    #[error("bookings start and end on {0}-minute slots from the opening time")]
    NotAligned(i64),
    /// A booking longer than a day.
    #[error("a booking lasts at most a day")]
    TooLong,
    /// An opening that is not a weekday and a time range.
    #[error("'{} {}-{}' is not an opening (weekday 1 to 7, HH:MM-HH:MM)", .0.weekday, .0.from, .0.to)]
    NotAnOpening(Opening),
    /// A UTC offset beyond ±14 hours.
    #[error("the UTC offset is out of range")]
    OffsetOutOfRange,
}

/// Checks that `start..end` lies inside one opening and on the slot grid.
pub fn check_hours(place: &Bookable, start: Timestamp, end: Timestamp) -> Result<(), HoursError> {
    if end <= start {
        return Err(HoursError::EndBeforeStart);
    }
    let offset_ms = place.utc_offset_minutes * 60_000;
    let local =
        |t: Timestamp| DateTime::from_timestamp_millis(t + offset_ms).map(|d| d.naive_utc());
    let (Some(from), Some(to)) = (local(start), local(end)) else {
        return Err(HoursError::Closed(describe_hours(&place.openings)));
    };
    let weekday = i64::from(from.weekday().number_from_monday());
    let opening = place.openings.iter().find(|o| {
        o.weekday == weekday
            && from.date() == to.date()
            && o.times()
                .is_some_and(|(open, close)| open <= from.time() && to.time() <= close)
    });
    let Some(opening) = opening else {
        return Err(HoursError::Closed(describe_hours(&place.openings)));
    };
    let open = opening.times().map_or(0, |(o, _)| minutes(o));
    let slot = place.slot_minutes.max(1);
    let aligned = |t: chrono::NaiveDateTime| {
        t.second() == 0 && t.nanosecond() == 0 && (minutes(t.time()) - open).rem_euclid(slot) == 0
    };
    if !aligned(from) || !aligned(to) {
        return Err(HoursError::NotAligned(slot));
    }
    Ok(())
}

fn minutes(t: NaiveTime) -> i64 {
    i64::from(t.hour() * 60 + t.minute())
}

/// Reads `HH:MM`.
pub fn parse_hhmm(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

/// The opening hours as [`parse_hours`] reads them, consecutive days with
/// the same hours grouped: `lun-ven 09:00-12:00 14:00-18:00; sam 10:00-12:00`.
pub fn describe_hours(openings: &[Opening]) -> String {
    let day_hours = |weekday: i64| {
        let mut ranges: Vec<String> = openings
            .iter()
            .filter(|o| o.weekday == weekday)
            .map(|o| format!("{}-{}", o.from, o.to))
            .collect();
        ranges.sort();
        ranges.dedup();
        ranges.join(" ")
    };
    let mut parts: Vec<String> = Vec::new();
    let mut weekday = 1;
    while weekday <= 7 {
        let hours = day_hours(weekday);
        let mut last = weekday;
        while last < 7 && day_hours(last + 1) == hours {
            last += 1;
        }
        if !hours.is_empty() {
            let days = if last == weekday {
                weekday_name(weekday).to_owned()
            } else {
                format!("{}-{}", weekday_name(weekday), weekday_name(last))
            };
            parts.push(format!("{days} {hours}"));
        }
        weekday = last + 1;
    }
    if parts.is_empty() {
        return "never".to_owned();
    }
    parts.join("; ")
}

/// French short name of an ISO weekday (1 = lun).
pub fn weekday_name(weekday: i64) -> &'static str {
    match weekday {
        1 => "lun",
        2 => "mar",
        3 => "mer",
        4 => "jeu",
        5 => "ven",
        6 => "sam",
        7 => "dim",
        _ => "?",
    }
}

/// Reads a weekday in French or English, full or abbreviated (`lun`,
/// `lundi`, `mon`, `monday`); returns its ISO number.
pub fn parse_weekday(text: &str) -> Option<i64> {
    let t = crate::normalize::fold(text.trim());
    let days: [(&[&str], i64); 7] = [
        (&["lun", "lundi", "mon", "monday"], 1),
        (&["mar", "mardi", "tue", "tuesday"], 2),
        (&["mer", "mercredi", "wed", "wednesday"], 3),
        (&["jeu", "jeudi", "thu", "thursday"], 4),
        (&["ven", "vendredi", "fri", "friday"], 5),
        (&["sam", "samedi", "sat", "saturday"], 6),
        (&["dim", "dimanche", "sun", "sunday"], 7),
    ];
    days.iter()
        .find(|(names, _)| names.contains(&t.as_str()))
        .map(|(_, n)| *n)
}

/// Why written opening hours do not read; each holds the piece of text at
/// fault, as the user wrote it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HoursTextError {
    /// Not a weekday.
    #[error("'{0}' is not a weekday (lun, mar... or mon, tue...)")]
    NotAWeekday(String),
    /// A range of days that goes backwards.
    #[error("'{0}': the days go backwards")]
    DaysBackwards(String),
    /// Days without hours.
    #[error("'{0}': no hours after the days (e.g. 09:00-18:00)")]
    NoHours(String),
    /// Hours not written `HH:MM-HH:MM`.
    #[error("'{0}': write hours as HH:MM-HH:MM")]
    BadRange(String),
    /// Closing before opening.
    #[error("'{0}': closes before it opens")]
    ClosesBeforeOpening(String),
    /// Nothing written.
    #[error("no opening hours given (e.g. \"lun-ven 09:00-18:00\")")]
    Empty,
}

/// Reads opening hours written `lun-ven 09:00-18:00; sam 10:00-12:00`
/// (days as a range or a comma list, then one or more time ranges).
pub fn parse_hours(text: &str) -> Result<Vec<Opening>, HoursTextError> {
    let mut openings = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let mut words = part.split_whitespace();
        let days_text = words.next().unwrap_or_default();
        let mut days = Vec::new();
        for piece in days_text.split(',') {
            match piece.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (day(a)?, day(b)?);
                    if b < a {
                        return Err(HoursTextError::DaysBackwards(piece.to_owned()));
                    }
                    days.extend(a..=b);
                }
                None => days.push(day(piece)?),
            }
        }
        let ranges: Vec<&str> = words.collect();
        if ranges.is_empty() {
            return Err(HoursTextError::NoHours(part.to_owned()));
        }
        for range in ranges {
            let (from, to) = range
                .split_once('-')
                .ok_or_else(|| HoursTextError::BadRange(range.to_owned()))?;
            let (Some(f), Some(t)) = (parse_hhmm(from), parse_hhmm(to)) else {
                return Err(HoursTextError::BadRange(range.to_owned()));
            };
            if t <= f {
                return Err(HoursTextError::ClosesBeforeOpening(range.to_owned()));
            }
            for &weekday in &days {
                openings.push(Opening {
                    weekday,
                    from: f.format("%H:%M").to_string(),
                    to: t.format("%H:%M").to_string(),
                });
            }
        }
    }
    if openings.is_empty() {
        return Err(HoursTextError::Empty);
    }
    Ok(openings)
}

fn day(text: &str) -> Result<i64, HoursTextError> {
    parse_weekday(text).ok_or_else(|| HoursTextError::NotAWeekday(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_read_in_french_and_english() {
        let o = parse_hours("lun-ven 09:00-12:00 14:00-18:00; sat 10:00-12:00").unwrap();
        assert_eq!(o.len(), 11);
        assert_eq!(o[0].weekday, 1);
        assert_eq!(o.last().unwrap().weekday, 6);
        assert!(parse_hours("lun 18:00-09:00").is_err());
        assert!(parse_hours("xyz 09:00-10:00").is_err());
        assert!(parse_hours("lun").is_err());
        // Described as it is read back, consecutive days grouped.
        let text = describe_hours(&o);
        assert_eq!(text, "lun-ven 09:00-12:00 14:00-18:00; sam 10:00-12:00");
        let mut again = parse_hours(&text).unwrap();
        let mut o = o;
        let key = |x: &Opening| (x.weekday, x.from.clone());
        again.sort_by_key(key);
        o.sort_by_key(key);
        assert_eq!(again, o);
        assert_eq!(
            describe_hours(&parse_hours("lun,mer,ven 09:00-10:00").unwrap()),
            "lun 09:00-10:00; mer 09:00-10:00; ven 09:00-10:00"
        );
    }

    #[test]
    fn hours_and_slots_are_checked_in_the_place_time() {
        let place = Bookable {
            openings: parse_hours("mar 09:00-18:00").unwrap(),
            capacity: 1,
            slot_minutes: 60,
            referent: None,
            utc_offset_minutes: 60,
        };
        // Tuesday 1 December 2026, 10:00 in Paris is 09:00 UTC.
        let at = |h: u32, m: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
                .unwrap()
                .and_hms_opt(h, m, 0)
                .unwrap()
                .and_utc()
                .timestamp_millis()
        };
        assert_eq!(check_hours(&place, at(9, 0), at(11, 0)), Ok(()));
        assert_eq!(
            check_hours(&place, at(9, 30), at(10, 30)),
            Err(HoursError::NotAligned(60))
        );
        assert!(matches!(
            check_hours(&place, at(7, 0), at(9, 0)),
            Err(HoursError::Closed(_))
        ));
        assert!(matches!(
            check_hours(&place, at(16, 0), at(18, 0)),
            Err(HoursError::Closed(_))
        ));
        assert_eq!(
            check_hours(&place, at(10, 0), at(10, 0)),
            Err(HoursError::EndBeforeStart)
        );
    }
}
