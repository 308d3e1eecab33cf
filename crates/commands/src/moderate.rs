//! `passerelle-node moderate ...`: animateurs and admins hide, delete or
//! lock items with a reason, show hidden ones again, and list what was
//! moderated; `member role` changes a member's role.
//!
//! The model checks who may do what (`ModerationCommand::Moderate`,
//! `LockThread`, `MemberCommand::SetRole`); the listing is checked here,
//! since a view is not a command.

use anyhow::{Result, bail};
use clap::Subcommand;
use passerelle_core::Handle;
use passerelle_core::model::{
    Command, CommunityView, ItemId, ItemKind, Member, MemberCommand, ModerationAction,
    ModerationCommand, Role,
};
use serde_json::json;

use crate::output::outln;

fn kind(s: &str) -> Result<ItemKind, String> {
    s.trim().parse()
}

#[derive(Subcommand, Debug)]
pub enum ModerateCmd {
    /// Hides an item from members (animateurs and admins still see it in
    /// `moderate list`); prints its id.
    Hide {
        #[arg(long)]
        community: String,
        /// exchange, event, group, idea, sheet, post or actor
        #[arg(value_parser = kind)]
        kind: ItemKind,
        /// The item's id (see the listings).
        id: String,
        /// Why, shown to animateurs and admins.
        #[arg(long)]
        reason: String,
    },
    /// Shows a hidden item again; prints its id.
    Show {
        #[arg(long)]
        community: String,
        /// exchange, event, group, idea, sheet, post or actor
        #[arg(value_parser = kind)]
        kind: ItemKind,
        /// The item's id (see the listings).
        id: String,
    },
    /// Deletes an item: its content is emptied on every device. This is
    /// final: it cannot be shown again. Asks no confirmation.
    Delete {
        #[arg(long)]
        community: String,
        /// exchange, event, group, idea, sheet, post or actor
        #[arg(value_parser = kind)]
        kind: ItemKind,
        /// The item's id (see the listings).
        id: String,
        /// Why, shown to animateurs and admins.
        #[arg(long)]
        reason: String,
    },
    /// Locks the thread of an échange, a group or a post: no more replies,
    /// messages or comments; prints its id.
    Lock {
        #[arg(long)]
        community: String,
        /// exchange, group or post
        #[arg(value_parser = kind)]
        kind: ItemKind,
        /// The item's id (see the listings).
        id: String,
        /// Why, shown with the lock.
        #[arg(long)]
        reason: String,
    },
    /// Unlocks a thread; prints its id.
    Unlock {
        #[arg(long)]
        community: String,
        /// exchange, group or post
        #[arg(value_parser = kind)]
        kind: ItemKind,
        /// The item's id (see the listings).
        id: String,
    },
    /// Lists hidden and deleted items, newest decision first, with the
    /// reason, the moderator and the date (animateurs and admins).
    List {
        #[arg(long)]
        community: String,
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `moderate` subcommand.
pub(crate) async fn run(handle: &Handle, command: ModerateCmd, out: &mut String) -> Result<()> {
    let (c, command) = match command {
        ModerateCmd::List { community, json } => {
            let c = crate::community(handle, &community).await?;
            let view = handle.view(&c).await?;
            ensure_moderator(&view, handle)?;
            list(out, &view, json);
            return Ok(());
        }
        ModerateCmd::Hide {
            community,
            kind,
            id,
            reason,
        } => (
            community,
            moderate(kind, id, Some(ModerationAction::Hide), reason),
        ),
        ModerateCmd::Delete {
            community,
            kind,
            id,
            reason,
        } => (
            community,
            moderate(kind, id, Some(ModerationAction::Delete), reason),
        ),
        ModerateCmd::Show {
            community,
            kind,
            id,
        } => (community, moderate(kind, id, None, String::new())),
        ModerateCmd::Lock {
            community,
            kind,
            id,
            reason,
        } => (community, lock(kind, id, true, reason)),
        ModerateCmd::Unlock {
            community,
            kind,
            id,
        } => (community, lock(kind, id, false, String::new())),
    };
    let c = crate::community(handle, &c).await?;
    crate::apply(out, handle, &c, command).await
}

fn moderate(
    kind: ItemKind,
    id: String,
    action: Option<ModerationAction>,
    reason: String,
) -> Command {
    Command::Moderation(ModerationCommand::Moderate {
        kind,
        id: ItemId(id.trim().to_owned()),
        action,
        reason,
    })
}

fn lock(kind: ItemKind, id: String, locked: bool, reason: String) -> Command {
    Command::Moderation(ModerationCommand::LockThread {
        kind,
        id: ItemId(id.trim().to_owned()),
        locked,
        reason,
    })
}

/// Refuses anyone but an animateur or an admin of the community.
fn ensure_moderator(view: &CommunityView, handle: &Handle) -> Result<()> {
    match view.member_for_device(handle.device_key()) {
        Some(m) if m.is_active() && matches!(m.role, Role::Animateur | Role::Admin) => Ok(()),
        Some(_) => bail!("only animateurs and admins can see moderated items"),
        None => bail!("this device is not a member of the community"),
    }
}

fn list(out: &mut String, view: &CommunityView, json: bool) {
    if json {
        let items: Vec<serde_json::Value> = view
            .moderated
            .iter()
            .map(|m| {
                crate::output::with(
                    m,
                    json!({
                        "author_name": view.member_name(&m.author),
                        "by_name": view.member_name(&m.moderation.by),
                    }),
                )
            })
            .collect();
        return crate::output::print_json(out, &items);
    }
    for m in view.moderated.iter() {
        let preview = if m.preview.is_empty() {
            "(content deleted)"
        } else {
            m.preview.as_str()
        };
        outln!(
            out,
            "{}  {:<8} {:<6} {}  by {} on {}: {}",
            m.id,
            m.kind,
            m.moderation.action,
            preview,
            view.member_name(&m.moderation.by),
            crate::output::date(m.moderation.at),
            m.moderation.reason
        );
    }
}

/// The member named by a member id or one of their device keys.
pub(crate) fn member<'a>(view: &'a CommunityView, given: &str) -> Result<&'a Member> {
    let given = given.trim();
    view.community
        .members
        .iter()
        .find(|m| m.id.0 == given || m.devices.contains_key(given))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no member with id or device key '{given}' in this community (see: passerelle-node members list)"
            )
        })
}

/// `member role`: changes a member's role (admins); prints the member id.
pub(crate) async fn set_role(
    handle: &Handle,
    community: &str,
    who: &str,
    role: Role,
    out: &mut String,
) -> Result<()> {
    let c = crate::community(handle, community).await?;
    let view = handle.view(&c).await?;
    let member = member(&view, who)?.id.clone();
    crate::apply(
        out,
        handle,
        &c,
        Command::Members(MemberCommand::SetRole { member, role }),
    )
    .await
}
