//! A member is told what concerns them, wherever the window is: a desktop
//! notification and a count beside the screen, for a reply to their échange
//! arriving from another member's app over loopback.

mod common;
use common::*;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use passerelle_app::notify::Recorder;

fn fill(h: &mut H, role: Role, label: &str, text: &str) {
    h.get_by_role_and_label(role, label).click();
    h.step();
    h.get_by_role_and_label(role, label).type_text(text);
    h.step();
}

#[test]
fn a_reply_to_my_exchange_is_notified_and_counted_beside_echanges() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let told_a = Recorder::default();
    let mut a = harness_with(dir_a.path(), told_a.clone());
    onboard(&mut a, "Amina");
    load_example(&mut a);
    wait_for_network(&mut a);
    let ticket = create_invite(&mut a);

    let told_b = Recorder::default();
    let mut b = harness_with(dir_b.path(), told_b.clone());
    onboard(&mut b, "Bruno");
    wait_for_network(&mut b);
    press(&mut b, "Rejoindre une communauté");
    fill(&mut b, Role::MultilineTextInput, "Invitation", &ticket);
    press(&mut b, "Rejoindre");
    wait_until(&mut b, "the community on B", |b| {
        b.state().view().is_some_and(|v| v.exchanges.len() >= 10)
    });

    // Amina asks for help, then looks at another screen.
    go(&mut a, "Échanges");
    press(&mut a, "Je cherche");
    fill(&mut a, Role::TextInput, "Titre", "Monter une étagère");
    press(&mut a, "Publier");
    wait_until(&mut a, "the new échange", |a| {
        a.query_by_label("Monter une étagère").is_some()
    });
    go(&mut a, "Agenda");

    // Bruno answers it from his app.
    go(&mut b, "Échanges");
    wait_until(&mut b, "Amina's échange on B", |b| {
        b.query_by_label("Monter une étagère").is_some()
    });
    b.get_by_label("Monter une étagère").click();
    b.step();
    b.step();
    let answer = ["Je peux aider", "Ça m'intéresse"]
        .into_iter()
        .find(|l| b.query_by_role_and_label(Role::Button, l).is_some())
        .expect("a button to answer the échange");
    press(&mut b, answer);

    wait_until(&mut a, "the notification on A", |_| {
        told_a
            .shown()
            .iter()
            .any(|(_, body)| body == "Bruno a répondu à « Monter une étagère »")
    });
    let replies = |told: &Recorder| {
        (told.shown().into_iter())
            .filter(|(title, _)| title == "Nouvelle réponse")
            .count()
    };
    assert_eq!(replies(&told_a), 1, "told once: {:?}", told_a.shown());
    wait_until(&mut a, "the count beside Échanges", |a| {
        a.query_by_role_and_label(Role::Button, "Échanges (1)")
            .is_some()
    });
    // Looking at the screen clears it.
    press(&mut a, "Échanges (1)");
    wait_until(&mut a, "the count gone", |a| {
        a.query_by_role_and_label(Role::Button, "Échanges")
            .is_some()
    });
    // Bruno's own answer tells Bruno nothing.
    assert_eq!(replies(&told_b), 0, "{:?}", told_b.shown());
    a.run();
    b.run();
}
