//! What the moderation commands write: an item hidden, deleted or shown
//! again, a thread locked or unlocked.
//!
//! Moderation is a field of the item itself (`moderation`, `locked`), so it
//! travels with the item and needs no container of its own. A deleted item
//! keeps its id, its author and the moderator's reason, and nothing else of
//! its content; every device then leaves it out of every list.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, Value};

use super::access::{Context, existing_obj, put_field};
use super::validate::required;
use super::{CommandError, MAX_TITLE, Result};
use crate::entities::{ItemKind, Lock, Moderation, ModerationAction};
use crate::ids::{ItemId, Timestamp};
use crate::layout::DocKind;

/// The document and the item map an item kind lives in.
pub fn home(kind: ItemKind) -> (DocKind, &'static str) {
    match kind {
        ItemKind::Exchange => (DocKind::Exchanges, "exchanges"),
        ItemKind::Event => (DocKind::Agenda, "events"),
        ItemKind::Group => (DocKind::Community, "groups"),
        ItemKind::Idea => (DocKind::Ideas, "ideas"),
        ItemKind::Sheet => (DocKind::Savoirs, "sheets"),
        ItemKind::Post => (DocKind::Fil, "posts"),
        ItemKind::Actor => (DocKind::Community, "actors"),
    }
}

/// The field holding a lockable item's thread, if it has one.
pub fn thread_of(kind: ItemKind) -> Option<&'static str> {
    match kind {
        ItemKind::Exchange => Some("replies"),
        ItemKind::Group => Some("thread"),
        ItemKind::Post => Some("comments"),
        _ => None,
    }
}

/// What a deletion empties: the item's texts, titles and threads.
fn content_of(kind: ItemKind) -> &'static [&'static str] {
    match kind {
        ItemKind::Exchange => &["title", "description", "place", "replies", "attachments"],
        ItemKind::Event => &["title", "description", "place", "attachments"],
        ItemKind::Group => &["name", "description", "thread", "next_meeting"],
        ItemKind::Idea => &["text", "attachments"],
        ItemKind::Sheet => &["title", "sections", "attachments"],
        ItemKind::Post => &["text", "comments", "attachments"],
        ItemKind::Actor => &[
            "name",
            "description",
            "contact",
            "address",
            "tags",
            "attachments",
        ],
    }
}

/// A moderation of an item, in the document the item lives in.
#[derive(Clone, Debug)]
pub enum ModerationCommand {
    /// Hides or deletes an item, with a reason, or shows a hidden one again
    /// (`action: None`); animateurs and admins. A deletion empties the
    /// item's content and cannot be undone.
    Moderate {
        /// The item's kind.
        kind: ItemKind,
        /// The item.
        id: ItemId,
        /// Hide or delete; `None` shows it again.
        action: Option<ModerationAction>,
        /// Why, shown to animateurs and admins.
        reason: String,
    },
    /// Locks (or unlocks) the thread of an échange, a group or a post:
    /// animateurs and admins.
    LockThread {
        /// The item's kind.
        kind: ItemKind,
        /// The item.
        id: ItemId,
        /// Locked, or unlocked.
        locked: bool,
        /// Why, shown to animateurs and admins.
        reason: String,
    },
}

impl ModerationCommand {
    /// The change message.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::Moderate { .. } => "moderate",
            Self::LockThread { .. } => "lock thread",
        }
    }

    /// The document of the item moderated.
    pub(super) fn doc(&self) -> DocKind {
        match self {
            Self::Moderate { kind, .. } | Self::LockThread { kind, .. } => home(*kind).0,
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
            Self::Moderate {
                kind,
                id,
                action,
                reason,
            } => {
                ctx.moderator()?;
                let (doc_kind, coll) = home(kind);
                let item = (coll, kind.as_str(), id.as_str());
                let current: Option<Moderation> =
                    super::access::get_field(doc, doc_kind, item, "moderation")?;
                if current
                    .as_ref()
                    .is_some_and(|m| m.action == ModerationAction::Delete)
                {
                    return Err(CommandError::Deleted);
                }
                let moderation = match action {
                    Some(action) => Some(Moderation {
                        action,
                        reason: required("reason", &reason, MAX_TITLE)?,
                        by: ctx.me(),
                        at: now,
                    }),
                    None => None,
                };
                if action == Some(ModerationAction::Delete) {
                    let obj = existing_obj(doc, doc_kind, item)?;
                    for field in content_of(kind) {
                        empty(doc, &obj, field)?;
                    }
                }
                put_field(doc, doc_kind, item, "moderation", &moderation)?;
                Ok(id.0)
            }
            Self::LockThread {
                kind,
                id,
                locked,
                reason,
            } => {
                ctx.moderator()?;
                if thread_of(kind).is_none() {
                    return Err(CommandError::NotLockable(kind));
                }
                let (doc_kind, coll) = home(kind);
                let item = (coll, kind.as_str(), id.as_str());
                let lock = if locked {
                    Some(Lock {
                        reason: required("reason", &reason, MAX_TITLE)?,
                        by: ctx.me(),
                        at: now,
                    })
                } else {
                    None
                };
                put_field(doc, doc_kind, item, "locked", &lock)?;
                Ok(id.0)
            }
        }
    }
}

/// Empties one field of a deleted item, whatever its shape: texts and
/// strings become empty, maps and lists lose their entries, the rest null.
fn empty(doc: &mut AutoCommit, obj: &automerge::ObjId, field: &str) -> Result<()> {
    let Some((value, inner)) = doc.get(obj, field)? else {
        return Ok(());
    };
    match value {
        Value::Object(ObjType::Text) => {
            let len = doc.length(&inner);
            doc.splice_text(&inner, 0, len as isize, "")?;
        }
        Value::Object(ObjType::Map | ObjType::Table) => {
            for key in doc.keys(&inner).collect::<Vec<_>>() {
                doc.delete(&inner, key.as_str())?;
            }
        }
        Value::Object(ObjType::List) => {
            let len = doc.length(&inner);
            doc.splice(
                &inner,
                0,
                len as isize,
                std::iter::empty::<automerge::ScalarValue>(),
            )?;
        }
        Value::Scalar(s) if matches!(s.as_ref(), automerge::ScalarValue::Str(_)) => {
            doc.put(obj, field, "")?;
        }
        Value::Scalar(_) => {
            doc.put(obj, field, automerge::ScalarValue::Null)?;
        }
    }
    Ok(())
}

/// Refuses a new entry in a locked thread.
pub(super) fn ensure_unlocked(doc: &AutoCommit, kind: ItemKind, id: &str) -> Result<()> {
    let (doc_kind, coll) = home(kind);
    let lock: Option<Lock> =
        super::access::get_field(doc, doc_kind, (coll, kind.as_str(), id), "locked")?;
    match lock {
        Some(_) => Err(CommandError::Locked),
        None => Ok(()),
    }
}
