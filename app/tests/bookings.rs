//! Booking a shared place in the app, driven like a person would: a new
//! place of the Annuaire is made bookable, a slot is booked from the
//! Agenda's Réservations tab and shows in the week; the same slot booked
//! again shows a conflict in red, and "résoudre" settles it.

mod common;
use common::*;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use passerelle_core::model::booking::Status;

#[test]
fn a_place_is_made_bookable_booked_and_a_conflict_is_settled() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Marion", "Annuaire");
    wait_until(&mut h, "the example annuaire", |h| {
        h.query_by_label("Jardins de Gorki").is_some()
    });
    press(&mut h, "Nouvelle fiche");
    wait_until(&mut h, "the new entry form", |h| {
        h.query_by_role_and_label(Role::Button, "Lieu").is_some()
    });
    press(&mut h, "Lieu");
    type_into(&mut h, "Nom", "Salle informatique");
    press(&mut h, "Créer la fiche");
    wait_until(&mut h, "the place's booking form", |h| {
        field(h, "Horaires d'ouverture").is_some()
    });
    assert!(shows(&h, "Ce lieu n'est pas réservable."));

    // Wrong hours are explained, and nothing is saved.
    type_into(&mut h, "Horaires d'ouverture", "tous les jours");
    press(&mut h, "Rendre réservable");
    wait_until(&mut h, "the hours explained", |h| {
        shows(h, "is not a weekday")
    });
    let place = |h: &H| {
        view(h)
            .community
            .actors
            .iter()
            .find(|a| a.name == "Salle informatique")
            .cloned()
            .unwrap()
    };
    assert!(place(&h).booking.is_none());
    field(&h, "Horaires d'ouverture").unwrap().click();
    h.step();
    h.key_press(egui::Key::End);
    h.step();
    for _ in 0.."tous les jours".len() {
        h.key_press(egui::Key::Backspace);
    }
    h.step();
    type_into(&mut h, "Horaires d'ouverture", "lun-dim 08:00-20:00");
    press(&mut h, "Rendre réservable");
    let typed = field(&h, "Horaires d'ouverture").unwrap().value();
    assert_eq!(typed.as_deref(), Some("lun-dim 08:00-20:00"));
    wait_until(&mut h, "the place bookable", |h| place(h).booking.is_some());
    let bookable = place(&h).booking.unwrap();
    assert_eq!(bookable.openings.len(), 7);
    assert_eq!((bookable.slot_minutes, bookable.capacity), (60, 1));

    // Book tomorrow 10:00-12:00 from the Agenda.
    go(&mut h, "Agenda");
    h.get_by_label("Réservations").click();
    h.step();
    h.step();
    let day = chrono::Local::now().date_naive() + chrono::Days::new(1);
    let book = |h: &mut H, note: &str| {
        wait_until(h, "the booking form", |h| {
            field(h, "Jour de la réservation").is_some()
        });
        type_into(
            h,
            "Jour de la réservation",
            &day.format("%d/%m/%Y").to_string(),
        );
        type_into(h, "De", "10:00");
        type_into(h, "À", "12:00");
        type_into(h, "Pour quoi faire (facultatif)", note);
        press(h, "Réserver");
    };
    book(&mut h, "Club informatique");
    wait_until(&mut h, "the booking", |h| view(h).bookings.len() == 1);
    wait_until(&mut h, "the booking in the week", |h| {
        shows(h, "10:00-12:00 Marion")
    });
    assert!(shows(&h, "Club informatique"));
    assert!(!shows(&h, "Conflits à résoudre"));
    assert!(
        view(&h)
            .events
            .iter()
            .all(|e| e.title != "Club informatique")
    );

    // The same slot again: a conflict, the later booking not confirmed.
    book(&mut h, "Aide administrative");
    wait_until(&mut h, "the second booking", |h| {
        view(h).bookings.len() == 2
    });
    wait_until(&mut h, "the conflict shown", |h| {
        shows(h, "Conflits à résoudre")
    });
    assert!(shows(&h, "en conflit, non confirmée"));
    assert!(shows(&h, "retenue en attendant (conflit)"));
    let v = view(&h);
    let schedule = v.place_schedule(&place(&h).id);
    assert_eq!(schedule.conflicts.len(), 1);
    let later = schedule.conflicts[0].losers[0].clone();
    let earlier = schedule.conflicts[0].winners[0].clone();

    // Marion (admin) keeps the later one: the decision wins over first come.
    let resolve: Vec<_> = h.query_all_by_label("Résoudre").collect();
    assert_eq!(resolve.len(), 2, "one per booking of the conflict");
    resolve[1].click();
    h.step();
    h.step();
    press(&mut h, "Garder celle-ci");
    wait_until(&mut h, "the conflict settled", |h| {
        view(h).place_schedule(&place(h).id).conflicts.is_empty()
    });
    let schedule = view(&h).place_schedule(&place(&h).id);
    assert_eq!(schedule.status(&later), Some(Status::Confirmed));
    assert_eq!(schedule.status(&earlier), Some(Status::Refused));
    wait_until(&mut h, "the conflict gone from the screen", |h| {
        !shows(h, "Conflits à résoudre")
    });
}
