//! Which pictures and files a community's documents reference: what a
//! device keeps, serves to members and fetches from them.
//!
//! Pure: it reads a [`CommunityView`]. Hidden items count (they may be shown
//! again); a deleted item has no attachments left.

use std::collections::BTreeMap;

use crate::entities::{Attachment, Attachments, ItemKind};
use crate::ids::ItemId;
use crate::view::CommunityView;

pub use crate::command::attachments::{MAX_ATTACHMENTS, MAX_FILE, MAX_SIDE, MAX_THUMB, is_hash};

/// One attachment where it is used.
#[derive(Clone, Copy, Debug)]
pub struct Used<'a> {
    /// The item's kind.
    pub kind: ItemKind,
    /// The item.
    pub id: &'a ItemId,
    /// The attachment.
    pub attachment: &'a Attachment,
}

/// Whether a file name is fit to show and to write: not empty, at most 200
/// characters, no control character, no bidirectional override (which
/// would show "photo\u{202e}gpj.exe" as "photoexe.jpg"), nothing naming a
/// directory.
pub fn valid_name(name: &str) -> bool {
    let bidi = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    !name.trim().is_empty()
        && name.chars().count() <= crate::command::MAX_TITLE
        && !name.chars().any(|c| c.is_control() || bidi(c))
        && !name.contains(['/', '\\'])
        && name != "."
        && name != ".."
}

/// Whether a type is a plain MIME type (`image/jpeg`).
pub fn valid_mime(mime: &str) -> bool {
    mime.len() <= 100
        && mime.split_once('/').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && mime
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"/+-.".contains(&c))
        })
}

/// Whether a description, stored under `key`, keeps within the bounds the
/// attach command checks: hashes, sizes, name, type, picture and thumbnail.
/// The views leave out any other (written by a modified app).
pub fn valid(key: &str, a: &Attachment) -> bool {
    let side = |v: u32| (1..=MAX_SIDE).contains(&v);
    let dims = match (a.width, a.height) {
        (None, None) => true,
        (Some(w), Some(h)) => side(w) && side(h),
        _ => false,
    };
    let thumb = a.thumb.as_ref().is_none_or(|t| {
        is_hash(&t.hash)
            && t.hash != a.hash
            && (1..=MAX_THUMB).contains(&t.size)
            && side(t.width)
            && side(t.height)
            && a.is_image()
    });
    key == a.hash
        && is_hash(&a.hash)
        && (1..=MAX_FILE).contains(&a.size)
        && valid_name(&a.name)
        && valid_mime(&a.mime)
        && dims
        && thumb
}

/// Every attachment of the community's items, listed or hidden.
pub fn used<'v>(view: &'v CommunityView) -> Vec<Used<'v>> {
    let mut out = Vec::new();
    let mut add = |kind: ItemKind, id: &'v ItemId, files: &'v Attachments| {
        out.extend(files.values().map(|attachment| Used {
            kind,
            id,
            attachment,
        }));
    };
    for x in view.exchanges.iter() {
        add(ItemKind::Exchange, &x.id, &x.attachments);
    }
    for x in view.events.iter() {
        add(ItemKind::Event, &x.id, &x.attachments);
    }
    for x in view.ideas.iter() {
        add(ItemKind::Idea, &x.id, &x.attachments);
    }
    for x in view.sheets.iter() {
        add(ItemKind::Sheet, &x.id, &x.attachments);
    }
    for x in view.posts.iter() {
        add(ItemKind::Post, &x.id, &x.attachments);
    }
    for x in &view.community.actors {
        add(ItemKind::Actor, &x.id, &x.attachments);
    }
    for x in view.moderated.iter() {
        add(x.kind, &x.id, &x.attachments);
    }
    out
}

/// The role a blob plays for this community.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// A picture's thumbnail.
    Thumbnail,
    /// A file or a full picture.
    File,
}

/// Every blob the community references, with its role and the size its
/// attachment gives (the largest, if two attachments disagree).
pub fn blobs(view: &CommunityView) -> BTreeMap<String, (Role, u64)> {
    let mut out: BTreeMap<String, (Role, u64)> = BTreeMap::new();
    // A hash used as a file anywhere is a file (fetched when opened, kept
    // within the cache); a thumbnail is never larger than MAX_THUMB.
    let mut put = |hash: &str, role: Role, size: u64| {
        let size = match role {
            Role::Thumbnail => size.min(MAX_THUMB),
            Role::File => size,
        };
        let entry = out.entry(hash.to_owned()).or_insert((role, size));
        entry.0 = entry.0.max(role);
        entry.1 = entry.1.max(size);
    };
    for used in used(view) {
        let a = used.attachment;
        put(&a.hash, Role::File, a.size);
        if let Some(thumb) = &a.thumb {
            put(&thumb.hash, Role::Thumbnail, thumb.size);
        }
    }
    out
}

/// The attachments of one item, if it is in the view.
pub fn of_item<'a>(
    view: &'a CommunityView,
    kind: ItemKind,
    id: &ItemId,
) -> Option<&'a Attachments> {
    let found = match kind {
        ItemKind::Exchange => view
            .exchanges
            .iter()
            .find(|x| &x.id == id)
            .map(|x| &x.attachments),
        ItemKind::Event => view
            .events
            .iter()
            .find(|x| &x.id == id)
            .map(|x| &x.attachments),
        ItemKind::Idea => view
            .ideas
            .iter()
            .find(|x| &x.id == id)
            .map(|x| &x.attachments),
        ItemKind::Sheet => view
            .sheets
            .iter()
            .find(|x| &x.id == id)
            .map(|x| &x.attachments),
        ItemKind::Post => view
            .posts
            .iter()
            .find(|x| &x.id == id)
            .map(|x| &x.attachments),
        ItemKind::Actor => view
            .community
            .actors
            .iter()
            .find(|x| &x.id == id)
            .map(|x| &x.attachments),
        ItemKind::Group => None,
    };
    found.or_else(|| {
        view.moderated
            .iter()
            .find(|m| m.kind == kind && &m.id == id)
            .map(|m| &m.attachments)
    })
}

/// The kind of the item with this id, among those that take attachments
/// (listed or hidden).
pub fn kind_of(view: &CommunityView, id: &ItemId) -> Option<ItemKind> {
    let found = [
        (
            ItemKind::Exchange,
            view.exchanges.iter().any(|x| &x.id == id),
        ),
        (ItemKind::Event, view.events.iter().any(|x| &x.id == id)),
        (ItemKind::Idea, view.ideas.iter().any(|x| &x.id == id)),
        (ItemKind::Sheet, view.sheets.iter().any(|x| &x.id == id)),
        (ItemKind::Post, view.posts.iter().any(|x| &x.id == id)),
        (
            ItemKind::Actor,
            view.community.actors.iter().any(|x| &x.id == id),
        ),
    ];
    found
        .into_iter()
        .find(|(_, here)| *here)
        .map(|(kind, _)| kind)
        .or_else(|| {
            view.moderated
                .iter()
                .find(|m| &m.id == id && m.kind != ItemKind::Group)
                .map(|m| m.kind)
        })
}

/// The name an attachment's bytes take when written beside an export:
/// the start of its hash (two files may share a name) and its name, with
/// nothing that could name a directory or hide the file.
pub fn file_name(attachment: &Attachment) -> String {
    let name: String = attachment
        .name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | ':'))
        .take(100)
        .collect();
    let name = name.trim().trim_start_matches('.');
    let short = match attachment.hash.get(..8) {
        Some(short) if is_hash(&attachment.hash) => short,
        _ => "fichier",
    };
    if name.is_empty() {
        short.to_owned()
    } else {
        format!("{short}-{name}")
    }
}
