//! What the attachment commands write: a picture or a file's description
//! added to an item's `attachments` map, or taken off it.
//!
//! The map is part of the item from its creation (an empty map), so an
//! attachment is one entry under its hash: two devices attaching to one item
//! at once add two entries. The bytes are not here (a blob, kept by the
//! node); a document only says which blobs its items use.

use automerge::AutoCommit;

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc};

use super::access::{Context, existing_obj, get_field, put_entry, remove_entry};
use super::moderation::home;
use super::validate::required;
use super::{CommandError, MAX_TITLE, Result};
use crate::entities::{Attachment, Attachments, ItemKind, Moderation, ModerationAction};
use crate::ids::{ItemId, MemberId, Timestamp};
use crate::layout::DocKind;

/// Largest file a community takes, in bytes (20 MiB).
pub const MAX_FILE: u64 = 20 * 1024 * 1024;
/// Largest thumbnail, in bytes.
pub const MAX_THUMB: u64 = 256 * 1024;
/// Most attachments on one item.
pub const MAX_ATTACHMENTS: usize = 20;
/// Longest picture side, in pixels, a community takes.
pub const MAX_SIDE: u32 = 8_192;

/// What is attached: everything but who and when, which the command adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAttachment {
    /// BLAKE3 hash of the bytes (hex).
    pub hash: String,
    /// The file's name.
    pub name: String,
    /// Its type.
    pub mime: String,
    /// Its size in bytes.
    pub size: u64,
    /// A picture's size in pixels.
    pub dimensions: Option<(u32, u32)>,
    /// A picture's thumbnail.
    pub thumb: Option<crate::entities::Thumbnail>,
}

/// Pictures and files on échanges, events, annuaire entries, sheets, posts
/// and ideas.
#[derive(Clone, Debug)]
pub enum AttachmentCommand {
    /// Attaches a file to an item: its author, animateurs and admins (any
    /// member for a sheet, which many write).
    Attach {
        /// The item's kind.
        kind: ItemKind,
        /// The item.
        id: ItemId,
        /// What is attached.
        attachment: NewAttachment,
    },
    /// Takes an attachment off an item: whoever added it, the item's
    /// author, animateurs and admins.
    Detach {
        /// The item's kind.
        kind: ItemKind,
        /// The item.
        id: ItemId,
        /// The attachment's hash.
        hash: String,
    },
}

/// Whether a text is a blob hash: 64 lowercase hex characters.
pub fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The field naming an item's author, per kind.
fn author_field(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Exchange | ItemKind::Idea | ItemKind::Post => "author",
        ItemKind::Event | ItemKind::Group | ItemKind::Sheet | ItemKind::Actor => "created_by",
    }
}

impl AttachmentCommand {
    /// The change message.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::Attach { .. } => "attach",
            Self::Detach { .. } => "detach",
        }
    }

    /// The document of the item.
    pub(super) fn doc(&self) -> DocKind {
        match self {
            Self::Attach { kind, .. } | Self::Detach { kind, .. } => home(*kind).0,
        }
    }

    /// Validates and writes the command (uncommitted). Returns the hash.
    pub(super) fn apply(
        self,
        doc: &mut AutoCommit,
        ctx: &Context,
        now: Timestamp,
    ) -> Result<String> {
        match self {
            Self::Attach {
                kind,
                id,
                attachment,
            } => {
                let item = attachable(doc, kind, &id)?;
                ensure_map(doc, item)?;
                if kind != ItemKind::Sheet {
                    let author: MemberId = get_field(doc, item.0, item.1, author_field(kind))?;
                    ctx.may_edit(&author)?;
                }
                let held: Attachments = get_field(doc, item.0, item.1, "attachments")?;
                let attachment = check(attachment, ctx.me(), now)?;
                if held.contains_key(&attachment.hash) {
                    return Ok(attachment.hash);
                }
                if held.len() >= MAX_ATTACHMENTS {
                    return Err(CommandError::BadAttachment("number of attachments"));
                }
                let hash = attachment.hash.clone();
                put_entry(doc, item.0, item.1, "attachments", &hash, &attachment)?;
                Ok(hash)
            }
            Self::Detach { kind, id, hash } => {
                let item = attachable(doc, kind, &id)?;
                ensure_map(doc, item)?;
                let held: Attachments = get_field(doc, item.0, item.1, "attachments")?;
                let Some(attachment) = held.get(&hash) else {
                    return Err(CommandError::NotFound {
                        kind: "attachment",
                        id: hash,
                    });
                };
                if attachment.added_by != ctx.me() {
                    let author: MemberId = get_field(doc, item.0, item.1, author_field(kind))?;
                    ctx.may_edit(&author)?;
                }
                remove_entry(doc, item.0, item.1, "attachments", &hash)?;
                Ok(hash)
            }
        }
    }
}

/// The item's place, if it can take attachments and is not deleted.
fn attachable<'a>(
    doc: &AutoCommit,
    kind: ItemKind,
    id: &'a ItemId,
) -> Result<(DocKind, (&'static str, &'static str, &'a str))> {
    if kind == ItemKind::Group {
        return Err(CommandError::BadAttachment("item kind"));
    }
    let (doc_kind, coll) = home(kind);
    let item = (coll, kind.as_str(), id.as_str());
    let moderation: Option<Moderation> = get_field(doc, doc_kind, item, "moderation")?;
    if moderation.is_some_and(|m| m.action == ModerationAction::Delete) {
        return Err(CommandError::Deleted);
    }
    Ok((doc_kind, item))
}

/// Gives an item made before attachments existed its (empty) map. Items
/// made since have it from their creation, by their author.
fn ensure_map(
    doc: &mut AutoCommit,
    (doc_kind, item): (DocKind, (&'static str, &'static str, &str)),
) -> Result<()> {
    let obj = existing_obj(doc, doc_kind, item)?;
    if doc.get(&obj, "attachments")?.is_none() {
        doc.put_object(&obj, "attachments", ObjType::Map)?;
    }
    Ok(())
}

/// Checks what is attached: hashes, name, type, sizes within bounds.
fn check(new: NewAttachment, me: MemberId, now: Timestamp) -> Result<Attachment> {
    if !is_hash(&new.hash) {
        return Err(CommandError::BadAttachment("hash"));
    }
    if new.size == 0 || new.size > MAX_FILE {
        return Err(CommandError::BadAttachment("size"));
    }
    let mime = new.mime.trim().to_ascii_lowercase();
    if !crate::attachments::valid_mime(&mime) {
        return Err(CommandError::BadAttachment("type"));
    }
    let side_ok = |(w, h): (u32, u32)| (1..=MAX_SIDE).contains(&w) && (1..=MAX_SIDE).contains(&h);
    if new.dimensions.is_some_and(|d| !side_ok(d)) {
        return Err(CommandError::BadAttachment("picture size"));
    }
    if let Some(thumb) = &new.thumb
        && (!is_hash(&thumb.hash)
            || thumb.size == 0
            || thumb.size > MAX_THUMB
            || thumb.hash == new.hash
            || !side_ok((thumb.width, thumb.height))
            || !mime.starts_with("image/"))
    {
        return Err(CommandError::BadAttachment("thumbnail"));
    }
    let name = required("file name", &new.name, MAX_TITLE)?;
    if !crate::attachments::valid_name(&name) {
        return Err(CommandError::BadAttachment("file name"));
    }
    Ok(Attachment {
        hash: new.hash,
        name,
        mime,
        size: new.size,
        width: new.dimensions.map(|d| d.0),
        height: new.dimensions.map(|d| d.1),
        thumb: new.thumb,
        added_by: me,
        added_at: now,
    })
}
