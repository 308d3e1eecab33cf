//! `crates/core/src` has no import cycle: its modules form the layers
//! below, and each uses only the modules listed before it. A module's
//! children (`node/peers.rs`...) count as that module, so they may use their
//! parent; a module's unit tests may use any layer. A new module takes its
//! place in this list.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Lowest first.
#[rustfmt::skip]
const LAYERS: &[&str] = &[
    // Small things every other module may use.
    "error", "fsio", "seal", "datadir", "clock", "store", "identity", "profile", "settings",
    "event", "refused", "export", "picture",
    // The actor's state and what it does with it (sync, views, migration).
    "node", "bundle",
    // How callers and the network reach the actor.
    "replica", "handle",
    // What is built on the handle.
    "backup", "network", "files", "archive",
];

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a file names through `crate::`.
fn used(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        assert!(
            !rest.starts_with('{'),
            "write `use crate::a::…;` once per module, not `use crate::{{…}}`, so layers can be read"
        );
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        out.push(name);
    }
    out
}

#[test]
fn each_module_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rank: BTreeMap<&str, usize> = LAYERS.iter().enumerate().map(|(i, m)| (*m, i)).collect();

    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src");
        let first = relative.components().next().expect("a path");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" {
            continue;
        }
        let own = *rank
            .get(module.as_str())
            .unwrap_or_else(|| panic!("{} has no place in LAYERS", relative.display()));
        let text = std::fs::read_to_string(&file).expect("a source file");
        // Unit tests drive a module through the whole node: they may use any layer.
        let text = text.split("#[cfg(test)]\nmod ").next().unwrap_or_default();
        for name in used(text) {
            let Some(&theirs) = rank.get(name.as_str()) else {
                continue; // a re-export at the crate root
            };
            if theirs > own {
                wrong.push(format!("{} uses crate::{name}", relative.display()));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "modules must only use modules listed before them in LAYERS:\n{}",
        wrong.join("\n")
    );
}
