//! `passerelle-node place ...`: shared places of the annuaire made bookable,
//! their bookings, and the conflicts between bookings made offline.
//!
//! Times are read and shown in the place's time (its UTC offset, kept with
//! its opening hours), so every member reads the same hours whatever their
//! machine's time zone.

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone};
use clap::Subcommand;
use passerelle_core::Handle;
use passerelle_core::model::booking::{self, Schedule, Status, describe_hours, parse_hours};
use passerelle_core::model::normalize::fold;
use passerelle_core::model::{
    Actor, ActorKind, BookingCommand, Command, CommunityView, ItemId, MemberId,
};
use serde_json::json;

use crate::output::outln;

#[derive(Subcommand, Debug)]
pub enum PlaceCmd {
    /// Lists the annuaire's places, bookable or not.
    List {
        #[arg(long)]
        community: String,
        #[arg(long)]
        json: bool,
    },
    /// Makes a place bookable (or changes its hours), or no longer with --off.
    Bookable {
        /// The place: its id or its name.
        place: String,
        #[arg(long)]
        community: String,
        /// Opening hours: days (lun-ven, mon,wed...) then hours, several
        /// parts separated by ';', e.g. "lun-ven 09:00-12:00 14:00-18:00; sam 10:00-12:00".
        #[arg(long, required_unless_present = "off")]
        hours: Option<String>,
        /// Bookings start and end on slots of this many minutes.
        #[arg(long, default_value_t = 60)]
        slot: i64,
        /// How many bookings may overlap.
        #[arg(long, default_value_t = 1)]
        capacity: i64,
        /// The member who settles conflicts (id or name).
        #[arg(long)]
        referent: Option<String>,
        /// The place's UTC offset, e.g. +01:00 (default: this machine's, now).
        #[arg(long, allow_hyphen_values = true)]
        utc_offset: Option<String>,
        /// No longer bookable (existing bookings stay listed).
        #[arg(long, conflicts_with = "hours")]
        off: bool,
    },
    /// Books a place; prints the booking's id. Works offline: a booking
    /// that overlaps another shows as a conflict once devices meet.
    Book {
        /// The place: its id or its name.
        place: String,
        #[arg(long)]
        community: String,
        /// Start, in the place's time: "2026-12-01 10:00" (or RFC 3339).
        #[arg(long)]
        start: String,
        /// End, same forms.
        #[arg(long)]
        end: String,
        /// What for.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Lists a place's bookings with their status, conflicts first.
    Bookings {
        /// The place: its id or its name.
        place: String,
        #[arg(long)]
        community: String,
        #[arg(long)]
        json: bool,
    },
    /// Settles a conflict: keeps or drops a booking (the place's referent,
    /// animateurs and admins).
    Resolve {
        booking: String,
        #[arg(long)]
        community: String,
        #[arg(long, required_unless_present = "drop", conflicts_with = "drop")]
        keep: bool,
        #[arg(long)]
        drop: bool,
    },
    /// Cancels a booking (the member who booked, the referent, animateurs
    /// and admins).
    Cancel {
        booking: String,
        #[arg(long)]
        community: String,
    },
}

pub(crate) async fn run(handle: &Handle, command: PlaceCmd, out: &mut String) -> Result<()> {
    use PlaceCmd::*;
    match command {
        List { community, json } => {
            let c = crate::community(handle, &community).await?;
            let view = handle.view(&c).await?;
            list(out, &view, json);
            Ok(())
        }
        Bookable {
            place,
            community,
            hours,
            slot,
            capacity,
            referent,
            utc_offset,
            off,
        } => {
            let c = crate::community(handle, &community).await?;
            let view = handle.view(&c).await?;
            let place = find_place(&view, &place)?.id.clone();
            let bookable = match hours {
                Some(hours) if !off => Some(booking::Bookable {
                    openings: parse_hours(&hours).map_err(|e| anyhow!("--hours: {e}"))?,
                    capacity,
                    slot_minutes: slot,
                    referent: referent.map(|r| find_member(&view, &r)).transpose()?,
                    utc_offset_minutes: match utc_offset {
                        Some(o) => parse_offset(&o)?,
                        None => {
                            i64::from(chrono::Local::now().offset().fix().local_minus_utc() / 60)
                        }
                    },
                }),
                _ => None,
            };
            let command = Command::Booking(BookingCommand::SetBookable { place, bookable });
            crate::apply(out, handle, &c, command).await
        }
        Book {
            place,
            community,
            start,
            end,
            note,
        } => {
            let c = crate::community(handle, &community).await?;
            let view = handle.view(&c).await?;
            let actor = find_place(&view, &place)?;
            let offset = offset_of(actor)?;
            let command = Command::Booking(BookingCommand::BookPlace {
                id: handle.new_id(),
                place: actor.id.clone(),
                start: parse_time(&start, offset).context("--start")?,
                end: parse_time(&end, offset).context("--end")?,
                note,
            });
            crate::apply(out, handle, &c, command).await
        }
        Bookings {
            place,
            community,
            json,
        } => {
            let c = crate::community(handle, &community).await?;
            let view = handle.view(&c).await?;
            let actor = find_place(&view, &place)?;
            bookings(out, &view, actor, json);
            Ok(())
        }
        Resolve {
            booking,
            community,
            keep,
            drop: _,
        } => {
            let c = crate::community(handle, &community).await?;
            let command = Command::Booking(BookingCommand::DecideBooking {
                booking: ItemId(booking.trim().to_owned()),
                keep,
            });
            crate::apply(out, handle, &c, command).await
        }
        Cancel { booking, community } => {
            let c = crate::community(handle, &community).await?;
            let command = Command::Booking(BookingCommand::CancelBooking {
                booking: ItemId(booking.trim().to_owned()),
            });
            crate::apply(out, handle, &c, command).await
        }
    }
}

/// A place of the annuaire by id, or by name (accents and case folded).
fn find_place<'a>(view: &'a CommunityView, given: &str) -> Result<&'a Actor> {
    let given = given.trim();
    let places = || {
        view.community
            .actors
            .iter()
            .filter(|a| a.kind == ActorKind::Place)
    };
    if let Some(place) = places().find(|a| a.id.as_str() == given) {
        return Ok(place);
    }
    let named: Vec<&Actor> = places().filter(|a| fold(&a.name) == fold(given)).collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => bail!("no place '{given}' in this community (see: passerelle-node place list)"),
        _ => bail!(
            "several places are named '{given}'; give its id (see: passerelle-node place list)"
        ),
    }
}

/// A member by id or display name.
fn find_member(view: &CommunityView, given: &str) -> Result<MemberId> {
    let given = given.trim();
    let members = &view.community.members;
    if let Some(m) = members.iter().find(|m| m.id.as_str() == given) {
        return Ok(m.id.clone());
    }
    let named: Vec<_> = members
        .iter()
        .filter(|m| fold(&m.display_name) == fold(given))
        .collect();
    match named.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => bail!("no member '{given}' in this community (see: passerelle-node members list)"),
        _ => bail!("several members are named '{given}'; give their id"),
    }
}

fn offset_of(place: &Actor) -> Result<FixedOffset> {
    let Some(b) = &place.booking else {
        bail!(
            "'{}' is not bookable (make it so with: passerelle-node place bookable)",
            place.name
        );
    };
    fixed(b.utc_offset_minutes)
}

fn fixed(minutes: i64) -> Result<FixedOffset> {
    i32::try_from(minutes * 60)
        .ok()
        .and_then(FixedOffset::east_opt)
        .ok_or_else(|| anyhow!("UTC offset out of range"))
}

/// `+01:00`, `-05:30`, `+1` or `Z`, in minutes.
fn parse_offset(text: &str) -> Result<i64> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("z") || text.eq_ignore_ascii_case("utc") {
        return Ok(0);
    }
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'+') => (1, &text[1..]),
        Some(b'-') => (-1, &text[1..]),
        _ => bail!("--utc-offset: '{text}' is not an offset like +01:00"),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (Ok(h), Ok(m)) = (h.parse::<i64>(), m.parse::<i64>()) else {
        bail!("--utc-offset: '{text}' is not an offset like +01:00");
    };
    Ok(sign * (h * 60 + m))
}

/// "2026-12-01 10:00" in the place's time, or an RFC 3339 date-time.
fn parse_time(text: &str, offset: FixedOffset) -> Result<i64> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
        .with_context(|| format!("'{text}' is not a date and time like 2026-12-01 10:00"))?;
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| anyhow!("'{text}' is not a time of the place"))
}

fn local(ms: i64, offset: FixedOffset) -> DateTime<FixedOffset> {
    offset.timestamp_millis_opt(ms).single().unwrap_or_default()
}

fn list(out: &mut String, view: &CommunityView, json: bool) {
    let places: Vec<&Actor> = view
        .community
        .actors
        .iter()
        .filter(|a| a.kind == ActorKind::Place)
        .collect();
    if json {
        let items: Vec<_> = places
            .iter()
            .map(|p| {
                let conflicts = view.place_schedule(&p.id).conflicts.len();
                let mut value = serde_json::to_value(p).expect("places always serialise");
                value["conflict_count"] = json!(conflicts);
                value
            })
            .collect();
        outln!(
            out,
            "{}",
            serde_json::to_string_pretty(&items).expect("places always serialise")
        );
        return;
    }
    for p in places {
        let hours = p.booking.as_ref().map_or("not bookable".to_owned(), |b| {
            format!(
                "{} (slots of {} min, {} at a time)",
                describe_hours(&b.openings),
                b.slot_minutes,
                b.capacity
            )
        });
        outln!(out, "{}  {}  {}", p.id, p.name, hours);
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Confirmed => "confirmed",
        Status::Provisional => "kept for now (conflict)",
        Status::Conflicting => "CONFLICT, not confirmed",
        Status::Refused => "refused",
        Status::Cancelled => "cancelled",
    }
}

fn bookings(out: &mut String, view: &CommunityView, place: &Actor, json: bool) {
    let schedule: Schedule = view.place_schedule(&place.id);
    let offset = place
        .booking
        .as_ref()
        .and_then(|b| fixed(b.utc_offset_minutes).ok())
        .unwrap_or(FixedOffset::east_opt(0).expect("zero is a valid offset"));
    let referent = place
        .booking
        .as_ref()
        .and_then(|b| b.referent.as_ref())
        .map(|r| view.member_name(r).to_owned());
    if json {
        let items: Vec<_> = schedule
            .bookings
            .iter()
            .map(|(b, status)| {
                let mut value = serde_json::to_value(b).expect("bookings always serialise");
                value["status"] = json!(status.as_str());
                value["member_name"] = json!(view.member_name(&b.member));
                value
            })
            .collect();
        let value = json!({
            "place": place.id,
            "name": place.name,
            "bookable": place.booking,
            "referent_name": referent,
            "bookings": items,
            "conflicts": schedule.conflicts,
        });
        outln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).expect("bookings always serialise")
        );
        return;
    }
    let when = |b: &passerelle_core::model::booking::Booking| {
        format!(
            "{}-{}",
            local(b.start, offset).format("%Y-%m-%d %H:%M"),
            local(b.end, offset).format("%H:%M")
        )
    };
    let find = |id: &ItemId| schedule.bookings.iter().find(|(b, _)| &b.id == id);
    for (n, conflict) in schedule.conflicts.iter().enumerate() {
        outln!(out, "CONFLICT {}:", n + 1);
        for id in conflict.winners.iter().chain(&conflict.losers) {
            if let Some((b, status)) = find(id) {
                outln!(
                    out,
                    "  {}  {}  {}  {}",
                    b.id,
                    when(b),
                    view.member_name(&b.member),
                    status_word(*status)
                );
            }
        }
        outln!(
            out,
            "  {} decides: passerelle-node place resolve BOOKING --keep|--drop",
            referent.as_deref().unwrap_or("an animateur")
        );
    }
    if schedule.bookings.is_empty() {
        outln!(out, "no bookings of {}", place.name);
    }
    for (b, status) in &schedule.bookings {
        let note = if b.note.is_empty() {
            String::new()
        } else {
            format!("  {}", b.note)
        };
        outln!(
            out,
            "{}  {}  {}  {}{}",
            b.id,
            when(b),
            view.member_name(&b.member),
            status_word(*status),
            note
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_times_are_read_in_the_place_time() {
        assert_eq!(parse_offset("+01:00").unwrap(), 60);
        assert_eq!(parse_offset("-05:30").unwrap(), -330);
        assert_eq!(parse_offset("Z").unwrap(), 0);
        assert!(parse_offset("01:00").is_err());
        let paris = fixed(60).unwrap();
        let t = parse_time("2026-12-01 10:00", paris).unwrap();
        assert_eq!(t, parse_time("2026-12-01T09:00:00Z", paris).unwrap());
        assert!(parse_time("demain", paris).is_err());
    }
}
