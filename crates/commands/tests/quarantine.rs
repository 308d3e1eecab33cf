//! Damaged files are moved aside with a clear message; everything else opens.

use std::path::{Path, PathBuf};

use passerelle_tests::{device, list, node, ok};

/// The data files of one document of a community.
fn doc_files(dir: &Path, community: &str, kind: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir.join("communities").join(community).join(kind))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
    files.sort();
    files
}

#[test]
fn a_truncated_collection_file_is_quarantined_and_the_rest_opens() {
    passerelle_tests::setup!();
    let (_tmp, dir) = device("Chantal");
    let a = ok(&dir, &["community", "create", "--name", "Jardins"]);
    let b = ok(&dir, &["community", "create", "--name", "Cuisine"]);
    ok(
        &dir,
        &[
            "exchange",
            "add",
            "--community",
            &b,
            "--kind",
            "offer",
            "--title",
            "Couscous",
            "--category",
            "cuisine",
        ],
    );
    let kept = ok(
        &dir,
        &[
            "exchange",
            "add",
            "--community",
            &a,
            "--kind",
            "offer",
            "--title",
            "Tomates",
            "--category",
            "jardinage",
        ],
    );
    // Damage the last chunk of A's échanges: truncate it mid-way.
    ok(
        &dir,
        &[
            "exchange",
            "add",
            "--community",
            &a,
            "--kind",
            "need",
            "--title",
            "Arrosoir",
            "--category",
            "jardinage",
        ],
    );
    let files = doc_files(&dir, &a, "exchanges");
    let newest = files
        .iter()
        .max_by_key(|f| std::fs::metadata(f).unwrap().modified().unwrap())
        .unwrap()
        .clone();
    let bytes = std::fs::read(&newest).unwrap();
    std::fs::write(&newest, &bytes[..bytes.len() / 2]).unwrap();

    let out = node(&dir, &["exchange", "list", "--community", &a, "--json"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("damaged") && err.contains("quarantine"),
        "{err}"
    );
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        listed.iter().any(|e| e["id"] == kept.as_str()),
        "changes in intact files are kept"
    );
    assert_eq!(
        list(&dir, &["exchange", "list", "--community", &b]).len(),
        1
    );
    let quarantined: Vec<_> = std::fs::read_dir(dir.join("quarantine")).unwrap().collect();
    assert_eq!(
        quarantined.len(),
        1,
        "the damaged file is kept for inspection"
    );
    // The community still takes writes after the repair.
    ok(
        &dir,
        &[
            "exchange",
            "add",
            "--community",
            &a,
            "--kind",
            "need",
            "--title",
            "Arrosoir",
            "--category",
            "jardinage",
        ],
    );
}

#[test]
fn a_garbage_community_document_hides_only_that_community() {
    passerelle_tests::setup!();
    let (_tmp, dir) = device("Karim");
    let a = ok(&dir, &["community", "create", "--name", "Informatique"]);
    let b = ok(&dir, &["community", "create", "--name", "Langues"]);
    for file in doc_files(&dir, &a, "community") {
        std::fs::write(&file, b"this is not an automerge document").unwrap();
    }
    let out = node(&dir, &["community", "list", "--json"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("damaged"), "{err}");
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = listed.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![b.as_str()]);
    assert!(dir.join("quarantine").read_dir().unwrap().count() >= 1);
    // The next start is clean.
    let out = node(&dir, &["community", "list"]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
