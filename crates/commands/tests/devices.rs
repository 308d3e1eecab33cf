//! One member on several devices, with real `passerelle-node` processes on
//! loopback: pairing a second device (votes still count once), recovery
//! after a lost device (a moderator re-links a new one, the lost one is
//! revoked and cut off), and a personal backup restored on a new machine.

use std::path::Path;
use std::process::Output;

use passerelle_tests::{Server, device, fails, list, node_cmd, ok, setup, sync_with};
use serde_json::Value;

fn member_of(dir: &Path, c: &str, key: &str) -> Value {
    list(dir, &["members", "list", "--community", c])
        .into_iter()
        .find(|m| m["devices"].get(key).is_some())
        .unwrap_or_else(|| panic!("no member with device {key}"))
}

fn votes(dir: &Path, c: &str, idea: &str) -> Value {
    list(dir, &["idea", "list", "--community", c])
        .into_iter()
        .find(|i| i["id"] == idea)
        .expect("the idea is listed")["votes"]
        .clone()
}

fn with_passphrase(dir: &Path, args: &[&str], passphrase: &str) -> Output {
    node_cmd(dir, args)
        .env("PASSERELLE_PASSPHRASE", passphrase)
        .output()
        .expect("passerelle-node runs")
}

/// Alice holds the example community (she is its admin) and serves; Bruno
/// joins with an invite. Returns their dirs, Alice's server and the community.
fn community() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    Server,
    tempfile::TempDir,
    std::path::PathBuf,
    String,
) {
    let (ta, a) = device("Alice");
    let c = ok(&a, &["demo"]);
    let server = Server::start(&a);
    let ticket = ok(&a, &["invite", "--community", &c]);
    let (tb, b) = device("Bruno");
    assert_eq!(ok(&b, &["join", &ticket]), c);
    (ta, a, server, tb, b, c)
}

#[test]
fn a_second_device_acts_as_the_same_member_and_votes_once() {
    setup!();
    let (_ta, a, server_a, _tb, b, c) = community();
    let bruno = ok(&b, &["id"]);
    // Bruno serves his first device and makes a pairing ticket there.
    let server_b = Server::start(&b);
    let ticket = ok(
        &b,
        &["device", "add", "--community", &c, "--label", "portable"],
    );
    let tmp = tempfile::tempdir().unwrap();
    let b2 = tmp.path().join("portable");
    // No `init`: the new device takes the member's name.
    assert_eq!(
        ok(&b2, &["device", "link", &ticket, "--label", "portable"]),
        c
    );
    let second = ok(&b2, &["id"]);
    assert_ne!(second, bruno, "each device keeps its own key");
    // One-time: the ticket does not link a third device.
    let (_tx, other) = device("Xavier");
    assert!(fails(&other, &["device", "link", &ticket]).contains("already been used"));

    // The same idea voted from both devices.
    let idea = ok(
        &a,
        &[
            "idea",
            "add",
            "--community",
            &c,
            "--text",
            "Un atelier vélo",
        ],
    );
    ok(&b, &["sync", "--peer", &server_a.ticket()]);
    ok(&b, &["idea", "vote", "--community", &c, "--idea", &idea]);
    sync_with(&b2, &server_b.ticket());
    ok(&b2, &["idea", "vote", "--community", &c, "--idea", &idea]);
    // Everyone meets everyone.
    sync_with(&b2, &server_b.ticket());
    ok(&b, &["sync", "--peer", &server_a.ticket()]);
    sync_with(&b2, &server_a.ticket());

    let member = member_of(&a, &c, &bruno);
    for dir in [&a, &b, &b2] {
        let v = votes(dir, &c, &idea);
        let voters: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(voters, [member["id"].as_str().unwrap()], "{v}");
    }
    let devices = list(&b2, &["device", "list", "--community", &c]);
    assert_eq!(devices.len(), 2, "{devices:?}");
    assert!(devices.iter().all(|d| d["active"] == true));
    let this: Vec<&Value> = devices
        .iter()
        .filter(|d| d["this_device"] == true)
        .collect();
    assert_eq!(this.len(), 1);
    assert_eq!(this[0]["key"], second.as_str());
    assert_eq!(this[0]["label"], "portable");
    // Alice sees one Bruno, with two devices.
    let brunos = list(&a, &["members", "list", "--community", &c])
        .into_iter()
        .filter(|m| m["display_name"] == "Bruno")
        .count();
    assert_eq!(brunos, 1);
    let text = ok(
        &a,
        &["device", "list", "--community", &c, "--member", "Bruno"],
    );
    assert!(text.contains(&second) && text.contains(&bruno), "{text}");
}

#[test]
fn a_moderator_relinks_a_lost_device_and_the_lost_one_is_cut_off() {
    setup!();
    let (_ta, a, server_a, _tb, lost, c) = community();
    let lost_key = ok(&lost, &["id"]);
    let post = ok(
        &lost,
        &["post", "add", "--community", &c, "--text", "Avant la panne"],
    );
    ok(&lost, &["sync", "--peer", &server_a.ticket()]);
    let member = member_of(&a, &c, &lost_key);

    // Bruno's laptop is gone. He cannot make a ticket himself: Alice (an
    // admin) makes one for him, and a new device links with it.
    let ticket = ok(
        &a,
        &[
            "device",
            "add",
            "--community",
            &c,
            "--for",
            member["id"].as_str().unwrap(),
        ],
    );
    let tmp = tempfile::tempdir().unwrap();
    let new = tmp.path().join("nouveau");
    assert_eq!(ok(&new, &["device", "link", &ticket, "--label", "neuf"]), c);
    let new_key = ok(&new, &["id"]);
    // The same member: name, role, earlier posts and new posts.
    let again = member_of(&new, &c, &new_key);
    assert_eq!(again["id"], member["id"]);
    assert_eq!(again["role"], member["role"]);
    assert_eq!(again["display_name"], "Bruno");
    let posts = list(&new, &["post", "list", "--community", &c]);
    let old = posts.iter().find(|p| p["id"] == post.as_str()).unwrap();
    assert_eq!(old["author"], member["id"]);
    let fresh = ok(
        &new,
        &["post", "add", "--community", &c, "--text", "Me revoilà"],
    );
    sync_with(&new, &server_a.ticket());
    let posts = list(&a, &["post", "list", "--community", &c]);
    let p = posts.iter().find(|p| p["id"] == fresh.as_str()).unwrap();
    assert_eq!(p["author"], member["id"]);
    assert_eq!(p["author_name"], "Bruno");

    // A member cannot revoke another's device; the new device (Bruno) can
    // revoke the lost one.
    let (_tx, x) = device("Xavier");
    let invite = ok(&a, &["invite", "--community", &c]);
    ok(&x, &["join", &invite]);
    assert!(
        fails(&x, &["device", "revoke", "--community", &c, &lost_key])
            .contains("animateurs and admins")
    );
    ok(&new, &["device", "revoke", "--community", &c, &lost_key]);
    sync_with(&new, &server_a.ticket());
    let devices = list(
        &a,
        &["device", "list", "--community", &c, "--member", &new_key],
    );
    let revoked = devices
        .iter()
        .find(|d| d["key"] == lost_key.as_str())
        .unwrap();
    assert_eq!(revoked["active"], false);
    assert_eq!(revoked["revoked_by"], member["id"]);

    // The lost device gets nothing from Alice any more.
    ok(
        &a,
        &["post", "add", "--community", &c, "--text", "Après la perte"],
    );
    let summary = sync_with(&lost, &server_a.ticket());
    assert_eq!(summary["peers"], 0, "{summary}");
    assert!(
        summary["bytes_received"].as_u64().unwrap() < 200,
        "{summary}"
    );
    let seen: Vec<Value> = list(&lost, &["post", "list", "--community", &c]);
    assert!(!seen.iter().any(|p| p["text"] == "Après la perte"));
    // Once it learns of the revocation (a bundle on a USB stick), its own
    // commands are refused.
    let bundle = tmp.path().join("quartier.bundle");
    ok(
        &a,
        &[
            "bundle",
            "export",
            "--community",
            &c,
            "--out",
            bundle.to_str().unwrap(),
        ],
    );
    ok(&lost, &["bundle", "import", bundle.to_str().unwrap()]);
    assert!(
        fails(
            &lost,
            &["post", "add", "--community", &c, "--text", "Encore moi"]
        )
        .contains("not a member")
    );
}

#[test]
fn a_backup_restored_on_a_new_machine_is_the_same_device() {
    setup!();
    let (_ta, _a, server_a, _tb, b, c) = community();
    let key = ok(&b, &["id"]);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bruno.passerelle-backup");
    // Made while Bruno's device serves (the command is carried out by the
    // serving process), with a file name relative to where it is typed.
    let server_b = Server::start(&b);
    let made = node_cmd(
        &b,
        &["backup", "create", "--out", "bruno.passerelle-backup"],
    )
    .env("PASSERELLE_PASSPHRASE", "phrase de passe de Bruno")
    .current_dir(tmp.path())
    .output()
    .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(String::from_utf8_lossy(&made.stderr).contains("1 communities"));
    server_b.stop();
    let bytes = std::fs::read(&file).unwrap();
    assert!(
        !bytes.windows(5).any(|w| w == b"Bruno"),
        "the content is sealed"
    );

    // A wrong passphrase restores nothing.
    let fresh = tmp.path().join("nouvelle-machine");
    let wrong = with_passphrase(
        &fresh,
        &["backup", "restore", file.to_str().unwrap()],
        "pas la bonne",
    );
    assert!(!wrong.status.success());
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(err.contains("wrong passphrase"), "{err}");
    assert!(!fresh.join("identity/device.key").exists());
    // A damaged file neither.
    let damaged = tmp.path().join("abime");
    std::fs::write(&damaged, &bytes[..bytes.len() / 2]).unwrap();
    let out = with_passphrase(
        &fresh,
        &["backup", "restore", damaged.to_str().unwrap()],
        "phrase de passe de Bruno",
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("damaged"));
    // Nor into a directory that already has a device.
    let out = with_passphrase(
        &b,
        &["backup", "restore", file.to_str().unwrap()],
        "phrase de passe de Bruno",
    );
    assert!(!out.status.success());
    assert_eq!(ok(&b, &["id"]), key);

    let out = with_passphrase(
        &fresh,
        &["backup", "restore", file.to_str().unwrap()],
        "phrase de passe de Bruno",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), key);
    assert_eq!(ok(&fresh, &["id"]), key, "the same device, not a copy");
    assert!(list(&fresh, &["community", "list"]).is_empty());
    // One sync with a member brings the community back.
    let summary = sync_with(&fresh, &server_a.ticket());
    assert_eq!(summary["peers"], 1, "{summary}");
    let communities = list(&fresh, &["community", "list"]);
    assert_eq!(communities.len(), 1);
    assert_eq!(communities[0]["id"], c.as_str());
    assert!(!list(&fresh, &["exchange", "list", "--community", &c]).is_empty());
    ok(
        &fresh,
        &[
            "post",
            "add",
            "--community",
            &c,
            "--text",
            "Depuis la machine neuve",
        ],
    );
}
