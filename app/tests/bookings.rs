//! Booking a shared place in the app, driven like a person would: a new
//! place of the Annuaire is made bookable, a slot is booked from the
//! Agenda's Réservations tab and shows in the week; the same slot booked
//! again shows a conflict in red, and "résoudre" settles it. Then two
//! members' bookings made offline on their own devices meet, and the
//! place's referent settles their conflict.

mod common;
use common::*;

use chrono::{Offset, TimeZone};
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use passerelle_core::model::Role as MemberRole;
use passerelle_core::model::booking::{Bookable, Status, parse_hours};
use passerelle_core::model::layout::Genesis;
use passerelle_core::model::*;
use passerelle_core::{Node, NodeConfig};

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
        shows(h, "« tous » n'est pas un jour de la semaine")
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
    let day = now().date_naive() + chrono::Days::new(1);
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
    // At night the room is closed: explained in French, nothing saved.
    wait_until(&mut h, "the booking form", |h| {
        field(h, "Jour de la réservation").is_some()
    });
    type_into(
        &mut h,
        "Jour de la réservation",
        &day.format("%d/%m/%Y").to_string(),
    );
    type_into(&mut h, "De", "21:00");
    type_into(&mut h, "À", "22:00");
    press(&mut h, "Réserver");
    wait_until(&mut h, "the hours explained", |h| {
        shows(
            h,
            "Le lieu est fermé à ce moment-là. Horaires : lun-dim 08:00-20:00",
        )
    });
    assert!(view(&h).bookings.is_empty());
    for label in ["Jour de la réservation", "De", "À"] {
        field(&h, label).unwrap().click();
        h.step();
        h.key_press(egui::Key::End);
        for _ in 0..12 {
            h.key_press(egui::Key::Backspace);
        }
        h.step();
    }
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
    // The place's week ends the Annuaire's pane: scroll to it first.
    h.query_all_by_label("Résoudre")
        .nth(1)
        .unwrap()
        .scroll_to_me();
    h.run();
    let resolve: Vec<_> = h.query_all_by_label("Résoudre").collect();
    assert_eq!(resolve.len(), 2, "one per booking of the conflict");
    resolve[1].scroll_to_me();
    settle(&mut h);
    h.query_all_by_label("Résoudre").nth(1).unwrap().click();
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

/// A community where this device is Lucie, a plain member and the kitchen's
/// referent, and where Ana and Karim, each on their own device and offline,
/// booked the same slot tomorrow (Karim first); their changes merged.
fn kitchen_booked_twice(dir: &std::path::Path) -> (ItemId, ItemId) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let node = Node::start(NodeConfig::new(dir.to_owned())).unwrap();
        let handle = node.handle();
        handle.set_display_name("Lucie").await.unwrap();
        let lucie = handle.device_key().clone();
        let (admin, ana, karim) = (key('a'), key('b'), key('c'));
        let genesis = Genesis {
            id: CommunityId("01KQ0RTHC0MMVN1TY000000000".into()),
            community_doc: DocumentId::from_random(11),
            collections: DocumentIds {
                exchanges: DocumentId::from_random(12),
                agenda: DocumentId::from_random(13),
                ideas: DocumentId::from_random(14),
                savoirs: DocumentId::from_random(15),
                fil: DocumentId::from_random(16),
            },
            name: "Quartier Nord".into(),
            description: String::new(),
            categories: defaults::default_categories(),
            themes: defaults::default_themes(),
            creator: member("01KMARION", "Marion", MemberRole::Admin, &admin),
            now: 0,
            discovery_secret: "00".repeat(32),
        };
        let mut docs = CommunityDocs::create(genesis, &admin.actor()).unwrap();
        let by = |device: &DeviceKey| Author {
            device: device.clone(),
        };
        for (id, name, device) in [
            ("01KLUCIE", "Lucie", &lucie),
            ("01KANA", "Ana", &ana),
            ("01KKARIM", "Karim", &karim),
        ] {
            let command = Command::Members(MemberCommand::AddMember {
                id: MemberId(id.into()),
                display_name: name.into(),
                role: MemberRole::Membre,
                device: device.clone(),
                device_label: String::new(),
            });
            docs.apply(&by(&admin), command, 1).unwrap();
        }
        let kitchen = ItemId("01KKITCHEN".into());
        let add = Command::Annuaire(AnnuaireCommand::AddActor {
            id: kitchen.clone(),
            kind: ActorKind::Place,
            name: "Cuisine partagée".into(),
            description: String::new(),
            contact: Contact::default(),
            address: None,
            tags: vec![],
        });
        docs.apply(&by(&admin), add, 2).unwrap();
        let offset = now().offset().fix();
        let bookable = Command::Booking(BookingCommand::SetBookable {
            place: kitchen.clone(),
            bookable: Some(Bookable {
                openings: parse_hours("lun-dim 08:00-20:00").unwrap(),
                capacity: 1,
                slot_minutes: 60,
                referent: Some(MemberId("01KLUCIE".into())),
                utc_offset_minutes: i64::from(offset.local_minus_utc() / 60),
            }),
        });
        docs.apply(&by(&admin), bookable, 3).unwrap();
        // Tomorrow 10:00-12:00 in the place's time, booked on two copies.
        let day = now().date_naive() + chrono::Days::new(1);
        let at = |h: u32| {
            let t = day.and_hms_opt(h, 0, 0).unwrap();
            offset.from_local_datetime(&t).unwrap().timestamp_millis()
        };
        let mut on_ana = docs.clone();
        on_ana.set_actor(&ana.actor());
        let mut on_karim = docs.clone();
        on_karim.set_actor(&karim.actor());
        let booking = |id: &str, note: &str| {
            Command::Booking(BookingCommand::BookPlace {
                id: ItemId(id.into()),
                place: kitchen.clone(),
                start: at(10),
                end: at(12),
                note: note.into(),
            })
        };
        let by_karim = ItemId("01KBOOKINGKARIM".into());
        let by_ana = ItemId("01KBOOKINGANA".into());
        on_karim
            .apply(&by(&karim), booking(by_karim.as_str(), "Atelier pain"), 10)
            .unwrap();
        on_ana
            .apply(&by(&ana), booking(by_ana.as_str(), "Repas solidaire"), 20)
            .unwrap();
        for kind in DocKind::ALL {
            for from in [&mut on_ana, &mut on_karim] {
                let mut other = from.doc_mut(kind).unwrap().clone();
                docs.doc_mut(kind).unwrap().merge(&mut other).unwrap();
            }
        }
        handle.add_community_docs(docs).await.unwrap();
        node.shutdown().await;
        (by_karim, by_ana)
    })
}

fn key(c: char) -> DeviceKey {
    DeviceKey(c.to_string().repeat(64))
}

fn member(id: &str, name: &str, role: MemberRole, device: &DeviceKey) -> Member {
    Member {
        id: MemberId(id.into()),
        display_name: name.into(),
        role,
        devices: [(
            device.0.clone(),
            Device {
                revoked: None,
                added_at: 0,
                label: String::new(),
            },
        )]
        .into(),
        skills: vec![],
        languages: vec![],
        joined_at: 0,
        removed_at: None,
    }
}

#[test]
fn the_referent_sees_two_members_conflict_and_settles_it_from_the_annuaire() {
    let dir = tempfile::tempdir().unwrap();
    let (by_karim, by_ana) = kitchen_booked_twice(dir.path());
    let mut h = harness(dir.path());
    wait_until(&mut h, "the community", |h| h.state().view().is_some());
    let kitchen = ItemId("01KKITCHEN".into());
    let schedule = view(&h).place_schedule(&kitchen);
    assert_eq!(schedule.conflicts.len(), 1);
    assert_eq!(
        schedule.conflicts[0].winners,
        std::slice::from_ref(&by_karim)
    );

    // In the Agenda's Réservations: the week and the conflict, in words.
    go(&mut h, "Agenda");
    h.get_by_label("Réservations").click();
    h.step();
    h.step();
    wait_until(&mut h, "the conflict", |h| shows(h, "Conflits à résoudre"));
    assert!(shows(&h, "Décide : Lucie"));
    assert!(shows(&h, "Karim — retenue en attendant (conflit)"));
    assert!(shows(&h, "Ana — en conflit, non confirmée"));

    // Lucie, the referent though a plain member, settles it from the
    // Annuaire: she drops Karim's, made first.
    go(&mut h, "Annuaire");
    h.get_by_label("Cuisine partagée").click();
    h.step();
    h.step();
    wait_until(&mut h, "the place's conflict", |h| {
        h.query_all_by_label("Résoudre").count() == 2
    });
    h.query_all_by_label("Résoudre")
        .next()
        .unwrap()
        .scroll_to_me();
    settle(&mut h);
    h.query_all_by_label("Résoudre").next().unwrap().click();
    h.step();
    h.step();
    press(&mut h, "Refuser");
    wait_until(&mut h, "the conflict settled", |h| {
        view(h).place_schedule(&kitchen).conflicts.is_empty()
    });
    let schedule = view(&h).place_schedule(&kitchen);
    assert_eq!(schedule.status(&by_karim), Some(Status::Refused));
    assert_eq!(schedule.status(&by_ana), Some(Status::Confirmed));
    let decision = schedule.bookings.iter().find(|(b, _)| b.id == by_karim);
    let decided_by = decision
        .and_then(|(b, _)| b.decision.as_ref())
        .map(|d| &d.by);
    assert_eq!(decided_by, Some(&MemberId("01KLUCIE".into())));
}
