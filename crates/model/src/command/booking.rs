//! What the booking commands write: a place made bookable (community
//! document), bookings, their cancellation and the referent's decisions
//! (agenda document, items of its `events` map with `kind: "booking"`).
//!
//! Booking is offline-friendly: a booking is checked against the place's
//! hours and slot grid only, never against other bookings, which a device
//! offline cannot all know. Overlaps beyond capacity become conflicts that
//! [`crate::booking::schedule`] computes the same way on every device.

use std::collections::BTreeMap;

use automerge::AutoCommit;
use autosurgeon::hydrate_prop;

use super::access::{Context, ensure_new, get, put, put_field};
use super::validate::limit;
use super::{CommandError, MAX_TEXT, Result};
use crate::booking::{BOOKING_KIND, Bookable, Booking, Decision, HoursError, check_hours};
use crate::entities::{Actor, ActorKind, Role};
use crate::ids::{ItemId, Timestamp};
use crate::layout::DocKind;

const C: DocKind = DocKind::Community;
const A: DocKind = DocKind::Agenda;

/// Most opening ranges on one place.
pub const MAX_OPENINGS: usize = 50;
/// Longest booking, in minutes (a day).
pub const MAX_BOOKING_MINUTES: i64 = 24 * 60;

/// A change to bookable places and their bookings.
#[derive(Clone, Debug)]
#[allow(missing_docs)] // Fields repeat the entity fields documented in `crate::booking`.
pub enum BookingCommand {
    /// Makes an annuaire place bookable, or no longer (`None`): its
    /// creator, its referent, animateurs and admins.
    SetBookable {
        place: ItemId,
        bookable: Option<Bookable>,
    },
    /// Books a bookable place: inside its hours, on its slot grid. Other
    /// bookings are not checked (a device offline cannot know them all):
    /// overlaps become conflicts, see [`crate::booking::schedule`].
    BookPlace {
        id: ItemId,
        place: ItemId,
        start: Timestamp,
        end: Timestamp,
        note: String,
    },
    /// Cancels a booking (the member who booked, the place's referent,
    /// animateurs and admins).
    CancelBooking { booking: ItemId },
    /// Keeps or drops a booking, settling its conflict (the place's
    /// referent, animateurs and admins).
    DecideBooking { booking: ItemId, keep: bool },
}

/// The annuaire's places, read from the community document: booking
/// commands write to the agenda but are checked against the place.
pub(super) fn places(community: &AutoCommit) -> Result<BTreeMap<String, Actor>> {
    let obj = crate::layout::map_obj(community, C, "actors")?;
    // One by one: an entry this version cannot read does not stop bookings
    // of the others.
    Ok(automerge::ReadDoc::keys(community, &obj)
        .filter_map(|id| {
            let actor: Actor = hydrate_prop(community, &obj, id.as_str()).ok()?;
            (actor.kind == ActorKind::Place && actor.moderation.is_none()).then_some((id, actor))
        })
        .collect())
}

impl BookingCommand {
    /// The change message.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::SetBookable { .. } => "set bookable",
            Self::BookPlace { .. } => "book place",
            Self::CancelBooking { .. } => "cancel booking",
            Self::DecideBooking { .. } => "decide booking",
        }
    }

    /// The document the command writes to: the place's (community) or the
    /// agenda.
    pub(super) fn doc(&self) -> DocKind {
        match self {
            Self::SetBookable { .. } => C,
            Self::BookPlace { .. } | Self::CancelBooking { .. } | Self::DecideBooking { .. } => A,
        }
    }

    /// Validates and writes the command (uncommitted), checked against the
    /// annuaire's `places`. Returns the item id.
    pub(super) fn apply(
        self,
        doc: &mut AutoCommit,
        ctx: &Context,
        places: &BTreeMap<String, Actor>,
        now: Timestamp,
    ) -> Result<String> {
        use BookingCommand::*;
        match self {
            SetBookable { place, bookable } => {
                let actor = place_of(places, &place)?;
                let may = actor.created_by == ctx.member.id
                    || is_referent(actor, ctx)
                    || ctx.member.role != Role::Membre;
                if !may {
                    return Err(CommandError::NotAllowed(
                        "the place's creator, its referent, animateurs and admins",
                    ));
                }
                let bookable = bookable.map(checked_bookable).transpose()?;
                put_field(
                    doc,
                    C,
                    ("actors", "place", place.as_str()),
                    "booking",
                    &bookable,
                )?;
                Ok(place.0)
            }
            BookPlace {
                id,
                place,
                start,
                end,
                note,
            } => {
                let actor = place_of(places, &place)?;
                let bookable = actor.booking.as_ref().ok_or(CommandError::NotBookable)?;
                if end <= start {
                    return Err(CommandError::EndBeforeStart);
                }
                if end - start > MAX_BOOKING_MINUTES * 60_000 {
                    return Err(CommandError::Hours(HoursError::TooLong));
                }
                check_hours(bookable, start, end).map_err(CommandError::Hours)?;
                ensure_new(doc, A, "events", id.as_str())?;
                let booking = Booking {
                    kind: BOOKING_KIND.to_owned(),
                    id: id.clone(),
                    place,
                    start,
                    end,
                    member: ctx.me(),
                    note: limit("note", &note, MAX_TEXT)?,
                    created_at: now,
                    decision: None,
                    cancelled_at: None,
                };
                put(doc, A, "events", id.as_str(), &booking)?;
                Ok(id.0)
            }
            CancelBooking { booking } => {
                let b = booking_item(doc, &booking)?;
                let referent = places
                    .get(b.place.as_str())
                    .is_some_and(|p| is_referent(p, ctx));
                if b.member != ctx.member.id && !referent && ctx.member.role == Role::Membre {
                    return Err(CommandError::NotAllowed(
                        "the member who booked, the place's referent, animateurs and admins",
                    ));
                }
                let item = ("events", "booking", booking.as_str());
                put_field(doc, A, item, "cancelled_at", &Some(now))?;
                Ok(booking.0)
            }
            DecideBooking { booking, keep } => {
                let b = booking_item(doc, &booking)?;
                let referent = places
                    .get(b.place.as_str())
                    .is_some_and(|p| is_referent(p, ctx));
                if !referent && ctx.member.role == Role::Membre {
                    return Err(CommandError::NotAllowed(
                        "the place's referent, animateurs and admins",
                    ));
                }
                let decision = Decision {
                    keep,
                    by: ctx.me(),
                    at: now,
                };
                let item = ("events", "booking", booking.as_str());
                put_field(doc, A, item, "decision", &Some(decision))?;
                Ok(booking.0)
            }
        }
    }
}

fn place_of<'a>(places: &'a BTreeMap<String, Actor>, id: &ItemId) -> Result<&'a Actor> {
    places
        .get(id.as_str())
        .ok_or_else(|| CommandError::NotFound {
            kind: "place",
            id: id.0.clone(),
        })
}

fn is_referent(place: &Actor, ctx: &Context) -> bool {
    place
        .booking
        .as_ref()
        .and_then(|b| b.referent.as_ref())
        .is_some_and(|r| *r == ctx.member.id)
}

fn checked_bookable(b: Bookable) -> Result<Bookable> {
    if b.openings.is_empty() {
        return Err(CommandError::Empty("opening hours"));
    }
    if b.openings.len() > MAX_OPENINGS {
        return Err(CommandError::TooLong {
            field: "opening hours",
            len: b.openings.len(),
            max: MAX_OPENINGS,
        });
    }
    for o in &b.openings {
        let times = o.times().filter(|(from, to)| from < to);
        if !(1..=7).contains(&o.weekday) || times.is_none() {
            return Err(CommandError::Hours(HoursError::NotAnOpening(o.clone())));
        }
    }
    if b.capacity < 1 {
        return Err(CommandError::NotPositive("capacity"));
    }
    if !(1..=MAX_BOOKING_MINUTES).contains(&b.slot_minutes) {
        return Err(CommandError::NotPositive("slot length"));
    }
    if b.utc_offset_minutes.abs() > 14 * 60 {
        return Err(CommandError::Hours(HoursError::OffsetOutOfRange));
    }
    let openings = b
        .openings
        .into_iter()
        .map(|mut o| {
            // Written back as HH:MM, whatever spacing was given.
            if let Some((from, to)) = o.times() {
                o.from = from.format("%H:%M").to_string();
                o.to = to.format("%H:%M").to_string();
            }
            o
        })
        .collect();
    Ok(Bookable { openings, ..b })
}

/// Reads a booking: an item of the `events` map whose kind says so.
fn booking_item(doc: &AutoCommit, id: &ItemId) -> Result<Booking> {
    let b: Option<Booking> = get(doc, A, "events", id.as_str()).ok().flatten();
    match b {
        Some(b) if b.kind == BOOKING_KIND => Ok(b),
        _ => Err(CommandError::NotFound {
            kind: "booking",
            id: id.0.clone(),
        }),
    }
}
