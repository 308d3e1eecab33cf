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
//!   held of it) is ignored, whatever it wrote;
//! - a member's `role` must be written by an admin, or come with the member
//!   entry itself (`membre`, or any role from an animateur or admin);
//! - `removed_at` and a device's `revoked` by the member or a moderator;
//! - an item's `moderation` and `locked` by a moderator (animateur, admin).
//!
//! When the value in force is not admitted, the one before it is read from
//! the document's history (at the dependencies of the change that wrote it),
//! going back until an admitted one; an item or entry that was created by
//! an ignored operation is left out. Roles, removals and revocations depend
//! on each other (who is admin decides which role changes count), so they
//! are computed together until they no longer move; the community's first
//! change (its creator, admin) is admitted as it is.
//!
//! Deletions and the characters of texts carry no writer a reader can undo:
//! they are not covered (docs/SECURITY.md says so).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use automerge::{ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value};

use crate::entities::Role;
use crate::ids::{DeviceKey, MemberId};
use crate::layout::DocKind;

/// How far back in a value's history a device looks for an admitted one.
const MAX_HISTORY: usize = 64;
/// Most rounds of the roles/removals/revocations computation.
const MAX_ROUNDS: usize = 32;

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
#[derive(Clone, Debug, Default)]
pub struct ChangeIndex {
    by_actor: HashMap<ActorId, Vec<ChangeSpan>>,
    /// The document's first change (no dependencies, first of its actor).
    genesis: Option<ChangeHash>,
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
        if heads.iter().any(|h| doc.get_change_by_hash(h).is_none()) {
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

    /// The highest operation counter of an actor in this document.
    fn max_op(&self, actor: &ActorId) -> u64 {
        self.by_actor
            .get(actor)
            .and_then(|s| s.iter().map(|s| s.max_op).max())
            .unwrap_or(0)
    }

    fn in_genesis(&self, id: &ObjId) -> bool {
        match id {
            ObjId::Id(counter, actor, _) => self
                .change_of(*counter, actor)
                .is_some_and(|c| Some(c.hash) == self.genesis),
            ObjId::Root => true,
        }
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
    /// An earlier (or concurrent) admitted value, readable at `heads`
    /// (`None`: at the current heads).
    Earlier {
        value: Value<'static>,
        id: ObjId,
        heads: Option<Vec<ChangeHash>>,
    },
    /// Nothing admitted was ever written there.
    Absent,
}

/// Picks the value the rules admit at `obj[key]`.
fn admitted(
    doc: &AutoCommit,
    index: &ChangeIndex,
    obj: &ObjId,
    key: &str,
    ok: &dyn Fn(&ObjId) -> bool,
) -> Admitted {
    let Ok(Some((_, winner))) = doc.get(obj, key) else {
        return Admitted::Absent;
    };
    if ok(&winner) {
        return Admitted::Current;
    }
    let mut values = doc.get_all(obj, key).unwrap_or_default();
    let mut heads: Option<Vec<ChangeHash>> = None;
    for _ in 0..MAX_HISTORY {
        if let Some((value, id)) = values
            .iter()
            .filter(|(_, id)| ok(id))
            .max_by(|a, b| op_order(&a.1, &b.1))
        {
            return Admitted::Earlier {
                value: value.clone().into_owned(),
                id: id.clone(),
                heads,
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
        heads = Some(before);
    }
    Admitted::Absent
}

/// Whether operation `id` wrote null at `obj[key]` where nothing else was
/// (in the change that created `obj`, or over no earlier value): a field
/// only some members may set, written empty along with its item, takes
/// nothing from anyone.
fn clears_nothing(
    doc: &AutoCommit,
    index: &ChangeIndex,
    obj: &ObjId,
    key: &str,
    id: &ObjId,
) -> bool {
    let null = doc
        .get_all(obj, key)
        .unwrap_or_default()
        .into_iter()
        .any(|(v, i)| &i == id && matches!(v, Value::Scalar(ref s) if s.is_null()));
    if !null {
        return false;
    }
    if index.same_change(obj, id) {
        return true;
    }
    let ObjId::Id(counter, actor, _) = id else {
        return false;
    };
    let Some(change) = index.change_of(*counter, actor) else {
        return false;
    };
    doc.get_all_at(obj, key, &change.deps)
        .unwrap_or_default()
        .iter()
        .all(|(v, _)| matches!(v, Value::Scalar(s) if s.is_null()))
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

/// A device as the community document lists it.
#[derive(Clone, Debug)]
struct DeviceOf {
    member: MemberId,
    key: String,
}

/// Who may write what in a community: its members' admitted roles,
/// removals and device revocations, read from the community document.
#[derive(Clone, Debug, Default)]
pub struct Authority {
    devices: HashMap<ActorId, DeviceOf>,
    roles: BTreeMap<MemberId, Role>,
    removed: BTreeSet<MemberId>,
    /// For each revoked device's actor, its cut-off per document kind.
    cutoffs: BTreeMap<ActorId, BTreeMap<String, u64>>,
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

impl Authority {
    /// Computes the rules from a community document.
    pub fn read(doc: &mut AutoCommit) -> Self {
        let index = ChangeIndex::of(doc);
        Self::read_indexed(doc, &index)
    }

    /// Computes the rules from a community document and its change index.
    pub fn read_indexed(doc: &AutoCommit, index: &ChangeIndex) -> Self {
        let members = member_objects(doc);
        let mut devices = HashMap::new();
        for (member, obj) in &members {
            if let Some(map) = map_child(doc, obj, "devices") {
                for key in doc.keys(&map) {
                    let actor = DeviceKey(key.clone()).actor();
                    devices.insert(
                        actor,
                        DeviceOf {
                            member: member.clone(),
                            key,
                        },
                    );
                }
            }
        }
        let mut auth = Authority {
            devices,
            ..Default::default()
        };
        // Start from no one allowed anything but the community's first
        // change (its creator), then admit until nothing moves: each round
        // admits what the roles of the round before allow. Starting from
        // the roles as written would let a member who made themselves
        // admin admit their own change.
        for (member, _) in &members {
            auth.roles.insert(member.clone(), Role::Membre);
        }
        for _ in 0..MAX_ROUNDS {
            let next = auth.round(doc, index, &members);
            let stable = next.roles == auth.roles
                && next.removed == auth.removed
                && next.cutoffs == auth.cutoffs;
            auth = next;
            if stable {
                break;
            }
        }
        auth
    }

    /// One round: every guarded value judged with the previous round's roles.
    fn round(&self, doc: &AutoCommit, index: &ChangeIndex, members: &[(MemberId, ObjId)]) -> Self {
        let mut next = Authority {
            devices: self.devices.clone(),
            ..Default::default()
        };
        for (member, obj) in members {
            let ok = |id: &ObjId| self.admits_role(doc, index, obj, id);
            let role = match admitted(doc, index, obj, "role", &ok) {
                Admitted::Current => read_role(doc, obj, None),
                Admitted::Earlier { value, .. } => role_of(&value),
                Admitted::Absent => None,
            };
            next.roles
                .insert(member.clone(), role.unwrap_or(Role::Membre));

            let self_or_moderator = |id: &ObjId| {
                self.writer_is(index, DocKind::Community, id, |w| {
                    w == member || self.is_moderator(w)
                })
            };
            let removal = |id: &ObjId| {
                self_or_moderator(id) || clears_nothing(doc, index, obj, "removed_at", id)
            };
            let removed = match admitted(doc, index, obj, "removed_at", &removal) {
                Admitted::Current => {
                    !matches!(doc.get(obj, "removed_at"), Ok(Some((Value::Scalar(s), _))) if s.is_null())
                }
                Admitted::Earlier { value, .. } => {
                    !matches!(value, Value::Scalar(ref s) if s.is_null())
                }
                Admitted::Absent => false,
            };
            if removed {
                next.removed.insert(member.clone());
            }
            let Some(device_map) = map_child(doc, obj, "devices") else {
                continue;
            };
            for key in doc.keys(&device_map) {
                let Some(device) = map_child(doc, &device_map, &key) else {
                    continue;
                };
                let revocation = |id: &ObjId| {
                    self_or_moderator(id) || clears_nothing(doc, index, &device, "revoked", id)
                };
                let seen = match admitted(doc, index, &device, "revoked", &revocation) {
                    Admitted::Current => match doc.get(&device, "revoked") {
                        Ok(Some((Value::Object(ObjType::Map), rev))) => {
                            Some(read_seen(doc, &rev, None))
                        }
                        _ => None,
                    },
                    Admitted::Earlier {
                        value: Value::Object(ObjType::Map),
                        id,
                        heads,
                    } => Some(read_seen(doc, &id, heads.as_deref())),
                    _ => None,
                };
                if let Some(seen) = seen {
                    next.cutoffs.insert(DeviceKey(key).actor(), seen);
                }
            }
        }
        next
    }

    /// Whether operation `id` may have written the role of the member entry
    /// `member`: an admin, or the change that added the member (`membre`,
    /// or any role from an animateur or admin).
    fn admits_role(
        &self,
        doc: &AutoCommit,
        index: &ChangeIndex,
        member: &ObjId,
        id: &ObjId,
    ) -> bool {
        let c = DocKind::Community;
        self.writer_is(index, c, id, |w| self.is_admin(w))
            || index.same_change(member, id)
                && (read_role_value(doc, member, id) == Some(Role::Membre)
                    || self.writer_is(index, c, id, |w| self.is_moderator(w)))
    }

    /// Whether operation `id`, in a document of kind `kind`, comes from a
    /// device whose member passes `allowed`, and is not past its device's
    /// cut-off. The community's first change passes.
    fn writer_is(
        &self,
        index: &ChangeIndex,
        kind: DocKind,
        id: &ObjId,
        allowed: impl Fn(&MemberId) -> bool,
    ) -> bool {
        if kind == DocKind::Community && index.in_genesis(id) {
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

    /// Whether a member is an admin (and was not removed).
    pub fn is_admin(&self, member: &MemberId) -> bool {
        !self.removed.contains(member) && self.roles.get(member) == Some(&Role::Admin)
    }

    /// Whether a member is an animateur or an admin (and was not removed).
    pub fn is_moderator(&self, member: &MemberId) -> bool {
        !self.removed.contains(member)
            && matches!(self.roles.get(member), Some(Role::Admin | Role::Animateur))
    }

    /// The role the rules admit for a member.
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

    /// A digest of what decides admission (roles, removals, cut-offs): the
    /// views of the other documents depend on it.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
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
    match value {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(s) => s.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

fn read_role(doc: &AutoCommit, member: &ObjId, heads: Option<&[ChangeHash]>) -> Option<Role> {
    let value = match heads {
        Some(h) => doc.get_at(member, "role", h),
        None => doc.get(member, "role"),
    };
    value.ok().flatten().and_then(|(v, _)| role_of(&v))
}

/// The role value written by operation `id` (one of the conflicting values).
fn read_role_value(doc: &AutoCommit, member: &ObjId, id: &ObjId) -> Option<Role> {
    doc.get_all(member, "role")
        .ok()?
        .into_iter()
        .find(|(_, i)| i == id)
        .and_then(|(v, _)| role_of(&v))
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
    walker.map(&automerge::ROOT);
    if ignored.total() == 0 {
        return None;
    }
    Some((fork, ignored))
}

/// Whether a document holds operations of a revoked device past its
/// cut-off: then only [`sanitize`] reads it right.
pub fn has_late(index: &ChangeIndex, kind: DocKind, auth: &Authority) -> bool {
    auth.cutoffs
        .iter()
        .any(|(actor, seen)| index.max_op(actor) > seen.get(kind.as_str()).copied().unwrap_or(0))
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
                Ok(Some((_, id))) => {
                    auth.writer_is(index, kind, &id, |w| auth.is_moderator(w))
                        || clears_nothing(doc, index, &item, field, &id)
                }
                _ => true,
            })
    })
}

/// Whether the community document's members, as written, are what the
/// rules admit (roles, removals, revocations), and its groups' and
/// annuaire entries' guarded fields hold.
pub fn community_holds(doc: &AutoCommit, auth: &Authority, index: &ChangeIndex) -> bool {
    let members_hold = member_objects(doc).into_iter().all(|(member, obj)| {
        let role = read_role(doc, &obj, None).unwrap_or(Role::Membre);
        let removed = matches!(doc.get(&obj, "removed_at"), Ok(Some((Value::Scalar(ref s), _))) if !s.is_null());
        let revocations_hold = map_child(doc, &obj, "devices").is_none_or(|devices| {
            doc.keys(&devices).all(|key| {
                let written = map_child(doc, &devices, &key)
                    .is_some_and(|d| map_child(doc, &d, "revoked").is_some());
                written == auth.is_revoked(&DeviceKey(key))
            })
        });
        Some(role) == auth.role(&member) && removed == auth.is_removed(&member) && revocations_hold
    });
    members_hold
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
    fn map(&mut self, obj: &ObjId) {
        let keys: Vec<String> = self.doc.keys(obj).collect();
        for key in keys {
            let verdict = {
                let ok = |id: &ObjId| self.admits(obj, &key, id);
                admitted(self.doc, self.index, obj, &key, &ok)
            };
            match verdict {
                Admitted::Current => {
                    if let Ok(Some((Value::Object(ObjType::Map), child))) = self.doc.get(obj, &key)
                    {
                        self.path.push(key);
                        self.map(&child);
                        self.path.pop();
                    }
                }
                Admitted::Earlier { value, id, heads } => {
                    self.note(obj, &key);
                    self.restore(obj, &key, value, &id, heads.as_deref());
                }
                Admitted::Absent => {
                    self.note(obj, &key);
                    use automerge::transaction::Transactable;
                    let _ = if self.kind == DocKind::Community
                        && key == "role"
                        && self.path.len() == 2
                        && self.path[0] == "members"
                    {
                        // A member entry always has a role: the least one.
                        self.fork.put(obj, key.as_str(), Role::Membre.as_str())
                    } else {
                        self.fork.delete(obj, key.as_str())
                    };
                }
            }
        }
    }

    /// Whether operation `id` may have written `obj[key]`.
    fn admits(&self, obj: &ObjId, key: &str, id: &ObjId) -> bool {
        let auth = self.auth;
        let (index, kind) = (self.index, self.kind);
        let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
        match (kind, path.as_slice(), key) {
            (DocKind::Community, ["members", _], "role") => {
                auth.admits_role(self.doc, index, obj, id)
            }
            (DocKind::Community, ["members", member], "removed_at")
            | (DocKind::Community, ["members", member, "devices", _], "revoked") => {
                auth.writer_is(index, kind, id, |w| {
                    w.as_str() == *member || auth.is_moderator(w)
                }) || clears_nothing(self.doc, index, obj, key, id)
            }
            (_, [_, _], "moderation" | "locked") => {
                auth.writer_is(index, kind, id, |w| auth.is_moderator(w))
                    || clears_nothing(self.doc, index, obj, key, id)
            }
            _ => {
                if kind == DocKind::Community && index.in_genesis(id) {
                    return true;
                }
                match id {
                    // Writers this community does not list (older copies'
                    // random actors) are only judged on guarded fields.
                    ObjId::Id(counter, actor, _) => !auth.is_late(kind, actor, *counter),
                    ObjId::Root => true,
                }
            }
        }
    }

    fn note(&mut self, obj: &ObjId, key: &str) {
        let writer = match self.doc.get(obj, key) {
            Ok(Some((_, ObjId::Id(_, actor, _)))) => self
                .auth
                .devices
                .get(&actor)
                .map_or_else(|| actor.to_hex_string(), |d| d.key.clone()),
            _ => String::from("?"),
        };
        *self.ignored.by_device.entry(writer).or_default() += 1;
    }

    /// Writes an earlier value back into the copy.
    fn restore(
        &mut self,
        obj: &ObjId,
        key: &str,
        value: Value<'static>,
        id: &ObjId,
        heads: Option<&[ChangeHash]>,
    ) {
        use automerge::transaction::Transactable;
        match value {
            Value::Scalar(s) => {
                let _ = self.fork.put(obj, key, s.into_owned());
            }
            Value::Object(t) => {
                if let Ok(target) = self.fork.put_object(obj, key, t) {
                    copy_object(self.doc, id, heads, self.fork, &target, t);
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
