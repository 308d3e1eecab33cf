//! The signed epoch: how a community created before signed changes starts
//! requiring them.
//!
//! A community whose genesis does not say `signed` (made by an earlier
//! version) holds unsigned history that no device can sign any more. An
//! admin's device writes, once, the *epoch*: the root field
//! [`FIELD`] of the community document, a map from each document's kind
//! name (`"community"`, `"exchanges"`...) to the list of that document's
//! heads (hex) when the epoch was written. A device that holds every head an
//! epoch lists for a document holds all the unsigned history before it:
//! from then on that document requires signatures exactly like a signed
//! community's ([`crate::gate`]). While the heads are not all held, unsigned
//! changes still pass (they may be what leads to them).
//!
//! Every epoch the community document holds or held counts, whoever wrote
//! it and whatever later changes did to the field (found in the history by
//! its change's [`MESSAGE`]); among several, any one held counts. An epoch
//! can only make the rules stricter, and one naming heads that do not
//! exist requires nothing: a member can neither void nor suppress the
//! admin's. Admins' devices write it ([`may_write`]).

use std::collections::HashSet;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, Value};

use crate::ids::{DeviceKey, Timestamp};
use crate::layout::{CommunityDocs, DocKind, LayoutError};

/// The community document's root field holding the epoch.
pub const FIELD: &str = "signed_since";

/// The message of the change that writes an epoch: how a device finds
/// epochs in the document's history (a later change deleting or
/// overwriting the field does not undo one).
pub const MESSAGE: &str = "signed epoch";

/// Most heads a list of the epoch may name: a document's heads are as
/// many as its concurrent branches, a handful. A longer list counts for
/// nothing (it is read at every received message: a list of 150,000
/// would cost every device about a second each time).
pub const MAX_HEADS_PER_LIST: usize = 256;

/// Most listed heads [`read`] looks at in all, over every value and list.
pub const MAX_HEADS: usize = 4_096;

/// The actors of every device listed under a member whose role is
/// `admin`, in the community document as it stands.
fn admin_actors(community: &AutoCommit) -> HashSet<ActorId> {
    let map = |obj: &ObjId, key: &str| match community.get(obj, key) {
        Ok(Some((Value::Object(ObjType::Map), id))) => Some(id),
        _ => None,
    };
    let mut out = HashSet::new();
    let Some(members) = map(&ROOT, "members") else {
        return out;
    };
    for member in community.keys(&members) {
        let Some(entry) = map(&members, &member) else {
            continue;
        };
        let admin = matches!(
            community.get(&entry, "role"),
            Ok(Some((value, _))) if value.as_str() == Some("admin")
        );
        if let (true, Some(devices)) = (admin, map(&entry, "devices")) {
            out.extend(community.keys(&devices).map(|k| DeviceKey(k).actor()));
        }
    }
    out
}

/// Every epoch value of the community document: those it holds now and
/// those the changes `past` wrote (the changes whose message is
/// [`MESSAGE`], which the ledger finds in the history), for each a
/// document kind and the heads it lists for that document. Unreadable
/// heads, empty lists and lists longer than [`MAX_HEADS_PER_LIST`] are left
/// out; past [`MAX_HEADS`] listed heads in all, the rest is not read.
///
/// Any value counts, whoever wrote it (the gate only lets listed devices
/// write the community document): an epoch can only make the rules
/// stricter, and one naming heads no device holds requires nothing. Reading
/// roles or the value as it stands now would let a member void the epoch
/// by forging the admin's demotion or deleting the field.
pub fn read(community: &AutoCommit, past: &[ChangeHash]) -> Vec<(DocKind, Vec<ChangeHash>)> {
    let mut values = community.get_all(ROOT, FIELD).unwrap_or_default();
    for change in past.iter().take(MAX_HEADS_PER_LIST) {
        values.extend(
            community
                .get_all_at(ROOT, FIELD, std::slice::from_ref(change))
                .unwrap_or_default(),
        );
    }
    let mut seen = HashSet::new();
    values.retain(|(_, id)| seen.insert(id.clone()));
    let mut out = Vec::new();
    let mut budget = MAX_HEADS;
    for (value, map) in values {
        if !matches!(value, Value::Object(ObjType::Map)) {
            continue;
        }
        for kind in DocKind::ALL {
            // Read at the epoch's own change when it is no longer current.
            let lists = match community.get_all(&map, kind.as_str()) {
                Ok(lists) if !lists.is_empty() => lists,
                _ => past
                    .iter()
                    .take(MAX_HEADS_PER_LIST)
                    .flat_map(|c| {
                        community
                            .get_all_at(&map, kind.as_str(), std::slice::from_ref(c))
                            .unwrap_or_default()
                    })
                    .collect(),
            };
            for (value, list) in lists {
                if !matches!(value, Value::Object(ObjType::List)) {
                    continue;
                }
                let len = community.length(&list);
                if len > MAX_HEADS_PER_LIST || len > budget {
                    continue;
                }
                budget -= len;
                let heads: Vec<ChangeHash> = (0..len)
                    .filter_map(|i| {
                        community
                            .get_all(&list, i)
                            .unwrap_or_default()
                            .into_iter()
                            .find_map(|(v, _)| v.as_str()?.parse().ok())
                    })
                    .collect();
                if !heads.is_empty() {
                    out.push((kind, heads));
                }
            }
        }
    }
    out
}

/// The lists of heads the community document's epoch values give for
/// documents of `kind` (see [`read`]).
pub fn heads(community: &AutoCommit, past: &[ChangeHash], kind: DocKind) -> Vec<Vec<ChangeHash>> {
    read(community, past)
        .into_iter()
        .filter(|(k, _)| *k == kind)
        .map(|(_, heads)| heads)
        .collect()
}

/// Whether `doc` holds every head of one of `lists` (some epoch for it has
/// been reached: its changes now require signatures). A collection never
/// holds another document's heads, so the lists of every kind can be
/// passed.
pub fn holds(doc: &mut AutoCommit, lists: &[Vec<ChangeHash>]) -> bool {
    lists.iter().any(|heads| {
        heads
            .iter()
            .all(|h| doc.get_change_meta_by_hash(h).is_some())
    })
}

/// Whether the community document requires signed changes since its
/// epoch: an epoch value lists heads of it that it holds.
pub fn community_holds(community: &mut AutoCommit, past: &[ChangeHash]) -> bool {
    let lists = heads(community, past, DocKind::Community);
    holds(community, &lists)
}

/// Whether `device` may write the epoch: it is listed under a member whose
/// role is `admin` in the community document.
pub fn may_write(community: &AutoCommit, device: &DeviceKey) -> bool {
    admin_actors(community).contains(&device.actor())
}

/// Writes the epoch into the community document, listing the heads of
/// every document held (the community document's as they were before this
/// change), as one change at `now`; the caller signs it as its own.
pub fn write(docs: &mut CommunityDocs, now: Timestamp) -> Result<(), LayoutError> {
    let heads: Vec<(DocKind, Vec<ChangeHash>)> = docs
        .docs_mut()
        .map(|(kind, doc)| (kind, doc.get_heads()))
        .collect();
    let community = docs.community_mut();
    let map = community.put_object(ROOT, FIELD, ObjType::Map)?;
    for (kind, heads) in heads {
        let list = community.put_object(&map, kind.as_str(), ObjType::List)?;
        for (i, head) in heads.iter().enumerate() {
            community.insert(&list, i, head.to_string())?;
        }
    }
    crate::layout::commit(community, MESSAGE, now);
    Ok(())
}
