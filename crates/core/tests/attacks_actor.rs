//! The actor that starts over from disk after a job panics
//! (`node/actor.rs`), attacked through a node's `Replica` as a member's
//! modified app drives it: can foreign input still make a job panic, and
//! what does a panic cost the node and leave of its rules?

mod common;
use common::*;

use std::time::Instant;

use automerge::AutoCommit;
use automerge::sync::SyncDoc;
use automerge::transaction::Transactable;
use passerelle_core::model::{CommunityId, DocKind};
use passerelle_core::{Handle, Node};
use passerelle_sync::{Replica, SessionId, SyncMessage};

fn uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_uleb(bytes: &[u8], at: &mut usize) -> u64 {
    let mut value = 0u64;
    for shift in 0..10 {
        let b = bytes[*at];
        *at += 1;
        value |= u64::from(b & 0x7f) << (7 * shift);
        if b & 0x80 == 0 {
            break;
        }
    }
    value
}

/// An uncompressed change chunk with its sequence number and first
/// operation number set to `seq` and `start_op`, the rest as it was. The
/// checksum is set from the new hash, as Automerge names the change.
fn renumbered(chunk: &[u8], seq: u64, start_op: u64) -> Vec<u8> {
    rewritten(chunk, None, seq, start_op)
}

/// [`renumbered`], its dependencies replaced by `deps` if given.
fn rewritten(chunk: &[u8], deps: Option<&[[u8; 32]]>, seq: u64, start_op: u64) -> Vec<u8> {
    assert_eq!(chunk[8], 1, "an uncompressed change chunk");
    let mut at = 9;
    let len = read_uleb(chunk, &mut at) as usize;
    let body = &chunk[at..at + len];
    let mut r = 0;
    let n_deps = read_uleb(body, &mut r) as usize;
    r += 32 * n_deps;
    let actor_at = r;
    let actor_len = read_uleb(body, &mut r) as usize;
    r += actor_len;
    let fields_at = r;
    read_uleb(body, &mut r); // seq
    read_uleb(body, &mut r); // start op
    let mut new_body = Vec::new();
    match deps {
        Some(deps) => {
            uleb(&mut new_body, deps.len() as u64);
            for d in deps {
                new_body.extend_from_slice(d);
            }
        }
        None => new_body.extend_from_slice(&body[..actor_at]),
    }
    new_body.extend_from_slice(&body[actor_at..fields_at]);
    uleb(&mut new_body, seq);
    uleb(&mut new_body, start_op);
    new_body.extend_from_slice(&body[r..]);
    let mut out = chunk[..9].to_vec();
    uleb(&mut out, new_body.len() as u64);
    out.extend_from_slice(&new_body);
    let hash = automerge::Change::try_from(out.as_slice())
        .expect("Automerge reads the renumbered change")
        .hash();
    out[4..8].copy_from_slice(&hash.0[..4]);
    out
}

/// A sync message for one document of `community` carrying `chunks`.
fn message_with(community: &CommunityId, kind: DocKind, chunks: Vec<Vec<u8>>) -> SyncMessage {
    let mut doc = AutoCommit::new();
    let mut state = automerge::sync::State::new();
    let mut message = doc.sync().generate_sync_message(&mut state).unwrap();
    message.changes = chunks.into();
    SyncMessage {
        community: community.0.clone(),
        doc: DocKind::ALL.iter().position(|k| *k == kind).unwrap() as u8,
        data: message.encode(),
    }
}

/// A change of two operations by `actor`, as Automerge writes it.
fn two_operations(actor: &automerge::ActorId) -> Vec<u8> {
    let mut doc = AutoCommit::new().with_actor(actor.clone());
    doc.put(automerge::ROOT, "a", 1).unwrap();
    doc.put(automerge::ROOT, "b", 2).unwrap();
    doc.get_last_local_change().unwrap().raw_bytes().to_vec()
}

/// A member device `key` (64 hex) listed in `community` through an invite.
async fn list_device(admin: &Handle, community: &CommunityId, key: &str, n: u8) {
    let request = invite(admin, community, n).await;
    let reply = admin.replica().admit(key.to_owned(), request).await;
    assert!(
        matches!(reply, passerelle_sync::JoinReply::Admitted { .. }),
        "{reply:?}"
    );
}

/// A node holding the example community, and a member device's key whose
/// session the test drives (the member's modified app).
async fn node_with_member(dir: &std::path::Path) -> (Node, Handle, CommunityId, String) {
    let node = start(dir, "a").await;
    let handle = node.handle();
    let community = handle.load_example().await.unwrap();
    let key = "ab".repeat(32);
    list_device(&handle, &community, &key, 1).await;
    (node, handle, community, key)
}

/// A member sends a change numbered `u64::MAX` by its device, and one
/// whose first operation number is past `u32` (Automerge itself refuses to
/// read that one): each is refused, the session goes on, no job panics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_at_the_edge_of_their_range_are_refused_without_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let (node, handle, community, key) = node_with_member(tmp.path()).await;
    let replica = handle.replica();
    let session: SessionId = 7;
    let shared = replica.open_session(session, key.clone()).await;
    assert!(shared.contains(&community.0), "the member is served");
    let actor = passerelle_core::model::DeviceKey(key.clone()).actor();
    let change = two_operations(&actor);
    let past_u32 = std::panic::catch_unwind(|| renumbered(&change, 1, u64::MAX));
    assert!(past_u32.is_err(), "Automerge reads no such change");
    let crafted = renumbered(&change, u64::MAX, 1);
    let frame = message_with(&community, DocKind::Exchanges, vec![crafted]);
    let received = replica.receive(session, vec![frame]).await;
    assert!(received.is_ok(), "judged, not a failed job: {received:?}");
    assert_eq!(
        replica.summary(session, shared).await.len(),
        1,
        "the session stands: the node did not start over"
    );
    drop((replica, handle));
    node.shutdown().await;
}

/// The member's copy of one document of `community`, fetched through the
/// node's replica as a peer's app syncs it.
async fn fetch(
    replica: &passerelle_core::NodeReplica,
    session: SessionId,
    community: &CommunityId,
    kind: DocKind,
) -> AutoCommit {
    let index = DocKind::ALL.iter().position(|k| *k == kind).unwrap() as u8;
    let mut doc = AutoCommit::new();
    let mut state = automerge::sync::State::new();
    let mut incoming = replica
        .first_messages(session, vec![community.0.clone()], Vec::new())
        .await;
    for _ in 0..40 {
        for m in incoming.drain(..).filter(|m| m.doc == index) {
            let (_, data) = passerelle_core::model::signing::unwrap_file(&m.data).unwrap();
            let message = automerge::sync::Message::decode(data).unwrap();
            doc.sync()
                .receive_sync_message(&mut state, message)
                .unwrap();
        }
        let Some(out) = doc.sync().generate_sync_message(&mut state) else {
            break;
        };
        let frame = SyncMessage {
            community: community.0.clone(),
            doc: index,
            data: out.encode(),
        };
        let received = replica.receive(session, vec![frame]).await.unwrap();
        for (c, d) in received.touched {
            incoming.extend(replica.answer(session, c, d).await);
        }
        if incoming.is_empty() {
            break;
        }
    }
    doc
}

/// A sync message for one document carrying `chunks` and `signature`.
fn signed_message(
    community: &CommunityId,
    kind: DocKind,
    chunks: Vec<Vec<u8>>,
    seq: u64,
    signature: passerelle_core::model::signing::Signed,
) -> SyncMessage {
    let mut frame = message_with(community, kind, chunks);
    let mut signatures = passerelle_core::model::signing::Signatures::default();
    assert!(signatures.keep(seq, signature));
    frame.data = passerelle_core::model::signing::wrap_file(&signatures, &frame.data);
    frame
}

/// A member's device signs its first change, then sends a second change
/// under number 1 (refused, kept aside as a reused number) with,
/// in the same message, a change of its numbered `u64::MAX` and a signed
/// change depending on it. Gathering the evidence follows the signed
/// change's chain down through its device's numbers: `u64::MAX + 1`
/// overflowed there in a debug build, a panic in the job, and every
/// community read again from disk, once per such message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equivocation_next_to_a_change_numbered_u64_max_does_not_panic() {
    use passerelle_core::model::signing::Signed;
    let tmp = tempfile::tempdir().unwrap();
    let node = start(tmp.path(), "a").await;
    let handle = node.handle();
    let community = handle.load_example().await.unwrap();
    let secret = [7u8; 32];
    let key = Signed::with_secret(&secret, automerge::ChangeHash([0; 32]))
        .device()
        .0;
    list_device(&handle, &community, &key, 1).await;
    let actor = passerelle_core::model::DeviceKey(key.clone()).actor();
    let replica = handle.replica();
    let session: SessionId = 21;
    assert_eq!(
        replica.open_session(session, key.clone()).await,
        vec![community.0.clone()]
    );
    let kind = DocKind::Exchanges;
    let mut doc = fetch(&replica, session, &community, kind).await;
    assert!(!doc.get_heads().is_empty(), "the member holds the document");
    let heads = doc.get_heads();
    doc.set_actor(actor.clone());

    // Its first change, signed: taken.
    doc.put(automerge::ROOT, "x", 1).unwrap();
    let first = doc.get_last_local_change().unwrap();
    let first_bytes = first.raw_bytes().to_vec();
    let frame = signed_message(
        &community,
        kind,
        vec![first_bytes.clone()],
        1,
        Signed::with_secret(&secret, first.hash()),
    );
    replica.receive(session, vec![frame]).await.unwrap();

    // A second change numbered 1, on the same past: an equivocation.
    let mut fork = doc.fork_at(&heads).unwrap().with_actor(actor.clone());
    fork.put(automerge::ROOT, "y", 2).unwrap();
    let second = fork.get_last_local_change().unwrap().raw_bytes().to_vec();
    let start_op = first.start_op().get();
    let top = renumbered(&first_bytes, u64::MAX, start_op);
    let top_hash = automerge::Change::try_from(top.as_slice()).unwrap().hash();
    let signed = rewritten(&first_bytes, Some(&[top_hash.0]), 2, start_op);
    let signed_hash = automerge::Change::try_from(signed.as_slice())
        .unwrap()
        .hash();
    let frame = signed_message(
        &community,
        kind,
        vec![second, top, signed],
        2,
        Signed::with_secret(&secret, signed_hash),
    );
    let started = Instant::now();
    let received = replica.receive(session, vec![frame]).await;
    eprintln!("the crafted frame: {received:?} in {:?}", started.elapsed());
    assert!(received.is_ok(), "judged, not a failed job: {received:?}");
    let refused = handle.refused_changes(&community).await.unwrap();
    // Unsigned by itself, the second change proves nothing against the
    // device: it is kept aside as a reused number, and refused.
    assert!(
        refused.iter().any(|r| r.code == "reused_number"),
        "the second change under number 1 is refused: {refused:?}"
    );
    drop((replica, handle));
    node.shutdown().await;
}
