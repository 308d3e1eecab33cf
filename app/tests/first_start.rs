//! The first start driven like a person would, on real nodes over loopback:
//! joining with an invitation in three actions, linking a device without
//! being asked a name, and restoring a personal backup entirely in the app,
//! a wrong passphrase included.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use passerelle_core::{Node, NodeConfig, Passphrase};

const NAME: &str = "Votre prénom ou votre nom";

/// Waits for the first screen's choices.
fn first_screen(h: &mut H) {
    wait_until(h, "the first start", |h| {
        h.query_by_role_and_label(Role::Button, "Rejoindre une communauté")
            .is_some()
    });
}

/// Waits for the app's screens: the first start is over.
fn main_screen(h: &mut H) {
    wait_until(h, "the main screen", |h| nav_button(h, "Membres").is_some());
}

/// Whether the app asks for a name anywhere on screen.
fn asks_a_name(h: &H) -> bool {
    field(h, NAME).is_some()
}

/// Types `text` into the password field `label`: one action.
fn fill_secret(h: &mut H, actions: &mut Actions, label: &str, text: &str) {
    h.get_by_role_and_label(Role::PasswordInput, label).click();
    h.step();
    h.get_by_role_and_label(Role::PasswordInput, label)
        .type_text(text);
    h.step();
    actions.0 += 1;
}

/// The display name saved on the device whose data directory is `dir`.
fn saved_name(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("profile.json")).ok()?;
    let profile: serde_json::Value = serde_json::from_str(&text).ok()?;
    profile["display_name"].as_str().map(str::to_owned)
}

#[test]
fn joining_with_an_invitation_takes_three_actions_from_the_first_start() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = harness(dir_a.path());
    onboard(&mut a, "Amina");
    load_example(&mut a);
    wait_for_network(&mut a);
    let ticket = create_invite(&mut a);

    let mut b = harness(dir_b.path());
    first_screen(&mut b);
    assert!(shows(
        &b,
        "Entraide, savoirs et rencontres entre voisins, sans serveur ni internet"
    ));
    wait_for_network(&mut b);
    let mut actions = Actions::default();
    actions.press(&mut b, "Rejoindre une communauté");
    // The invitation field has the focus: pasting needs no click.
    assert!(field(&b, "Invitation").unwrap().is_focused());
    field(&b, "Invitation").unwrap().type_text(&ticket);
    b.step();
    actions.fill(&mut b, NAME, "Bintou");
    actions.press(&mut b, "Rejoindre");
    main_screen(&mut b);
    wait_until(&mut b, "the community on the new app", |b| {
        b.state().view().is_some_and(|v| v.exchanges.len() >= 10)
    });
    assert!(actions.0 <= 3, "{} actions", actions.0);
    assert!(b.state().is_ready());
    let members = view(&b).community.members.clone();
    assert!(members.iter().any(|m| m.display_name == "Bintou"));
    assert_eq!(saved_name(dir_b.path()).as_deref(), Some("Bintou"));
    b.run();
}

#[test]
fn a_device_linked_in_the_app_is_never_asked_a_name() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = harness(dir_a.path());
    onboard(&mut a, "Amina");
    load_example(&mut a);
    wait_for_network(&mut a);
    go(&mut a, "Membres");
    wait_until(&mut a, "my devices", |a| shows(a, "Mes appareils"));
    press(&mut a, "Ajouter un appareil");
    wait_until(&mut a, "the pairing ticket", |a| {
        field(a, "Invitation à transmettre").is_some()
    });
    let ticket = field(&a, "Invitation à transmettre")
        .unwrap()
        .value()
        .expect("the ticket is shown as text");
    let amina = member_id(&a, "Amina");

    let mut b = harness(dir_b.path());
    first_screen(&mut b);
    assert!(!asks_a_name(&b));
    wait_for_network(&mut b);
    press(&mut b, "Rejoindre une communauté");
    field(&b, "Invitation").unwrap().type_text(&ticket);
    b.step();
    assert!(!asks_a_name(&b), "a pairing ticket asks no name");
    assert!(shows(&b, "il prendra votre nom"));
    press(&mut b, "Rejoindre");
    wait_until(&mut b, "the linked app's screens", |b| {
        assert!(!asks_a_name(b), "never asked a name");
        nav_button(b, "Membres").is_some()
    });
    wait_until(&mut b, "the community on the linked app", |b| {
        b.state().view().is_some_and(|v| v.exchanges.len() >= 10)
    });
    assert!(!asks_a_name(&b));
    let me = view(&b)
        .community
        .members
        .iter()
        .find(|m| m.devices.len() == 2)
        .cloned()
        .expect("a member with two devices");
    assert_eq!(me.id, amina);
    assert_eq!(me.display_name, "Amina");
    assert_eq!(saved_name(dir_b.path()).as_deref(), Some("Amina"));
    go(&mut b, "Membres");
    wait_until(&mut b, "Amina is me on the linked app", |b| {
        shows(b, "Amina (vous)")
    });
    b.run();
}

#[test]
fn a_backup_made_in_membres_is_restored_entirely_in_the_app() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let exports = dirs[0].path().join("exports");
    // SAFETY: the only test of this file that writes exports sets it.
    unsafe { std::env::set_var("PASSERELLE_EXPORT_DIR", &exports) };

    // Amina's old computer, and Chloé, a member whose device keeps the community.
    let mut a = harness(dirs[0].path());
    onboard(&mut a, "Amina");
    load_example(&mut a);
    wait_for_network(&mut a);
    let community = view(&a).community.name.clone();

    // The backup, from Membres → Mes appareils.
    go(&mut a, "Membres");
    wait_until(&mut a, "my devices", |a| shows(a, "Mes appareils"));
    let mut unused = Actions::default();
    fill_secret(
        &mut a,
        &mut unused,
        "Phrase de passe (8 caractères ou plus)",
        "trois pommes vertes",
    );
    press(&mut a, "Faire une sauvegarde");
    let backup = wait_for_file(&mut a, &exports);

    let ticket = create_invite(&mut a);
    let mut c = harness(dirs[1].path());
    onboard(&mut c, "Chloé");
    wait_for_network(&mut c);
    join_example(&mut c, &ticket);
    // The old computer is gone for good.
    drop(a);

    let dir_b = dirs[2].path();
    let mut b = harness(dir_b);
    first_screen(&mut b);
    let mut actions = Actions::default();
    actions.press(&mut b, "Restaurer une sauvegarde");
    assert!(!asks_a_name(&b), "a restore asks no name");
    actions.fill(
        &mut b,
        "Fichier de sauvegarde",
        &backup.display().to_string(),
    );
    fill_secret(
        &mut b,
        &mut actions,
        "Phrase de passe de la sauvegarde",
        "trois pommes vertes",
    );
    actions.press(&mut b, "Restaurer");
    wait_until(&mut b, "the restored name", |b| {
        shows(b, "Bon retour, Amina !")
    });
    assert!(shows(&b, &community), "the community to get back is named");
    assert_eq!(saved_name(dir_b).as_deref(), Some("Amina"));

    // At the next meeting, Chloé's device gives the community back.
    let address = c.state().net().info.as_ref().unwrap().ticket.clone();
    wait_for_network(&mut b);
    type_into(&mut b, "Adresse de l'appareil d'un membre", &address);
    press(&mut b, "Retrouver mes communautés");
    wait_until(&mut b, "the community back on the new computer", |b| {
        b.state()
            .view()
            .is_some_and(|v| v.community.name == community && v.exchanges.len() >= 10)
    });
    go(&mut b, "Membres");
    wait_until(&mut b, "Amina is me on the new computer", |b| {
        shows(b, "Amina (vous)")
    });
    b.run();
}

#[test]
fn a_wrong_passphrase_is_said_in_french_and_the_first_start_stays() {
    let dir = tempfile::tempdir().unwrap();
    let backup = backup_made_elsewhere(dir.path(), "Amina", "trois pommes vertes");
    let picture = dir.path().join("photo.png");
    std::fs::write(&picture, b"\x89PNG\r\n\x1a\n pas une sauvegarde").unwrap();
    let dir_b = dir.path().join("new");

    let mut b = harness(&dir_b);
    first_screen(&mut b);
    let mut actions = Actions::default();
    press(&mut b, "Restaurer une sauvegarde");

    // Another kind of file, dropped on the window.
    drop_file(&mut b, &picture);
    fill_secret(
        &mut b,
        &mut actions,
        "Phrase de passe de la sauvegarde",
        "trois pommes vertes",
    );
    press(&mut b, "Restaurer");
    wait_until(&mut b, "the other file refused", |b| {
        shows(b, "Ce fichier n'est pas une sauvegarde Passerelle")
    });
    assert_eq!(saved_name(&dir_b), None);

    // The backup, with a wrong passphrase.
    drop_file(&mut b, &backup);
    assert_eq!(
        field(&b, "Fichier de sauvegarde")
            .unwrap()
            .value()
            .as_deref(),
        Some(backup.display().to_string().as_str())
    );
    fill_secret(
        &mut b,
        &mut actions,
        "Phrase de passe de la sauvegarde",
        "pas la bonne phrase",
    );
    press(&mut b, "Restaurer");
    wait_until(&mut b, "the refusal", |b| {
        shows(b, "Phrase de passe incorrecte pour cette sauvegarde")
    });
    assert!(shows(&b, "rien n'a été restauré"));
    // Still the first start, the file kept, nothing written.
    assert!(field(&b, "Fichier de sauvegarde").is_some());
    assert!(
        b.query_by_role_and_label(Role::Button, "Restaurer")
            .is_some()
    );
    assert_eq!(saved_name(&dir_b), None);
    assert!(b.state().error().is_none(), "said in the form, not twice");

    // Again, with the right one: restored.
    fill_secret(
        &mut b,
        &mut actions,
        "Phrase de passe de la sauvegarde",
        "trois pommes vertes",
    );
    press(&mut b, "Restaurer");
    wait_until(&mut b, "the restored name", |b| {
        shows(b, "Bon retour, Amina !")
    });
    assert!(shows(&b, "Jardin partagé"));
    assert_eq!(saved_name(&dir_b).as_deref(), Some("Amina"));
    b.run();
}

/// A file dropped on the window, as a file manager does.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_file(h: &mut H, path: &Path) {
    let file = std::sync::Arc::new(Dropped(path.to_owned()));
    h.input_mut().dropped_files.push(file);
    h.step();
    h.step();
}

/// Waits for the backup written in `dir` (not its temporary file).
fn wait_for_file(h: &mut H, dir: &Path) -> PathBuf {
    let backup = |dir: &Path| {
        let entries = std::fs::read_dir(dir).ok()?;
        entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "backup"))
    };
    wait_until(h, "the backup file", |h| {
        shows(h, "Sauvegarde enregistrée") && backup(dir).is_some()
    });
    backup(dir).expect("the backup file")
}

/// A backup of `name`'s device with one community, made on another
/// computer (a node of its own), sealed with `passphrase`.
fn backup_made_elsewhere(dir: &Path, name: &str, passphrase: &str) -> PathBuf {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let node = Node::start(NodeConfig::new(dir.join("old"))).unwrap();
        let h = node.handle();
        h.set_display_name(name).await.unwrap();
        h.create_community("Jardin partagé", "").await.unwrap();
        let file = dir.join("amina.backup");
        h.create_backup(&file, &Passphrase::from(passphrase.to_owned()))
            .await
            .unwrap();
        node.shutdown().await;
        file
    })
}
