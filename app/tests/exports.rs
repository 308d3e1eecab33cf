//! Exports and imports driven like a person would: the Annuaire's CSV
//! export is clicked and lands in the exports folder, then a spreadsheet
//! with one good and one bad row is imported through the path field.

mod common;
use common::*;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

#[test]
fn the_annuaire_is_exported_then_a_spreadsheet_imported() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    // SAFETY: set before the app starts any thread; this file has one test.
    unsafe { std::env::set_var("PASSERELLE_EXPORT_DIR", &exports) };
    let mut h = example_on(&dir.path().join("data"), "Nadia", "Annuaire");
    let names: Vec<String> = view(&h)
        .community
        .actors
        .iter()
        .map(|a| a.name.clone())
        .collect();
    assert!(!names.is_empty());

    h.get_by_role_and_label(Role::Button, "Exporter pour un tableur (.csv)")
        .click();
    let file = exports.join("annuaire.csv");
    wait_until(&mut h, "the CSV export", |_| file.exists());
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("name,kind,tags,email,phone,website,address,description\n"));
    for name in &names {
        assert!(
            text.contains(name.as_str()),
            "{name} missing from the export"
        );
    }

    let sheet = dir.path().join("contacts.csv");
    std::fs::write(
        &sheet,
        "nom;type;étiquettes\nRessourcerie du Port;lieu;réemploi\nMarie;robot;\n",
    )
    .unwrap();
    h.get_by_label("Importer un fichier").click();
    h.step();
    wait_until(&mut h, "the import form", |h| {
        h.query_by_role_and_label(Role::TextInput, "Chemin du fichier")
            .is_some()
    });
    h.get_by_role_and_label(Role::TextInput, "Chemin du fichier")
        .click();
    h.step();
    h.get_by_role_and_label(Role::TextInput, "Chemin du fichier")
        .type_text(sheet.to_str().unwrap());
    h.step();
    h.get_by_role_and_label(Role::Button, "Importer le tableau")
        .click();
    wait_until(&mut h, "the imported place", |h| {
        view(h)
            .community
            .actors
            .iter()
            .any(|a| a.name == "Ressourcerie du Port" && a.tags == ["réemploi"])
    });
    wait_until(&mut h, "the import report", |h| {
        h.query_by_label_contains("1 ajouté(s), 1 ignoré(s)")
            .is_some()
            && h.query_by_label_contains("ligne 3 (Marie)").is_some()
    });
    assert_eq!(view(&h).community.actors.len(), names.len() + 1);
}
