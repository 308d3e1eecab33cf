//! What the échange commands write: offers and needs, their edits and
//! status, replies (entries of the échange's thread) and deletion.

use std::collections::BTreeMap;

use automerge::AutoCommit;

use super::access::{Context, ensure_new, existing, get_field, put, put_field, remove};
use super::thread::add_to_thread;
use super::validate::{limit, optional, required, text_value};
use super::{MAX_TEXT, MAX_TITLE, Result};
use crate::entities::{
    Exchange, ExchangeKind, ExchangeMode, ExchangeStatus, ItemKind, Reply, ReplyKind,
};
use crate::ids::{ItemId, Timestamp};
use crate::layout::DocKind;

const X: DocKind = DocKind::Exchanges;

/// A change to the échanges.
#[derive(Clone, Debug)]
#[allow(missing_docs)] // Fields repeat the entity fields documented in `entities`.
pub enum ExchangeCommand {
    /// Posts an offer or a need.
    AddExchange {
        id: ItemId,
        kind: ExchangeKind,
        title: String,
        description: String,
        category: String,
        mode: ExchangeMode,
        place: Option<String>,
    },
    /// Edits an échange.
    UpdateExchange {
        id: ItemId,
        title: Option<String>,
        description: Option<String>,
        category: Option<String>,
        mode: Option<ExchangeMode>,
        place: Option<Option<String>>,
    },
    /// Moves an échange to open, in progress or done.
    SetExchangeStatus { id: ItemId, status: ExchangeStatus },
    /// Replies to an échange ("je peux aider", "ça m'intéresse").
    ReplyToExchange {
        exchange: ItemId,
        id: ItemId,
        kind: ReplyKind,
        text: String,
    },
    /// Deletes an échange (its author, or an animateur/admin).
    DeleteExchange { id: ItemId },
}

impl ExchangeCommand {
    /// The change message.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::AddExchange { .. } => "add exchange",
            Self::UpdateExchange { .. } => "update exchange",
            Self::SetExchangeStatus { .. } => "set exchange status",
            Self::ReplyToExchange { .. } => "reply to exchange",
            Self::DeleteExchange { .. } => "delete exchange",
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
            Self::AddExchange {
                id,
                kind,
                title,
                description,
                category,
                mode,
                place,
            } => {
                ensure_new(doc, X, "exchanges", id.as_str())?;
                let exchange = Exchange {
                    attachments: Default::default(),
                    moderation: None,
                    locked: None,
                    id: id.clone(),
                    kind,
                    title: required("title", &title, MAX_TITLE)?,
                    description: text_value(&limit("description", &description, MAX_TEXT)?),
                    category: ctx.category(&category)?,
                    mode,
                    place: optional("place", place.as_deref(), MAX_TITLE)?,
                    status: ExchangeStatus::Open,
                    author: ctx.me(),
                    created_at: now,
                    updated_at: now,
                    replies: Default::default(),
                };
                put(doc, X, "exchanges", id.as_str(), &exchange)?;
                Ok(id.0)
            }
            Self::UpdateExchange {
                id,
                title,
                description,
                category,
                mode,
                place,
            } => {
                let mut e: Exchange = existing(doc, X, "exchanges", "échange", id.as_str())?;
                ctx.may_edit(&e.author)?;
                if let Some(title) = title {
                    e.title = required("title", &title, MAX_TITLE)?;
                }
                if let Some(description) = description {
                    e.description
                        .update(limit("description", &description, MAX_TEXT)?);
                }
                if let Some(category) = category {
                    e.category = ctx.category(&category)?;
                }
                if let Some(mode) = mode {
                    e.mode = mode;
                }
                if let Some(place) = place {
                    e.place = optional("place", place.as_deref(), MAX_TITLE)?;
                }
                e.updated_at = now;
                put(doc, X, "exchanges", id.as_str(), &e)?;
                Ok(id.0)
            }
            Self::SetExchangeStatus { id, status } => {
                let item = ("exchanges", "échange", id.as_str());
                // Whoever replied may also mark it in progress or done: the
                // exchange is theirs too.
                let replies: BTreeMap<String, Reply> = get_field(doc, X, item, "replies")?;
                if !replies.values().any(|r| r.author == ctx.member.id) {
                    ctx.may_edit(&get_field(doc, X, item, "author")?)?;
                }
                put_field(doc, X, item, "status", &status)?;
                put_field(doc, X, item, "updated_at", &now)?;
                Ok(id.0)
            }
            Self::ReplyToExchange {
                exchange,
                id,
                kind,
                text,
            } => add_to_thread(doc, (ItemKind::Exchange, &exchange), id.clone(), || {
                Ok(Reply {
                    id,
                    author: ctx.me(),
                    kind,
                    text: limit("reply", &text, MAX_TEXT)?,
                    at: now,
                })
            }),
            Self::DeleteExchange { id } => {
                let e: Exchange = existing(doc, X, "exchanges", "échange", id.as_str())?;
                ctx.may_edit(&e.author)?;
                remove(doc, X, "exchanges", "échange", id.as_str())?;
                Ok(id.0)
            }
        }
    }
}
