//! Errors met through the real app are said in French: no English message
//! of the node, and none of the command-line hints `passerelle-node` adds.

mod common;

use common::*;
use egui_kittest::kittest::{NodeT, Queryable};
use passerelle_core::model::CommandError;
use passerelle_core::model::command::MAX_TITLE;
use passerelle_core::{BundleError, CoreError};

/// Every text the app shows: labels and field values.
fn shown_texts(h: &H) -> Vec<String> {
    h.query_all_by_label_contains("")
        .flat_map(|n| {
            let node = n.accesskit_node();
            [node.label(), node.value()]
        })
        .flatten()
        .collect()
}

/// Waits for the error, then checks it is in French and that nothing
/// shown holds a command line or the node's English words.
fn shows_in_french(h: &mut H, french: &str, english: &[&str]) {
    wait_until(h, french, |h| shows(h, french));
    for text in shown_texts(h) {
        assert!(!text.contains("passerelle-node"), "a command shown: {text}");
        assert!(!text.contains("--"), "an option shown: {text}");
        for words in english {
            assert!(!text.contains(words), "English shown: {text}");
        }
    }
}

#[test]
fn errors_met_in_the_app_are_said_in_french_without_command_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Karim", "Échanges");
    wait_for_network(&mut h);

    // A title of 300 characters is refused by the node.
    let too_long = CommandError::TooLong {
        field: "title",
        len: 300,
        max: MAX_TITLE,
    }
    .to_string();
    press(&mut h, "Je cherche");
    type_into(&mut h, "Titre", &"a".repeat(300));
    press(&mut h, "Publier");
    shows_in_french(
        &mut h,
        "Le champ « titre » est trop long (300 caractères, 200 au plus).",
        &[&too_long, "is too long"],
    );
    press(&mut h, "Fermer");
    assert!(h.state().error().is_none());

    // A file that is not a bundle.
    go(&mut h, "Synchronisation");
    let letter = dir.path().join("lettre.txt");
    std::fs::write(&letter, "Bonjour à tous").unwrap();
    type_into(
        &mut h,
        "Fichier reçu à ouvrir",
        &letter.display().to_string(),
    );
    press(&mut h, "Ouvrir le fichier");
    let refused = CoreError::Bundle(BundleError::NotABundle).to_string();
    shows_in_french(
        &mut h,
        "Ce fichier n'est pas un fichier de communauté Passerelle. Rien n'a été changé.",
        &[&refused, "not a Passerelle bundle"],
    );
    press(&mut h, "Fermer");

    // Sixty-four hex digits that are no device's key, typed under "Avancé".
    open_advanced(&mut h);
    // Scrolling down is animated: let it end before clicking.
    field(&h, "Adresse du membre").unwrap().scroll_to_me();
    h.run();
    type_into(&mut h, "Adresse du membre", &"ab".repeat(32));
    press(&mut h, "Se connecter");
    shows_in_french(
        &mut h,
        "n'est ni un ticket ni une clé d'appareil.",
        &["is neither a ticket nor a device key"],
    );
    let failed = h.state().error().unwrap();
    assert!(
        failed.starts_with("La connexion n'a pas abouti."),
        "{failed}"
    );
    press(&mut h, "Fermer");

    // Joining one's own community with one's own invitation.
    let ticket = create_invite(&mut h);
    press(&mut h, "Rejoindre une communauté");
    type_into(&mut h, "Invitation", &ticket);
    press(&mut h, "Rejoindre");
    shows_in_french(
        &mut h,
        "Vous faites déjà partie de cette communauté.",
        &["already a member"],
    );
    press(&mut h, "Annuler");
    press(&mut h, "Fermer");
}
