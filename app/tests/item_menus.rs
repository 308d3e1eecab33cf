//! Secondary actions out of the way, driven like a person would: in the
//! Annuaire, Atelier, Savoirs and Membres, deleting, moderating and
//! removing sit in the opened item's "…" menu ("Plus d'actions"), never as
//! buttons beside "Voter" or "Modifier", and each still asks first; an
//! admin changes a member's role in two clicks; the personal backup says
//! how to restore it without a command line.

mod common;
use common::*;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use passerelle_core::model::{ItemKind, ModerationAction};

/// Opens the first "…" menu on screen and clicks `item` in it (the Membres
/// pane draws the member's menu before those of their devices; the
/// Atelier's first idea is in view).
fn press_in_first_menu(h: &mut H, item: &str) {
    h.get_all_by_role_and_label(Role::Button, "Plus d'actions")
        .next()
        .expect("a '…' menu is shown")
        .click();
    h.step();
    h.step();
    press(h, item);
}

/// No button of the screen says `label` until a "…" menu is opened.
fn hidden_until_menu(h: &H, label: &str) -> bool {
    h.query_by_role_and_label(Role::Button, label).is_none()
}

#[test]
fn an_annuaire_entry_is_deleted_from_its_menu_after_a_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Nadia", "Annuaire");
    let name = "Crèche Les Petits Pas";
    wait_until(&mut h, "the entry in the list", |h| {
        h.query_by_role_and_label(Role::Button, name).is_some()
    });
    press(&mut h, name);
    wait_until(&mut h, "the entry's pane", |h| {
        h.query_by_role_and_label(Role::Button, "Modifier")
            .is_some()
    });
    assert!(hidden_until_menu(&h, "Supprimer"));
    assert!(hidden_until_menu(&h, "Masquer"));

    press_in_menu(&mut h, "Supprimer");
    assert!(shows(&h, "Supprimer cette fiche"), "it asks first");
    let listed = |h: &H| view(h).community.actors.iter().any(|a| a.name == name);
    assert!(listed(&h), "nothing is deleted before the confirmation");
    press(&mut h, "Confirmer la suppression");
    wait_until(&mut h, "the entry deleted", |h| !listed(h));
    h.run();
}

#[test]
fn an_idea_is_hidden_from_its_menu_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Nadia", "Atelier");
    wait_until(&mut h, "the ideas", |h| {
        h.query_all_by_role_and_label(Role::Button, "Voter")
            .next()
            .is_some()
    });
    assert!(hidden_until_menu(&h, "Supprimer"));
    assert!(hidden_until_menu(&h, "Masquer"));
    assert!(hidden_until_menu(&h, "Modérer"));

    press_in_first_menu(&mut h, "Masquer");
    // No reason, no hiding: the button waits for one.
    press(&mut h, "Masquer");
    assert!(view(&h).moderated.is_empty());
    type_into(&mut h, "Raison", "Idée en double");
    press(&mut h, "Masquer");
    wait_until(&mut h, "the idea hidden", |h| !view(h).moderated.is_empty());
    let moderated = &view(&h).moderated[0];
    assert_eq!(moderated.kind, ItemKind::Idea);
    assert_eq!(moderated.moderation.action, ModerationAction::Hide);
    assert_eq!(moderated.moderation.reason, "Idée en double");
    h.run();
}

#[test]
fn a_sheet_is_deleted_from_its_menu_after_a_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Nadia", "Savoirs");
    let title = "Déboucher un évier";
    wait_until(&mut h, "the sheets", |h| {
        h.query_by_role_and_label(Role::Button, title).is_some()
    });
    press(&mut h, title);
    wait_until(&mut h, "the sheet", |h| {
        h.query_all_by_role_and_label(Role::Button, "Modifier")
            .next()
            .is_some()
    });
    assert!(hidden_until_menu(&h, "Supprimer ce savoir"));

    press_in_menu(&mut h, "Supprimer ce savoir");
    let listed = |h: &H| view(h).sheets.iter().any(|s| s.title == title);
    assert!(listed(&h), "nothing is deleted before the confirmation");
    press(&mut h, "Confirmer la suppression");
    wait_until(&mut h, "the sheet deleted", |h| !listed(h));
    h.run();
}

#[test]
fn an_admin_changes_a_role_in_two_clicks_and_removes_from_the_menu() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Nadia", "Membres");
    wait_until(&mut h, "the members", |h| {
        h.query_by_role_and_label(Role::Button, "Karim").is_some()
    });
    press(&mut h, "Karim");
    wait_until(&mut h, "Karim's pane", |h| {
        h.query_by_role_and_label(Role::Button, "Animateur")
            .is_some()
    });
    let karim = member_id(&h, "Karim");
    let role = |h: &H| view(h).member(&karim).map(|m| m.role);

    let mut actions = Actions::default();
    actions.press(&mut h, "Animateur");
    actions.press(&mut h, "Enregistrer le rôle");
    wait_until(&mut h, "Karim animateur", |h| {
        role(h) == Some(passerelle_core::model::Role::Animateur)
    });
    assert_eq!(actions.0, 2);

    assert!(hidden_until_menu(&h, "Retirer de la communauté"));
    press_in_first_menu(&mut h, "Retirer de la communauté");
    assert!(shows(&h, "Retirer ce membre ?"), "it asks first");
    assert!(view(&h).member(&karim).is_some_and(|m| m.is_active()));
    press(&mut h, "Confirmer le retrait");
    wait_until(&mut h, "Karim removed", |h| {
        view(h).member(&karim).is_some_and(|m| !m.is_active())
    });
    h.run();
}

#[test]
fn the_backup_says_how_to_restore_it_without_a_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Nadia", "Membres");
    wait_until(&mut h, "my devices", |h| shows(h, "Mes appareils"));
    assert!(
        h.query_by_role_and_label(Role::Button, "Ajouter un appareil")
            .is_some()
    );
    assert!(shows(&h, "Sauvegarde personnelle"));
    assert!(shows(&h, "« Restaurer une sauvegarde »"));
    assert!(!shows(&h, "passerelle-node"), "no command line");
    assert!(
        h.query_by_role_and_label(Role::Button, "Faire une sauvegarde")
            .is_some()
    );
    h.run();
}
