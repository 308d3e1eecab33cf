//! A member's devices: pairing tickets add a device to an existing member
//! (votes still count once per member), and revoking a device is allowed to
//! the member from another device and to moderators, never for a member's
//! own last device.

use automerge::ActorId;
use passerelle_model::*;

mod common;
use common::member;

fn author(c: char) -> Author {
    Author {
        device: DeviceKey(c.to_string().repeat(64)),
    }
}

/// Marion (admin, device a), Ana (membre, device b), Karim (animateur, device c).
fn community() -> CommunityDocs {
    let genesis = common::genesis(member(
        "01MARION",
        "Marion",
        Role::Admin,
        &author('a').device,
    ));
    let mut docs = CommunityDocs::create(genesis, &author('a').device.actor()).unwrap();
    for (id, name, role, c) in [
        ("01ANA", "Ana", Role::Membre, 'b'),
        ("01KARIM", "Karim", Role::Animateur, 'c'),
    ] {
        apply_as(
            &mut docs,
            &author('a'),
            Command::Members(MemberCommand::AddMember {
                id: MemberId(id.into()),
                display_name: name.into(),
                role,
                device: author(c).device,
                device_label: String::new(),
            }),
            1,
        )
        .unwrap();
    }
    docs
}

/// Applies a command from a device, under that device's own actor, as the
/// device itself would.
fn apply_as(
    docs: &mut CommunityDocs,
    author: &Author,
    command: Command,
    now: i64,
) -> Result<Outcome, CommandError> {
    docs.set_actor(&author.device.actor());
    docs.apply(author, command, now)
}

fn view(docs: &mut CommunityDocs) -> std::sync::Arc<CommunityView> {
    ViewCache::default().view(docs).unwrap()
}

/// `by` creates a pairing ticket for `member`; device `new` uses it.
fn pair(
    docs: &mut CommunityDocs,
    by: char,
    member: &str,
    new: char,
    label: &str,
) -> Result<(), CommandError> {
    let invite = ItemId(format!("inv-{new}"));
    apply_as(
        docs,
        &author(by),
        Command::Members(MemberCommand::CreateInvite {
            id: invite.clone(),
            secret_hash: common::invite_hash(true),
            expires_at: 1_000,
            member: Some(MemberId(member.into())),
        }),
        10,
    )?;
    apply_as(
        docs,
        &author(by),
        Command::Members(MemberCommand::AdmitMember {
            secret_hash: common::invite_proof(true, invite.as_str(), &author(new).device),
            invite,
            member: MemberId("01IGNORED".into()),
            display_name: label.into(),
            device: author(new).device,
        }),
        20,
    )?;
    Ok(())
}

#[test]
fn a_paired_device_acts_as_its_member_and_votes_count_once() {
    let mut docs = community();
    pair(&mut docs, 'b', "01ANA", 'd', "portable").unwrap();
    let v = view(&mut docs);
    assert_eq!(v.community.members.len(), 3, "no new member");
    let ana = v.member(&MemberId("01ANA".into())).unwrap();
    assert_eq!(ana.devices.len(), 2);
    assert_eq!(ana.devices[author('d').device.as_str()].label, "portable");
    assert_eq!(ana.role, Role::Membre);
    let invite = &v.community.invites[0];
    assert_eq!(invite.member.as_ref().unwrap().as_str(), "01ANA");
    assert_eq!(invite.used_by.as_deref(), Some(author('d').device.as_str()));

    let idea = ItemId("idea".into());
    apply_as(
        &mut docs,
        &author('a'),
        Command::Ideas(IdeaCommand::AddIdea {
            id: idea.clone(),
            text: "Un jardin partagé".into(),
            theme: None,
            table: None,
        }),
        30,
    )
    .unwrap();
    for device in ['b', 'd'] {
        apply_as(
            &mut docs,
            &author(device),
            Command::Ideas(IdeaCommand::Vote { idea: idea.clone() }),
            40,
        )
        .unwrap();
    }
    let v = view(&mut docs);
    let votes = &v.ideas.iter().find(|i| i.id == idea).unwrap().votes;
    assert_eq!(votes.keys().collect::<Vec<_>>(), ["01ANA"]);

    // A post from the new device is Ana's.
    let post = apply_as(
        &mut docs,
        &author('d'),
        Command::Fil(FilCommand::AddPost {
            id: ItemId("post".into()),
            text: "Bonjour depuis le portable".into(),
        }),
        50,
    )
    .unwrap();
    let v = view(&mut docs);
    let p = v.posts.iter().find(|p| p.id.as_str() == post.id).unwrap();
    assert_eq!(p.author.as_str(), "01ANA");
}

#[test]
fn only_the_member_or_a_moderator_makes_a_pairing_ticket() {
    let mut docs = community();
    // Ana cannot pair a device to Karim; Karim (animateur) can to Ana.
    let refused = pair(&mut docs, 'b', "01KARIM", 'd', "x").unwrap_err();
    assert!(matches!(refused, CommandError::NotAllowed(_)), "{refused}");
    pair(&mut docs, 'c', "01ANA", 'd', "nouveau").unwrap();
    // A device already used cannot be paired again.
    let again = pair(&mut docs, 'c', "01KARIM", 'd', "x").unwrap_err();
    assert!(matches!(again, CommandError::Duplicate(_)), "{again}");
}

#[test]
fn revoking_a_device_records_what_was_seen_and_stops_its_commands() {
    let mut docs = community();
    pair(&mut docs, 'b', "01ANA", 'd', "portable").unwrap();
    // The new device writes something (with its own actor, as on its own
    // machine); this replica holds it.
    docs.set_actor(&author('d').device.actor());
    apply_as(
        &mut docs,
        &author('d'),
        Command::Fil(FilCommand::AddPost {
            id: ItemId("p1".into()),
            text: "avant".into(),
        }),
        30,
    )
    .unwrap();
    docs.set_actor(&ActorId::from(b"aaaaaaaaaaaaaaaa".as_slice()));
    let seen = docs.seen_ops(&author('d').device);
    assert!(seen["fil"] > 0, "{seen:?}");

    // Karim cannot be revoked by Ana; Ana cannot revoke her last device
    // before she has another one, but can revoke one of two.
    let e = apply_as(
        &mut docs,
        &author('b'),
        Command::Members(MemberCommand::RevokeDevice {
            member: MemberId("01KARIM".into()),
            device: author('c').device,
        }),
        40,
    )
    .unwrap_err();
    assert!(matches!(e, CommandError::NotAllowed(_)), "{e}");
    apply_as(
        &mut docs,
        &author('b'),
        Command::Members(MemberCommand::RevokeDevice {
            member: MemberId("01ANA".into()),
            device: author('d').device,
        }),
        40,
    )
    .unwrap();
    let v = view(&mut docs);
    let ana = v.member(&MemberId("01ANA".into())).unwrap();
    let revoked = ana.devices[author('d').device.as_str()]
        .revoked
        .clone()
        .unwrap();
    assert_eq!(revoked.by.as_str(), "01ANA");
    assert_eq!(revoked.at, 40);
    assert_eq!(revoked.seen, seen);
    assert!(!v.is_active_device(&author('d').device));
    assert!(v.is_active_device(&author('b').device));

    // The revoked device can no longer act.
    let e = apply_as(
        &mut docs,
        &author('d'),
        Command::Fil(FilCommand::AddPost {
            id: ItemId("p2".into()),
            text: "après".into(),
        }),
        50,
    )
    .unwrap_err();
    assert!(matches!(e, CommandError::NotAMember), "{e}");

    // Her last device: refused to her, allowed to an animateur (recovery).
    let last = Command::Members(MemberCommand::RevokeDevice {
        member: MemberId("01ANA".into()),
        device: author('b').device,
    });
    let e = apply_as(&mut docs, &author('b'), last.clone(), 60).unwrap_err();
    assert!(matches!(e, CommandError::LastDevice), "{e}");
    apply_as(&mut docs, &author('c'), last, 60).unwrap();
    let v = view(&mut docs);
    let ana = v.member(&MemberId("01ANA".into())).unwrap();
    assert!(ana.devices.values().all(|d| d.revoked.is_some()));
    assert_eq!(
        ana.devices[author('b').device.as_str()]
            .revoked
            .as_ref()
            .unwrap()
            .by
            .as_str(),
        "01KARIM"
    );
    // Then the animateur links a new device to her: she is back.
    pair(&mut docs, 'c', "01ANA", 'e', "ordinateur neuf").unwrap();
    let v = view(&mut docs);
    assert_eq!(
        v.member_for_device(&author('e').device)
            .unwrap()
            .id
            .as_str(),
        "01ANA"
    );
    assert!(v.is_active_device(&author('e').device));
}
