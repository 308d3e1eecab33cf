//! Reading and writing single items of a document's item maps, and the
//! context (author, categories, themes) commands are validated against.

use automerge::AutoCommit;
use autosurgeon::{Hydrate, Reconcile, hydrate_prop, reconcile_prop};

use super::{Author, CommandError, Result};
use crate::entities::{Category, Member, Role, Theme};
use crate::ids::MemberId;
use crate::layout::{CommunityDocs, DocKind, map_obj};
use crate::normalize::slug;

/// Reads one item of a document's item map.
pub(super) fn get<T: Hydrate>(
    doc: &AutoCommit,
    kind: DocKind,
    coll: &'static str,
    id: &str,
) -> Result<Option<T>> {
    let obj = map_obj(doc, kind, coll)?;
    if automerge::ReadDoc::get(doc, &obj, id)?.is_none() {
        return Ok(None);
    }
    Ok(Some(hydrate_prop(doc, &obj, id)?))
}

/// Reads one item that must exist.
pub(super) fn existing<T: Hydrate>(
    doc: &AutoCommit,
    kind: DocKind,
    coll: &'static str,
    what: &'static str,
    id: &str,
) -> Result<T> {
    get(doc, kind, coll, id)?.ok_or_else(|| CommandError::NotFound {
        kind: what,
        id: id.to_owned(),
    })
}

/// Writes one item of a document's item map (a diff against what is there).
pub(super) fn put<T: Reconcile>(
    doc: &mut AutoCommit,
    kind: DocKind,
    coll: &'static str,
    id: &str,
    item: &T,
) -> Result<()> {
    let obj = map_obj(doc, kind, coll)?;
    reconcile_prop(doc, &obj, id, item)?;
    Ok(())
}

/// Writes one entry of a map inside an existing item (a reply, a vote, an
/// RSVP), without reading the rest of the item: the cost of answering a
/// long thread stays that of one entry.
pub(super) fn put_entry<T: Reconcile>(
    doc: &mut AutoCommit,
    kind: DocKind,
    (coll, what, id): (&'static str, &'static str, &str),
    field: &'static str,
    key: &str,
    value: &T,
) -> Result<()> {
    let entries = entries_obj(doc, kind, (coll, what, id), field)?;
    reconcile_prop(doc, &entries, key, value)?;
    Ok(())
}

/// Writes one entry of a map inside an existing item unless the map holds
/// its key already (a vote, a seat in a group): the first one stays.
pub(super) fn put_entry_once<T: Reconcile>(
    doc: &mut AutoCommit,
    kind: DocKind,
    item: (&'static str, &'static str, &str),
    field: &'static str,
    key: &str,
    value: &T,
) -> Result<()> {
    if !has_entry(doc, kind, item, field, key)? {
        put_entry(doc, kind, item, field, key, value)?;
    }
    Ok(())
}

/// Removes one entry of a map inside an existing item.
pub(super) fn remove_entry(
    doc: &mut AutoCommit,
    kind: DocKind,
    (coll, what, id): (&'static str, &'static str, &str),
    field: &'static str,
    key: &str,
) -> Result<()> {
    use automerge::transaction::Transactable;
    let entries = entries_obj(doc, kind, (coll, what, id), field)?;
    if automerge::ReadDoc::get(doc, &entries, key)?.is_some() {
        doc.delete(&entries, key)?;
    }
    Ok(())
}

/// Whether an item's map holds `key`.
pub(super) fn has_entry(
    doc: &AutoCommit,
    kind: DocKind,
    item: (&'static str, &'static str, &str),
    field: &'static str,
    key: &str,
) -> Result<bool> {
    let entries = entries_obj(doc, kind, item, field)?;
    Ok(automerge::ReadDoc::get(doc, &entries, key)?.is_some())
}

fn entries_obj(
    doc: &AutoCommit,
    kind: DocKind,
    item: (&'static str, &'static str, &str),
    field: &'static str,
) -> Result<automerge::ObjId> {
    let item = item_obj(doc, kind, item)?;
    match automerge::ReadDoc::get(doc, &item, field)? {
        Some((automerge::Value::Object(automerge::ObjType::Map), entries)) => Ok(entries),
        _ => Err(crate::layout::LayoutError::Missing {
            doc: kind.as_str(),
            field,
        }
        .into()),
    }
}

/// The object of an existing item.
pub(super) fn existing_obj(
    doc: &AutoCommit,
    kind: DocKind,
    item: (&'static str, &'static str, &str),
) -> Result<automerge::ObjId> {
    item_obj(doc, kind, item)
}

fn item_obj(
    doc: &AutoCommit,
    kind: DocKind,
    (coll, what, id): (&'static str, &'static str, &str),
) -> Result<automerge::ObjId> {
    let obj = map_obj(doc, kind, coll)?;
    match automerge::ReadDoc::get(doc, &obj, id)? {
        Some((_, item)) => Ok(item),
        None => Err(CommandError::NotFound {
            kind: what,
            id: id.to_owned(),
        }),
    }
}

/// Reads one field of an existing item.
pub(super) fn get_field<T: Hydrate>(
    doc: &AutoCommit,
    kind: DocKind,
    item: (&'static str, &'static str, &str),
    field: &'static str,
) -> Result<T> {
    let item = item_obj(doc, kind, item)?;
    Ok(hydrate_prop(doc, &item, field)?)
}

/// Writes one field of an existing item, leaving the rest (a long thread,
/// many replies) unread.
pub(super) fn put_field<T: Reconcile>(
    doc: &mut AutoCommit,
    kind: DocKind,
    item: (&'static str, &'static str, &str),
    field: &'static str,
    value: &T,
) -> Result<()> {
    let item = item_obj(doc, kind, item)?;
    reconcile_prop(doc, &item, field, value)?;
    Ok(())
}

pub(super) fn ensure_new(
    doc: &AutoCommit,
    kind: DocKind,
    coll: &'static str,
    id: &str,
) -> Result<()> {
    let obj = map_obj(doc, kind, coll)?;
    if automerge::ReadDoc::get(doc, &obj, id)?.is_some() {
        return Err(CommandError::Duplicate(id.to_owned()));
    }
    Ok(())
}

pub(super) fn remove(
    doc: &mut AutoCommit,
    kind: DocKind,
    coll: &'static str,
    what: &'static str,
    id: &str,
) -> Result<()> {
    use automerge::transaction::Transactable;
    let obj = map_obj(doc, kind, coll)?;
    if automerge::ReadDoc::get(doc, &obj, id)?.is_none() {
        return Err(CommandError::NotFound {
            kind: what,
            id: id.to_owned(),
        });
    }
    doc.delete(&obj, id)?;
    Ok(())
}

/// The community's settings that commands validate against.
pub(super) struct Context {
    pub member: Member,
    pub categories: Vec<Category>,
    pub themes: Vec<Theme>,
    /// For each device a command revokes, what this copy holds of its
    /// writing (see [`crate::entities::Revocation::seen`]).
    pub seen: std::collections::BTreeMap<String, std::collections::BTreeMap<String, i64>>,
}

/// The parts of the community document every command is checked against,
/// hydrated once per change of that document rather than once per command:
/// most commands write to other documents, and hydrating every member on
/// each command was most of a command's cost in a 50-member community.
#[derive(Clone, Debug)]
pub(crate) struct Rules {
    pub(super) heads: Vec<automerge::ChangeHash>,
    members: Vec<Member>,
    categories: Vec<Category>,
    themes: Vec<Theme>,
}

impl Rules {
    fn read(doc: &mut AutoCommit) -> Result<Self> {
        // Members as every device admits them: a role or removal written
        // by someone not allowed to does not count here either.
        let members = crate::admission::members(doc);
        Ok(Self {
            heads: doc.get_heads(),
            members,
            categories: hydrate_prop(&*doc, automerge::ROOT, "categories")?,
            themes: hydrate_prop(&*doc, automerge::ROOT, "themes")?,
        })
    }
}

impl Context {
    pub fn read(docs: &mut CommunityDocs, author: &Author) -> Result<Self> {
        let heads = docs.community_mut().get_heads();
        let rules = match docs.rules.take().filter(|r| r.heads == heads) {
            Some(rules) => rules,
            None => std::sync::Arc::new(Rules::read(docs.community_mut())?),
        };
        docs.rules = Some(rules.clone());
        let member = rules
            .members
            .iter()
            .find(|m| m.has_active_device(&author.device) && m.is_active())
            .cloned()
            .ok_or(CommandError::NotAMember)?;
        Ok(Self {
            member,
            categories: rules.categories.clone(),
            themes: rules.themes.clone(),
            seen: Default::default(),
        })
    }

    /// The devices of a member, as the rules know them.
    pub fn devices_of(docs: &CommunityDocs, member: &MemberId) -> Vec<crate::ids::DeviceKey> {
        docs.rules
            .as_ref()
            .and_then(|r| r.members.iter().find(|m| &m.id == member))
            .map(|m| {
                m.devices
                    .keys()
                    .map(|k| crate::ids::DeviceKey(k.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The revocation of a device by the author, keeping what this copy
    /// holds of its writing.
    pub fn revocation(
        &self,
        device: &str,
        now: crate::ids::Timestamp,
    ) -> crate::entities::Revocation {
        crate::entities::Revocation {
            at: now,
            by: self.me(),
            seen: self.seen.get(device).cloned().unwrap_or_default(),
        }
    }

    pub fn me(&self) -> MemberId {
        self.member.id.clone()
    }

    /// Whether the author may change or delete something made by `owner`.
    pub fn may_edit(&self, owner: &MemberId) -> Result<()> {
        if &self.member.id == owner || self.member.role != Role::Membre {
            Ok(())
        } else {
            Err(CommandError::NotAllowed(
                "its author, animateurs and admins",
            ))
        }
    }

    pub fn moderator(&self) -> Result<()> {
        match self.member.role {
            Role::Membre => Err(CommandError::NotAllowed("animateurs and admins")),
            _ => Ok(()),
        }
    }

    pub fn admin(&self) -> Result<()> {
        match self.member.role {
            Role::Admin => Ok(()),
            _ => Err(CommandError::NotAllowed("admins")),
        }
    }

    /// Resolves a category by id or by label, accents and case folded.
    pub fn category(&self, given: &str) -> Result<String> {
        let wanted = slug(given);
        self.categories
            .iter()
            .find(|c| c.id == given || slug(&c.label) == wanted || c.id == wanted)
            .map(|c| c.id.clone())
            .ok_or_else(|| CommandError::UnknownCategory {
                given: given.to_owned(),
                known: self
                    .categories
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    pub fn theme(&self, given: Option<&str>) -> Result<Option<String>> {
        find_theme(&self.themes, given)
    }

    /// Whether the author facilitates this workshop: its creator, or any
    /// animateur or admin.
    pub fn facilitator(&self, workshop: &crate::entities::Workshop) -> Result<()> {
        if workshop.created_by == self.member.id || self.member.role != Role::Membre {
            Ok(())
        } else {
            Err(CommandError::NotAllowed(
                "the workshop's creator, animateurs and admins",
            ))
        }
    }
}

/// Resolves a theme of a typology by id or by label, accents and case
/// folded; blank means unsorted.
pub(super) fn find_theme(themes: &[Theme], given: Option<&str>) -> Result<Option<String>> {
    let Some(given) = given.map(str::trim).filter(|g| !g.is_empty()) else {
        return Ok(None);
    };
    let wanted = slug(given);
    themes
        .iter()
        .find(|t| t.id == given || slug(&t.label) == wanted || t.id == wanted)
        .map(|t| Some(t.id.clone()))
        .ok_or_else(|| CommandError::UnknownTheme {
            given: given.to_owned(),
            known: themes
                .iter()
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}
