//! Crafted changes against the gate's shape rules (`wellformed::after_own`
//! and its clock fallback, `wellformed::intrinsic` and `fits`), sent by a
//! member's modified app or in a crafted bundle. Attacks the gate holds
//! against are plain tests; attacks that still work assert the safe outcome
//! and are `#[ignore = "open: ..."]`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use std::num::NonZeroU64;

use automerge::ExpandedChange;
use automerge::legacy::{Key, ObjectId, Op, OpId, OpType, SortedVec};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, Change, ChangeHash, ObjType, ROOT, ReadDoc, ScalarValue};
use passerelle_model::DeviceKey;
use passerelle_model::gate::{self, Authority, Incoming, Ledger, Merged, Reason, Writers};
use passerelle_model::signing::Signed;
use passerelle_model::wellformed;

fn key(n: u8) -> DeviceKey {
    Signed::with_secret(&[n; 32], ChangeHash([0; 32])).device()
}

fn actor(n: u8) -> ActorId {
    key(n).actor()
}

/// A collection whose writers are devices 1 to 4 (unsigned: the shape
/// rules run before the signature and the listing).
fn writers() -> Writers {
    Writers::listing((1..=4).map(key), false)
}

/// A document of one change by device 3.
fn base() -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(actor(3));
    doc.put(ROOT, "g", 0).unwrap();
    doc.commit();
    doc
}

fn last(doc: &mut AutoCommit) -> Change {
    doc.get_last_local_change().unwrap()
}

/// `changes` through the gate, as one batch, into `held`.
fn merge(held: &mut AutoCommit, changes: Vec<Change>) -> Merged {
    merge_with(held, &mut Ledger::default(), changes)
}

fn merge_with(held: &mut AutoCommit, ledger: &mut Ledger, changes: Vec<Change>) -> Merged {
    let w = writers();
    gate::merge(
        held,
        ledger,
        Authority::Collection(&w),
        Incoming::from_changes(changes),
        &[],
    )
    .unwrap()
}

/// A change of device `n`, sequence `seq`, on `deps` (numbered after
/// `deps_max_op`), putting `value` at the root's `key` over `pred`: as
/// Automerge writes it.
fn put_change(
    n: u8,
    seq: u64,
    (deps, deps_max_op): (Vec<ChangeHash>, u64),
    (key, value, pred): (&str, i64, Vec<OpId>),
) -> Change {
    let mut deps = deps;
    deps.sort();
    Change::from(ExpandedChange {
        operations: vec![Op {
            action: OpType::Put(ScalarValue::Int(value)),
            obj: ObjectId::Root,
            key: Key::Map(key.into()),
            pred: SortedVec::from(pred),
            insert: false,
        }],
        actor_id: actor(n),
        hash: None,
        seq,
        start_op: NonZeroU64::new(deps_max_op + 1).unwrap(),
        time: 0,
        message: None,
        deps,
        extra_bytes: vec![],
        author: None,
    })
}

/// Whether `doc` saved whole loads again with the same heads (no panic).
fn reloads(doc: &mut AutoCommit) -> bool {
    let heads = doc.get_heads();
    catch_unwind(AssertUnwindSafe(|| {
        AutoCommit::load(&doc.save()).map(|mut d| d.get_heads() == heads)
    }))
    .is_ok_and(|r| r.unwrap_or(false))
}

fn refused_for(merged: &Merged, why: &str) -> bool {
    merged
        .refused
        .iter()
        .any(|r| r.reason == Reason::Malformed(why.to_owned()))
}

fn malformed(merged: &Merged) -> bool {
    merged
        .refused
        .iter()
        .any(|r| matches!(r.reason, Reason::Malformed(_)))
}

// ------------------------------------------------ text made in the batch

/// Device 1 makes a text, then puts bytes in it.
fn text_then_bytes() -> (Change, Change) {
    let mut w = base().with_actor(actor(1));
    let text = w.put_object(ROOT, "t", ObjType::Text).unwrap();
    w.splice_text(&text, 0, 0, "bonjour").unwrap();
    w.commit();
    let makes = last(&mut w);
    w.insert(&text, 3, ScalarValue::Bytes(vec![0xff, 0, 1]))
        .unwrap();
    w.insert(&text, 1, ScalarValue::Int(7)).unwrap();
    w.commit();
    let bytes = last(&mut w);
    (makes, bytes)
}

/// The two changes in one message: `fits` looks the text up in the
/// document, which does not hold it yet, so the second passes; in two
/// messages it is refused. The verdict depends on how the changes were
/// batched (a device that met them one by one refuses what another
/// holds), and the rule `fits` enforces (its fixture's snapshot did not
/// load) is bypassed. Not new today: `fits` never looked at the batch.
#[test]
fn bytes_in_a_text_made_earlier_in_the_batch_are_refused() {
    let (makes, bytes) = text_then_bytes();
    assert!(wellformed::intrinsic(&bytes).is_ok());
    let mut held = base();
    let merged = merge(&mut held, vec![makes, bytes]);
    assert_eq!(merged.applied, 1, "both accepted: {:?}", merged.refused);
    assert!(malformed(&merged));
}

/// The same two changes in two messages: the second is refused.
#[test]
fn bytes_in_a_text_made_by_a_held_change_are_refused() {
    let (makes, bytes) = text_then_bytes();
    let mut held = base();
    assert_eq!(merge(&mut held, vec![makes]).applied, 1);
    let merged = merge(&mut held, vec![bytes]);
    assert_eq!(merged.applied, 0);
    assert!(malformed(&merged));
    assert!(reloads(&mut held));
}

/// An object (a map) inserted in a text, which `intrinsic` does not look
/// for (only values put): it passes, and the document still loads.
#[test]
fn an_object_inserted_in_a_text_passes_and_reloads() {
    let mut held = base();
    let mut w = held.fork().with_actor(actor(1));
    let text = w.put_object(ROOT, "t", ObjType::Text).unwrap();
    w.splice_text(&text, 0, 0, "ab").unwrap();
    w.commit();
    let makes = last(&mut w);
    assert_eq!(merge(&mut held, vec![makes]).applied, 1);
    let map = w.insert_object(&text, 1, ObjType::Map).unwrap();
    w.put(&map, "k", ScalarValue::Bytes(vec![1])).unwrap();
    w.commit();
    let merged = merge(&mut held, vec![last(&mut w)]);
    assert_eq!(merged.applied, 1, "{:?}", merged.refused);
    assert!(reloads(&mut held));
    let again = AutoCommit::load(&held.save()).unwrap();
    assert!(again.text(&text).is_ok());
}

// ------------------------------------------------ ties and empty changes

/// Device 1 writes `a1`, then an empty change `a2` (the same highest
/// operation); device 2 an empty change `x` on `a2`; device 3 `zs` (one or
/// more changes) on `a1`. Device 1's next change, on `[x, last of zs]`,
/// has `a2` in its past.
struct Tie {
    a1: Change,
    a2: Change,
    x: Change,
    zs: Vec<Change>,
    a3: Change,
}

fn tie(z_changes: usize) -> Tie {
    let mut a = base().with_actor(actor(1));
    a.put(ROOT, "a", 1).unwrap();
    a.commit();
    let a1 = last(&mut a);
    let mut z = a.fork().with_actor(actor(3));
    a.empty_change(CommitOptions::default());
    let a2 = last(&mut a);
    assert_eq!((a2.seq(), a2.max_op()), (2, a1.max_op()));
    let mut b = a.fork().with_actor(actor(2));
    b.empty_change(CommitOptions::default());
    let x = last(&mut b);
    assert_eq!(x.max_op(), a1.max_op());
    let mut zs = Vec::new();
    for i in 0..z_changes {
        z.put(ROOT, "z", i as i64).unwrap();
        z.commit();
        zs.push(last(&mut z));
    }
    let top = zs.last().unwrap();
    let a3 = put_change(
        1,
        3,
        (vec![x.hash(), top.hash()], top.max_op()),
        ("a", 2, vec![OpId(a1.max_op(), actor(1))]),
    );
    Tie { a1, a2, x, zs, a3 }
}

/// Held, `a3` alone is refused: the walk, ordered by highest operation then
/// sequence number, meets `a1` (reached through device 3's change) before
/// `x` has led it to `a2`, both at the same operation and sequence 1. The
/// change is on every head the document holds.
#[test]
#[ignore = "open: after an empty change, a device's next change on all the heads is refused (max_op/seq tie in after_own's walk)"]
fn an_empty_change_tied_with_its_devices_previous_one() {
    let t = tie(1);
    let mut held = base();
    for c in [&t.a1, &t.a2, &t.x, &t.zs[0]] {
        assert_eq!(merge(&mut held, vec![c.clone()]).applied, 1);
    }
    let mut deps = held.get_heads();
    deps.sort();
    assert_eq!(deps, t.a3.deps());
    let m = merge(&mut held, vec![t.a3]);
    assert_eq!(m.applied, 1, "refused: {:?}", m.refused);
}

/// The same change judged on two devices: one holding device 3's nine
/// changes (the walk stops after WALK_HELD of them and the clock fallback
/// accepts it), one receiving them with it (batch changes do not count,
/// the walk goes on and refuses it). The verdict depends on what the device
/// held, not only on the change and its past.
#[test]
#[ignore = "open: the walk and the clock fallback disagree after an empty change: two devices judge one change differently"]
fn one_change_one_verdict_whatever_was_held() {
    let t = tie(9);
    let mut p = base();
    for c in [&t.a1, &t.a2, &t.x].into_iter().chain(&t.zs) {
        assert_eq!(merge(&mut p, vec![c.clone()]).applied, 1);
    }
    let on_p = merge(&mut p, vec![t.a3.clone()]).applied;
    let mut q = base();
    for c in [&t.a1, &t.a2] {
        assert_eq!(merge(&mut q, vec![c.clone()]).applied, 1);
    }
    let mut batch = vec![t.x.clone()];
    batch.extend(t.zs.iter().cloned());
    batch.push(t.a3.clone());
    let on_q = merge(&mut q, batch).applied;
    assert_eq!(on_p, 1, "refused where all was held");
    assert_eq!(on_q, 11, "refused where it came with device 3's changes");
}

// ------------------------------------------------ the clock fallback

/// Device 3 wrote a long history after device 1's first change. Device 1
/// writes each next change on its previous one and an old change of
/// device 3 twenty steps further: the walk reads more than WALK_HELD held
/// changes, then asks the clock about nearly the whole history. Each is
/// accepted (its previous change is in its past); the same change on the
/// old change alone is refused. Prints what the clock costs next to a
/// walk of the whole history (the worst case before the fallback).
#[test]
fn the_clock_fallback_judges_changes_far_behind() {
    let n = 2000;
    let mut z = base();
    let mut a = z.fork().with_actor(actor(1));
    a.put(ROOT, "a", 0).unwrap();
    a.commit();
    let a1 = last(&mut a);
    let mut zs: Vec<Change> = Vec::new();
    for i in 0..n {
        z.put(ROOT, "z", i as i64).unwrap();
        z.commit();
        zs.push(last(&mut z));
    }
    let mut held = z.clone();
    let mut ledger = Ledger::default();
    ledger.prepare(&mut held);
    assert_eq!(
        merge_with(&mut held, &mut ledger, vec![a1.clone()]).applied,
        1
    );
    let (mut prev, mut prev_op) = (a1.clone(), OpId(a1.max_op(), actor(1)));
    let rounds = 10;
    let t = Instant::now();
    for r in 0..rounds {
        let old = &zs[20 * (r + 1)];
        let max = old.max_op().max(prev.max_op());
        let pred = vec![prev_op.clone()];
        let far = put_change(
            1,
            prev.seq() + 1,
            (vec![old.hash()], old.max_op()),
            ("a", -1, pred.clone()),
        );
        let m = merge_with(&mut held, &mut ledger, vec![far]);
        assert!(
            malformed(&m),
            "its previous change is not in its past: {m:?}"
        );
        let c = put_change(
            1,
            prev.seq() + 1,
            (vec![prev.hash(), old.hash()], max),
            ("a", r as i64, pred),
        );
        let m = merge_with(&mut held, &mut ledger, vec![c.clone()]);
        assert_eq!(m.applied, 1, "{:?}", m.refused);
        prev_op = OpId(c.max_op(), actor(1));
        prev = c;
    }
    let t_gate = t.elapsed() / (2 * rounds as u32);
    let t = Instant::now();
    let outside = held.get_changes_meta(&[zs[10].hash()]).len();
    let t_clock = t.elapsed();
    let t = Instant::now();
    let read = zs
        .iter()
        .filter(|c| held.get_change_meta_by_hash(&c.hash()).is_some())
        .count();
    let t_walk = t.elapsed();
    eprintln!(
        "history of {n}: a crafted change through the gate {t_gate:?}; \
         the clock of an old edge ({outside} changes outside) {t_clock:?}; \
         {read} changes read one by one {t_walk:?}"
    );
    assert!(outside >= n - 20);
}

// ------------------------------------------------ walking the batch

/// One message: device 2's chain of `n` changes (signed by its last), then
/// `m` changes forged under device 3 (held, at sequence 1) numbered 2, on
/// the chain's last and unsigned. Each forged change is judged for its
/// shape before its signature: the walk to device 3's first change crosses
/// the whole chain, once per forged change (they are refused, so the next
/// is judged against sequence 1 again). Forged changes under another
/// member's device are not counted by the growth allowance, and device 2's
/// chain can be empty changes (no operations to count).
fn forged_on_a_chain(n: usize, m: usize) -> (std::time::Duration, Merged) {
    let mut held = base();
    let mut b = held.fork().with_actor(actor(2));
    let mut chain = Vec::new();
    for i in 0..n {
        b.put(ROOT, "b", i as i64).unwrap();
        b.commit();
        chain.push(last(&mut b));
    }
    let top = chain.last().unwrap().clone();
    let forged = (0..m).map(|i| {
        put_change(
            3,
            2,
            (vec![top.hash()], top.max_op()),
            ("x", i as i64, vec![]),
        )
    });
    let signature = Signed::with_secret(&[2; 32], top.hash());
    let w = Writers::listing((1..=4).map(key), true);
    let mut ledger = Ledger::default();
    ledger.prepare(&mut held);
    let incoming = Incoming::from_changes(chain.into_iter().chain(forged));
    let t = Instant::now();
    let merged = gate::merge(
        &mut held,
        &mut ledger,
        Authority::Collection(&w),
        incoming,
        &[signature],
    )
    .unwrap();
    (t.elapsed(), merged)
}

/// Doubling the message should about double the gate's time; it
/// quadruples (debug build, this machine: 1,000 + 1,000 changes 1.4 s,
/// 2,000 + 2,000 5.4 s; a message may hold 357,142 changes). Not new
/// today: the walk of the batch was the same before the clock fallback.
#[test]
fn forged_changes_on_a_long_batch_chain_cost_linear_time() {
    let (small, m) = forged_on_a_chain(500, 500);
    assert_eq!((m.applied, m.refused.len()), (500, 500));
    assert!(m.refused.iter().all(|r| r.reason == Reason::Unsigned));
    let (big, _) = forged_on_a_chain(2000, 2000);
    eprintln!("500 + 500: {small:?}; 2,000 + 2,000: {big:?}");
    assert!(
        big < small * 8,
        "four times the changes, {:.1} times the time",
        big.as_secs_f64() / small.as_secs_f64()
    );
}

/// `k` listed devices each writing twice on one chain (all first changes,
/// then all second ones), as one batch: each second change's walk to its
/// device's first reads the `k - 1` changes between, `k²` in all. Returns
/// the writers, the document holding the first device's genesis, and the
/// batch.
fn devices_twice_on_a_chain(k: u16) -> (Writers, AutoCommit, Vec<Change>) {
    let keys: Vec<DeviceKey> = (0..k)
        .map(|i| {
            let mut secret = [7u8; 32];
            secret[..2].copy_from_slice(&i.to_be_bytes());
            Signed::with_secret(&secret, ChangeHash([0; 32])).device()
        })
        .collect();
    let mut doc = AutoCommit::new().with_actor(keys[0].actor());
    doc.put(ROOT, "g", 0).unwrap();
    doc.commit();
    let held = doc.fork();
    let mut changes = Vec::new();
    for round in 0..2 {
        for (i, key) in keys.iter().enumerate() {
            if round == 0 && i == 0 {
                continue;
            }
            doc.set_actor(key.actor());
            doc.put(ROOT, "n", i as i64).unwrap();
            doc.commit();
            changes.push(last(&mut doc));
        }
    }
    (Writers::listing(keys, false), held, changes)
}

/// A crafted batch whose walks are quadratic (a bundle of 8,000 such
/// changes took 41 s to verify in a debug build; the bounds allow 357,142)
/// stops at the batch's walk budget: the changes judged before it are
/// taken, those after refused ("took too long to check"), none of the
/// first round (nothing to walk) refused.
#[test]
fn a_batch_of_far_apart_devices_stops_at_its_walk_budget() {
    let k = 1_500u16;
    let (w, mut held, changes) = devices_twice_on_a_chain(k);
    let n = changes.len();
    assert!(wellformed::walk_budget(n) < u64::from(k) * u64::from(k));
    let merged = gate::merge(
        &mut held,
        &mut Ledger::default(),
        Authority::Collection(&w),
        Incoming::from_changes(changes),
        &[],
    )
    .unwrap();
    let spent = merged
        .refused
        .iter()
        .filter(|r| r.reason == Reason::Malformed(wellformed::WALK_SPENT.to_owned()))
        .count();
    eprintln!(
        "{n} changes: {} taken, {spent} refused at the budget, {} refused in all",
        merged.applied,
        merged.refused.len()
    );
    assert!(
        spent > 0,
        "{:?}",
        &merged.refused[..merged.refused.len().min(3)]
    );
    assert!(merged.applied >= usize::from(k), "the first round is taken");
    assert_eq!(merged.applied + merged.refused.len(), n);
    assert!(reloads(&mut held));
}

// ------------------------------------------------ written as they came

/// A change deflated on the wire (8 KiB for an 8 MiB value) is written as
/// Automerge's raw (inflated) bytes: the same size `save_after` wrote
/// before; the document written before, followed by them, loads.
#[test]
fn a_compressed_change_is_written_as_save_after_wrote_it() {
    let mut held = base();
    let written_before = held.save();
    let before = held.get_heads();
    let mut w = held.fork().with_actor(actor(1));
    w.put(ROOT, "big", "0".repeat(8 << 20)).unwrap();
    w.commit();
    let mut c = last(&mut w);
    let wire = c.bytes().into_owned();
    assert!(wire.len() < 64 * 1024 && wire[8] == 2, "a compressed chunk");
    let writers = writers();
    let merged = gate::merge(
        &mut held,
        &mut Ledger::default(),
        Authority::Collection(&writers),
        Incoming::read([&wire[..]]).unwrap(),
        &[],
    )
    .unwrap();
    let written = merged.written.expect("the change as it came");
    assert_eq!(written.len(), held.save_after(&before).len());
    let mut again = AutoCommit::load(&written_before).unwrap();
    again.load_incremental(&written).unwrap();
    assert_eq!(again.get_heads(), held.get_heads());
}

/// An honest change whose chunk checksum (header bytes 4..8) is changed
/// by whoever sends it (its writer, a member relaying it, a bundle): the
/// checksum is not part of the hash, Automerge's `Change::try_from` does
/// not check it, so it is the same change (same hash, its device's
/// signature valid) and the gate applies it. Written as it came, the stored
/// file no longer loads ("bad checksum"); before, `save_after` encoded it
/// again with a right checksum. Also with the chunk compressed.
#[test]
fn a_change_with_a_wrong_checksum_is_not_written_as_it_came() {
    let mut w = base().with_actor(actor(1));
    w.put(ROOT, "a", 1).unwrap();
    w.put(ROOT, "big", "0".repeat(4096)).unwrap();
    w.commit();
    let mut honest = last(&mut w);
    let compressed = honest.bytes().into_owned();
    assert_eq!(compressed[8], 2, "a compressed chunk");
    let mut stored = Vec::new();
    for sent in [honest.raw_bytes().to_vec(), compressed] {
        let mut held = base();
        let written_before = held.save();
        let mut bytes = sent;
        bytes[4] ^= 0xff;
        let parsed = Change::try_from(&bytes[..]).expect("Automerge reads it");
        assert_eq!(parsed.hash(), honest.hash(), "the same change");
        let writers = writers();
        let merged = gate::merge(
            &mut held,
            &mut Ledger::default(),
            Authority::Collection(&writers),
            Incoming::read([&bytes[..]]).unwrap(),
            &[],
        )
        .unwrap();
        let Some(written) = merged.written.filter(|_| merged.applied == 1) else {
            stored.push(Ok(())); // refused: safe
            continue;
        };
        // As the store reads a chunk file after the document's snapshot.
        let mut doc = Some(AutoCommit::load(&written_before).unwrap());
        stored.push(
            passerelle_model::layout::load_signed_file(&mut doc, &written)
                .map(|_| assert_eq!(doc.unwrap().get_heads(), held.get_heads())),
        );
    }
    assert_eq!(stored, [Ok(()), Ok(())], "plain, compressed");
}

/// Device 1's second change in the batch, its third on the held state
/// without the second (the previous change is in the batch, not in its
/// past): refused. The same third change on the second and an old held
/// change (dependencies both held and in the batch) passes; listing the
/// second twice is refused for its shape.
#[test]
fn a_previous_change_in_the_batch_must_be_in_the_past() {
    let mut held = base();
    let mut a = held.fork().with_actor(actor(1));
    a.put(ROOT, "a", 1).unwrap();
    a.commit();
    assert_eq!(merge(&mut held, vec![last(&mut a)]).applied, 1);
    let old = held.get_heads();
    let old_max = held.get_change_meta_by_hash(&old[0]).unwrap().max_op;
    let mut z = held.fork().with_actor(actor(3));
    for i in 0..12 {
        z.put(ROOT, "z", i).unwrap();
        z.commit();
    }
    let zs: Vec<Change> = z.get_changes(&old);
    assert_eq!(merge(&mut held, zs).applied, 12);
    let top = held.get_heads();
    let top_max = held.get_change_meta_by_hash(&top[0]).unwrap().max_op;
    let a2 = put_change(
        1,
        2,
        (top.clone(), top_max),
        ("a", 2, vec![OpId(old_max, actor(1))]),
    );
    let pred = vec![OpId(a2.max_op(), actor(1))];
    let beside = put_change(
        1,
        3,
        (top.clone(), top_max),
        ("a", 3, vec![OpId(old_max, actor(1))]),
    );
    let m = merge(&mut held.clone(), vec![a2.clone(), beside]);
    assert_eq!(m.applied, 1);
    let not_in_past = "its device's previous change is not in its past";
    assert!(refused_for(&m, not_in_past), "{m:?}");
    let on_both = put_change(
        1,
        3,
        (vec![a2.hash(), old[0]], a2.max_op()),
        ("a", 3, pred.clone()),
    );
    let m = merge(&mut held.clone(), vec![a2.clone(), on_both]);
    assert_eq!(m.applied, 2, "{:?}", m.refused);
    let twice = put_change(
        1,
        3,
        (vec![a2.hash(), a2.hash()], a2.max_op()),
        ("a", 3, pred),
    );
    let m = merge(&mut held, vec![a2, twice]);
    assert_eq!(m.applied, 1);
    assert!(refused_for(&m, "a dependency listed twice"), "{m:?}");
}
