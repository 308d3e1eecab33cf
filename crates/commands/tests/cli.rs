//! The `passerelle-node` command line, as a script would use it: every
//! command, persistence across processes, and refusals that write nothing.

use std::collections::BTreeMap;
use std::path::Path;

use passerelle_tests::{device, fails, list, node, ok};
use serde_json::Value;

fn field<'a>(item: &'a Value, key: &str) -> &'a Value {
    item.get(key)
        .unwrap_or_else(|| panic!("{key} missing in {item}"))
}

fn find<'a>(items: &'a [Value], id: &str) -> &'a Value {
    items
        .iter()
        .find(|i| field(i, "id") == id)
        .unwrap_or_else(|| panic!("{id} not listed"))
}

#[test]
fn every_command_works_and_everything_is_listed_after_restart() {
    passerelle_tests::setup!();
    let (_tmp, dir) = device("Marion");
    let key = ok(&dir, &["id"]);
    assert_eq!(key.len(), 64, "a device key is 32 bytes of hex: {key}");
    assert_eq!(ok(&dir, &["id"]), key, "the identity is created once");

    let c = ok(
        &dir,
        &[
            "community",
            "create",
            "--name",
            "Échange de savoirs",
            "--description",
            "Le cercle du mardi",
        ],
    );
    let communities = list(&dir, &["community", "list"]);
    assert_eq!(field(find(&communities, &c), "name"), "Échange de savoirs");

    let need = ok(
        &dir,
        &[
            "exchange",
            "add",
            "--community",
            &c,
            "--kind",
            "need",
            "--title",
            "Réparer mon vélo",
            "--category",
            "bricolage",
            "--description",
            "La chaîne saute",
        ],
    );
    let offer = ok(
        &dir,
        &[
            "exchange",
            "add",
            "--community",
            &c,
            "--kind",
            "offer",
            "--title",
            "Réparation de vélos",
            "--category",
            "Bricolage",
            "--mode",
            "savoir",
        ],
    );
    let exchanges = list(&dir, &["exchange", "list", "--community", &c]);
    assert_eq!(exchanges.len(), 2);
    assert_eq!(field(find(&exchanges, &need), "kind"), "need");
    assert_eq!(
        field(find(&exchanges, &need), "description"),
        "La chaîne saute"
    );
    assert_eq!(field(find(&exchanges, &offer), "mode"), "savoir");
    assert_eq!(field(find(&exchanges, &offer), "category"), "bricolage");
    assert_eq!(field(find(&exchanges, &offer), "status"), "open");

    let event = ok(
        &dir,
        &[
            "event",
            "add",
            "--community",
            &c,
            "--title",
            "Journée cuisine",
            "--start",
            "2026-12-05T10:00:00+01:00",
            "--end",
            "2026-12-05T16:00:00+01:00",
            "--place",
            "Cuisine d'Authenti'Cité",
            "--capacity",
            "12",
        ],
    );
    ok(
        &dir,
        &[
            "event",
            "rsvp",
            "--community",
            &c,
            "--event",
            &event,
            "--answer",
            "yes",
        ],
    );
    let events = list(&dir, &["event", "list", "--community", &c]);
    let e = find(&events, &event);
    assert_eq!(field(e, "capacity"), 12);
    assert_eq!(field(e, "attending"), 1);
    assert_eq!(field(e, "start"), 1_796_461_200_000i64);

    let idea = ok(
        &dir,
        &[
            "idea",
            "add",
            "--community",
            &c,
            "--text",
            "Des cafés-rencontres itinérants",
            "--theme",
            "Lieux de rencontre",
            "--table",
            "3",
        ],
    );
    ok(&dir, &["idea", "vote", "--community", &c, "--idea", &idea]);
    ok(&dir, &["idea", "vote", "--community", &c, "--idea", &idea]);
    let ideas = list(&dir, &["idea", "list", "--community", &c]);
    let i = find(&ideas, &idea);
    assert_eq!(field(i, "vote_count"), 1, "one vote per member");
    assert_eq!(field(i, "table"), 3);
    assert_eq!(field(i, "theme"), "lieux-de-rencontre");

    let actor = ok(
        &dir,
        &[
            "actor",
            "add",
            "--community",
            &c,
            "--kind",
            "place",
            "--name",
            "Jardins de Gorki",
            "--tags",
            "jardinage, lieu",
        ],
    );
    let actors = list(&dir, &["actor", "list", "--community", &c]);
    assert_eq!(
        field(find(&actors, &actor), "tags"),
        &serde_json::json!(["jardinage", "lieu"])
    );

    let group = ok(
        &dir,
        &[
            "group",
            "add",
            "--community",
            &c,
            "--name",
            "Jardinage",
            "--theme",
            "mise-en-commun-des-pratiques",
        ],
    );
    let groups = list(&dir, &["group", "list", "--community", &c]);
    assert_eq!(field(find(&groups, &group), "name"), "Jardinage");

    let body = dir.parent().unwrap().join("evier.md");
    std::fs::write(
        &body,
        "# Matériel\nUne ventouse\n# Étapes\nDémonter le siphon",
    )
    .unwrap();
    let sheet = ok(
        &dir,
        &[
            "sheet",
            "add",
            "--community",
            &c,
            "--title",
            "Déboucher un évier",
            "--body-file",
            body.to_str().unwrap(),
        ],
    );
    let sheets = list(&dir, &["sheet", "list", "--community", &c]);
    let sections = field(find(&sheets, &sheet), "sections")
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(sections.len(), 2);
    assert_eq!(field(&sections[1], "body"), "Démonter le siphon");

    let post = ok(
        &dir,
        &[
            "post",
            "add",
            "--community",
            &c,
            "--text",
            "Bienvenue à toutes et à tous",
        ],
    );
    assert_eq!(
        field(
            find(&list(&dir, &["post", "list", "--community", &c]), &post),
            "author_name"
        ),
        "Marion"
    );

    let matches = list(&dir, &["match", "--community", &c]);
    assert_eq!(matches.len(), 1, "{matches:?}");
    assert_eq!(field(&matches[0], "offer"), offer.as_str());
    assert_eq!(field(&matches[0], "need"), need.as_str());
    assert!(field(&matches[0], "score").as_f64().unwrap() > 0.0);

    let hits = list(&dir, &["search", "--community", &c, "velo"]);
    let kinds: BTreeMap<String, String> = hits
        .iter()
        .map(|h| {
            (
                h["id"].as_str().unwrap().to_owned(),
                h["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(kinds.get(&need).map(String::as_str), Some("exchange"));
    assert_eq!(kinds.get(&offer).map(String::as_str), Some("exchange"));
    let hits = list(&dir, &["search", "--community", &c, "gorki"]);
    assert_eq!(field(&hits[0], "id"), actor.as_str());
    assert_eq!(field(&hits[0], "kind"), "actor");

    let json = dir.parent().unwrap().join("export.json");
    ok(
        &dir,
        &[
            "export",
            "--community",
            &c,
            "--format",
            "json",
            "--out",
            json.to_str().unwrap(),
        ],
    );
    let exported: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(exported["exchanges"].as_array().unwrap().len(), 2);
    assert_eq!(exported["community"]["name"], "Échange de savoirs");

    let out = dir.parent().unwrap().join("export-automerge");
    ok(
        &dir,
        &[
            "export",
            "--community",
            &c,
            "--format",
            "automerge",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let documents = manifest["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 6);
    for d in documents {
        let bytes = std::fs::read(out.join(d["file"].as_str().unwrap())).unwrap();
        let doc = automerge::Automerge::load(&bytes)
            .expect("each exported file is a plain Automerge document");
        use automerge::ReadDoc;
        let kind = doc
            .get(automerge::ROOT, "kind")
            .unwrap()
            .unwrap()
            .0
            .into_string()
            .unwrap()
            .to_owned();
        assert_eq!(kind, d["kind"].as_str().unwrap());
        // Beside it, the signatures that vouch for its changes: the one
        // device that wrote them signed its latest change.
        let sigs = std::fs::read(out.join(format!("{kind}.signatures"))).unwrap();
        let records = passerelle_core::model::signing::decode(&sigs).unwrap();
        assert_eq!(records.len(), 1, "{kind}");
        assert!(records[0].verify());
        assert_eq!(records[0].hash, doc.get_heads()[0]);
    }
}

/// Every file of a data directory and its content, except the lock and the
/// hydrated views a node keeps to open faster (a cache, not data).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path == dir.join("views") {
                continue;
            } else if path.is_dir() {
                stack.push(path);
            } else if path.file_name().unwrap() != "lock" {
                out.insert(
                    path.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn bad_input_is_refused_clearly_and_writes_nothing() {
    passerelle_tests::setup!();
    let (_tmp, dir) = device("Ana");
    let c = ok(&dir, &["community", "create", "--name", "Quartier"]);
    let event = ok(
        &dir,
        &[
            "event",
            "add",
            "--community",
            &c,
            "--title",
            "Pik-nik",
            "--start",
            "2026-06-01T12:00:00Z",
        ],
    );
    // Imported files: not UTF-8, and far too long.
    let not_utf8 = dir.with_file_name("pas-utf8.md");
    std::fs::write(&not_utf8, b"# Titre\n\xff\xfe texte").unwrap();
    let huge = dir.with_file_name("enorme.md");
    std::fs::write(&huge, "a".repeat(3_000_000)).unwrap();
    let (not_utf8, huge) = (not_utf8.display().to_string(), huge.display().to_string());
    let long_title = "é".repeat(300);
    let long_text = "a".repeat(40_000);
    let before = snapshot(&dir);

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "exchange",
                "add",
                "--community",
                &c,
                "--kind",
                "offer",
                "--title",
                &long_title,
                "--category",
                "cuisine",
            ],
            "the title is too long (300 characters, at most 200)",
        ),
        (
            vec![
                "exchange",
                "add",
                "--community",
                &c,
                "--kind",
                "offer",
                "--title",
                "Vélo",
                "--category",
                "cuisine",
                "--description",
                &long_text,
            ],
            "the description is too long (40000 characters, at most 20000)",
        ),
        (
            vec![
                "event",
                "add",
                "--community",
                &c,
                "--title",
                "Fête",
                "--start",
                "2026-02-30T18:00:00Z",
            ],
            "is not a date-time",
        ),
        (
            vec![
                "sheet",
                "add",
                "--community",
                &c,
                "--title",
                "Fiche",
                "--body-file",
                &not_utf8,
            ],
            "is not utf-8 text",
        ),
        (
            vec![
                "sheet",
                "add",
                "--community",
                &c,
                "--title",
                "Fiche",
                "--body-file",
                &huge,
            ],
            "is too long (3000000 characters, at most 20000)",
        ),
        (
            vec![
                "exchange",
                "add",
                "--community",
                &c,
                "--kind",
                "offer",
                "--title",
                "  ",
                "--category",
                "cuisine",
            ],
            "title must not be empty",
        ),
        (
            vec![
                "exchange",
                "add",
                "--community",
                &c,
                "--kind",
                "gift",
                "--title",
                "Vélo",
                "--category",
                "cuisine",
            ],
            "unknown kind 'gift'",
        ),
        (
            vec![
                "exchange",
                "add",
                "--community",
                &c,
                "--kind",
                "offer",
                "--title",
                "Vélo",
                "--category",
                "astronomie",
            ],
            "unknown category 'astronomie'",
        ),
        (
            vec![
                "exchange",
                "add",
                "--community",
                &c,
                "--kind",
                "offer",
                "--title",
                "Vélo",
                "--category",
                "cuisine",
                "--mode",
                "vente",
            ],
            "unknown mode 'vente'",
        ),
        (
            vec![
                "exchange",
                "add",
                "--community",
                "01JUNKNOWN0000000000000000",
                "--kind",
                "offer",
                "--title",
                "Vélo",
                "--category",
                "cuisine",
            ],
            "no community with id",
        ),
        (
            vec!["exchange", "list", "--community", "../../etc"],
            "no community with id",
        ),
        (
            vec![
                "event",
                "add",
                "--community",
                &c,
                "--title",
                "Fête",
                "--start",
                "14/07/2026",
            ],
            "is not a date-time",
        ),
        (
            vec![
                "event",
                "add",
                "--community",
                &c,
                "--title",
                "Fête",
                "--start",
                "2026-07-14T20:00:00Z",
                "--end",
                "2026-07-14T18:00:00Z",
            ],
            "end is before the start",
        ),
        (
            vec![
                "event",
                "add",
                "--community",
                &c,
                "--title",
                "Fête",
                "--start",
                "2026-07-14T20:00:00Z",
                "--capacity",
                "0",
            ],
            "capacity must be a positive number",
        ),
        (
            vec![
                "event",
                "rsvp",
                "--community",
                &c,
                "--event",
                "nope",
                "--answer",
                "yes",
            ],
            "no event with id 'nope'",
        ),
        (
            vec![
                "event",
                "rsvp",
                "--community",
                &c,
                "--event",
                &event,
                "--answer",
                "peut-être",
            ],
            "unknown answer",
        ),
        (
            vec!["idea", "vote", "--community", &c, "--idea", "nope"],
            "no idea with id 'nope'",
        ),
        (
            vec![
                "idea",
                "add",
                "--community",
                &c,
                "--text",
                "Une idée",
                "--theme",
                "inconnu",
            ],
            "unknown theme 'inconnu'",
        ),
        (
            vec![
                "actor",
                "add",
                "--community",
                &c,
                "--kind",
                "robot",
                "--name",
                "R2",
            ],
            "unknown kind 'robot'",
        ),
        (
            vec![
                "sheet",
                "add",
                "--community",
                &c,
                "--title",
                "Fiche",
                "--body-file",
                "/nonexistent/file.md",
            ],
            "cannot read",
        ),
        (
            vec!["post", "add", "--community", &c, "--text", ""],
            "post must not be empty",
        ),
    ];
    for (args, expected) in cases {
        let err = fails(&dir, &args);
        assert!(
            err.to_lowercase().contains(expected),
            "{args:?}: expected '{expected}' in: {err}"
        );
    }
    assert!(
        snapshot(&dir) == before,
        "a refused command changed the data directory"
    );

    // A data directory that is a file.
    let file = dir.parent().unwrap().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let err = fails(&file, &["community", "create", "--name", "X"]);
    assert!(err.contains("is not a directory"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory");

    // A command on a data directory that does not exist does not create it.
    let missing = dir.parent().unwrap().join("missing");
    let err = fails(&missing, &["community", "list"]);
    assert!(err.contains("init"), "{err}");
    assert!(!missing.exists());

    // A community cannot be created before choosing a name.
    let unnamed = dir.parent().unwrap().join("unnamed");
    let err = fails(&unnamed, &["community", "create", "--name", "X"]);
    assert!(err.contains("choose your name"), "{err}");
}

#[test]
fn the_example_community_comes_from_the_seeds() {
    passerelle_tests::setup!();
    let (_tmp, dir) = device("Nadia");
    let c = ok(&dir, &["demo"]);
    let exchanges = list(&dir, &["exchange", "list", "--community", &c]);
    assert!(exchanges.len() >= 10);
    let titles: Vec<&str> = exchanges
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"Réparer mon vélo"), "{titles:?}");
    let matches = list(&dir, &["match", "--community", &c]);
    let title = |id: &Value| {
        exchanges.iter().find(|e| &e["id"] == id).unwrap()["title"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        matches.iter().any(
            |m| title(&m["need"]) == "Réparer mon vélo" && title(&m["offer"]).contains("vélos")
        ),
        "the vélo need meets the vélo offer: {matches:?}"
    );
    let actors = list(&dir, &["actor", "list", "--community", &c]);
    assert!(actors.iter().any(|a| a["name"] == "Jardins de Gorki"));
    let members = list(&dir, &["member", "list", "--community", &c]);
    assert!(
        members
            .iter()
            .any(|m| m["display_name"] == "Nadia" && m["role"] == "admin")
    );
}

#[test]
fn a_second_process_on_the_same_data_dir_is_told_to_wait() {
    passerelle_tests::setup!();
    let (_tmp, dir) = device("Leila");
    let _lock = {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.join("lock"))
            .unwrap();
        f.lock().unwrap();
        f
    };
    let out = node(&dir, &["community", "list"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("in use by another Passerelle process"));
}
