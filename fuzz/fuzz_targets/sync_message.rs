//! A frame of `passerelle/sync/1` received by a node from a member: decoded
//! as the session decodes it, then handed to the node through the same
//! `Replica` calls the session makes (a sync message is merged, then
//! answered). A refused frame leaves every document's heads unchanged.
//!
//! Input: first byte 0, then a whole frame body; or first byte d > 0, then
//! the encoded Automerge sync message for document d - 1 of the node's
//! community (so the fuzzer need not guess the community's id).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use passerelle_core::{Node, NodeConfig, NodeReplica};
use passerelle_sync::wire::{SyncFrame, decode};
use passerelle_sync::{Replica, SyncMessage};

struct World {
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    _node: Node,
    replica: NodeReplica,
    shared: Vec<String>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (node, replica, shared) = runtime.block_on(async {
            let node = Node::start(NodeConfig::new(dir.path().join("node")))
            .unwrap();
            let h = node.handle();
            h.set_display_name("Fuzz").await.unwrap();
            h.load_example().await.unwrap();
            let replica = h.replica();
            // The node's own device is a member: it stands for the peer.
            let shared = replica.open_session(1, h.device_key().0.clone()).await;
            (node, replica, shared)
        });
        World {
            runtime,
            _dir: dir,
            _node: node,
            replica,
            shared,
        }
    })
}

async fn receive(w: &World, frame: SyncFrame) -> bool {
    let r = &w.replica;
    match frame {
        SyncFrame::Sync(message) => match r.receive(1, vec![message]).await {
            Ok(received) => {
                for (community, doc) in received.touched {
                    r.answer(1, community, doc).await;
                }
                true
            }
            Err(_) => false,
        },
        SyncFrame::Proofs { proofs } => {
            let mut taken = false;
            for (community, data) in proofs {
                taken |= r.accept_proof(1, community, data).await;
            }
            taken
        }
        SyncFrame::Summary { communities } => {
            r.first_messages(1, w.shared.clone(), communities).await;
            true
        }
        SyncFrame::Hello { communities, .. } => {
            r.held(communities).await;
            true
        }
        SyncFrame::Prove { communities } => {
            r.proofs(1, communities).await;
            true
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let w = world();
    w.runtime.block_on(async {
        let frame = if selector == 0 {
            match decode::<SyncFrame>(rest) {
                Ok(frame) => frame,
                Err(_) => return,
            }
        } else {
            SyncFrame::Sync(SyncMessage {
                community: w.shared[0].clone(),
                doc: selector - 1,
                data: rest.to_vec(),
            })
        };
        let before = w.replica.summary(1, w.shared.clone()).await;
        if !receive(w, frame).await {
            assert_eq!(before, w.replica.summary(1, w.shared.clone()).await);
        }
    });
});
