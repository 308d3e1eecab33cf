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
    let mut put = |hash: &str, role: Role, size: u64| {
        let entry = out.entry(hash.to_owned()).or_insert((role, size));
        entry.0 = entry.0.min(role);
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
    let short = attachment.hash.get(..8).unwrap_or("fichier");
    if name.is_empty() {
        short.to_owned()
    } else {
        format!("{short}-{name}")
    }
}
