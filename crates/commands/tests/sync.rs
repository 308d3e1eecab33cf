//! Sync between real `passerelle-node` processes over real iroh endpoints on
//! loopback: joining, live edits, transitive spread, the membership gate,
//! invites refused, cheap reconnects, many nodes, bundles, and a copied data
//! directory.

use std::path::Path;
use std::time::{Duration, Instant};

use passerelle_tests::exchange_titles as titles;
use passerelle_tests::{Server, device, fails, list, ok, setup, sync_with};
use serde_json::Value;

fn community(dir: &Path) -> Value {
    let all = list(dir, &["community", "list"]);
    assert_eq!(all.len(), 1, "one community expected: {all:?}");
    all[0].clone()
}

fn heads(dir: &Path) -> Value {
    community(dir)["heads"].clone()
}

fn add(dir: &Path, c: &str, title: &str) -> String {
    let out = passerelle_tests::add_offer(dir, c, title);
    assert!(
        out.status.success(),
        "add failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A holds the example community and serves; B joins with an invite.
fn pair() -> (
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
fn a_joiner_gets_everything_and_live_edits_reach_the_server() {
    setup!();
    let (_ta, a, mut server_a, _tb, b, c) = pair();
    // Through A's control socket, while A serves.
    assert_eq!(titles(&b, &c), titles(&a, &c));
    assert!(titles(&b, &c).len() >= 5);
    let members = list(&b, &["members", "list", "--community", &c]);
    assert!(members.iter().any(|m| m["display_name"] == "Bruno"));

    let _server_b = Server::start(&b);
    server_a.wait_for("peer_connected", Duration::from_secs(20), |_| true);
    add(&b, &c, "Réparer un vélo");
    let added = Instant::now();
    let (_, at) = server_a.wait_for("received", Duration::from_secs(10), |e| e["community"] == c);
    let delay = at.duration_since(added);
    println!("live edit reached A's serve after {delay:?}");
    assert!(delay < Duration::from_secs(1), "took {delay:?}");
    assert!(titles(&a, &c).contains(&"Réparer un vélo".to_owned()));
}

#[test]
fn invites_are_one_time_expire_and_cannot_be_forged() {
    setup!();
    let (_ta, a, _server, _tb, _b, c) = pair();
    // Reused: the pair's invite was used by B; make one, use it, reuse it.
    let ticket = ok(&a, &["invite", "--community", &c]);
    let (_tc, cdev) = device("Chloé");
    ok(&cdev, &["join", &ticket]);
    let (_td, d) = device("Dora");
    assert!(fails(&d, &["join", &ticket]).contains("already been used"));
    // Expired.
    let short = ok(&a, &["invite", "--community", &c, "--expires", "1s"]);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(fails(&d, &["join", &short]).contains("expired"));
    // Forged: a well-formed ticket with a secret nobody issued.
    let real = passerelle_core::Ticket::decode(&ok(&a, &["invite", "--community", &c])).unwrap();
    let mut forged = real.clone();
    forged.invite.as_mut().unwrap().secret = [42; 16];
    assert!(fails(&d, &["join", &forged.encode()]).contains("not valid"));
    // Damaged text.
    let text = real.encode();
    assert!(fails(&d, &["join", &text[..text.len() - 4]]).contains("damaged"));
    assert!(list(&d, &["community", "list"]).is_empty());
}

#[test]
fn a_stranger_receives_zero_bytes_and_a_removed_member_is_cut_off() {
    setup!();
    let (_ta, a, server, _tb, b, c) = pair();
    let (_te, stranger) = device("Eve");
    let summary = sync_with(&stranger, &server.ticket());
    assert_eq!(summary["peers"], 0, "{summary}");
    assert_eq!(summary["bytes_received"], 0, "{summary}");
    assert!(
        summary["failed"][0][1]
            .as_str()
            .unwrap()
            .contains("not a member")
    );
    assert!(list(&stranger, &["community", "list"]).is_empty());

    // B is removed: from then on A serves it nothing.
    let key = ok(&b, &["id"]);
    ok(&a, &["members", "remove", "--community", &c, "--key", &key]);
    add(&a, &c, "Après le départ de Bruno");
    let summary = sync_with(&b, &server.ticket());
    assert_eq!(summary["peers"], 0, "{summary}");
    // Only the hello and the request to prove membership: no document data.
    assert!(
        summary["bytes_received"].as_u64().unwrap() < 200,
        "{summary}"
    );
    assert!(!titles(&b, &c).contains(&"Après le départ de Bruno".to_owned()));
}

#[test]
fn changes_spread_through_whoever_meets_whom() {
    setup!();
    let (_ta, a, server_a, _tb, b, c) = pair();
    let a_ticket = server_a.ticket();
    server_a.stop();
    // A is away: C joins through B and gets A's items from B.
    let server_b = Server::start(&b);
    let ticket = ok(&b, &["invite", "--community", &c]);
    let (_tc, cdev) = device("Chloé");
    ok(&cdev, &["join", &ticket]);
    server_b.stop();
    assert_eq!(titles(&cdev, &c), titles(&a, &c));
    // Each adds something; then A and C meet alone.
    add(&a, &c, "Cours de cuisine");
    add(&cdev, &c, "Prêt de perceuse");
    let server_a = Server::start(&a);
    let summary = sync_with(&cdev, &server_a.ticket());
    assert_eq!(summary["peers"], 1, "{summary}");
    drop(server_a);
    let (ta, tc) = (titles(&a, &c), titles(&cdev, &c));
    assert_eq!(ta, tc);
    assert!(ta.contains(&"Cours de cuisine".to_owned()));
    assert!(ta.contains(&"Prêt de perceuse".to_owned()));
    assert_eq!(heads(&a), heads(&cdev));
    let _ = a_ticket;
}

#[test]
fn peers_already_in_sync_exchange_under_one_kilobyte() {
    setup!();
    let (_ta, a, server, _tb, b, _c) = pair();
    let first = sync_with(&b, &server.ticket());
    assert_eq!(first["peers"], 1, "{first}");
    let again = sync_with(&b, &server.ticket());
    let total = again["bytes_sent"].as_u64().unwrap() + again["bytes_received"].as_u64().unwrap();
    println!("reconnect in sync: {total} bytes of sync frames in total");
    // Hello, Summary, Prove and Proofs each way: no sync message at all.
    assert!(total < 1024, "{again}");
    assert_eq!(again["messages"], 0, "{again}");
    assert_eq!(heads(&a), heads(&b));
}

#[test]
fn ten_nodes_meeting_at_random_converge() {
    setup!();
    let (_t0, first) = device("Nœud 0");
    let c = ok(
        &first,
        &["community", "create", "--name", "Grande Rencontre"],
    );
    let server = Server::start(&first);
    let mut nodes = vec![(_t0, first.clone())];
    for i in 1..10 {
        let ticket = ok(&first, &["invite", "--community", &c]);
        let (t, dir) = device(&format!("Nœud {i}"));
        ok(&dir, &["join", &ticket]);
        nodes.push((t, dir));
    }
    server.stop();
    for (i, (_, dir)) in nodes.iter().enumerate() {
        add(dir, &c, &format!("Idée de la table {i}"));
    }
    // Seeded pairings: each round, five disjoint pairs meet at once.
    let mut seed: u64 = 0x5eed;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut rounds = 0;
    loop {
        let all: Vec<Value> = nodes.iter().map(|(_, d)| heads(d)).collect();
        if all.iter().all(|h| *h == all[0]) {
            break;
        }
        rounds += 1;
        assert!(rounds <= 12, "no convergence after {rounds} rounds");
        let mut order: Vec<usize> = (0..nodes.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        let servers: Vec<Server> = order
            .chunks(2)
            .map(|pair| Server::start(&nodes[pair[1]].1))
            .collect();
        let syncs: Vec<_> = order
            .chunks(2)
            .zip(&servers)
            .map(|(pair, server)| {
                let dir = nodes[pair[0]].1.clone();
                let ticket = server.ticket();
                std::thread::spawn(move || {
                    let summary = sync_with(&dir, &ticket);
                    if summary["peers"] == 1 {
                        return summary;
                    }
                    // Seen once in CI on a loaded machine ("the peer stopped
                    // answering"): said, and the meeting tried once more.
                    eprintln!("a meeting failed, tried again: {summary}");
                    sync_with(&dir, &ticket)
                })
            })
            .collect();
        for s in syncs {
            let summary = s.join().unwrap();
            assert_eq!(summary["peers"], 1, "{summary}");
        }
        drop(servers);
    }
    println!("10 nodes converged after {rounds} rounds of random meetings");
    assert_eq!(titles(&nodes[3].1, &c).len(), 10);
}

#[test]
fn bundles_round_trip_and_damaged_ones_change_nothing() {
    setup!();
    let (_ta, a, server, _tb, b, c) = pair();
    drop(server);
    add(&a, &c, "Venu par clé USB");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("quartier.bundle");
    ok(
        &a,
        &[
            "bundle",
            "export",
            "--community",
            &c,
            "--out",
            file.to_str().unwrap(),
        ],
    );

    // A flipped bit: refused, B unchanged.
    let before = heads(&b);
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    let bad = tmp.path().join("abime.bundle");
    std::fs::write(&bad, &bytes).unwrap();
    assert!(fails(&b, &["bundle", "import", bad.to_str().unwrap()]).contains("damaged"));
    let not_bundle = tmp.path().join("note.txt");
    std::fs::write(&not_bundle, "bonjour").unwrap();
    assert!(
        fails(&b, &["bundle", "import", not_bundle.to_str().unwrap()])
            .contains("not a Passerelle bundle")
    );
    assert_eq!(heads(&b), before);

    // The real one merges.
    assert_eq!(ok(&b, &["bundle", "import", file.to_str().unwrap()]), c);
    assert!(titles(&b, &c).contains(&"Venu par clé USB".to_owned()));
    assert_eq!(heads(&a), heads(&b));

    // A stranger cannot take in a community it is not a member of.
    let (_te, stranger) = device("Eve");
    assert!(
        fails(&stranger, &["bundle", "import", file.to_str().unwrap()]).contains("not a member")
    );
    assert!(list(&stranger, &["community", "list"]).is_empty());
}

/// Copies a data directory as a user would (every file, new files).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_copied_data_directory_gets_its_own_identity_and_sync_stays_whole() {
    setup!();
    let (_ta, a, server, _tb, b, c) = pair();
    let a_key = ok(&a, &["id"]);
    add(&b, &c, "Avant la copie");
    sync_with(&b, &server.ticket());
    // Bruno copies his data directory to a second laptop.
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("copy");
    copy_tree(&b, &copy);
    let out = passerelle_tests::node(&copy, &["id"]);
    assert!(out.status.success());
    let copy_key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let warning = String::from_utf8_lossy(&out.stderr);
    let b_key = ok(&b, &["id"]);
    assert!(
        warning.contains("is a copy") && warning.contains(&b_key[..12]),
        "the copy is told what happened: {warning}"
    );
    assert_ne!(copy_key, b_key);
    assert_ne!(copy_key, a_key);
    // Said once; the original keeps its identity.
    let again = passerelle_tests::node(&copy, &["id"]);
    assert!(String::from_utf8_lossy(&again.stderr).trim().is_empty());
    assert_eq!(ok(&b, &["id"]), b_key);
    // The copy holds the community but is not a member: it writes nothing.
    assert_eq!(titles(&copy, &c), titles(&b, &c));
    let out = passerelle_tests::add_offer(&copy, &c, "x");
    let refused = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(refused.contains("not a member"), "{refused}");
    // Invited again, it joins and syncs with everyone, and so does the original.
    let ticket = ok(&a, &["invite", "--community", &c]);
    assert_eq!(ok(&copy, &["join", &ticket]), c);
    add(&copy, &c, "Depuis la copie");
    add(&b, &c, "Depuis l'original");
    sync_with(&copy, &server.ticket());
    sync_with(&b, &server.ticket());
    sync_with(&copy, &server.ticket());
    let all = vec![
        "Avant la copie".to_owned(),
        "Depuis l'original".to_owned(),
        "Depuis la copie".to_owned(),
    ];
    for dir in [&a, &b, &copy] {
        let mut got: Vec<String> = titles(dir, &c)
            .into_iter()
            .filter(|t| all.contains(t))
            .collect();
        got.sort();
        let mut want = all.clone();
        want.sort();
        assert_eq!(got, want, "every change everywhere ({})", dir.display());
    }
    assert_eq!(heads(&a), heads(&copy));
    assert_eq!(heads(&a), heads(&b));
    server.stop();
}
