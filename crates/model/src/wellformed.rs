//! The shape of a received change, checked by the gate before Automerge
//! sees it.
//!
//! Automerge 0.12 trusts the header of a change it applies: a change whose
//! operation numbers overlap ones already held, an author footer on a
//! later change, or actors it lists but never uses can make it panic while
//! merging, or merge in memory and then write a document that no longer
//! loads (docs/SECURITY.md, crates/core/tests/fixtures/crafted/INDEX.md).
//! An honest change never has these shapes, so the gate refuses them:
//! - its operations are numbered right after the highest operation of its
//!   dependencies (Automerge numbers a new change from the document's
//!   highest operation, and its dependencies are the document's heads), and
//!   stay within `u32`, the range Automerge writes;
//! - its time is within [`MAX_TIME`] of 1970, either way ([`time`]);
//! - an author footer comes only with an actor's first change, and
//!   nothing else follows its operations;
//! - its dependencies are listed once each;
//! - the other actors it lists are distinct, none is its own actor, and
//!   each is named by one of its operations;
//! - each operation refers (by its object, its list position, the values it
//!   replaces) only to operations before it: of its past, numbered below
//!   the change's first, or earlier in the change itself;
//! - it is written as Automerge writes it: decoded and encoded again, it
//!   has the same hash (a value's type changed under its bytes has not);
//! - its device's previous change is in its past (Automerge made it from a
//!   document holding that change): else a causal order of the document
//!   may put a device's changes out of sequence, which Automerge writes
//!   and then cannot read;
//! - what it puts in a text is text ([`fits`]; a text made by an earlier
//!   change of the same batch is not looked up);
//! - it writes none of the root keys only the genesis writes
//!   ([`GENESIS_ROOT_KEYS`]: `kind`, `community`, `schema`), unless it is
//!   that genesis (no dependencies): what a document is and whose it is
//!   are read from them (`layout::check_kind`, a bundle's owner).
//!
//! It also lists what the change writes at keys of maps made before it
//! ([`Elements::map_writes`]), where the gate finds a community-document
//! change deleting or replacing a member or device entry.

use std::borrow::Cow;
use std::collections::{BinaryHeap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::legacy::{ElementId, Key, ObjectId, OpId, OpType};
use automerge::{ActorId, AutoCommit, Change, ChangeHash, ObjType, ReadDoc, ScalarValue};

/// The objects made before a change in which it puts a value other than a
/// string as an element, and the texts it makes: found by [`intrinsic`] as
/// it reads the change's operations, checked by [`fits`] against the
/// document and the texts of the batch's earlier changes. Most changes have
/// neither.
#[derive(Clone, Debug, Default)]
pub struct Elements {
    puts: Vec<OpId>,
    texts: Vec<OpId>,
    writes: Vec<MapWrite>,
}

impl Elements {
    /// The texts the change makes.
    pub fn texts(&self) -> &[OpId] {
        &self.texts
    }

    /// What the change writes at a key of a map made before it, and at the
    /// root's `members`: where [`crate::gate`] looks for a change deleting
    /// or replacing what lists a member's devices.
    pub fn map_writes(&self) -> &[MapWrite] {
        &self.writes
    }
}

/// One operation of a change at a key of a map made before the change (or
/// at the root's `members`).
#[derive(Clone, Debug)]
pub struct MapWrite {
    /// The map: `None` for the root.
    pub obj: Option<OpId>,
    /// The key.
    pub key: String,
    /// Whether it takes a value away: a delete (or any operation but a
    /// put), or a put over the values it names (its `pred`).
    pub replaces: bool,
    /// Whether it makes a map (what an entry of `members` or `devices`,
    /// and a member's `devices`, always are).
    pub makes_map: bool,
}

/// The root keys of every document that only its genesis writes: what it
/// is, the community it belongs to, its schema.
pub const GENESIS_ROOT_KEYS: [&str; 3] = ["kind", "community", "schema"];

/// Why a change writing one of [`GENESIS_ROOT_KEYS`] after the genesis is
/// refused.
pub const REWRITES_GENESIS: &str =
    "a change that rewrites its document's kind, community or schema";

/// Checks what a change says of itself, without the document: the range
/// of its operation numbers, its author footer, its dependencies, its list
/// of actors, what its operations refer to, and that what it puts in a text
/// it makes is text. Returns what is left to check against the document
/// ([`fits`]).
pub fn intrinsic(change: &Change) -> Result<Elements, String> {
    if change.max_op() > u64::from(u32::MAX) {
        return Err("operation numbers out of range".into());
    }
    time(change.timestamp())?;
    if change.author().is_some() && change.seq() != 1 {
        return Err("an author on a change that is not its device's first".into());
    }
    // Bytes after the operations: only the author footer Automerge writes
    // (an identifier, a length, the author). A document cannot hold others,
    // so the change would come back from a saved document with another hash.
    let footer = change.author().map_or(0, |author| {
        let len = author.as_bytes().len();
        2 + len + usize::from(len > 127) + usize::from(len > 16_383)
    });
    if change.extra_bytes().len() != footer {
        return Err("bytes after its operations".into());
    }
    let deps = change.deps();
    if deps.len() > 1 && deps.iter().collect::<HashSet<_>>().len() != deps.len() {
        return Err("a dependency listed twice".into());
    }
    let others = change.other_actor_ids();
    let mut seen: Vec<&ActorId> = Vec::with_capacity(others.len() + 1);
    seen.push(change.actor_id());
    for actor in others {
        if seen.contains(&actor) {
            return Err("an actor listed twice".into());
        }
        seen.push(actor);
    }
    operations(change)
}

/// What the operations of a change refer to: each reference to an earlier
/// operation, by its object, list position or the values it replaces; and
/// the objects it puts a value other than a string in as an element.
fn operations(change: &Change) -> Result<Elements, String> {
    // Automerge's own decoding unwraps an operation's actor index.
    let expanded = catch_unwind(AssertUnwindSafe(|| change.decode()))
        .map_err(|_| "operations Automerge cannot read".to_owned())?;
    let own = change.actor_id();
    let start = change.start_op().get();
    let others = change.other_actor_ids();
    let mut unused: Vec<&ActorId> = others.iter().collect();
    let earlier = |id: &OpId, counter: u64| id.0 < start || (&id.1 == own && id.0 < counter);
    let made_text = |id: &OpId| {
        &id.1 == own
            && id.0 >= start
            && expanded
                .operations
                .get((id.0 - start) as usize)
                .is_some_and(|op| matches!(op.action, OpType::Make(ObjType::Text)))
    };
    let mut elements: Vec<OpId> = Vec::new();
    let mut texts: Vec<OpId> = Vec::new();
    let mut writes: Vec<MapWrite> = Vec::new();
    let genesis = change.deps().is_empty();
    for (i, op) in expanded.operations.iter().enumerate() {
        let counter = start + i as u64;
        if let Key::Map(key) = &op.key {
            let replaces =
                !matches!(op.action, OpType::Put(_) | OpType::Make(_)) || !op.pred.is_empty();
            let makes_map = matches!(op.action, OpType::Make(ObjType::Map));
            match &op.obj {
                ObjectId::Root if !genesis && GENESIS_ROOT_KEYS.contains(&key.as_str()) => {
                    return Err(REWRITES_GENESIS.into());
                }
                ObjectId::Root if key == "members" => writes.push(MapWrite {
                    obj: None,
                    key: key.to_string(),
                    replaces,
                    makes_map,
                }),
                // A map the change makes holds nothing before it.
                ObjectId::Id(obj) if obj.0 < start || &obj.1 != own => writes.push(MapWrite {
                    obj: Some(obj.clone()),
                    key: key.to_string(),
                    replaces,
                    makes_map,
                }),
                _ => {}
            }
        }
        if matches!(op.action, OpType::Make(ObjType::Text)) {
            texts.push(OpId::new(counter, own));
        }
        if let (OpType::Put(value), Key::Seq(_), ObjectId::Id(obj)) = (&op.action, &op.key, &op.obj)
            && !matches!(value, ScalarValue::Str(_))
        {
            if made_text(obj) {
                return Err(NOT_TEXT.into());
            }
            if !elements.contains(obj) {
                elements.push(obj.clone());
            }
        }
        let obj = match &op.obj {
            ObjectId::Id(id) => Some(id),
            ObjectId::Root => None,
        };
        let elem = match &op.key {
            Key::Seq(ElementId::Id(id)) => Some(id),
            Key::Seq(ElementId::Head) | Key::Map(_) => None,
        };
        for id in obj.into_iter().chain(elem).chain(op.pred.iter()) {
            if !earlier(id, counter) {
                return Err("an operation that refers to a later one".into());
            }
            if !unused.is_empty() {
                unused.retain(|a| **a != id.1);
            }
        }
    }
    if !unused.is_empty() {
        return Err("an actor listed that no operation names".into());
    }
    // Automerge writes a document's changes again from its operations
    // (`save_after`, `save`): one that does not encode back to itself (a
    // value whose type was changed under its bytes...) gets another hash
    // there, and the changes after it lose their dependency. Automerge's
    // re-encoding leaves the author footer out, so a first change that
    // carries one is taken as it is.
    if change.author().is_none() {
        let again = catch_unwind(AssertUnwindSafe(|| Change::from(expanded).hash()))
            .map_err(|_| "operations Automerge cannot write".to_owned())?;
        if again != change.hash() {
            return Err("operations that Automerge would write otherwise".into());
        }
    }
    Ok(Elements {
        puts: elements,
        texts,
        writes,
    })
}

/// The furthest from 1970 a change's time may be, either way: 2^61, some
/// 73 million years in milliseconds. Honest devices stamp seconds
/// (Passerelle) or milliseconds since 1970, or 0.
pub const MAX_TIME: u64 = 1 << 61;

/// Checks that a change's time is within [`MAX_TIME`] of 1970.
///
/// A document holds its changes' times as the difference from one change
/// to the next (a delta column: hexane's in memory, the time column of a
/// saved document), so a time is only safe next to the others. Any two
/// times within the bound differ by at most 2^62: hexane computes that
/// difference without overflowing `i64` (it panics in a debug build, and
/// wraps in a release one, past it), and a snapshot writes it in at most
/// nine bytes of signed LEB128 below zero. One time far out,
/// -6 × 10^18, passed every other rule and made the next `save()` of its
/// document write a time difference below -2^62, in ten bytes, which
/// [`crate::bounds`] read as unsigned and refused ("bad column data"), so
/// the compacted file was quarantined. `bounds` now reads delta columns as
/// signed; this rule stays for the overflow, and is also checked on the
/// changes of a whole document taken at a join (`gate::Incoming`).
pub fn time(time: i64) -> Result<(), String> {
    if time.unsigned_abs() > MAX_TIME {
        return Err("a time out of range".into());
    }
    Ok(())
}

/// Why a change putting a value that is not text in a text is refused.
const NOT_TEXT: &str = "a value that is not text put in a text";

/// Checks that a change's operations are numbered right after all those of
/// its dependencies, as Automerge numbers them: `start_op` is its first
/// operation number, `deps_max_op` the highest operation number among its
/// dependencies (0 for none).
pub fn follows(start_op: u64, max_op: u64, deps_max_op: u64) -> Result<(), String> {
    if start_op <= deps_max_op {
        return Err("operation numbers that overlap those of its past".into());
    }
    if start_op != deps_max_op + 1 {
        return Err("operation numbers that skip ahead of its past".into());
    }
    if max_op > u64::from(u32::MAX) {
        return Err("operation numbers out of range".into());
    }
    Ok(())
}

/// Checks that what a change puts in a text (inserted or replaced) is text:
/// Automerge 0.12 applies another value there (bytes, a number) and then
/// writes a document it cannot read. A text the change makes is checked by
/// [`intrinsic`]; here, the objects it names (`elements`, from
/// [`intrinsic`]) among the texts made by the batch's earlier changes
/// (`batch_texts`) and those `doc` holds.
pub fn fits(
    elements: &Elements,
    doc: &AutoCommit,
    batch_texts: &std::collections::HashSet<OpId>,
) -> Result<(), String> {
    for id in &elements.puts {
        let text = batch_texts.contains(id)
            || doc
                .import_obj(&format!("{}@{}", id.0, id.1))
                .ok()
                .and_then(|obj| doc.object_type(&obj).ok())
                == Some(ObjType::Text);
        if text {
            return Err(NOT_TEXT.into());
        }
    }
    Ok(())
}

/// A change already judged, as [`after_own`] walks the past.
pub struct Past<'a> {
    /// Its device's actor.
    pub actor: Cow<'a, ActorId>,
    /// Its sequence number.
    pub seq: u64,
    /// Its highest operation number.
    pub max_op: u64,
    /// Its dependencies.
    pub deps: Cow<'a, [ChangeHash]>,
}

/// Checks that change `seq` of `actor`, depending on `deps`, has the
/// device's previous change, number `before` (the latest held or accepted
/// before it), in its past: a change of the batch being judged (`batch`)
/// or, when `held`, of the document. Only for a change numbered
/// `before + 1`: the gate judges other numbers as equivocations or gaps.
///
/// The past is walked from the highest operation number down, and ends at
/// the first change of `actor` met, which must be `before`: operation
/// numbers grow along dependencies ([`follows`]), and a device's changes
/// along its sequence, so the first met is its latest in the past. An
/// honest change usually has that change close (a dependency, or behind the
/// few changes merged since). A previous change in the batch is looked for
/// among the batch's changes only: the document's cannot depend on them.
/// A held one far behind (a device that writes rarely) is looked for with
/// Automerge's clock of the past's held edge ([`held_in_past`]) once the
/// walk has read [`WALK_HELD`] held changes.
///
/// Each change read by the walk takes one step from `steps` (the batch's
/// walk budget, [`walk_budget`]); a change whose walk finds the budget
/// spent is refused ([`WALK_SPENT`]).
pub fn after_own<'b>(
    actor: &ActorId,
    (seq, before, held): (u64, u64, bool),
    deps: &[ChangeHash],
    doc: &mut AutoCommit,
    batch: impl Fn(&ChangeHash) -> Option<Past<'b>>,
    steps: &mut u64,
) -> Result<(), String> {
    if before == 0 || seq != before + 1 {
        return Ok(());
    }
    let not_in_past = || Err("its device's previous change is not in its past".to_owned());
    let mut known: Vec<Past<'b>> = Vec::new();
    // (highest operation, sequence number, index in `known`): ties go to
    // the later change of a device (an empty change shares its number).
    let mut queue: BinaryHeap<(u64, u64, usize)> = BinaryHeap::new();
    let mut seen: HashSet<ChangeHash> = HashSet::new();
    let mut held_read = 0;
    let mut reach = |hash: &ChangeHash,
                     known: &mut Vec<Past<'b>>,
                     queue: &mut BinaryHeap<(u64, u64, usize)>,
                     doc: &mut AutoCommit|
     -> bool {
        if !seen.insert(*hash) {
            return true;
        }
        let past = match batch(hash) {
            Some(p) => Some(p),
            None if !held => None,
            None if held_read >= WALK_HELD => return false,
            None => {
                held_read += 1;
                doc.get_change_meta_by_hash(hash).map(|c| Past {
                    actor: Cow::Owned(c.actor.into_owned()),
                    seq: c.seq,
                    max_op: c.max_op,
                    deps: Cow::Owned(c.deps),
                })
            }
        };
        if let Some(p) = past {
            queue.push((p.max_op, p.seq, known.len()));
            known.push(p);
        }
        true
    };
    let mut walked = true;
    for dep in deps {
        walked &= reach(dep, &mut known, &mut queue, doc);
    }
    while walked && let Some((_, _, at)) = queue.pop() {
        if *steps == 0 {
            return Err(WALK_SPENT.to_owned());
        }
        *steps -= 1;
        if *known[at].actor == *actor {
            return if known[at].seq == before {
                Ok(())
            } else {
                not_in_past()
            };
        }
        let deps = std::mem::take(&mut known[at].deps);
        for dep in deps.iter() {
            walked &= reach(dep, &mut known, &mut queue, doc);
        }
    }
    if walked {
        return not_in_past();
    }
    // Far behind: the batch's part of the past, then the document's clock.
    let mut edge: Vec<ChangeHash> = Vec::new();
    let mut stack: Vec<ChangeHash> = deps.to_vec();
    let mut seen: HashSet<ChangeHash> = HashSet::new();
    while let Some(hash) = stack.pop() {
        if !seen.insert(hash) {
            continue;
        }
        if *steps == 0 {
            return Err(WALK_SPENT.to_owned());
        }
        *steps -= 1;
        match batch(&hash) {
            Some(p) if *p.actor == *actor => return not_in_past(),
            Some(p) => stack.extend(p.deps.iter()),
            None => edge.push(hash),
        }
    }

    // Usually the past holds everything the document holds (the peer
    // wrote on top of what both had): then it holds the previous change.
    let heads = doc.get_heads();
    if !heads.is_empty() && heads.iter().all(|h| edge.contains(h)) {
        return Ok(());
    }
    if held_in_past(doc, actor, before, &edge) {
        Ok(())
    } else {
        not_in_past()
    }
}

/// Held changes [`after_own`] reads one by one before it asks Automerge's
/// clock instead.
pub const WALK_HELD: usize = 8;

/// Why a change is refused once its batch spent its walk budget.
pub const WALK_SPENT: &str = "its batch took too long to check (its devices' changes far apart)";

/// How many changes [`after_own`] may read while one batch of `changes`
/// is judged: [`WALK_PER_CHANGE`] per change, and at least
/// [`WALK_FLOOR`]. An honest change's walk reads the changes its device
/// merged since its previous one, which grows with the members who write:
/// a generated month of a 50-member community (`demo --size month`, 7,987
/// changes) reads 43 per change on average when verified as one bundle,
/// so a 200-member community stays well within. A crafted batch of many
/// devices each writing twice on one chain (walks quadratic in the number
/// of devices) stops at the budget, its remaining changes refused: its
/// cost is linear in its changes.
pub fn walk_budget(changes: usize) -> u64 {
    (changes as u64)
        .saturating_mul(WALK_PER_CHANGE)
        .max(WALK_FLOOR)
}

/// The walk budget per change of a batch.
pub const WALK_PER_CHANGE: u64 = 512;

/// The least walk budget of a batch.
pub const WALK_FLOOR: u64 = 1 << 20;

/// Whether change `seq` of `actor`, held by `doc`, is in the past of `heads`
/// (held changes): Automerge lists the changes outside that past from its
/// clock of `heads` (cached along the change graph) without walking it.
fn held_in_past(doc: &mut AutoCommit, actor: &ActorId, seq: u64, heads: &[ChangeHash]) -> bool {
    !heads.is_empty()
        && !doc
            .get_changes_meta(heads)
            .iter()
            .any(|c| c.seq == seq && c.actor.as_ref() == actor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{AutoCommit, ObjType, ROOT, transaction::Transactable};

    #[test]
    fn an_honest_change_follows_its_past() {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "a", 1).unwrap();
        doc.put(ROOT, "b", 2).unwrap();
        let first = doc.get_last_local_change().unwrap();
        doc.put(ROOT, "c", 3).unwrap();
        let second = doc.get_last_local_change().unwrap();
        for change in [&first, &second] {
            intrinsic(change).unwrap();
        }
        follows(first.start_op().get(), first.max_op(), 0).unwrap();
        follows(second.start_op().get(), second.max_op(), first.max_op()).unwrap();
        assert!(follows(first.start_op().get(), first.max_op(), second.max_op()).is_err());
        assert!(follows(second.start_op().get() + 1, second.max_op(), first.max_op()).is_err());
    }

    /// Changes of several writers on lists, texts, maps and counters, each
    /// merged from the others: every one passes.
    #[test]
    fn honest_changes_of_several_writers_pass() {
        let mut a = AutoCommit::new().with_actor(ActorId::from([1u8; 16]));
        let list = a.put_object(ROOT, "list", ObjType::List).unwrap();
        let text = a.put_object(ROOT, "text", ObjType::Text).unwrap();
        a.insert(&list, 0, "x").unwrap();
        a.splice_text(&text, 0, 0, "bonjour").unwrap();
        a.put(ROOT, "n", automerge::ScalarValue::counter(1))
            .unwrap();
        a.commit();
        let mut b = a.fork().with_actor(ActorId::from([2u8; 16]));
        b.insert(&list, 1, "y").unwrap();
        b.splice_text(&text, 3, 2, "SO").unwrap();
        b.increment(ROOT, "n", 2).unwrap();
        b.delete(&list, 0).unwrap();
        b.commit();
        a.put(ROOT, "k", "a").unwrap();
        a.commit();
        a.merge(&mut b).unwrap();
        a.put(&list, 0, "z").unwrap();
        a.splice_text(&text, 0, 1, "B").unwrap();
        a.commit();
        let changes = a.get_changes(&[]);
        assert!(changes.len() >= 4);
        for change in &changes {
            intrinsic(change).unwrap_or_else(|e| panic!("{e}: {:?}", change.decode()));
        }
    }

    /// A device's change on a state without its previous change is refused;
    /// on its own past, or behind changes merged since, it passes.
    #[test]
    fn a_change_has_its_devices_previous_one_in_its_past() {
        let mut a = AutoCommit::new().with_actor(ActorId::from([1u8; 16]));
        a.put(ROOT, "x", 1).unwrap();
        a.commit();
        let early = a.get_heads();
        let mut b = a.fork().with_actor(ActorId::from([2u8; 16]));
        a.put(ROOT, "y", 2).unwrap();
        a.commit();
        b.put(ROOT, "z", 3).unwrap();
        b.commit();
        a.merge(&mut b).unwrap();
        a.put(ROOT, "w", 4).unwrap();
        let last = a.commit().unwrap();
        let actor = ActorId::from([1u8; 16]);
        let none = |_: &ChangeHash| None;
        let change = a.get_change_by_hash(&last).unwrap();
        // Seq 3 of actor 1, behind actor 2's change: seq 2 is in its past.
        after_own(&actor, (3, 2, true), change.deps(), &mut a, none, &mut {
            u64::MAX
        })
        .unwrap();
        // The same number on the early state: seq 2 is not.
        assert!(
            after_own(&actor, (3, 2, true), &early, &mut a, none, &mut {
                u64::MAX
            })
            .is_err()
        );
        // Other numbers are the gate's (equivocation, gap).
        after_own(&actor, (5, 2, true), &early, &mut a, none, &mut {
            u64::MAX
        })
        .unwrap();
    }

    /// A device's previous change far behind (more than [`WALK_HELD`]
    /// held changes) is found through Automerge's clock: on a past that
    /// holds it, or all the document holds, the change passes; on a long
    /// concurrent branch without it, it is refused.
    #[test]
    fn a_previous_change_far_behind_is_found_through_the_clock() {
        let (x, y, z) = (
            ActorId::from([1u8; 16]),
            ActorId::from([2u8; 16]),
            ActorId::from([3u8; 16]),
        );
        let mut base = AutoCommit::new().with_actor(z.clone());
        base.put(ROOT, "g", 0).unwrap();
        base.commit();
        let mut on_x = base.fork().with_actor(x.clone());
        on_x.put(ROOT, "x", 1).unwrap();
        on_x.commit();
        let mut on_y = on_x.fork().with_actor(y);
        let mut on_z = base.fork().with_actor(z);
        for i in 0..20 {
            on_y.put(ROOT, "y", i).unwrap();
            on_y.commit();
            on_z.put(ROOT, "z", i).unwrap();
            on_z.commit();
        }
        let mut held = on_y.fork();
        held.merge(&mut on_z).unwrap();
        let none = |_: &ChangeHash| None;
        // Written on Y's branch: the clock of that branch holds X's first.
        let y_heads = on_y.get_heads();
        after_own(&x, (2, 1, true), &y_heads, &mut held, none, &mut {
            u64::MAX
        })
        .unwrap();
        // Written on everything held.
        let all = held.get_heads();
        after_own(&x, (2, 1, true), &all, &mut held, none, &mut { u64::MAX }).unwrap();
        // Written on Z's branch, which never had X's first change.
        let z_heads = on_z.get_heads();
        assert!(
            after_own(&x, (2, 1, true), &z_heads, &mut held, none, &mut {
                u64::MAX
            })
            .is_err()
        );
    }

    /// A change stamped further than [`MAX_TIME`] from 1970 is refused;
    /// within it, at either end, it passes, and a document of changes at
    /// both ends (each difference as large as it gets, 2^62) saves to a
    /// snapshot the node reads back: within [`crate::bounds`], and loaded
    /// by Automerge with the same heads. Before the rule, a change at
    /// -6 × 10^18 after one at the usual time made a snapshot the node
    /// refused ("bad column data", crates/core/tests/fixtures/crafted/
    /// `gate-ideas-bug-gate-accepted-by-the-gate-its-snapshot-none-*`).
    #[test]
    fn a_time_far_from_1970_is_refused() {
        let edge = MAX_TIME as i64;
        let mut doc = AutoCommit::new();
        fn stamped(doc: &mut AutoCommit, time: i64) -> Change {
            doc.put(ROOT, "t", time).unwrap();
            doc.commit_with(automerge::transaction::CommitOptions::default().with_time(time));
            doc.get_last_local_change().unwrap()
        }
        for t in [0, 1_774_816_000, 1_774_816_000_000, edge, -edge, edge, 0] {
            let change = stamped(&mut doc, t);
            intrinsic(&change).unwrap_or_else(|e| panic!("{t}: {e}"));
        }
        let saved = doc.save();
        crate::bounds::check_chunks(&saved, crate::bounds::MAX_INFLATED).unwrap();
        let mut again = AutoCommit::load(&saved).unwrap();
        assert_eq!(again.get_heads(), doc.get_heads());

        // Past the bound, a fork of the document for each: their times
        // next to the others' are what the rule keeps out.
        for t in [
            edge + 1,
            -edge - 1,
            -6_159_486_694_809_361_091,
            i64::MAX,
            i64::MIN,
        ] {
            let mut fork = AutoCommit::new();
            let change = stamped(&mut fork, t);
            assert_eq!(
                intrinsic(&change).unwrap_err(),
                "a time out of range",
                "{t}"
            );
        }
    }

    /// Bytes put in a text are refused; in a list they pass, and so does
    /// text spliced in a text.
    #[test]
    fn only_text_goes_in_a_text() {
        let mut doc = AutoCommit::new();
        let text = doc.put_object(ROOT, "t", ObjType::Text).unwrap();
        let list = doc.put_object(ROOT, "l", ObjType::List).unwrap();
        doc.commit();
        let mut other = doc.fork();
        other.splice_text(&text, 0, 0, "ok").unwrap();
        other.insert(&list, 0, ScalarValue::Bytes(vec![1])).unwrap();
        other.commit();
        let honest = other.get_last_local_change().unwrap();
        fits(&intrinsic(&honest).unwrap(), &doc, &HashSet::new()).unwrap();
        other
            .insert(&text, 0, ScalarValue::Bytes(vec![117]))
            .unwrap();
        other.commit();
        let bytes = other.get_last_local_change().unwrap();
        assert!(fits(&intrinsic(&bytes).unwrap(), &doc, &HashSet::new()).is_err());
        // Bytes put in a text the change makes itself: refused on its own.
        let mut fresh = doc.fork();
        let made = fresh.put_object(ROOT, "u", ObjType::Text).unwrap();
        fresh.insert(&made, 0, ScalarValue::Bytes(vec![1])).unwrap();
        fresh.commit();
        let own = fresh.get_last_local_change().unwrap();
        assert_eq!(intrinsic(&own).unwrap_err(), NOT_TEXT);
    }
}
