//! The shape of a received change, checked by the gate before Automerge
//! sees it.
//!
//! Automerge 0.12 trusts the header of a change it applies: a change whose
//! operation numbers overlap ones already held, an author footer on a
//! later change, or actors it lists but never uses can make it panic while
//! merging, or merge in memory and then write a document that no longer
//! loads (docs/SECURITY.md, crates/core/tests/fixtures/crafted/INDEX.md).
//! An honest change never has these shapes, so the gate refuses them:
//! - its operations are numbered after every operation of its
//!   dependencies (Automerge numbers a new change from the document's
//!   highest operation, and its dependencies are the document's heads), and
//!   stay within `u32`, the range Automerge writes;
//! - an author footer comes only with an actor's first change;
//! - the other actors it lists are distinct, and none is its own actor.

use automerge::{ActorId, Change};

/// Checks what a change says of itself, without the document: the range
/// of its operation numbers, its author footer, its list of actors.
pub fn intrinsic(change: &Change) -> Result<(), String> {
    if change.max_op() > u64::from(u32::MAX) {
        return Err("operation numbers out of range".into());
    }
    if change.author().is_some() && change.seq() != 1 {
        return Err("an author on a change that is not its device's first".into());
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
    Ok(())
}

/// Checks that a change's operations are numbered after all those of its
/// dependencies: `start_op` is its first operation number, `deps_max_op`
/// the highest operation number among its dependencies (0 for none).
pub fn follows(start_op: u64, max_op: u64, deps_max_op: u64) -> Result<(), String> {
    if start_op <= deps_max_op {
        return Err("operation numbers that overlap those of its past".into());
    }
    if max_op > u64::from(u32::MAX) {
        return Err("operation numbers out of range".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{AutoCommit, ROOT, transaction::Transactable};

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
    }
}
