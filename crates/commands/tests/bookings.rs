//! Bookings of a shared place with real `passerelle-node` processes on
//! loopback: two members book the same slot of the community kitchen while
//! offline; once their devices sync, all three devices show the same one
//! conflict with the same provisional winner (made first); the referent
//! settles it, and after the next syncs every device shows that outcome.

use std::path::Path;

use passerelle_tests::{Server, device, fails, ok, setup, sync_with};
use serde_json::Value;

fn bookings(dir: &Path, c: &str, place: &str) -> Value {
    let out = ok(
        dir,
        &["place", "bookings", place, "--community", c, "--json"],
    );
    serde_json::from_str(&out).expect("place bookings --json prints JSON")
}

/// Each booking's id and status, and the conflicts, as a device sees them.
fn outcome(dir: &Path, c: &str, place: &str) -> (Vec<(String, String)>, Value) {
    let v = bookings(dir, c, place);
    let statuses = v["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["id"].as_str().unwrap().to_owned(),
                b["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (statuses, v["conflicts"].clone())
}

fn book(dir: &Path, c: &str, place: &str, note: &str) -> String {
    ok(
        dir,
        &[
            "place",
            "book",
            place,
            "--community",
            c,
            "--start",
            "2026-12-01 10:00",
            "--end",
            "2026-12-01 12:00",
            "--note",
            note,
        ],
    )
}

#[test]
fn a_slot_booked_twice_offline_shows_one_conflict_everywhere_until_the_referent_settles_it() {
    setup!();
    let (_tm, marion) = device("Marion");
    let c = ok(&marion, &["community", "create", "--name", "Quartier Nord"]);
    let kitchen = ok(
        &marion,
        &[
            "actor",
            "add",
            "--community",
            &c,
            "--kind",
            "place",
            "--name",
            "Cuisine partagée",
        ],
    );
    // Marion, who created the community, is the kitchen's referent.
    ok(
        &marion,
        &[
            "place",
            "bookable",
            "Cuisine partagée",
            "--community",
            &c,
            "--hours",
            "lun-ven 09:00-18:00",
            "--slot",
            "60",
            "--referent",
            "Marion",
            "--utc-offset",
            "+01:00",
        ],
    );
    let server = Server::start(&marion);
    let (_ta, ana) = device("Ana");
    let (_tk, karim) = device("Karim");
    for dir in [&ana, &karim] {
        let ticket = ok(&marion, &["invite", "--community", &c]);
        assert_eq!(ok(dir, &["join", &ticket]), c);
    }

    // Offline: both take Tuesday 10:00-12:00; Karim first.
    let by_karim = book(&karim, &c, &kitchen, "Atelier pain");
    let by_ana = book(&ana, &c, &kitchen, "Repas solidaire");
    let (alone, conflicts) = outcome(&ana, &c, &kitchen);
    assert_eq!(alone, [(by_ana.clone(), "confirmed".to_owned())]);
    assert_eq!(
        conflicts,
        Value::Array(vec![]),
        "offline, Ana sees no conflict"
    );
    // Outside the hours, or off the slot grid: refused, nothing written.
    let err = fails(
        &ana,
        &[
            "place",
            "book",
            &kitchen,
            "--community",
            &c,
            "--start",
            "2026-12-06 10:00",
            "--end",
            "2026-12-06 11:00",
        ],
    );
    assert!(err.contains("not open"), "{err}");

    // They meet through Marion's node.
    sync_with(&ana, &server.ticket());
    sync_with(&karim, &server.ticket());
    sync_with(&ana, &server.ticket());
    let seen: Vec<_> = [&marion, &ana, &karim]
        .iter()
        .map(|d| outcome(d, &c, &kitchen))
        .collect();
    for other in &seen[1..] {
        assert_eq!(&seen[0], other, "every device computes the same outcome");
    }
    let (statuses, conflicts) = &seen[0];
    assert_eq!(
        conflicts.as_array().unwrap().len(),
        1,
        "exactly one conflict"
    );
    assert_eq!(conflicts[0]["winners"], serde_json::json!([by_karim]));
    assert_eq!(conflicts[0]["losers"], serde_json::json!([by_ana]));
    assert!(statuses.contains(&(by_karim.clone(), "provisional".to_owned())));
    assert!(statuses.contains(&(by_ana.clone(), "conflict".to_owned())));
    let text = ok(&karim, &["place", "bookings", &kitchen, "--community", &c]);
    println!("{text}");
    assert!(text.starts_with("CONFLICT 1:"), "{text}");
    assert!(text.contains("Marion decides"), "{text}");

    // Ana cannot settle it herself; Marion, the referent, keeps Ana's.
    let err = fails(
        &ana,
        &["place", "resolve", &by_ana, "--community", &c, "--keep"],
    );
    assert!(err.contains("referent"), "{err}");
    ok(
        &marion,
        &["place", "resolve", &by_ana, "--community", &c, "--keep"],
    );
    sync_with(&ana, &server.ticket());
    sync_with(&karim, &server.ticket());
    let settled: Vec<_> = [&marion, &ana, &karim]
        .iter()
        .map(|d| outcome(d, &c, &kitchen))
        .collect();
    for other in &settled[1..] {
        assert_eq!(&settled[0], other, "every device shows the decision");
    }
    let (statuses, conflicts) = &settled[0];
    assert_eq!(conflicts, &Value::Array(vec![]), "no conflict left");
    assert!(statuses.contains(&(by_ana.clone(), "confirmed".to_owned())));
    assert!(statuses.contains(&(by_karim.clone(), "refused".to_owned())));

    // The place's bookings as a calendar file.
    let ics = ok(
        &karim,
        &[
            "export",
            "--community",
            &c,
            "--format",
            "ics",
            "--what",
            &format!("place:{kitchen}"),
        ],
    );
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2);
    assert!(ics.contains("STATUS:CONFIRMED") && ics.contains("STATUS:CANCELLED"));
    assert!(ics.contains("DTSTART:20261201T090000Z"), "10:00 in Paris");
    // Bookings are not agenda events.
    let agenda = ok(&karim, &["event", "list", "--community", &c, "--json"]);
    assert_eq!(agenda, "[]");
    server.stop();
}
