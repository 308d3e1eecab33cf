//! What concerns a member: replies to their échanges, messages in their
//! groups, comments on their posts, events they go to starting soon,
//! conflicts on the places they are the referent of; never their own writing.

use std::sync::Arc;

use passerelle_model::booking::{Bookable, parse_hours};
use passerelle_model::notices::{self, EVENT_NOTICE, Notice, NoticeKind};
use passerelle_model::*;

mod common;
use common::member;

fn device(c: char) -> Author {
    Author {
        device: DeviceKey(c.to_string().repeat(64)),
    }
}

fn id(s: &str) -> ItemId {
    ItemId(s.into())
}

fn me(s: &str) -> MemberId {
    MemberId(s.into())
}

/// Tuesday 1 December 2026 at `hour`:00 in Paris (UTC+1), as stored.
fn tuesday(hour: i64) -> Timestamp {
    1_796_083_200_000 + (hour - 1) * 3_600_000
}

/// Marion (admin, a) made the community; Ana (b), Karim (c) and Lucie (d,
/// the kitchen's referent) are members.
fn community() -> CommunityDocs {
    let genesis = common::genesis(member(
        "01MARION",
        "Marion",
        Role::Admin,
        &device('a').device,
    ));
    let mut docs = CommunityDocs::create(genesis, &device('a').device.actor()).unwrap();
    for (member, name, c) in [
        ("01ANA", "Ana", 'b'),
        ("01KARIM", "Karim", 'c'),
        ("01LUCIE", "Lucie", 'd'),
    ] {
        apply(
            &mut docs,
            'a',
            Command::Members(MemberCommand::AddMember {
                id: me(member),
                display_name: name.into(),
                role: Role::Membre,
                device: device(c).device,
                device_label: String::new(),
            }),
        );
    }
    docs
}

fn apply(docs: &mut CommunityDocs, by: char, command: Command) {
    docs.apply(&device(by), command, 10).unwrap();
}

fn view(docs: &mut CommunityDocs) -> Arc<CommunityView> {
    ViewCache::default().view(docs).unwrap()
}

fn kinds(notices: &[Notice]) -> Vec<(NoticeKind, &str, Option<&str>)> {
    notices
        .iter()
        .map(|n| (n.kind, n.title.as_str(), n.from.as_deref()))
        .collect()
}

#[test]
fn a_reply_to_my_exchange_concerns_me_not_its_replier_nor_others() {
    let mut docs = community();
    apply(
        &mut docs,
        'a',
        Command::Exchanges(ExchangeCommand::AddExchange {
            id: id("01VELO"),
            kind: ExchangeKind::Need,
            title: "Réparer mon vélo".into(),
            description: String::new(),
            category: "jardinage".into(),
            mode: ExchangeMode::CoupDeMain,
            place: None,
        }),
    );
    let before = view(&mut docs);
    let reply = |docs: &mut CommunityDocs, by, reply: &str| {
        apply(
            docs,
            by,
            Command::Exchanges(ExchangeCommand::ReplyToExchange {
                exchange: id("01VELO"),
                id: id(reply),
                kind: ReplyKind::CanHelp,
                text: "Je passe samedi".into(),
            }),
        )
    };
    reply(&mut docs, 'b', "01R1");
    reply(&mut docs, 'a', "01R2");
    let after = view(&mut docs);

    let marion = notices::arrived(&me("01MARION"), &before, &after);
    assert_eq!(
        kinds(&marion),
        [(NoticeKind::Reply, "Réparer mon vélo", Some("Ana"))],
        "Ana's reply, not Marion's own"
    );
    assert_eq!(marion[0].key, "reply:01R1");
    assert_eq!(marion[0].item, id("01VELO"));
    assert!(notices::arrived(&me("01ANA"), &before, &after).is_empty());
    assert!(notices::arrived(&me("01KARIM"), &before, &after).is_empty());
    // Nothing new the second time.
    assert!(notices::arrived(&me("01MARION"), &after, &after).is_empty());
}

#[test]
fn a_message_in_my_group_and_a_comment_on_my_post_concern_me() {
    let mut docs = community();
    apply(
        &mut docs,
        'b',
        Command::Groups(GroupCommand::AddGroup {
            id: id("01TRICOT"),
            name: "Tricot du mardi".into(),
            theme: None,
            description: String::new(),
        }),
    );
    apply(
        &mut docs,
        'a',
        Command::Groups(GroupCommand::JoinGroup {
            group: id("01TRICOT"),
        }),
    );
    apply(
        &mut docs,
        'a',
        Command::Fil(FilCommand::AddPost {
            id: id("01POST"),
            text: "\nPique-nique dimanche au parc\nApportez un plat".into(),
        }),
    );
    let before = view(&mut docs);
    apply(
        &mut docs,
        'b',
        Command::Groups(GroupCommand::PostInGroup {
            group: id("01TRICOT"),
            id: id("01MSG"),
            text: "Laine en plus chez moi".into(),
        }),
    );
    apply(
        &mut docs,
        'c',
        Command::Fil(FilCommand::AddComment {
            post: id("01POST"),
            id: id("01COM"),
            text: "Je viens !".into(),
        }),
    );
    let after = view(&mut docs);

    let marion = notices::arrived(&me("01MARION"), &before, &after);
    assert_eq!(
        kinds(&marion),
        [
            (NoticeKind::GroupMessage, "Tricot du mardi", Some("Ana")),
            (
                NoticeKind::Comment,
                "Pique-nique dimanche au parc",
                Some("Karim")
            ),
        ]
    );
    // Ana wrote the message; Karim is in no group and wrote no post.
    assert!(notices::arrived(&me("01ANA"), &before, &after).is_empty());
    assert!(notices::arrived(&me("01KARIM"), &before, &after).is_empty());
}

#[test]
fn an_event_i_go_to_is_due_the_day_before_it_starts() {
    let mut docs = community();
    let start = tuesday(18);
    apply(
        &mut docs,
        'a',
        Command::Agenda(AgendaCommand::AddEvent {
            id: id("01PIKNIK"),
            title: "Pik-nik".into(),
            description: String::new(),
            start,
            end: None,
            place: None,
            capacity: None,
        }),
    );
    for (by, answer) in [('b', RsvpAnswer::Yes), ('c', RsvpAnswer::No)] {
        apply(
            &mut docs,
            by,
            Command::Agenda(AgendaCommand::Rsvp {
                event: id("01PIKNIK"),
                answer,
            }),
        );
    }
    let v = view(&mut docs);
    let ana = |now| notices::due(&me("01ANA"), &v, now);
    assert!(ana(start - EVENT_NOTICE - 1).is_empty(), "too early");
    let due = ana(start - 2 * 3_600_000);
    assert_eq!(kinds(&due), [(NoticeKind::EventSoon, "Pik-nik", None)]);
    assert_eq!(due[0].key, format!("event:01PIKNIK:{start}"));
    assert!(ana(start + 1).is_empty(), "once it has started");
    assert!(notices::due(&me("01KARIM"), &v, start - 3_600_000).is_empty());
}

#[test]
fn a_booking_conflict_is_due_to_the_places_referent_only() {
    let mut docs = community();
    apply(
        &mut docs,
        'a',
        Command::Annuaire(AnnuaireCommand::AddActor {
            id: id("01KITCHEN"),
            kind: ActorKind::Place,
            name: "Cuisine partagée".into(),
            description: String::new(),
            contact: Contact::default(),
            address: None,
            tags: vec![],
        }),
    );
    apply(
        &mut docs,
        'a',
        Command::Booking(BookingCommand::SetBookable {
            place: id("01KITCHEN"),
            bookable: Some(Bookable {
                openings: parse_hours("mar 09:00-18:00").unwrap(),
                capacity: 1,
                slot_minutes: 60,
                referent: Some(me("01LUCIE")),
                utc_offset_minutes: 60,
            }),
        }),
    );
    let v = view(&mut docs);
    assert!(notices::due(&me("01LUCIE"), &v, 0).is_empty());
    for (by, booking) in [('b', "01B1"), ('c', "01B2")] {
        apply(
            &mut docs,
            by,
            Command::Booking(BookingCommand::BookPlace {
                id: id(booking),
                place: id("01KITCHEN"),
                start: tuesday(10),
                end: tuesday(12),
                note: String::new(),
            }),
        );
    }
    let v = view(&mut docs);
    let lucie = notices::due(&me("01LUCIE"), &v, 0);
    assert_eq!(
        kinds(&lucie),
        [(NoticeKind::BookingConflict, "Cuisine partagée", None)]
    );
    assert_eq!(lucie[0].key, "conflict:01B1,01B2");
    assert!(notices::due(&me("01ANA"), &v, 0).is_empty());
}
