//! What every device admits of what it holds: the rules of a community
//! applied where data enters the view, identically on every device.
//!
//! Automerge merges every change it is given; it cannot refuse one without
//! the documents of two devices diverging for good. So a device keeps every
//! change, and reads the documents through these rules instead. Each
//! operation carries its actor, and an actor is derived from a device key
//! ([`DeviceKey::actor`]), so every value of a document has a known writer:
//! a device, and through `members`, a member with a role.
//!
//! A value is **admitted** when its writer may write it:
//! - an operation of a revoked device (lost, or its member removed) after
//!   the revocation's cut-off (`Revocation::seen`, what the revoking device
//!   held of it, read as written with the revocation) is ignored, whatever
//!   it wrote, wherever;
//! - in the community document only *listed* devices write (and the
//!   community's first change, whose actor is its creator's device). A
//!   device is listed when its entry
//!   (`members/<m>/devices/<key>`) was written by the change that created
//!   the member entry, by a listed device of that member (not removed), by
//!   a moderator, or by the change that used a pairing invite for that
//!   member (`used_by` = the key); a key that was there before (a revoked
//!   device) comes back only through a moderator. A member entry counts
//!   when a listed device created it where there was none. In the other
//!   documents, a device written in the community but not listed counts
//!   for nothing either. (A community made before changes were signed
//!   keeps older devices' random actors, derived from no key, as writers
//!   with no member, as they were.);
//! - a member's `role` must be written by an admin, or come with the member
//!   entry itself (`membre`, or any role from an animateur or admin);
//! - `removed_at` and a device's `revoked` are set by the member or a
//!   moderator; clearing a removal takes an admin, clearing a revocation a
//!   moderator;
//! - an item's `moderation` and `locked` by a moderator (animateur, admin);
//! - an invite is written once (never anew over an older one); its
//!   `member` (a pairing ticket) with it, by that member or a moderator;
//!   its `used_by` once, from empty, while not withdrawn, and `used_at`
//!   with that use; `revoked` from false to true only; the rest only with
//!   it. A used or withdrawn invite is never re-armed, and the change that
//!   uses one anyway admits no member and no device.
//!
//! A null written with its item or entry (by the change that created it)
//! takes nothing from anyone; any other null is judged like a value.
//!
//! When the value in force is not admitted, the one before it is read from
//! the document's history (at the dependencies of the change that wrote it),
//! going back until an admitted one; an item or entry that was created by
//! an ignored operation is left out. A value replaced by an equal admitted
//! one (a null over nothing) changes nothing and is not counted as ignored.
//! Listed devices, roles, removals and revocations depend on each other
//! (who is admin decides which role changes and device additions count),
//! so they are computed together until they no longer move, starting from
//! the community's first change (its creator, admin), admitted as it is.
//! All of it is a pure function of the documents: the same on every device,
//! whatever order they met in.
//!
//! Deletions and the characters of texts carry no writer a reader can undo:
//! they are not covered (docs/SECURITY.md says so). That includes the
//! deletion Automerge writes when a device puts the value in force over a
//! conflict: it removes the other values, admitted or not.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use automerge::{ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value};

use crate::entities::Role;
use crate::ids::{DeviceKey, MemberId};
use crate::layout::DocKind;

/// How far back in a value's history a device looks for an admitted one.
const MAX_HISTORY: usize = 64;
/// Most rounds of the roles/removals/revocations computation.
const MAX_ROUNDS: usize = 32;
/// Most passes of the listing of members and devices in one round (a pass
/// admits a whole chain of admissions written in causal order).
const MAX_PASSES: usize = 32;

const C: DocKind = DocKind::Community;

/// Whether `key` of the map at `path` is a guarded field that reads as
/// "none" when nothing admitted was written there.
fn nullable(kind: DocKind, path: &[String], key: &str) -> bool {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    match (kind, path.as_slice(), key) {
        (C, ["members", _], "removed_at") => true,
        (C, ["members", _, "devices", _], "revoked") => true,
        (C, ["invites", _], "member" | "used_by" | "used_at" | "use_proof") => true,
        (C, ["members" | "invites", ..], _) => false,
        (_, [_, _], "moderation" | "locked") => true,
        _ => false,
    }
}

/// One change, as far as attribution needs it.
#[derive(Clone, Debug)]
struct ChangeSpan {
    start_op: u64,
    max_op: u64,
    hash: ChangeHash,
    deps: Vec<ChangeHash>,
}

/// The changes of one document by actor, to find the change (and so the
/// dependencies) an operation belongs to.
#[derive(Debug, Default)]
pub struct ChangeIndex {
    by_actor: HashMap<ActorId, Vec<ChangeSpan>>,
    /// The document's first change (no dependencies, first of its actor).
    genesis: Option<ChangeHash>,
    /// The actor that wrote it.
    genesis_actor: Option<ActorId>,
    /// Facts about operations read at their change's dependencies (what
    /// was there before them): history does not change, so they are kept
    /// as long as the index.
    memo: std::sync::Mutex<HashMap<(ObjId, Fact), bool>>,
}

/// A fact about an operation, read at its change's dependencies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Fact {
    /// Nothing was at its key.
    Fresh,
    /// It is the first use of its invite.
    FirstUse,
}

impl Clone for ChangeIndex {
    fn clone(&self) -> Self {
        ChangeIndex {
            by_actor: self.by_actor.clone(),
            genesis: self.genesis,
            genesis_actor: self.genesis_actor.clone(),
            memo: std::sync::Mutex::new(self.memo.lock().map(|m| m.clone()).unwrap_or_default()),
        }
    }
}

impl ChangeIndex {
    /// Indexes every change of a document.
    pub fn of(doc: &mut AutoCommit) -> Self {
        let mut index = ChangeIndex::default();
        index.add(doc, &[]);
        index
    }

    /// Adds the changes made since `heads` (all of them if `heads` is not
    /// known to the document).
    pub fn update(&mut self, doc: &mut AutoCommit, heads: &[ChangeHash]) {
        if !crate::gate::holds(doc, heads) {
            *self = Self::of(doc);
        } else {
            self.add(doc, heads);
        }
    }

    fn add(&mut self, doc: &mut AutoCommit, since: &[ChangeHash]) {
        let index = self;
        for meta in doc.get_changes_meta(since) {
            if meta.deps.is_empty() && meta.seq == 1 && index.genesis.is_none() {
                index.genesis = Some(meta.hash);
                index.genesis_actor = Some(meta.actor.clone().into_owned());
            }
            index
                .by_actor
                .entry(meta.actor.into_owned())
                .or_default()
                .push(ChangeSpan {
                    start_op: meta.start_op,
                    max_op: meta.max_op,
                    hash: meta.hash,
                    deps: meta.deps,
                });
        }
        for spans in index.by_actor.values_mut() {
            spans.sort_by_key(|s| s.start_op);
        }
    }

    /// The change holding operation `counter` of `actor`.
    fn change_of(&self, counter: u64, actor: &ActorId) -> Option<&ChangeSpan> {
        let spans = self.by_actor.get(actor)?;
        let at = spans.partition_point(|s| s.start_op <= counter);
        spans[..at].last().filter(|s| counter <= s.max_op)
    }

    /// The change holding operation `id`.
    fn change_of_id(&self, id: &ObjId) -> Option<&ChangeSpan> {
        match id {
            ObjId::Id(counter, actor, _) => self.change_of(*counter, actor),
            ObjId::Root => None,
        }
    }

    /// The highest operation counter of an actor in this document.
    fn max_op(&self, actor: &ActorId) -> u64 {
        self.by_actor
            .get(actor)
            .and_then(|s| s.iter().map(|s| s.max_op).max())
            .unwrap_or(0)
    }

    /// The actors that wrote something else than the document's first change.
    fn writers(&self) -> impl Iterator<Item = &ActorId> {
        self.by_actor
            .iter()
            .filter(|(_, spans)| spans.iter().any(|s| Some(s.hash) != self.genesis))
            .map(|(actor, _)| actor)
    }

    fn in_genesis(&self, id: &ObjId) -> bool {
        match id {
            ObjId::Id(counter, actor, _) => self
                .change_of(*counter, actor)
                .is_some_and(|c| Some(c.hash) == self.genesis),
            ObjId::Root => true,
        }
    }

    /// A fact about operation `id`, read once.
    fn remember(&self, id: &ObjId, fact: Fact, read: impl FnOnce() -> bool) -> bool {
        let key = (id.clone(), fact);
        if let Some(known) = self.memo.lock().ok().and_then(|m| m.get(&key).copied()) {
            return known;
        }
        let known = read();
        if let Ok(mut memo) = self.memo.lock() {
            memo.insert(key, known);
        }
        known
    }

    fn same_change(&self, a: &ObjId, b: &ObjId) -> bool {
        match (a, b) {
            (ObjId::Id(ca, aa, _), ObjId::Id(cb, ab, _)) if aa == ab => {
                match (self.change_of(*ca, aa), self.change_of(*cb, ab)) {
                    (Some(x), Some(y)) => x.hash == y.hash,
                    _ => false,
                }
            }
            _ => false,
        }
    }
}

/// The value of a map key as the rules admit it.
#[derive(Clone, Debug)]
enum Admitted {
    /// The value in force is admitted.
    Current,
    /// An earlier (or concurrent) admitted value (an object is read as it
    /// is now).
    Earlier { value: Value<'static>, id: ObjId },
    /// Nothing admitted was ever written there.
    Absent,
}

/// Whether the rules may admit operation `id`, which wrote `value`.
type Judge<'a> = dyn Fn(&Value<'_>, &ObjId) -> bool + 'a;

/// Picks the value the rules admit at `obj[key]`.
fn admitted(
    doc: &AutoCommit,
    index: &ChangeIndex,
    obj: &ObjId,
    key: &str,
    ok: &Judge<'_>,
) -> Admitted {
    let Ok(Some((value, winner))) = doc.get(obj, key) else {
        return Admitted::Absent;
    };
    if ok(&value, &winner) {
        return Admitted::Current;
    }
    let mut values = doc.get_all(obj, key).unwrap_or_default();
    for _ in 0..MAX_HISTORY {
        if let Some((value, id)) = values
            .iter()
            .filter(|(v, id)| ok(v, id))
            .max_by(|a, b| op_order(&a.1, &b.1))
        {
            return Admitted::Earlier {
                value: value.clone().into_owned(),
                id: id.clone(),
            };
        }
        // Go back to before the latest of the ignored values.
        let Some(ObjId::Id(counter, actor, _)) = values
            .iter()
            .map(|(_, id)| id)
            .max_by(|a, b| op_order(a, b))
        else {
            return Admitted::Absent;
        };
        let Some(change) = index.change_of(*counter, actor) else {
            return Admitted::Absent;
        };
        let before = change.deps.clone();
        values = doc.get_all_at(obj, key, &before).unwrap_or_default();
    }
    Admitted::Absent
}

fn is_null(value: &Value<'_>) -> bool {
    matches!(value, Value::Scalar(s) if s.is_null())
}

/// Whether a value replaced by the admitted one changes nothing: equal
/// scalars, or a null where nothing is admitted.
fn same_value(current: &Value<'_>, admitted: Option<&Value<'_>>) -> bool {
    match (current, admitted) {
        (Value::Scalar(a), Some(Value::Scalar(b))) => a == b,
        (current, None) => is_null(current),
        _ => false,
    }
}

/// Whether nothing was at `obj[key]` at the dependencies of the change that
/// wrote operation `id` there: it created the key, it replaced nothing.
fn fresh(doc: &AutoCommit, index: &ChangeIndex, obj: &ObjId, key: &str, id: &ObjId) -> bool {
    if index.in_genesis(id) {
        return true;
    }
    index.remember(id, Fact::Fresh, || {
        let Some(change) = index.change_of_id(id) else {
            return false;
        };
        doc.get_all_at(obj, key, &change.deps)
            .map(|v| v.is_empty())
            .unwrap_or(true)
    })
}

/// Whether operation `id` fills an invite's `used_by` for the first time:
/// at its change's dependencies the field held only the null written with
/// the invite, and the invite was not withdrawn. A used or withdrawn invite
/// is never used again.
fn first_use(doc: &AutoCommit, index: &ChangeIndex, invite: &ObjId, id: &ObjId) -> bool {
    index.remember(id, Fact::FirstUse, || {
        let Some(change) = index.change_of_id(id) else {
            return false;
        };
        let before = doc
            .get_all_at(invite, "used_by", &change.deps)
            .unwrap_or_default();
        if !before
            .iter()
            .all(|(v, i)| is_null(v) && index.same_change(invite, i))
        {
            return false;
        }
        // Never withdrawn: `revoked` holds only what was written with it.
        let untouched = doc
            .get_all(invite, "revoked")
            .is_ok_and(|v| v.iter().all(|(_, i)| index.same_change(invite, i)) && !v.is_empty());
        untouched || !withdrawn(doc, index, invite, &change.deps)
    })
}

fn is_true(value: &Value<'_>) -> bool {
    matches!(value, Value::Scalar(s) if matches!(s.as_ref(), ScalarValue::Boolean(true)))
}

/// Whether an invite was withdrawn at `heads`: `revoked` was true there or
/// before (a later `false` does not re-arm it).
fn withdrawn(doc: &AutoCommit, index: &ChangeIndex, invite: &ObjId, heads: &[ChangeHash]) -> bool {
    let mut values = doc.get_all_at(invite, "revoked", heads).unwrap_or_default();
    for _ in 0..MAX_HISTORY {
        if values.iter().any(|(v, _)| is_true(v)) {
            return true;
        }
        let Some(change) = values
            .iter()
            .map(|(_, id)| id)
            .filter(|id| !index.same_change(invite, id))
            .max_by(|a, b| op_order(a, b))
            .and_then(|id| index.change_of_id(id))
        else {
            return false;
        };
        values = doc
            .get_all_at(invite, "revoked", &change.deps)
            .unwrap_or_default();
    }
    true
}

/// Automerge's order of operations: counter, then actor.
fn op_order(a: &ObjId, b: &ObjId) -> std::cmp::Ordering {
    match (a, b) {
        (ObjId::Id(ca, aa, _), ObjId::Id(cb, ab, _)) => ca.cmp(cb).then_with(|| aa.cmp(ab)),
        (ObjId::Root, ObjId::Root) => std::cmp::Ordering::Equal,
        (ObjId::Root, _) => std::cmp::Ordering::Less,
        (_, ObjId::Root) => std::cmp::Ordering::Greater,
    }
}

fn str_of<'a>(value: &'a Value<'_>) -> Option<&'a str> {
    match value {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// A device as the community document lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct DeviceOf {
    member: MemberId,
    key: String,
    /// Its entry (`members/<member>/devices/<key>`), as the rules admit it.
    entry: ObjId,
}

/// Who may write what in a community: its listed devices, its members'
/// admitted roles, removals and device revocations, read from the
/// community document.
#[derive(Clone, Debug, Default)]
pub struct Authority {
    /// The devices whose addition the rules admit, by actor.
    devices: HashMap<ActorId, DeviceOf>,
    /// Devices written in the community document whose addition the rules
    /// do not admit: their writing counts nowhere.
    refused: BTreeSet<ActorId>,
    /// The member entry the rules admit for each member.
    entries: BTreeMap<MemberId, ObjId>,
    roles: BTreeMap<MemberId, Role>,
    removed: BTreeSet<MemberId>,
    /// For each revoked device's actor, its cut-off per document kind.
    cutoffs: BTreeMap<ActorId, BTreeMap<String, u64>>,
    /// Every invite use written, and whether it was the first (see
    /// [`Invites`]).
    uses: HashMap<ObjId, bool>,
    /// The changes that wrote a first use of an invite.
    first_use_changes: HashSet<ChangeHash>,
    /// Whether the invites, as written, hold only what the rules admit.
    invites_hold: bool,
    /// A community whose genesis does not ask for signed changes (made by
    /// an earlier version, or by tests): there, actors derived from no
    /// device key (older devices' random actors) count as writers with no
    /// member, as they did; in a signed community they count for nothing.
    legacy: bool,
}

/// Members as the rules see them: id and object of each member entry.
fn member_objects(doc: &AutoCommit) -> Vec<(MemberId, ObjId)> {
    let Ok(Some((_, members))) = doc.get(automerge::ROOT, "members") else {
        return Vec::new();
    };
    doc.map_range(&members, ..)
        .filter_map(|item| match item.value {
            automerge::ValueRef::Object(ObjType::Map) => {
                Some((MemberId(item.key.to_string()), item.id()))
            }
            _ => None,
        })
        .collect()
}

fn map_child(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(obj, key) {
        Ok(Some((Value::Object(ObjType::Map), id))) => Some(id),
        _ => None,
    }
}

/// What listing a device needs to know of its entry, read once.
#[derive(Clone, Debug)]
struct DeviceFacts {
    key: String,
    /// The entry object (the operation that wrote it).
    entry: ObjId,
    /// Written by the change that created the member entry.
    with_member: bool,
    /// No entry for this key was there before it.
    fresh: bool,
}

/// What listing a member needs to know of a member entry, read once.
#[derive(Clone, Debug)]
struct EntryFacts {
    /// Created where there was no entry for this member (or in genesis).
    fresh: bool,
    /// Its devices map, as written with it.
    devices_map: Option<ObjId>,
    /// Each device key and its actor, with the facts of its entry in force
    /// if that is an entry (a map).
    devices: Vec<(String, ActorId, Option<DeviceFacts>)>,
}

/// The use of a pairing invite: the device added to `member` by the change
/// that wrote `used_by`.
#[derive(Clone, Debug)]
struct Pairing {
    member: MemberId,
    /// The invite object, created where there was none.
    invite: Option<ObjId>,
    /// The operation that wrote the invite's `member`.
    named_by: ObjId,
    /// The operation that wrote `used_by`.
    used: ObjId,
}

/// The parts of the community document the listing reads, read once per
/// computation of the rules (they do not depend on roles).
struct Facts {
    members_map: Option<ObjId>,
    /// Each member key, with the value in force and, if it is an entry (a
    /// map), that entry's facts; oldest first (admissions come in causal
    /// order).
    members: Vec<(MemberId, ObjId, Option<EntryFacts>)>,
    /// What the invites' history says.
    invites: Invites,
    /// Every device key written in a member entry, by actor.
    written: BTreeSet<ActorId>,
}

impl Facts {
    fn read(doc: &AutoCommit, index: &ChangeIndex) -> Self {
        let members_map = map_child(doc, &automerge::ROOT, "members");
        let mut members: Vec<(MemberId, ObjId, Option<EntryFacts>)> = Vec::new();
        let mut written = BTreeSet::new();
        if let Some(map) = &members_map {
            let keys: Vec<String> = doc.keys(map).collect();
            for key in keys {
                let Ok(Some((value, winner))) = doc.get(map, key.as_str()) else {
                    continue;
                };
                let member = MemberId(key);
                let facts = matches!(value, Value::Object(ObjType::Map))
                    .then(|| EntryFacts::read(doc, index, map, &member, &winner));
                if let Some(f) = &facts {
                    written.extend(f.devices.iter().map(|(_, a, _)| a.clone()));
                }
                members.push((member, winner, facts));
            }
        }
        members.sort_by(|a, b| op_order(&a.1, &b.1));
        Facts {
            members_map,
            members,
            invites: Invites::read(doc, index),
            written,
        }
    }
}

impl EntryFacts {
    fn read(
        doc: &AutoCommit,
        index: &ChangeIndex,
        members_map: &ObjId,
        member: &MemberId,
        entry: &ObjId,
    ) -> Self {
        let fresh = fresh(doc, index, members_map, member.as_str(), entry);
        let devices_map = devices_map(doc, index, entry);
        let mut devices = Vec::new();
        if let Some(map) = &devices_map {
            for key in doc.keys(map) {
                let facts = map_child(doc, map, &key)
                    .map(|device| DeviceFacts::read(doc, index, entry, map, key.clone(), device));
                let actor = DeviceKey(key.clone()).actor();
                devices.push((key, actor, facts));
            }
        }
        devices.sort_by(|a, b| match (&a.2, &b.2) {
            (Some(x), Some(y)) => op_order(&x.entry, &y.entry),
            _ => a.0.cmp(&b.0),
        });
        EntryFacts {
            fresh,
            devices_map,
            devices,
        }
    }
}

impl DeviceFacts {
    fn read(
        doc: &AutoCommit,
        index: &ChangeIndex,
        member_entry: &ObjId,
        map: &ObjId,
        key: String,
        entry: ObjId,
    ) -> Self {
        let with_member = index.same_change(member_entry, &entry);
        let fresh = with_member || fresh(doc, index, map, &key, &entry);
        DeviceFacts {
            key,
            entry,
            with_member,
            fresh,
        }
    }
}

/// A member entry's devices map: the one written with the entry.
fn devices_map(doc: &AutoCommit, index: &ChangeIndex, entry: &ObjId) -> Option<ObjId> {
    let ok = |v: &Value<'_>, id: &ObjId| {
        matches!(v, Value::Object(ObjType::Map)) && index.same_change(entry, id)
    };
    match admitted(doc, index, entry, "devices", &ok) {
        Admitted::Current => map_child(doc, entry, "devices"),
        Admitted::Earlier { id, .. } => Some(id),
        Admitted::Absent => None,
    }
}

/// Every use written at an invite's `used_by`, going back from the
/// values in force until the null written with the invite: each value, the
/// operation that wrote it, and whether it was a first use.
fn uses_of(
    doc: &AutoCommit,
    index: &ChangeIndex,
    invite: &ObjId,
) -> Vec<(Value<'static>, ObjId, bool)> {
    let key = "used_by";
    let mut found: Vec<(Value<'static>, ObjId, bool)> = Vec::new();
    let mut values: Vec<(Value<'static>, ObjId)> = doc
        .get_all(invite, key)
        .unwrap_or_default()
        .into_iter()
        .map(|(v, id)| (v.into_owned(), id))
        .collect();
    for _ in 0..MAX_HISTORY {
        let mut latest: Option<&ObjId> = None;
        let mut all_first = true;
        for (value, id) in &values {
            if is_null(value) && index.same_change(invite, id) {
                continue; // the invite's own empty field: the start
            }
            let first = !is_null(value) && first_use(doc, index, invite, id);
            all_first &= first;
            if !found.iter().any(|(_, i, _)| i == id) {
                found.push((value.clone(), id.clone(), first));
            }
            if latest.is_none_or(|l| op_order(id, l).is_gt()) {
                latest = Some(id);
            }
        }
        // Before a first use there is only the invite's empty field.
        if all_first {
            break;
        }
        let Some(change) = latest.and_then(|l| index.change_of_id(l)) else {
            break;
        };
        values = doc
            .get_all_at(invite, key, &change.deps)
            .unwrap_or_default()
            .into_iter()
            .map(|(v, id)| (v.into_owned(), id))
            .collect();
    }
    found
}

/// What the invites' history says, read once per computation of the rules.
#[derive(Clone, Debug, Default)]
struct Invites {
    /// Whether each invite in force was created where there was none.
    fresh: HashMap<String, bool>,
    /// Every use written (`used_by`), in force or earlier, and whether it
    /// was the first.
    uses: HashMap<ObjId, bool>,
    /// The changes that wrote a first use.
    first_use_changes: HashSet<ChangeHash>,
    /// The changes that wrote a use the rules refuse (of an invite used or
    /// withdrawn before): what they added admits no one.
    refused_uses: HashSet<ChangeHash>,
    /// Admitted uses of pairing invites, by device key.
    pairings: HashMap<String, Vec<Pairing>>,
}

impl Invites {
    fn read(doc: &AutoCommit, index: &ChangeIndex) -> Self {
        let mut found = Invites::default();
        let Some(invites) = map_child(doc, &automerge::ROOT, "invites") else {
            return found;
        };
        for item in doc.map_range(&invites, ..) {
            let invite = item.id();
            let created = fresh(doc, index, &invites, &item.key, &invite);
            if matches!(item.value, automerge::ValueRef::Object(ObjType::Map)) {
                found.read_uses(doc, index, &item.key, &invite, created.then_some(&invite));
            }
            found.fresh.insert(item.key.into_owned(), created);
        }
        found
    }

    /// Reads the uses of one invite, and if it names a member, its pairings.
    fn read_uses(
        &mut self,
        doc: &AutoCommit,
        index: &ChangeIndex,
        key: &str,
        invite: &ObjId,
        created: Option<&ObjId>,
    ) {
        let never_used = matches!(
            doc.get(invite, "used_by"),
            Ok(Some((ref v, ref id))) if is_null(v) && index.same_change(invite, id)
        );
        if never_used {
            return;
        }
        let mut uses = uses_of(doc, index, invite);
        for (value, id, first) in &mut uses {
            if is_null(value) {
                continue;
            }
            // A use of an invite written over an older one re-arms nothing.
            *first &= created.is_some();
            self.uses.insert(id.clone(), *first);
            if let Some(change) = index.change_of_id(id) {
                if *first {
                    self.first_use_changes.insert(change.hash);
                } else {
                    self.refused_uses.insert(change.hash);
                }
            }
        }
        let invite = invite.clone();
        // Named with the invite, as every field but its use.
        let named =
            |v: &Value<'_>, id: &ObjId| str_of(v).is_some() && index.same_change(&invite, id);
        let (member, named_by) = match admitted(doc, index, &invite, "member", &named) {
            Admitted::Current => match doc.get(&invite, "member") {
                Ok(Some((v, id))) => (str_of(&v).map(str::to_owned), id),
                _ => return,
            },
            Admitted::Earlier { value, id } => (str_of(&value).map(str::to_owned), id),
            Admitted::Absent => return,
        };
        let Some(member) = member else { return };
        // The key derived from the secret, written with the invite.
        let use_key = match admitted(doc, index, &invite, "secret_hash", &named) {
            Admitted::Current => match doc.get(&invite, "secret_hash") {
                Ok(Some((v, _))) => str_of(&v).map(str::to_owned),
                _ => None,
            },
            Admitted::Earlier { value, .. } => str_of(&value).map(str::to_owned),
            Admitted::Absent => None,
        };
        let Some(use_key) = use_key else { return };
        for (value, used, first) in uses {
            let Some(device) = str_of(&value).filter(|_| first) else {
                continue;
            };
            // Every device holds the invite: only a proof made with its
            // secret, for this device, written with the use, lists it.
            let proven = |v: &Value<'_>, id: &ObjId| {
                index.same_change(&used, id)
                    && str_of(v)
                        .is_some_and(|p| crate::pairing::verify_use(&use_key, key, device, p))
            };
            if matches!(
                admitted(doc, index, &invite, "use_proof", &proven),
                Admitted::Absent
            ) {
                continue;
            }
            self.pairings
                .entry(device.to_owned())
                .or_default()
                .push(Pairing {
                    member: MemberId(member.clone()),
                    invite: created.cloned(),
                    named_by: named_by.clone(),
                    used,
                });
        }
    }
}

/// Whether operation `id` is in a change that wrote a refused invite use.
fn in_refused_use(index: &ChangeIndex, facts: &Facts, id: &ObjId) -> bool {
    !facts.invites.refused_uses.is_empty()
        && index
            .change_of_id(id)
            .is_some_and(|c| facts.invites.refused_uses.contains(&c.hash))
}

/// The cut-offs a revocation records, as written with it (a later write
/// to `seen` moves nothing). Cached by revocation across rounds.
fn seen_of(
    doc: &AutoCommit,
    index: &ChangeIndex,
    revocation: &ObjId,
    cache: &mut HashMap<ObjId, BTreeMap<String, u64>>,
) -> BTreeMap<String, u64> {
    if let Some(seen) = cache.get(revocation) {
        return seen.clone();
    }
    let seen = match index.change_of_id(revocation) {
        Some(change) => read_seen(doc, revocation, Some(&[change.hash])),
        None => BTreeMap::new(),
    };
    cache.insert(revocation.clone(), seen.clone());
    seen
}

impl Authority {
    /// Computes the rules from a community document.
    pub fn read(doc: &mut AutoCommit) -> Self {
        let index = ChangeIndex::of(doc);
        Self::read_indexed(doc, &index)
    }

    /// Computes the rules from a community document and its change index.
    pub fn read_indexed(doc: &AutoCommit, index: &ChangeIndex) -> Self {
        let facts = Facts::read(doc, index);
        // Start from no one allowed anything but the community's first
        // change (its creator), then admit until nothing moves: each round
        // admits what the roles of the round before allow. Starting from
        // the roles as written would let a member who made themselves
        // admin admit their own change.
        let mut auth = Authority {
            legacy: !index
                .genesis
                .is_some_and(|g| crate::gate::signed_at(doc, &g)),
            ..Authority::default()
        };
        for (member, _, f) in &facts.members {
            if f.is_some() {
                auth.roles.insert(member.clone(), Role::Membre);
            }
        }
        let mut cache = HashMap::new();
        for _ in 0..MAX_ROUNDS {
            let next = auth.round(doc, index, &facts, &mut cache);
            let stable = next.roles == auth.roles
                && next.removed == auth.removed
                && next.cutoffs == auth.cutoffs
                && next.entries == auth.entries
                && next.devices == auth.devices;
            auth = next;
            if stable {
                break;
            }
        }
        auth.refused = facts
            .written
            .iter()
            .filter(|a| !auth.devices.contains_key(*a))
            .cloned()
            .collect();
        auth.uses = facts.invites.uses;
        auth.first_use_changes = facts.invites.first_use_changes;
        auth.invites_hold = invites_hold(doc, &auth, index, &facts.invites.fresh);
        auth
    }

    /// One round: the listing, then every guarded value, judged with the
    /// previous round's roles, removals and cut-offs.
    fn round(
        &self,
        doc: &AutoCommit,
        index: &ChangeIndex,
        facts: &Facts,
        cache: &mut HashMap<ObjId, BTreeMap<String, u64>>,
    ) -> Self {
        let (entries, devices) = self.listing(doc, index, facts);
        let judge = Authority {
            devices,
            entries,
            refused: BTreeSet::new(),
            roles: self.roles.clone(),
            removed: self.removed.clone(),
            cutoffs: self.cutoffs.clone(),
            legacy: self.legacy,
            ..Authority::default()
        };
        let mut by_member: BTreeMap<&MemberId, Vec<(&ActorId, &DeviceOf)>> = BTreeMap::new();
        for (actor, device) in &judge.devices {
            by_member
                .entry(&device.member)
                .or_default()
                .push((actor, device));
        }
        let mut roles = BTreeMap::new();
        let mut removed = BTreeSet::new();
        let mut cutoffs = BTreeMap::new();
        for (member, entry) in &judge.entries {
            let ok = |v: &Value<'_>, id: &ObjId| judge.admits_role(index, entry, v, id);
            let role = match admitted(doc, index, entry, "role", &ok) {
                Admitted::Current => read_role(doc, entry, None),
                Admitted::Earlier { value, .. } => role_of(&value),
                Admitted::Absent => None,
            };
            roles.insert(member.clone(), role.unwrap_or(Role::Membre));

            let ok = |v: &Value<'_>, id: &ObjId| judge.admits_removal(index, entry, member, v, id);
            let gone = match admitted(doc, index, entry, "removed_at", &ok) {
                Admitted::Current => {
                    !matches!(doc.get(entry, "removed_at"), Ok(Some((ref v, _))) if is_null(v))
                }
                Admitted::Earlier { value, .. } => !is_null(&value),
                Admitted::Absent => false,
            };
            if gone {
                removed.insert(member.clone());
            }
            for (actor, device) in by_member.get(member).into_iter().flatten() {
                if device.entry == ObjId::Root {
                    continue; // the creator's first change, no entry of its own
                }
                let ok = |v: &Value<'_>, id: &ObjId| {
                    judge.admits_revocation(index, &device.entry, member, v, id)
                };
                let revocation = match admitted(doc, index, &device.entry, "revoked", &ok) {
                    Admitted::Current => map_child(doc, &device.entry, "revoked"),
                    Admitted::Earlier {
                        value: Value::Object(ObjType::Map),
                        id,
                    } => Some(id),
                    _ => None,
                };
                if let Some(revocation) = revocation {
                    let seen = seen_of(doc, index, &revocation, cache);
                    cutoffs.insert((*actor).clone(), seen);
                }
            }
        }
        Authority {
            roles,
            removed,
            cutoffs,
            ..judge
        }
    }

    /// The member entries and devices the rules admit, with this round's
    /// roles, removals and cut-offs: a member entry created by a listed
    /// device where there was none; a device entry written with its member
    /// entry, by a device of that member, by a moderator, or by the use of
    /// a pairing invite for that member. Computed until nothing moves, in
    /// causal order, so a chain of admissions takes one pass.
    fn listing(
        &self,
        doc: &AutoCommit,
        index: &ChangeIndex,
        facts: &Facts,
    ) -> (BTreeMap<MemberId, ObjId>, HashMap<ActorId, DeviceOf>) {
        let mut entries: BTreeMap<MemberId, ObjId> = BTreeMap::new();
        let mut devices: HashMap<ActorId, DeviceOf> = HashMap::new();
        let Some(members_map) = &facts.members_map else {
            return (entries, devices);
        };
        // The actor of the community's first change is its creator's device
        // (the one of the entry written there; in a signed community it is
        // that device's own actor, listed as such).
        let creator = facts
            .members
            .iter()
            .find(|(_, winner, f)| f.is_some() && index.in_genesis(winner));
        if let (Some(actor), Some((member, _, _))) = (&index.genesis_actor, creator) {
            devices.insert(
                actor.clone(),
                DeviceOf {
                    member: member.clone(),
                    key: String::new(),
                    entry: ObjId::Root,
                },
            );
        }
        for _ in 0..MAX_PASSES {
            let before = (entries.clone(), devices.clone());
            for (member, winner, winner_facts) in &facts.members {
                let entry = match winner_facts {
                    Some(f)
                        if index.in_genesis(winner)
                            || f.fresh
                                && self.lists(index, &devices, &facts.written, winner)
                                && !in_refused_use(index, facts, winner) =>
                    {
                        Some((winner.clone(), None))
                    }
                    _ => {
                        let ok = |v: &Value<'_>, id: &ObjId| {
                            matches!(v, Value::Object(ObjType::Map))
                                && (index.in_genesis(id)
                                    || self.lists(index, &devices, &facts.written, id)
                                        && !in_refused_use(index, facts, id)
                                        && fresh(doc, index, members_map, member.as_str(), id))
                        };
                        match admitted(doc, index, members_map, member.as_str(), &ok) {
                            Admitted::Current => Some((winner.clone(), None)),
                            Admitted::Earlier { id, .. } => {
                                let f = EntryFacts::read(doc, index, members_map, member, &id);
                                Some((id, Some(f)))
                            }
                            Admitted::Absent => None,
                        }
                    }
                };
                let Some((entry, other)) = entry else {
                    entries.remove(member);
                    devices.retain(|_, d| &d.member != member);
                    continue;
                };
                let Some(entry_facts) = other.as_ref().or(winner_facts.as_ref()) else {
                    continue;
                };
                if entries.insert(member.clone(), entry.clone()).as_ref() != Some(&entry) {
                    // Another entry than in the pass before: its devices only.
                    devices.retain(|_, d| {
                        &d.member != member
                            || d.entry == ObjId::Root
                            || entry_facts
                                .devices
                                .iter()
                                .any(|(_, _, f)| f.as_ref().is_some_and(|f| f.entry == d.entry))
                    });
                }
                for (key, actor, device) in &entry_facts.devices {
                    let pick = match device {
                        Some(f) if self.admits_device(index, &devices, facts, member, f) => {
                            Some(f.clone())
                        }
                        _ => entry_facts.devices_map.as_ref().and_then(|map| {
                            let read = |id: &ObjId| {
                                DeviceFacts::read(doc, index, &entry, map, key.clone(), id.clone())
                            };
                            let ok = |v: &Value<'_>, id: &ObjId| {
                                matches!(v, Value::Object(ObjType::Map))
                                    && self.admits_device(index, &devices, facts, member, &read(id))
                            };
                            match admitted(doc, index, map, key, &ok) {
                                Admitted::Current => device.clone(),
                                Admitted::Earlier { id, .. } => Some(read(&id)),
                                Admitted::Absent => None,
                            }
                        }),
                    };
                    match (devices.get(actor), pick) {
                        // Listed for another member first.
                        (Some(d), _) if d.member != *member => {}
                        (_, Some(f)) => {
                            devices.insert(
                                actor.clone(),
                                DeviceOf {
                                    member: member.clone(),
                                    key: f.key,
                                    entry: f.entry,
                                },
                            );
                        }
                        (_, None) => {
                            devices.remove(actor);
                        }
                    }
                }
            }
            if before.0 == entries && before.1 == devices {
                break;
            }
        }
        (entries, devices)
    }

    /// Whether operation `id` is writing of a device in `devices`, not past
    /// its cut-off (or of the community's first change; or, in a legacy
    /// community, of an actor derived from no device key in `written`).
    fn lists(
        &self,
        index: &ChangeIndex,
        devices: &HashMap<ActorId, DeviceOf>,
        written: &BTreeSet<ActorId>,
        id: &ObjId,
    ) -> bool {
        match id {
            _ if index.in_genesis(id) => true,
            ObjId::Id(counter, actor, _) => {
                !self.is_late(C, actor, *counter)
                    && (devices.contains_key(actor) || self.legacy && !written.contains(actor))
            }
            ObjId::Root => true,
        }
    }

    /// Whether a device entry's addition is admitted (see [`Self::listing`]).
    fn admits_device(
        &self,
        index: &ChangeIndex,
        devices: &HashMap<ActorId, DeviceOf>,
        facts: &Facts,
        member: &MemberId,
        device: &DeviceFacts,
    ) -> bool {
        let id = &device.entry;
        if index.in_genesis(id) {
            return true;
        }
        let ObjId::Id(_, actor, _) = id else {
            return false;
        };
        if !self.lists(index, devices, &facts.written, id) || in_refused_use(index, facts, id) {
            return false;
        }
        if device.with_member {
            return true;
        }
        let writer = devices.get(actor);
        if writer.is_some_and(|w| self.is_moderator(&w.member)) {
            return true;
        }
        if !device.fresh {
            // A key already there (a revoked device) is added again only
            // by a moderator.
            return false;
        }
        if writer.is_some_and(|w| w.member == *member) && !self.removed.contains(member) {
            return true;
        }
        let lists = |i: &ObjId| self.lists(index, devices, &facts.written, i);
        facts.invites.pairings.get(&device.key).is_some_and(|uses| {
            uses.iter().any(|p| {
                p.member == *member
                    && index.same_change(&p.used, id)
                    && p.invite.as_ref().is_some_and(lists)
                    && lists(&p.named_by)
                    && match &p.named_by {
                        ObjId::Id(_, a, _) => devices
                            .get(a)
                            .is_some_and(|w| w.member == *member || self.is_moderator(&w.member)),
                        ObjId::Root => false,
                    }
            })
        })
    }

    /// Whether operation `id` may have written `value` as the role of the
    /// member entry `member`: an admin, or the change that added the member
    /// (`membre`, or any role from an animateur or admin).
    fn admits_role(
        &self,
        index: &ChangeIndex,
        member: &ObjId,
        value: &Value<'_>,
        id: &ObjId,
    ) -> bool {
        self.writer_is(index, C, id, |w| self.is_admin(w))
            || index.same_change(member, id)
                && self.writer_is(index, C, id, |_| true)
                && (role_of(value) == Some(Role::Membre)
                    || self.writer_is(index, C, id, |w| self.is_moderator(w)))
    }

    /// Whether operation `id` may have written `value` as the `removed_at`
    /// of the member entry `entry`: leaving, or a moderator's removal;
    /// clearing a removal takes an admin (a null written with the entry
    /// takes nothing).
    fn admits_removal(
        &self,
        index: &ChangeIndex,
        entry: &ObjId,
        member: &MemberId,
        value: &Value<'_>,
        id: &ObjId,
    ) -> bool {
        if is_null(value) {
            index.same_change(entry, id) && self.writer_is(index, C, id, |_| true)
                || self.writer_is(index, C, id, |w| self.is_admin(w))
        } else {
            self.writer_is(index, C, id, |w| w == member || self.is_moderator(w))
        }
    }

    /// Whether operation `id` may have written `value` as the `revoked` of
    /// the device entry `device` of `member`: the member or a moderator;
    /// clearing a revocation takes a moderator.
    fn admits_revocation(
        &self,
        index: &ChangeIndex,
        device: &ObjId,
        member: &MemberId,
        value: &Value<'_>,
        id: &ObjId,
    ) -> bool {
        if is_null(value) {
            index.same_change(device, id) && self.writer_is(index, C, id, |_| true)
                || self.writer_is(index, C, id, |w| self.is_moderator(w))
        } else {
            self.writer_is(index, C, id, |w| w == member || self.is_moderator(w))
        }
    }

    /// Whether operation `id` may have written `value` as an item's
    /// `moderation` or `locked`: a moderator, or a null with the item.
    fn admits_guard(
        &self,
        index: &ChangeIndex,
        kind: DocKind,
        item: &ObjId,
        value: &Value<'_>,
        id: &ObjId,
    ) -> bool {
        self.writer_is(index, kind, id, |w| self.is_moderator(w))
            || is_null(value)
                && index.same_change(item, id)
                && !matches!(id, ObjId::Id(c, a, _) if self.is_late(kind, a, *c))
    }

    /// Whether operation `id`, in a document of kind `kind`, comes from a
    /// listed device whose member passes `allowed`, and is not past its
    /// device's cut-off. The community's first change passes.
    fn writer_is(
        &self,
        index: &ChangeIndex,
        kind: DocKind,
        id: &ObjId,
        allowed: impl Fn(&MemberId) -> bool,
    ) -> bool {
        if kind == C && index.in_genesis(id) {
            return true;
        }
        let ObjId::Id(counter, actor, _) = id else {
            return true;
        };
        if self.is_late(kind, actor, *counter) {
            return false;
        }
        self.devices.get(actor).is_some_and(|d| allowed(&d.member))
    }

    /// Whether an operation comes after its device's cut-off.
    fn is_late(&self, kind: DocKind, actor: &ActorId, counter: u64) -> bool {
        self.cutoffs
            .get(actor)
            .is_some_and(|seen| counter > seen.get(kind.as_str()).copied().unwrap_or(0))
    }

    /// Whether the writing of operation `id`, in a document of kind `kind`,
    /// counts at all: not past its device's cut-off, and, in the community
    /// document, from a listed device (or its first change); elsewhere, not
    /// from a device the community lists without admitting it.
    fn counts(&self, index: &ChangeIndex, kind: DocKind, id: &ObjId) -> bool {
        if kind == C && index.in_genesis(id) {
            return true;
        }
        let ObjId::Id(counter, actor, _) = id else {
            return true;
        };
        if self.is_late(kind, actor, *counter) {
            return false;
        }
        if kind == C {
            self.devices.contains_key(actor) || self.legacy && !self.refused.contains(actor)
        } else {
            // Writers this community does not list at all (older copies'
            // random actors) are only judged on guarded fields.
            !self.refused.contains(actor)
        }
    }

    /// Whether a member is an admin (and was not removed).
    pub fn is_admin(&self, member: &MemberId) -> bool {
        !self.removed.contains(member) && self.roles.get(member) == Some(&Role::Admin)
    }

    /// Whether a member is an animateur or an admin (and was not removed).
    pub fn is_moderator(&self, member: &MemberId) -> bool {
        !self.removed.contains(member)
            && matches!(self.roles.get(member), Some(Role::Admin | Role::Animateur))
    }

    /// The role the rules admit for a member (`None`: not a member).
    pub fn role(&self, member: &MemberId) -> Option<Role> {
        self.roles.get(member).copied()
    }

    /// Whether the rules admit a member's removal.
    pub fn is_removed(&self, member: &MemberId) -> bool {
        self.removed.contains(member)
    }

    /// Whether a device's revocation is admitted.
    pub fn is_revoked(&self, device: &DeviceKey) -> bool {
        self.cutoffs.contains_key(&device.actor())
    }

    /// Whether nothing is revoked: no operation can be late.
    pub fn revokes_nothing(&self) -> bool {
        self.cutoffs.is_empty()
    }

    /// A digest of what decides admission (listed devices, roles, removals,
    /// cut-offs): the views of the other documents depend on it.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        let devices: BTreeMap<&ActorId, &DeviceOf> = self.devices.iter().collect();
        for (a, d) in devices {
            h.update(b"device");
            h.update(a.to_bytes());
            h.update(d.member.as_str().as_bytes());
        }
        for a in &self.refused {
            h.update(b"refused");
            h.update(a.to_bytes());
        }
        for (m, r) in &self.roles {
            h.update(m.as_str().as_bytes());
            h.update(r.as_str().as_bytes());
        }
        for m in &self.removed {
            h.update(b"removed");
            h.update(m.as_str().as_bytes());
        }
        for (a, seen) in &self.cutoffs {
            h.update(a.to_bytes());
            for (k, v) in seen {
                h.update(k.as_bytes());
                h.update(&v.to_le_bytes());
            }
        }
        *h.finalize().as_bytes()
    }
}

fn role_of(value: &Value<'_>) -> Option<Role> {
    str_of(value).and_then(|s| s.parse().ok())
}

fn read_role(doc: &AutoCommit, member: &ObjId, heads: Option<&[ChangeHash]>) -> Option<Role> {
    let value = match heads {
        Some(h) => doc.get_at(member, "role", h),
        None => doc.get(member, "role"),
    };
    value.ok().flatten().and_then(|(v, _)| role_of(&v))
}

/// A revocation's cut-offs, read at `heads` (or now).
fn read_seen(
    doc: &AutoCommit,
    revocation: &ObjId,
    heads: Option<&[ChangeHash]>,
) -> BTreeMap<String, u64> {
    let seen = match heads {
        Some(h) => doc.get_at(revocation, "seen", h),
        None => doc.get(revocation, "seen"),
    };
    let Ok(Some((Value::Object(ObjType::Map), seen))) = seen else {
        return BTreeMap::new();
    };
    let keys: Vec<String> = match heads {
        Some(h) => doc.keys_at(&seen, h).collect(),
        None => doc.keys(&seen).collect(),
    };
    keys.into_iter()
        .filter_map(|k| {
            let v = match heads {
                Some(h) => doc.get_at(&seen, k.as_str(), h),
                None => doc.get(&seen, k.as_str()),
            };
            match v.ok().flatten()? {
                (Value::Scalar(s), _) => match s.as_ref() {
                    ScalarValue::Int(n) => Some((k, u64::try_from(*n).unwrap_or(0))),
                    ScalarValue::Uint(n) => Some((k, *n)),
                    _ => None,
                },
                _ => None,
            }
        })
        .collect()
}

/// What the rules left out of one document, by writing device.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ignored {
    /// Values ignored, by the key of the device that wrote them.
    pub by_device: BTreeMap<String, usize>,
}

impl Ignored {
    /// How many values were ignored in all.
    pub fn total(&self) -> usize {
        self.by_device.values().sum()
    }
}

/// A document read through the rules: a copy with every value the rules do
/// not admit replaced by the admitted one before it (or removed), and what
/// was left out. `None` when the rules admit the document as it is.
/// `index` indexes the document's changes ([`ChangeIndex::of`]).
pub fn sanitize(
    doc: &AutoCommit,
    kind: DocKind,
    auth: &Authority,
    index: &ChangeIndex,
) -> Option<(AutoCommit, Ignored)> {
    let mut fork = doc.clone();
    let mut ignored = Ignored::default();
    let mut walker = Walker {
        doc,
        index,
        kind,
        auth,
        fork: &mut fork,
        ignored: &mut ignored,
        path: Vec::new(),
    };
    walker.map(&automerge::ROOT, &automerge::ROOT);
    if ignored.total() == 0 {
        return None;
    }
    Some((fork, ignored))
}

/// Whether a document holds operations of a revoked device past its
/// cut-off, or of a device the community lists without admitting it: then
/// only [`sanitize`] reads it right.
pub fn has_late(index: &ChangeIndex, kind: DocKind, auth: &Authority) -> bool {
    auth.cutoffs
        .iter()
        .any(|(actor, seen)| index.max_op(actor) > seen.get(kind.as_str()).copied().unwrap_or(0))
        || auth.refused.iter().any(|actor| index.max_op(actor) > 0)
}

/// Whether the guarded fields (`moderation`, `locked`) of the items `keys`
/// of collection `coll` hold only what their writers were allowed to write.
/// Cheap: only those two fields of those items are read.
pub fn guards_hold<'k>(
    doc: &AutoCommit,
    kind: DocKind,
    auth: &Authority,
    index: &ChangeIndex,
    coll: &str,
    keys: impl IntoIterator<Item = &'k str>,
) -> bool {
    let Ok(Some((Value::Object(ObjType::Map), coll))) = doc.get(automerge::ROOT, coll) else {
        return true;
    };
    keys.into_iter().all(|key| {
        let Ok(Some((Value::Object(ObjType::Map), item))) = doc.get(&coll, key) else {
            return true;
        };
        ["moderation", "locked"]
            .into_iter()
            .all(|field| match doc.get(&item, field) {
                Ok(Some((value, id))) => {
                    let ok =
                        |v: &Value<'_>, id: &ObjId| auth.admits_guard(index, kind, &item, v, id);
                    ok(&value, &id)
                        || is_null(&value)
                            && match admitted(doc, index, &item, field, &ok) {
                                // A null over nothing takes nothing.
                                Admitted::Earlier { value, .. } => is_null(&value),
                                Admitted::Absent => true,
                                Admitted::Current => true,
                            }
                }
                _ => true,
            })
    })
}

/// Whether the invites, as written, hold only what the rules admit.
fn invites_hold(
    doc: &AutoCommit,
    auth: &Authority,
    index: &ChangeIndex,
    fresh: &HashMap<String, bool>,
) -> bool {
    let Some(invites) = map_child(doc, &automerge::ROOT, "invites") else {
        return true;
    };
    doc.map_range(&invites, ..).all(|item| {
        let invite = item.id();
        if !(auth.counts(index, C, &invite) && fresh.get(item.key.as_ref()) == Some(&true)) {
            return false;
        }
        if !matches!(item.value, automerge::ValueRef::Object(ObjType::Map)) {
            return true;
        }
        doc.map_range(&invite, ..).all(|field| {
            let id = field.id();
            auth.counts(index, C, &id)
                && admits_invite_field(
                    doc,
                    auth,
                    index,
                    &invite,
                    &field.key,
                    &Value::from(field.value),
                    &id,
                )
        })
    })
}

/// Whether operation `id` may have created the invite `invites[key]`: where
/// there was none (an invite is never written again).
fn admits_invite_key(
    doc: &AutoCommit,
    auth: &Authority,
    index: &ChangeIndex,
    invites: &ObjId,
    key: &str,
    _value: &Value<'_>,
    id: &ObjId,
) -> bool {
    auth.counts(index, C, id) && fresh(doc, index, invites, key, id)
}

/// Whether operation `id` may have written `value` at `invite[field]`.
fn admits_invite_field(
    doc: &AutoCommit,
    auth: &Authority,
    index: &ChangeIndex,
    invite: &ObjId,
    field: &str,
    value: &Value<'_>,
    id: &ObjId,
) -> bool {
    let with_invite = index.same_change(invite, id);
    match field {
        // Used once, from empty.
        "used_by" => {
            if is_null(value) {
                with_invite
            } else {
                match auth.uses.get(id) {
                    Some(first) => *first,
                    None => first_use(doc, index, invite, id),
                }
            }
        }
        // With a first use.
        "used_at" | "use_proof" => {
            if is_null(value) {
                with_invite
            } else {
                index
                    .change_of_id(id)
                    .is_some_and(|c| auth.first_use_changes.contains(&c.hash))
            }
        }
        // Withdrawn for good.
        "revoked" => with_invite || is_true(value),
        // A pairing ticket: by the member it names or a moderator.
        "member" => {
            with_invite
                && match str_of(value) {
                    Some(named) => auth.writer_is(index, C, id, |w| {
                        w.as_str() == named || auth.is_moderator(w)
                    }),
                    None => is_null(value),
                }
        }
        // Its secret, expiry, author and dates: with the invite only.
        _ => with_invite,
    }
}

/// Whether the community document's members, as written, are what the
/// rules admit (entries, listed devices, roles, removals, revocations), no
/// one else wrote in it, its invites hold, and its groups' and annuaire
/// entries' guarded fields hold.
pub fn community_holds(doc: &AutoCommit, auth: &Authority, index: &ChangeIndex) -> bool {
    if !auth.legacy
        && index
            .writers()
            .any(|actor| !auth.devices.contains_key(actor))
    {
        return false;
    }
    let members = member_objects(doc);
    if members.len() != auth.entries.len() {
        return false;
    }
    let members_hold = members.into_iter().all(|(member, obj)| {
        if auth.entries.get(&member) != Some(&obj) {
            return false;
        }
        let role = read_role(doc, &obj, None).unwrap_or(Role::Membre);
        let removed = matches!(doc.get(&obj, "removed_at"), Ok(Some((ref v, _))) if !is_null(v));
        let devices_hold = match doc.get(&obj, "devices") {
            Ok(Some((Value::Object(ObjType::Map), devices))) => {
                index.same_change(&obj, &devices)
                    && doc.keys(&devices).all(|key| {
                        let device = DeviceKey(key);
                        let Some(entry) = map_child(doc, &devices, device.as_str()) else {
                            return false;
                        };
                        let listed = auth
                            .devices
                            .get(&device.actor())
                            .is_some_and(|d| d.member == member && d.entry == entry);
                        let revocation = map_child(doc, &entry, "revoked");
                        listed
                            && revocation.is_some() == auth.is_revoked(&device)
                            && revocation.is_none_or(|r| {
                                auth.cutoffs.get(&device.actor()) == Some(&read_seen(doc, &r, None))
                            })
                    })
            }
            _ => false,
        };
        Some(role) == auth.role(&member) && removed == auth.is_removed(&member) && devices_hold
    });
    members_hold
        && auth.invites_hold
        && ["groups", "actors"].into_iter().all(|coll| {
            let keys: Vec<String> = match doc.get(automerge::ROOT, coll) {
                Ok(Some((_, obj))) => doc.keys(&obj).collect(),
                _ => Vec::new(),
            };
            guards_hold(
                doc,
                DocKind::Community,
                auth,
                index,
                coll,
                keys.iter().map(String::as_str),
            )
        })
}

struct Walker<'a> {
    doc: &'a AutoCommit,
    index: &'a ChangeIndex,
    kind: DocKind,
    auth: &'a Authority,
    fork: &'a mut AutoCommit,
    ignored: &'a mut Ignored,
    /// The keys from the root to the map being walked.
    path: Vec<String>,
}

impl Walker<'_> {
    /// Judges the keys of `src` (in the document) and writes what the rules
    /// admit into `dst` (its copy in the fork: the same object, or one
    /// restored from an earlier value).
    fn map(&mut self, src: &ObjId, dst: &ObjId) {
        use automerge::transaction::Transactable;
        let keys: Vec<String> = self.doc.keys(src).collect();
        for key in keys {
            let Ok(Some((current, child))) = self.doc.get(src, &key) else {
                continue;
            };
            let verdict = {
                let ok = |v: &Value<'_>, id: &ObjId| self.admits(src, &key, v, id);
                admitted(self.doc, self.index, src, &key, &ok)
            };
            match verdict {
                Admitted::Current => {
                    if let Value::Object(ObjType::Map) = current {
                        let target = if src == dst {
                            child.clone()
                        } else {
                            match self.fork.get(dst, &key) {
                                Ok(Some((Value::Object(ObjType::Map), t))) => t,
                                _ => continue,
                            }
                        };
                        self.path.push(key);
                        self.map(&child, &target);
                        self.path.pop();
                    }
                }
                Admitted::Earlier { value, id } => {
                    if same_value(&current, Some(&value)) {
                        continue;
                    }
                    self.note(src, &key);
                    self.restore(dst, key, value, &id);
                }
                Admitted::Absent => {
                    let member_role = self.kind == C
                        && key == "role"
                        && self.path.len() == 2
                        && self.path[0] == "members";
                    if member_role {
                        // A member entry always has a role: the least one.
                        let least = Value::from(Role::Membre.as_str());
                        if same_value(&current, Some(&least)) {
                            continue;
                        }
                        self.note(src, &key);
                        let _ = self.fork.put(dst, key.as_str(), Role::Membre.as_str());
                    } else {
                        if same_value(&current, None) {
                            continue;
                        }
                        self.note(src, &key);
                        let _ = if nullable(self.kind, &self.path, &key) {
                            // Read as "none", as when it was written empty.
                            self.fork.put(dst, key.as_str(), ScalarValue::Null)
                        } else {
                            self.fork.delete(dst, key.as_str())
                        };
                    }
                }
            }
        }
    }

    /// Whether operation `id` may have written `value` at `obj[key]`.
    fn admits(&self, obj: &ObjId, key: &str, value: &Value<'_>, id: &ObjId) -> bool {
        let auth = self.auth;
        let (doc, index, kind) = (self.doc, self.index, self.kind);
        if kind == C && index.in_genesis(id) {
            return true;
        }
        if !auth.counts(index, kind, id) {
            return false;
        }
        let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
        match (kind, path.as_slice(), key) {
            (C, ["members"], member) => auth.entries.get(&MemberId(member.to_owned())) == Some(id),
            (C, ["members", _], "role") => auth.admits_role(index, obj, value, id),
            (C, ["members", member], "removed_at") => {
                auth.admits_removal(index, obj, &MemberId((*member).to_owned()), value, id)
            }
            (C, ["members", _], "devices") => index.same_change(obj, id),
            (C, ["members", member, "devices"], device) => auth
                .devices
                .get(&DeviceKey(device.to_owned()).actor())
                .is_some_and(|d| d.member.as_str() == *member && d.entry == *id),
            (C, ["members", member, "devices", _], "revoked") => {
                auth.admits_revocation(index, obj, &MemberId((*member).to_owned()), value, id)
            }
            // What a revocation records: as written with it.
            (C, ["members", _, "devices", _, "revoked", ..], _) => index.same_change(obj, id),
            (C, ["invites"], invite) => admits_invite_key(doc, auth, index, obj, invite, value, id),
            (C, ["invites", _], field) => {
                admits_invite_field(doc, auth, index, obj, field, value, id)
            }
            (_, [_, _], "moderation" | "locked") => auth.admits_guard(index, kind, obj, value, id),
            _ => true,
        }
    }

    fn note(&mut self, obj: &ObjId, key: &str) {
        let writer = match self.doc.get(obj, key) {
            Ok(Some((_, ObjId::Id(_, actor, _)))) => self
                .auth
                .devices
                .get(&actor)
                .filter(|d| !d.key.is_empty())
                .map_or_else(|| actor.to_hex_string(), |d| d.key.clone()),
            _ => String::from("?"),
        };
        *self.ignored.by_device.entry(writer).or_default() += 1;
    }

    /// Writes an earlier value back into the copy: a scalar as it was, an
    /// object as it is now, its maps judged in turn.
    fn restore(&mut self, dst: &ObjId, key: String, value: Value<'static>, id: &ObjId) {
        use automerge::transaction::Transactable;
        match value {
            Value::Scalar(s) => {
                let _ = self.fork.put(dst, key.as_str(), s.into_owned());
            }
            Value::Object(t) => {
                if let Ok(target) = self.fork.put_object(dst, key.as_str(), t) {
                    copy_object(self.doc, id, None, self.fork, &target, t);
                    if t == ObjType::Map {
                        self.path.push(key);
                        self.map(id, &target);
                        self.path.pop();
                    }
                }
            }
        }
    }
}

/// Copies an object as it was at `heads` (or now) into `target`.
fn copy_object(
    src: &AutoCommit,
    obj: &ObjId,
    heads: Option<&[ChangeHash]>,
    dst: &mut AutoCommit,
    target: &ObjId,
    t: ObjType,
) {
    use automerge::transaction::Transactable;
    match t {
        ObjType::Map | ObjType::Table => {
            let keys: Vec<String> = match heads {
                Some(h) => src.keys_at(obj, h).collect(),
                None => src.keys(obj).collect(),
            };
            for k in keys {
                let got = match heads {
                    Some(h) => src.get_at(obj, k.as_str(), h),
                    None => src.get(obj, k.as_str()),
                };
                match got {
                    Ok(Some((Value::Scalar(s), _))) => {
                        let _ = dst.put(target, k.as_str(), s.into_owned());
                    }
                    Ok(Some((Value::Object(ct), child))) => {
                        if let Ok(new) = dst.put_object(target, k.as_str(), ct) {
                            copy_object(src, &child, heads, dst, &new, ct);
                        }
                    }
                    _ => {}
                }
            }
        }
        ObjType::Text => {
            let text = match heads {
                Some(h) => src.text_at(obj, h),
                None => src.text(obj),
            };
            if let Ok(text) = text {
                let _ = dst.splice_text(target, 0, 0, &text);
            }
        }
        ObjType::List => {
            let len = match heads {
                Some(h) => src.length_at(obj, h),
                None => src.length(obj),
            };
            for i in 0..len {
                let got = match heads {
                    Some(h) => src.get_at(obj, i, h),
                    None => src.get(obj, i),
                };
                match got {
                    Ok(Some((Value::Scalar(s), _))) => {
                        let _ = dst.insert(target, i, s.into_owned());
                    }
                    Ok(Some((Value::Object(ct), child))) => {
                        if let Ok(new) = dst.insert_object(target, i, ct) {
                            copy_object(src, &child, heads, dst, &new, ct);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The members of a community document as its rules admit them.
pub fn members(doc: &mut AutoCommit) -> Vec<crate::entities::Member> {
    let index = ChangeIndex::of(doc);
    let auth = Authority::read_indexed(doc, &index);
    let hydrate = |d: &AutoCommit| -> Vec<crate::entities::Member> {
        let Ok(Some((_, members))) = d.get(automerge::ROOT, "members") else {
            return Vec::new();
        };
        d.keys(&members)
            .filter_map(|key| autosurgeon::hydrate_prop(d, &members, key.as_str()).ok())
            .collect()
    };
    let clean = (has_late(&index, DocKind::Community, &auth)
        || !community_holds(doc, &auth, &index))
    .then(|| sanitize(doc, DocKind::Community, &auth, &index))
    .flatten();
    match clean {
        Some((clean, _)) => hydrate(&clean),
        None => hydrate(doc),
    }
}

/// The keys of the devices the rules let sync: active devices of members
/// not removed. The membership gate of sync.
pub fn active_devices(doc: &mut AutoCommit) -> BTreeSet<String> {
    members(doc)
        .into_iter()
        .filter(crate::entities::Member::is_active)
        .flat_map(|m| m.devices.into_iter())
        .filter(|(_, d)| d.is_active())
        .map(|(key, _)| key)
        .collect()
}
