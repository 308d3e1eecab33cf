//! What the group commands write: groups, who is in them, their
//! facilitator, thread and next meeting (all in the community document).

use automerge::AutoCommit;

use super::access::{Context, ensure_new, existing, put, put_entry_once, put_field, remove};
use super::thread::add_to_thread;
use super::validate::{limit, optional, required, text_value};
use super::{MAX_TEXT, MAX_TITLE, Result};
use crate::entities::{Group, ItemKind, Meeting, Member, Message};
use crate::ids::{ItemId, MemberId, Timestamp};
use crate::layout::DocKind;

const C: DocKind = DocKind::Community;

/// A change to the groups.
#[derive(Clone, Debug)]
#[allow(missing_docs)] // Fields repeat the entity fields documented in `entities`.
pub enum GroupCommand {
    /// Creates a group; its creator joins it and facilitates it.
    AddGroup {
        id: ItemId,
        name: String,
        theme: Option<String>,
        description: String,
    },
    /// The author joins a group.
    JoinGroup { group: ItemId },
    /// The author leaves a group.
    LeaveGroup { group: ItemId },
    /// Names a group's facilitator.
    SetFacilitator {
        group: ItemId,
        member: Option<MemberId>,
    },
    /// Writes in a group's thread.
    PostInGroup {
        group: ItemId,
        id: ItemId,
        text: String,
    },
    /// Plans (or clears) the group's next meeting.
    SetNextMeeting {
        group: ItemId,
        meeting: Option<Meeting>,
    },
    /// Deletes a group.
    DeleteGroup { id: ItemId },
}

impl GroupCommand {
    /// The change message.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::AddGroup { .. } => "add group",
            Self::JoinGroup { .. } => "join group",
            Self::LeaveGroup { .. } => "leave group",
            Self::SetFacilitator { .. } => "set facilitator",
            Self::PostInGroup { .. } => "post in group",
            Self::SetNextMeeting { .. } => "set next meeting",
            Self::DeleteGroup { .. } => "delete group",
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
            Self::AddGroup {
                id,
                name,
                theme,
                description,
            } => {
                ensure_new(doc, C, "groups", id.as_str())?;
                let mut members = std::collections::BTreeMap::new();
                members.insert(ctx.member.id.0.clone(), now);
                let group = Group {
                    moderation: None,
                    locked: None,
                    id: id.clone(),
                    name: required("name", &name, MAX_TITLE)?,
                    theme: ctx.theme(theme.as_deref())?,
                    description: text_value(&limit("description", &description, MAX_TEXT)?),
                    members,
                    facilitator: Some(ctx.me()),
                    thread: Default::default(),
                    next_meeting: None,
                    created_by: ctx.me(),
                    created_at: now,
                };
                put(doc, C, "groups", id.as_str(), &group)?;
                Ok(id.0)
            }
            Self::JoinGroup { group } => {
                let item = ("groups", "group", group.as_str());
                put_entry_once(doc, C, item, "members", ctx.member.id.as_str(), &now)?;
                Ok(group.0)
            }
            Self::LeaveGroup { group } => {
                let mut g: Group = existing(doc, C, "groups", "group", group.as_str())?;
                g.members.remove(ctx.member.id.as_str());
                if g.facilitator.as_ref() == Some(&ctx.member.id) {
                    g.facilitator = None;
                }
                put(doc, C, "groups", group.as_str(), &g)?;
                Ok(group.0)
            }
            Self::SetFacilitator { group, member } => {
                let mut g: Group = existing(doc, C, "groups", "group", group.as_str())?;
                if g.facilitator.as_ref() != Some(&ctx.member.id) {
                    ctx.moderator()?;
                }
                if let Some(m) = &member {
                    existing::<Member>(doc, C, "members", "member", m.as_str())?;
                    g.members.entry(m.0.clone()).or_insert(now);
                }
                g.facilitator = member;
                put(doc, C, "groups", group.as_str(), &g)?;
                Ok(group.0)
            }
            Self::PostInGroup { group, id, text } => {
                add_to_thread(doc, (ItemKind::Group, &group), id.clone(), || {
                    Ok(Message {
                        id,
                        author: ctx.me(),
                        text: required("message", &text, MAX_TEXT)?,
                        at: now,
                    })
                })
            }
            Self::SetNextMeeting { group, meeting } => {
                let meeting = match meeting {
                    Some(m) => Some(Meeting {
                        at: m.at,
                        place: optional("place", m.place.as_deref(), MAX_TITLE)?,
                    }),
                    None => None,
                };
                let item = ("groups", "group", group.as_str());
                put_field(doc, C, item, "next_meeting", &meeting)?;
                Ok(group.0)
            }
            Self::DeleteGroup { id } => {
                let g: Group = existing(doc, C, "groups", "group", id.as_str())?;
                ctx.may_edit(&g.created_by)?;
                remove(doc, C, "groups", "group", id.as_str())?;
                Ok(id.0)
            }
        }
    }
}
