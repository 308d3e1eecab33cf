//! How much one peer's member may grow the documents in one session.
//!
//! A member's device may write anything its member may, but one meeting
//! should not let it make every other device merge, store and serve an
//! unbounded amount of new writing (a modified app writing millions of
//! operations). Each session gives the peer an allowance of operations
//! ([`MAX_GROWTH_OPS`]) for the changes *its member wrote*, counted as they
//! come (before the gate; changes already held count nothing): by its own
//! device, by any other device of its member, or by a device the
//! community's rules list under no member yet (so a device the member lists
//! for herself in the same meeting counts too). What the devices of other
//! members wrote is not counted: a member relaying the community's history,
//! or others' changes to a device that was away, keeps working. Past the
//! allowance, further counted changes are refused for this meeting (kept
//! aside with the code `growth_limit`, never merged), the batch is answered
//! and the session is closed politely with `ENOUGH`: the peer sends them
//! again at the next meeting, from a fresh allowance. Documents arriving
//! for the first time (a community being joined, a collection not held
//! yet) are not limited: the device takes the peer's copy whole, whoever
//! wrote it, so a newcomer joining through a long-time member gets
//! everything in one meeting.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use automerge::sync::ChunkList;
use automerge::{ActorId, AutoCommit, Change, ChangeHash};
use passerelle_model::CommunityId;
use passerelle_model::bounds::{MAX_INFLATED, check_chunks};
use passerelle_sync::SessionId;

use super::DocRef;
use crate::refused;

/// Operations the peer's member may add to the documents in one
/// session: as many as the largest single change the bounds allow
/// (`bounds.rs`, 200,000), so any one legitimate change fits; about
/// 100 pages of typed text, where a busy member writes a few thousand
/// operations in a week. A backlog past it arrives over several meetings.
pub const MAX_GROWTH_OPS: u64 = 200_000;

/// [`MAX_GROWTH_OPS`], or `PASSERELLE_MAX_GROWTH_OPS` (for tests).
pub fn max_growth_ops() -> u64 {
    std::env::var("PASSERELLE_MAX_GROWTH_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(MAX_GROWTH_OPS)
}

/// One session's allowance for the peer's member, shared by the
/// documents merged at once (each on its own thread).
pub(crate) struct Allowance {
    left: AtomicU64,
    spent: AtomicBool,
}

impl Default for Allowance {
    fn default() -> Self {
        Allowance {
            left: AtomicU64::new(max_growth_ops()),
            spent: AtomicBool::new(false),
        }
    }
}

/// The allowance as it applies to one community's documents: with the
/// writers whose changes the peer only relays there (the devices of other
/// members).
pub(crate) struct Limit {
    pub allowance: Arc<Allowance>,
    pub relayed: HashSet<ActorId>,
}

impl Limit {
    /// See [`Allowance::take`].
    pub fn take(&self, doc: &mut AutoCommit, chunks: ChunkList) -> (ChunkList, Vec<ChangeHash>) {
        self.allowance.take(doc, chunks, &self.relayed)
    }
}

impl Allowance {
    /// Whether the device brought as much as the session allows.
    pub fn spent(&self) -> bool {
        self.spent.load(Ordering::Relaxed)
    }

    /// Splits a message's changes into those kept for the gate and the
    /// member's new changes past the allowance (refused for this meeting,
    /// with their hashes); changes by `relayed` writers are not counted.
    /// Once past, every further counted change in this session is refused
    /// (later ones build on it anyway).
    pub fn take(
        &self,
        doc: &mut AutoCommit,
        chunks: ChunkList,
        relayed: &HashSet<ActorId>,
    ) -> (ChunkList, Vec<ChangeHash>) {
        let mut over = Vec::new();
        let mut refused = Vec::new();
        let mut seen = HashSet::new();
        for (i, bytes) in chunks.iter().enumerate() {
            let Some(change) = counted_change(bytes, relayed) else {
                continue;
            };
            let hash = change.hash();
            // A change held or sent twice is not growth (and a lookup in
            // the change graph, not a rebuild of the change).
            if !seen.insert(hash) || passerelle_model::gate::holds(doc, &[hash]) {
                continue;
            }
            let ops = change.len() as u64;
            let taken = !self.spent()
                && self
                    .left
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                        left.checked_sub(ops)
                    })
                    .is_ok();
            if !taken {
                self.spent.store(true, Ordering::Relaxed);
                over.push(hash);
                refused.push(i);
            }
        }
        if refused.is_empty() {
            return (chunks, over);
        }
        let kept: Vec<Vec<u8>> = chunks
            .iter()
            .enumerate()
            .filter(|(i, _)| refused.binary_search(i).is_err())
            .map(|(_, bytes)| bytes.to_vec())
            .collect();
        (kept.into(), over)
    }
}

/// The change in `bytes` unless a `relayed` writer wrote it. Bytes that are
/// not one readable change are left to the gate, which refuses them.
fn counted_change(bytes: &[u8], relayed: &HashSet<ActorId>) -> Option<Change> {
    match change_actor(bytes) {
        Some(actor) if relayed.contains(&actor) => return None,
        // A compressed change (or a malformed one): read it whole, its
        // inflated size bounded first.
        None if bytes.get(8) != Some(&2) => return None,
        _ => {}
    }
    check_chunks(bytes, MAX_INFLATED).ok()?;
    let change = catch_unwind(AssertUnwindSafe(|| Change::try_from(bytes)))
        .ok()?
        .ok()?;
    (!relayed.contains(change.actor_id())).then_some(change)
}

/// The actor of an uncompressed change chunk (type 1), read from its
/// header (magic, checksum, type, length, then the dependencies and the
/// actor), as `gate.rs` reads it for signatures.
fn change_actor(chunk: &[u8]) -> Option<ActorId> {
    fn uleb(bytes: &[u8], at: &mut usize) -> Option<usize> {
        let mut value: u64 = 0;
        for shift in 0..10 {
            let b = *bytes.get(*at)?;
            *at += 1;
            value |= u64::from(b & 0x7f) << (7 * shift);
            if b & 0x80 == 0 {
                return usize::try_from(value).ok();
            }
        }
        None
    }
    if chunk.len() < 9 || chunk[..4] != [0x85, 0x6f, 0x4a, 0x83] || chunk[8] != 1 {
        return None;
    }
    let mut at = 9;
    uleb(chunk, &mut at)?;
    let deps = uleb(chunk, &mut at)?;
    at = at.checked_add(deps.checked_mul(32)?)?;
    let len = uleb(chunk, &mut at)?;
    let actor = chunk.get(at..at.checked_add(len)?)?;
    Some(ActorId::from(actor))
}

impl crate::node::State {
    /// Says which of the peer's own changes wait for the next meeting
    /// (past its allowance for this session), and keeps them aside.
    pub(super) fn note_held_back(
        &mut self,
        session: SessionId,
        (id, kind): &DocRef,
        over: Vec<ChangeHash>,
    ) {
        if over.is_empty() {
            return;
        }
        let peer = self.peers.sessions.get(&session).map(|s| s.peer.clone());
        let from = peer.as_ref().map_or("?", |p| p.as_str());
        tracing::warn!(
            "community {id}, {}: refused {} change(s) from {from} for this meeting: {}",
            kind.as_str(),
            over.len(),
            refused::GROWTH_REASON,
        );
        let entries = refused::held_back(kind.as_str(), from, &over);
        self.keep_refused(id, &entries);
        let _ = self.events.send(crate::event::Event::Refused {
            community: id.clone(),
            peer,
            count: over.len(),
            reason: refused::GROWTH_REASON.to_owned(),
        });
    }

    /// The allowance of the session's peer for a held community's
    /// documents, with the writers it only relays there.
    pub(super) fn limit(&mut self, session: SessionId, id: &CommunityId) -> Option<Limit> {
        let (peer, allowance) = self
            .peers
            .sessions
            .get(&session)
            .map(|s| (s.peer.clone(), s.allowance.clone()))?;
        if !self.communities.contains_key(id) {
            return None;
        }
        Some(Limit {
            allowance,
            relayed: self.others_than(id, &peer),
        })
    }

    /// The limit for one document: none for a document arriving for the
    /// first time (a community being joined, a collection not held yet),
    /// which this device takes whole from the peer, whoever wrote it.
    pub(super) fn allowance(&mut self, session: SessionId, (id, kind): &DocRef) -> Option<Limit> {
        let held = self
            .communities
            .get(id)
            .is_some_and(|l| l.docs.doc(*kind).is_some());
        if !held {
            return None;
        }
        self.limit(session, id)
    }
}

#[cfg(test)]
mod tests {
    use automerge::ROOT;
    use automerge::transaction::Transactable;

    use super::*;

    #[test]
    fn only_the_devices_own_new_changes_count_and_past_the_allowance_are_refused() {
        let own = ActorId::from(b"own-device-actor".as_slice());
        let other = ActorId::from(b"relayed-writer!!".as_slice());
        let mut theirs = AutoCommit::new().with_actor(other.clone());
        let mut changes = Vec::new();
        for i in 0..3 {
            theirs.put(ROOT, format!("o{i}"), "x".repeat(400)).unwrap();
            changes.push(theirs.get_last_local_change().unwrap().raw_bytes().to_vec());
        }
        theirs.set_actor(own.clone());
        for i in 0..5 {
            for k in 0..10 {
                theirs.put(ROOT, format!("k{i}-{k}"), i).unwrap();
            }
            changes.push(theirs.get_last_local_change().unwrap().raw_bytes().to_vec());
        }
        let relayed: HashSet<ActorId> = [other].into();
        let allowance = Allowance {
            left: AtomicU64::new(25),
            spent: AtomicBool::new(false),
        };
        let mut doc = AutoCommit::new();
        let (kept, over) = allowance.take(&mut doc, changes.clone().into(), &relayed);
        // The 3 relayed changes and 2 of 10 operations each; then refused.
        assert_eq!(kept.iter().count(), 5);
        assert_eq!(over.len(), 3);
        assert!(allowance.spent());
        // Changes held already count nothing.
        let fresh = Allowance::default();
        fresh.left.store(0, Ordering::Relaxed);
        let (kept, over) = fresh.take(&mut theirs, changes.into(), &relayed);
        assert_eq!((kept.iter().count(), over.len()), (8, 0));
        assert_eq!(
            change_actor(theirs.get_last_local_change().unwrap().raw_bytes()),
            Some(own)
        );
    }
}
