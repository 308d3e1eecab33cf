//! "Se retrouver": two members together open the meeting view in one
//! action; each sees the other by name, and what the other passed on.

mod common;

use common::*;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};

/// The label of the first widget whose label contains `text`.
fn label_with(h: &H, text: &str) -> Option<String> {
    h.query_all_by_label_contains(text).find_map(|n| {
        let node = n.accesskit_node();
        node.label()
            .or_else(|| node.value())
            .filter(|l| l.contains(text))
    })
}

/// The text the last frame put on the clipboard, if any.
fn copied(h: &H) -> Option<String> {
    h.output()
        .platform_output
        .commands
        .iter()
        .find_map(|c| match c {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
}

/// The number in "Amina vous a transmis 3 nouveautés".
fn news_count(line: &str) -> u64 {
    let after = line
        .split("vous a transmis ")
        .nth(1)
        .expect("the line says what was passed on");
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().expect("a count")
}

/// What the Fil counts as arrived ("Fil (3)"), 0 when it shows no count.
fn fil_count(h: &H) -> u64 {
    let label = nav_button(h, "Fil")
        .and_then(|n| n.accesskit_node().label())
        .expect("the Fil is in the navigation");
    label
        .trim_start_matches("Fil")
        .trim_matches(|c: char| c == ' ' || c == '(' || c == ')')
        .parse()
        .unwrap_or(0)
}

#[test]
fn two_members_meet_and_each_sees_the_other_and_what_was_passed_on() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = harness(dir_a.path());
    onboard(&mut a, "Amina");
    load_example(&mut a);
    wait_for_network(&mut a);
    let ticket = create_invite(&mut a);

    let mut b = harness(dir_b.path());
    onboard(&mut b, "Bruno");
    wait_for_network(&mut b);
    join_example(&mut b, &ticket);
    wait_until(&mut a, "Bruno on A", |a| {
        a.state().view().is_some_and(|v| {
            v.community
                .members
                .iter()
                .any(|m| m.display_name == "Bruno")
        })
    });
    go(&mut b, "Agenda");

    // A writes two new things; they reach B over the session still open.
    go(&mut a, "Échanges");
    for title in ["Cours de guitare", "Atelier couture"] {
        press(&mut a, "Je propose");
        type_into(&mut a, "Titre", title);
        press(&mut a, "Publier");
        wait_until(&mut a, "the post on A", |a| {
            a.query_by_label(title).is_some()
        });
    }
    wait_until(&mut b, "A's posts on B", |b| {
        b.state().view().is_some_and(|v| {
            ["Cours de guitare", "Atelier couture"]
                .iter()
                .all(|t| v.exchanges.iter().any(|e| &e.title == t))
        })
    });

    // From any screen, one action opens the meeting.
    let mut actions = Actions::default();
    actions.press(&mut a, "Se retrouver");
    actions.press(&mut b, "Se retrouver");
    assert_eq!(actions.0, 2, "one action each");
    assert!(shows(&a, "Qui est là") && shows(&b, "Qui est là"));

    // A sees Bruno, B sees Amina, and what Amina passed on.
    wait_until(&mut a, "Bruno in A's meeting", |a| {
        shows(a, "À jour avec Bruno")
    });
    wait_until(&mut b, "what Amina passed on, in B's meeting", |b| {
        label_with(b, "Amina vous a transmis").is_some_and(|l| news_count(&l) >= 2)
    });
    let line = label_with(&b, "Amina vous a transmis").unwrap();
    assert!(line.ends_with(" nouveautés"), "{line}");
    assert!(shows(&b, "À jour avec Amina"));
    // The real count: what the Fil lists as arrived, all of it from Amina.
    assert_eq!(news_count(&line), fil_count(&b), "{line}");

    // A member can invite someone new from the meeting, with a QR code...
    press(&mut a, "Créer un code d'invitation");
    wait_until(&mut a, "the invitation's QR code", |a| {
        a.query_by_label("Code QR de l'invitation").is_some()
    });
    // ...or its text, copied, for whoever cannot read the code.
    a.get_by_role_and_label(Role::Button, "Copier l'invitation")
        .click();
    a.step();
    let ticket = copied(&a).expect("the invitation is copied");
    assert!(ticket.starts_with("PASSERELLE1"), "{ticket}");

    // Chloé joins with it: the meeting says so, and offers another code.
    let dir_c = tempfile::tempdir().unwrap();
    let mut c = harness(dir_c.path());
    onboard(&mut c, "Chloé");
    wait_for_network(&mut c);
    press(&mut c, "Rejoindre une communauté");
    type_into(&mut c, "Invitation", &ticket);
    press(&mut c, "Rejoindre");
    wait_until(&mut a, "Chloé's arrival in A's meeting", |a| {
        shows(a, "Chloé a rejoint la communauté")
    });
    assert!(a.query_by_label("Code QR de l'invitation").is_none());
    assert!(
        a.query_by_role_and_label(Role::Button, "Inviter une autre personne")
            .is_some()
    );

    // And the meeting ends back on the Synchronisation screen.
    press(&mut b, "Terminer la rencontre");
    assert!(!shows(&b, "Qui est là"));
    assert!(shows(&b, "Membres à proximité"));
    a.run();
    b.run();
    c.run();
}
