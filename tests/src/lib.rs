//! Helpers for Passerelle's multi-process tests: find the `passerelle-node`
//! binary and run it against a data directory, the way scripts do.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The `passerelle-node` binary under test.
///
/// Integration tests of `passerelle-commands` get it from cargo
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
        .env_remove("PASSERELLE_DATA_DIR")
        .env_remove("PASSERELLE_PASSPHRASE");
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

/// Posts an offer in the `bricolage` category; the output says whether it
/// was acknowledged (an id on stdout) or refused (a reason on stderr).
pub fn add_offer(dir: &Path, community: &str, title: &str) -> Output {
    node(
        dir,
        &[
            "exchange",
            "add",
            "--community",
            community,
            "--kind",
            "offer",
            "--title",
            title,
            "--category",
            "bricolage",
        ],
    )
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

/// The titles of a community's échanges, sorted.
pub fn exchange_titles(dir: &Path, community: &str) -> Vec<String> {
    let mut titles: Vec<String> = list(dir, &["exchange", "list", "--community", community])
        .iter()
        .map(|e| e["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    titles.sort();
    titles
}

/// A fresh device: a data directory with a name set. Returns (tempdir, data dir).
pub fn device(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = tmp.path().join("data");
    ok(&dir, &["init", "--name", name]);
    (tmp, dir)
}

/// A `passerelle-node serve` process, its JSON events read as they come.
pub struct Server {
    child: std::process::Child,
    events: std::sync::mpsc::Receiver<serde_json::Value>,
    /// Every event seen so far.
    pub seen: Vec<serde_json::Value>,
    /// The data directory served.
    pub dir: PathBuf,
}

impl Server {
    /// Starts `serve` on `dir` (confined to loopback) and waits until it listens.
    pub fn start(dir: &Path) -> Server {
        Self::start_with(node_cmd(dir, &["serve"]), dir)
    }

    /// Starts a prepared `serve` command.
    pub fn start_with(mut cmd: Command, dir: &Path) -> Server {
        use std::io::BufRead;
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, events) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                match serde_json::from_str(&line) {
                    Ok(value) => {
                        if tx.send(value).is_err() {
                            break;
                        }
                    }
                    Err(_) => panic!("serve printed a line that is not JSON: {line}"),
                }
            }
        });
        let mut server = Server {
            child,
            events,
            seen: Vec::new(),
            dir: dir.to_owned(),
        };
        server.wait_for("listening", std::time::Duration::from_secs(30), |_| true);
        server
    }

    /// Waits for an event named `name` matching `pred`; returns it and when it came.
    pub fn wait_for(
        &mut self,
        name: &str,
        timeout: std::time::Duration,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> (serde_json::Value, std::time::Instant) {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) => {
                    let at = std::time::Instant::now();
                    self.seen.push(event.clone());
                    if event["event"] == name && pred(&event) {
                        return (event, at);
                    }
                }
                Err(_) => panic!(
                    "no '{name}' event within {timeout:?}; seen: {:#?}",
                    self.seen
                ),
            }
        }
    }

    /// Like [`Server::wait_for`], but an event already seen counts too: for
    /// events whose order between them is not fixed.
    pub fn saw_or_wait(
        &mut self,
        name: &str,
        timeout: std::time::Duration,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        if let Some(event) = self.seen.iter().find(|e| e["event"] == name && pred(e)) {
            return event.clone();
        }
        self.wait_for(name, timeout, pred).0
    }

    /// The ticket (without invite) this server listens with.
    pub fn ticket(&self) -> String {
        self.seen
            .iter()
            .find(|e| e["event"] == "listening")
            .and_then(|e| e["ticket"].as_str())
            .expect("a listening event with a ticket")
            .to_owned()
    }

    /// The process id of `serve`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server (SIGTERM) and waits for it.
    pub fn stop(mut self) {
        self.terminate();
    }

    /// Sends `signal` (a name `kill` knows, like a unit's `KillSignal=`)
    /// and waits up to `timeout` for the process to end, reading its last
    /// events; returns how it ended, or `None` if it was still running (it
    /// is then killed, as a service manager would).
    pub fn stop_as_a_service_manager(
        &mut self,
        signal: &str,
        timeout: std::time::Duration,
    ) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status();
        let deadline = std::time::Instant::now() + timeout;
        let status = loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                break Some(status);
            }
            if std::time::Instant::now() >= deadline {
                self.kill();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        // The reader thread ends with the pipe: take what it read.
        while let Ok(event) = self.events.recv_timeout(std::time::Duration::from_secs(5)) {
            self.seen.push(event);
        }
        status
    }

    /// Kills the server with SIGKILL (no cleanup at all, like pulling the
    /// plug) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the server process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn terminate(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

/// Runs `sync --peer PEER --json` and returns the summary.
pub fn sync_with(dir: &Path, peer: &str) -> serde_json::Value {
    let out = node(dir, &["sync", "--peer", peer, "--json", "--timeout", "60"]);
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text).unwrap_or_else(|_| {
        panic!(
            "sync --json prints a summary; got {text:?}, stderr {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
