//! Crash safety: `passerelle-node` killed with SIGKILL at random moments,
//! while adding échanges and while syncing (the syncing device and the
//! serving one), never loses an acknowledged change and never leaves a store
//! that cannot open or sync.

use std::process::Stdio;
use std::time::{Duration, Instant};

use passerelle_tests::{device, list, node_cmd, ok};
use rand::{Rng, SeedableRng};

#[test]
fn sigkill_during_200_adds_loses_nothing_acknowledged() {
    passerelle_tests::setup!();
    let (_tmp, dir) = device("Moussa");
    let c = ok(&dir, &["community", "create", "--name", "Atelier vélo"]);
    let seed: u64 = rand::random();
    println!("seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    // How long one add takes here, so kills land anywhere inside one.
    let start = Instant::now();
    ok(
        &dir,
        &[
            "exchange",
            "add",
            "--community",
            &c,
            "--kind",
            "offer",
            "--title",
            "Calibrage",
            "--category",
            "bricolage",
        ],
    );
    let typical = start.elapsed().as_micros() as u64;

    let mut acknowledged = Vec::new();
    let mut kills = 0;
    for n in 0..200 {
        let title = format!("Échange numéro {n}");
        let mut child = node_cmd(
            &dir,
            &[
                "exchange",
                "add",
                "--community",
                &c,
                "--kind",
                "need",
                "--title",
                &title,
                "--category",
                "bricolage",
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("passerelle-node starts");
        if rng.random_bool(0.5) {
            std::thread::sleep(Duration::from_micros(
                rng.random_range(0..typical.max(1) * 3 / 2),
            ));
            // SIGKILL: no destructor, no flush, exactly like pulling the plug on the process.
            if child.kill().is_ok() {
                kills += 1;
            }
        }
        let out = child.wait_with_output().expect("wait for passerelle-node");
        // An id on stdout is the promise that the change is on disk, killed or not.
        let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !id.is_empty() {
            acknowledged.push(id);
        }
    }
    println!("{kills} kills, {} acknowledged adds", acknowledged.len());
    assert!(kills >= 50, "the test must really kill: {kills}");

    let listed = list(&dir, &["exchange", "list", "--community", &c]);
    let ids: std::collections::HashSet<&str> =
        listed.iter().map(|e| e["id"].as_str().unwrap()).collect();
    for id in &acknowledged {
        assert!(
            ids.contains(id.as_str()),
            "acknowledged échange {id} is missing after the crashes (seed {seed})"
        );
    }
    // And the store still takes writes.
    ok(
        &dir,
        &[
            "exchange",
            "add",
            "--community",
            &c,
            "--kind",
            "offer",
            "--title",
            "Après",
            "--category",
            "bricolage",
        ],
    );
    assert!(
        !dir.join("quarantine").exists(),
        "a crash must never produce a damaged file"
    );
}

/// Adds an échange; its id when acknowledged (printed), none when refused or
/// cut short.
fn try_add(dir: &std::path::Path, c: &str, title: &str) -> Option<String> {
    let out = passerelle_tests::add_offer(dir, c, title);
    let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !id.is_empty()).then_some(id)
}

/// SIGKILL during syncs: 60 times the device syncing, 60 times the device
/// serving (while it syncs, and while it writes changes sent through its
/// control socket). Afterwards both stores open, one clean sync brings them
/// to equal heads, and every change either side acknowledged is on both.
#[test]
fn sigkill_during_120_syncs_loses_nothing_acknowledged() {
    passerelle_tests::setup!();
    let (_ta, a) = device("Awa");
    let c = ok(&a, &["demo"]);
    let mut server = passerelle_tests::Server::start(&a);
    let ticket = ok(&a, &["invite", "--community", &c]);
    let (_tb, b) = device("Bastien");
    assert_eq!(ok(&b, &["join", &ticket]), c);
    let seed: u64 = rand::random();
    println!("seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    // How long a sync with a few changes takes here, so kills land anywhere.
    for n in 0..3 {
        try_add(&a, &c, &format!("Calibrage A {n}")).expect("an add");
        try_add(&b, &c, &format!("Calibrage B {n}")).expect("an add");
    }
    let start = Instant::now();
    passerelle_tests::sync_with(&b, &server.ticket());
    let typical = start.elapsed().as_micros() as u64;

    let mut acknowledged = Vec::new();
    let (mut client_kills, mut server_kills) = (0, 0);
    for n in 0..120 {
        // Changes on both sides, some of them while the server is killed.
        acknowledged.extend(try_add(&b, &c, &format!("B numéro {n}")));
        let kill_server = n % 2 == 1;
        let mut writer = kill_server.then(|| {
            node_cmd(
                &a,
                &[
                    "exchange",
                    "add",
                    "--community",
                    &c,
                    "--kind",
                    "need",
                    "--title",
                    &format!("A numéro {n}"),
                    "--category",
                    "bricolage",
                ],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("passerelle-node starts")
        });
        let mut sync = node_cmd(&b, &["sync", "--peer", &server.ticket(), "--timeout", "20"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("passerelle-node starts");
        std::thread::sleep(Duration::from_micros(
            rng.random_range(0..typical.max(1) * 3 / 2),
        ));
        if kill_server {
            if server.running() {
                server_kills += 1;
            }
            server.kill();
        } else if let Ok(None) = sync.try_wait() {
            // SIGKILL: no destructor, no flush, like pulling the plug.
            let _ = sync.kill();
            client_kills += 1;
        }
        if kill_server {
            // The syncing side notices the vanished peer; it need not wait
            // for its whole timeout.
            let deadline = Instant::now() + Duration::from_secs(2);
            while matches!(sync.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = sync.kill();
        }
        let _ = sync.wait();
        if let Some(writer) = writer.take() {
            let out = writer.wait_with_output().expect("wait for passerelle-node");
            let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if out.status.success() && !id.is_empty() {
                acknowledged.push(id);
            }
        }
        if kill_server {
            server = passerelle_tests::Server::start(&a);
        } else {
            acknowledged.extend(try_add(&a, &c, &format!("A numéro {n}")));
        }
    }
    println!(
        "{client_kills} kills of the syncing device, {server_kills} of the serving one, {} acknowledged adds",
        acknowledged.len()
    );
    assert!(
        client_kills + server_kills >= 100,
        "the test must really kill: {client_kills} + {server_kills}"
    );

    // One clean sync: both hold everything either acknowledged.
    passerelle_tests::sync_with(&b, &server.ticket());
    server.stop();
    let heads = |dir: &std::path::Path| list(dir, &["community", "list"])[0]["heads"].clone();
    assert_eq!(heads(&a), heads(&b), "equal heads after the next sync");
    for dir in [&a, &b] {
        let listed = list(dir, &["exchange", "list", "--community", &c]);
        let ids: std::collections::HashSet<&str> =
            listed.iter().map(|e| e["id"].as_str().unwrap()).collect();
        for id in &acknowledged {
            assert!(
                ids.contains(id.as_str()),
                "acknowledged échange {id} is missing on {} (seed {seed})",
                dir.display()
            );
        }
        assert!(
            !dir.join("quarantine").exists(),
            "a crash must never produce a damaged file ({})",
            dir.display()
        );
    }
}
