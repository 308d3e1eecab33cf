//! Received changes written as they came (`gate::Merged::written`,
//! `Loaded::unsaved`, `State::persist_docs`), attacked through a real node:
//! what a peer sends must not make the files the node writes unreadable.
//! Attacks that still work assert the safe outcome and are
//! `#[ignore = "open: ..."]`.

mod common;
use common::*;

use passerelle_sync::SyncMessage;

/// The message with the checksum (header bytes 4..8) of every change chunk
/// it carries changed: the same changes, the same hashes and signatures.
fn wrong_checksums(mut m: SyncMessage) -> (SyncMessage, usize) {
    let (signatures, data) = passerelle_core::model::signing::unwrap_file(&m.data).unwrap();
    let mut message = automerge::sync::Message::decode(data).unwrap();
    let mut changed = 0;
    let chunks: Vec<Vec<u8>> = message
        .changes
        .iter()
        .map(|c| {
            let mut c = c.to_vec();
            if c.len() > 9 && c[8] != 0 {
                c[4] ^= 0xff;
                changed += 1;
            }
            c
        })
        .collect();
    message.changes = chunks.into();
    m.data = passerelle_core::model::signing::wrap_file(&signatures, &message.encode());
    (m, changed)
}

/// A member's device (or any member relaying them) sends honest changes
/// with their chunk checksums changed. The gate takes them (same hashes,
/// valid signatures); the node writes them as they came; started again on
/// its data directory, it refuses the file ("bad checksum") and
/// quarantines it: what it received in that meeting is gone from its
/// documents.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_with_wrong_checksums_do_not_make_files_the_node_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (a, t) = (start(dir, "a").await, start(dir, "t").await);
    let (ha, ht) = (a.handle(), t.handle());
    let community = ha.load_example().await.unwrap();
    admit(&ha, &community, &ht, 1).await;
    let bundle = dir.join("first.bundle");
    ha.export_bundle(&community, &bundle, false).await.unwrap();
    ht.import_bundle(&bundle).await.unwrap();
    for title in ["Un arrosoir", "Des tuteurs", "Une brouette"] {
        ha.apply(&community, add_need(&ha, title)).await.unwrap();
    }
    let tampered = sync(&ha, &ht, 1, wrong_checksums).await;
    assert!(tampered > 0, "A sent changes");
    let titles = |view: &passerelle_core::model::CommunityView| {
        let mut t: Vec<String> = view.exchanges.iter().map(|e| e.title.clone()).collect();
        t.sort();
        t
    };
    let before = titles(&ht.view(&community).await.unwrap());
    assert!(before.iter().any(|t| t == "Une brouette"), "T took them");
    drop(ht);
    t.shutdown().await;

    let t = start(dir, "t").await;
    let ht = t.handle();
    let quarantined = ht.quarantined().await.unwrap();
    let after = titles(&ht.view(&community).await.unwrap());
    drop(ht);
    t.shutdown().await;
    drop(ha);
    a.shutdown().await;
    let lost: Vec<&String> = before.iter().filter(|t| !after.contains(t)).collect();
    eprintln!(
        "{} exchanges before the restart, {} after; lost: {lost:?}",
        before.len(),
        after.len()
    );
    assert!(
        quarantined.is_empty(),
        "files quarantined at the next start: {:?}",
        quarantined.iter().map(|q| &q.reason).collect::<Vec<_>>()
    );
    assert_eq!(after, before);
}
