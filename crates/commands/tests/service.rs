//! The always-on node as systemd runs it: `passerelle-node serve` started
//! from the `ExecStart=` line of the packaged unit, with no terminal, its
//! data and archives where the unit puts them; members sync with it and
//! commands reach it; `KillSignal=` stops it within `TimeoutStopSec=`, and
//! it starts again with nothing lost.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use passerelle_tests::exchange_titles as titles;
use passerelle_tests::{Server, device, node_bin, ok, setup, sync_with};

/// The system unit, as the package ships it.
fn unit() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../packaging/systemd/passerelle-node.service");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The value of `key=` in the unit (the last one, as systemd reads it).
fn setting(unit: &str, key: &str) -> Option<String> {
    unit.lines()
        .filter_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
        .map(|v| v.trim().to_owned())
        .next_back()
}

/// `ExecStart=` as a command, with the installed binary replaced by the one
/// under test and `/var/lib/passerelle` (the unit's `StateDirectory=`) by
/// `root`: no terminal, stdin from /dev/null, confined to loopback.
fn exec_start(unit: &str, root: &Path) -> Command {
    let line = setting(unit, "ExecStart").expect("the unit has ExecStart=");
    let state = format!(
        "/var/lib/{}",
        setting(unit, "StateDirectory").expect("the unit has StateDirectory=")
    );
    let words: Vec<String> = line
        .split_whitespace()
        .map(|w| w.replace(&state, &root.display().to_string()))
        .collect();
    assert_eq!(words[0], "/usr/bin/passerelle-node", "{line}");
    let mut cmd = Command::new(node_bin());
    cmd.args(&words[1..])
        .stdin(Stdio::null())
        .env("PASSERELLE_BIND", "127.0.0.1")
        .env("PASSERELLE_MDNS", "off")
        .env_remove("PASSERELLE_DATA_DIR")
        .env_remove("PASSERELLE_PASSPHRASE")
        .env_remove("JOURNAL_STREAM");
    cmd
}

fn seconds(value: &str) -> Duration {
    let digits = value.trim_end_matches('s');
    Duration::from_secs(digits.parse().expect("TimeoutStopSec= in seconds"))
}

fn offer(dir: &Path, c: &str, title: &str) -> String {
    let out = passerelle_tests::add_offer(dir, c, title);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Stops the service as systemd would and checks it stopped cleanly.
fn stop(service: &mut Server, unit: &str, data: &Path) {
    let signal = setting(unit, "KillSignal").unwrap_or_else(|| "SIGTERM".to_owned());
    let timeout = seconds(&setting(unit, "TimeoutStopSec").unwrap_or_else(|| "90".to_owned()));
    let status = service
        .stop_as_a_service_manager(signal.trim_start_matches("SIG"), timeout)
        .unwrap_or_else(|| panic!("still running {timeout:?} after {signal}"));
    assert!(status.success(), "a clean stop exits with 0: {status:?}");
    let names: Vec<&str> = service
        .seen
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(names.last(), Some(&"stopped"), "{names:?}");
    assert!(
        service
            .seen
            .iter()
            .any(|e| e["event"] == "stopping" && e["signal"] == signal),
        "{names:?}"
    );
    assert!(!data.join("control.sock").exists());
    assert!(!data.join("node.json").exists());
}

#[test]
fn the_packaged_unit_serves_stops_on_sigterm_and_loses_nothing() {
    setup!();
    let unit = unit();
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let archives = root.path().join("backups");

    // The facilitator's device holds the community; the centre's node
    // joins it once, before the service is enabled.
    let (_ta, aicha) = device("Aïcha");
    let c = ok(
        &aicha,
        &["community", "create", "--name", "Maison du quartier"],
    );
    offer(&aicha, &c, "Cours de couture");
    let aicha_server = Server::start(&aicha);
    let ticket = ok(&aicha, &["invite", "--community", &c]);
    ok(&data, &["init", "--name", "Ordinateur de la maison"]);
    assert_eq!(ok(&data, &["join", &ticket]), c);
    aicha_server.stop();

    let mut service = Server::start_with(exec_start(&unit, root.path()), &data);
    let written = service.saw_or_wait("backup_written", Duration::from_secs(30), |e| {
        e["community"] == c.as_str()
    })["file"]
        .as_str()
        .map(PathBuf::from)
        .unwrap();
    assert!(written.starts_with(&archives), "{}", written.display());

    // A member meets the node; a command reaches it through its socket.
    offer(&aicha, &c, "Aide aux devoirs");
    let summary = sync_with(&aicha, &service.ticket());
    assert_eq!(summary["peers"], 1, "{summary}");
    assert_eq!(summary["failed"], serde_json::json!([]), "{summary}");
    let by_socket = offer(&data, &c, "Permanence du mardi");
    assert!(!by_socket.is_empty());

    let status: serde_json::Value =
        serde_json::from_str(&ok(&data, &["status", "--json"])).unwrap();
    assert_eq!(status["serving"], true, "{status}");
    assert!(status["uptime_s"].as_u64().is_some(), "{status}");
    let aicha_key = ok(&aicha, &["id"]);
    assert!(
        status["peers_today"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["device"] == aicha_key.as_str() && p["member"] == "Aïcha"),
        "{status}"
    );
    let members = status["communities"][0]["members"].as_array().unwrap();
    let aicha_sync = members.iter().find(|m| m["name"] == "Aïcha").unwrap();
    assert!(aicha_sync["last_sync"].as_i64().is_some(), "{status}");
    assert_eq!(status["backups"]["failed"], serde_json::json!([]));
    let expected = titles(&data, &c);
    assert_eq!(
        expected,
        [
            "Aide aux devoirs",
            "Cours de couture",
            "Permanence du mardi"
        ]
    );

    stop(&mut service, &unit, &data);

    // Started again after the stop (a reboot): everything is there, the
    // store opens without a damaged file, and today's archive is kept.
    let out = Command::new(node_bin())
        .args(["--data-dir"])
        .arg(&data)
        .args(["exchange", "list", "--community", &c])
        .env("PASSERELLE_BIND", "127.0.0.1")
        .env("PASSERELLE_MDNS", "off")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("warning"),
        "{stderr}"
    );
    let mut again = Server::start_with(exec_start(&unit, root.path()), &data);
    assert_eq!(titles(&data, &c), expected);
    let status: serde_json::Value =
        serde_json::from_str(&ok(&data, &["status", "--json"])).unwrap();
    assert_eq!(status["serving"], true);
    stop(&mut again, &unit, &data);
    assert!(
        !again.seen.iter().any(|e| e["event"] == "backup_written"),
        "today's archive is not written twice"
    );

    let verify = Command::new(node_bin())
        .args(["bundle", "verify", "--json"])
        .arg(&written)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let check: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(check["whole"], true, "{check}");
    assert_eq!(check["community"], c.as_str());
}
