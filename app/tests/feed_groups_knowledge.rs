//! The Fil, Groupes and Savoirs screens driven like a person would, on a
//! real node with the example community.

mod common;
use common::*;

use chrono::{Datelike, TimeZone, Timelike};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use passerelle_app::PasserelleApp;
use passerelle_core::model::{Group, MemberId};

/// A new app with the example community loaded, `name` being its admin.
fn example(dir: &std::path::Path, name: &str) -> Harness<'static, PasserelleApp> {
    let mut h = harness(dir);
    onboard(&mut h, name);
    h.get_by_role_and_label(Role::Button, "Découvrir avec une communauté exemple")
        .click();
    wait_until(&mut h, "the example community", |h| {
        h.state().view().is_some_and(|v| !v.posts.is_empty())
    });
    h
}

fn group(h: &Harness<'static, PasserelleApp>, name: &str) -> Group {
    view(h)
        .community
        .groups
        .iter()
        .find(|g| g.name == name)
        .expect("the group exists")
        .clone()
}

/// Scrolls to the first button labelled `label` (the newest post's, in the
/// Fil) and clicks it.
fn press_first(h: &mut Harness<'static, PasserelleApp>, label: &str) {
    h.get_all_by_role_and_label(Role::Button, label)
        .next()
        .expect("the button is shown")
        .scroll_to_me();
    settle(h);
    h.get_all_by_role_and_label(Role::Button, label)
        .next()
        .expect("the button is shown")
        .click();
    h.step();
    h.step();
}

/// Types into a text field (replacing what it held), as assistive technology does.
fn fill(h: &mut Harness<'static, PasserelleApp>, role: Role, label: &str, text: &str) {
    wait_until(h, label, |h| {
        h.query_by_role_and_label(role, label).is_some()
    });
    h.get_by_role_and_label(role, label)
        .set_text_value_accesskit(text);
    h.step();
}

#[test]
fn a_post_and_a_comment_appear_in_the_feed() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example(dir.path(), "Yasmine");
    go(&mut h, "Fil");
    wait_until(&mut h, "the example posts", |h| {
        h.query_by_label_contains("Il reste 9 places").is_some()
    });
    // The welcome: the community's description and its coming events.
    assert!(
        h.query_by_label_contains("Nous possédons tous des savoirs")
            .is_some()
    );
    assert!(h.query_by_label("Prochains rendez-vous").is_some());

    h.get_by_role_and_label(Role::MultilineTextInput, "Votre annonce")
        .click();
    h.step();
    h.get_by_role_and_label(Role::MultilineTextInput, "Votre annonce")
        .type_text("Atelier couture samedi à 14 h, apportez vos tissus !");
    h.step();
    h.get_by_role_and_label(Role::Button, "Publier").click();
    wait_until(&mut h, "the new post in the feed", |h| {
        h.query_by_label("Atelier couture samedi à 14 h, apportez vos tissus !")
            .is_some()
    });
    let post = view(&h).posts[0].clone();
    assert_eq!(
        post.text.as_str(),
        "Atelier couture samedi à 14 h, apportez vos tissus !"
    );
    assert_eq!(post.author, member_id(&h, "Yasmine"));
    // The form was emptied once saved.
    wait_until(&mut h, "the emptied post form", |h| {
        h.get_by_role_and_label(Role::MultilineTextInput, "Votre annonce")
            .value()
            .is_none_or(|v| v.is_empty())
    });

    // Posts are newest first: the first "Commenter" is under the new post.
    press_first(&mut h, "Commenter");
    h.get_by_role_and_label(Role::MultilineTextInput, "Votre commentaire")
        .type_text("J'apporte ma machine à coudre.");
    h.step();
    press(&mut h, "Envoyer");
    wait_until(&mut h, "the comment under the post", |h| {
        h.query_by_label("J'apporte ma machine à coudre.").is_some()
    });
    let post = view(&h).posts[0].clone();
    let comments: Vec<&str> = post.comments.values().map(|c| c.text.as_str()).collect();
    assert_eq!(comments, ["J'apporte ma machine à coudre."]);
    wait_until(&mut h, "the comment box closed", |h| {
        h.query_by_role_and_label(Role::MultilineTextInput, "Votre commentaire")
            .is_none()
    });
    h.run();
}

#[test]
fn deleting_a_post_asks_for_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example(dir.path(), "Yasmine");
    go(&mut h, "Fil");
    wait_until(&mut h, "the example posts", |h| {
        h.query_by_label_contains("Il reste 9 places").is_some()
    });
    let before = view(&h).posts.len();
    // As an admin, every post can be deleted: take the newest, from its
    // "…" menu.
    press_first(&mut h, "Plus d'actions");
    press(&mut h, "Supprimer");
    wait_until(&mut h, "the confirmation", |h| {
        h.query_by_label("Supprimer cette annonce et ses commentaires ?")
            .is_some()
    });
    assert_eq!(
        view(&h).posts.len(),
        before,
        "nothing is deleted on the first click"
    );
    press(&mut h, "Confirmer la suppression");
    wait_until(&mut h, "the post deleted", |h| {
        h.state()
            .view()
            .is_some_and(|v| v.posts.len() == before - 1)
    });
    wait_until(&mut h, "the post gone from the feed", |h| {
        h.query_by_label_contains("Il reste 9 places").is_none()
    });
    h.run();
}

#[test]
fn joining_and_leaving_a_group_and_writing_in_its_thread() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example(dir.path(), "Yasmine");
    let me = member_id(&h, "Yasmine");
    go(&mut h, "Groupes");
    wait_until(&mut h, "the group list", |h| {
        h.query_by_role_and_label(Role::Button, "Jardinage")
            .is_some()
    });
    assert!(!group(&h, "Jardinage").members.contains_key(me.as_str()));
    h.get_by_role_and_label(Role::Button, "Jardinage").click();
    h.step();
    assert!(
        h.query_by_label_contains("Les jardins de Gorki").is_some(),
        "the group's description is shown"
    );

    h.get_by_role_and_label(Role::Button, "Rejoindre le groupe")
        .click();
    wait_until(&mut h, "membership in the view", |h| {
        group(h, "Jardinage").members.contains_key(me.as_str())
    });
    wait_until(&mut h, "the leave button", |h| {
        h.query_by_role_and_label(Role::Button, "Quitter le groupe")
            .is_some()
    });
    // Listed among members, beside the avatar with her initials (named
    // "Yasmine" too).
    assert_eq!(h.query_all_by_label("Yasmine").count(), 2);

    fill(
        &mut h,
        Role::MultilineTextInput,
        "Votre message",
        "Qui vient arroser samedi ?",
    );
    h.get_by_role_and_label(Role::Button, "Envoyer").click();
    wait_until(&mut h, "the message in the thread", |h| {
        h.query_by_label("Qui vient arroser samedi ?").is_some()
    });
    let thread: Vec<(MemberId, String)> = group(&h, "Jardinage")
        .thread
        .values()
        .map(|m| (m.author.clone(), m.text.clone()))
        .collect();
    assert_eq!(
        thread,
        [(me.clone(), "Qui vient arroser samedi ?".to_owned())]
    );

    h.get_by_role_and_label(Role::Button, "Quitter le groupe")
        .click();
    wait_until(&mut h, "membership gone from the view", |h| {
        !group(h, "Jardinage").members.contains_key(me.as_str())
    });
    wait_until(&mut h, "the join button again", |h| {
        h.query_by_role_and_label(Role::Button, "Rejoindre le groupe")
            .is_some()
    });
    h.run();
}

/// Clicks a button at the foot of the group's page the way a screen reader
/// does: in the harness, a pointer click there is lost once the page is
/// scrolled to its end (cause not found yet).
fn press_at_foot(h: &mut Harness<'static, PasserelleApp>, label: &str) {
    h.get_by_role_and_label(Role::Button, label).scroll_to_me();
    settle(h);
    h.get_by_role_and_label(Role::Button, label)
        .click_accesskit();
    h.step();
    h.step();
}

#[test]
fn a_meeting_date_is_checked_then_saved() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example(dir.path(), "Yasmine");
    go(&mut h, "Groupes");
    wait_until(&mut h, "the group list", |h| {
        h.query_by_role_and_label(Role::Button, "Bricolage")
            .is_some()
    });
    h.get_by_role_and_label(Role::Button, "Bricolage").click();
    h.step();
    assert!(group(&h, "Bricolage").next_meeting.is_none());
    for (label, value) in [
        ("Jour", "31"),
        ("Mois", "2"),
        ("Année", "2031"),
        ("Heure", "18"),
        ("Minutes", "30"),
        ("Lieu", "Atelier vélo"),
    ] {
        fill(&mut h, Role::TextInput, label, value);
    }
    press_at_foot(&mut h, "Enregistrer la rencontre");
    wait_until(&mut h, "the date error", |h| {
        h.query_by_label("Cette date n'existe pas : vérifiez le jour et le mois.")
            .is_some()
    });
    assert!(group(&h, "Bricolage").next_meeting.is_none());

    fill(&mut h, Role::TextInput, "Jour", "28");
    press_at_foot(&mut h, "Enregistrer la rencontre");
    wait_until(&mut h, "the meeting in the view", |h| {
        group(h, "Bricolage").next_meeting.is_some()
    });
    let meeting = group(&h, "Bricolage").next_meeting.unwrap();
    let at = chrono::Local.timestamp_millis_opt(meeting.at).unwrap();
    assert_eq!(
        (at.day(), at.month(), at.year(), at.hour(), at.minute()),
        (28, 2, 2031, 18, 30)
    );
    assert_eq!(meeting.place.as_deref(), Some("Atelier vélo"));
    assert!(
        h.query_by_label("Cette date n'existe pas : vérifiez le jour et le mois.")
            .is_none()
    );

    press_at_foot(&mut h, "Retirer la rencontre prévue");
    wait_until(&mut h, "the meeting removed", |h| {
        group(h, "Bricolage").next_meeting.is_none()
    });

    // The facilitator is chosen among the group's members.
    assert_eq!(
        group(&h, "Bricolage").facilitator,
        Some(member_id(&h, "Moussa"))
    );
    h.get_by_role_and_label(Role::ComboBox, "Qui anime le groupe ?")
        .click();
    wait_until(&mut h, "the list of members", |h| {
        h.query_by_label("Personne").is_some()
    });
    h.get_by_label("Personne").click();
    wait_until(&mut h, "no facilitator in the view", |h| {
        group(h, "Bricolage").facilitator.is_none()
    });
    h.run();
}

#[test]
fn a_new_sheet_is_created_then_a_part_edited() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example(dir.path(), "Yasmine");
    go(&mut h, "Savoirs");
    wait_until(&mut h, "the example sheets", |h| {
        h.query_by_role_and_label(Role::Button, "Déboucher un évier")
            .is_some()
    });
    h.get_by_role_and_label(Role::Button, "Partager un savoir")
        .click();
    h.step();
    fill(
        &mut h,
        Role::TextInput,
        "Titre du savoir",
        "Réparer une chambre à air",
    );
    fill(
        &mut h,
        Role::TextInput,
        "Titre de la première partie",
        "Matériel",
    );
    fill(
        &mut h,
        Role::MultilineTextInput,
        "Texte",
        "Des rustines et de la colle.",
    );
    h.get_by_role_and_label(Role::Button, "Créer le savoir")
        .click();
    wait_until(&mut h, "the new sheet, opened", |h| {
        h.query_by_label("Des rustines et de la colle.").is_some()
    });
    let sheet = view(&h)
        .sheets
        .iter()
        .find(|s| s.title == "Réparer une chambre à air")
        .expect("the sheet is saved")
        .clone();
    assert_eq!(sheet.created_by, member_id(&h, "Yasmine"));
    assert_eq!(sheet.sections.len(), 1);
    assert_eq!(sheet.sections[0].heading, "Matériel");

    h.get_by_role_and_label(Role::Button, "Modifier").click();
    h.step();
    fill(
        &mut h,
        Role::MultilineTextInput,
        "Texte",
        "Des rustines, de la colle et deux démonte-pneus.",
    );
    h.get_by_role_and_label(Role::Button, "Enregistrer").click();
    wait_until(&mut h, "the edited part in the view", |h| {
        h.state().view().is_some_and(|v| {
            v.sheets.iter().any(|s| {
                s.id == sheet.id
                    && s.sections[0].body.as_str()
                        == "Des rustines, de la colle et deux démonte-pneus."
            })
        })
    });
    wait_until(&mut h, "the edited part shown", |h| {
        h.query_by_label("Des rustines, de la colle et deux démonte-pneus.")
            .is_some()
    });
    wait_until(&mut h, "the editor closed", |h| {
        h.query_by_role_and_label(Role::Button, "Enregistrer")
            .is_none()
    });
    h.run();
}

/// Clicks a button; two frames let panels drawn before it follow.
fn press(h: &mut Harness<'static, PasserelleApp>, button: &str) {
    wait_until(h, button, |h| {
        h.query_by_role_and_label(Role::Button, button).is_some()
    });
    h.get_by_role_and_label(Role::Button, button).scroll_to_me();
    h.step();
    h.get_by_role_and_label(Role::Button, button).click();
    h.step();
    h.step();
}

/// Creates an invitation from the Membres screen; returns its ticket text.
fn create_invite(h: &mut Harness<'static, PasserelleApp>) -> String {
    go(h, "Membres");
    press(h, "Inviter quelqu'un");
    h.get_by_label("1 jour").click();
    h.step();
    h.step();
    press(h, "Créer l'invitation");
    wait_until(h, "the ticket", |h| {
        h.query_by_role_and_label(Role::MultilineTextInput, "Invitation à transmettre")
            .or_else(|| h.query_by_role_and_label(Role::TextInput, "Invitation à transmettre"))
            .is_some()
    });
    h.query_by_role_and_label(Role::MultilineTextInput, "Invitation à transmettre")
        .or_else(|| h.query_by_role_and_label(Role::TextInput, "Invitation à transmettre"))
        .unwrap()
        .value()
        .expect("the ticket is shown as text")
}

/// The navigation's Fil button, whatever count of new items it shows.
fn feed_button<'a>(h: &'a Harness<'static, PasserelleApp>) -> Option<egui_kittest::Node<'a>> {
    use egui_kittest::kittest::NodeT;
    h.query_all_by_role(Role::Button).find(|n| {
        n.accesskit_node()
            .label()
            .is_some_and(|l| l == "Fil" || l.starts_with("Fil ("))
    })
}

/// Two apps of the same community: A (Amina, with the example) invited B
/// (Bruno), who joined; both keep serving, so edits flow live.
fn two_members(
    dir_a: &std::path::Path,
    dir_b: &std::path::Path,
) -> (
    Harness<'static, PasserelleApp>,
    Harness<'static, PasserelleApp>,
) {
    let mut a = example(dir_a, "Amina");
    wait_until(&mut a, "the network", |h| h.state().net().info.is_some());
    let ticket = create_invite(&mut a);

    let mut b = harness(dir_b);
    onboard(&mut b, "Bruno");
    wait_until(&mut b, "the network", |h| h.state().net().info.is_some());
    press(&mut b, "Rejoindre une communauté");
    fill(&mut b, Role::MultilineTextInput, "Invitation", &ticket);
    press(&mut b, "Rejoindre");
    wait_until(&mut b, "the community on B", |b| {
        b.state()
            .view()
            .is_some_and(|v| !v.posts.is_empty() && !v.sheets.is_empty())
            && b.query_by_role_and_label(Role::Button, "Rejoindre")
                .is_none()
    });
    (a, b)
}

#[test]
fn what_another_member_posts_is_listed_as_new_until_seen() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = two_members(dir_a.path(), dir_b.path());
    go(&mut a, "Fil");
    assert!(
        a.query_by_label("Arrivé depuis votre dernière synchronisation")
            .is_none()
    );

    // What B received after joining counts as new there: its Fil is "Fil (n)".
    wait_until(&mut b, "the Fil button", |b| feed_button(b).is_some());
    feed_button(&b).unwrap().click();
    b.step();
    b.step();
    fill(
        &mut b,
        Role::MultilineTextInput,
        "Votre annonce",
        "Vide-grenier dimanche dans la cour",
    );
    press(&mut b, "Publier");
    wait_until(&mut a, "B's post on A, listed as new", |a| {
        a.query_by_label("Arrivé depuis votre dernière synchronisation")
            .is_some()
            && a.query_by_label("Vide-grenier dimanche dans la cour")
                .is_some()
    });
    // Listed with its kind and author, and framed with a "Nouveau" label.
    assert!(
        a.query_by_label("Vide-grenier dimanche dans la cour — Bruno")
            .is_some()
    );
    assert!(a.query_by_label("Annonce").is_some());
    assert!(a.query_by_label("Nouveau").is_some());
    assert!(a.query_by_role_and_label(Role::Button, "Fil (1)").is_some());

    press(&mut a, "J'ai tout vu");
    wait_until(&mut a, "the new items marked as seen", |a| {
        a.query_by_label("Arrivé depuis votre dernière synchronisation")
            .is_none()
    });
    assert!(a.query_by_label("Nouveau").is_none());
    assert!(
        a.query_by_label("Vide-grenier dimanche dans la cour")
            .is_some()
    );
    assert!(a.query_by_role_and_label(Role::Button, "Fil").is_some());
    a.run();
    b.run();
}

#[test]
fn a_part_changed_by_someone_else_while_editing_keeps_the_draft_and_merges() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = two_members(dir_a.path(), dir_b.path());
    let base = "Une ventouse, un seau, des gants, une clé pour le siphon.";
    for h in [&mut a, &mut b] {
        go(h, "Savoirs");
        press(h, "Déboucher un évier");
        wait_until(h, "the sheet", |h| h.query_by_label(base).is_some());
        // "Matériel" is the first part.
        h.get_all_by_role_and_label(Role::Button, "Modifier")
            .next()
            .unwrap()
            .click();
        h.step();
        h.step();
    }
    // A starts writing; B saves a change elsewhere in the same part.
    let mine = "Une ventouse, un grand seau, des gants, une clé pour le siphon.";
    fill(&mut a, Role::MultilineTextInput, "Texte", mine);
    let theirs = "Une ventouse, un seau, des gants, une clé pour le siphon. Du vinaigre blanc.";
    fill(&mut b, Role::MultilineTextInput, "Texte", theirs);
    press(&mut b, "Enregistrer");

    let note = "Ce savoir a été modifié par quelqu'un d'autre pendant que vous écriviez";
    wait_until(&mut a, "the note on A", |a| {
        a.query_by_label(note).is_some()
    });
    // A's draft is intact, B's version is shown beside it.
    assert_eq!(
        a.get_by_role_and_label(Role::MultilineTextInput, "Texte")
            .value()
            .as_deref(),
        Some(mine)
    );
    assert!(a.query_by_label(theirs).is_some());

    press(&mut a, "Enregistrer");
    let both = "Une ventouse, un grand seau, des gants, une clé pour le siphon. Du vinaigre blanc.";
    let saved = |h: &Harness<'static, PasserelleApp>| {
        h.state().view().is_some_and(|v| {
            v.sheets
                .iter()
                .flat_map(|s| &s.sections)
                .any(|s| s.body.as_str() == both)
        })
    };
    wait_until(&mut a, "both changes on A", saved);
    wait_until(&mut b, "both changes on B", saved);
    wait_until(&mut a, "the editor closed", |a| {
        a.query_by_label(note).is_none()
    });
    a.run();
    b.run();
}
