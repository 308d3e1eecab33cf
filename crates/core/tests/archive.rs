//! Daily archives of an always-on node: one verified bundle per community
//! and day, the last N kept, the clock passed in. Every kept archive must
//! verify without a device and bring the community back, files included,
//! on the node's restored identity.

mod common;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use passerelle_core::model::{CommunityId, ItemKind};
use passerelle_core::{
    BundleError, CoreError, Handle, Node, NodeConfig, Passphrase, verify_bundle,
};

const PASSPHRASE: &str = "la maison du quartier";

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap() + chrono::Days::new(u64::from(n))
}

/// An offer for day `n`, so each archive holds one more than the day before.
async fn add_offer(h: &Handle, c: &CommunityId, n: u32) -> String {
    let outcome = h
        .apply(c, common::add_need(h, &format!("Coup de main du jour {n}")))
        .await
        .unwrap();
    outcome.id.to_string()
}

/// The archives in a community's folder, by name.
fn listed(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// A fresh device restored from `backup`, with `bundle` imported: what the
/// social centre gets back after its computer died.
async fn restored_with(root: &Path, backup: &Path, bundle: &Path) -> Node {
    passerelle_core::restore_backup(root, backup, PASSPHRASE).unwrap();
    let node = Node::start(NodeConfig::new(root)).unwrap();
    let import = node.handle().import_bundle(bundle).await.unwrap();
    assert!(
        import.added,
        "{}: the community comes back",
        bundle.display()
    );
    assert_eq!(import.refused, 0);
    node
}

#[tokio::test]
async fn n_plus_two_days_keep_the_last_n_and_each_brings_the_community_back() {
    const KEEP: usize = 3;
    let tmp = tempfile::tempdir().unwrap();
    let node = common::start(tmp.path(), "maison").await;
    let h = node.handle();
    let c = h.create_community("Maison du quartier", "").await.unwrap();
    let first = add_offer(&h, &c, 0).await;
    let notes = b"Horaires de la permanence: mardi et jeudi, 14h-18h.\n".to_vec();
    let attached = h
        .attach_bytes(
            &c,
            ItemKind::Exchange,
            &first.clone().into(),
            "horaires.txt",
            notes.clone(),
        )
        .await
        .unwrap();
    let backup = tmp.path().join("maison.backup");
    h.create_backup(&backup, &Passphrase::from(PASSPHRASE.to_owned()))
        .await
        .unwrap();
    let dir = tmp.path().join("archives");
    let folder = dir.join(c.as_str());
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("notes.txt"), "not an archive").unwrap();
    // What a run stopped before its verification left: never an archive.
    let partial = folder.join("2026-12-01_maison-du-quartier.passerelle.partial");
    std::fs::write(&partial, "cut short").unwrap();

    let mut written: Vec<PathBuf> = Vec::new();
    for n in 0..KEEP as u32 + 2 {
        if n > 0 {
            add_offer(&h, &c, n).await;
        }
        let run = h.archive(&dir, KEEP, day(n)).await.unwrap();
        assert!(run.failed.is_empty(), "{:?}", run.failed);
        assert!(!partial.exists());
        assert_eq!(run.archived.len(), 1);
        let archived = &run.archived[0];
        assert!(archived.written);
        assert_eq!(archived.name, "Maison du quartier");
        assert!(archived.bytes > 0);
        written.push(archived.file.clone());
        // The same day again writes nothing and removes nothing.
        let again = h.archive(&dir, KEEP, day(n)).await.unwrap();
        assert!(!again.archived[0].written);
        assert!(again.archived[0].removed.is_empty());
        assert_eq!(again.archived[0].file, archived.file);
    }
    let names = listed(&folder);
    assert_eq!(
        names,
        [
            "2026-12-03_maison-du-quartier.passerelle",
            "2026-12-04_maison-du-quartier.passerelle",
            "2026-12-05_maison-du-quartier.passerelle",
            "notes.txt",
        ],
        "the last {KEEP} days, and nothing else removed"
    );

    // Each kept archive verifies on its own and brings back the state of
    // its day, with the file, on the restored identity.
    for (n, file) in written.iter().enumerate().skip(2) {
        let bytes = std::fs::read(file).unwrap();
        let check = verify_bundle(&bytes).unwrap();
        assert!(check.is_whole(), "{check:?}");
        assert_eq!(check.community, c);
        assert_eq!(check.name, "Maison du quartier");
        assert_eq!((check.files, check.files_missing), (1, 0));

        let root = tmp.path().join(format!("restored-{n}"));
        let restored = restored_with(&root, &backup, file).await;
        let r = restored.handle();
        let view = r.view(&c).await.unwrap();
        let mut titles: Vec<&str> = view.exchanges.iter().map(|e| e.title.as_str()).collect();
        titles.sort();
        let expected: Vec<String> = (0..=n)
            .map(|d| format!("Coup de main du jour {d}"))
            .collect();
        assert_eq!(titles, expected, "day {n}");
        assert_eq!(r.read_blob(&c, &attached.hash).await.unwrap(), notes);
        restored.shutdown().await;
    }

    // A clock set back removes none of the newer archives: today's is
    // written, and the last N days stay beside it.
    let back = h.archive(&dir, KEEP, day(0)).await.unwrap();
    assert!(back.archived[0].written);
    assert!(back.archived[0].removed.is_empty());
    let now = listed(&folder);
    assert_eq!(now.len(), names.len() + 1);
    assert!(names.iter().all(|n| now.contains(n)));
    node.shutdown().await;
}

#[tokio::test]
async fn a_damaged_archive_does_not_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let node = common::start(tmp.path(), "maison").await;
    let h = node.handle();
    let c = h.create_community("Maison du quartier", "").await.unwrap();
    let id = add_offer(&h, &c, 0).await;
    let attached = h
        .attach_bytes(
            &c,
            ItemKind::Exchange,
            &id.clone().into(),
            "plan.txt",
            b"salle 2".to_vec(),
        )
        .await
        .unwrap();
    let run = h.archive(tmp.path(), 2, day(0)).await.unwrap();
    let bytes = std::fs::read(&run.archived[0].file).unwrap();

    // A flipped bit in the documents: the checksum says so.
    let mut flipped = bytes.clone();
    flipped[60] ^= 1;
    assert!(matches!(
        verify_bundle(&flipped),
        Err(CoreError::Bundle(BundleError::BadChecksum))
    ));
    // Cut short.
    assert!(verify_bundle(&bytes[..bytes.len() / 2]).is_err());
    // A file whose bytes changed is left out: readable, but not whole.
    let at = bytes
        .windows(7)
        .rposition(|w| w == b"salle 2")
        .expect("the file is in the archive");
    let mut changed = bytes.clone();
    changed[at] = b'S';
    let check = verify_bundle(&changed).unwrap();
    assert_eq!(
        (check.files, check.files_refused, check.files_missing),
        (0, 1, 1)
    );
    assert!(!check.is_whole());
    // Not a bundle at all.
    assert!(matches!(
        verify_bundle(b"hello"),
        Err(CoreError::Bundle(BundleError::NotABundle))
    ));
    assert!(h.read_blob(&c, &attached.hash).await.is_ok());
    node.shutdown().await;
}
