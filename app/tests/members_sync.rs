//! The Membres and Synchronisation screens driven like a person would, on
//! real nodes: profiles, invitations, and two apps joining and syncing over
//! loopback.

mod common;
use common::*;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use passerelle_core::model::ExchangeKind;

#[test]
fn editing_my_profile_shows_it_in_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    onboard(&mut h, "Nadia");
    load_example(&mut h);
    go(&mut h, "Membres");
    wait_until(&mut h, "the members", |h| shows(h, "Marion"));
    assert!(shows(&h, "Nadia (vous)"));
    press(&mut h, "Modifier mon profil");
    // The form starts from the current profile.
    assert_eq!(field(&h, "Mon nom").unwrap().value(), Some("Nadia".into()));
    type_into(&mut h, "Ce que je sais faire", "Tricot, vélo");
    type_into(&mut h, "Langues parlées", ", arabe");
    press(&mut h, "Enregistrer mon profil");
    wait_until(&mut h, "the profile in the view", |h| {
        let view = h.state().view().unwrap();
        view.community
            .members
            .iter()
            .any(|m| m.display_name == "Nadia" && m.skills == ["tricot", "vélo"])
    });
    wait_until(&mut h, "the skills in the list", |h| {
        shows(h, "tricot, vélo · parle français, arabe")
    });
    let view = h.state().view().unwrap().clone();
    let me = view
        .community
        .members
        .iter()
        .find(|m| m.display_name == "Nadia")
        .unwrap();
    assert_eq!(me.languages, ["français", "arabe"]);
    h.run();
}

#[test]
fn an_invitation_shows_its_ticket_is_listed_read_from_its_qr_code_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    onboard(&mut h, "Amina");
    load_example(&mut h);
    wait_for_network(&mut h);
    let ticket = create_invite(&mut h);
    assert!(ticket.starts_with("PASSERELLE1"), "{ticket}");
    wait_until(&mut h, "the pending invitation", |h| {
        shows(h, "Créée par Amina")
    });
    let view = h.state().view().unwrap().clone();
    let pending: Vec<_> = view
        .community
        .invites
        .iter()
        .filter(|i| !i.revoked && i.used_by.is_none())
        .collect();
    assert_eq!(pending.len(), 1);
    let day = pending[0].expires_at - pending[0].created_at;
    assert!(
        (day - 24 * 3600 * 1000).abs() < 5_000,
        "valid one day: {day}"
    );
    assert!(h.query_by_label("Code QR de l'invitation").is_some());
    h.run();

    // A text that is not a ticket is refused before anything is sent.
    press(&mut h, "Rejoindre une communauté");
    type_into(&mut h, "Invitation", "bonjour");
    press(&mut h, "Rejoindre");
    assert!(shows(&h, "n'est pas une invitation Passerelle"));

    // The QR code, saved as a picture, fills the join form.
    let png = dir.path().join("invitation.png");
    std::fs::write(&png, passerelle_app::views::sync::qr_png(&ticket).unwrap()).unwrap();
    type_into(&mut h, "Emplacement de l'image", &png.display().to_string());
    press(&mut h, "Lire le code QR");
    wait_until(&mut h, "the ticket read from the picture", |h| {
        field(h, "Invitation").unwrap().value() == Some(ticket.clone())
    });
    assert!(shows(&h, "Code QR lu"));
    // Joining one's own community is refused in plain words.
    press(&mut h, "Rejoindre");
    wait_until(&mut h, "the refusal", |h| {
        h.state()
            .error()
            .is_some_and(|e| e.contains("déjà partie de cette communauté"))
    });
    press(&mut h, "Annuler");

    // Revoked, it is no longer pending.
    go(&mut h, "Membres");
    press(&mut h, "Inviter quelqu'un");
    // The button is at the end of a long pane: let its scrolling settle.
    h.get_by_role_and_label(Role::Button, "Annuler cette invitation")
        .scroll_to_me();
    h.run();
    press(&mut h, "Annuler cette invitation");
    wait_until(&mut h, "no pending invitation", |h| {
        shows(h, "Aucune invitation en attente.")
    });
    let view = h.state().view().unwrap().clone();
    assert!(view.community.invites.iter().all(|i| i.revoked));
    h.run();
}

#[test]
fn the_sync_screen_refuses_a_foreign_file_and_saves_the_relay_setting() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    onboard(&mut h, "Chantal");
    load_example(&mut h);
    wait_for_network(&mut h);
    go(&mut h, "Synchronisation");
    wait_until(&mut h, "the device status", |h| {
        shows(h, "Prêt : les autres membres peuvent joindre cet appareil.")
    });
    // Addresses speak network: they wait under "Avancé".
    assert!(!shows(&h, "127.0.0.1:"));
    open_advanced(&mut h);
    assert!(shows(&h, "127.0.0.1:"));
    assert!(shows(
        &h,
        "Recherche des membres sur le même Wi-Fi : désactivée."
    ));

    let letter = dir.path().join("lettre.txt");
    std::fs::write(&letter, "Bonjour à tous").unwrap();
    type_into(
        &mut h,
        "Fichier reçu à ouvrir",
        &letter.display().to_string(),
    );
    press(&mut h, "Ouvrir le fichier");
    wait_until(&mut h, "the refusal", |h| {
        shows(h, "n'est pas un fichier de communauté Passerelle")
    });

    // Syncing with nobody around says so.
    press(&mut h, "Synchroniser maintenant");
    wait_until(&mut h, "the summary", |h| {
        shows(h, "Aucun membre joignable pour l'instant.")
    });

    // The relay is off by default; turning it on is remembered.
    assert!(
        !std::fs::read_to_string(dir.path().join("network.json"))
            .unwrap()
            .contains("default")
    );
    h.get_by_role_and_label(Role::RadioButton, "Relais publics de Passerelle")
        .scroll_to_me();
    h.step();
    h.get_by_role_and_label(Role::RadioButton, "Relais publics de Passerelle")
        .click_accesskit();
    h.step();
    h.step();
    press(&mut h, "Enregistrer le réglage");
    wait_until(&mut h, "the saved setting", |h| {
        shows(h, "Réglage enregistré.")
    });
    let settings = std::fs::read_to_string(dir.path().join("network.json")).unwrap();
    assert!(settings.contains("\"relay\": \"default\""), "{settings}");
    h.run();
}

#[test]
fn a_member_invites_another_app_which_joins_and_both_sync_live() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = harness(dir_a.path());
    onboard(&mut a, "Amina");
    load_example(&mut a);
    wait_for_network(&mut a);
    let ticket = create_invite(&mut a);
    assert!(ticket.starts_with("PASSERELLE1"));

    let mut b = harness(dir_b.path());
    onboard(&mut b, "Bruno");
    wait_for_network(&mut b);
    join_example(&mut b, &ticket);
    // B sees A's échanges.
    go(&mut b, "Échanges");
    scroll_to_card(&mut b, "Réparer mon vélo");

    // A knows Bruno now.
    wait_until(&mut a, "Bruno on A", |a| {
        a.state().view().is_some_and(|v| {
            v.community
                .members
                .iter()
                .any(|m| m.display_name == "Bruno")
        })
    });

    // B posts; A's app, still serving, receives it.
    press(&mut b, "Je cherche");
    type_into(&mut b, "Titre", "Cours de guitare");
    press(&mut b, "Publier");
    wait_until(&mut b, "the post on B", |b| {
        b.query_by_label("Cours de guitare").is_some()
    });
    wait_until(&mut a, "B's post on A", |a| {
        a.state().view().is_some_and(|v| {
            v.exchanges
                .iter()
                .any(|e| e.title == "Cours de guitare" && e.kind == ExchangeKind::Need)
        })
    });
    go(&mut a, "Échanges");
    wait_until(&mut a, "B's post in A's list", |a| {
        a.query_by_label("Cours de guitare").is_some()
    });

    // A's Synchronisation screen names Bruno in its session and its log.
    go(&mut a, "Synchronisation");
    wait_until(&mut a, "Bruno nearby, in words", |a| {
        shows(a, "À jour avec Bruno")
    });
    open_advanced(&mut a);
    wait_until(&mut a, "Bruno on the sync screen", |a| {
        shows(a, "Connecté à Bruno") || shows(a, "Nouveautés reçues de Bruno")
    });
    a.run();
    b.run();
}
