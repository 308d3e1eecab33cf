//! What the agenda commands write: events, their edits, RSVPs (one entry
//! per member) and deletion. Bookings of places are items of the same map,
//! written by `booking.rs`.

use automerge::AutoCommit;

use super::access::{Context, ensure_new, existing, put, put_entry, remove};
use super::validate::{limit, optional, positive, required, text_value};
use super::{CommandError, MAX_TEXT, MAX_TITLE, Result};
use crate::entities::{Event, Rsvp, RsvpAnswer};
use crate::ids::{ItemId, Timestamp};
use crate::layout::DocKind;

const A: DocKind = DocKind::Agenda;

/// A change to the agenda's events.
#[derive(Clone, Debug)]
#[allow(missing_docs)] // Fields repeat the entity fields documented in `entities`.
pub enum AgendaCommand {
    /// Adds an event.
    AddEvent {
        id: ItemId,
        title: String,
        description: String,
        start: Timestamp,
        end: Option<Timestamp>,
        place: Option<String>,
        capacity: Option<i64>,
    },
    /// Edits an event.
    UpdateEvent {
        id: ItemId,
        title: Option<String>,
        description: Option<String>,
        start: Option<Timestamp>,
        end: Option<Option<Timestamp>>,
        place: Option<Option<String>>,
        capacity: Option<Option<i64>>,
    },
    /// Answers an event for the author's member.
    Rsvp { event: ItemId, answer: RsvpAnswer },
    /// Deletes an event.
    DeleteEvent { id: ItemId },
}

impl AgendaCommand {
    /// The change message.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::AddEvent { .. } => "add event",
            Self::UpdateEvent { .. } => "update event",
            Self::Rsvp { .. } => "rsvp",
            Self::DeleteEvent { .. } => "delete event",
        }
    }

    /// Validates and writes the command (uncommitted). Returns the item id.
    pub(super) fn apply(
        self,
        doc: &mut AutoCommit,
        ctx: &Context,
        now: Timestamp,
    ) -> Result<String> {
        match self {
            Self::AddEvent {
                id,
                title,
                description,
                start,
                end,
                place,
                capacity,
            } => {
                ensure_new(doc, A, "events", id.as_str())?;
                if matches!(end, Some(end) if end < start) {
                    return Err(CommandError::EndBeforeStart);
                }
                let event = Event {
                    attachments: Default::default(),
                    moderation: None,
                    id: id.clone(),
                    title: required("title", &title, MAX_TITLE)?,
                    description: text_value(&limit("description", &description, MAX_TEXT)?),
                    start,
                    end,
                    place: optional("place", place.as_deref(), MAX_TITLE)?,
                    capacity: positive("capacity", capacity)?,
                    rsvps: Default::default(),
                    created_by: ctx.me(),
                    created_at: now,
                };
                put(doc, A, "events", id.as_str(), &event)?;
                Ok(id.0)
            }
            Self::UpdateEvent {
                id,
                title,
                description,
                start,
                end,
                place,
                capacity,
            } => {
                let mut e: Event = existing(doc, A, "events", "event", id.as_str())?;
                ctx.may_edit(&e.created_by)?;
                if let Some(title) = title {
                    e.title = required("title", &title, MAX_TITLE)?;
                }
                if let Some(description) = description {
                    e.description
                        .update(limit("description", &description, MAX_TEXT)?);
                }
                if let Some(start) = start {
                    e.start = start;
                }
                if let Some(end) = end {
                    e.end = end;
                }
                if matches!(e.end, Some(end) if end < e.start) {
                    return Err(CommandError::EndBeforeStart);
                }
                if let Some(place) = place {
                    e.place = optional("place", place.as_deref(), MAX_TITLE)?;
                }
                if let Some(capacity) = capacity {
                    e.capacity = positive("capacity", capacity)?;
                }
                put(doc, A, "events", id.as_str(), &e)?;
                Ok(id.0)
            }
            Self::Rsvp { event, answer } => {
                let rsvp = Rsvp { answer, at: now };
                let item = ("events", "event", event.as_str());
                put_entry(doc, A, item, "rsvps", ctx.member.id.as_str(), &rsvp)?;
                Ok(event.0)
            }
            Self::DeleteEvent { id } => {
                let e: Event = existing(doc, A, "events", "event", id.as_str())?;
                ctx.may_edit(&e.created_by)?;
                remove(doc, A, "events", "event", id.as_str())?;
                Ok(id.0)
            }
        }
    }
}
