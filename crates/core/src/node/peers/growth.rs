//! How much one peer's member may grow the documents in one session.
//!
//! A member's device may write anything its member may, but one meeting
//! should not let it make every other device merge, store and serve an
//! unbounded amount of new writing (a modified app writing millions of
//! operations, or a few values of tens of MiB). Each session gives the peer
//! an allowance of operations ([`MAX_GROWTH_OPS`]) and of bytes
//! ([`MAX_GROWTH_BYTES`], what the changes inflate to) for the changes *its
//! member wrote*, counted as they come (before the gate; changes already
//! held count nothing): by its own device, by any other device of its
//! member, or by a device the community's rules list under no member yet
//! (so a device the member lists for herself in the same meeting counts
//! too). What the devices of other members wrote is not counted: a member
//! relaying the community's history, or others' changes to a device that
//! was away, keeps working. Past the allowance, further counted changes are
//! refused for this meeting (kept aside with the code `growth_limit`, never
//! merged), the batch is answered and the session is closed politely with
//! `ENOUGH`: the peer sends them again at the next meeting, from a fresh
//! allowance. A change larger than a whole allowance is never taken.
//!
//! Meetings add up, so a community's documents together are bounded too:
//! counted changes are taken only while the community stays within
//! [`MAX_COMMUNITY_INFLATED`] bytes, [`MAX_COMMUNITY_OPS`] operations and
//! [`MAX_COMMUNITY_CHANGES`] changes (what its files inflate to, what
//! Automerge holds), below the one bound an offline bundle of all six
//! documents (and so the daily archive) is read within (`bounds.rs`,
//! `bundle.rs`), with room left for the node's own writing. Past them, the
//! member's new changes wait like those past a session's allowance.
//!
//! Documents arriving for the first time (a community being joined, a
//! collection not held yet) are not limited: the device takes the peer's
//! copy whole, whoever wrote it, so a newcomer joining through a long-time
//! member gets everything in one meeting (a whole document is bounded by
//! `bounds::MAX_INFLATED` where it is received).

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use automerge::sync::ChunkList;
use automerge::{ActorId, AutoCommit, Change, ChangeHash, ReadDoc};
use passerelle_model::CommunityId;
use passerelle_model::bounds::{MAX_CHANGES, MAX_INFLATED, MAX_OPS, check_chunks};
use passerelle_sync::SessionId;

use super::DocRef;
use crate::refused;

/// Operations the peer's member may add to the documents in one
/// session: as many as the largest single change the bounds allow
/// (`bounds.rs`, 200,000), so any one legitimate change fits; about
/// 100 pages of typed text, where a busy member writes a few thousand
/// operations in a week. A backlog past it arrives over several meetings.
pub const MAX_GROWTH_OPS: u64 = 200_000;

/// Bytes the peer's member may add to the documents in one session, as
/// its changes inflate (`bounds::check_chunks`): 8 MiB. The largest change
/// a command writes holds a 20,000-character text (at most 80 KB of UTF-8,
/// a few hundred KB as operations); a generated five-year community's
/// biggest document inflates to 12.7 MiB for five years of everyone's
/// writing. So one member's meeting never comes near it honestly, while a
/// modified app can no longer bring a 24 MiB value (one operation) at each
/// meeting: at most 8 MiB, and the community's own bound below.
pub const MAX_GROWTH_BYTES: u64 = 8 * 1024 * 1024;

/// The most a community's documents together may inflate to (the sum of
/// what their files inflate to) for a member's new changes to be taken:
/// three quarters of `bounds::MAX_INFLATED`, 48 MiB. An offline bundle of
/// the six documents (the daily archive) is read within one
/// `MAX_INFLATED` (64 MiB), and so is each stored file; a generated
/// five-year community inflates to 27.9 MiB (its échanges 12.7 MiB). The
/// 16 MiB left over are for the node's own writing past it and for what
/// the measure misses (a document's `save()` is usually smaller than the
/// chunks it replaces, which the measure counts).
pub const MAX_COMMUNITY_INFLATED: u64 = MAX_INFLATED as u64 / 4 * 3;

/// The most operations a community's documents together may hold for a
/// member's new changes to be taken: 90 % of `bounds::MAX_OPS`, 4.5
/// million (a generated five-year community holds 3.49 million; a bundle
/// is read within 5 million).
pub const MAX_COMMUNITY_OPS: u64 = MAX_OPS as u64 / 10 * 9;

/// The most changes a community's documents together may hold for a
/// member's new changes to be taken: 90 % of `bounds::MAX_CHANGES`,
/// 321,426 (a generated five-year community holds 155,300).
pub const MAX_COMMUNITY_CHANGES: u64 = MAX_CHANGES as u64 / 10 * 9;

/// [`MAX_GROWTH_OPS`], or `PASSERELLE_MAX_GROWTH_OPS` (for tests).
pub fn max_growth_ops() -> u64 {
    env_or("PASSERELLE_MAX_GROWTH_OPS", MAX_GROWTH_OPS)
}

/// [`MAX_GROWTH_BYTES`], or `PASSERELLE_MAX_GROWTH_BYTES` (for tests).
pub fn max_growth_bytes() -> u64 {
    env_or("PASSERELLE_MAX_GROWTH_BYTES", MAX_GROWTH_BYTES)
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Growth left: in a session's allowance, or in a community's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Room {
    pub ops: u64,
    pub bytes: u64,
    pub changes: u64,
}

impl Room {
    /// Takes `what` if it fits.
    fn take(&mut self, what: Room) -> bool {
        let fits = what.ops <= self.ops && what.bytes <= self.bytes && what.changes <= self.changes;
        if fits {
            self.ops -= what.ops;
            self.bytes -= what.bytes;
            self.changes -= what.changes;
        }
        fits
    }
}

/// One session's allowance for the peer's member, shared by the
/// documents merged at once (each on its own thread).
pub(crate) struct Allowance {
    left: Mutex<Room>,
    spent: AtomicBool,
    /// Whether a change was refused because the community is at its bounds.
    full: AtomicBool,
}

impl Default for Allowance {
    fn default() -> Self {
        Allowance::new(max_growth_ops(), max_growth_bytes())
    }
}

/// The allowance as it applies to one community's documents: with the
/// writers whose changes the peer only relays there (the devices of other
/// members), and what the community may still grow by.
pub(crate) struct Limit {
    pub allowance: Arc<Allowance>,
    pub relayed: HashSet<ActorId>,
    pub room: Mutex<Room>,
}

impl Limit {
    /// See [`Allowance::take`].
    pub fn take(&self, doc: &mut AutoCommit, chunks: ChunkList) -> (ChunkList, Vec<ChangeHash>) {
        self.allowance.take(doc, chunks, &self.relayed, &self.room)
    }
}

/// A lock whose data stays true if a panic poisoned it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Allowance {
    fn new(ops: u64, bytes: u64) -> Self {
        Allowance {
            left: Mutex::new(Room {
                ops,
                bytes,
                changes: u64::MAX,
            }),
            spent: AtomicBool::new(false),
            full: AtomicBool::new(false),
        }
    }

    /// Whether the device brought as much as the session allows.
    pub fn spent(&self) -> bool {
        self.spent.load(Ordering::Relaxed)
    }

    /// Whether a change was refused because the community is at its bounds.
    pub fn full(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    /// Splits a message's changes into those kept for the gate and the
    /// member's new changes past the allowance or the community's `room`
    /// (refused for this meeting, with their hashes); changes by `relayed`
    /// writers are not counted. Once past, every further counted change in
    /// this session is refused (later ones build on it anyway).
    pub fn take(
        &self,
        doc: &mut AutoCommit,
        chunks: ChunkList,
        relayed: &HashSet<ActorId>,
        room: &Mutex<Room>,
    ) -> (ChunkList, Vec<ChangeHash>) {
        let mut over = Vec::new();
        let mut refused = Vec::new();
        let mut seen = HashSet::new();
        for (i, bytes) in chunks.iter().enumerate() {
            let Some((change, inflated)) = counted_change(bytes, relayed) else {
                continue;
            };
            let hash = change.hash();
            // A change held or sent twice is not growth (and a lookup in
            // the change graph, not a rebuild of the change).
            if !seen.insert(hash) || passerelle_model::gate::holds(doc, &[hash]) {
                continue;
            }
            let growth = Room {
                ops: change.len() as u64,
                bytes: inflated,
                changes: 1,
            };
            if self.spent() || !self.take_one(growth, room) {
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

    /// Takes one change's growth from the session's allowance and the
    /// community's room, both or neither.
    fn take_one(&self, growth: Room, room: &Mutex<Room>) -> bool {
        let mut left = lock(&self.left);
        let mut room = lock(room);
        let (mut l, mut r) = (*left, *room);
        let session = l.take(growth);
        let community = r.take(growth);
        if session && !community {
            self.full.store(true, Ordering::Relaxed);
        }
        if session && community {
            (*left, *room) = (l, r);
        }
        session && community
    }
}

/// The change in `bytes` and what it inflates to, unless a `relayed`
/// writer wrote it. Bytes that are not one readable change are left to
/// the gate, which refuses them.
fn counted_change(bytes: &[u8], relayed: &HashSet<ActorId>) -> Option<(Change, u64)> {
    match change_actor(bytes) {
        Some(actor) if relayed.contains(&actor) => return None,
        // A compressed change (or a malformed one): read it whole, its
        // inflated size bounded first.
        None if bytes.get(8) != Some(&2) => return None,
        _ => {}
    }
    let inflated = check_chunks(bytes, MAX_INFLATED).ok()?.inflated as u64;
    let change = catch_unwind(AssertUnwindSafe(|| Change::try_from(bytes)))
        .ok()?
        .ok()?;
    (!relayed.contains(change.actor_id())).then_some((change, inflated))
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
        let session = self.peers.sessions.get(&session);
        let full = session.is_some_and(|s| s.allowance.full());
        let peer = session.map(|s| s.peer.clone());
        let from = peer.as_ref().map_or("?", |p| p.as_str());
        tracing::warn!(
            "community {id}, {}: refused {} change(s) from {from} for this meeting: {}{}",
            kind.as_str(),
            over.len(),
            refused::GROWTH_REASON,
            if full {
                " (the community's documents are at their size bound)"
            } else {
                ""
            },
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
        let room = self.room(id)?;
        Some(Limit {
            allowance,
            relayed: self.others_than(id, &peer),
            room: Mutex::new(room),
        })
    }

    /// What a held community may still grow by within its bounds: its
    /// documents' operations and changes as Automerge holds them, and what
    /// their files inflate to (measured once per file, see `Store::inflated`;
    /// a file that cannot be read leaves no room).
    fn room(&self, id: &CommunityId) -> Option<Room> {
        let loaded = self.communities.get(id)?;
        let (mut ops, mut changes) = (0u64, 0u64);
        let docs = loaded.docs.docs().map(|(_, doc)| doc);
        for doc in docs.chain(loaded.partial.values()) {
            let stats = doc.stats();
            ops = ops.saturating_add(stats.num_ops);
            changes = changes.saturating_add(stats.num_changes);
        }
        let mut bytes = 0u64;
        for path in loaded.files.values().flatten() {
            bytes = bytes.saturating_add(self.store.inflated(path).unwrap_or(u64::MAX));
        }
        Some(Room {
            ops: MAX_COMMUNITY_OPS.saturating_sub(ops),
            bytes: MAX_COMMUNITY_INFLATED.saturating_sub(bytes),
            changes: MAX_COMMUNITY_CHANGES.saturating_sub(changes),
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

    /// No bound on a community's growth.
    fn open() -> Mutex<Room> {
        Mutex::new(Room {
            ops: u64::MAX,
            bytes: u64::MAX,
            changes: u64::MAX,
        })
    }

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
        let allowance = Allowance::new(25, u64::MAX);
        let mut doc = AutoCommit::new();
        let (kept, over) = allowance.take(&mut doc, changes.clone().into(), &relayed, &open());
        // The 3 relayed changes and 2 of 10 operations each; then refused.
        assert_eq!(kept.iter().count(), 5);
        assert_eq!(over.len(), 3);
        assert!(allowance.spent());
        assert!(!allowance.full());
        // Changes held already count nothing.
        let fresh = Allowance::new(0, 0);
        let (kept, over) = fresh.take(&mut theirs, changes.into(), &relayed, &open());
        assert_eq!((kept.iter().count(), over.len()), (8, 0));
        assert_eq!(
            change_actor(theirs.get_last_local_change().unwrap().raw_bytes()),
            Some(own)
        );
    }

    /// `n` changes by one device, each putting one string of `len` bytes.
    fn big_values(n: usize, len: usize) -> Vec<Vec<u8>> {
        let mut doc = AutoCommit::new().with_actor(ActorId::from(b"own-device-actor".as_slice()));
        (0..n)
            .map(|i| {
                doc.put(ROOT, format!("v{i}"), "a".repeat(len)).unwrap();
                doc.get_last_local_change().unwrap().raw_bytes().to_vec()
            })
            .collect()
    }

    #[test]
    fn bytes_count_as_well_as_operations() {
        // Three changes of one operation and 3 MiB each; 8 MiB a session.
        let changes = big_values(3, 3 << 20);
        let allowance = Allowance::new(MAX_GROWTH_OPS, MAX_GROWTH_BYTES);
        let (kept, over) = allowance.take(
            &mut AutoCommit::new(),
            changes.clone().into(),
            &HashSet::new(),
            &open(),
        );
        assert_eq!((kept.iter().count(), over.len()), (2, 1));
        assert!(allowance.spent() && !allowance.full());
        // One change larger than a whole allowance is never taken.
        let huge = big_values(1, 9 << 20);
        let fresh = Allowance::default();
        let (kept, over) = fresh.take(
            &mut AutoCommit::new(),
            huge.into(),
            &HashSet::new(),
            &open(),
        );
        assert_eq!((kept.iter().count(), over.len()), (0, 1));
    }

    #[test]
    fn past_the_communitys_room_changes_wait_and_the_room_is_shared() {
        let changes = big_values(4, 1 << 20);
        let room = Mutex::new(Room {
            ops: u64::MAX,
            bytes: 5 << 20 >> 1, // 2.5 MiB
            changes: u64::MAX,
        });
        let allowance = Allowance::default();
        let (kept, over) = allowance.take(
            &mut AutoCommit::new(),
            changes[..1].to_vec().into(),
            &HashSet::new(),
            &room,
        );
        assert_eq!((kept.iter().count(), over.len()), (1, 0));
        // A second document of the same batch shares the room.
        let (kept, over) = allowance.take(
            &mut AutoCommit::new(),
            changes[1..].to_vec().into(),
            &HashSet::new(),
            &room,
        );
        assert_eq!((kept.iter().count(), over.len()), (1, 2));
        assert!(allowance.spent() && allowance.full());
        // What was refused took nothing from either.
        assert!(lock(&room).bytes < 1 << 20);
        assert!(lock(&allowance.left).bytes > MAX_GROWTH_BYTES - (3 << 20));
        // Operations and changes bound the community too.
        for room in [
            Room {
                ops: 0,
                bytes: u64::MAX,
                changes: u64::MAX,
            },
            Room {
                ops: u64::MAX,
                bytes: u64::MAX,
                changes: 0,
            },
        ] {
            let fresh = Allowance::default();
            let (kept, _) = fresh.take(
                &mut AutoCommit::new(),
                changes.clone().into(),
                &HashSet::new(),
                &Mutex::new(room),
            );
            assert_eq!(kept.iter().count(), 0);
        }
    }

    #[test]
    fn the_community_bounds_leave_a_bundle_room_and_a_five_year_community_far_inside() {
        // A bundle of the six documents is read within one MAX_INFLATED.
        assert_eq!(MAX_COMMUNITY_INFLATED, 48 << 20);
        assert!(MAX_COMMUNITY_INFLATED + MAX_GROWTH_BYTES < MAX_INFLATED as u64);
        assert!(MAX_COMMUNITY_OPS + MAX_GROWTH_OPS < MAX_OPS as u64);
        assert!(MAX_COMMUNITY_CHANGES < MAX_CHANGES as u64);
        // A generated five-year community: 27.9 MiB, 3.49 million
        // operations, 155,300 changes (`bounds.rs`).
        assert!(MAX_COMMUNITY_INFLATED as f64 > 1.7 * 27.9 * 1024.0 * 1024.0);
        const { assert!(MAX_COMMUNITY_OPS > 3_490_000 * 5 / 4) };
        const { assert!(MAX_COMMUNITY_CHANGES > 155_300 * 2) };
    }
}
