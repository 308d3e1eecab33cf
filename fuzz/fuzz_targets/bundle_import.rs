//! A bundle imported by a node (`Handle::import_bundle`) that holds the
//! example community. The input is the bundle's body: the harness adds the
//! magic and a valid checksum, as a forger would, so the fuzzer explores
//! what lies behind the checksum. A refused bundle leaves the node's
//! communities and their heads unchanged.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use passerelle_core::{Handle, Node, NodeConfig, NodeReplica};
use passerelle_sync::Replica;

const MAGIC: &[u8] = b"PASSERELLE-BUNDLE\x01";

struct World {
    runtime: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    _node: Node,
    handle: Handle,
    replica: NodeReplica,
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
        let (node, handle, replica) = runtime.block_on(async {
            let node = Node::start(NodeConfig::new(dir.path().join("node")))
            .unwrap();
            let h = node.handle();
            h.set_display_name("Fuzz").await.unwrap();
            let id = h.load_example().await.unwrap();
            // A real bundle to start a corpus from.
            h.export_bundle(&id, &dir.path().join("example.bundle"), false)
                .await
                .unwrap();
            let replica = h.replica();
            replica.open_session(1, h.device_key().0.clone()).await;
            (node, h, replica)
        });
        World {
            runtime,
            dir,
            _node: node,
            handle,
            replica,
        }
    })
}

fuzz_target!(|body: &[u8]| {
    let w = world();
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(body);
    let hash = blake3::hash(&bytes);
    bytes.extend_from_slice(hash.as_bytes());
    let path: PathBuf = w.dir.path().join("input.bundle");
    std::fs::write(&path, &bytes).unwrap();
    w.runtime.block_on(async {
        let held: Vec<String> = w
            .handle
            .communities()
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id.0)
            .collect();
        let before = w.replica.summary(1, held.clone()).await;
        if w.handle.import_bundle(&path).await.is_err() {
            let now: Vec<String> = w
                .handle
                .communities()
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.id.0)
                .collect();
            assert_eq!(held, now);
            assert_eq!(before, w.replica.summary(1, held).await);
        }
    });
});
