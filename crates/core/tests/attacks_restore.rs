//! Crafted backup files against the restore of the app's first start:
//! each is refused by `open_backup` quickly, within memory, and the data
//! directory it would have been restored into is byte-for-byte unchanged.
//!
//! The backups are sealed here as `backup.rs` seals them (Argon2id,
//! XChaCha20-Poly1305), with content chosen by the attacker who made the
//! file and knows its passphrase.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use passerelle_core::{
    BackupError, CoreError, Node, NodeConfig, open_backup, restore_backup_over_unused,
};
use serde_json::{Value, json};

const PASSPHRASE: &str = "trois pommes vertes";
const HEX: data_encoding::Encoding = data_encoding::HEXLOWER;

/// Key derivation cost of a crafted backup.
struct Cost {
    memory_kib: u32,
    passes: u32,
    lanes: u32,
}

/// A cheap cost, so crafted content is quick to seal and open.
const CHEAP: Cost = Cost {
    memory_kib: 64,
    passes: 1,
    lanes: 1,
};

fn seal(cipher: &XChaCha20Poly1305, plain: &[u8]) -> Vec<u8> {
    let nonce: [u8; 24] = rand::random();
    let mut out = b"PSEAL1".to_vec();
    out.extend_from_slice(&nonce);
    out.extend(cipher.encrypt(&XNonce::from(nonce), plain).unwrap());
    out
}

/// A backup file holding `content`, sealed with [`PASSPHRASE`]. The key is
/// derived with a cheap cost, then `cost` is written in the file.
fn backup_file(dir: &Path, name: &str, content: &Value, cost: &Cost) -> PathBuf {
    let salt: [u8; 16] = rand::random();
    let params =
        argon2::Params::new(CHEAP.memory_kib, CHEAP.passes, CHEAP.lanes, Some(32)).unwrap();
    let mut key = [0u8; 32];
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(PASSPHRASE.as_bytes(), &salt, &mut key)
        .unwrap();
    let cipher = XChaCha20Poly1305::new(&key.into());
    let file = json!({
        "format": "passerelle-backup",
        "version": 1,
        "key": {
            "version": 1,
            "kdf": "argon2id",
            "memory_kib": cost.memory_kib,
            "passes": cost.passes,
            "lanes": cost.lanes,
            "salt": HEX.encode(&salt),
            "check": HEX.encode(&seal(&cipher, b"passerelle vault")),
        },
        "data": HEX.encode(&seal(&cipher, &serde_json::to_vec(content).unwrap())),
    });
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
    path
}

/// What a real backup holds, for one community.
fn content() -> Value {
    json!({
        "device_key": HEX.encode(&[7u8; 32]),
        "profile": {"display_name": "Amina"},
        "relay": null,
        "communities": [{"id": "01KQ0RTHC0MMVN1TY000000000", "name": "Quartier"}],
        "created_at": 1_760_000_000_000i64,
    })
}

/// `open_backup` on another thread, with its time; `None` if it takes
/// longer than `limit` (the thread is left to finish alone).
fn open_within(file: &Path, limit: Duration) -> Option<(Result<(), CoreError>, Duration)> {
    let (tx, rx) = mpsc::channel();
    let file = file.to_owned();
    std::thread::spawn(move || {
        let start = Instant::now();
        let opened = open_backup(&file, PASSPHRASE).map(|_| ());
        let _ = tx.send((opened, start.elapsed()));
    });
    rx.recv_timeout(limit).ok()
}

/// Every file under `root` with its bytes.
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

#[test]
fn a_well_formed_crafted_backup_opens() {
    // The crafting above is right: the same file with honest content opens.
    let dir = tempfile::tempdir().unwrap();
    let file = backup_file(dir.path(), "backup", &content(), &CHEAP);
    let opened = open_backup(&file, PASSPHRASE).unwrap();
    assert_eq!(opened.display_name(), Some("Amina"));
    assert_eq!(opened.communities().len(), 1);
}

#[test]
fn a_backup_asking_for_an_endless_or_huge_key_derivation_is_refused_at_once() {
    // The cost is read from the file before the passphrase can be checked:
    // anyone can write a file that makes the app derive for days (passes)
    // or allocate 256 GiB (memory, the process aborts).
    let dir = tempfile::tempdir().unwrap();
    for (name, cost) in [
        (
            "passes",
            Cost {
                memory_kib: 64 * 1024,
                passes: 4_000_000_000,
                lanes: 1,
            },
        ),
        (
            "memory",
            Cost {
                memory_kib: 0x0FFF_FFFF,
                passes: 1,
                lanes: 1,
            },
        ),
        (
            "lanes",
            Cost {
                memory_kib: 64 * 1024 * 1024,
                passes: 1,
                lanes: 0xFF_FFFF,
            },
        ),
    ] {
        let file = backup_file(dir.path(), name, &content(), &cost);
        let (opened, took) = open_within(&file, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{name}: still deriving after 10 s"));
        assert!(
            matches!(opened, Err(CoreError::Backup(BackupError::Damaged(_)))),
            "{name}: {opened:?}"
        );
        assert!(took < Duration::from_secs(2), "{name}: {took:?}");
    }
}

#[test]
fn a_backup_file_of_gigabytes_is_refused_without_being_read() {
    // A sparse file costs no disk; read whole, it costs 8 GiB of memory.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge");
    let file = std::fs::File::create(&path).unwrap();
    use std::io::Write;
    (&file)
        .write_all(br#"{"format": "passerelle-backup", "version": 1, "data": ""#)
        .unwrap();
    file.set_len(8 << 30).unwrap();
    let (opened, took) = open_within(&path, Duration::from_secs(10)).expect("refused in time");
    assert!(
        matches!(opened, Err(CoreError::Backup(BackupError::Damaged(_)))),
        "{opened:?}"
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
}

/// A change made to an honest backup's content.
type Change = Box<dyn Fn(&mut Value)>;

#[tokio::test]
async fn hostile_content_in_a_backup_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("new");
    Node::start(NodeConfig::new(&root))
        .unwrap()
        .shutdown()
        .await;
    let before = snapshot(&root);

    let many: Vec<Value> = (0..5_000)
        .map(|i| json!({"id": format!("01KQ0RTHC0MMVN1TY{i:09}"), "name": "Quartier"}))
        .collect();
    let cases: Vec<(&str, Change)> = vec![
        (
            "a community id climbing out of communities/",
            Box::new(|c| c["communities"][0]["id"] = json!("../../x")),
        ),
        (
            "a community id that is a path",
            Box::new(|c| c["communities"][0]["id"] = json!("/etc")),
        ),
        (
            "a community name of 100,000 characters",
            Box::new(|c| c["communities"][0]["name"] = json!("é".repeat(100_000))),
        ),
        (
            "a display name of 100,000 characters",
            Box::new(|c| c["profile"]["display_name"] = json!("A".repeat(100_000))),
        ),
        (
            "an empty display name",
            Box::new(|c| c["profile"]["display_name"] = json!("   ")),
        ),
        (
            "a relay that is not a relay address",
            Box::new(|c| c["relay"] = json!("file:///etc/passwd")),
        ),
        (
            "5,000 communities",
            Box::new(move |c| c["communities"] = json!(many.clone())),
        ),
        (
            "a key that is not a device key",
            Box::new(|c| c["device_key"] = json!("00")),
        ),
    ];
    for (i, (what, change)) in cases.iter().enumerate() {
        let mut c = content();
        change(&mut c);
        let file = backup_file(dir.path(), &format!("case{i}"), &c, &CHEAP);
        match open_backup(&file, PASSPHRASE) {
            Err(CoreError::Backup(BackupError::Damaged(_))) => {}
            Err(e) => panic!("{what}: refused, but as {e:?}"),
            Ok(opened) => {
                let restored = restore_backup_over_unused(&root, opened);
                panic!("{what}: opened, and restored: {restored:?}");
            }
        }
        assert_eq!(snapshot(&root), before, "{what}: the directory changed");
    }
}

#[test]
fn deeply_nested_json_in_a_backup_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested");
    let depth = 100_000;
    let mut bytes = br#"{"format": "passerelle-backup", "version": 1, "key": "#.to_vec();
    bytes.extend(std::iter::repeat_n(b'[', depth));
    bytes.extend(std::iter::repeat_n(b']', depth));
    bytes.push(b'}');
    std::fs::write(&path, bytes).unwrap();
    let (opened, _) = open_within(&path, Duration::from_secs(10)).expect("refused in time");
    assert!(
        matches!(opened, Err(CoreError::Backup(BackupError::Damaged(_)))),
        "{opened:?}"
    );
}
