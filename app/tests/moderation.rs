//! Moderation in the app, driven through its accessibility tree: an admin
//! hides an échange with a reason and finds it in Membres › Modération,
//! brings it back with "Rétablir", deletes another for good after a
//! confirmation, and locks a post whose comment box then disappears.

mod common;

use common::*;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use passerelle_core::model::ModerationAction;

/// Opens an échange's details from its card in the list, then its "…"
/// menu, where a moderator finds "Modérer".
fn open_exchange(h: &mut H, title: &str) {
    scroll_to_card(h, title);
    h.get_by_label(title).click();
    wait_until(h, "the échange's details and its '…' menu", |h| {
        h.query_by_label("Détails").is_some()
            && h.query_by_role_and_label(Role::Button, "Plus d'actions")
                .is_some()
    });
    press_in_menu(h, "Modérer");
}

/// Opens the first "…" menu of the screen (the newest post's in the Fil).
fn open_first_menu(h: &mut H) {
    let menu = "Plus d'actions";
    h.query_all_by_role_and_label(Role::Button, menu)
        .next()
        .expect("a '…' menu is shown")
        .scroll_to_me();
    settle(h);
    h.query_all_by_role_and_label(Role::Button, menu)
        .next()
        .expect("a '…' menu is shown")
        .click();
    h.step();
    h.step();
}

fn listed(h: &H, title: &str) -> bool {
    view(h).exchanges.iter().any(|e| e.title == title)
}

#[test]
fn an_admin_hides_restores_and_deletes_an_echange() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Nadia", "Échanges");
    let velo = "Réparer mon vélo";
    let reason = "Annonce en double";

    open_exchange(&mut h, velo);
    press(&mut h, "Masquer");
    // No reason, no hiding: the button waits for one.
    press(&mut h, "Masquer");
    assert!(listed(&h, velo), "hiding asks for a reason first");
    type_into(&mut h, "Raison", reason);
    press(&mut h, "Masquer");
    wait_until(&mut h, "the échange hidden", |h| !listed(h, velo));
    for _ in 0..3 {
        h.step();
    }
    assert!(
        h.query_by_label(velo).is_none(),
        "a hidden échange leaves the list"
    );
    let moderated = view(&h).moderated.clone();
    assert_eq!(moderated.len(), 1);
    assert_eq!(moderated[0].preview, velo);
    assert_eq!(moderated[0].moderation.reason, reason);
    assert_eq!(moderated[0].moderation.action, ModerationAction::Hide);
    assert_eq!(moderated[0].moderation.by, member_id(&h, "Nadia"));

    go(&mut h, "Membres");
    wait_until(&mut h, "the Modération section", |h| {
        h.query_by_label("Modération").is_some()
    });
    assert!(shows(&h, velo), "the section names the hidden item");
    assert!(shows(&h, reason), "and says why");
    assert!(shows(&h, "Masqué par Nadia"), "and who hid it");
    press(&mut h, "Rétablir");
    wait_until(&mut h, "the échange back", |h| listed(h, velo));
    assert!(view(&h).moderated.is_empty());
    h.step();
    assert!(shows(&h, "Aucun élément masqué ni supprimé."));
    go(&mut h, "Échanges");
    scroll_to_card(&mut h, velo);

    // Deleting asks a reason, then a confirmation; it cannot be restored.
    let cv = "Relire mon CV";
    open_exchange(&mut h, cv);
    press(&mut h, "Supprimer définitivement");
    type_into(&mut h, "Raison", "Données personnelles");
    press(&mut h, "Continuer");
    assert!(listed(&h, cv), "nothing is deleted before the confirmation");
    assert!(shows(
        &h,
        "Supprimer définitivement ? Le contenu ne pourra pas être rétabli."
    ));
    press(&mut h, "Confirmer la suppression");
    wait_until(&mut h, "the échange deleted", |h| !listed(h, cv));
    let moderated = view(&h).moderated.clone();
    assert_eq!(moderated[0].moderation.action, ModerationAction::Delete);
    assert_eq!(moderated[0].preview, "", "its content is emptied");
    go(&mut h, "Membres");
    wait_until(&mut h, "the deleted item listed", |h| {
        shows(h, "Données personnelles")
    });
    assert!(shows(&h, "(contenu effacé)"));
    assert!(
        h.query_by_role_and_label(Role::Button, "Rétablir")
            .is_none(),
        "a deleted item cannot be restored"
    );
    h.run();
}

#[test]
fn a_locked_post_loses_its_comment_box() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Nadia", "Fil");
    wait_until(&mut h, "the example posts", |h| {
        h.query_by_label_contains("Il reste 9 places").is_some()
    });
    let comment_buttons = |h: &H| {
        h.query_all_by_role_and_label(Role::Button, "Commenter")
            .count()
    };
    let before = comment_buttons(&h);
    assert!(before >= 2);
    // Posts are newest first: the first "…" menu is the newest post's.
    let post = view(&h).posts[0].id.clone();
    open_first_menu(&mut h);
    press(&mut h, "Modérer");
    press(&mut h, "Verrouiller la discussion");
    type_into(&mut h, "Raison", "Le débat continue en réunion");
    press(&mut h, "Verrouiller");
    wait_until(&mut h, "the post locked", |h| {
        view(h)
            .posts
            .iter()
            .any(|p| p.id == post && p.locked.is_some())
    });
    h.step();
    assert!(shows(&h, "Discussion verrouillée"));
    assert!(shows(&h, "Le débat continue en réunion"));
    assert_eq!(
        comment_buttons(&h),
        before - 1,
        "the locked post has no comment box"
    );

    open_first_menu(&mut h);
    press(&mut h, "Modérer");
    press(&mut h, "Déverrouiller la discussion");
    wait_until(&mut h, "the post unlocked", |h| {
        view(h)
            .posts
            .iter()
            .any(|p| p.id == post && p.locked.is_none())
    });
    h.step();
    assert_eq!(comment_buttons(&h), before);
    h.run();
}

/// Keeps an equivocation aside in `dir`'s refused log of the community, as
/// the node does when a device signs two versions of one change
/// (`crates/core/src/refused.rs`).
fn equivocation_kept(dir: &std::path::Path, community: &str, device: &str, times: usize) {
    let log = dir.join("communities").join(community).join("refused");
    std::fs::create_dir_all(&log).unwrap();
    let mut text = String::new();
    for i in 0..times {
        let entry = passerelle_core::RefusedChange {
            time: format!("2026-12-0{}T18:30:00Z", i + 1),
            doc: "exchanges".into(),
            hash: format!("{i:064x}"),
            writer: device.into(),
            reason: "a second change numbered 7 by the same device (the device misbehaves)".into(),
            code: "equivocation".into(),
            from: device.into(),
            evidence: None,
        };
        text.push_str(&serde_json::to_string(&entry).unwrap());
        text.push('\n');
    }
    std::fs::write(log.join("log.jsonl"), text).unwrap();
}

#[test]
fn devices_that_contradict_themselves_are_shown_to_an_admin_not_to_a_member() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = harness(dir_a.path());
    onboard(&mut a, "Nadia");
    load_example(&mut a);
    wait_for_network(&mut a);
    let community = view(&a).community.id.0.clone();
    // A member of the example with a device: the one that contradicts itself.
    let (name, key) = view(&a)
        .community
        .members
        .iter()
        .filter(|m| m.display_name != "Nadia" && m.is_active())
        .find_map(|m| {
            let key = m.devices.keys().next()?.clone();
            Some((m.display_name.clone(), key))
        })
        .expect("a member of the example has a device");
    equivocation_kept(dir_a.path(), &community, &key, 3);
    let ticket = create_invite(&mut a);

    // The admin sees the device, who it is, how often, and may revoke it.
    go(&mut a, "Membres");
    wait_until(&mut a, "the device in the section", |a| {
        shows(a, &format!("de {name}"))
    });
    assert!(shows(&a, "Appareils qui se contredisent"));
    assert!(shows(&a, "3 fois"), "how many times");
    assert!(shows(
        &a,
        "Cet appareil a envoyé deux versions différentes de la même modification : \
         il a peut-être été copié ou modifié. Vous pouvez le révoquer."
    ));
    press(&mut a, "Révoquer cet appareil");
    press(&mut a, "Confirmer la révocation");
    wait_until(&mut a, "the device revoked", |a| {
        view(a)
            .community
            .members
            .iter()
            .any(|m| m.devices.get(&key).is_some_and(|d| d.revoked.is_some()))
    });
    wait_until(&mut a, "the section says it is revoked", |a| {
        shows(a, "déjà révoqué")
    });
    assert!(
        a.query_by_role_and_label(Role::Button, "Révoquer cet appareil")
            .is_none()
    );

    // A plain member does not see the section, even with such a record.
    let mut b = harness(dir_b.path());
    onboard(&mut b, "Bruno");
    wait_for_network(&mut b);
    join_example(&mut b, &ticket);
    equivocation_kept(dir_b.path(), &community, &key, 1);
    go(&mut b, "Membres");
    wait_until(&mut b, "the Membres screen", |b| {
        shows(b, "Inviter quelqu'un")
    });
    for _ in 0..5 {
        b.step();
    }
    assert!(!shows(&b, "Appareils qui se contredisent"));
    assert!(!shows(&b, "Cet appareil a envoyé deux versions"));
}
