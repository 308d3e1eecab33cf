//! The Bilan screen on the example community: its four charts are in the
//! accessibility tree with their titles, the numbers beside them are the
//! ones counted here from the view, the period can be changed, and the
//! CSV export lands in the exports folder and parses back.

mod common;
use common::*;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use passerelle_core::model::ExchangeStatus;

const CHARTS: [&str; 4] = [
    "Échanges par catégorie et par mois",
    "Membres actifs par mois",
    "Événements et participation",
    "Idées par thème",
];

#[test]
fn the_bilan_shows_its_charts_their_numbers_and_exports_them() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    // SAFETY: set before the app starts any thread; this file has one test.
    unsafe { std::env::set_var("PASSERELLE_EXPORT_DIR", &exports) };
    let mut h = example_on(&dir.path().join("data"), "Nadia", "Bilan");
    h.step();

    for title in CHARTS {
        assert!(
            h.query_by_role_and_label(Role::Heading, title).is_some()
                || h.query_by_label(title).is_some(),
            "the heading {title}"
        );
    }
    let chart = |h: &H, title: &str| h.query_by_role_and_label(Role::Figure, title).is_some();
    for title in [
        "Graphique : Publiés par mois",
        "Graphique : Réalisés par mois",
        "Graphique : Membres actifs par mois",
        "Graphique : Idées par thème",
    ] {
        assert!(chart(&h, title), "the chart {title}");
    }
    // The period shown first is the last twelve months; everything in the
    // example community is recent, so the totals are the view's counts.
    let view = view(&h);
    let now = now().timestamp_millis();
    let year_ago = now - 365 * 24 * 3600 * 1000;
    let opened = view
        .exchanges
        .iter()
        .filter(|e| e.created_at >= year_ago && e.created_at <= now)
        .count();
    let done = view
        .exchanges
        .iter()
        .filter(|e| e.status == ExchangeStatus::Done && e.updated_at >= year_ago)
        .count();
    assert!(opened > 0);
    // The total row of the table beside the échanges charts, and the big
    // figure at the top: the same number twice at least.
    assert!(h.query_all_by_label(&opened.to_string()).count() >= 2);
    assert!(h.query_all_by_label(&done.to_string()).count() >= 2);
    // Another period: the selector is kept and labelled.
    h.get_by_role_and_label(Role::ComboBox, "Période").click();
    wait_until(&mut h, "the periods", |h| {
        h.query_by_label("Depuis le début").is_some()
    });
    h.get_by_label("Depuis le début").click();
    h.step();
    h.step();
    assert_eq!(
        h.get_by_role_and_label(Role::ComboBox, "Période")
            .accesskit_node()
            .value()
            .as_deref(),
        Some("Depuis le début")
    );
    assert_eq!(
        h.query_all_by_label(&view.exchanges.len().to_string())
            .count()
            .min(2),
        2,
        "every échange since the beginning"
    );
    // Since the beginning includes the events planned: their chart, and a
    // row for each, numbered as on the chart, with its yes count.
    assert!(chart(&h, "Graphique : Événements et participation"));
    assert!(!view.events.is_empty());
    for e in view.events.iter() {
        assert!(
            h.query_by_label_contains(&format!(". {}", e.title))
                .is_some(),
            "the row of {}",
            e.title
        );
    }

    // The CSV export: one tidy table, parsed back with the csv crate.
    h.get_by_role_and_label(Role::Button, "Exporter le bilan pour un tableur (.csv)")
        .click();
    let file = exports.join("bilan.csv");
    wait_until(&mut h, "the CSV export", |_| file.exists());
    let mut reader = csv::Reader::from_path(&file).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec!["series", "month", "key", "label", "value"]
    );
    let mut opened_in_csv = 0;
    let mut events_in_csv = 0;
    for row in reader.records() {
        let row = row.unwrap();
        let value: i64 = row[4].parse().unwrap();
        match &row[0] {
            "exchanges_opened" => opened_in_csv += value,
            "event_coming" => events_in_csv += 1,
            _ => {}
        }
    }
    assert_eq!(opened_in_csv as usize, view.exchanges.len());
    assert_eq!(events_in_csv, view.events.len());
}
