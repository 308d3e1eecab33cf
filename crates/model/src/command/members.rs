//! What the member commands write: members added, admitted with an invite,
//! their profiles, roles and removal, invites, and devices revoked (the
//! device rules themselves are in `devices.rs`).

use std::collections::BTreeMap;

use automerge::AutoCommit;
use autosurgeon::hydrate_prop;

use super::access::{Context, ensure_new, existing, get, put, put_field};
use super::validate::{limit, required, tags};
use super::{CommandError, MAX_TITLE, Result};
use crate::entities::{Device, Invite, InviteRefusal, Member, Role};
use crate::ids::{DeviceKey, ItemId, MemberId, Timestamp};
use crate::layout::DocKind;

const C: DocKind = DocKind::Community;

/// A change to the community's members, their devices or its invites.
#[derive(Clone, Debug)]
#[allow(missing_docs)] // Fields repeat the entity fields documented in `entities`.
pub enum MemberCommand {
    /// Adds a member (a newly admitted device's owner).
    AddMember {
        id: MemberId,
        display_name: String,
        role: Role,
        device: DeviceKey,
        device_label: String,
    },
    /// Changes the author's own profile.
    UpdateProfile {
        display_name: Option<String>,
        skills: Option<Vec<String>>,
        languages: Option<Vec<String>>,
    },
    /// Changes a member's role (admins only).
    SetRole { member: MemberId, role: Role },
    /// Removes a member: their devices are no longer served nor allowed to
    /// act (animateurs and admins; anyone may remove themselves).
    RemoveMember { member: MemberId },
    /// Records an invite: the hash of the ticket's one-time secret and its expiry.
    CreateInvite {
        id: ItemId,
        secret_hash: String,
        expires_at: Timestamp,
        /// A pairing ticket: the device it admits is added to this member
        /// (the member themself, or a moderator for recovery).
        member: Option<MemberId>,
    },
    /// Withdraws an invite (its creator, animateurs and admins).
    RevokeInvite { id: ItemId },
    /// Admits the holder of an invite's secret as a new member (or, for a
    /// pairing ticket, adds the device to the invite's member, with
    /// `display_name` as its label), and marks the invite used. Any member
    /// device can do it.
    AdmitMember {
        invite: ItemId,
        secret_hash: String,
        member: MemberId,
        display_name: String,
        device: DeviceKey,
    },
    /// Revokes one of a member's devices (lost, stolen, replaced): the
    /// member from another active device, or a moderator. What the revoking
    /// device held of the revoked one's writing is recorded (`seen`).
    RevokeDevice { member: MemberId, device: DeviceKey },
}

impl MemberCommand {
    /// The change message.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::AddMember { .. } => "add member",
            Self::UpdateProfile { .. } => "update profile",
            Self::SetRole { .. } => "set role",
            Self::RemoveMember { .. } => "remove member",
            Self::CreateInvite { .. } => "create invite",
            Self::RevokeInvite { .. } => "revoke invite",
            Self::AdmitMember { .. } => "admit member",
            Self::RevokeDevice { .. } => "revoke device",
        }
    }

    /// Whether the command changes the members, roles or devices commands
    /// are checked against (invites do not).
    pub(super) fn changes_rules(&self) -> bool {
        !matches!(self, Self::CreateInvite { .. } | Self::RevokeInvite { .. })
    }

    /// Validates and writes the command (uncommitted). Returns the item id.
    pub(super) fn apply(
        self,
        doc: &mut AutoCommit,
        ctx: &Context,
        now: Timestamp,
    ) -> Result<String> {
        match self {
            Self::AddMember {
                id,
                display_name,
                role,
                device,
                device_label,
            } => {
                ctx.moderator()?;
                ensure_new(doc, C, "members", id.as_str())?;
                let mut devices = BTreeMap::new();
                devices.insert(
                    device.0.clone(),
                    Device {
                        revoked: None,
                        added_at: now,
                        label: limit("device name", &device_label, MAX_TITLE)?,
                    },
                );
                let member = Member {
                    id: id.clone(),
                    display_name: required("display name", &display_name, MAX_TITLE)?,
                    role,
                    devices,
                    skills: Vec::new(),
                    languages: Vec::new(),
                    joined_at: now,
                    removed_at: None,
                };
                put(doc, C, "members", id.as_str(), &member)?;
                Ok(id.0)
            }
            Self::UpdateProfile {
                display_name,
                skills,
                languages,
            } => {
                // Only the fields the member changes are written: her
                // entry as stored may list devices the rules do not admit
                // (a key another member put there), and a device entry is
                // never deleted (the gate refuses it, `gate::UNLISTS`).
                let id = ctx.member.id.clone();
                let item = ("members", "member", id.as_str());
                if let Some(name) = display_name {
                    let name = required("display name", &name, MAX_TITLE)?;
                    put_field(doc, C, item, "display_name", &name)?;
                }
                if let Some(skills) = skills {
                    put_field(doc, C, item, "skills", &tags(&skills)?)?;
                }
                if let Some(languages) = languages {
                    put_field(doc, C, item, "languages", &tags(&languages)?)?;
                }
                Ok(id.0)
            }
            Self::RemoveMember { member } => {
                if member != ctx.member.id {
                    ctx.moderator()?;
                }
                let mut m: Member = existing(doc, C, "members", "member", member.as_str())?;
                if m.removed_at.is_none() {
                    m.removed_at = Some(now);
                    for (key, device) in m.devices.iter_mut() {
                        if device.revoked.is_none() {
                            device.revoked = Some(ctx.revocation(key, now));
                        }
                    }
                    put(doc, C, "members", member.as_str(), &m)?;
                }
                Ok(member.0)
            }
            Self::CreateInvite {
                id,
                secret_hash,
                expires_at,
                member,
            } => {
                ensure_new(doc, C, "invites", id.as_str())?;
                if expires_at <= now {
                    return Err(CommandError::Invite(InviteRefusal::Expired));
                }
                if let Some(member) = &member {
                    super::devices::may_pair(doc, ctx, member)?;
                }
                let invite = Invite {
                    id: id.clone(),
                    secret_hash: limit("secret hash", &secret_hash, 64)?,
                    created_by: ctx.me(),
                    created_at: now,
                    expires_at,
                    revoked: false,
                    used_by: None,
                    used_at: None,
                    member,
                    use_proof: None,
                };
                put(doc, C, "invites", id.as_str(), &invite)?;
                Ok(id.0)
            }
            Self::RevokeInvite { id } => {
                let mut invite: Invite = existing(doc, C, "invites", "invite", id.as_str())?;
                ctx.may_edit(&invite.created_by)?;
                invite.revoked = true;
                put(doc, C, "invites", id.as_str(), &invite)?;
                Ok(id.0)
            }
            Self::AdmitMember {
                invite,
                secret_hash,
                member,
                display_name,
                device,
            } => admit(
                doc,
                (invite, &secret_hash),
                member,
                &display_name,
                device,
                now,
            ),
            Self::SetRole { member, role } => {
                ctx.admin()?;
                let mut m: Member = existing(doc, C, "members", "member", member.as_str())?;
                m.role = role;
                put(doc, C, "members", member.as_str(), &m)?;
                Ok(member.0)
            }
            Self::RevokeDevice { member, device } => {
                // What this copy held of the device's writing, read by
                // `CommunityDocs::apply` before the change.
                let seen = ctx.seen.get(device.as_str()).cloned().unwrap_or_default();
                super::devices::revoke(doc, ctx, (member, device), seen, now)
            }
        }
    }
}

/// Admits the holder of an invite's secret: a new member, or for a pairing
/// ticket a new device of the invite's member; the invite is marked used.
fn admit(
    doc: &mut AutoCommit,
    (invite, secret_hash): (ItemId, &str),
    member: MemberId,
    display_name: &str,
    device: DeviceKey,
    now: Timestamp,
) -> Result<String> {
    let Some(mut found) = get::<Invite>(doc, C, "invites", invite.as_str())? else {
        return Err(CommandError::Invite(InviteRefusal::Unknown));
    };
    // Every device holds the invite: for a pairing ticket, what it stores
    // proves nothing, and the use must carry a proof made with the secret
    // for this device. For an invite, both sides are hashes of 16 random
    // bytes: comparing them leaks nothing about the secret.
    let proven = match &found.member {
        Some(_) => {
            crate::pairing::verify_use(&found.secret_hash, invite.as_str(), &device.0, secret_hash)
        }
        None => found.secret_hash == secret_hash,
    };
    if !proven {
        return Err(CommandError::Invite(InviteRefusal::Unknown));
    }
    if found.revoked {
        return Err(CommandError::Invite(InviteRefusal::Revoked));
    }
    if found.used_by.is_some() {
        return Err(CommandError::Invite(InviteRefusal::Used));
    }
    if found.expires_at <= now {
        return Err(CommandError::Invite(InviteRefusal::Expired));
    }
    let members: BTreeMap<String, Member> = hydrate_prop(doc, automerge::ROOT, "members")?;
    if members.values().any(|m| m.has_device(&device)) {
        return Err(CommandError::Duplicate(device.0));
    }
    if let Some(existing) = found.member.clone() {
        // A pairing ticket: the name sent is the new device's label.
        super::devices::link(doc, &existing, &device, display_name, now)?;
        found.used_by = Some(device.0);
        found.used_at = Some(now);
        found.use_proof = Some(secret_hash.to_owned());
        put(doc, C, "invites", invite.as_str(), &found)?;
        return Ok(existing.0);
    }
    ensure_new(doc, C, "members", member.as_str())?;
    let new = Member {
        id: member.clone(),
        display_name: required("display name", display_name, MAX_TITLE)?,
        role: Role::Membre,
        devices: [(
            device.0.clone(),
            Device {
                revoked: None,
                added_at: now,
                label: String::new(),
            },
        )]
        .into(),
        skills: Vec::new(),
        languages: Vec::new(),
        joined_at: now,
        removed_at: None,
    };
    put(doc, C, "members", member.as_str(), &new)?;
    found.used_by = Some(device.0);
    found.used_at = Some(now);
    put(doc, C, "invites", invite.as_str(), &found)?;
    Ok(member.0)
}
