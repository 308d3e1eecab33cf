//! The everyday flows, counted in a person's actions (a click on a button
//! or into a field is one; typing into a field that has the focus is none):
//! they must stay short for someone who mostly uses WhatsApp on a phone.

mod common;

use common::*;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use passerelle_core::model::{ExchangeKind, RsvpAnswer};

#[test]
fn an_offer_is_posted_in_three_actions_at_most() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Nadia", "Échanges");
    let title = "Cours de guitare pour débutants";
    let mut actions = Actions::default();

    actions.press(&mut h, "Je propose");
    let focused = field(&h, "Titre").expect("the form's title");
    assert!(focused.is_focused(), "the title waits for the words");
    focused.type_text(title);
    h.step();
    actions.press(&mut h, "Publier");

    wait_until(&mut h, "the offer saved", |h| {
        view(h)
            .exchanges
            .iter()
            .any(|e| e.title == title && e.kind == ExchangeKind::Offer)
    });
    wait_until(&mut h, "the offer in the list", |h| shows(h, title));
    assert!(actions.0 <= 3, "{} actions", actions.0);
    h.run();
}

#[test]
fn an_event_is_answered_in_one_action() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Nadia", "Agenda");
    wait_until(&mut h, "the event cards", |h| {
        h.query_all_by_role_and_label(Role::Button, "J'y vais")
            .next()
            .is_some()
    });
    let me = member_id(&h, "Nadia");
    let answered = |h: &H| {
        view(h)
            .events
            .iter()
            .filter(|e| {
                e.rsvps
                    .get(me.as_str())
                    .is_some_and(|r| r.answer == RsvpAnswer::Yes)
            })
            .count()
    };
    let before = answered(&h);
    let mut actions = Actions::default();

    // The first card of the list is the next event.
    h.get_all_by_role_and_label(Role::Button, "J'y vais")
        .next()
        .unwrap()
        .click();
    actions.0 += 1;
    h.step();

    wait_until(&mut h, "the answer saved", |h| answered(h) == before + 1);
    assert_eq!(actions.0, 1);
    wait_until(&mut h, "the answer shown on the card", |h| {
        shows(h, "Vous y allez")
    });
    h.run();
}
