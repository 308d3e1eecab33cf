//! The Atelier screen running a workshop, driven like a facilitator would:
//! create it with the seven-theme preset, sit at table 3, note two ideas,
//! merge the duplicate, and make the feuille de route in one click.

mod common;
use common::*;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

fn type_into(h: &mut H, role: Role, label: &str, text: &str) {
    wait_until(h, label, |h| {
        h.query_by_role_and_label(role, label).is_some()
    });
    h.get_by_role_and_label(role, label).click();
    h.step();
    h.get_by_role_and_label(role, label).type_text(text);
    h.step();
}

fn pick(h: &mut H, combo: &str, item: &str) {
    h.get_by_role_and_label(Role::ComboBox, combo).click();
    wait_until(h, item, |h| h.query_by_label(item).is_some());
    h.get_by_label(item).click();
    h.step();
}

#[test]
fn a_workshop_is_created_ideas_merged_and_the_roadmap_made() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Nadia", "Atelier");
    h.get_by_role_and_label(Role::Button, "Nouvel atelier")
        .click();
    type_into(
        &mut h,
        Role::TextInput,
        "Titre de l'atelier",
        "Grande Rencontre",
    );
    // The preset typology is there, editable.
    assert_eq!(
        h.query_all_by_role_and_label(Role::Button, "Retirer")
            .count(),
        7
    );
    h.get_by_role_and_label(Role::Button, "Créer l'atelier")
        .click();
    wait_until(&mut h, "the workshop", |h| !view(h).workshops.is_empty());
    let workshop = view(&h).workshops[0].clone();
    assert_eq!(workshop.tables, 6);
    assert_eq!(workshop.themes.len(), 7);
    wait_until(&mut h, "the workshop shown", |h| {
        h.query_by_role_and_label(Role::ComboBox, "Votre table")
            .is_some()
    });

    pick(&mut h, "Votre table", "Table 3");
    let me = member_id(&h, "Nadia");
    wait_until(&mut h, "the seat", |h| {
        view(h).workshops[0].table_of(&me) == Some(3)
    });

    let text = "Des formations croisées";
    for n in 1..=2 {
        type_into(&mut h, Role::MultilineTextInput, "Votre idée", text);
        pick(&mut h, "Thème", "Formation et apprentissage");
        h.get_by_role_and_label(Role::Button, "Ajouter l'idée")
            .click();
        wait_until(&mut h, "the idea", |h| {
            view(h)
                .ideas
                .iter()
                .filter(|i| i.workshop.is_some())
                .count()
                == n
        });
        wait_until(&mut h, "the form emptied", |h| {
            h.get_by_role_and_label(Role::MultilineTextInput, "Votre idée")
                .value()
                .is_none_or(|v| v.is_empty())
        });
    }
    let v = view(&h);
    let ideas: Vec<_> = v.ideas.iter().filter(|i| i.workshop.is_some()).collect();
    assert!(
        ideas.iter().all(|i| i.table == Some(3)),
        "at the chosen table"
    );
    assert!(
        ideas
            .iter()
            .all(|i| i.theme.as_deref() == Some("formation-et-apprentissage"))
    );

    wait_until(&mut h, "two duplicates to tick", |h| {
        h.query_all_by_role_and_label(Role::CheckBox, "Doublon")
            .count()
            == 2
    });
    for n in 0..2 {
        h.get_all_by_role_and_label(Role::CheckBox, "Doublon")
            .nth(n)
            .unwrap()
            .click();
        h.step();
    }
    h.get_by_role_and_label(Role::Button, "Fusionner les doublons cochés")
        .click();
    wait_until(&mut h, "the merge", |h| {
        view(h).ideas.iter().any(|i| i.merged_into.is_some())
    });
    wait_until(&mut h, "one idea left", |h| {
        h.query_by_label_contains("1 doublon fusionné").is_some()
    });

    h.get_by_role_and_label(Role::Button, "Créer la feuille de route")
        .click();
    wait_until(&mut h, "the roadmap", |h| {
        view(h)
            .sheets
            .iter()
            .any(|s| s.title == "Feuille de route — Grande Rencontre")
    });
    let v = view(&h);
    let sheet = v
        .sheets
        .iter()
        .find(|s| s.title == "Feuille de route — Grande Rencontre")
        .unwrap();
    assert_eq!(sheet.sections.len(), 1);
    assert_eq!(sheet.sections[0].heading, "Formation et apprentissage");
    assert!(
        sheet.sections[0]
            .body
            .as_str()
            .starts_with("- Des formations croisées (0 votes — Nadia, table 3)")
    );
    h.run();
}
