//! Exports for other tools and imports from them, through `passerelle-node`:
//! files written by one device, read back into another, twice (nothing is
//! added the second time), and bad files refused or reported line by line.

use std::path::Path;

use passerelle_tests::{device, fails, list, ok};
use serde_json::Value;

fn count(items: &[Value]) -> usize {
    items.len()
}

fn titles(items: &[Value], key: &str) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .map(|i| i[key].as_str().unwrap_or_default().to_owned())
        .collect();
    out.sort();
    out
}

fn import(dir: &Path, c: &str, format: &str, file: &Path) -> Value {
    let text = ok(
        dir,
        &[
            "import",
            "--community",
            c,
            "--format",
            format,
            "--json",
            file.to_str().unwrap(),
        ],
    );
    serde_json::from_str(&text).expect("import --json prints JSON")
}

#[test]
fn agenda_and_annuaire_travel_between_devices_once() {
    passerelle_tests::setup!();
    let (tmp, a) = device("Nadia");
    let demo = ok(&a, &["demo"]);
    let (_tmp_b, b) = device("Karim");
    let other = ok(&b, &["community", "create", "--name", "Quartier Nord"]);

    // The whole agenda, as a file: one VEVENT per event.
    let events = list(&a, &["event", "list", "--community", &demo]);
    assert!(count(&events) >= 2);
    let ics = tmp.path().join("agenda.ics");
    ok(
        &a,
        &[
            "export",
            "--community",
            &demo,
            "--format",
            "ics",
            "--out",
            ics.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&ics).unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
    assert_eq!(text.matches("BEGIN:VEVENT").count(), events.len());

    // One event, on stdout.
    let id = events[0]["id"].as_str().unwrap();
    let one = ok(
        &a,
        &[
            "export",
            "--community",
            &demo,
            "--format",
            "ics",
            "--what",
            &format!("event:{id}"),
        ],
    );
    assert_eq!(one.matches("BEGIN:VEVENT").count(), 1);
    assert!(one.contains(&format!("UID:{id}@passerelle")));

    // Into another community: every event once, even when imported twice.
    let first = import(&b, &other, "ics", &ics);
    assert_eq!(first["imported"].as_array().unwrap().len(), events.len());
    assert!(first["skipped"].as_array().unwrap().is_empty());
    let again = import(&b, &other, "ics", &ics);
    assert!(again["imported"].as_array().unwrap().is_empty());
    assert_eq!(again["skipped"].as_array().unwrap().len(), events.len());
    let copied = list(&b, &["event", "list", "--community", &other]);
    assert_eq!(titles(&copied, "title"), titles(&events, "title"));

    // The annuaire, the same way.
    let actors = list(&a, &["actor", "list", "--community", &demo]);
    let csv = tmp.path().join("annuaire.csv");
    ok(
        &a,
        &[
            "export",
            "--community",
            &demo,
            "--format",
            "csv",
            "--what",
            "annuaire",
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("name,kind,tags,email,phone,website,address,description\n"));
    let first = import(&b, &other, "csv", &csv);
    assert_eq!(first["imported"].as_array().unwrap().len(), actors.len());
    let again = import(&b, &other, "csv", &csv);
    assert!(again["imported"].as_array().unwrap().is_empty());
    let copied = list(&b, &["actor", "list", "--community", &other]);
    assert_eq!(titles(&copied, "name"), titles(&actors, "name"));
}

#[test]
fn bad_rows_are_reported_by_line_and_bad_files_change_nothing() {
    passerelle_tests::setup!();
    let (tmp, dir) = device("Karim");
    let c = ok(&dir, &["community", "create", "--name", "Quartier Nord"]);
    let file = tmp.path().join("contacts.csv");
    std::fs::write(
        &file,
        "nom;type;étiquettes;courriel\n\
         Jardins de Gorki;lieu;jardin, potager;\n\
         Marie;robot;;marie@example.org\n\
         Amicale;organisation;fête;a@b.fr;en trop\n\
         ;person;;\n\
         Centre social;organisation;;contact@centre.fr\n",
    )
    .unwrap();
    let report = ok(
        &dir,
        &[
            "import",
            "--community",
            &c,
            "--format",
            "csv",
            "--what",
            "annuaire",
            file.to_str().unwrap(),
        ],
    );
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 5, "{report}");
    assert!(lines[0].starts_with("imported line 2: Jardins de Gorki ("));
    assert!(lines[1].starts_with("imported line 6: Centre social ("));
    assert_eq!(
        lines[2],
        "skipped line 3 (Marie): unknown kind 'robot' (expected person, organisation or place)"
    );
    assert_eq!(lines[3], "skipped line 4: 5 columns where the header has 4");
    assert_eq!(lines[4], "skipped line 5: the name must not be empty");
    let actors = list(&dir, &["actor", "list", "--community", &c]);
    assert_eq!(
        titles(&actors, "name"),
        ["Centre social", "Jardins de Gorki"]
    );

    // Latin-1 from an old spreadsheet: refused, nothing added.
    let latin1 = tmp.path().join("latin1.csv");
    std::fs::write(&latin1, b"nom,type\nCaf\xe9 du coin,lieu\n").unwrap();
    let err = fails(
        &dir,
        &[
            "import",
            "--community",
            &c,
            "--format",
            "csv",
            latin1.to_str().unwrap(),
        ],
    );
    assert!(
        err.contains("not UTF-8 text (first bad byte on line 2)"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    // Not a calendar.
    let err = fails(
        &dir,
        &[
            "import",
            "--community",
            &c,
            "--format",
            "ics",
            file.to_str().unwrap(),
        ],
    );
    assert!(err.contains("not an iCalendar file"), "{err}");
    assert_eq!(list(&dir, &["actor", "list", "--community", &c]).len(), 2);
    assert!(list(&dir, &["event", "list", "--community", &c]).is_empty());

    // Asking for what a format cannot hold.
    let err = fails(&dir, &["export", "--community", &c, "--format", "csv"]);
    assert!(err.contains("--what annuaire"), "{err}");
    let err = fails(
        &dir,
        &[
            "export",
            "--community",
            &c,
            "--format",
            "html",
            "--what",
            "sheet:NOPE",
        ],
    );
    assert!(err.contains("no sheet with id 'NOPE'"), "{err}");
    let err = fails(
        &dir,
        &[
            "import",
            "--community",
            &c,
            "--format",
            "csv",
            "--what",
            "agenda",
            file.to_str().unwrap(),
        ],
    );
    assert!(err.contains("into the annuaire"), "{err}");
}

#[test]
fn sheets_and_the_synthesis_print_as_markdown_and_escaped_html() {
    passerelle_tests::setup!();
    let (tmp, dir) = device("Nadia");
    let c = ok(&dir, &["demo"]);
    ok(
        &dir,
        &[
            "idea",
            "add",
            "--community",
            &c,
            "--text",
            "<script>alert(1)</script>",
        ],
    );
    let ideas = list(&dir, &["idea", "list", "--community", &c]);
    let markdown = ok(
        &dir,
        &[
            "export",
            "--community",
            &c,
            "--format",
            "markdown",
            "--what",
            "workshop",
        ],
    );
    assert!(markdown.starts_with("# Synthèse de l'atelier"));
    let html_file = tmp.path().join("synthese.html");
    ok(
        &dir,
        &[
            "export",
            "--community",
            &c,
            "--format",
            "html",
            "--what",
            "workshop",
            "--lang",
            "en",
            "--out",
            html_file.to_str().unwrap(),
        ],
    );
    let html = std::fs::read_to_string(&html_file).unwrap();
    assert!(html.contains("<title>Workshop synthesis"));
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(html.matches("<li>").count(), ideas.len());

    let sheets = list(&dir, &["sheet", "list", "--community", &c]);
    let sheet = &sheets[0];
    let what = format!("sheet:{}", sheet["id"].as_str().unwrap());
    let markdown = ok(
        &dir,
        &[
            "export",
            "--community",
            &c,
            "--format",
            "markdown",
            "--what",
            &what,
        ],
    );
    assert!(markdown.starts_with("# "), "{markdown}");
    let html = ok(
        &dir,
        &[
            "export",
            "--community",
            &c,
            "--format",
            "html",
            "--what",
            &what,
        ],
    );
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<h1>"));

    // The échanges for a spreadsheet: a header and one record per échange.
    let exchanges = list(&dir, &["exchange", "list", "--community", &c]);
    let csv = ok(
        &dir,
        &[
            "export",
            "--community",
            &c,
            "--format",
            "csv",
            "--what",
            "exchanges",
        ],
    );
    assert!(csv.starts_with(
        "title,kind,category,mode,status,author,place,created,updated,replies,description"
    ));
    assert!(
        exchanges
            .iter()
            .all(|e| csv.contains(e["title"].as_str().unwrap()))
    );

    // The bilan for a spreadsheet: one count a row, every échange opened
    // counted once since the beginning; an empty year has its twelve
    // months of zeros; months the wrong way round are refused.
    let bilan = |range: &[&str]| {
        let mut args = vec![
            "export",
            "--community",
            &c,
            "--format",
            "csv",
            "--what",
            "bilan",
        ];
        args.extend_from_slice(range);
        ok(&dir, &args)
    };
    let sum = |text: &str, series: &str| -> i64 {
        text.lines()
            .filter(|l| l.starts_with(&format!("{series},")))
            .map(|l| l.rsplit(',').next().unwrap().parse::<i64>().unwrap())
            .sum()
    };
    let all = bilan(&[]);
    assert!(all.starts_with("series,month,key,label,value\n"), "{all}");
    assert_eq!(sum(&all, "exchanges_opened"), exchanges.len() as i64);
    let empty = bilan(&["--from", "1990-01", "--to", "1990-12"]);
    assert_eq!(empty.lines().count(), 1 + 12, "{empty}");
    assert_eq!(sum(&empty, "active_members"), 0);
    fails(
        &dir,
        &[
            "export",
            "--community",
            &c,
            "--format",
            "csv",
            "--what",
            "bilan",
            "--from",
            "2026-05",
            "--to",
            "2026-01",
        ],
    );
    fails(
        &dir,
        &[
            "export",
            "--community",
            &c,
            "--format",
            "csv",
            "--what",
            "exchanges",
            "--from",
            "2026-05",
        ],
    );
}
