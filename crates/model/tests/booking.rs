//! Bookings of shared places: the rule that settles overlaps (first come,
//! unless the referent decided), and its convergence when bookings are made
//! offline on several copies that merge in any order.

use passerelle_model::booking::{Bookable, Status, parse_hours};
use passerelle_model::*;

mod common;
use common::member;

fn device(c: char) -> Author {
    Author {
        device: DeviceKey(c.to_string().repeat(64)),
    }
}

const KITCHEN: &str = "01KITCHEN";
const GARDEN: &str = "01GARDEN";

/// Tuesday 1 December 2026 at `hour`:00 in Paris (UTC+1), as stored.
fn tuesday(hour: i64) -> Timestamp {
    1_796_083_200_000 + (hour - 1) * 3_600_000
}

/// Marion (admin, a) made the community; Ana (b), Karim (c) and Lucie (d,
/// the kitchen's referent) are members. The kitchen takes one booking at a
/// time, the garden two; both open Tuesdays 09:00-18:00, one-hour slots.
fn community() -> CommunityDocs {
    let genesis = common::genesis(member(
        "01MARION",
        "Marion",
        Role::Admin,
        &device('a').device,
    ));
    let mut docs = CommunityDocs::create(genesis, &device('a').device.actor()).unwrap();
    for (id, name, c) in [
        ("01ANA", "Ana", 'b'),
        ("01KARIM", "Karim", 'c'),
        ("01LUCIE", "Lucie", 'd'),
    ] {
        docs.apply(
            &device('a'),
            Command::Members(MemberCommand::AddMember {
                id: MemberId(id.into()),
                display_name: name.into(),
                role: Role::Membre,
                device: device(c).device,
                device_label: String::new(),
            }),
            1,
        )
        .unwrap();
    }
    for (id, name, capacity, referent) in [
        (KITCHEN, "Cuisine partagée", 1, Some("01LUCIE")),
        (GARDEN, "Jardin", 2, None),
    ] {
        docs.apply(
            &device('a'),
            Command::Annuaire(AnnuaireCommand::AddActor {
                id: ItemId(id.into()),
                kind: ActorKind::Place,
                name: name.into(),
                description: String::new(),
                contact: Contact::default(),
                address: None,
                tags: vec![],
            }),
            2,
        )
        .unwrap();
        docs.apply(
            &device('a'),
            Command::Booking(BookingCommand::SetBookable {
                place: ItemId(id.into()),
                bookable: Some(Bookable {
                    openings: parse_hours("mar 09:00-18:00").unwrap(),
                    capacity,
                    slot_minutes: 60,
                    referent: referent.map(|r| MemberId(r.into())),
                    utc_offset_minutes: 60,
                }),
            }),
            3,
        )
        .unwrap();
    }
    docs
}

fn view(docs: &mut CommunityDocs) -> std::sync::Arc<CommunityView> {
    ViewCache::default().view(docs).unwrap()
}

fn book(
    docs: &mut CommunityDocs,
    by: char,
    id: &str,
    place: &str,
    hours: (i64, i64),
    now: Timestamp,
) -> Result<Outcome, CommandError> {
    docs.apply(
        &device(by),
        Command::Booking(BookingCommand::BookPlace {
            id: ItemId(id.into()),
            place: ItemId(place.into()),
            start: tuesday(hours.0),
            end: tuesday(hours.1),
            note: format!("réservation {id}"),
        }),
        now,
    )
}

fn merge(into: &mut CommunityDocs, from: &mut CommunityDocs) {
    for kind in DocKind::ALL {
        let mut other = from.doc_mut(kind).unwrap().clone();
        into.doc_mut(kind).unwrap().merge(&mut other).unwrap();
    }
}

fn status(docs: &mut CommunityDocs, place: &str, id: &str) -> Status {
    view(docs)
        .place_schedule(&ItemId(place.into()))
        .status(&ItemId(id.into()))
        .unwrap()
}

fn ids(list: &[ItemId]) -> Vec<&str> {
    list.iter().map(ItemId::as_str).collect()
}

#[test]
fn a_booking_must_fit_the_hours_and_slots_of_a_bookable_place() {
    let mut docs = community();
    assert!(book(&mut docs, 'b', "01B1", KITCHEN, (10, 12), 10).is_ok());
    let closed = book(&mut docs, 'b', "01B2", KITCHEN, (17, 19), 10);
    assert!(
        matches!(&closed, Err(CommandError::Hours(m)) if m.to_string().contains("mar 09:00-18:00")),
        "{closed:?}"
    );
    let backwards = book(&mut docs, 'b', "01B3", KITCHEN, (12, 10), 10);
    assert!(matches!(backwards, Err(CommandError::EndBeforeStart)));
    let misaligned = docs.apply(
        &device('b'),
        Command::Booking(BookingCommand::BookPlace {
            id: ItemId("01B4".into()),
            place: ItemId(KITCHEN.into()),
            start: tuesday(10) + 30 * 60_000,
            end: tuesday(11) + 30 * 60_000,
            note: String::new(),
        }),
        10,
    );
    assert!(
        matches!(misaligned, Err(CommandError::Hours(m)) if m.to_string().contains("60-minute"))
    );
    // A place not (or no longer) bookable takes no booking.
    docs.apply(
        &device('d'),
        Command::Booking(BookingCommand::SetBookable {
            place: ItemId(KITCHEN.into()),
            bookable: None,
        }),
        11,
    )
    .unwrap();
    let not_bookable = book(&mut docs, 'b', "01B5", KITCHEN, (10, 11), 12);
    assert!(matches!(not_bookable, Err(CommandError::NotBookable)));
    // A plain member who neither created the place nor is its referent
    // cannot change its hours.
    let refused = docs.apply(
        &device('c'),
        Command::Booking(BookingCommand::SetBookable {
            place: ItemId(GARDEN.into()),
            bookable: None,
        }),
        13,
    );
    assert!(matches!(refused, Err(CommandError::NotAllowed(_))));
}

#[test]
fn bookings_are_not_events_of_the_agenda() {
    let mut docs = community();
    docs.apply(
        &device('a'),
        Command::Agenda(AgendaCommand::AddEvent {
            id: ItemId("01EVENT".into()),
            title: "Repas partagé".into(),
            description: String::new(),
            start: tuesday(12),
            end: None,
            place: None,
            capacity: None,
        }),
        5,
    )
    .unwrap();
    book(&mut docs, 'b', "01B1", KITCHEN, (10, 12), 10).unwrap();
    let v = view(&mut docs);
    assert_eq!(v.events.len(), 1, "only the event is an event");
    assert_eq!(v.bookings.len(), 1, "the booking is a booking");
    let ics = ics::agenda_calendar(v.events.iter(), None, 0);
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1);
    // An event's id is not a booking's.
    let wrong = docs.apply(
        &device('a'),
        Command::Booking(BookingCommand::CancelBooking {
            booking: ItemId("01EVENT".into()),
        }),
        11,
    );
    assert!(matches!(wrong, Err(CommandError::NotFound { .. })));
}

#[test]
fn overlapping_bookings_of_a_one_at_a_time_place_conflict_first_come_wins() {
    let mut docs = community();
    book(&mut docs, 'b', "01B1", KITCHEN, (10, 12), 20).unwrap();
    book(&mut docs, 'c', "01B2", KITCHEN, (11, 13), 10).unwrap();
    book(&mut docs, 'c', "01B3", KITCHEN, (13, 14), 30).unwrap();
    let v = view(&mut docs);
    let conflicts = v.booking_conflicts();
    assert_eq!(conflicts.len(), 1);
    // Karim's booking was made first (10 < 20): it is kept for now.
    assert_eq!(ids(&conflicts[0].winners), ["01B2"]);
    assert_eq!(ids(&conflicts[0].losers), ["01B1"]);
    assert_eq!(status(&mut docs, KITCHEN, "01B3"), Status::Confirmed);
    assert_eq!(status(&mut docs, KITCHEN, "01B1"), Status::Conflicting);
    assert_eq!(status(&mut docs, KITCHEN, "01B2"), Status::Provisional);
}

#[test]
fn same_time_bookings_are_ordered_by_id() {
    let mut docs = community();
    book(&mut docs, 'c', "01B9", KITCHEN, (10, 11), 10).unwrap();
    book(&mut docs, 'b', "01B1", KITCHEN, (10, 11), 10).unwrap();
    let conflicts = view(&mut docs).booking_conflicts();
    assert_eq!(ids(&conflicts[0].winners), ["01B1"]);
    assert_eq!(ids(&conflicts[0].losers), ["01B9"]);
}

#[test]
fn a_place_for_two_conflicts_only_at_the_third_overlap() {
    let mut docs = community();
    book(&mut docs, 'b', "01B1", GARDEN, (9, 12), 10).unwrap();
    book(&mut docs, 'c', "01B2", GARDEN, (10, 11), 11).unwrap();
    // 11-12 overlaps the first only: two at a time, fine.
    book(&mut docs, 'd', "01B3", GARDEN, (11, 12), 12).unwrap();
    assert!(view(&mut docs).booking_conflicts().is_empty());
    // 10-11 would make three.
    book(&mut docs, 'd', "01B4", GARDEN, (10, 12), 13).unwrap();
    let conflicts = view(&mut docs).booking_conflicts();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(ids(&conflicts[0].losers), ["01B4"]);
    assert_eq!(ids(&conflicts[0].winners), ["01B1", "01B2", "01B3"]);
}

#[test]
fn the_referents_decision_overrides_first_come() {
    let mut docs = community();
    book(&mut docs, 'b', "01B1", KITCHEN, (10, 12), 10).unwrap();
    book(&mut docs, 'c', "01B2", KITCHEN, (10, 11), 20).unwrap();
    // Ana, who booked, is not the referent: she cannot decide.
    let refused = docs.apply(
        &device('b'),
        Command::Booking(BookingCommand::DecideBooking {
            booking: ItemId("01B1".into()),
            keep: false,
        }),
        30,
    );
    assert!(matches!(refused, Err(CommandError::NotAllowed(_))));
    // Lucie, the kitchen's referent, keeps Karim's later booking.
    docs.apply(
        &device('d'),
        Command::Booking(BookingCommand::DecideBooking {
            booking: ItemId("01B2".into()),
            keep: true,
        }),
        31,
    )
    .unwrap();
    assert!(view(&mut docs).booking_conflicts().is_empty());
    assert_eq!(status(&mut docs, KITCHEN, "01B2"), Status::Confirmed);
    assert_eq!(status(&mut docs, KITCHEN, "01B1"), Status::Refused);
}

#[test]
fn dropping_or_cancelling_a_booking_settles_its_conflict() {
    let mut docs = community();
    book(&mut docs, 'b', "01B1", KITCHEN, (10, 12), 10).unwrap();
    book(&mut docs, 'c', "01B2", KITCHEN, (10, 11), 20).unwrap();
    let mut dropped = docs.clone();
    dropped
        .apply(
            &device('a'),
            Command::Booking(BookingCommand::DecideBooking {
                booking: ItemId("01B2".into()),
                keep: false,
            }),
            30,
        )
        .unwrap();
    assert!(view(&mut dropped).booking_conflicts().is_empty());
    assert_eq!(status(&mut dropped, KITCHEN, "01B1"), Status::Confirmed);
    assert_eq!(status(&mut dropped, KITCHEN, "01B2"), Status::Refused);

    // Karim cannot cancel Ana's booking; Ana can.
    let refused = docs.apply(
        &device('c'),
        Command::Booking(BookingCommand::CancelBooking {
            booking: ItemId("01B1".into()),
        }),
        30,
    );
    assert!(matches!(refused, Err(CommandError::NotAllowed(_))));
    docs.apply(
        &device('b'),
        Command::Booking(BookingCommand::CancelBooking {
            booking: ItemId("01B1".into()),
        }),
        31,
    )
    .unwrap();
    assert!(view(&mut docs).booking_conflicts().is_empty());
    assert_eq!(status(&mut docs, KITCHEN, "01B1"), Status::Cancelled);
    assert_eq!(status(&mut docs, KITCHEN, "01B2"), Status::Confirmed);
}

mod convergence {
    use super::*;
    use proptest::prelude::*;

    /// What one device does while offline.
    #[derive(Clone, Debug)]
    enum Act {
        /// Books a place from an hour, for some hours, at a clock time.
        Book {
            garden: bool,
            from: i64,
            hours: i64,
            at: i64,
        },
        /// Decides on the n-th booking this copy knows.
        Decide(usize, bool),
        /// Cancels the n-th booking this copy knows.
        Cancel(usize),
    }

    fn act() -> impl Strategy<Value = Act> {
        prop_oneof![
            4 => (any::<bool>(), 9..17i64, 1..4i64, 0..6i64)
                .prop_map(|(garden, from, hours, at)| Act::Book { garden, from, hours, at }),
            1 => (0..12usize, any::<bool>()).prop_map(|(n, keep)| Act::Decide(n, keep)),
            1 => (0..12usize).prop_map(Act::Cancel),
        ]
    }

    /// Copies, each with its own device and acts, and for each copy the
    /// order it receives the others' changes in.
    fn scenario() -> impl Strategy<Value = (Vec<Vec<Act>>, Vec<Vec<usize>>)> {
        (2..=4usize).prop_flat_map(|n| {
            (
                proptest::collection::vec(proptest::collection::vec(act(), 0..6), n),
                proptest::collection::vec(Just((0..n).collect::<Vec<_>>()).prop_shuffle(), n),
            )
        })
    }

    const DEVICES: [char; 4] = ['a', 'b', 'c', 'd'];

    fn run(docs: &mut CommunityDocs, copy: usize, acts: &[Act]) {
        let by = DEVICES[copy];
        for (n, act) in acts.iter().enumerate() {
            let known: Vec<ItemId> = view(docs).bookings.iter().map(|b| b.id.clone()).collect();
            let command = match act {
                Act::Book {
                    garden,
                    from,
                    hours,
                    at: _,
                } => Command::Booking(BookingCommand::BookPlace {
                    // Ids are unique across copies, and their order differs
                    // from the copies' order to exercise tie breaking.
                    id: ItemId(format!("01B{}{copy}", 9 - n)),
                    place: ItemId(if *garden { GARDEN } else { KITCHEN }.into()),
                    start: tuesday(*from),
                    end: tuesday((*from + *hours).min(18)),
                    note: String::new(),
                }),
                Act::Decide(k, keep) if !known.is_empty() => {
                    Command::Booking(BookingCommand::DecideBooking {
                        booking: known[k % known.len()].clone(),
                        keep: *keep,
                    })
                }
                Act::Cancel(k) if !known.is_empty() => {
                    Command::Booking(BookingCommand::CancelBooking {
                        booking: known[k % known.len()].clone(),
                    })
                }
                _ => continue,
            };
            // Clocks collide on purpose (ties are broken by id); refusals
            // (a member deciding, cancelling someone else's) are fine here.
            let at = match act {
                Act::Book { at, .. } => 100 + at,
                _ => 200 + n as i64,
            };
            let _ = docs.apply(&device(by), command, at);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Two to four devices book, decide and cancel offline, then receive
        /// each other's changes in their own random order: every copy shows
        /// the same bookings, the same statuses and the same conflicts, and
        /// every unsettled overlap beyond capacity is one of them.
        #[test]
        fn offline_bookings_converge_to_one_outcome((acts, orders) in scenario()) {
            let base = community();
            let mut copies: Vec<CommunityDocs> = (0..acts.len())
                .map(|i| {
                    let mut c = base.clone();
                    c.set_actor(&device(DEVICES[i]).device.actor());
                    c
                })
                .collect();
            let mut caches: Vec<ViewCache> = (0..acts.len()).map(|_| ViewCache::default()).collect();
            for (i, copy) in copies.iter_mut().enumerate() {
                run(copy, i, &acts[i]);
                // Seen before the merges, so the views below are refreshed
                // incrementally, as a running node's are.
                caches[i].view(copy).unwrap();
            }
            let offline = copies.clone();
            for (i, order) in orders.iter().enumerate() {
                for &j in order.iter().filter(|&&j| j != i) {
                    let mut other = offline[j].clone();
                    merge(&mut copies[i], &mut other);
                }
            }
            let outcomes: Vec<_> = copies
                .iter_mut()
                .zip(caches.iter_mut())
                .map(|(c, cache)| {
                    let v = cache.view(c).unwrap();
                    let kitchen = v.place_schedule(&ItemId(KITCHEN.into()));
                    let garden = v.place_schedule(&ItemId(GARDEN.into()));
                    (v.booking_conflicts(), kitchen, garden)
                })
                .collect();
            for other in &outcomes[1..] {
                prop_assert_eq!(&outcomes[0], other);
            }
            // Every booking made offline is there after the merges.
            let made: usize = offline.iter().map(|c| {
                let mut c = c.clone();
                view(&mut c).bookings.len()
            }).sum();
            let (conflicts, kitchen, garden) = &outcomes[0];
            prop_assert_eq!(kitchen.bookings.len() + garden.bookings.len(), made);
            // The kitchen takes one at a time: confirmed and provisional
            // bookings never overlap; a conflicting one overlaps one of them.
            let held: Vec<_> = kitchen.bookings.iter()
                .filter(|(_, s)| matches!(s, Status::Confirmed | Status::Provisional))
                .map(|(b, _)| b)
                .collect();
            for (i, a) in held.iter().enumerate() {
                for b in &held[..i] {
                    let kept_both = a.decision.as_ref().is_some_and(|d| d.keep)
                        && b.decision.as_ref().is_some_and(|d| d.keep);
                    prop_assert!(kept_both || a.end <= b.start || b.end <= a.start);
                }
            }
            let losers: usize = conflicts.iter().map(|c| c.losers.len()).sum();
            let conflicting = kitchen.bookings.iter().chain(&garden.bookings)
                .filter(|(_, s)| *s == Status::Conflicting)
                .count();
            prop_assert_eq!(losers, conflicting);
        }
    }
}

#[test]
fn copies_that_booked_the_same_slot_offline_agree_after_merging() {
    let base = community();
    let mut ana = base.clone();
    ana.set_actor(&device('b').device.actor());
    let mut karim = base.clone();
    karim.set_actor(&device('c').device.actor());
    book(&mut ana, 'b', "01BANA", KITCHEN, (10, 12), 50).unwrap();
    book(&mut karim, 'c', "01BKARIM", KITCHEN, (11, 12), 40).unwrap();
    assert!(
        view(&mut ana).booking_conflicts().is_empty(),
        "offline, no conflict is known"
    );
    let (mut a2, mut k2) = (ana.clone(), karim.clone());
    merge(&mut ana, &mut k2);
    merge(&mut karim, &mut a2);
    let (ca, ck) = (
        view(&mut ana).booking_conflicts(),
        view(&mut karim).booking_conflicts(),
    );
    assert_eq!(ca, ck);
    assert_eq!(ids(&ca[0].winners), ["01BKARIM"], "made first, at 40");
    assert_eq!(ids(&ca[0].losers), ["01BANA"]);
}
