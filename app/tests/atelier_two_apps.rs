//! A workshop run end to end on two apps on one machine: the facilitator's
//! app creates it on the example community and invites a participant's app;
//! the participant sits at a table and notes an idea, which reaches the
//! facilitator live; the facilitator exports the synthesis.

mod common;
use common::*;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

fn pick(h: &mut H, combo: &str, item: &str) {
    wait_until(h, combo, |h| {
        h.query_by_role_and_label(Role::ComboBox, combo).is_some()
    });
    h.get_by_role_and_label(Role::ComboBox, combo).click();
    wait_until(h, item, |h| h.query_by_label(item).is_some());
    h.get_by_label(item).click();
    h.step();
}

#[test]
fn a_workshop_runs_on_two_apps_and_its_synthesis_is_exported() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let exports = dir_a.path().join("exports");
    // SAFETY: set before the apps start any thread; this file has one test.
    unsafe { std::env::set_var("PASSERELLE_EXPORT_DIR", &exports) };

    // The facilitator creates the workshop and invites a participant.
    let mut a = harness(&dir_a.path().join("data"));
    onboard(&mut a, "Nadia");
    load_example(&mut a);
    wait_for_network(&mut a);
    go(&mut a, "Atelier");
    press(&mut a, "Nouvel atelier");
    type_into(&mut a, "Titre de l'atelier", "Grande Rencontre");
    press(&mut a, "Créer l'atelier");
    wait_until(&mut a, "the workshop", |a| !view(a).workshops.is_empty());
    let ticket = create_invite(&mut a);

    // The participant joins from the second app and sits at table 2.
    let mut b = harness(&dir_b.path().join("data"));
    onboard(&mut b, "Bruno");
    wait_for_network(&mut b);
    press(&mut b, "Rejoindre une communauté");
    type_into(&mut b, "Invitation", &ticket);
    press(&mut b, "Rejoindre");
    wait_until(&mut b, "the workshop on B", |b| {
        b.state().view().is_some_and(|v| !v.workshops.is_empty())
            && b.query_by_role_and_label(Role::Button, "Rejoindre")
                .is_none()
    });
    go(&mut b, "Atelier");
    let bruno = member_id(&b, "Bruno");
    pick(&mut b, "Votre table", "Table 2");
    wait_until(&mut b, "the seat", |b| {
        view(b).workshops[0].table_of(&bruno) == Some(2)
    });
    let text = "Un café des savoirs chaque mois";
    type_into(&mut b, "Votre idée", text);
    pick(&mut b, "Thème", "Formation et apprentissage");
    press(&mut b, "Ajouter l'idée");

    // The idea reaches the facilitator's app live, at table 2.
    wait_until(&mut a, "B's idea on A", |a| {
        view(a)
            .ideas
            .iter()
            .any(|i| i.text.as_str() == text && i.table == Some(2) && i.workshop.is_some())
    });
    go(&mut a, "Atelier");
    wait_until(&mut a, "the idea in A's synthesis", |a| {
        a.query_all_by_label_contains(text).next().is_some()
    });

    // The facilitator exports the synthesis.
    press(&mut a, "Exporter le texte (.md)");
    let file = exports.join("synthese-atelier.md");
    wait_until(&mut a, "the export", |_| file.exists());
    let md = std::fs::read_to_string(&file).unwrap();
    assert!(
        md.starts_with("# Synthèse de l'atelier — Grande Rencontre"),
        "{md}"
    );
    assert!(
        md.contains("## Formation et apprentissage (1 idée, 0 votes)"),
        "{md}"
    );
    assert!(md.contains(text) && md.contains("Bruno, table 2"), "{md}");
    a.run();
    b.run();
}
