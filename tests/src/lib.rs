//! Helpers for Passerelle's multi-process tests: find the `passerelle-node`
//! binary and run it against a data directory, the way scripts do.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The `passerelle-node` binary under test.
///
/// Integration tests of `passerelle-cli` get it from cargo
/// (`CARGO_BIN_EXE_passerelle-node`, always freshly built with the same
/// features as the tests) and hand it over once with [`use_binary`].
pub fn node_bin() -> &'static Path {
    BIN.get()
        .expect("call passerelle_tests::use_binary(env!(\"CARGO_BIN_EXE_passerelle-node\")) first")
}

static BIN: OnceLock<PathBuf> = OnceLock::new();

/// Sets the `passerelle-node` binary the helpers run.
pub fn use_binary(path: &str) {
    let _ = BIN.set(PathBuf::from(path));
}

/// A command for `passerelle-node --data-dir DIR ARGS...`, confined to loopback.
pub fn node_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(node_bin());
    cmd.arg("--data-dir").arg(dir).args(args);
    cmd.env("PASSERELLE_BIND", "127.0.0.1")
        .env("PASSERELLE_MDNS", "off")
        .env_remove("PASSERELLE_DATA_DIR");
    cmd
}

/// Points the helpers at the binary cargo built for this test run.
#[macro_export]
macro_rules! setup {
    () => {
        $crate::use_binary(env!("CARGO_BIN_EXE_passerelle-node"))
    };
}

/// Runs `passerelle-node` and returns its output.
pub fn node(dir: &Path, args: &[&str]) -> Output {
    node_cmd(dir, args).output().expect("passerelle-node runs")
}

/// Runs `passerelle-node`, asserts success, returns stdout trimmed.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = node(dir, args);
    assert!(
        out.status.success(),
        "passerelle-node {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("stdout is UTF-8")
        .trim()
        .to_owned()
}

/// Runs `passerelle-node`, asserts failure, returns stderr.
pub fn fails(dir: &Path, args: &[&str]) -> String {
    let out = node(dir, args);
    assert!(
        !out.status.success(),
        "passerelle-node {args:?} should have failed"
    );
    assert!(
        out.stdout.is_empty(),
        "a failing command prints nothing on stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !err.trim().is_empty(),
        "a failing command explains itself on stderr"
    );
    err
}

/// Runs a listing command with `--json` and parses the array.
pub fn list(dir: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut args = args.to_vec();
    args.push("--json");
    let out = ok(dir, &args);
    match serde_json::from_str(&out).expect("--json prints JSON") {
        serde_json::Value::Array(items) => items,
        other => panic!("--json prints an array, got {other}"),
    }
}

/// A fresh device: a data directory with a name set. Returns (tempdir, data dir).
pub fn device(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = tmp.path().join("data");
    ok(&dir, &["init", "--name", name]);
    (tmp, dir)
}
