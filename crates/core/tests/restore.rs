//! Restoring a personal backup over the identity of a first start (the
//! app's node made one before the user chose to restore): allowed only
//! while that identity was never used, and nothing is written otherwise.

mod common;

use std::path::{Path, PathBuf};

use passerelle_core::{
    BackupError, CoreError, Node, NodeConfig, Passphrase, PassphraseError, open_backup,
    restore_backup_over_unused,
};

const PASSPHRASE: &str = "trois pommes vertes";

/// Amina's device with one community, and her backup in `dir/backup`.
async fn backup_of_amina(dir: &Path) -> (PathBuf, passerelle_core::model::DeviceKey) {
    let node = common::start(dir, "amina").await;
    let h = node.handle();
    h.create_community("Quartier", "").await.unwrap();
    let file = dir.join("backup");
    h.create_backup(&file, &Passphrase::from(PASSPHRASE.to_owned()))
        .await
        .unwrap();
    let device = h.device_key().clone();
    node.shutdown().await;
    (file, device)
}

/// A data directory as the app's first start leaves it: a node started
/// once (an identity, no profile, no community), then stopped.
async fn first_start(root: &Path) {
    let node = Node::start(NodeConfig::new(root)).unwrap();
    node.shutdown().await;
}

/// Every file under `root` with its bytes, to show nothing changed.
fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.file_name().is_some_and(|n| n != "lock") {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn a_first_start_identity_is_replaced_by_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let (file, amina) = backup_of_amina(dir.path()).await;
    let root = dir.path().join("new");
    first_start(&root).await;

    let opened = open_backup(&file, PASSPHRASE).unwrap();
    assert_eq!(opened.display_name(), Some("amina"));
    let restored = restore_backup_over_unused(&root, opened).unwrap();
    assert_eq!(restored.device, amina);
    assert_eq!(restored.communities.len(), 1);
    assert_eq!(restored.communities[0].name, "Quartier");

    let node = Node::start(NodeConfig::new(&root)).unwrap();
    let h = node.handle();
    assert_eq!(h.device_key(), &amina, "the backed-up device, not a copy");
    assert!(h.renewed_identity().is_none());
    assert_eq!(h.profile().await.unwrap().unwrap().display_name, "amina");
    let awaited = h.awaited_communities().await.unwrap();
    assert_eq!(
        awaited.len(),
        1,
        "the community comes back at the next sync"
    );
    assert_eq!(awaited[0].name, "Quartier");
    node.shutdown().await;
}

#[tokio::test]
async fn a_used_identity_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = backup_of_amina(dir.path()).await;

    // A name was given.
    let named = dir.path().join("named");
    let node = common::start(dir.path(), "named").await;
    node.shutdown().await;
    // A community is held (its profile gone: the community alone counts).
    let member = dir.path().join("member");
    let node = common::start(dir.path(), "member").await;
    node.handle().create_community("Jardin", "").await.unwrap();
    node.shutdown().await;
    std::fs::remove_file(member.join("profile.json")).unwrap();
    // An earlier restore waits for its communities (the backup had no profile
    // file left here: the list alone says the identity is someone's).
    let restored = dir.path().join("restored");
    first_start(&restored).await;
    restore_backup_over_unused(&restored, open_backup(&file, PASSPHRASE).unwrap()).unwrap();
    std::fs::remove_file(restored.join("profile.json")).unwrap();

    for root in [&named, &member, &restored] {
        let before = snapshot(root);
        let opened = open_backup(&file, PASSPHRASE).unwrap();
        let refused = restore_backup_over_unused(root, opened).unwrap_err();
        assert!(
            matches!(
                refused,
                CoreError::Backup(BackupError::IdentityInUse(ref p)) if p == root
            ),
            "{}: {refused}",
            root.display()
        );
        assert_eq!(
            snapshot(root),
            before,
            "{}: nothing written",
            root.display()
        );
    }
}

#[tokio::test]
async fn a_running_node_keeps_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = backup_of_amina(dir.path()).await;
    let root = dir.path().join("running");
    let node = Node::start(NodeConfig::new(&root)).unwrap();
    let before = snapshot(&root);
    let opened = open_backup(&file, PASSPHRASE).unwrap();
    let refused = restore_backup_over_unused(&root, opened).unwrap_err();
    assert!(matches!(refused, CoreError::Locked(_)), "{refused}");
    assert_eq!(snapshot(&root), before);
    node.shutdown().await;
}

#[tokio::test]
async fn a_wrong_passphrase_another_file_or_a_damaged_backup_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = backup_of_amina(dir.path()).await;

    let wrong = open_backup(&file, "pas la bonne phrase").err().unwrap();
    assert!(
        matches!(
            wrong,
            CoreError::Passphrase(PassphraseError::WrongForBackup)
        ),
        "{wrong}"
    );

    let picture = dir.path().join("photo.png");
    std::fs::write(&picture, b"\x89PNG\r\n\x1a\n not a backup").unwrap();
    let other = open_backup(&picture, PASSPHRASE).err().unwrap();
    assert!(
        matches!(other, CoreError::Backup(BackupError::NotABackup)),
        "{other}"
    );

    let text = std::fs::read_to_string(&file).unwrap();
    let cut = dir.path().join("cut");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let damaged = open_backup(&cut, PASSPHRASE).err().unwrap();
    assert!(
        matches!(damaged, CoreError::Backup(BackupError::Damaged(_))),
        "{damaged}"
    );

    let missing = open_backup(&dir.path().join("nowhere"), PASSPHRASE)
        .err()
        .unwrap();
    assert!(matches!(missing, CoreError::Io { .. }), "{missing}");
}
