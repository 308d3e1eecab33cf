//! The rule that sends an empty peer a document once per session
//! (`node/peers/receive.rs`, docs/PROTOCOL.md "An empty peer is sent a
//! document once"), driven through a real node's replica by a member's
//! modified app that keeps saying it holds nothing.

mod common;
use common::*;

use automerge::AutoCommit;
use automerge::sync::SyncDoc;
use passerelle_core::model::{CommunityId, DocKind};
use passerelle_sync::{Replica, SessionId, SyncMessage};

/// A member device listed in the node's example community (its key is
/// the session's peer).
async fn node_with_member(dir: &std::path::Path) -> (passerelle_core::Node, CommunityId, String) {
    let node = start(dir, "a").await;
    let handle = node.handle();
    let community = handle.load_example().await.unwrap();
    let key = "ab".repeat(32);
    let request = invite(&handle, &community, 1).await;
    let reply = handle.replica().admit(key.clone(), request).await;
    assert!(matches!(reply, passerelle_sync::JoinReply::Admitted { .. }));
    (node, community, key)
}

/// What an empty document says: no heads, no changes.
fn empty_heads(community: &CommunityId, doc: u8) -> SyncMessage {
    let mut empty = AutoCommit::new();
    let mut state = automerge::sync::State::new();
    let message = empty.sync().generate_sync_message(&mut state).unwrap();
    SyncMessage {
        community: community.0.clone(),
        doc,
        data: message.encode(),
    }
}

/// One round of "I hold nothing" for every document of `community`: the
/// bytes the node answers.
async fn round(
    replica: &passerelle_core::NodeReplica,
    session: SessionId,
    community: &CommunityId,
) -> usize {
    let frames: Vec<SyncMessage> = (0..DocKind::ALL.len() as u8)
        .map(|d| empty_heads(community, d))
        .collect();
    let received = replica.receive(session, frames).await.unwrap();
    let mut sent = 0;
    for (c, d) in received.touched {
        sent += replica
            .answer(session, c, d)
            .await
            .map_or(0, |m| m.data.len());
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_saying_it_holds_nothing_again_and_again_gets_each_document_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (node, community, key) = node_with_member(tmp.path()).await;
    let replica = node.handle().replica();
    let session: SessionId = 1;
    let shared = replica.open_session(session, key.clone()).await;
    assert!(shared.contains(&community.0));
    replica
        .first_messages(session, vec![community.0.clone()], Vec::new())
        .await;
    let whole = round(&replica, session, &community).await;
    assert!(
        whole > 5_000,
        "the example community is sent whole: {whole}"
    );

    // 100 more rounds of "I hold nothing", each answered.
    let mut again = 0;
    for _ in 0..100 {
        again += round(&replica, session, &community).await;
    }
    assert!(
        again < whole / 10,
        "{again} bytes sent again after {whole} (the documents once, not 100 times)"
    );

    // A third device's session with the same node is not affected: a fresh
    // empty peer is sent everything.
    let other = "cd".repeat(32);
    let request = invite(&node.handle(), &community, 2).await;
    replica.admit(other.clone(), request).await;
    let second: SessionId = 2;
    replica.open_session(second, other).await;
    replica
        .first_messages(second, vec![community.0.clone()], Vec::new())
        .await;
    let theirs = round(&replica, second, &community).await;
    assert!(theirs >= whole * 9 / 10, "{theirs} < {whole}");
    drop(replica);
    node.shutdown().await;
}

/// The peer's copy of each document, as its app keeps them.
struct Copies(Vec<(AutoCommit, automerge::sync::State)>);

impl Copies {
    fn new() -> Self {
        Copies(
            DocKind::ALL
                .iter()
                .map(|_| (AutoCommit::new(), automerge::sync::State::new()))
                .collect(),
        )
    }

    /// Takes in what the node sent.
    fn take(&mut self, message: &SyncMessage) {
        let (doc, state) = &mut self.0[message.doc as usize];
        let (_, data) = passerelle_core::model::signing::unwrap_file(&message.data).unwrap();
        let message = automerge::sync::Message::decode(data).unwrap();
        doc.sync().receive_sync_message(state, message).unwrap();
    }

    /// What the copy of document `d` says: its heads, nothing else.
    fn heads(&mut self, community: &CommunityId, d: u8) -> SyncMessage {
        let (doc, _) = &mut self.0[d as usize];
        let mut fresh = automerge::sync::State::new();
        let mut message = doc.sync().generate_sync_message(&mut fresh).unwrap();
        message.changes = automerge::sync::ChunkList::empty();
        SyncMessage {
            community: community.0.clone(),
            doc: d,
            data: message.encode(),
        }
    }
}

/// A member's app that alternates between its real heads and "I hold
/// nothing" (a peer that lost its data, as Automerge reads it) would have
/// the node send it every document whole each time: a few bytes asking for
/// megabytes, and changes going out keep the session from ending idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_pretending_to_lose_its_data_over_and_over_gets_each_document_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (node, community, key) = node_with_member(tmp.path()).await;
    let replica = node.handle().replica();
    let session: SessionId = 1;
    replica.open_session(session, key).await;
    let mut copies = Copies::new();
    for m in replica
        .first_messages(session, vec![community.0.clone()], Vec::new())
        .await
    {
        copies.take(&m);
    }
    let docs = DocKind::ALL.len() as u8;
    let mut per_round = Vec::new();
    for i in 0..20 {
        let frames: Vec<SyncMessage> = (0..docs)
            .map(|d| {
                if i % 2 == 0 {
                    empty_heads(&community, d)
                } else {
                    copies.heads(&community, d)
                }
            })
            .collect();
        let received = replica.receive(session, frames).await.unwrap();
        let mut sent = 0;
        for (c, d) in received.touched {
            if let Some(m) = replica.answer(session, c, d).await {
                sent += m.data.len();
                copies.take(&m);
            }
        }
        per_round.push(sent);
    }
    let whole = per_round[0];
    let again: usize = per_round[1..].iter().sum();
    assert!(whole > 5_000, "{per_round:?}");
    assert!(
        again < whole / 2,
        "{again} bytes sent again after {whole}: {per_round:?}"
    );
    drop(replica);
    node.shutdown().await;
}
