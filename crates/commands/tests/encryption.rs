//! Encryption at rest: a data directory created with `init --encrypt` holds
//! no readable community data, opens only with its passphrase, catches a
//! file changed behind its back, and syncs with devices that are not
//! encrypted.

use std::path::{Path, PathBuf};
use std::process::Output;

use passerelle_tests::{Server, device, list, node_cmd, ok, setup, sync_with};

const PASSPHRASE: &str = "le jardin partagé de la rue Vaillant";

fn with_passphrase(dir: &Path, passphrase: &str, args: &[&str]) -> Output {
    node_cmd(dir, args)
        .env("PASSERELLE_PASSPHRASE", passphrase)
        .output()
        .expect("passerelle-node runs")
}

/// Runs with the right passphrase; asserts success; stdout trimmed.
fn unlocked(dir: &Path, args: &[&str]) -> String {
    let out = with_passphrase(dir, PASSPHRASE, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn an_encrypted_data_directory_reveals_nothing_and_opens_with_its_passphrase_only() {
    setup!();
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("data");
    let out = with_passphrase(&a, "court", &["init", "--name", "Zoé", "--encrypt"]);
    assert!(!out.status.success(), "a short passphrase is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8 characters"));
    unlocked(&a, &["init", "--name", "Zoé", "--encrypt"]);
    let c = unlocked(&a, &["demo"]);
    let secret_title = "Cours de guitare chez Zoé au 12 rue Vaillant";
    unlocked(
        &a,
        &[
            "exchange",
            "add",
            "--community",
            &c,
            "--kind",
            "offer",
            "--title",
            secret_title,
            "--category",
            "langues",
        ],
    );
    unlocked(&a, &["community", "list"]);

    // No file holds the profile, a title, or a phrase of the example community.
    let mut checked = 0;
    for file in files(&a) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name == "lock" || name == "vault.json" {
            continue;
        }
        let bytes = std::fs::read(&file).unwrap();
        for needle in ["Zoé", "guitare", "Vaillant", "vélo"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{} holds '{needle}' in clear",
                file.display()
            );
        }
        checked += 1;
    }
    println!("{checked} files checked: no clear text");
    assert!(checked >= 10, "the directory holds data: {checked} files");

    // Without the passphrase, or with a wrong one: refused, plainly.
    let out = node_cmd(&a, &["community", "list"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is encrypted"));
    let out = with_passphrase(&a, "une autre phrase", &["community", "list"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong passphrase"));
    // Encrypting a directory that already holds data is refused.
    let (_tp, plain) = device("Paul");
    let out = with_passphrase(&plain, PASSPHRASE, &["init", "--name", "Paul", "--encrypt"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds unencrypted data"));

    // A plain device joins and syncs with the encrypted one, both ways.
    let mut cmd = node_cmd(&a, &["serve"]);
    cmd.env("PASSERELLE_PASSPHRASE", PASSPHRASE);
    let server = Server::start_with(cmd, &a);
    // While it serves, commands go through its control socket: no passphrase.
    let ticket = ok(&a, &["invite", "--community", &c]);
    let (_tb, b) = device("Bruno");
    assert_eq!(ok(&b, &["join", &ticket]), c);
    ok(
        &b,
        &[
            "exchange",
            "add",
            "--community",
            &c,
            "--kind",
            "need",
            "--title",
            "Une échelle",
            "--category",
            "bricolage",
        ],
    );
    sync_with(&b, &server.ticket());
    server.stop();
    let heads = |out: String| -> serde_json::Value {
        serde_json::from_str::<Vec<serde_json::Value>>(&out).unwrap()[0]["heads"].clone()
    };
    assert_eq!(
        heads(unlocked(&a, &["community", "list", "--json"])),
        list(&b, &["community", "list"])[0]["heads"]
    );

    // A chunk changed behind the app's back is caught and set aside.
    let chunk = files(&a)
        .into_iter()
        .find(|f| f.extension().is_some_and(|e| e == "chunk"))
        .expect("a chunk");
    let mut bytes = std::fs::read(&chunk).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    std::fs::write(&chunk, bytes).unwrap();
    let out = with_passphrase(&a, PASSPHRASE, &["community", "list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the rest still opens: {err}");
    assert!(err.contains("changed or damaged"), "{err}");
    assert!(a.join("quarantine").is_dir());
}
