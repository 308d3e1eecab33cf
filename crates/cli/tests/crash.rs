//! Crash safety: `passerelle-node` killed with SIGKILL at random moments while
//! adding échanges never loses an acknowledged change and never leaves a
//! store that cannot open.

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
