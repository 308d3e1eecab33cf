//! The gate, attacked the way a modified app or a crafted file would: a
//! stranger listing themselves, a member forging another device's changes,
//! equivocation, unsigned changes in a signed community, a second genesis.
//! Each forged change is built with Automerge's own API, as an attacker
//! would, and handed to `gate::merge` as a peer's changes would be.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, Change, ObjType, ROOT, ReadDoc};
use passerelle_model::gate::{self, Authority, Incoming, Ledger, Reason, Writers};
use passerelle_model::layout::Genesis;
use passerelle_model::signing::Signed;
use passerelle_model::*;

mod common;
use common::{dev, receive};

fn member(id: &str, role: Role, device: &DeviceKey) -> Member {
    Member {
        id: MemberId(id.into()),
        display_name: id.into(),
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

/// A signed community: Marion (admin, device 1) created it and added Ana
/// (membre, device 2). Returns the docs and every change, signed.
fn community() -> (CommunityDocs, Vec<Signed>) {
    let (marion, ana) = (dev(1), dev(2));
    let genesis = Genesis {
        id: CommunityId("01GENESIS".into()),
        community_doc: DocumentId::from_random(1),
        collections: DocumentIds {
            exchanges: DocumentId::from_random(2),
            agenda: DocumentId::from_random(3),
            ideas: DocumentId::from_random(4),
            savoirs: DocumentId::from_random(5),
            fil: DocumentId::from_random(6),
        },
        name: "Quartier".into(),
        description: String::new(),
        categories: defaults::default_categories(),
        themes: defaults::default_themes(),
        creator: member("01MARION", Role::Admin, &marion.key),
        now: 0,
        discovery_secret: "00".repeat(32),
    };
    let mut docs = CommunityDocs::create_signed(genesis, &marion.key.actor()).unwrap();
    docs.apply(
        &marion.author(),
        Command::Members(MemberCommand::AddMember {
            id: MemberId("01ANA".into()),
            display_name: "Ana".into(),
            role: Role::Membre,
            device: ana.key.clone(),
            device_label: String::new(),
        }),
        1,
    )
    .unwrap();
    let heads = docs.doc_mut(DocKind::Community).unwrap().get_heads();
    let sigs = heads.into_iter().map(|h| marion.sign(h)).collect();
    (docs, sigs)
}

/// Every change of a document, as a peer would send them.
fn changes(doc: &mut AutoCommit) -> Vec<Change> {
    doc.get_changes(&[])
}

fn members(doc: &mut AutoCommit) -> Vec<String> {
    admission::members(doc)
        .into_iter()
        .map(|m| m.id.0)
        .collect()
}

#[test]
fn an_honest_signed_history_passes_whole() {
    let (mut docs, sigs) = community();
    let doc = docs.doc_mut(DocKind::Community).unwrap();
    assert!(gate::requires_signatures(doc));
    let mut fresh = AutoCommit::new();
    let merged = receive(&mut fresh, &mut Ledger::default(), changes(doc), &sigs);
    assert!(merged.refused.is_empty(), "{:?}", merged.refused);
    assert_eq!(fresh.get_heads(), doc.get_heads());
}

#[test]
fn without_its_signature_a_signed_community_is_refused() {
    let (mut docs, _) = community();
    let doc = docs.doc_mut(DocKind::Community).unwrap();
    let mut fresh = AutoCommit::new();
    let merged = receive(&mut fresh, &mut Ledger::default(), changes(doc), &[]);
    assert_eq!(merged.applied, 0);
    assert!(merged.refused.iter().any(|r| r.reason == Reason::Unsigned));
}

/// Attack 1: a stranger who knows the community's object ids writes a
/// change with no dependencies, under their own actor, adding a member
/// entry with their own key; then one depending on the real history.
#[test]
fn a_stranger_cannot_list_themselves() {
    let (mut docs, sigs) = community();
    let eve = dev(9);
    let doc = docs.doc_mut(DocKind::Community).unwrap();
    let members_obj = match doc.get(ROOT, "members").unwrap() {
        Some((_, id)) => id,
        None => panic!("members"),
    };

    // Forged on the real history (so the change references real objects).
    let mut forged = doc.fork();
    forged.set_actor(eve.key.actor());
    let entry = forged
        .put_object(&members_obj, "01EVE", ObjType::Map)
        .unwrap();
    forged.put(&entry, "role", "admin").unwrap();
    let devices = forged.put_object(&entry, "devices", ObjType::Map).unwrap();
    forged
        .put_object(&devices, eve.key.as_str(), ObjType::Map)
        .unwrap();
    let change = forged.get_last_local_change().unwrap();
    let sig = eve.sign(change.hash());

    let mut honest = doc.clone();
    let mut ledger = Ledger::default();
    let merged = receive(&mut honest, &mut ledger, vec![change.clone()], &[sig]);
    assert_eq!(merged.applied, 0);
    assert_eq!(merged.refused[0].reason, Reason::NotListed);
    assert!(!members(&mut honest).contains(&"01EVE".to_owned()));

    // The same, with no dependencies at all (a second genesis).
    let mut root = AutoCommit::new().with_actor(eve.key.actor());
    root.put(ROOT, "x", 1).unwrap();
    let lone = root.get_last_local_change().unwrap();
    let merged = receive(
        &mut honest,
        &mut ledger,
        vec![lone.clone()],
        &[eve.sign(lone.hash())],
    );
    assert_eq!(merged.refused[0].reason, Reason::SecondGenesis);

    // A fresh device receiving the whole history plus the forgery keeps the history only.
    let mut fresh = AutoCommit::new();
    let mut all = changes(doc);
    all.push(change);
    let mut with = sigs.clone();
    with.push(sig);
    let merged = receive(&mut fresh, &mut Ledger::default(), all, &with);
    assert_eq!(merged.refused.len(), 1);
    assert_eq!(fresh.get_heads(), doc.get_heads());
}

/// Attack 4: a member writes a change under another device's actor and
/// next sequence number, so that the real change would be refused as a
/// duplicate. Without that device's key the forgery is refused, and the
/// real change still passes.
#[test]
fn a_member_cannot_write_under_another_device() {
    let (mut docs, sigs) = community();
    let (marion, ana) = (dev(1), dev(2));
    let doc = docs.doc_mut(DocKind::Community).unwrap();
    let mut honest = doc.clone();
    let mut ledger = Ledger::default();

    let mut forged = doc.fork();
    forged.set_actor(marion.key.actor());
    forged.put(ROOT, "name", "Volé").unwrap();
    let forgery = forged.get_last_local_change().unwrap();
    // Signed by Ana, or not at all: both refused.
    let merged = receive(
        &mut honest,
        &mut ledger,
        vec![forgery.clone()],
        &[ana.sign(forgery.hash())],
    );
    assert_eq!(merged.refused[0].reason, Reason::Unsigned);

    // Marion's real next change passes (no duplicate sequence).
    let mut real = doc.fork();
    real.set_actor(marion.key.actor());
    real.put(ROOT, "name", "Quartier Nord").unwrap();
    let change = real.get_last_local_change().unwrap();
    let merged = receive(
        &mut honest,
        &mut ledger,
        vec![change.clone()],
        &[marion.sign(change.hash())],
    );
    assert!(merged.refused.is_empty(), "{:?}", merged.refused);
    let name: String = autosurgeon::hydrate_prop(&honest, ROOT, "name").unwrap();
    assert_eq!(name, "Quartier Nord");
    let _ = sigs;
}

/// Equivocation: Ana herself signs two different changes with one
/// sequence number. The first kept is kept; the second is refused.
#[test]
fn a_second_change_under_one_number_is_refused() {
    let (mut docs, _) = community();
    let ana = dev(2);
    let doc = docs.doc_mut(DocKind::Community).unwrap();
    let mut honest = doc.clone();
    let mut ledger = Ledger::default();
    let mut one = doc.fork();
    one.set_actor(ana.key.actor());
    one.put(ROOT, "description", "a").unwrap();
    let first = one.get_last_local_change().unwrap();
    let mut two = doc.fork();
    two.set_actor(ana.key.actor());
    two.put(ROOT, "description", "b").unwrap();
    let second = two.get_last_local_change().unwrap();
    assert_eq!(first.seq(), second.seq());
    let merged = receive(
        &mut honest,
        &mut ledger,
        vec![first.clone()],
        &[ana.sign(first.hash())],
    );
    assert!(merged.refused.is_empty());
    let merged = receive(
        &mut honest,
        &mut ledger,
        vec![second.clone()],
        &[ana.sign(second.hash())],
    );
    assert!(matches!(
        merged.refused[0].reason,
        Reason::Equivocation { .. }
    ));
    assert_eq!(honest.get_heads(), vec![first.hash()]);
}

/// One signature over a device's latest change vouches for its earlier ones.
#[test]
fn one_signature_vouches_for_a_devices_earlier_changes() {
    let (mut docs, _) = community();
    let ana = dev(2);
    let doc = docs.doc_mut(DocKind::Community).unwrap();
    let mut honest = doc.clone();
    let mut hers = doc.fork();
    hers.set_actor(ana.key.actor());
    let mut made = Vec::new();
    for i in 0..5 {
        hers.put(ROOT, "description", i).unwrap();
        made.push(hers.get_last_local_change().unwrap());
    }
    let last = made.last().unwrap().hash();
    let merged = receive(
        &mut honest,
        &mut Ledger::default(),
        made.clone(),
        &[ana.sign(last)],
    );
    assert_eq!(merged.applied, 5, "{:?}", merged.refused);
    // Signed only up to the third: the last two are not vouched.
    let mut other = doc.clone();
    let merged = receive(
        &mut other,
        &mut Ledger::default(),
        made.clone(),
        &[ana.sign(made[2].hash())],
    );
    assert_eq!(merged.applied, 3);
    assert_eq!(merged.refused.len(), 2);
}

/// A collection change by a device the community does not list is refused.
#[test]
fn a_collection_takes_only_listed_devices() {
    let (mut docs, _) = community();
    let (marion, eve) = (dev(1), dev(9));
    let writers = Writers::of(
        docs.doc_mut(DocKind::Community).unwrap(),
        &mut Ledger::default(),
    );
    let exchanges = docs.doc_mut(DocKind::Exchanges).unwrap();
    let mut honest = exchanges.clone();
    let mut forged = exchanges.fork();
    forged.set_actor(eve.key.actor());
    forged.put(ROOT, "x", 1).unwrap();
    let change = forged.get_last_local_change().unwrap();
    let merged = gate::merge(
        &mut honest,
        &mut Ledger::default(),
        Authority::Collection(&writers),
        Incoming::from_changes([change.clone()]),
        &[eve.sign(change.hash())],
    )
    .unwrap();
    assert_eq!(merged.refused[0].reason, Reason::NotListed);
    let mut real = exchanges.fork();
    real.set_actor(marion.key.actor());
    real.put(ROOT, "x", 2).unwrap();
    let change = real.get_last_local_change().unwrap();
    let merged = gate::merge(
        &mut honest,
        &mut Ledger::default(),
        Authority::Collection(&writers),
        Incoming::from_changes([change.clone()]),
        &[marion.sign(change.hash())],
    )
    .unwrap();
    assert!(merged.refused.is_empty(), "{:?}", merged.refused);
}

/// A relay holding only a device's latest signature sends that device's
/// changes in two messages, the signature with each: the first changes wait
/// (they are not refused), and pass with the second message.
#[test]
fn changes_sent_before_their_signed_descendant_wait_for_it() {
    let (mut docs, _) = community();
    let ana = dev(2);
    let doc = docs.doc_mut(DocKind::Community).unwrap();
    let mut honest = doc.clone();
    let mut hers = doc.fork();
    hers.set_actor(ana.key.actor());
    let mut made = Vec::new();
    for i in 0..4 {
        hers.put(ROOT, "description", i).unwrap();
        made.push(hers.get_last_local_change().unwrap());
    }
    let latest = ana.sign(made[3].hash());
    let mut ledger = Ledger::default();
    let first = receive(&mut honest, &mut ledger, made[..2].to_vec(), &[latest]);
    assert_eq!(
        (first.applied, first.refused.len(), first.deferred),
        (0, 0, 2)
    );
    let second = receive(&mut honest, &mut ledger, made[2..].to_vec(), &[latest]);
    assert_eq!(second.applied, 4, "{:?}", second.refused);
    assert_eq!(honest.get_heads(), vec![made[3].hash()]);
}

/// A whole saved document (what a joiner takes, or a bundle carries) with
/// a change whose time is far from 1970: its changes are judged by the
/// same time rule as changes that come one by one, so the far change is
/// refused and the history before it kept.
#[test]
fn a_whole_document_with_a_time_far_out_keeps_only_what_came_before() {
    let (mut docs, mut sigs) = community();
    let marion = dev(1);
    let before = docs.doc_mut(DocKind::Community).unwrap().get_heads();
    let doc = docs.doc_mut(DocKind::Community).unwrap();
    doc.put(ROOT, "touched", 1).unwrap();
    doc.commit_with(automerge::transaction::CommitOptions::default().with_time(-(1 << 62) - 5));
    sigs.extend(doc.get_heads().into_iter().map(|h| marion.sign(h)));
    let saved = doc.save();
    let incoming = Incoming::read_within(
        [saved.as_slice()],
        &mut passerelle_model::bounds::Budget::new(passerelle_model::bounds::MAX_INFLATED),
    )
    .unwrap();
    let mut fresh = AutoCommit::new();
    let merged = gate::merge(
        &mut fresh,
        &mut Ledger::default(),
        Authority::Community,
        incoming,
        &sigs,
    )
    .unwrap();
    assert!(
        merged
            .refused
            .iter()
            .any(|r| matches!(&r.reason, Reason::Malformed(why) if why.contains("time"))),
        "{:?}",
        merged.refused
    );
    assert_eq!(fresh.get_heads(), before);
}
