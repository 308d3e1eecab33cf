//! A member's devices: linking another device to an existing member (a
//! pairing ticket) and revoking one that is lost, stolen or replaced.
//!
//! Authorship, votes, RSVPs and seats are keyed by member id, so a device
//! added to a member acts as that member everywhere, and a member with two
//! devices still counts once. Each device keeps its own key and Automerge
//! actor (derived from the key): two devices never write as one.
//!
//! Who may revoke: the member themself, from a device of theirs that stays
//! active, or a moderator (animateur, admin). A member cannot revoke their
//! last active device: they would lock themselves out with nothing to link
//! a new device from. A moderator can, because that is the recovery path:
//! the member's only device is gone, and the moderator links a new one with
//! a pairing ticket for that member (before or after revoking).

use automerge::AutoCommit;
use std::collections::BTreeMap;

use super::access::{Context, existing, put};
use super::validate::limit;
use super::{CommandError, MAX_TITLE, Result};
use crate::entities::{Device, Member, Revocation};
use crate::ids::{DeviceKey, MemberId, Timestamp};
use crate::layout::DocKind;

const C: DocKind = DocKind::Community;

/// Checks who may create a pairing ticket for `member`: the member
/// themself, or a moderator re-linking a device after a loss.
pub(super) fn may_pair(doc: &AutoCommit, ctx: &Context, member: &MemberId) -> Result<()> {
    if *member != ctx.member.id {
        ctx.moderator()?;
    }
    let m: Member = existing(doc, C, "members", "member", member.as_str())?;
    if !m.is_active() {
        return Err(CommandError::NotAllowed("members still in the community"));
    }
    Ok(())
}

/// Adds `device` to `member` (the use of a pairing ticket): the member's
/// history, authorship and role stay as they are.
pub(super) fn link(
    doc: &mut AutoCommit,
    member: &MemberId,
    device: &DeviceKey,
    label: &str,
    now: Timestamp,
) -> Result<()> {
    let mut m: Member = existing(doc, C, "members", "member", member.as_str())?;
    if !m.is_active() {
        return Err(CommandError::NotAllowed("members still in the community"));
    }
    m.devices.insert(
        device.0.clone(),
        Device {
            added_at: now,
            label: limit("device name", label, MAX_TITLE)?,
            revoked: None,
        },
    );
    put(doc, C, "members", member.as_str(), &m)
}

/// Revokes `device` of `member`, recording what this device held of its
/// writing (`seen`, per document kind). Revoking a revoked device again
/// keeps the first revocation.
pub(super) fn revoke(
    doc: &mut AutoCommit,
    ctx: &Context,
    (member, device): (MemberId, DeviceKey),
    seen: BTreeMap<String, i64>,
    now: Timestamp,
) -> Result<String> {
    let mut m: Member = existing(doc, C, "members", "member", member.as_str())?;
    let Some(current) = m.devices.get(device.as_str()) else {
        return Err(CommandError::NotFound {
            kind: "device of this member",
            id: device.0,
        });
    };
    if !current.is_active() {
        return Ok(device.0);
    }
    let others = m
        .devices
        .iter()
        .filter(|(key, d)| key.as_str() != device.as_str() && d.is_active())
        .count();
    if member != ctx.member.id {
        ctx.moderator()?;
    } else if others == 0 {
        return Err(CommandError::LastDevice);
    }
    if let Some(d) = m.devices.get_mut(device.as_str()) {
        d.revoked = Some(Revocation {
            at: now,
            by: ctx.me(),
            seen,
        });
    }
    put(doc, C, "members", member.as_str(), &m)?;
    Ok(device.0)
}
