//! A pairing ticket, as a member's modified app sees it: every device holds
//! the invite record, so every member could "use" a pairing invite of
//! another member's without its secret. The use must carry a proof that
//! only the secret's holder can make, bound to the device it lists.

use passerelle_model::*;

mod common;
use common::member;

fn author(c: char) -> Author {
    Author {
        device: DeviceKey(c.to_string().repeat(64)),
    }
}

fn apply_as(
    docs: &mut CommunityDocs,
    by: char,
    command: Command,
    now: i64,
) -> Result<Outcome, CommandError> {
    docs.set_actor(&author(by).device.actor());
    docs.apply(&author(by), command, now)
}

fn view(docs: &mut CommunityDocs) -> std::sync::Arc<CommunityView> {
    ViewCache::default().view(docs).unwrap()
}

const MARION: &str = "01MARION";
const SECRET: [u8; 16] = [9; 16];
const INVITE: &str = "inv-phone";

/// Marion (admin, device a) and Ana (membre, device b); Marion has made a
/// pairing ticket for her new phone, whose secret only she holds.
fn community_with_a_pairing_ticket() -> CommunityDocs {
    let genesis = common::genesis(member(MARION, "Marion", Role::Admin, &author('a').device));
    let mut docs = CommunityDocs::create(genesis, &author('a').device.actor()).unwrap();
    apply_as(
        &mut docs,
        'a',
        Command::Members(MemberCommand::AddMember {
            id: MemberId("01ANA".into()),
            display_name: "Ana".into(),
            role: Role::Membre,
            device: author('b').device,
            device_label: String::new(),
        }),
        1,
    )
    .unwrap();
    apply_as(
        &mut docs,
        'a',
        Command::Members(MemberCommand::CreateInvite {
            id: ItemId(INVITE.into()),
            secret_hash: pairing::use_key(&SECRET),
            expires_at: 1_000,
            member: Some(MemberId(MARION.into())),
        }),
        10,
    )
    .unwrap();
    docs
}

fn admit(
    docs: &mut CommunityDocs,
    by: char,
    proof: String,
    device: char,
) -> Result<(), CommandError> {
    apply_as(
        docs,
        by,
        Command::Members(MemberCommand::AdmitMember {
            invite: ItemId(INVITE.into()),
            secret_hash: proof,
            member: MemberId("01IGNORED".into()),
            display_name: "téléphone".into(),
            device: author(device).device,
        }),
        20,
    )
    .map(|_| ())
}

#[test]
fn a_member_cannot_use_a_pairing_ticket_of_anothers_without_its_secret() {
    let mut docs = community_with_a_pairing_ticket();
    // Ana's app reads what every device holds of the invite and presents
    // it as the proof, listing a device of hers ('e') under Marion.
    let stored = view(&mut docs).community.invites[0].secret_hash.clone();
    assert!(admit(&mut docs, 'b', stored, 'e').is_err());
    // Written straight into the document, bypassing the command's check:
    // the rules every device applies do not list it.
    let forged = docs.doc_mut(layout::DocKind::Community).unwrap();
    forged.set_actor(author('b').device.actor());
    {
        use automerge::ReadDoc;
        use automerge::transaction::Transactable;
        let invites = forged.get(automerge::ROOT, "invites").unwrap().unwrap().1;
        let invite = forged.get(&invites, INVITE).unwrap().unwrap().1;
        let members = forged.get(automerge::ROOT, "members").unwrap().unwrap().1;
        let marion = forged.get(&members, MARION).unwrap().unwrap().1;
        let devices = forged.get(&marion, "devices").unwrap().unwrap().1;
        let e = author('e').device.0;
        let entry = forged
            .put_object(&devices, e.as_str(), automerge::ObjType::Map)
            .unwrap();
        forged.put(&entry, "added_at", 20).unwrap();
        forged.put(&entry, "label", "téléphone").unwrap();
        forged.put(&entry, "revoked", ()).unwrap();
        forged.put(&invite, "used_by", e.as_str()).unwrap();
        forged.put(&invite, "used_at", 20).unwrap();
        // A proof made with a key of Ana's own: not the invite's.
        let other = pairing::prove_use(&[1; 16], INVITE, &e);
        forged.put(&invite, "use_proof", other.as_str()).unwrap();
    }
    forged.commit();
    let v = view(&mut docs);
    assert!(
        v.member_for_device(&author('e').device).is_none(),
        "Ana's device is listed as Marion's"
    );
}

#[test]
fn the_holder_of_the_secret_pairs_the_device_it_names_only() {
    let mut docs = community_with_a_pairing_ticket();
    // A proof for one device does not list another.
    let for_d = pairing::prove_use(&SECRET, INVITE, &author('d').device.0);
    assert!(admit(&mut docs, 'b', for_d.clone(), 'e').is_err());
    // Any member device that was given the secret admits the new phone.
    admit(&mut docs, 'b', for_d, 'd').unwrap();
    let v = view(&mut docs);
    let marion = v.member_for_device(&author('d').device).unwrap();
    assert_eq!(marion.id.as_str(), MARION);
    assert!(v.member_for_device(&author('e').device).is_none());
}

/// An animateur relinking "a lost device" of the admin's with a key of
/// their own: by design (recovery) it is listed, and the animateur then
/// writes as the admin. docs/SECURITY.md, "What is not protected".
#[test]
#[ignore = "open: animateurs may relink any member's device, admins included"]
fn an_animateur_cannot_list_a_key_of_theirs_under_the_admin() {
    let mut docs = community_with_a_pairing_ticket();
    apply_as(
        &mut docs,
        'a',
        Command::Members(MemberCommand::AddMember {
            id: MemberId("01KARIM".into()),
            display_name: "Karim".into(),
            role: Role::Animateur,
            device: author('c').device,
            device_label: String::new(),
        }),
        11,
    )
    .unwrap();
    let invite = ItemId("inv-karim".into());
    let secret = [5; 16];
    apply_as(
        &mut docs,
        'c',
        Command::Members(MemberCommand::CreateInvite {
            id: invite.clone(),
            secret_hash: pairing::use_key(&secret),
            expires_at: 1_000,
            member: Some(MemberId(MARION.into())),
        }),
        12,
    )
    .unwrap();
    let _ = apply_as(
        &mut docs,
        'c',
        Command::Members(MemberCommand::AdmitMember {
            secret_hash: pairing::prove_use(&secret, invite.as_str(), &author('z').device.0),
            invite,
            member: MemberId("01IGNORED".into()),
            display_name: "téléphone".into(),
            device: author('z').device,
        }),
        20,
    );
    let v = view(&mut docs);
    assert!(
        v.member_for_device(&author('z').device)
            .is_none_or(|m| m.id.as_str() != MARION),
        "Karim's key is listed as Marion's"
    );
}
