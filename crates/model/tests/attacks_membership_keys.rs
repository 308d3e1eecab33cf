//! A member's modified app deleting or replacing what lists who writes: a
//! member entry, a device entry, a member's `devices`, `members` itself;
//! or rewriting a document's `kind`, `community` or `schema`. The gate
//! refuses each (`gate::UNLISTS`, `wellformed::REWRITES_GENESIS`): a device
//! key once listed stays listed (its `revoked` is how it stops), and what a
//! document is and whose it is are the genesis' alone. Honest commands on
//! members and devices (adding, pairing, revoking, removing, roles,
//! profiles) still pass.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, Change, ChangeHash, ObjId, ObjType, ROOT};
use passerelle_model::gate::{self, Reason, Writers};
use passerelle_model::signing::Signed;
use passerelle_model::wellformed::REWRITES_GENESIS;
use passerelle_model::*;

mod common;
use common::{Dev, community, dev, map, members, receive, receive_collection, write};

fn devices_of(doc: &AutoCommit, member: &str) -> ObjId {
    let entry = map(doc, &members(doc), member);
    map(doc, &entry, "devices")
}

/// The community document as another device holds it, receiving `change`
/// signed by `who`: the reason it was refused, if it was.
fn judged(doc: &AutoCommit, who: &Dev, change: Change) -> Option<Reason> {
    let mut copy = doc.clone();
    let mut ledger = gate::Ledger::default();
    let merged = receive(
        &mut copy,
        &mut ledger,
        vec![change.clone()],
        &[who.sign(change.hash())],
    );
    match merged.refused.first() {
        Some(r) => {
            assert_eq!(merged.applied, 0);
            // Nothing of it is held.
            assert!(!gate::holds(&mut copy, &[change.hash()]));
            Some(r.reason.clone())
        }
        None => {
            assert_eq!(merged.applied, 1);
            None
        }
    }
}

fn unlists() -> Option<Reason> {
    Some(Reason::Malformed(gate::UNLISTS.to_owned()))
}

#[test]
fn deleting_a_device_entry_is_refused() {
    let docs = community();
    let (marion, ana) = (dev(1), dev(2));
    let doc = docs.doc(DocKind::Community).unwrap();
    // Her own key, and the admin's.
    let own = write(doc, &ana, |d| {
        let devices = devices_of(d, "01ANA");
        d.delete(&devices, ana.key.as_str()).unwrap();
    });
    assert_eq!(judged(doc, &ana, own), unlists());
    let admins = write(doc, &ana, |d| {
        let devices = devices_of(d, "01MARION");
        d.delete(&devices, marion.key.as_str()).unwrap();
    });
    assert_eq!(judged(doc, &ana, admins), unlists());
}

#[test]
fn replacing_a_device_entry_is_refused() {
    let docs = community();
    let ana = dev(2);
    let doc = docs.doc(DocKind::Community).unwrap();
    for scalar in [true, false] {
        let change = write(doc, &ana, |d| {
            let devices = devices_of(d, "01ANA");
            if scalar {
                d.put(&devices, ana.key.as_str(), "gone").unwrap();
            } else {
                d.put_object(&devices, ana.key.as_str(), ObjType::Map)
                    .unwrap();
            }
        });
        assert_eq!(judged(doc, &ana, change), unlists(), "scalar: {scalar}");
    }
}

#[test]
fn deleting_or_replacing_a_member_entry_is_refused() {
    let docs = community();
    let ana = dev(2);
    let doc = docs.doc(DocKind::Community).unwrap();
    let deleted = write(doc, &ana, |d| {
        let members = members(d);
        d.delete(&members, "01BEA").unwrap();
    });
    assert_eq!(judged(doc, &ana, deleted), unlists());
    let own = write(doc, &ana, |d| {
        let members = members(d);
        d.delete(&members, "01ANA").unwrap();
    });
    assert_eq!(judged(doc, &ana, own), unlists());
    // A new map over Bea's entry, with a devices map listing Ana's key.
    let replaced = write(doc, &ana, |d| {
        let members = members(d);
        let entry = d.put_object(&members, "01BEA", ObjType::Map).unwrap();
        d.put(&entry, "display_name", "Bea").unwrap();
        let devices = d.put_object(&entry, "devices", ObjType::Map).unwrap();
        d.put_object(&devices, ana.key.as_str(), ObjType::Map)
            .unwrap();
    });
    assert_eq!(judged(doc, &ana, replaced), unlists());
}

#[test]
fn deleting_or_replacing_a_members_devices_is_refused() {
    let docs = community();
    let ana = dev(2);
    let doc = docs.doc(DocKind::Community).unwrap();
    let deleted = write(doc, &ana, |d| {
        let entry = map(d, &members(d), "01MARION");
        d.delete(&entry, "devices").unwrap();
    });
    assert_eq!(judged(doc, &ana, deleted), unlists());
    let replaced = write(doc, &ana, |d| {
        let entry = map(d, &members(d), "01MARION");
        d.put_object(&entry, "devices", ObjType::Map).unwrap();
    });
    assert_eq!(judged(doc, &ana, replaced), unlists());
}

#[test]
fn deleting_or_replacing_members_itself_is_refused() {
    let docs = community();
    let ana = dev(2);
    let doc = docs.doc(DocKind::Community).unwrap();
    let deleted = write(doc, &ana, |d| d.delete(ROOT, "members").unwrap());
    assert_eq!(judged(doc, &ana, deleted), unlists());
    let replaced = write(doc, &ana, |d| {
        d.put_object(ROOT, "members", ObjType::Map).unwrap();
    });
    assert_eq!(judged(doc, &ana, replaced), unlists());
}

/// What depends on a refused deletion is refused with it; the honest
/// change of the batch that does not is kept.
#[test]
fn what_builds_on_a_deletion_is_refused_with_it() {
    let docs = community();
    let (ana, bea) = (dev(2), dev(3));
    let doc = docs.doc(DocKind::Community).unwrap();
    let mut forked = doc.clone().fork();
    forked.set_actor(ana.key.actor());
    let devices = devices_of(&forked, "01ANA");
    forked.delete(&devices, ana.key.as_str()).unwrap();
    forked.commit();
    let deletion = forked.get_last_local_change().unwrap();
    forked.put(ROOT, "name", "Après").unwrap();
    forked.commit();
    let after = forked.get_last_local_change().unwrap();
    let honest = write(doc, &bea, |d| d.put(ROOT, "description", "x").unwrap());
    let mut copy = doc.clone();
    let merged = receive(
        &mut copy,
        &mut gate::Ledger::default(),
        vec![deletion.clone(), after.clone(), honest.clone()],
        &[ana.sign(after.hash()), bea.sign(honest.hash())],
    );
    assert_eq!(merged.applied, 1, "{:?}", merged.refused);
    let reasons: Vec<(ChangeHash, Reason)> = merged
        .refused
        .iter()
        .map(|r| (r.hash, r.reason.clone()))
        .collect();
    assert!(
        reasons.contains(&(deletion.hash(), unlists().unwrap())),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&(after.hash(), Reason::AfterRefused)),
        "{reasons:?}"
    );
    assert!(gate::holds(&mut copy, &[honest.hash()]));
    // Ana is still listed for the collections.
    let writers = Writers::of(&mut copy, &mut gate::Ledger::default());
    let mut exchanges = docs.doc(DocKind::Exchanges).unwrap().clone();
    let need = write(&exchanges, &ana, |d| {
        let map = map(d, &ROOT, "exchanges");
        d.put(&map, "01NEED", "x").unwrap();
    });
    let merged = receive_collection(
        &mut exchanges,
        &writers,
        need.clone(),
        &[ana.sign(need.hash())],
    );
    assert_eq!(merged.applied, 1, "{:?}", merged.refused);
}

/// `kind`, `community` and `schema` are the genesis' alone, in every
/// document: a later put or delete is refused, in a collection and in the
/// community document.
#[test]
fn rewriting_a_documents_kind_community_or_schema_is_refused() {
    let docs = community();
    let (marion, ana) = (dev(1), dev(2));
    let community = docs.doc(DocKind::Community).unwrap().clone();
    let writers = Writers::of(&mut community.clone(), &mut gate::Ledger::default());
    let exchanges = docs.doc(DocKind::Exchanges).unwrap();
    let malformed = Some(Reason::Malformed(REWRITES_GENESIS.to_owned()));
    type Rewrite = Box<dyn Fn(&mut AutoCommit)>;
    let rewrites: Vec<Rewrite> = vec![
        Box::new(|d| d.put(ROOT, "community", "01OTHER").unwrap()),
        Box::new(|d| d.put(ROOT, "kind", "fil").unwrap()),
        Box::new(|d| d.delete(ROOT, "kind").unwrap()),
        Box::new(|d| d.delete(ROOT, "community").unwrap()),
        Box::new(|d| d.put(ROOT, "schema", 2).unwrap()),
        Box::new(|d| d.delete(ROOT, "schema").unwrap()),
    ];
    for (i, rewrite) in rewrites.iter().enumerate() {
        // An admin's device is refused too: no honest device writes them.
        for who in [&ana, &marion] {
            let change = write(exchanges, who, rewrite);
            let mut copy = exchanges.clone();
            let merged = receive_collection(
                &mut copy,
                &writers,
                change.clone(),
                &[who.sign(change.hash())],
            );
            assert_eq!(merged.applied, 0, "rewrite {i}");
            assert_eq!(
                Some(merged.refused[0].reason.clone()),
                malformed,
                "rewrite {i}"
            );
            let change = write(&community, who, rewrite);
            assert_eq!(judged(&community, who, change), malformed, "rewrite {i}");
        }
    }
    // Other root values still pass.
    let named = write(&community, &marion, |d| {
        d.put(ROOT, "name", "Quartier Nord").unwrap()
    });
    assert_eq!(judged(&community, &marion, named), None);
}

/// Honest commands on members and devices write through the gate: a
/// member added, an invite used, a device paired, a role changed, a
/// profile updated, a device revoked (by its member and by a moderator),
/// a member removed.
#[test]
fn honest_member_and_device_commands_pass() {
    let mut docs = community();
    let (marion, ana, bea, phone, cleo) = (dev(1), dev(2), dev(3), dev(4), dev(5));
    let mut held = docs.doc(DocKind::Community).unwrap().clone();
    let mut ledger = gate::Ledger::default();
    let devices: Vec<&Dev> = vec![&marion, &ana, &bea, &phone, &cleo];
    let mut step = |docs: &mut CommunityDocs, who: &Dev, command: Command, now: i64| {
        let name = format!("{command:?}");
        let doc = docs.doc_mut(DocKind::Community).unwrap();
        doc.set_actor(who.key.actor());
        docs.apply(&who.author(), command, now)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let doc = docs.doc_mut(DocKind::Community).unwrap();
        let new = doc.get_changes(&held.get_heads());
        let sigs: Vec<Signed> = new
            .iter()
            .map(|c| {
                let signer = devices
                    .iter()
                    .find(|d| &d.key.actor() == c.actor_id())
                    .expect("a known device");
                signer.sign(c.hash())
            })
            .collect();
        let n = new.len();
        let merged = receive(&mut held, &mut ledger, new, &sigs);
        assert_eq!(merged.applied, n, "{name}: {:?}", merged.refused);
    };
    // A member added by the admin, with a device.
    step(
        &mut docs,
        &marion,
        Command::Members(MemberCommand::AddMember {
            id: MemberId("01DAN".into()),
            display_name: "Dan".into(),
            role: Role::Membre,
            device: dev(6).key,
            device_label: "ordinateur".into(),
        }),
        2,
    );
    // An invite, used by Cleo.
    step(
        &mut docs,
        &ana,
        Command::Members(MemberCommand::CreateInvite {
            id: ItemId("01INVITE".into()),
            secret_hash: "ab".repeat(32),
            expires_at: 1_000,
            member: None,
        }),
        3,
    );
    // The inviter's device admits the holder of the secret.
    step(
        &mut docs,
        &ana,
        Command::Members(MemberCommand::AdmitMember {
            invite: ItemId("01INVITE".into()),
            secret_hash: "ab".repeat(32),
            member: MemberId("01CLEO".into()),
            display_name: "Cléo".into(),
            device: cleo.key.clone(),
        }),
        4,
    );
    // Ana's second device, paired with a ticket.
    let secret = [9u8; 16];
    let use_key = passerelle_model::pairing::use_key(&secret);
    step(
        &mut docs,
        &ana,
        Command::Members(MemberCommand::CreateInvite {
            id: ItemId("01PAIR".into()),
            secret_hash: use_key,
            expires_at: 1_000,
            member: Some(MemberId("01ANA".into())),
        }),
        5,
    );
    step(
        &mut docs,
        &ana,
        Command::Members(MemberCommand::AdmitMember {
            invite: ItemId("01PAIR".into()),
            secret_hash: passerelle_model::pairing::prove_use(
                &secret,
                "01PAIR",
                phone.key.as_str(),
            ),
            member: MemberId("01ANA".into()),
            display_name: "téléphone".into(),
            device: phone.key.clone(),
        }),
        6,
    );
    // A role changed, a profile updated.
    step(
        &mut docs,
        &marion,
        Command::Members(MemberCommand::SetRole {
            member: MemberId("01BEA".into()),
            role: Role::Animateur,
        }),
        7,
    );
    step(
        &mut docs,
        &ana,
        Command::Members(MemberCommand::UpdateProfile {
            display_name: Some("Ana B.".into()),
            skills: Some(vec!["vélo".into()]),
            languages: None,
        }),
        8,
    );
    // Ana revokes her first device from her phone; a moderator revokes
    // Cleo's; Dan is removed.
    step(
        &mut docs,
        &phone,
        Command::Members(MemberCommand::RevokeDevice {
            member: MemberId("01ANA".into()),
            device: ana.key.clone(),
        }),
        9,
    );
    step(
        &mut docs,
        &bea,
        Command::Members(MemberCommand::RevokeDevice {
            member: MemberId("01CLEO".into()),
            device: cleo.key.clone(),
        }),
        10,
    );
    step(
        &mut docs,
        &marion,
        Command::Members(MemberCommand::RemoveMember {
            member: MemberId("01DAN".into()),
        }),
        11,
    );
    // Every device key stays listed.
    let writers = Writers::of(&mut held, &mut gate::Ledger::default());
    let listed = format!("{writers:?}");
    for d in [&marion, &ana, &bea, &phone, &cleo, &dev(6)] {
        assert!(listed.contains(d.key.as_str()), "{} listed", d.key.as_str());
    }
}

/// A device entry the rules do not admit (Ana, a membre, lists a key under
/// Bea's entry: a new key, which the gate takes; admission lists it
/// nowhere). Bea's honest profile update writes her member as the rules
/// admit it, and must still pass every device's gate: else anyone could
/// cut a member off by listing a stray key under her entry.
#[test]
fn an_honest_profile_update_passes_over_a_stray_device_entry() {
    let mut docs = community();
    let (ana, bea) = (dev(2), dev(3));
    let stray = dev(7);
    let doc = docs.doc_mut(DocKind::Community).unwrap();
    let listing = write(doc, &ana, |d| {
        let devices = devices_of(d, "01BEA");
        let entry = d
            .put_object(&devices, stray.key.as_str(), ObjType::Map)
            .unwrap();
        d.put(&entry, "added_at", 0).unwrap();
        d.put(&entry, "label", "").unwrap();
    });
    let mut held = doc.clone();
    let mut ledger = gate::Ledger::default();
    let merged = receive(
        &mut held,
        &mut ledger,
        vec![listing.clone()],
        &[ana.sign(listing.hash())],
    );
    assert_eq!(merged.applied, 1, "{:?}", merged.refused);
    doc.apply_changes([listing]).unwrap();
    doc.set_actor(bea.key.actor());
    docs.apply(
        &bea.author(),
        Command::Members(MemberCommand::UpdateProfile {
            display_name: Some("Béatrice".into()),
            skills: None,
            languages: None,
        }),
        2,
    )
    .unwrap();
    let doc = docs.doc_mut(DocKind::Community).unwrap();
    let new = doc.get_changes(&held.get_heads());
    let sigs: Vec<Signed> = new.iter().map(|c| bea.sign(c.hash())).collect();
    let merged = receive(&mut held, &mut ledger, new, &sigs);
    assert!(merged.refused.is_empty(), "{:?}", merged.refused);
}
