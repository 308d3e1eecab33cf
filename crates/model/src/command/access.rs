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
}

impl Context {
    pub fn read(docs: &CommunityDocs, author: &Author) -> Result<Self> {
        let doc = docs.community();
        let members: std::collections::BTreeMap<String, Member> =
            hydrate_prop(doc, automerge::ROOT, "members")?;
        let member = members
            .into_values()
            .find(|m| m.has_device(&author.device) && m.is_active())
            .ok_or(CommandError::NotAMember)?;
        Ok(Self {
            member,
            categories: hydrate_prop(doc, automerge::ROOT, "categories")?,
            themes: hydrate_prop(doc, automerge::ROOT, "themes")?,
        })
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
        let Some(given) = given.map(str::trim).filter(|g| !g.is_empty()) else {
            return Ok(None);
        };
        let wanted = slug(given);
        self.themes
            .iter()
            .find(|t| t.id == given || slug(&t.label) == wanted || t.id == wanted)
            .map(|t| Some(t.id.clone()))
            .ok_or_else(|| CommandError::UnknownTheme {
                given: given.to_owned(),
                known: self
                    .themes
                    .iter()
                    .map(|t| t.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}
