//! What the annuaire commands write: entries (people, associations,
//! places), their edits and deletion, and the links between them (all in
//! the community document). Places made bookable are `booking.rs`'s.

use std::collections::BTreeMap;

use automerge::AutoCommit;
use autosurgeon::hydrate_prop;

use super::access::{Context, ensure_new, existing, put, remove};
use super::validate::{clean_contact, limit, optional, required, tags, text_value};
use super::{MAX_TEXT, MAX_TITLE, Result};
use crate::entities::{Actor, ActorKind, Contact, Link};
use crate::ids::{ItemId, Timestamp};
use crate::layout::DocKind;

const C: DocKind = DocKind::Community;

/// A change to the annuaire.
#[derive(Clone, Debug)]
#[allow(missing_docs)] // Fields repeat the entity fields documented in `entities`.
pub enum AnnuaireCommand {
    /// Adds an annuaire entry.
    AddActor {
        id: ItemId,
        kind: ActorKind,
        name: String,
        description: String,
        contact: Contact,
        address: Option<String>,
        tags: Vec<String>,
    },
    /// Edits an annuaire entry.
    UpdateActor {
        id: ItemId,
        name: Option<String>,
        description: Option<String>,
        contact: Option<Contact>,
        address: Option<Option<String>>,
        tags: Option<Vec<String>>,
    },
    /// Deletes an annuaire entry and its links.
    DeleteActor { id: ItemId },
    /// Links two annuaire entries.
    LinkActors {
        id: ItemId,
        from: ItemId,
        to: ItemId,
        label: String,
    },
    /// Removes a link.
    Unlink { id: ItemId },
}

impl AnnuaireCommand {
    /// The change message.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::AddActor { .. } => "add actor",
            Self::UpdateActor { .. } => "update actor",
            Self::DeleteActor { .. } => "delete actor",
            Self::LinkActors { .. } => "link actors",
            Self::Unlink { .. } => "unlink",
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
            Self::AddActor {
                id,
                kind,
                name,
                description,
                contact,
                address,
                tags: given_tags,
            } => {
                ensure_new(doc, C, "actors", id.as_str())?;
                let actor = Actor {
                    attachments: Default::default(),
                    booking: None,
                    moderation: None,
                    id: id.clone(),
                    kind,
                    name: required("name", &name, MAX_TITLE)?,
                    description: text_value(&limit("description", &description, MAX_TEXT)?),
                    contact: clean_contact(contact)?,
                    address: optional("address", address.as_deref(), MAX_TITLE)?,
                    tags: tags(&given_tags)?,
                    created_by: ctx.me(),
                    created_at: now,
                };
                put(doc, C, "actors", id.as_str(), &actor)?;
                Ok(id.0)
            }
            Self::UpdateActor {
                id,
                name,
                description,
                contact,
                address,
                tags: given_tags,
            } => {
                let mut a: Actor = existing(doc, C, "actors", "annuaire entry", id.as_str())?;
                if let Some(name) = name {
                    a.name = required("name", &name, MAX_TITLE)?;
                }
                if let Some(description) = description {
                    a.description
                        .update(limit("description", &description, MAX_TEXT)?);
                }
                if let Some(contact) = contact {
                    a.contact = clean_contact(contact)?;
                }
                if let Some(address) = address {
                    a.address = optional("address", address.as_deref(), MAX_TITLE)?;
                }
                if let Some(given) = given_tags {
                    a.tags = tags(&given)?;
                }
                put(doc, C, "actors", id.as_str(), &a)?;
                Ok(id.0)
            }
            Self::DeleteActor { id } => {
                let a: Actor = existing(doc, C, "actors", "annuaire entry", id.as_str())?;
                ctx.may_edit(&a.created_by)?;
                let links: BTreeMap<String, Link> = hydrate_prop(doc, automerge::ROOT, "links")?;
                for link in links.values().filter(|l| l.from == id || l.to == id) {
                    remove(doc, C, "links", "link", link.id.as_str())?;
                }
                remove(doc, C, "actors", "annuaire entry", id.as_str())?;
                Ok(id.0)
            }
            Self::LinkActors {
                id,
                from,
                to,
                label,
            } => {
                ensure_new(doc, C, "links", id.as_str())?;
                existing::<Actor>(doc, C, "actors", "annuaire entry", from.as_str())?;
                existing::<Actor>(doc, C, "actors", "annuaire entry", to.as_str())?;
                let link = Link {
                    id: id.clone(),
                    from,
                    to,
                    label: required("link label", &label, MAX_TITLE)?,
                };
                put(doc, C, "links", id.as_str(), &link)?;
                Ok(id.0)
            }
            Self::Unlink { id } => {
                remove(doc, C, "links", "link", id.as_str())?;
                Ok(id.0)
            }
        }
    }
}
