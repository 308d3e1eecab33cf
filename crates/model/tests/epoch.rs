//! The signed epoch (`passerelle_model::epoch`) and bound community ids
//! (`layout::check_genesis`), through the real entry points: the example
//! community and a generated `year` history built the way versions before
//! signed changes built them (`CommunityDocs::create`), migrated by their
//! admin's device, then fed changes through `gate::merge` as a peer's.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, Change, ROOT};
use passerelle_demo::generate::{self, Size};
use passerelle_model::gate::{self, Authority, Incoming, Ledger, Reason, Writers};
use passerelle_model::layout::{Genesis, check_genesis};
use passerelle_model::signing::Signed;
use passerelle_model::*;

mod common;
use common::{Dev, dev, receive_collection};

const NOW: Timestamp = 1_780_000_000_000;

fn rng(seed: u128) -> impl FnMut() -> u128 {
    let mut n = seed;
    move || {
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        n
    }
}

/// The example community as an earlier version made it, `admin` its admin.
fn legacy_example(admin: &Dev) -> CommunityDocs {
    let mut random = rng(7);
    let mut docs = passerelle_demo::example_community_legacy(
        &admin.key.actor(),
        (&admin.key, "Alice"),
        NOW,
        &mut random,
    )
    .unwrap();
    docs.set_actor(&admin.key.actor());
    docs
}

/// What a view shows, without the heads it was built from.
fn shown(docs: &mut CommunityDocs) -> String {
    let v = ViewCache::default().view(docs).unwrap();
    format!(
        "{:?}",
        (
            &v.community,
            &v.exchanges,
            &v.events,
            &v.ideas,
            &v.workshops,
            &v.bookings,
            &v.sheets,
            &v.posts,
            &v.ignored,
            &v.moderated,
        )
    )
}

/// The admin writes the epoch on its copy: the new change, signed.
fn migrate(docs: &mut CommunityDocs, admin: &Dev) -> (Change, Signed) {
    assert!(epoch::may_write(docs.community(), &admin.key));
    epoch::write(docs, NOW + 1).unwrap();
    let change = docs
        .doc_mut(DocKind::Community)
        .unwrap()
        .get_last_local_change()
        .unwrap();
    let signed = admin.sign(change.hash());
    (change, signed)
}

/// A change by `actor`, with no signature, on top of `doc` as it is.
fn unsigned(doc: &mut AutoCommit, actor: &ActorId, key: &str) -> Change {
    let mut copy = doc.fork();
    copy.set_actor(actor.clone());
    copy.put(ROOT, key, "written without a signature").unwrap();
    copy.get_last_local_change().unwrap()
}

fn receive(
    doc: &mut AutoCommit,
    ledger: &mut Ledger,
    change: Change,
    sigs: &[Signed],
) -> gate::Merged {
    gate::merge(
        doc,
        ledger,
        Authority::Community,
        Incoming::from_changes([change]),
        sigs,
    )
    .expect("no panic")
}

/// A listed member's device other than `admin`'s, in the community document.
fn other_member(docs: &mut CommunityDocs, admin: &Dev) -> DeviceKey {
    let view = ViewCache::default().view(docs).unwrap();
    view.community
        .members
        .iter()
        .flat_map(|m| m.devices.keys())
        .map(|k| DeviceKey(k.clone()))
        .find(|k| k != &admin.key)
        .expect("another member")
}

/// The whole story on one community: `docs` as the admin holds it, in its
/// legacy form; another device holds a copy.
fn migration_story(mut docs: CommunityDocs, admin: &Dev) {
    let other = other_member(&mut docs, admin);
    let before = shown(&mut docs);
    let mut peer = docs.clone();
    let mut ledger = Ledger::default();
    let peer_doc = peer.doc_mut(DocKind::Community).unwrap();
    assert!(!ledger.requires_signatures(peer_doc), "a legacy community");

    // Unsigned writing passes while no epoch is held.
    let early = unsigned(peer_doc, &other.actor(), "early");
    let merged = receive(peer_doc, &mut ledger, early, &[]);
    assert_eq!((merged.applied, merged.refused.len()), (1, 0), "{merged:?}");
    let peer_doc = peer.doc_mut(DocKind::Community).unwrap();
    let writers = Writers::of(peer_doc, &mut ledger);
    let exchanges = peer.doc_mut(DocKind::Exchanges).unwrap();
    let early = unsigned(exchanges, &other.actor(), "early");
    let merged = receive_collection(exchanges, &writers, early, &[]);
    assert_eq!((merged.applied, merged.refused.len()), (1, 0), "{merged:?}");

    // The admin writes the epoch; nothing shown changes.
    let (epoch_change, epoch_sig) = migrate(&mut docs, admin);
    assert_eq!(shown(&mut docs), before, "the epoch changes no view");
    assert!(gate::requires_signatures(
        docs.doc_mut(DocKind::Community).unwrap()
    ));

    // The other device takes it, then refuses unsigned writing.
    let peer_doc = peer.doc_mut(DocKind::Community).unwrap();
    let merged = receive(peer_doc, &mut ledger, epoch_change, &[epoch_sig]);
    assert_eq!((merged.applied, merged.refused.len()), (1, 0), "{merged:?}");
    assert!(ledger.requires_signatures(peer_doc));
    let late = unsigned(peer_doc, &other.actor(), "late");
    let merged = receive(peer_doc, &mut ledger, late, &[]);
    assert_eq!(merged.applied, 0);
    assert_eq!(merged.refused[0].reason, Reason::Unsigned);

    // A collection whose epoch heads the device holds refuses them too...
    let writers = Writers::of(peer_doc, &mut ledger);
    let exchanges = peer.doc_mut(DocKind::Exchanges).unwrap();
    assert!(writers.requires_signatures(exchanges));
    let late = unsigned(exchanges, &other.actor(), "late");
    let merged = receive_collection(exchanges, &writers, late, &[]);
    assert_eq!(merged.applied, 0);
    assert_eq!(merged.refused[0].reason, Reason::Unsigned);
    // ...while one that has not reached them yet still takes them.
    let mut behind = AutoCommit::new();
    let genesis_only: Vec<Change> = docs
        .doc_mut(DocKind::Agenda)
        .unwrap()
        .get_changes(&[])
        .into_iter()
        .take(1)
        .collect();
    behind
        .apply_changes(genesis_only)
        .expect("the agenda's genesis");
    assert_ne!(
        docs.doc_mut(DocKind::Agenda).unwrap().get_heads(),
        behind.get_heads()
    );
    assert!(!writers.requires_signatures(&mut behind));
    let early = unsigned(&mut behind, &other.actor(), "early");
    let merged = receive_collection(&mut behind, &writers, early, &[]);
    assert_eq!((merged.applied, merged.refused.len()), (1, 0), "{merged:?}");

    // A signed change of a listed device passes after the epoch.
    let admin_doc = docs.doc_mut(DocKind::Community).unwrap();
    admin_doc
        .put(ROOT, "note", "signed after the epoch")
        .unwrap();
    let signed = admin_doc.get_last_local_change().unwrap();
    let sig = admin.sign(signed.hash());
    let peer_doc = peer.doc_mut(DocKind::Community).unwrap();
    let merged = receive(peer_doc, &mut ledger, signed.clone(), &[sig]);
    assert_eq!((merged.applied, merged.refused.len()), (1, 0), "{merged:?}");
    // The same change without its signature would not have.
    let mut without = peer
        .doc_mut(DocKind::Community)
        .unwrap()
        .fork_at(signed.deps())
        .unwrap();
    let merged = receive(&mut without, &mut Ledger::default(), signed, &[]);
    assert_eq!(merged.refused[0].reason, Reason::Unsigned);
}

#[test]
fn the_example_community_migrates_and_then_refuses_unsigned_changes() {
    let admin = dev(1);
    migration_story(legacy_example(&admin), &admin);
}

#[test]
fn a_generated_year_migrates_and_then_refuses_unsigned_changes() {
    let admin = dev(1);
    // The first 4,000 changes of the `year` history (the same seed with a
    // smaller `stop_after` gives a prefix of the same history).
    let mut generated = generate::generate_legacy(
        &Size::Year.plan(),
        7,
        std::slice::from_ref(&admin.key),
        NOW,
        Some(4_000),
    )
    .unwrap();
    generated.docs.set_actor(&admin.key.actor());
    migration_story(generated.docs, &admin);
}

/// The whole `year` history (35,500 changes): minutes in a debug build.
#[test]
#[ignore = "minutes in a debug build; run with --ignored"]
fn the_whole_generated_year_migrates_and_then_refuses_unsigned_changes() {
    let admin = dev(1);
    let mut generated = generate::generate_legacy(
        &Size::Year.plan(),
        7,
        std::slice::from_ref(&admin.key),
        NOW,
        None,
    )
    .unwrap();
    generated.docs.set_actor(&admin.key.actor());
    migration_story(generated.docs, &admin);
}

/// Admins' devices write the epoch; a member's counts too (it can only
/// make the rules stricter), and deleting the field afterwards undoes
/// nothing: the epoch is found in the history.
#[test]
fn any_epoch_counts_and_deleting_it_undoes_nothing() {
    let admin = dev(1);
    let mut docs = legacy_example(&admin);
    let other = other_member(&mut docs, &admin);
    assert!(!epoch::may_write(docs.community(), &other));
    assert!(epoch::may_write(docs.community(), &admin.key));
    docs.set_actor(&other.actor());
    epoch::write(&mut docs, NOW + 1).unwrap();
    let doc = docs.doc_mut(DocKind::Community).unwrap();
    assert_eq!(epoch::heads(doc, &[], DocKind::Community).len(), 1);
    assert!(gate::requires_signatures(doc));
    // The field deleted by a later change: a fresh ledger still finds it.
    doc.delete(automerge::ROOT, epoch::FIELD).unwrap();
    doc.commit();
    assert!(
        epoch::read(doc, &[]).is_empty(),
        "gone from the current state"
    );
    assert!(gate::requires_signatures(doc), "found in the history");
}

#[test]
fn an_epoch_naming_heads_not_held_requires_nothing_yet() {
    let admin = dev(1);
    let mut docs = legacy_example(&admin);
    let before = docs.doc_mut(DocKind::Community).unwrap().get_heads();
    let (change, sig) = migrate(&mut docs, &admin);
    // A device that holds the genesis only cannot take the epoch yet (its
    // dependencies are missing): it is left for later, and unsigned
    // changes on what it holds still pass.
    let mut genesis_only = AutoCommit::new();
    let first: Vec<Change> = docs
        .doc_mut(DocKind::Community)
        .unwrap()
        .get_changes(&[])
        .into_iter()
        .take(1)
        .collect();
    genesis_only.apply_changes(first).unwrap();
    assert_ne!(genesis_only.get_heads(), before);
    let mut ledger = Ledger::default();
    let merged = receive(&mut genesis_only, &mut ledger, change, &[sig]);
    assert_eq!((merged.applied, merged.deferred), (0, 1), "{merged:?}");
    assert!(!ledger.requires_signatures(&mut genesis_only));
}

#[test]
fn a_community_id_is_bound_to_its_creators_key() {
    let (creator, mallory) = (dev(1), dev(9));
    let member = |key: &DeviceKey| Member {
        id: MemberId("01CREATOR".into()),
        display_name: "Créatrice".into(),
        role: Role::Admin,
        devices: [(
            key.0.clone(),
            Device {
                revoked: None,
                added_at: NOW,
                label: String::new(),
            },
        )]
        .into(),
        skills: vec![],
        languages: vec![],
        joined_at: NOW,
        removed_at: None,
    };
    let genesis = Genesis::new(
        "Quartier",
        "",
        member(&creator.key),
        &creator.key,
        NOW,
        &mut rng(1),
    )
    .unwrap();
    let id = genesis.id.clone();
    assert!(CommunityId::is_well_formed(id.as_str()));
    assert!(id.is_bound_to(&creator.key));
    assert!(!id.is_bound_to(&mallory.key));
    assert_eq!(CommunityId::bound(NOW, &creator.key), Some(id.clone()));
    let mut real = CommunityDocs::create_signed(genesis, &creator.key.actor()).unwrap();
    let real_doc = real.doc_mut(DocKind::Community).unwrap();
    // Received into an empty document through the gate, then checked.
    let mut joined = AutoCommit::new();
    let changes = real_doc.get_changes(&[]);
    let sigs: Vec<Signed> = changes.iter().map(|c| creator.sign(c.hash())).collect();
    let merged = gate::merge(
        &mut joined,
        &mut Ledger::default(),
        Authority::Community,
        Incoming::from_changes(changes),
        &sigs,
    )
    .unwrap();
    assert!(merged.refused.is_empty());
    assert_eq!(check_genesis(&mut joined, &id), Ok(()));
    let other = CommunityId::from_parts(NOW, 42);
    assert_eq!(
        check_genesis(&mut joined, &other),
        Err(Reason::ForgedGenesis),
        "a genesis naming another community"
    );

    // Mallory's own signed genesis under the real id: refused.
    let mut forged_genesis = Genesis::new(
        "Quartier",
        "",
        member(&mallory.key),
        &mallory.key,
        NOW,
        &mut rng(2),
    )
    .unwrap();
    forged_genesis.id = id.clone();
    let mut forged = CommunityDocs::create_signed(forged_genesis, &mallory.key.actor()).unwrap();
    let forged_doc = forged.doc_mut(DocKind::Community).unwrap();
    assert_eq!(check_genesis(forged_doc, &id), Err(Reason::ForgedGenesis));
    assert_eq!(
        Reason::ForgedGenesis.to_string(),
        "the start of another community under its id"
    );
    // Nor can Mallory list the creator's key while writing under her actor.
    let mut listing_creator = Genesis::new(
        "Quartier",
        "",
        member(&creator.key),
        &creator.key,
        NOW,
        &mut rng(3),
    )
    .unwrap();
    listing_creator.id = id.clone();
    let mut forged = CommunityDocs::create_signed(listing_creator, &mallory.key.actor()).unwrap();
    let forged_doc = forged.doc_mut(DocKind::Community).unwrap();
    assert_eq!(check_genesis(forged_doc, &id), Err(Reason::ForgedGenesis));

    // A community of an earlier version (unsigned, random id) is not checked.
    let admin = dev(1);
    let mut legacy = legacy_example(&admin);
    let legacy_id = CommunityId::from_parts(NOW, 12345);
    assert_eq!(
        check_genesis(legacy.doc_mut(DocKind::Community).unwrap(), &legacy_id),
        Ok(())
    );
}
