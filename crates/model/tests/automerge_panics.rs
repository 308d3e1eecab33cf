//! Minimal reproductions of Automerge 0.12 panicking on a change it should
//! refuse with an error, to report upstream (docs/SECURITY.md, "Automerge
//! bugs found by fuzzing"). Each builds the change with Automerge's own
//! types (`ExpandedChange`, encoded by Automerge), shows that
//! `apply_changes` panics instead of returning an error, and that the gate's
//! shape rules ([`passerelle_model::wellformed`]) refuse it first. If one
//! of these tests fails because Automerge no longer panics, the bug is fixed
//! upstream: say so in SECURITY.md.

use std::num::NonZeroU64;
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::legacy::{Key, ObjectId, Op, OpType, SortedVec};
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, Change, ExpandedChange, ROOT, ScalarValue};
use passerelle_model::wellformed;

/// A document of one change by actor 1: `{"a": 1}` (operation 1).
fn base() -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(ActorId::from([1u8; 16]));
    doc.put(ROOT, "a", 1).unwrap();
    doc.commit();
    doc
}

/// A change of `ops` puts on the root, as Automerge encodes it.
fn change(actor: u8, seq: u64, start_op: u64, deps: &mut AutoCommit, ops: usize) -> Change {
    let put = |i: usize| Op {
        action: OpType::Put(ScalarValue::Int(i as i64)),
        obj: ObjectId::Root,
        key: Key::Map(format!("k{i}").as_str().into()),
        pred: SortedVec::new(),
        insert: false,
    };
    Change::from(ExpandedChange {
        operations: (0..ops).map(put).collect(),
        actor_id: ActorId::from([actor; 16]),
        hash: None,
        seq,
        start_op: NonZeroU64::new(start_op).unwrap(),
        time: 0,
        message: None,
        deps: deps.get_heads(),
        extra_bytes: vec![],
        author: None,
    })
}

fn panics(doc: &mut AutoCommit, change: Change) -> bool {
    catch_unwind(AssertUnwindSafe(|| doc.apply_changes([change]))).is_err()
}

/// Operation numbers past `u32::MAX`: Automerge 0.12 keeps them as `u32`
/// and unwraps the conversion (`types.rs:464`, `TryFromIntError`).
#[test]
fn operation_numbers_past_u32_panic_in_apply_changes() {
    let mut doc = base();
    let crafted = change(2, 1, u64::from(u32::MAX), &mut doc, 2);
    assert!(crafted.max_op() > u64::from(u32::MAX));
    assert!(wellformed::intrinsic(&crafted).is_err());
    assert!(
        panics(&mut doc, crafted),
        "Automerge no longer panics: fixed upstream?"
    );
}

/// A sequence number that skips one (seq 3 after seq 1 of the same
/// actor): Automerge 0.12 asserts instead of refusing it
/// (`change_graph.rs:569`, `assertion left == right failed`). The gate
/// refuses it as a sequence gap before Automerge sees it.
#[test]
fn a_sequence_gap_panics_in_apply_changes() {
    let mut doc = base();
    let crafted = change(1, 3, 2, &mut doc, 1);
    assert!(wellformed::intrinsic(&crafted).is_ok());
    assert!(
        panics(&mut doc, crafted),
        "Automerge no longer panics: fixed upstream?"
    );
}

/// A change numbered inside the range of one already held (start op 1
/// again, by another actor, on the heads): Automerge 0.12 accepts it in
/// memory, and the document it then saves does not load again. The gate
/// refuses operation numbers that do not follow those of the change's
/// dependencies.
#[test]
fn a_start_op_collision_saves_a_document_that_does_not_load() {
    let mut doc = base();
    let crafted = change(2, 1, 1, &mut doc, 1);
    let deps_max_op = 1;
    assert!(wellformed::follows(crafted.start_op().get(), crafted.max_op(), deps_max_op).is_err());
    assert!(!panics(&mut doc, crafted.clone()));
    assert!(doc.get_heads().contains(&crafted.hash()));
    let saved = doc.save();
    let reloads = catch_unwind(|| AutoCommit::load(&saved).is_ok()).unwrap_or(false);
    assert!(!reloads, "the saved document loads: fixed upstream?");
}
