//! What the fil commands write: announcements, their comments (entries of
//! the post's thread) and deletion.

use automerge::AutoCommit;

use super::access::{Context, ensure_new, existing, put, remove};
use super::thread::add_to_thread;
use super::validate::{required, text_value};
use super::{MAX_TEXT, Result};
use crate::entities::{Comment, ItemKind, Post};
use crate::ids::{ItemId, Timestamp};
use crate::layout::DocKind;

const F: DocKind = DocKind::Fil;

/// A change to the fil.
#[derive(Clone, Debug)]
#[allow(missing_docs)] // Fields repeat the entity fields documented in `entities`.
pub enum FilCommand {
    /// Posts an announcement.
    AddPost { id: ItemId, text: String },
    /// Comments a post.
    AddComment {
        post: ItemId,
        id: ItemId,
        text: String,
    },
    /// Deletes a post.
    DeletePost { id: ItemId },
}

impl FilCommand {
    /// The change message.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::AddPost { .. } => "add post",
            Self::AddComment { .. } => "add comment",
            Self::DeletePost { .. } => "delete post",
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
            Self::AddPost { id, text } => {
                ensure_new(doc, F, "posts", id.as_str())?;
                let post = Post {
                    attachments: Default::default(),
                    moderation: None,
                    locked: None,
                    id: id.clone(),
                    text: text_value(&required("post", &text, MAX_TEXT)?),
                    author: ctx.me(),
                    created_at: now,
                    comments: Default::default(),
                };
                put(doc, F, "posts", id.as_str(), &post)?;
                Ok(id.0)
            }
            Self::AddComment { post, id, text } => {
                add_to_thread(doc, (ItemKind::Post, &post), id.clone(), || {
                    Ok(Comment {
                        id,
                        author: ctx.me(),
                        text: required("comment", &text, MAX_TEXT)?,
                        at: now,
                    })
                })
            }
            Self::DeletePost { id } => {
                let p: Post = existing(doc, F, "posts", "post", id.as_str())?;
                ctx.may_edit(&p.author)?;
                remove(doc, F, "posts", "post", id.as_str())?;
                Ok(id.0)
            }
        }
    }
}
