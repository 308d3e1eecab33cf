//! Review of the meeting allowance and the community's bounds
//! (`node/peers/growth.rs`, 9d1a5e4), as a member's modified app: how
//! cheaply can one member bring the community to its bounds, after which
//! every member's own new changes wait (`growth_limit`) at every meeting?

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT};
use passerelle_model::bounds::check_chunks;

/// `growth::MAX_GROWTH_OPS`, `MAX_GROWTH_BYTES`, `MAX_COMMUNITY_OPS`,
/// `MAX_COMMUNITY_INFLATED` (the module is the crate's own).
const SESSION_OPS: u64 = 200_000;
const SESSION_BYTES: u64 = 8 * 1024 * 1024;
const COMMUNITY_OPS: u64 = 4_500_000;
const COMMUNITY_INFLATED: u64 = 48 * 1024 * 1024;

/// One change of `SESSION_OPS` operations (a list of nulls, as a modified
/// app writes it): Automerge's run-length columns make it a few hundred
/// bytes, so the byte allowance never binds and the community's operation
/// bound (4.5 million) is reached in 23 meetings of a few KB each. The
/// safe outcome asserted: filling the community takes at least as many
/// bytes as its byte bound would.
#[test]
#[ignore = "open: one member fills MAX_COMMUNITY_OPS with 23 meetings of a few hundred bytes (run-length encoded operations)"]
fn a_member_cannot_fill_the_community_cheaply() {
    let mut doc = AutoCommit::new();
    let list = doc.put_object(ROOT, "l", ObjType::List).unwrap();
    doc.commit();
    for i in 0..(SESSION_OPS as usize - 1) {
        doc.insert(&list, i, ()).unwrap();
    }
    doc.commit();
    let change = doc.get_last_local_change().unwrap();
    let bytes = change.raw_bytes().to_vec();
    let inflated = check_chunks(&bytes, 64 << 20).unwrap().inflated as u64;
    let ops = change.len() as u64;
    let sessions = COMMUNITY_OPS.div_ceil(ops);
    let total = sessions * inflated;
    eprintln!(
        "one change: {ops} ops, {} bytes on the wire, {inflated} inflated (session allowance {SESSION_BYTES} B); \
         {sessions} meetings and {total} bytes reach {COMMUNITY_OPS} ops (byte bound {COMMUNITY_INFLATED})",
        bytes.len()
    );
    assert!(ops <= SESSION_OPS);
    assert!(
        total >= COMMUNITY_INFLATED,
        "the community is full after {sessions} meetings of {inflated} bytes"
    );
}
