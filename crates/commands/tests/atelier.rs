//! An atelier with real `passerelle-node` processes on loopback: a
//! facilitator serves, six participants (one per table) join with invites
//! and serve too, every table adds its ideas at the same time, and every
//! node ends with the same documents and the facilitator's synthesis holds
//! every idea; then a merge of duplicates and the feuille de route spread.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use passerelle_tests::{Server, device, list, ok, setup};
use serde_json::Value;

const TABLES: usize = 6;
const IDEAS_PER_TABLE: usize = 3;

fn heads(dir: &Path) -> Value {
    list(dir, &["community", "list"])[0]["heads"].clone()
}

fn show(dir: &Path, c: &str, w: &str) -> Value {
    let out = ok(
        dir,
        &[
            "workshop",
            "show",
            "--community",
            c,
            "--workshop",
            w,
            "--json",
        ],
    );
    serde_json::from_str(&out).expect("workshop show --json prints JSON")
}

/// Waits until every node holds the same heads; returns how long it took.
fn converge(dirs: &[&PathBuf], timeout: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let all: Vec<Value> = dirs.iter().map(|d| heads(d)).collect();
        if all.iter().all(|h| *h == all[0]) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < timeout,
            "no convergence within {timeout:?}: {all:#?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn six_tables_on_seven_nodes_converge_live() {
    setup!();
    let started = Instant::now();
    let (_tf, facilitator) = device("Animatrice");
    let c = ok(
        &facilitator,
        &["community", "create", "--name", "Grande Rencontre"],
    );
    let w = ok(
        &facilitator,
        &[
            "workshop",
            "create",
            "--community",
            &c,
            "--title",
            "Grande Rencontre",
            "--date",
            "2026-12-13",
            "--tables",
            "6",
        ],
    );
    let mut server = Server::start(&facilitator);
    let mut participants = Vec::new();
    for table in 1..=TABLES {
        let ticket = ok(&facilitator, &["invite", "--community", &c]);
        let (t, dir) = device(&format!("Table {table}"));
        assert_eq!(ok(&dir, &["join", &ticket]), c);
        participants.push((t, dir));
    }
    let servers: Vec<Server> = participants.iter().map(|(_, d)| Server::start(d)).collect();
    for _ in 0..TABLES {
        server.wait_for("peer_connected", Duration::from_secs(30), |_| true);
    }

    // Every table at once: sit, then add ideas (one duplicate at tables 1 and 2).
    let themes = [
        "Lieux de rencontre",
        "Formation et apprentissage",
        "Mise en commun des pratiques",
    ];
    let added = Instant::now();
    let tables: Vec<_> = participants
        .iter()
        .enumerate()
        .map(|(i, (_, dir))| {
            let (dir, c, w) = (dir.clone(), c.clone(), w.clone());
            std::thread::spawn(move || {
                let table = (i + 1).to_string();
                ok(
                    &dir,
                    &[
                        "workshop",
                        "table",
                        "--community",
                        &c,
                        "--workshop",
                        &w,
                        "--table",
                        &table,
                    ],
                );
                (0..IDEAS_PER_TABLE)
                    .map(|n| {
                        let text = if n == 0 && i < 2 {
                            "Des formations croisées travail social et entrepreneuriat social"
                                .to_owned()
                        } else {
                            format!("Idée {n} de la table {table}")
                        };
                        ok(
                            &dir,
                            &[
                                "workshop",
                                "idea",
                                "--community",
                                &c,
                                "--workshop",
                                &w,
                                "--text",
                                &text,
                                "--theme",
                                themes[n],
                            ],
                        )
                    })
                    .collect::<Vec<String>>()
            })
        })
        .collect();
    let ideas: Vec<Vec<String>> = tables.into_iter().map(|t| t.join().unwrap()).collect();
    let mut all: Vec<&PathBuf> = vec![&facilitator];
    all.extend(participants.iter().map(|(_, d)| d));
    let took = converge(&all, Duration::from_secs(30));
    println!(
        "{} ideas from {TABLES} tables reached all 7 nodes {:?} after the last was added ({:?} from the first)",
        TABLES * IDEAS_PER_TABLE,
        took,
        added.elapsed()
    );

    let synthesis = show(&facilitator, &c, &w);
    assert_eq!(synthesis["idea_count"], TABLES * IDEAS_PER_TABLE);
    let listed: Vec<&Value> = synthesis["themes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["ideas"].as_array().unwrap())
        .collect();
    for (i, table_ideas) in ideas.iter().enumerate() {
        for id in table_ideas {
            let idea = listed.iter().find(|x| x["id"] == id.as_str());
            let idea = idea.unwrap_or_else(|| panic!("idea {id} of table {} missing", i + 1));
            assert_eq!(idea["table"], i + 1, "an idea goes to its author's table");
        }
    }
    assert_eq!(
        synthesis["workshop"]["seats"].as_object().unwrap().len(),
        TABLES
    );
    for (_, dir) in &participants {
        assert_eq!(
            show(dir, &c, &w),
            synthesis,
            "the same synthesis everywhere"
        );
    }

    // The facilitator merges the duplicate and makes the feuille de route;
    // both reach every table live.
    ok(
        &facilitator,
        &[
            "workshop",
            "merge",
            "--community",
            &c,
            "--keep",
            &ideas[0][0],
            "--idea",
            &ideas[1][0],
        ],
    );
    let sheet = ok(
        &facilitator,
        &["workshop", "roadmap", "--community", &c, "--workshop", &w],
    );
    converge(&all, Duration::from_secs(30));
    let at_table_6 = show(&participants[5].1, &c, &w);
    assert_eq!(at_table_6["idea_count"], TABLES * IDEAS_PER_TABLE - 1);
    let sheets = list(&participants[5].1, &["sheet", "list", "--community", &c]);
    let roadmap = sheets
        .iter()
        .find(|s| s["id"] == sheet.as_str())
        .expect("the roadmap sheet");
    assert_eq!(roadmap["title"], "Feuille de route — Grande Rencontre");
    assert_eq!(
        roadmap["sections"].as_array().unwrap().len(),
        3,
        "one section per theme used"
    );
    drop(servers);
    println!("whole atelier: {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(90));
}
