//! Review of the latest defences, as an attacker: the signed epoch, the
//! refused-change log's verdicts, the optimistic apply of the community
//! document in `gate::merge` and what a refusal costs. Attacks the code
//! holds against are plain tests; attacks that still work assert the safe
//! outcome and are `#[ignore = "open: ..."]`.

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, Change, ChangeHash, ObjId, ROOT, ReadDoc};
use passerelle_demo::generate::{self, Size};
use passerelle_model::gate::{self, Ledger, Reason, Writers};
use passerelle_model::layout::Genesis;
use passerelle_model::*;

mod common;
use common::{dev, receive, receive_collection};

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

const MARION: &str = "01MARION";

/// A community as versions before signed changes made it: Marion (admin,
/// device 1) created it, Ana (membre, device 2) was added.
fn legacy_community() -> CommunityDocs {
    let (marion, ana) = (dev(1), dev(2));
    let genesis = Genesis {
        id: CommunityId("01LEGACY".into()),
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
        creator: member(MARION, Role::Admin, &marion.key),
        now: 0,
        discovery_secret: "00".repeat(32),
    };
    let mut docs = CommunityDocs::create(genesis, &marion.key.actor()).unwrap();
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
    docs
}

/// One change written under `actor_of`'s actor on a fork of `doc`.
fn write(doc: &mut AutoCommit, actor_of: &DeviceKey, f: impl FnOnce(&mut AutoCommit)) -> Change {
    let mut fork = doc.fork();
    fork.set_actor(actor_of.actor());
    f(&mut fork);
    fork.get_last_local_change().unwrap()
}

fn map(doc: &AutoCommit, obj: &ObjId, key: &str) -> ObjId {
    match doc.get(obj, key).unwrap() {
        Some((_, id)) => id,
        None => panic!("no {key}"),
    }
}

/// The legacy community migrated: the admin's copy wrote the epoch, and
/// `peer` (another device) took it through the gate with `ledger`.
struct Migrated {
    peer: CommunityDocs,
    ledger: Ledger,
}

fn migrated() -> Migrated {
    let marion = dev(1);
    let mut docs = legacy_community();
    let mut peer = docs.clone();
    assert!(epoch::may_write(docs.community(), &marion.key));
    docs.set_actor(&marion.key.actor());
    epoch::write(&mut docs, 10).unwrap();
    let change = docs
        .doc_mut(DocKind::Community)
        .unwrap()
        .get_last_local_change()
        .unwrap();
    let sig = marion.sign(change.hash());
    let mut ledger = Ledger::default();
    let community = peer.doc_mut(DocKind::Community).unwrap();
    let merged = receive(community, &mut ledger, vec![change], &[sig]);
    assert_eq!((merged.applied, merged.refused.len()), (1, 0), "{merged:?}");
    assert!(ledger.requires_signatures(community));
    Migrated { peer, ledger }
}

/// Ana's signed change `f` on the peer's community document, through the gate.
fn ana_writes(m: &mut Migrated, f: impl FnOnce(&mut AutoCommit)) {
    let ana = dev(2);
    let community = m.peer.doc_mut(DocKind::Community).unwrap();
    let change = write(community, &ana.key, f);
    let sig = ana.sign(change.hash());
    let merged = receive(community, &mut m.ledger, vec![change], &[sig]);
    assert_eq!(
        (merged.applied, merged.refused.len()),
        (1, 0),
        "a listed member's signed change passes the gate: {merged:?}"
    );
}

/// After the epoch: an unsigned change written under the admin's actor
/// (Ana's modified app) must be refused in a collection, and in the
/// community document by a device reading it afresh (a node restarting, a
/// device joining: a new ledger).
fn assert_unsigned_forgery_is_refused(m: &mut Migrated) {
    let marion = dev(1);
    let community = m.peer.doc_mut(DocKind::Community).unwrap();
    let writers = Writers::of(community, &mut Ledger::default());
    let mut fresh = Ledger::default();
    let forged = write(community, &marion.key, |d| {
        d.put(ROOT, "name", "Repris par Ana").unwrap()
    });
    let mut copy = community.clone();
    let merged = receive(&mut copy, &mut fresh, vec![forged], &[]);
    let exchanges = m.peer.doc_mut(DocKind::Exchanges).unwrap();
    let forged_exchange = write(exchanges, &marion.key, |d| d.put(ROOT, "x", 1).unwrap());
    let merged_exchange = receive_collection(exchanges, &writers, forged_exchange, &[]);
    assert_eq!(
        (merged_exchange.applied, merged.applied),
        (0, 0),
        "unsigned writing under the admin's actor after the epoch: collection {merged_exchange:?}, community (fresh ledger) {merged:?}"
    );
}

/// Control: with the epoch intact, the forgery is refused everywhere.
#[test]
fn after_the_epoch_unsigned_writing_under_the_admins_actor_is_refused() {
    let mut m = migrated();
    assert_unsigned_forgery_is_refused(&mut m);
}

/// Ana (membre) deletes `signed_since` with an ordinary signed change. The
/// epoch is read from the document as it stands (`epoch::read`), so it is
/// gone: collections stop requiring signatures on every device at once
/// (`Writers::of` reads it each time) and the community document too for
/// any ledger built afresh (restart, join, bundle import on a device that
/// does not hold the community).
#[test]
fn a_membre_deleting_the_epoch_does_not_turn_signatures_off() {
    let mut m = migrated();
    ana_writes(&mut m, |d| d.delete(ROOT, epoch::FIELD).unwrap());
    assert_unsigned_forgery_is_refused(&mut m);
}

/// Ana writes `role: "membre"` on the admin's entry. Admission ignores it
/// (roles are admitted from an admin), but `epoch.rs` reads the role as it
/// stands: the admin's epoch stops counting.
#[test]
fn a_membre_forging_the_admins_demotion_does_not_void_the_epoch() {
    let mut m = migrated();
    ana_writes(&mut m, |d| {
        let members = map(d, &ROOT, "members");
        let entry = map(d, &members, MARION);
        d.put(&entry, "role", "membre").unwrap();
    });
    // Admission: Marion is still the admin.
    let view = ViewCache::default().view(&mut m.peer).unwrap();
    let marion = view
        .community
        .members
        .iter()
        .find(|x| x.id.0 == MARION)
        .unwrap();
    assert_eq!(
        marion.role,
        Role::Admin,
        "the forged demotion is not admitted"
    );
    assert_unsigned_forgery_is_refused(&mut m);
}

/// Ana writes `role: "admin"` on her own entry (not admitted), then an
/// epoch of her own whose lists name heads no device will ever hold, over
/// the admin's: the only epoch left names nothing reachable.
#[test]
fn a_membre_with_a_forged_admin_role_cannot_replace_the_epoch() {
    let mut m = migrated();
    let ana = dev(2);
    ana_writes(&mut m, |d| {
        let members = map(d, &ROOT, "members");
        let entry = map(d, &members, "01ANA");
        d.put(&entry, "role", "admin").unwrap();
    });
    let community = m.peer.doc_mut(DocKind::Community).unwrap();
    let forged_admin = epoch::may_write(community, &ana.key);
    ana_writes(&mut m, |d| {
        let map = d
            .put_object(ROOT, epoch::FIELD, automerge::ObjType::Map)
            .unwrap();
        for kind in DocKind::ALL {
            let list = d
                .put_object(&map, kind.as_str(), automerge::ObjType::List)
                .unwrap();
            d.insert(&list, 0, ChangeHash([7; 32]).to_string()).unwrap();
        }
    });
    // Her self-written role may make her own device write epochs: an epoch
    // only makes the rules stricter, and the admin's one still counts.
    let _ = forged_admin;
    assert_unsigned_forgery_is_refused(&mut m);
}

/// A membre cannot make the refused-change log accuse another device of
/// equivocation: an unsigned change under the admin's actor and a number
/// the admin already used is, in a signed community, a forgery (no
/// signature), not the admin's second version. The gate checks the number
/// before the signature and refuses it as `Equivocation`, naming the
/// actor only (no signature of the admin's key vouches for it); the node's
/// refused log (`crates/core/src/refused.rs` `entries`) then keeps it as
/// `reused_number`, not as the admin's equivocation, so the moderation
/// screen lists no one (node-level: `crates/commands/tests/forgery.rs`).
#[test]
fn a_membre_cannot_frame_the_admin_as_equivocating() {
    let (marion, ana) = (dev(1), dev(2));
    let mut docs = legacy_community();
    // Signed: the epoch.
    docs.set_actor(&marion.key.actor());
    epoch::write(&mut docs, 10).unwrap();
    let community = docs.doc_mut(DocKind::Community).unwrap();
    let mut ledger = Ledger::default();
    assert!(ledger.requires_signatures(community));
    // The admin's first change is held; Ana's app writes another seq 1 under
    // her actor (a fork at the genesis, before the admin's later writing).
    let genesis = community.get_changes_meta(&[])[0].hash;
    let mut at_genesis = community.fork_at(&[genesis]).unwrap();
    at_genesis.set_actor(marion.key.actor());
    at_genesis.put(ROOT, "note", "forged by Ana's app").unwrap();
    let reused = at_genesis.get_last_local_change().unwrap();
    assert_eq!(reused.seq(), 2, "a number the admin already used");
    // Ana signs it with her own key: it vouches for nothing.
    let merged = receive(
        community,
        &mut ledger,
        vec![reused.clone()],
        &[ana.sign(reused.hash())],
    );
    assert_eq!(merged.applied, 0);
    assert_eq!(merged.refused[0].writer, marion.key.actor().to_hex_string());
    assert_eq!(
        merged.refused[0].reason,
        Reason::Equivocation { held_seq: 2 }
    );
    assert_ne!(
        merged.refused[0].writer, marion.key.0,
        "no signature of the admin's key vouches for it: {merged:?}"
    );
}

/// The cost of the optimistic apply: a member's change that passes the
/// first pass (listed now, signed, next number) but is refused in the
/// second (not listed at its own dependencies) makes the device set the
/// community document back (`fork_at`, a rebuild of the whole document).
/// Figures: one forced set-back, then the cost of each later message of
/// the same kind (the ledger is then `cautious`: candidates go to a clone),
/// and of an honest message after it.
fn forced_set_backs(stop_after: Option<usize>, messages: usize) -> (Duration, Duration, Duration) {
    let (admin, mallory) = (dev(1), dev(9));
    let mut generated = generate::generate(
        &Size::Year.plan(),
        7,
        &[admin.key.clone(), mallory.key.clone()],
        1_780_000_000_000,
        stop_after,
    )
    .unwrap();
    let doc = generated.docs.doc_mut(DocKind::Community).unwrap();
    let mut ledger = Ledger::default();
    ledger.prepare(doc);
    let genesis = doc.get_changes_meta(&[])[0].hash;
    // Mallory's device lists a second device of hers (any listed device
    // may write there; the gate reads the keys listed now), one that has
    // written nothing yet.
    let second = dev(10);
    let members = map(doc, &ROOT, "members");
    let entry = doc
        .keys(&members)
        .find(|m| {
            let entry = map(doc, &members, m);
            doc.get(&entry, "devices")
                .unwrap()
                .is_some_and(|(_, d)| doc.get(&d, mallory.key.as_str()).unwrap().is_some())
        })
        .expect("mallory's entry");
    let add = write(doc, &mallory.key, |d| {
        let members = map(d, &ROOT, "members");
        let entry = map(d, &members, &entry);
        let devices = map(d, &entry, "devices");
        d.put_object(&devices, second.key.as_str(), automerge::ObjType::Map)
            .unwrap();
    });
    let sig = mallory.sign(add.hash());
    let merged = receive(doc, &mut ledger, vec![add], &[sig]);
    assert_eq!(merged.applied, 1, "{merged:?}");
    let mallory = second;
    let changes_held = doc.get_changes_meta(&[]).len();
    // Mallory's change at the genesis (where she is not listed), signed,
    // numbered 1: each message carries a different one.
    let mut at_genesis = doc.fork_at(&[genesis]).unwrap();
    at_genesis.set_actor(mallory.key.actor());
    let forged = |i: usize, base: &mut AutoCommit| {
        let mut fork = base.fork();
        fork.set_actor(mallory.key.actor());
        fork.put(ROOT, "note", format!("forged {i}")).unwrap();
        let c = fork.get_last_local_change().unwrap();
        let s = mallory.sign(c.hash());
        (c, s)
    };
    // An honest change of the admin, before any refusal (optimistic).
    let honest_change = |doc: &mut AutoCommit, n: &str| {
        let mut honest = doc.fork();
        honest.set_actor(admin.key.actor());
        honest.put(ROOT, "note", n).unwrap();
        let h = honest.get_last_local_change().unwrap();
        let sig = admin.sign(h.hash());
        (h, sig)
    };
    let (h, sig) = honest_change(doc, "before");
    let t = Instant::now();
    let merged = receive(doc, &mut ledger, vec![h], &[sig]);
    let honest_before = t.elapsed();
    assert_eq!(merged.applied, 1, "{merged:?}");
    let heads = doc.get_heads();
    let t = Instant::now();
    let (c, s) = forged(0, &mut at_genesis);
    let merged = receive(doc, &mut ledger, vec![c], &[s]);
    let first = t.elapsed();
    assert_eq!(merged.refused[0].reason, Reason::NotListed, "{merged:?}");
    assert_eq!(doc.get_heads(), heads, "set back");
    let t = Instant::now();
    for i in 1..messages {
        let (c, s) = forged(i, &mut at_genesis);
        let merged = receive(doc, &mut ledger, vec![c], &[s]);
        assert_eq!(merged.refused[0].reason, Reason::NotListed);
    }
    let each = t.elapsed() / (messages.max(2) - 1) as u32;
    assert_eq!(doc.get_heads(), heads);
    // An honest change of the admin after that.
    let (h, sig) = honest_change(doc, "after");
    let t = Instant::now();
    let merged = receive(doc, &mut ledger, vec![h], &[sig]);
    let honest_after = t.elapsed();
    assert_eq!(merged.applied, 1, "{merged:?}");
    eprintln!(
        "community document of {changes_held} changes: first forced set-back {first:?}, \
         each later refused message {each:?} ({messages} messages: {:?}), an honest message {honest_before:?} before, {honest_after:?} after",
        each * messages as u32
    );
    (first, each, honest_after)
}

/// On a prefix of the `year` history (debug builds): after one forced
/// set-back, a member cannot make the device rebuild the document at every
/// message — later messages cost much less than the first.
#[test]
fn a_member_cannot_force_a_set_back_per_message() {
    let (first, each, _) = forced_set_backs(Some(4_000), 50);
    assert!(
        each * 2 < first.max(Duration::from_millis(1)) * 3,
        "first {first:?}, each later {each:?}"
    );
}

/// The whole `year` history, 1,000 messages (the refusals one session
/// allows): the figures for the report. Run in release with `--ignored`.
#[test]
#[ignore = "figures: the whole year; run with --release --ignored"]
fn the_cost_of_forced_set_backs_on_a_year() {
    let (first, each, _) = forced_set_backs(None, 1_000);
    assert!(each * 1_000 < Duration::from_secs(60), "{first:?} {each:?}");
}

/// Before the admin's device opens the community with this version, Ana
/// (membre) writes `role: "admin"` on her own entry (not admitted) and an
/// epoch naming heads that do not exist. The admin's device writes the
/// epoch only if `epoch::read` finds none (`crates/core/src/node/migrate.rs`
/// `write_epoch`): it must not take Ana's for one.
#[test]
fn a_membre_cannot_suppress_the_epoch_with_a_bogus_one() {
    let ana = dev(2);
    let mut docs = legacy_community();
    let community = docs.doc_mut(DocKind::Community).unwrap();
    community.set_actor(ana.key.actor());
    let members = map(community, &ROOT, "members");
    let entry = map(community, &members, "01ANA");
    community.put(&entry, "role", "admin").unwrap();
    let field = community
        .put_object(ROOT, epoch::FIELD, automerge::ObjType::Map)
        .unwrap();
    for kind in DocKind::ALL {
        let list = community
            .put_object(&field, kind.as_str(), automerge::ObjType::List)
            .unwrap();
        community
            .insert(&list, 0, ChangeHash([7; 32]).to_string())
            .unwrap();
    }
    community.commit();
    // Nothing requires signatures (the heads are never held)...
    assert!(!gate::requires_signatures(community));
    // ...so the admin's device still writes the real epoch (it writes one
    // unless the community document already requires signatures), which
    // then counts.
    docs.set_actor(&dev(1).key.actor());
    epoch::write(&mut docs, 10).unwrap();
    assert!(gate::requires_signatures(
        docs.doc_mut(DocKind::Community).unwrap()
    ));
}

/// The growth allowance (`crates/core/src/node/peers/growth.rs`, `Allowance::take`)
/// asks `get_change_by_hash` of every change of the peer's own device in a
/// message, before the gate, to leave out those already held. For a held
/// change Automerge rebuilds it from the operations. A member re-sending
/// her own held changes (they are then merely "already held": no refusal,
/// nothing for the 1,000-refusal cap to count) makes the device pay that
/// for each. Figures on the `year` history: the primitive the allowance
/// calls, per change, against the lookup the gate uses (`gate::holds`).
fn held_change_lookups(stop_after: Option<usize>) -> (usize, Duration, Duration) {
    let admin = dev(1);
    let mut generated = generate::generate(
        &Size::Year.plan(),
        7,
        std::slice::from_ref(&admin.key),
        1_780_000_000_000,
        stop_after,
    )
    .unwrap();
    let doc = generated.docs.doc_mut(DocKind::Exchanges).unwrap();
    let own: Vec<ChangeHash> = doc
        .get_changes_meta(&[])
        .into_iter()
        .filter(|m| m.actor.as_ref() == &admin.key.actor())
        .map(|m| m.hash)
        .collect();
    let total = doc.get_changes_meta(&[]).len();
    let sample: Vec<ChangeHash> = own
        .iter()
        .step_by((own.len() / 50).max(1))
        .copied()
        .collect();
    let t = Instant::now();
    for h in &sample {
        assert!(doc.get_change_by_hash(h).is_some());
    }
    let rebuild = t.elapsed() / sample.len() as u32;
    let t = Instant::now();
    for h in &sample {
        assert!(gate::holds(doc, &[*h]));
    }
    let lookup = t.elapsed() / sample.len() as u32;
    eprintln!(
        "exchanges document of {total} changes, {} by the member's device: get_change_by_hash {rebuild:?} per held change \
         (a message re-sending all of them: {:?}), gate::holds {lookup:?}",
        own.len(),
        rebuild * own.len() as u32
    );
    (own.len(), rebuild, lookup)
}

/// A message repeating one held change of the member's device as often as
/// a frame (32 MiB) and the bounds (357,142 changes per input) allow must
/// cost the receiving device well under a second: the allowance looks each
/// copy up (in the change graph, not by rebuilding it) before the gate
/// drops the duplicates.
#[test]
#[ignore = "figures: generates the whole year (minutes in debug); run with --release --ignored"]
fn re_sending_held_changes_costs_little() {
    let admin = dev(1);
    let (own, rebuild, _) = held_change_lookups(None);
    let mut generated = generate::generate(
        &Size::Year.plan(),
        7,
        std::slice::from_ref(&admin.key),
        1_780_000_000_000,
        None,
    )
    .unwrap();
    let doc = generated.docs.doc_mut(DocKind::Exchanges).unwrap();
    // The member's held change that costs most per byte.
    let mut worst: Option<(f64, ChangeHash, usize, Duration)> = None;
    let hashes: Vec<ChangeHash> = doc
        .get_changes_meta(&[])
        .into_iter()
        .filter(|m| m.actor.as_ref() == &admin.key.actor())
        .map(|m| m.hash)
        .collect();
    for h in hashes.iter().step_by((hashes.len() / 40).max(1)) {
        let t = Instant::now();
        let bytes = doc.get_change_by_hash(h).unwrap().raw_bytes().len();
        let took = t.elapsed();
        let per_byte = took.as_secs_f64() / bytes as f64;
        if worst.is_none_or(|w| per_byte > w.0) {
            worst = Some((per_byte, *h, bytes, took));
        }
    }
    let (_, hash, bytes, _) = worst.unwrap();
    let copies = (32 * 1024 * 1024 / bytes).min(357_142);
    let tried = copies.min(20_000);
    let t = Instant::now();
    // The allowance (crates/core/src/node/peers/growth.rs) skips repeats and
    // held changes with a lookup in the change graph.
    for _ in 0..tried {
        assert!(passerelle_model::gate::holds(doc, &[hash]));
    }
    let projected = t.elapsed() * copies as u32 / tried as u32;
    eprintln!(
        "{own} held changes ({rebuild:?} each); a frame of {copies} copies of one held change of {bytes} bytes: {projected:?} of lookups"
    );
    assert!(
        projected <= Duration::from_secs(1),
        "{copies} copies of a held change cost {projected:?}"
    );
}

/// `epoch::read` runs at every received message (`Writers::of`, for the
/// collections). Ana, a self-made admin (her own `role: "admin"`, not
/// admitted, counted by `epoch.rs`), writes an epoch whose lists hold
/// 150,000 heads (within the 200,000 operations one change may carry):
/// every device read them all at every message, for good (about 1 s each
/// in release). `epoch::read` now leaves out lists longer than
/// `epoch::MAX_HEADS_PER_LIST` and reads at most `epoch::MAX_HEADS` heads.
#[test]
fn a_membre_cannot_make_every_message_read_a_huge_epoch() {
    // 150,000 in release (about 1 s per message before the bound); fewer
    // in a debug build, where Automerge's own checks make inserts slow.
    const HUGE: u32 = if cfg!(debug_assertions) {
        5_000
    } else {
        150_000
    };
    let ana = dev(2);
    let mut docs = legacy_community();
    let community = docs.doc_mut(DocKind::Community).unwrap();
    community.set_actor(ana.key.actor());
    let members = map(community, &ROOT, "members");
    let entry = map(community, &members, "01ANA");
    community.put(&entry, "role", "admin").unwrap();
    let field = community
        .put_object(ROOT, epoch::FIELD, automerge::ObjType::Map)
        .unwrap();
    let list = community
        .put_object(&field, "exchanges", automerge::ObjType::List)
        .unwrap();
    for i in 0..HUGE {
        let mut h = [0u8; 32];
        h[..4].copy_from_slice(&i.to_be_bytes());
        community
            .insert(&list, i as usize, ChangeHash(h).to_string())
            .unwrap();
    }
    community.commit();
    let t = Instant::now();
    let read = epoch::read(community, &[]);
    let once = t.elapsed();
    let t = Instant::now();
    let writers = Writers::of(community, &mut Ledger::default());
    let per_message = t.elapsed();
    let _ = writers;
    eprintln!(
        "epoch of {} heads: epoch::read {once:?}, Writers::of (each received message) {per_message:?}",
        read.iter().map(|(_, h)| h.len()).sum::<usize>()
    );
    assert!(
        per_message < Duration::from_millis(5),
        "each message pays {per_message:?}"
    );
}

/// Cutting off an honest member with the epoch: before Bruno's device holds
/// the epoch, Ana's modified app sends it an unsigned change (it passes
/// there: no epoch yet). Bruno then writes, signed, on top of it. The
/// admin's device, which holds the epoch, refuses Ana's change (unsigned)
/// and so everything Bruno writes from then on (`AfterRefused`): his device
/// and the admin's never reach the same heads. SECURITY.md says so ("with
/// whatever that device writes on top of them"); kept here as the attack.
#[test]
#[ignore = "open: an unsigned change taken by a device before the epoch makes every later change of that device refused (AfterRefused) where the epoch is held; a membre can cut an honest member off this way"]
fn an_unsigned_change_before_the_epoch_does_not_cut_an_honest_member_off() {
    let (marion, ana, bruno) = (dev(1), dev(2), dev(3));
    let mut docs = legacy_community();
    docs.apply(
        &marion.author(),
        Command::Members(MemberCommand::AddMember {
            id: MemberId("01BRUNO".into()),
            display_name: "Bruno".into(),
            role: Role::Membre,
            device: bruno.key.clone(),
            device_label: String::new(),
        }),
        2,
    )
    .unwrap();
    let mut on_bruno = docs.doc_mut(DocKind::Community).unwrap().clone();
    let mut bruno_ledger = Ledger::default();
    // Ana's unsigned change reaches Bruno's device, which has no epoch yet.
    let x = write(&mut on_bruno, &ana.key, |d| d.put(ROOT, "x", 1).unwrap());
    let merged = receive(&mut on_bruno, &mut bruno_ledger, vec![x.clone()], &[]);
    assert_eq!(merged.applied, 1, "{merged:?}");
    // Bruno writes on top of it, signed.
    let y = write(&mut on_bruno, &bruno.key, |d| {
        d.put(ROOT, "note", "Bruno").unwrap()
    });
    let y_sig = bruno.sign(y.hash());
    // The admin's device writes the epoch, then meets Bruno's.
    docs.set_actor(&marion.key.actor());
    epoch::write(&mut docs, 10).unwrap();
    let on_admin = docs.doc_mut(DocKind::Community).unwrap();
    let mut admin_ledger = Ledger::default();
    assert!(admin_ledger.requires_signatures(on_admin));
    let merged = receive(on_admin, &mut admin_ledger, vec![x, y.clone()], &[y_sig]);
    eprintln!("{merged:?}");
    assert!(
        gate::holds(on_admin, &[y.hash()]),
        "Bruno's signed change is refused where the epoch is held: {merged:?}"
    );
}
