//! What the idea commands write: ideas of the community's typology, their
//! theme, votes (one entry per member) and deletion. Workshop ideas are
//! items of the same map, written by `workshop.rs`.

use automerge::AutoCommit;

use super::access::{Context, ensure_new, existing, put, put_entry_once, remove, remove_entry};
use super::validate::{positive, required, text_value};
use super::{MAX_TEXT, Result};
use crate::entities::Idea;
use crate::ids::{ItemId, Timestamp};
use crate::layout::DocKind;

const I: DocKind = DocKind::Ideas;

/// A change to the ideas.
#[derive(Clone, Debug)]
#[allow(missing_docs)] // Fields repeat the entity fields documented in `entities`.
pub enum IdeaCommand {
    /// Adds a workshop idea.
    AddIdea {
        id: ItemId,
        text: String,
        theme: Option<String>,
        table: Option<i64>,
    },
    /// Moves an idea to another theme.
    SetIdeaTheme { idea: ItemId, theme: Option<String> },
    /// The author's member votes for an idea (once).
    Vote { idea: ItemId },
    /// Takes the vote back.
    Unvote { idea: ItemId },
    /// Deletes an idea.
    DeleteIdea { id: ItemId },
}

impl IdeaCommand {
    /// The change message.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::AddIdea { .. } => "add idea",
            Self::SetIdeaTheme { .. } => "set idea theme",
            Self::Vote { .. } => "vote",
            Self::Unvote { .. } => "unvote",
            Self::DeleteIdea { .. } => "delete idea",
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
            Self::AddIdea {
                id,
                text,
                theme,
                table,
            } => {
                ensure_new(doc, I, "ideas", id.as_str())?;
                let idea = Idea {
                    attachments: Default::default(),
                    moderation: None,
                    id: id.clone(),
                    text: text_value(&required("idea", &text, MAX_TEXT)?),
                    theme: ctx.theme(theme.as_deref())?,
                    table: positive("table number", table)?,
                    votes: Default::default(),
                    author: ctx.me(),
                    created_at: now,
                    workshop: None,
                    merged_into: None,
                };
                put(doc, I, "ideas", id.as_str(), &idea)?;
                Ok(id.0)
            }
            Self::SetIdeaTheme { idea, theme } => {
                let mut i: Idea = existing(doc, I, "ideas", "idea", idea.as_str())?;
                i.theme = ctx.theme(theme.as_deref())?;
                put(doc, I, "ideas", idea.as_str(), &i)?;
                Ok(idea.0)
            }
            Self::Vote { idea } => {
                let item = ("ideas", "idea", idea.as_str());
                put_entry_once(doc, I, item, "votes", ctx.member.id.as_str(), &now)?;
                Ok(idea.0)
            }
            Self::Unvote { idea } => {
                let item = ("ideas", "idea", idea.as_str());
                remove_entry(doc, I, item, "votes", ctx.member.id.as_str())?;
                Ok(idea.0)
            }
            Self::DeleteIdea { id } => {
                let i: Idea = existing(doc, I, "ideas", "idea", id.as_str())?;
                ctx.may_edit(&i.author)?;
                remove(doc, I, "ideas", "idea", id.as_str())?;
                Ok(id.0)
            }
        }
    }
}
