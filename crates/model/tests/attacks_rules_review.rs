//! Review of the rules added in 9d1a5e4 (`gate::UNLISTS`,
//! `wellformed::GENESIS_ROOT_KEYS`, `wellformed::walk_budget`), as an
//! attacker: a member's modified app, a crafted batch. Each test asserts
//! the safe behaviour; an attack that works makes it fail (those are
//! `#[ignore = "open: ..."]`).

use std::time::Instant;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, Change, ChangeHash, ObjType, ROOT, ReadDoc};
use passerelle_model::gate::{self, Reason, Writers};
use passerelle_model::signing::Signed;
use passerelle_model::*;

mod common;
use common::{
    Dev, add_member as add, community, dev, map, members, receive, receive_collection, write,
};

/// Marion (admin, device 1) created it; Ana (device 2) and Bea (device 3),
/// membres, added by Marion.
fn community_doc(docs: &CommunityDocs) -> AutoCommit {
    docs.doc(DocKind::Community).unwrap().clone()
}

/// `doc` receiving `changes` signed by their writers.
fn take(doc: &mut AutoCommit, changes: &[(Change, &Dev)]) -> gate::Merged {
    let sigs: Vec<Signed> = changes.iter().map(|(c, d)| d.sign(c.hash())).collect();
    receive(
        doc,
        &mut gate::Ledger::default(),
        changes.iter().map(|(c, _)| c.clone()).collect(),
        &sigs,
    )
}

/// Bea, a membre, holds Marion's change adding Carl but writes on the
/// heads before it: a put at `members/01CARL` with no `pred` (nothing is
/// there at her dependencies) and enough operations before it to win the
/// conflict. `unlists` looked at the change's dependencies only, so it
/// passed; every device then read her scalar at `members/01CARL` and
/// Carl's device was listed nowhere: his next change was refused. Refused
/// since: nothing but a map is ever written at a listing key
/// (`gate::unlists`).
#[test]
fn a_concurrent_put_cannot_hide_a_new_member_entry() {
    let (marion, bea, carl) = (dev(1), dev(3), dev(4));
    let mut docs = community();
    let before = community_doc(&docs);
    add(&mut docs, &marion, "01CARL", "Carl", &carl);
    let with_carl = community_doc(&docs);
    // Carl's device writes once: it is listed.
    let carl_first = write(&with_carl, &carl, |d| {
        d.put(ROOT, "description", "c").unwrap()
    });
    let mut holder = with_carl.clone();
    let m = take(&mut holder, &[(carl_first.clone(), &carl)]);
    assert_eq!(m.applied, 1, "{:?}", m.refused);
    // Bea's modified app, on the heads before Carl was added.
    let hide = write(&before, &bea, |d| {
        for i in 0..64 {
            d.put(ROOT, format!("pad{i}"), i as i64).unwrap();
        }
        let members = members(d);
        d.put(&members, "01CARL", "gone").unwrap();
    });
    let m = take(&mut holder, &[(hide.clone(), &bea)]);
    let hidden = m.applied == 1;
    // What every device now reads at members/01CARL.
    let read = holder.get(members(&holder), "01CARL").unwrap();
    eprintln!(
        "Bea's concurrent put applied: {hidden}; members/01CARL reads {:?}",
        read.as_ref().map(|(v, _)| v.clone())
    );
    // Carl writes again, on everything held.
    let carl_second = write(&holder, &carl, |d| {
        d.put(ROOT, "description", "c2").unwrap()
    });
    let m = take(&mut holder.clone(), &[(carl_second, &carl)]);
    eprintln!(
        "Carl's next change: {:?}",
        m.refused.first().map(|r| &r.reason)
    );
    // And in a collection.
    let writers = Writers::of(&mut holder, &mut gate::Ledger::default());
    let mut exchanges = docs.doc(DocKind::Exchanges).unwrap().clone();
    let need = write(&exchanges, &carl, |d| {
        let map = map(d, &ROOT, "exchanges");
        d.put(&map, "01NEED", "x").unwrap();
    });
    let mc = receive_collection(
        &mut exchanges,
        &writers,
        need.clone(),
        &[carl.sign(need.hash())],
    );
    eprintln!(
        "Carl's collection change: {:?}",
        mc.refused.first().map(|r| &r.reason)
    );
    assert_eq!(m.applied, 1, "Carl was cut off: {:?}", m.refused);
    assert_eq!(mc.applied, 1, "Carl was cut off: {:?}", mc.refused);
}

/// The same with an empty map (a member entry being created, as far as
/// Bea's dependencies show): it passes the gate and wins the conflict, so
/// Carl's entry is hidden from every reader that takes the conflict's
/// winner. The gate lists the devices of every value a conflict holds
/// (`gate::maps_at`), so Carl's writing still passes; the rules
/// (`admission::members`) still read the winner only.
#[test]
#[ignore = "open: a concurrent empty map at a new member's key hides the member from the rules (admission reads the conflict's winner)"]
fn a_concurrent_empty_entry_cannot_hide_a_new_member() {
    let (marion, bea, carl) = (dev(1), dev(3), dev(4));
    let mut docs = community();
    let before = community_doc(&docs);
    add(&mut docs, &marion, "01CARL", "Carl", &carl);
    let mut holder = community_doc(&docs);
    let hide = write(&before, &bea, |d| {
        for i in 0..64 {
            d.put(ROOT, format!("pad{i}"), i as i64).unwrap();
        }
        let members = members(d);
        d.put_object(&members, "01CARL", ObjType::Map).unwrap();
    });
    let m = take(&mut holder, &[(hide, &bea)]);
    assert_eq!(m.applied, 1, "{:?}", m.refused);
    let carl_next = write(&holder, &carl, |d| {
        d.put(ROOT, "description", "c2").unwrap()
    });
    let m = take(&mut holder.clone(), &[(carl_next, &carl)]);
    assert_eq!(m.applied, 1, "the gate cut Carl off: {:?}", m.refused);
    let admitted = passerelle_model::admission::members(&mut holder);
    let carl_listed = admitted
        .iter()
        .any(|member| member.id.0 == "01CARL" && member.has_device(&carl.key));
    assert!(carl_listed, "the rules no longer list Carl's device");
}

/// The same on a device entry: Marion lists a second device of Ana's
/// (the device entry is new); Bea, on the heads before, puts a scalar at
/// `members/01ANA/devices/<key>`. Her put passes and wins the conflict,
/// but the gate still finds the key (`devices` lists the keys whatever
/// their value), so the device's writing still passes.
#[test]
fn a_concurrent_put_cannot_unlist_a_new_device() {
    let (marion, ana, bea, ana2) = (dev(1), dev(2), dev(3), dev(5));
    let docs = community();
    let before = community_doc(&docs);
    // Marion's change listing Ana's second device (a raw write as the
    // member commands would: a device entry map).
    let mut held = before.clone();
    held.set_actor(marion.key.actor());
    let devices = map(&held, &map(&held, &members(&held), "01ANA"), "devices");
    let entry = held
        .put_object(&devices, ana2.key.as_str(), ObjType::Map)
        .unwrap();
    held.put(&entry, "added_at", 1i64).unwrap();
    held.put(&entry, "label", "phone").unwrap();
    held.commit();
    let listing = held.get_last_local_change().unwrap();
    let mut holder = before.clone();
    let m = take(&mut holder, &[(listing, &marion)]);
    assert_eq!(m.applied, 1, "{:?}", m.refused);
    let _ = ana;
    let hide = write(&before, &bea, |d| {
        for i in 0..64 {
            d.put(ROOT, format!("pad{i}"), i as i64).unwrap();
        }
        let devices = map(d, &map(d, &members(d), "01ANA"), "devices");
        d.put(&devices, ana2.key.as_str(), "gone").unwrap();
    });
    let m = take(&mut holder, &[(hide, &bea)]);
    eprintln!("Bea's concurrent put applied: {}", m.applied == 1);
    let next = write(&holder, &ana2, |d| {
        d.put(ROOT, "description", "a2").unwrap()
    });
    let m = take(&mut holder.clone(), &[(next, &ana2)]);
    eprintln!(
        "Ana's second device's change: {:?}",
        m.refused.first().map(|r| &r.reason)
    );
    assert_eq!(
        m.applied, 1,
        "Ana's new device was cut off: {:?}",
        m.refused
    );
}

/// A device from any 32-byte secret made of `i` (more than `dev`'s 255).
fn devn(i: u32) -> Dev {
    let mut secret = [0xA5u8; 32];
    secret[..4].copy_from_slice(&i.to_le_bytes());
    let key = Signed::with_secret(&secret, ChangeHash([0; 32])).device();
    Dev { secret, key }
}

/// `who` writes one change on `doc` (its actor set to the device's).
fn step(doc: &mut AutoCommit, who: &Dev, key: &str, n: i64) -> Change {
    doc.set_actor(who.key.actor());
    doc.put(ROOT, key, n).unwrap();
    doc.commit();
    doc.get_last_local_change().unwrap()
}

/// `k` devices each write twice, first all once in a chain, then all
/// again in a chain: device i's second change walks past the i-1 second
/// changes and the k-i first changes: k² steps for 2k changes.
fn two_chains(doc: &mut AutoCommit, devs: &[Dev]) -> Vec<Change> {
    let mut out = Vec::new();
    for (i, d) in devs.iter().enumerate() {
        out.push(step(doc, d, &format!("a{}", i % 7), i as i64));
    }
    for (i, d) in devs.iter().enumerate() {
        out.push(step(doc, d, &format!("b{}", i % 7), -(i as i64) - 1));
    }
    out
}

fn sign_all<'a>(changes: &[Change], devs: impl Fn(&Change) -> &'a Dev) -> Vec<Signed> {
    changes.iter().map(|c| devs(c).sign(c.hash())).collect()
}

/// A hostile peer sends a crafted batch (strangers' keys, 2k changes whose
/// walks cost k²) together with an honest change of Marion's it relays:
/// the budget spent by the crafted part, Marion's change is refused with
/// it (`WALK_SPENT`) in that batch. Received again on its own, it passes:
/// nothing is remembered of the refusal (no poisoning).
#[test]
#[ignore = "open: a crafted batch spends the walk budget and the honest changes relayed in it are refused (that batch only)"]
fn a_crafted_batch_does_not_refuse_the_honest_changes_relayed_with_it() {
    let marion = dev(1);
    let docs = community();
    let base = community_doc(&docs);
    // Marion wrote once more (her next change walks one step).
    let honest = write(&base, &marion, |d| {
        d.put(ROOT, "description", "vrai").unwrap()
    });
    let k = 1100u32;
    let devs: Vec<Dev> = (0..k).map(|i| devn(1000 + i)).collect();
    let mut hostile = base.clone();
    let crafted = two_chains(&mut hostile, &devs);
    let by_actor: std::collections::HashMap<_, &Dev> =
        devs.iter().map(|d| (d.key.actor(), d)).collect();
    let mut sigs = sign_all(&crafted, |c| by_actor[c.actor_id()]);
    sigs.push(marion.sign(honest.hash()));
    let mut batch = crafted.clone();
    batch.push(honest.clone());
    let mut holder = base.clone();
    let t = Instant::now();
    let m = receive(&mut holder, &mut gate::Ledger::default(), batch, &sigs);
    let spent = m
        .refused
        .iter()
        .filter(|r| r.reason == Reason::Malformed(passerelle_model::wellformed::WALK_SPENT.into()))
        .count();
    let honest_refused = m.refused.iter().find(|r| r.hash == honest.hash());
    eprintln!(
        "batch of {} crafted + 1 honest: {:?}, {} refused ({} for the budget), honest: {:?}",
        crafted.len(),
        t.elapsed(),
        m.refused.len(),
        spent,
        honest_refused.map(|r| &r.reason)
    );
    // Alone again: it passes (nothing remembered).
    let again = receive(
        &mut holder.clone(),
        &mut gate::Ledger::default(),
        vec![honest.clone()],
        &[marion.sign(honest.hash())],
    );
    assert_eq!(again.applied, 1, "poisoned: {:?}", again.refused);
    assert!(
        honest_refused.is_none(),
        "honest change refused: {honest_refused:?}"
    );
}

/// A membre (Bea) lists `k` devices under her own entry (new keys: the
/// gate passes it), then has them write twice each, spread over meetings
/// so that each batch the gate judges live stays cheap. Judged from
/// scratch as one batch (a bundle's `verify`, the daily archive's check, a
/// device taking the document whole), the walks cost k² and the budget is
/// spent: the changes after (an honest one of Marion's) are refused, so
/// the community's own archive no longer verifies.
#[test]
#[ignore = "open: changes taken over several meetings exceed the walk budget when judged from scratch (verify, archive, join)"]
fn history_taken_in_meetings_still_verifies_from_scratch() {
    let (marion, bea) = (dev(1), dev(3));
    let docs = community();
    let mut live = community_doc(&docs);
    let mut ledger = gate::Ledger::default();
    let k = 1100u32;
    let devs: Vec<Dev> = (0..k).map(|i| devn(5000 + i)).collect();
    // Bea lists them for herself.
    let listing = write(&live, &bea, |d| {
        let entry = map(d, &members(d), "01BEA");
        let devices = map(d, &entry, "devices");
        for x in &devs {
            let e = d
                .put_object(&devices, x.key.as_str(), ObjType::Map)
                .unwrap();
            d.put(&e, "added_at", 1i64).unwrap();
        }
    });
    let m = receive(
        &mut live,
        &mut ledger,
        vec![listing.clone()],
        &[bea.sign(listing.hash())],
    );
    assert_eq!(m.applied, 1, "{:?}", m.refused);
    let mut author = live.clone();
    let crafted = two_chains(&mut author, &devs);
    let by_actor: std::collections::HashMap<_, &Dev> =
        devs.iter().map(|d| (d.key.actor(), d)).collect();
    // Live, in meetings of 200 changes.
    let t = Instant::now();
    let mut taken = 0;
    for part in crafted.chunks(300) {
        let sigs = sign_all(part, |c| by_actor[c.actor_id()]);
        let m = receive(&mut live, &mut ledger, part.to_vec(), &sigs);
        assert!(m.refused.is_empty(), "{:?}", m.refused.first());
        taken += m.applied;
    }
    eprintln!(
        "taken live in {} batches: {taken} changes, {:?}",
        crafted.len().div_ceil(300),
        t.elapsed()
    );
    // Marion writes on top.
    let honest = write(&live, &marion, |d| {
        d.put(ROOT, "description", "vrai").unwrap()
    });
    let m = receive(
        &mut live,
        &mut ledger,
        vec![honest.clone()],
        &[marion.sign(honest.hash())],
    );
    assert_eq!(m.applied, 1);
    // From scratch: every change of the document, one batch.
    let all: Vec<Change> = live.get_changes(&[]).into_iter().collect();
    // Each device signs its last change (it vouches for the earlier ones).
    let mut last: std::collections::HashMap<automerge::ActorId, ChangeHash> = Default::default();
    for c in &all {
        last.insert(c.actor_id().clone(), c.hash());
    }
    let sigs: Vec<Signed> = last
        .iter()
        .map(|(actor, hash)| {
            let d = if let Some(d) = by_actor.get(actor) {
                *d
            } else if *actor == marion.key.actor() {
                &marion
            } else {
                &bea
            };
            d.sign(*hash)
        })
        .collect();
    let mut fresh = AutoCommit::new();
    let t = Instant::now();
    let m = receive(&mut fresh, &mut gate::Ledger::default(), all.clone(), &sigs);
    let mut why: std::collections::BTreeMap<String, usize> = Default::default();
    for r in &m.refused {
        *why.entry(format!("{:?}", r.reason)).or_default() += 1;
    }
    let first = m.refused.first().map(|r| r.writer.clone());
    eprintln!(
        "reasons {why:?}; first writer {first:?}; marion {}",
        marion.key.actor()
    );
    eprintln!(
        "from scratch: {} changes, {:?}, {} refused (first: {:?}); Marion's last refused: {}",
        all.len(),
        t.elapsed(),
        m.refused.len(),
        m.refused.first().map(|r| &r.reason),
        m.refused.iter().any(|r| r.hash == honest.hash())
    );
    assert!(
        m.refused.is_empty(),
        "{} refused from scratch",
        m.refused.len()
    );
}
