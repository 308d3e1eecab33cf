//! A removed member's offline writing, with real `passerelle-node`
//! processes on loopback: Ana keeps writing after Nadia removed her; Basile
//! meets Ana before he hears of the removal, so her late changes reach him;
//! once the removal reaches everyone, every device ignores them, the same
//! way, and says so in its sync log.

use std::path::Path;

use passerelle_tests::{Server, add_offer, device, list, node, ok, setup, sync_with};

/// Titles and statuses of the échanges a device lists, sorted.
fn exchanges(dir: &Path, c: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list(dir, &["exchange", "list", "--community", c])
        .iter()
        .map(|e| {
            (
                e["title"].as_str().unwrap().to_owned(),
                e["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_removed_members_offline_edits_are_ignored_by_every_device() {
    setup!();
    let (_tn, nadia) = device("Nadia");
    let c = ok(&nadia, &["community", "create", "--name", "Quartier Nord"]);
    let server = Server::start(&nadia);
    let ticket = server.ticket();
    let (_ta, ana) = device("Ana");
    let (_tb, basile) = device("Basile");
    for dir in [&ana, &basile] {
        let invite = ok(&nadia, &["invite", "--community", &c]);
        assert_eq!(ok(dir, &["join", &invite]), c);
    }
    let velo = String::from_utf8(add_offer(&ana, &c, "Réparer mon vélo").stdout)
        .unwrap()
        .trim()
        .to_owned();
    sync_with(&ana, &ticket);
    sync_with(&basile, &ticket);
    let before = vec![("Réparer mon vélo".to_owned(), "open".to_owned())];
    assert_eq!(exchanges(&basile, &c), before);

    // Ana, offline, keeps writing; meanwhile Nadia removes her.
    ok(
        &ana,
        &[
            "exchange",
            "status",
            "--community",
            &c,
            "--exchange",
            &velo,
            "--status",
            "done",
        ],
    );
    add_offer(&ana, &c, "Annonce tardive");
    let ana_key = ok(&ana, &["id"]);
    ok(
        &nadia,
        &["members", "remove", "--community", &c, "--key", &ana_key],
    );

    // Basile meets Ana first: he has not heard of the removal, so he takes
    // her changes.
    let ana_server = Server::start(&ana);
    sync_with(&basile, &ana_server.ticket());
    drop(ana_server);
    assert_eq!(exchanges(&basile, &c).len(), 2, "Basile took Ana's changes");

    // Then he meets Nadia: the removal reaches him, Ana's late changes reach
    // her, and both ignore them the same way.
    let out = node(
        &basile,
        &["sync", "--peer", &ticket, "--json", "--timeout", "60"],
    );
    assert!(out.status.success());
    let note = String::from_utf8_lossy(&out.stderr);
    assert!(
        note.contains("ignoring 3 values written by device")
            && note.contains(&ana_key[..8])
            && note.contains("(Ana)"),
        "the sync log says what it ignored: {note}"
    );
    // Nadia took Ana's changes from Basile, and ignores them too.
    for dir in [&nadia, &basile] {
        assert_eq!(
            exchanges(dir, &c),
            before,
            "the vélo échange is still open, the late one absent"
        );
    }
    let members = list(&nadia, &["members", "list", "--community", &c]);
    let ana_entry = members
        .iter()
        .find(|m| m["display_name"] == "Ana")
        .expect("Ana is still listed, as removed");
    assert!(!ana_entry["removed_at"].is_null(), "{ana_entry}");

    // Ana's device gets nothing more from anyone who knows.
    let summary = sync_with(&ana, &ticket);
    assert_eq!(summary["peers"], 0, "{summary}");
}
