//! The gate every foreign change passes before it is merged: from a peer's
//! sync message, a proof, an offline bundle, a stored file.
//!
//! A received change is applied only if:
//! - its place in its actor's history is sound: sequence numbers follow
//!   each other with no gap, and a second change under an actor and
//!   sequence already held (*equivocation*: proof that a device misbehaves)
//!   is refused, the first one kept;
//! - it comes from a device: in a community whose genesis says
//!   `signed` (or, for a document whose signed epoch is held,
//!   [`crate::epoch`]), every change is vouched by its own device's signature
//!   ([`crate::signing`]), directly or through a later signed change of the
//!   same device that depends on it; the actor must be the one derived from
//!   the signing key;
//! - that device was listed in the community when it wrote: for the
//!   community document, in the document *at the change's own
//!   dependencies* (its causal past), so the outcome is the same on every
//!   device whatever order they met in and a stranger can never list
//!   themselves; for a collection document, in the community document as
//!   held (merged first);
//! - it is no second genesis: only the first change of an empty document
//!   may have no dependencies, and a collection's genesis comes from the
//!   community's creator;
//! - it rewrites no root key only the genesis writes (`kind`, `community`,
//!   `schema`: [`crate::wellformed`]), and, in the community document, it
//!   deletes or replaces no member entry, no member's `devices`, no device
//!   entry and not `members` itself ([`UNLISTS`]): a device key once listed
//!   stays listed, its `revoked` field is how it stops.
//!
//! What depends on a refused change is refused too. Changes whose
//! dependencies are not here (neither held nor in the batch) are not
//! applied (Automerge would keep them aside and apply them later, unjudged):
//! the peer sends them again with what they need.
//!
//! What each member may write (roles, removals, moderation...) is then
//! judged where the documents are read, by [`crate::admission`].

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::{ActorId, AutoCommit, Change, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, Value};

use crate::ids::DeviceKey;
use crate::signing::{Signatures, Signed};

/// Why a change was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// No valid signature of its device vouches for it.
    Unsigned,
    /// Its device is not listed in the community (at its causal past).
    NotListed,
    /// Another change of the same device and sequence is held.
    Equivocation {
        /// The change held under that actor and sequence.
        held_seq: u64,
    },
    /// Its sequence number skips some.
    SequenceGap,
    /// A change with no dependencies where the document already has its genesis.
    SecondGenesis,
    /// It depends on a refused change.
    AfterRefused,
    /// Automerge refused or could not apply it.
    Malformed(String),
    /// A genesis that is not the named community's ([`crate::layout::check_genesis`]).
    ForgedGenesis,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Unsigned => write!(f, "not signed by its device"),
            Reason::NotListed => write!(f, "written by a device that is not a member"),
            Reason::Equivocation { held_seq } => write!(
                f,
                "a second change numbered {held_seq} by the same device (the device misbehaves)"
            ),
            Reason::SequenceGap => write!(f, "a change numbered out of its device's order"),
            Reason::SecondGenesis => write!(f, "a second start of the document"),
            Reason::AfterRefused => write!(f, "it builds on a refused change"),
            Reason::Malformed(e) => write!(f, "not a valid change: {e}"),
            Reason::ForgedGenesis => write!(f, "the start of another community under its id"),
        }
    }
}

/// One refused change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The change.
    pub hash: ChangeHash,
    /// Who wrote it: the signing device's key, or the actor's hex.
    pub writer: String,
    /// Why.
    pub reason: Reason,
}

/// What a merge did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merged {
    /// Changes applied.
    pub applied: usize,
    /// Changes refused, with the reason.
    pub refused: Vec<Refused>,
    /// Changes left for later: their dependencies are not here yet.
    pub deferred: usize,
    /// The changes applied, as they came (Automerge change chunks, in the
    /// order applied): what the document gained, to be written as it is
    /// rather than encoded again. `None` when a whole document was taken.
    pub written: Option<Vec<u8>>,
}

/// Why a second change under a device's number is refused when the first
/// one in the batch was refused for its past.
const ANOTHER_AT_NUMBER: &str = "another change under the same number was refused in this batch";

/// The bytes of changes as they came, one Automerge chunk after another,
/// each with the checksum its hash gives: the header's checksum is not part
/// of the hash and Automerge reads a change without checking it, but not a
/// file. `None` if one carries an author footer, which the shape rules take
/// as it is rather than encoded again: such changes are written by Automerge.
fn chunks_of(changes: &[Change]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(changes.iter().map(|c| c.raw_bytes().len()).sum());
    for change in changes {
        if change.author().is_some() {
            return None;
        }
        let at = out.len();
        out.extend_from_slice(change.raw_bytes());
        out.get_mut(at + 4..at + 8)?
            .copy_from_slice(&change.hash().0[..4]);
    }
    Some(out)
}

/// Automerge panicked on foreign input: the document may be damaged and
/// must be read again from disk.
#[derive(Debug, thiserror::Error)]
#[error("Automerge failed on received data: {0}")]
pub struct Poisoned(pub String);

/// What a device knows of one document beyond its changes: the latest
/// signature of each writer, and (read from the document the first time
/// they are needed) the last sequence number of each actor and the
/// document's genesis.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// The latest verified signature per actor.
    pub signatures: Signatures,
    seqs: Option<HashMap<ActorId, u64>>,
    genesis: Option<(ChangeHash, ActorId)>,
    /// Changes that could not be judged yet, kept in memory (never
    /// applied, never served): their dependencies are missing, or they wait
    /// for the later change of their device whose signature came with them.
    /// Automerge's sync does not send a change twice in a session, so they
    /// are judged again with the next changes that come.
    pending: HashMap<ChangeHash, Change>,
    /// The community's signed epoch is held ([`crate::epoch`]): for good.
    epoch: bool,
    /// The changes that wrote a signed epoch ([`crate::epoch::MESSAGE`]),
    /// found when the document is first read and as they are merged: an
    /// epoch counts even if a later change deletes or overwrites it.
    epochs: Vec<ChangeHash>,
    /// How many more merges apply their candidates to a copy, after the
    /// document was set back for a refused change.
    cautious: u32,
    /// Signatures already verified: a device's latest signature comes with
    /// every message carrying its changes, and is checked once.
    verified: HashSet<Signed>,
}

/// Merges of the community document that apply their candidates to a
/// copy after a set-back: a set-back reads the whole document again, and a
/// peer forcing one costs this device at most one per that many messages.
const CAUTIOUS_MERGES: u32 = 64;

/// Most verified signatures a ledger remembers (then it starts again).
const MAX_VERIFIED: usize = 10_000;

/// Most changes a document keeps pending.
const MAX_PENDING: usize = 20_000;

impl Ledger {
    /// A ledger holding these signatures.
    pub fn with(signatures: Signatures) -> Self {
        Ledger {
            signatures,
            ..Default::default()
        }
    }

    /// Reads what the ledger needs from the document (each actor's last
    /// sequence number, the genesis) now rather than at the first merge:
    /// for a document just loaded, on the thread that loaded it.
    pub fn prepare(&mut self, doc: &mut AutoCommit) {
        self.scan(doc);
    }

    fn scan(&mut self, doc: &mut AutoCommit) {
        if self.seqs.is_some() {
            return;
        }
        let mut seqs = HashMap::new();
        for meta in doc.get_changes_meta(&[]) {
            if meta.message.as_deref() == Some(crate::epoch::MESSAGE) {
                self.epochs.push(meta.hash);
            }
            if meta.deps.is_empty() && self.genesis.is_none() {
                self.genesis = Some((meta.hash, meta.actor.clone().into_owned()));
            }
            let seq = seqs.entry(meta.actor.into_owned()).or_insert(0);
            *seq = (*seq).max(meta.seq);
        }
        self.seqs = Some(seqs);
    }

    fn seqs(&mut self, doc: &mut AutoCommit) -> &mut HashMap<ActorId, u64> {
        self.scan(doc);
        self.seqs.get_or_insert_with(HashMap::new)
    }

    /// The document's first change (no dependencies) and its actor.
    pub fn genesis(&mut self, doc: &mut AutoCommit) -> Option<(ChangeHash, ActorId)> {
        self.scan(doc);
        self.genesis.clone()
    }

    /// How many signed epochs have been found in the document's history.
    pub fn epochs_found(&self) -> usize {
        self.epochs.len()
    }

    /// Whether a signature is valid, verified once per ledger.
    fn verify(&mut self, signed: &Signed) -> bool {
        if self.verified.contains(signed) {
            return true;
        }
        if !signed.verify() {
            return false;
        }
        if self.verified.len() >= MAX_VERIFIED {
            self.verified.clear();
        }
        self.verified.insert(*signed);
        true
    }

    /// Whether the document's genesis asks for signed changes, or (a
    /// community document) it holds its signed epoch ([`crate::epoch`]).
    pub fn requires_signatures(&mut self, doc: &mut AutoCommit) -> bool {
        if self.genesis(doc).is_some_and(|(g, _)| signed_at(doc, &g)) {
            return true;
        }
        self.scan(doc);
        self.epoch = self.epoch || crate::epoch::community_holds(doc, &self.epochs);
        self.epoch
    }

    /// Signs the latest change of `actor` made since `since` (this
    /// device's own writing), with `sign` (the device key over
    /// [`crate::signing::message`]); returns whether one was signed.
    pub fn sign_own(
        &mut self,
        doc: &mut AutoCommit,
        since: &[ChangeHash],
        actor: &ActorId,
        sign: impl Fn(&ChangeHash) -> Signed,
    ) -> bool {
        let latest = doc
            .get_changes_meta(since)
            .into_iter()
            .filter(|m| m.actor.as_ref() == actor)
            .map(|m| (m.seq, m.hash))
            .max_by_key(|(seq, _)| *seq);
        let Some((seq, hash)) = latest else {
            return false;
        };
        if let Some(seqs) = &mut self.seqs {
            seqs.insert(actor.clone(), seq);
        }
        self.signatures.keep(seq, sign(&hash))
    }

    /// The signatures to send along with `chunks` (Automerge bytes going
    /// to a peer or a file): the latest of each actor whose changes they
    /// carry (all of them for a whole document).
    pub fn for_chunks<'a>(&self, chunks: impl IntoIterator<Item = &'a [u8]>) -> Signatures {
        let mut actors = HashSet::new();
        for bytes in chunks {
            for chunk in split_chunks(bytes) {
                match chunk {
                    Chunk::Document(_) => return self.signatures.clone(),
                    Chunk::Change(raw) => {
                        if let Some(actor) = change_actor(raw) {
                            actors.insert(actor);
                        }
                    }
                }
            }
        }
        self.signatures.only(&actors)
    }
}

/// The actor of a change chunk, read from its header (dependencies, then
/// the actor) without decoding its operations; a compressed change is
/// decoded whole.
fn change_actor(chunk: &[u8]) -> Option<ActorId> {
    fn uleb(bytes: &[u8], at: &mut usize) -> Option<usize> {
        let mut value: u64 = 0;
        for shift in 0..10 {
            let b = *bytes.get(*at)?;
            *at += 1;
            value |= u64::from(b & 0x7f) << (7 * shift);
            if b & 0x80 == 0 {
                return usize::try_from(value).ok();
            }
        }
        None
    }
    /// The actor, from a change's body (its dependencies, then the actor).
    fn actor(body: &[u8]) -> Option<ActorId> {
        let mut at = 0;
        let deps = uleb(body, &mut at)?;
        at = at.checked_add(deps.checked_mul(32)?)?;
        let len = uleb(body, &mut at)?;
        Some(ActorId::from(body.get(at..at.checked_add(len)?)?))
    }
    let mut at = 9;
    uleb(chunk, &mut at)?; // body length
    let body = chunk.get(at..)?;
    match chunk.get(8) {
        Some(1) => actor(body),
        Some(2) => {
            // A compressed change: only the beginning of its body is
            // inflated, as far as the actor.
            use std::io::Read;
            let mut decoder = flate2::read::DeflateDecoder::new(body);
            let mut inflated = Vec::new();
            let mut buffer = [0; 1024];
            while inflated.len() < 64 * 1024 {
                let n = decoder.read(&mut buffer).ok()?;
                if n == 0 {
                    break;
                }
                inflated.extend_from_slice(&buffer[..n]);
                if let Some(actor) = actor(&inflated) {
                    return Some(actor);
                }
            }
            actor(&inflated)
        }
        _ => None,
    }
}

/// Whether `doc` holds every change of `hashes`: a lookup in its change
/// graph (`get_change_by_hash` would rebuild each change from the
/// operations, a pass over the whole document).
pub fn holds(doc: &mut AutoCommit, hashes: &[ChangeHash]) -> bool {
    hashes.is_empty() || doc.get_missing_deps(hashes).is_empty()
}

/// Whether a document's genesis (`genesis`, its change with no
/// dependencies) asks for signed changes: its root `signed` is `true`,
/// written by the document's very first operation, read as it stood at the
/// genesis (a later change deleting or overwriting it changes nothing).
pub fn signed_at(doc: &AutoCommit, genesis: &ChangeHash) -> bool {
    doc.get_all_at(ROOT, "signed", std::slice::from_ref(genesis))
        .unwrap_or_default()
        .iter()
        .any(|(v, id)| {
            matches!(id, ObjId::Id(1, _, _))
                && matches!(v, Value::Scalar(s) if matches!(s.as_ref(), automerge::ScalarValue::Boolean(true)))
        })
}

/// Whether a document's genesis asks for signed changes.
pub fn requires_signatures(doc: &mut AutoCommit) -> bool {
    Ledger::default().requires_signatures(doc)
}

/// Who may write the collection documents of a community: every device
/// its community document lists (the community document's own changes are
/// judged at their causal past instead).
#[derive(Clone, Debug, Default)]
pub struct Writers {
    listed: HashMap<ActorId, DeviceKey>,
    signed: bool,
    creator: Option<ActorId>,
    /// The heads the community's signed epoch lists for its collections.
    epochs: Vec<Vec<ChangeHash>>,
}

impl Writers {
    /// Writers listing exactly these devices (the first one the creator).
    pub fn listing(devices: impl IntoIterator<Item = DeviceKey>, signed: bool) -> Self {
        let listed: HashMap<ActorId, DeviceKey> =
            devices.into_iter().map(|k| (k.actor(), k)).collect();
        Writers {
            creator: None,
            listed,
            signed,
            epochs: Vec::new(),
        }
    }

    /// Reads the listed devices of a community document (and, from its
    /// ledger, its genesis: its creator and whether it is signed).
    pub fn of(community: &mut AutoCommit, ledger: &mut Ledger) -> Self {
        let mut listed = HashMap::new();
        for (_, _, key) in devices(community, None) {
            let key = DeviceKey(key);
            listed.insert(key.actor(), key);
        }
        let genesis = ledger.genesis(community);
        let epochs = crate::epoch::read(community, &ledger.epochs);
        Writers {
            listed,
            signed: genesis
                .as_ref()
                .is_some_and(|(g, _)| signed_at(community, g)),
            creator: genesis.map(|(_, actor)| actor),
            epochs: epochs
                .into_iter()
                .filter(|(kind, _)| *kind != crate::layout::DocKind::Community)
                .map(|(_, heads)| heads)
                .collect(),
        }
    }

    /// Whether changes of `collection` must be signed: the community's
    /// genesis says so, or `collection` holds the heads its epoch lists.
    pub fn requires_signatures(&self, collection: &mut AutoCommit) -> bool {
        self.signed || crate::epoch::holds(collection, &self.epochs)
    }
}

/// Every listed device of a community document, at `heads` (or now): the
/// member, its entry, the device key.
fn devices(doc: &AutoCommit, heads: Option<&[ChangeHash]>) -> Vec<(String, ObjId, String)> {
    let keys = |obj: &ObjId| -> Vec<String> {
        match heads {
            Some(h) => doc.keys_at(obj, h).collect(),
            None => doc.keys(obj).collect(),
        }
    };
    let mut out = Vec::new();
    for members in maps_at(doc, &ROOT, "members", heads) {
        for member in keys(&members) {
            for entry in maps_at(doc, &members, &member, heads) {
                for devs in maps_at(doc, &entry, "devices", heads) {
                    for key in keys(&devs) {
                        out.push((member.clone(), entry.clone(), key));
                    }
                }
            }
        }
    }
    out
}

/// Every map at `obj[key]` (at `heads`, or now), the values a conflict
/// hides included: a change made concurrently with the one that listed a
/// device could otherwise hide its entry by winning the conflict.
fn maps_at(doc: &AutoCommit, obj: &ObjId, key: &str, heads: Option<&[ChangeHash]>) -> Vec<ObjId> {
    let values = match heads {
        Some(h) => doc.get_all_at(obj, key, h),
        None => doc.get_all(obj, key),
    };
    values
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(v, id)| matches!(v, Value::Object(ObjType::Map)).then_some(id))
        .collect()
}

/// Whether device `key` of `member` is listed in the community document at
/// `heads` (in any of the values a conflict holds).
fn listed_at(doc: &AutoCommit, member: &str, key: &str, heads: &[ChangeHash]) -> bool {
    let at = |obj: &ObjId, k: &str| maps_at(doc, obj, k, Some(heads));
    at(&ROOT, "members").iter().any(|members| {
        at(members, member).iter().any(|entry| {
            at(entry, "devices")
                .iter()
                .any(|devices| !at(devices, key).is_empty())
        })
    })
}

/// Received changes, read from Automerge bytes.
pub struct Incoming {
    metas: Vec<Meta>,
    changes: HashMap<ChangeHash, Change>,
    /// A whole document (a `save()`), when that is what came.
    whole: Option<AutoCommit>,
}

#[derive(Clone, Debug)]
struct Meta {
    hash: ChangeHash,
    actor: ActorId,
    seq: u64,
    deps: Vec<ChangeHash>,
    start_op: u64,
    max_op: u64,
    /// What is wrong with its shape alone ([`crate::wellformed::intrinsic`]).
    malformed: Option<String>,
    /// What is left to check of its shape against the document
    /// ([`crate::wellformed::fits`]).
    elements: crate::wellformed::Elements,
    /// Whether it writes a signed epoch ([`crate::epoch::MESSAGE`]).
    epoch: bool,
}

enum Chunk<'a> {
    Document(&'a [u8]),
    Change(&'a [u8]),
}

/// Splits Automerge bytes into their chunks (magic, checksum, type, LEB128
/// length, body). Stops at the first thing that is not a chunk.
fn split_chunks(mut bytes: &[u8]) -> Vec<Chunk<'_>> {
    let mut out = Vec::new();
    while bytes.len() > 9 && bytes[..4] == [0x85, 0x6f, 0x4a, 0x83] {
        let kind = bytes[8];
        let mut len: u64 = 0;
        let mut at = 9;
        let mut ok = false;
        for shift in 0..10 {
            let Some(b) = bytes.get(at) else { break };
            at += 1;
            len |= u64::from(b & 0x7f) << (7 * shift);
            if b & 0x80 == 0 {
                ok = true;
                break;
            }
        }
        let end = usize::try_from(len).ok().and_then(|l| at.checked_add(l));
        let (true, Some(end)) = (ok, end) else { break };
        if end > bytes.len() {
            break;
        }
        let chunk = &bytes[..end];
        out.push(if kind == 0 {
            Chunk::Document(chunk)
        } else {
            Chunk::Change(chunk)
        });
        bytes = &bytes[end..];
    }
    out
}

impl Incoming {
    /// Reads received Automerge bytes (change chunks, or a whole saved
    /// document), all the pieces together inflating to at most
    /// [`crate::bounds::MAX_INFLATED`], checked before Automerge reads them.
    pub fn read<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, String> {
        Self::read_within(
            pieces,
            &mut crate::bounds::Budget::new(crate::bounds::MAX_INFLATED),
        )
    }

    /// [`Incoming::read`] within a budget shared with other inputs held at
    /// the same time (the documents of one bundle).
    pub fn read_within<'a>(
        pieces: impl IntoIterator<Item = &'a [u8]>,
        budget: &mut crate::bounds::Budget,
    ) -> Result<Self, String> {
        let mut incoming = Incoming {
            metas: Vec::new(),
            changes: HashMap::new(),
            whole: None,
        };
        let mut wholes = Vec::new();
        for bytes in pieces {
            budget.check_chunks(bytes).map_err(|e| e.to_string())?;
            let chunks = split_chunks(bytes);
            let parsed: usize = chunks
                .iter()
                .map(|c| match c {
                    Chunk::Document(b) | Chunk::Change(b) => b.len(),
                })
                .sum();
            if parsed != bytes.len() {
                return Err("received bytes that are not Automerge changes".to_owned());
            }
            for chunk in chunks {
                match chunk {
                    Chunk::Document(b) => {
                        let doc = catch_unwind(|| AutoCommit::load(b))
                            .map_err(|_| "a document Automerge cannot read".to_owned())?
                            .map_err(|e| format!("a document Automerge cannot read: {e}"))?;
                        wholes.push(doc);
                    }
                    Chunk::Change(b) => {
                        let change = catch_unwind(|| Change::try_from(b))
                            .map_err(|_| "a change Automerge cannot read".to_owned())?
                            .map_err(|e| format!("a change Automerge cannot read: {e}"))?;
                        incoming.push(change);
                    }
                }
            }
        }
        if wholes.len() == 1 && incoming.metas.is_empty() {
            let mut whole = wholes.pop().expect("one");
            for m in whole.get_changes_meta(&[]) {
                let malformed = (m.author.is_some() && m.seq != 1)
                    .then(|| "an author on a change that is not its device's first".to_owned())
                    .or_else(|| crate::wellformed::time(m.timestamp).err());
                incoming.metas.push(Meta {
                    hash: m.hash,
                    epoch: m.message.as_deref() == Some(crate::epoch::MESSAGE),
                    actor: m.actor.into_owned(),
                    seq: m.seq,
                    deps: m.deps,
                    start_op: m.start_op,
                    max_op: m.max_op,
                    malformed,
                    elements: Default::default(),
                });
            }
            incoming.whole = Some(whole);
        } else {
            for mut whole in wholes {
                for change in whole.get_changes(&[]) {
                    incoming.push(change);
                }
            }
        }
        Ok(incoming)
    }

    /// Changes already parsed.
    pub fn from_changes(changes: impl IntoIterator<Item = Change>) -> Self {
        let mut incoming = Incoming {
            metas: Vec::new(),
            changes: HashMap::new(),
            whole: None,
        };
        for c in changes {
            incoming.push(c);
        }
        incoming
    }

    fn push(&mut self, change: Change) {
        let hash = change.hash();
        if self.changes.contains_key(&hash) {
            return;
        }
        let shape = crate::wellformed::intrinsic(&change);
        self.metas.push(Meta {
            hash,
            actor: change.actor_id().clone(),
            seq: change.seq(),
            deps: change.deps().to_vec(),
            start_op: change.start_op().get(),
            max_op: change.max_op(),
            malformed: shape.as_ref().err().cloned(),
            elements: shape.unwrap_or_default(),
            epoch: change.message() == Some(crate::epoch::MESSAGE),
        });
        self.changes.insert(hash, change);
    }

    /// How many changes came.
    pub fn len(&self) -> usize {
        self.metas.len()
    }

    /// Whether no change came.
    pub fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }

    fn change(&mut self, hash: &ChangeHash) -> Option<Change> {
        if let Some(c) = self.changes.remove(hash) {
            return Some(c);
        }
        self.whole.as_mut()?.get_change_by_hash(hash)
    }
}

/// What the community document says about who may write, for the gate.
#[derive(Clone, Copy)]
pub enum Authority<'a> {
    /// Judging the community document itself: at each change's causal past.
    Community,
    /// Judging a collection: the devices its community document lists.
    Collection(&'a Writers),
}

/// Judges received changes and applies those that pass to `doc`,
/// keeping their signatures in `ledger`.
///
/// In steps, each a function below: the batch's new changes in causal
/// order; the signatures that vouch for them (`Vouching::check`); what
/// each change's numbers, signature and shape allow (`judge_changes`);
/// whether its writer was listed (`judge_collection_writers`,
/// `judge_community_writers`); then what passed is applied and kept in
/// the ledger (`settle`).
pub fn merge(
    doc: &mut AutoCommit,
    ledger: &mut Ledger,
    authority: Authority<'_>,
    mut incoming: Incoming,
    signatures: &[Signed],
) -> Result<Merged, Poisoned> {
    let mut merged = Merged::default();
    let metas = new_changes(doc, ledger, &mut incoming);
    if metas.is_empty() {
        return Ok(merged);
    }
    let doc_empty = doc.get_heads().is_empty();
    let (order, deferred) = causal_order(doc, &metas);
    merged.deferred = deferred;
    let batch = Batch {
        metas: &metas,
        by_hash: metas.iter().map(|m| (m.hash, m)).collect(),
        order,
        doc_empty,
    };
    let vouching = Vouching::check(doc, ledger, &batch, signatures);
    let signed = signatures_required(doc, ledger, authority, &batch, &incoming);
    let mut verdicts = judge_changes(doc, ledger, &batch, &vouching, signed);
    match authority {
        Authority::Collection(writers) => {
            judge_collection_writers(writers, &batch, &mut verdicts);
        }
        Authority::Community => {
            let over = judge_community_writers(
                doc,
                ledger,
                &mut incoming,
                &batch,
                &vouching,
                &mut verdicts,
                &mut merged,
            )?;
            if over {
                return Ok(merged);
            }
        }
    }
    settle(doc, ledger, incoming, &batch, &vouching, &verdicts, merged)
}

/// A batch of new changes, in an order where each follows its
/// dependencies (those whose dependencies are missing are left out).
struct Batch<'m> {
    metas: &'m [Meta],
    by_hash: HashMap<ChangeHash, &'m Meta>,
    order: Vec<ChangeHash>,
    /// Whether the document held nothing before the merge.
    doc_empty: bool,
}

/// The verdicts on a batch so far.
#[derive(Default)]
struct Verdicts {
    /// By position in the batch's order: `None` if it passed so far.
    verdict: BTreeMap<usize, Option<Reason>>,
    /// Changes refused.
    refused: HashSet<ChangeHash>,
    /// Changes kept for later: they wait for their device's later change,
    /// whose signature came.
    waiting: HashSet<ChangeHash>,
    /// The last sequence number of each actor among the changes that passed.
    last_seq: HashMap<ActorId, u64>,
    /// Whether `doc` already holds exactly the changes that passed (the
    /// community document's candidates, applied to read it).
    applied: bool,
}

/// The signatures that came with a batch, checked.
struct Vouching {
    /// Valid signatures of a change in the batch, by that change.
    direct: HashMap<ChangeHash, Signed>,
    /// For each change vouched for, the signed change that vouches ([`vouch`]).
    vouched: HashMap<ChangeHash, ChangeHash>,
    /// Devices that signed a change not here yet.
    later: HashSet<ActorId>,
}

/// The changes received that the document does not hold yet, once each,
/// with those kept pending from earlier merges.
fn new_changes(doc: &mut AutoCommit, ledger: &mut Ledger, incoming: &mut Incoming) -> Vec<Meta> {
    if incoming.whole.is_none() {
        for (_, change) in ledger.pending.drain() {
            incoming.push(change);
        }
    }
    // New changes only, once each.
    let mut seen = HashSet::new();
    std::mem::take(&mut incoming.metas)
        .into_iter()
        .filter(|m| seen.insert(m.hash) && !holds(doc, &[m.hash]))
        .collect()
}

impl Vouching {
    /// Signatures: valid, of a change in the batch, by the key its actor
    /// comes from. Each is verified at most once per ledger, and a peer
    /// sending many bad ones for the same change or device costs at most
    /// `TRIES` verifications each: a frame can carry thousands of records.
    fn check(
        doc: &mut AutoCommit,
        ledger: &mut Ledger,
        batch: &Batch<'_>,
        signatures: &[Signed],
    ) -> Self {
        const TRIES: u8 = 2;
        let by_hash = &batch.by_hash;
        let mut tries: HashMap<ActorId, u8> = HashMap::new();
        let mut worth_trying = |actor: &ActorId| {
            let n = tries.entry(actor.clone()).or_insert(0);
            *n += 1;
            *n <= TRIES
        };
        let mut direct: HashMap<ChangeHash, Signed> = HashMap::new();
        for s in signatures {
            if let Some(m) = by_hash.get(&s.hash)
                && !direct.contains_key(&s.hash)
                && s.actor() == m.actor
                && worth_trying(&m.actor)
                && ledger.verify(s)
            {
                direct.insert(s.hash, *s);
            }
        }
        let vouched = vouch(by_hash, &direct);
        // Devices that signed a change not here yet: their earlier changes
        // wait for it instead of being refused (a relay sends a device's
        // changes in several messages, with its latest signature). Only
        // devices with changes in the batch matter.
        let writers: HashSet<&ActorId> = batch.metas.iter().map(|m| &m.actor).collect();
        let mut later: HashSet<ActorId> = HashSet::new();
        for s in signatures {
            if by_hash.contains_key(&s.hash) {
                continue;
            }
            let actor = s.actor();
            if later.contains(&actor)
                || !writers.contains(&actor)
                || holds(doc, &[s.hash])
                || !worth_trying(&actor)
            {
                continue;
            }
            if ledger.verify(s) {
                later.insert(actor);
            }
        }
        Vouching {
            direct,
            vouched,
            later,
        }
    }
}

/// Whether the document requires every change to be signed: as its
/// community's writers say (a collection), as the document says, or, for
/// an empty community document, as the genesis in the batch says.
fn signatures_required(
    doc: &mut AutoCommit,
    ledger: &mut Ledger,
    authority: Authority<'_>,
    batch: &Batch<'_>,
    incoming: &Incoming,
) -> bool {
    match authority {
        Authority::Collection(w) => w.requires_signatures(doc),
        Authority::Community => {
            if batch.doc_empty {
                // The genesis in the batch says.
                let genesis = batch
                    .order
                    .iter()
                    .find(|h| batch.by_hash[*h].deps.is_empty());
                match (genesis, &incoming.whole) {
                    (Some(g), Some(whole)) => signed_at(whole, g),
                    (Some(g), None) => incoming
                        .changes
                        .get(g)
                        .is_some_and(genesis_requires_signatures),
                    (None, _) => false,
                }
            } else {
                ledger.requires_signatures(doc)
            }
        }
    }
}

/// The first pass: what each change's metadata allows (its past refused or
/// waiting, a second genesis, its shape, its sequence number, its
/// signature), then what costs a walk or lookups in the document (its
/// device's previous change in its past, texts).
fn judge_changes(
    doc: &mut AutoCommit,
    ledger: &mut Ledger,
    batch: &Batch<'_>,
    vouching: &Vouching,
    signed: bool,
) -> Verdicts {
    let mut v = Verdicts::default();
    let mut genesis_taken = !batch.doc_empty;
    let mut held_max_op: HashMap<ChangeHash, u64> = HashMap::new();
    // Device numbers whose change was refused for its past in this batch.
    let mut judged: HashSet<(&ActorId, u64)> = HashSet::new();
    // Texts made by the batch's changes that passed so far.
    let mut batch_texts: HashSet<automerge::legacy::OpId> = HashSet::new();
    let held_seqs = ledger.seqs(doc);
    let mut steps = crate::wellformed::walk_budget(batch.order.len());
    for (i, hash) in batch.order.iter().enumerate() {
        let m = batch.by_hash[hash];
        let reason = if m.deps.iter().any(|d| v.refused.contains(d)) {
            Some(Reason::AfterRefused)
        } else if m.deps.iter().any(|d| v.waiting.contains(d)) {
            v.waiting.insert(*hash);
            Some(Reason::Unsigned)
        } else if m.deps.is_empty() && genesis_taken {
            Some(Reason::SecondGenesis)
        } else {
            let before = v
                .last_seq
                .get(&m.actor)
                .copied()
                .or_else(|| held_seqs.get(&m.actor).copied())
                .unwrap_or(0);
            // Automerge 0.12 trusts a change's shape, and can panic on
            // one no honest device writes (crate::wellformed).
            let deps_max_op = max_op_of_deps(doc, batch, &m.deps, &mut held_max_op);
            // What the change says of itself first, then its numbers and
            // its signature, and only then what costs a walk or lookups
            // in the document (its device's previous change in its
            // past, texts): a change refused there is refused cheaply.
            let shape = match &m.malformed {
                Some(e) => Err(e.clone()),
                None => crate::wellformed::follows(m.start_op, m.max_op, deps_max_op),
            };
            if let Err(e) = shape {
                Some(Reason::Malformed(e))
            } else if m.seq <= before {
                Some(Reason::Equivocation { held_seq: m.seq })
            } else if m.seq != before + 1 {
                Some(Reason::SequenceGap)
            } else if signed && !vouching.vouched.contains_key(hash) {
                if vouching.later.contains(&m.actor) {
                    v.waiting.insert(*hash);
                }
                Some(Reason::Unsigned)
            } else if judged.contains(&(&m.actor, m.seq)) {
                // A change under a number whose first change in this
                // batch was refused for its past: no second walk.
                Some(Reason::Malformed(ANOTHER_AT_NUMBER.to_owned()))
            } else {
                let held = !v.last_seq.contains_key(&m.actor);
                let past = past_fits(doc, batch, m, (before, held), &batch_texts, &mut steps);
                match past {
                    Ok(()) => None,
                    Err(e) => {
                        judged.insert((&m.actor, m.seq));
                        Some(Reason::Malformed(e))
                    }
                }
            }
        };
        match reason {
            Some(r) => {
                if !v.waiting.contains(hash) {
                    v.refused.insert(*hash);
                }
                v.verdict.insert(i, Some(r));
            }
            None => {
                if m.deps.is_empty() {
                    genesis_taken = true;
                }
                v.last_seq.insert(m.actor.clone(), m.seq);
                batch_texts.extend(m.elements.texts().iter().cloned());
                v.verdict.insert(i, None);
            }
        }
    }
    v
}

/// The highest operation number among a change's dependencies (in the
/// batch, or held, looked up once each).
fn max_op_of_deps(
    doc: &mut AutoCommit,
    batch: &Batch<'_>,
    deps: &[ChangeHash],
    held_max_op: &mut HashMap<ChangeHash, u64>,
) -> u64 {
    deps.iter()
        .map(|d| match batch.by_hash.get(d) {
            Some(dep) => dep.max_op,
            None => *held_max_op
                .entry(*d)
                .or_insert_with(|| doc.get_change_meta_by_hash(d).map_or(0, |meta| meta.max_op)),
        })
        .max()
        .unwrap_or(0)
}

/// A change's shape against its past: its device's previous change in its
/// past, then its puts into texts ([`crate::wellformed`]).
fn past_fits(
    doc: &mut AutoCommit,
    batch: &Batch<'_>,
    m: &Meta,
    (before, held): (u64, bool),
    batch_texts: &HashSet<automerge::legacy::OpId>,
    steps: &mut u64,
) -> Result<(), String> {
    let in_batch = |h: &ChangeHash| {
        batch.by_hash.get(h).map(|p| crate::wellformed::Past {
            actor: Cow::Borrowed(&p.actor),
            seq: p.seq,
            max_op: p.max_op,
            deps: Cow::Borrowed(&p.deps),
        })
    };
    crate::wellformed::after_own(
        &m.actor,
        (m.seq, before, held),
        &m.deps,
        doc,
        in_batch,
        steps,
    )
    .and_then(|()| crate::wellformed::fits(&m.elements, doc, batch_texts))
}

/// The second pass for a collection: a change that passed so far is
/// refused unless its device is listed by the community document (a
/// genesis: unless it is the community's creator's).
fn judge_collection_writers(writers: &Writers, batch: &Batch<'_>, v: &mut Verdicts) {
    for (i, hash) in batch.order.iter().enumerate() {
        if v.verdict[&i].is_some() {
            continue;
        }
        let m = batch.by_hash[hash];
        let reason = if m.deps.iter().any(|d| v.refused.contains(d)) {
            Some(Reason::AfterRefused)
        } else if m.deps.is_empty() {
            // A collection starts with its community's creator.
            (writers.creator.as_ref() != Some(&m.actor)).then_some(Reason::NotListed)
        } else {
            (!writers.listed.contains_key(&m.actor)).then_some(Reason::NotListed)
        };
        if let Some(r) = reason {
            v.refused.insert(*hash);
            v.verdict.insert(i, Some(r));
        }
    }
}

/// The candidates of the community document applied, to read the document
/// at each change's dependencies.
struct Candidates {
    /// The document holding them when it is not `doc` itself: the whole
    /// document that came, or a copy of `doc`.
    holder: Option<AutoCommit>,
    /// Whether the holder is the whole document that came.
    from_whole: bool,
    /// `doc`'s heads before the candidates were applied to it.
    before: Vec<ChangeHash>,
    /// The candidates' bytes as they came ([`chunks_of`]).
    written: Option<Vec<u8>>,
}

/// The second pass for the community document: a change that passed so far
/// is refused unless its device was listed at its dependencies (a genesis:
/// in itself). The document is read with the candidates applied; `doc` is
/// set back if they were applied to it and one is refused. `true` if the
/// merge is over: everything passed and the document holds it, or Automerge
/// refused the candidates (all refused in `merged`).
fn judge_community_writers(
    doc: &mut AutoCommit,
    ledger: &mut Ledger,
    incoming: &mut Incoming,
    batch: &Batch<'_>,
    vouching: &Vouching,
    v: &mut Verdicts,
    merged: &mut Merged,
) -> Result<bool, Poisoned> {
    let passed: Vec<ChangeHash> = batch
        .order
        .iter()
        .enumerate()
        .filter(|(i, _)| v.verdict[i].is_none())
        .map(|(_, h)| *h)
        .collect();
    let Some(candidates) = apply_candidates(doc, ledger, incoming, batch, &passed, merged)? else {
        return Ok(true);
    };
    let Candidates {
        holder: whole,
        from_whole,
        before,
        written,
    } = candidates;
    let refused_before = v.refused.len();
    refuse_unlisted(whole.as_ref().unwrap_or(doc), batch, v);
    if v.refused.is_empty() && v.waiting.is_empty() && merged.deferred == 0 {
        // Everything passed: the document holds it.
        for hash in &batch.order {
            if let Some(s) = vouching.direct.get(hash) {
                ledger.signatures.keep(batch.by_hash[hash].seq, *s);
            }
        }
        if let Some(seqs) = &mut ledger.seqs {
            seqs.extend(std::mem::take(&mut v.last_seq));
        }
        ledger.epochs.extend(
            batch
                .order
                .iter()
                .filter(|h| batch.by_hash[*h].epoch)
                .copied(),
        );
        if ledger.genesis.is_none() {
            ledger.genesis = batch
                .order
                .iter()
                .find(|h| batch.by_hash[*h].deps.is_empty())
                .map(|h| (*h, batch.by_hash[h].actor.clone()));
        }
        if let Some(whole) = whole {
            *doc = whole;
        }
        merged.applied = batch.order.len();
        merged.written = written;
        return Ok(true);
    }
    match whole {
        // The changes that passed are read from it.
        Some(whole) if from_whole => incoming.whole = Some(whole),
        // A copy: the document is as it was.
        Some(_) => {}
        // The candidates are what passed: they stay applied.
        None if v.refused.len() == refused_before => {
            v.applied = true;
            merged.written = written;
        }
        None => {
            ledger.cautious = CAUTIOUS_MERGES;
            set_back(doc, &before)?;
        }
    }
    Ok(false)
}

/// Applies the community document's candidates (the changes that passed
/// the first pass) where they can be read: the whole document that came,
/// `doc` itself when every candidate's device is listed now (set back
/// later if one is refused), or a copy. `None` if Automerge refused them:
/// then they are all refused in `merged`, and the merge is over.
fn apply_candidates(
    doc: &mut AutoCommit,
    ledger: &mut Ledger,
    incoming: &mut Incoming,
    batch: &Batch<'_>,
    passed: &[ChangeHash],
    merged: &mut Merged,
) -> Result<Option<Candidates>, Poisoned> {
    // The document holding every candidate, to read it at each
    // change's dependencies: the whole document that came, or this
    // one with the candidates applied (set back below if one of them
    // is refused).
    let from_whole = batch.doc_empty && incoming.whole.is_some();
    // Candidates all written by devices listed now are applied to the
    // document itself, set back if one is refused (a modified app);
    // others, and all of them once a document had to be set back, to
    // a copy (a set-back reads the whole document again: a peer
    // must not make this device pay it at every message).
    let cautious = ledger.cautious > 0;
    ledger.cautious = ledger.cautious.saturating_sub(1);
    let optimistic = !from_whole && !cautious && {
        let now: HashSet<ActorId> = devices(doc, None)
            .into_iter()
            .map(|(_, _, key)| DeviceKey(key).actor())
            .collect();
        passed.iter().all(|h| now.contains(&batch.by_hash[h].actor))
    };
    let mut holder = if from_whole {
        incoming.whole.take()
    } else if optimistic {
        None
    } else {
        Some(doc.clone())
    };
    let before = doc.get_heads();
    let mut written = None;
    if !from_whole {
        let changes: Vec<Change> = passed.iter().filter_map(|h| incoming.change(h)).collect();
        for c in &changes {
            incoming.changes.insert(c.hash(), c.clone());
        }
        written = chunks_of(&changes);
        let target: &mut AutoCommit = holder.as_mut().unwrap_or(doc);
        match catch_unwind(AssertUnwindSafe(|| target.apply_changes(changes))) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                if optimistic {
                    ledger.cautious = CAUTIOUS_MERGES;
                    set_back(doc, &before)?;
                }
                for hash in passed {
                    merged.refused.push(Refused {
                        hash: *hash,
                        writer: batch.by_hash[hash].actor.to_hex_string(),
                        reason: Reason::Malformed(e.to_string()),
                    });
                }
                return Ok(None);
            }
            Err(_) => return Err(Poisoned("applying received changes".into())),
        }
    }
    Ok(Some(Candidates {
        holder,
        from_whole,
        before,
        written,
    }))
}

/// Refuses each change that passed so far whose device was not listed in
/// the community document at its dependencies (a genesis: in itself),
/// read in `copy`, the document holding every candidate.
fn refuse_unlisted(copy: &AutoCommit, batch: &Batch<'_>, v: &mut Verdicts) {
    // Where each device is listed now: the place to look first at
    // a change's dependencies. A device listed there under no
    // member now (its key deleted since) is looked for everywhere.
    let owners: HashMap<ActorId, (String, String)> = devices(copy, None)
        .into_iter()
        .map(|(member, _, key)| (DeviceKey(key.clone()).actor(), (member, key)))
        .collect();
    let listed_then = |actor: &ActorId, heads: &[ChangeHash]| {
        owners
            .get(actor)
            .is_some_and(|(member, key)| listed_at(copy, member, key, heads))
            || devices(copy, Some(heads))
                .into_iter()
                .any(|(_, _, key)| &DeviceKey(key).actor() == actor)
    };
    for (i, hash) in batch.order.iter().enumerate() {
        if v.verdict[&i].is_some() {
            continue;
        }
        let m = batch.by_hash[hash];
        let reason = if m.deps.iter().any(|d| v.refused.contains(d)) {
            Some(Reason::AfterRefused)
        } else if m.deps.is_empty() {
            // The genesis lists its creator itself.
            (!listed_then(&m.actor, &[m.hash])).then_some(Reason::NotListed)
        } else if !listed_then(&m.actor, &m.deps) {
            Some(Reason::NotListed)
        } else {
            unlists(copy, m).then(|| Reason::Malformed(UNLISTS.to_owned()))
        };
        if let Some(r) = reason {
            v.refused.insert(*hash);
            v.verdict.insert(i, Some(r));
        }
    }
}

/// Why a community-document change that deletes or replaces a member or
/// device entry is refused ([`unlists`]).
pub const UNLISTS: &str = "a change that deletes or replaces a member or device entry";

/// The maps of the community document that list who writes: `members`,
/// a member's entry (its `devices` key), a member's `devices`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Listing {
    /// `members`: every key is a member entry.
    Members,
    /// `members/<id>`: its `devices`.
    Entry,
    /// `members/<id>/devices`: every key is a device entry.
    Devices,
}

/// Which listing map `obj` is, from its place in the document (fixed by
/// the operation that made it); `None` for any other object.
fn listing_map(doc: &AutoCommit, obj: &automerge::legacy::OpId) -> Option<Listing> {
    use automerge::Prop;
    let obj = doc.import_obj(&format!("{}@{}", obj.0, obj.1)).ok()?;
    let path: Vec<Prop> = catch_unwind(AssertUnwindSafe(|| {
        doc.parents(&obj)
            .ok()
            .map(|p| p.take(4).map(|p| p.prop).collect::<Vec<_>>())
    }))
    .ok()??;
    let key = |p: &Prop, k: &str| matches!(p, Prop::Map(m) if m == k);
    match path.as_slice() {
        [top] if key(top, "members") => Some(Listing::Members),
        [_, top] if key(top, "members") => Some(Listing::Entry),
        [devices, _, top] if key(devices, "devices") && key(top, "members") => {
            Some(Listing::Devices)
        }
        _ => None,
    }
}

/// Whether a community-document change (not the genesis) deletes or
/// replaces what lists a device: `members` itself, a member's entry, a
/// member's `devices`, or a device's entry; or writes there anything but a
/// map. A device key once listed stays
/// listed (its `revoked` is how it stops): readers that list the devices
/// of the document as it is (`Writers::of`, the commands' members) would
/// otherwise lose a device whose writing was taken, and judged from
/// scratch refuse it. A value put where the change's past holds one
/// replaces it even without naming it (its operation number is higher), so
/// the key is looked up at the change's dependencies.
fn unlists(doc: &AutoCommit, m: &Meta) -> bool {
    let mut maps: HashMap<&automerge::legacy::OpId, Option<Listing>> = HashMap::new();
    for w in m.elements.map_writes() {
        let obj = match &w.obj {
            None => ROOT,
            Some(id) => {
                let listing = *maps.entry(id).or_insert_with(|| listing_map(doc, id));
                let guarded = match listing {
                    Some(Listing::Members | Listing::Devices) => true,
                    Some(Listing::Entry) => w.key == "devices",
                    None => false,
                };
                if !guarded {
                    continue;
                }
                match doc.import_obj(&format!("{}@{}", id.0, id.1)) {
                    Ok(obj) => obj,
                    Err(_) => continue,
                }
            }
        };
        if w.obj.is_none() && w.key != "members" {
            continue;
        }
        // A value other than a map there lists no one, and wins a conflict
        // with the entry a concurrent change made (by its number): no
        // honest device writes one.
        if w.replaces
            || !w.makes_map
            || !doc
                .get_all_at(&obj, w.key.as_str(), &m.deps)
                .unwrap_or_default()
                .is_empty()
        {
            return true;
        }
    }
    false
}

/// The last step: refused changes reported, waiting and unplaced ones kept
/// pending, the accepted ones applied to `doc` (unless they already are)
/// and their numbers, genesis, signatures and epochs kept in the ledger.
fn settle(
    doc: &mut AutoCommit,
    ledger: &mut Ledger,
    mut incoming: Incoming,
    batch: &Batch<'_>,
    vouching: &Vouching,
    v: &Verdicts,
    mut merged: Merged,
) -> Result<Merged, Poisoned> {
    let by_hash = &batch.by_hash;
    let mut accepted = Vec::new();
    let placed: HashSet<&ChangeHash> = batch.order.iter().collect();
    let mut keep: Vec<ChangeHash> = batch
        .metas
        .iter()
        .map(|m| m.hash)
        .filter(|h| !placed.contains(h))
        .collect();
    for (i, hash) in batch.order.iter().enumerate() {
        let m = by_hash[hash];
        if v.waiting.contains(hash) && !v.refused.contains(hash) {
            keep.push(*hash);
            merged.deferred += 1;
            continue;
        }
        match &v.verdict[&i] {
            Some(reason) => merged.refused.push(Refused {
                hash: *hash,
                writer: vouching
                    .vouched
                    .get(hash)
                    .and_then(|s| vouching.direct.get(s))
                    .map_or_else(|| m.actor.to_hex_string(), |s| s.device().0),
                reason: reason.clone(),
            }),
            None => accepted.push(*hash),
        }
    }
    for hash in keep {
        if ledger.pending.len() >= MAX_PENDING {
            break;
        }
        if let Some(change) = incoming.change(&hash) {
            ledger.pending.insert(hash, change);
        }
    }
    if accepted.is_empty() {
        return Ok(merged);
    }
    let all = accepted.len() == batch.metas.len();
    if v.applied {
        // The community document's candidates, applied to read it.
    } else if all && batch.doc_empty && incoming.whole.is_some() {
        *doc = incoming.whole.take().expect("checked");
    } else {
        let changes: Vec<Change> = accepted.iter().filter_map(|h| incoming.change(h)).collect();
        merged.written = chunks_of(&changes);
        let applied = catch_unwind(AssertUnwindSafe(|| doc.apply_changes(changes)));
        match applied {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(Poisoned(format!("Automerge refused checked changes: {e}")));
            }
            Err(_) => return Err(Poisoned("applying received changes".into())),
        }
    }
    let seqs = ledger.seqs(doc);
    for hash in &accepted {
        let m = by_hash[hash];
        let seq = seqs.entry(m.actor.clone()).or_insert(0);
        *seq = (*seq).max(m.seq);
    }
    if ledger.genesis.is_none() {
        ledger.genesis = accepted
            .iter()
            .find(|h| by_hash[*h].deps.is_empty())
            .map(|h| (*h, by_hash[h].actor.clone()));
    }
    for hash in &accepted {
        if let Some(s) = vouching.direct.get(hash) {
            ledger.signatures.keep(by_hash[hash].seq, *s);
        }
    }
    ledger
        .epochs
        .extend(accepted.iter().filter(|h| by_hash[*h].epoch).copied());
    merged.applied = accepted.len();
    Ok(merged)
}

/// Sets a document back to `heads`, after changes applied to read it were
/// refused (its actor kept).
fn set_back(doc: &mut AutoCommit, heads: &[ChangeHash]) -> Result<(), Poisoned> {
    let actor = doc.get_actor().clone();
    let back = catch_unwind(AssertUnwindSafe(|| doc.fork_at(heads)))
        .map_err(|_| Poisoned("setting the document back".into()))?
        .map_err(|e| Poisoned(format!("setting the document back: {e}")))?;
    *doc = back.with_actor(actor);
    Ok(())
}

/// Whether a genesis change sets `signed` with its first operation.
fn genesis_requires_signatures(change: &Change) -> bool {
    let mut doc = AutoCommit::new();
    catch_unwind(AssertUnwindSafe(|| doc.apply_changes([change.clone()]))).is_ok_and(|r| r.is_ok())
        && signed_at(&doc, &change.hash())
}

/// The batch in an order where every change follows its dependencies,
/// keeping only changes whose dependencies are held or in the batch; and
/// how many were left out.
fn causal_order(doc: &mut AutoCommit, metas: &[Meta]) -> (Vec<ChangeHash>, usize) {
    let in_batch: HashMap<ChangeHash, &Meta> = metas.iter().map(|m| (m.hash, m)).collect();
    let mut waiting: HashMap<ChangeHash, usize> = HashMap::new();
    let mut dependents: HashMap<ChangeHash, Vec<ChangeHash>> = HashMap::new();
    let mut ready = Vec::new();
    let mut missing = HashSet::new();
    for m in metas {
        let mut n = 0;
        for d in &m.deps {
            if in_batch.contains_key(d) {
                n += 1;
                dependents.entry(*d).or_default().push(m.hash);
            } else if !holds(doc, &[*d]) {
                missing.insert(m.hash);
            }
        }
        if n == 0 && !missing.contains(&m.hash) {
            ready.push(m.hash);
        }
        waiting.insert(m.hash, n);
    }
    // Stable: the batch's own order among ready changes.
    ready.reverse();
    let mut order = Vec::with_capacity(metas.len());
    while let Some(h) = ready.pop() {
        order.push(h);
        if let Some(ds) = dependents.get(&h) {
            for d in ds.iter().rev() {
                let n = waiting.get_mut(d).expect("indexed");
                *n -= 1;
                if *n == 0 && !missing.contains(d) {
                    ready.push(*d);
                }
            }
        }
    }
    let left = metas.len() - order.len();
    (order, left)
}

/// For each change of the batch vouched by a signature, the hash of the
/// signed change that vouches for it: itself, or a later change of the same
/// actor that depends on it.
fn vouch(
    by_hash: &HashMap<ChangeHash, &Meta>,
    direct: &HashMap<ChangeHash, Signed>,
) -> HashMap<ChangeHash, ChangeHash> {
    let mut vouched: HashMap<ChangeHash, ChangeHash> = HashMap::new();
    for signed in direct.keys() {
        let actor = &by_hash[signed].actor;
        let mut stack = vec![*signed];
        let mut seen = HashSet::new();
        while let Some(h) = stack.pop() {
            if !seen.insert(h) {
                continue;
            }
            let Some(m) = by_hash.get(&h) else { continue };
            if &m.actor == actor {
                if vouched.contains_key(&h) && h != *signed {
                    // Already vouched, and so is everything of this actor below it.
                    continue;
                }
                vouched.insert(h, *signed);
            }
            stack.extend(m.deps.iter().copied());
        }
    }
    vouched
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    #[test]
    fn the_actor_of_a_change_is_read_from_its_header() {
        let actor = ActorId::from(b"0123456789abcdef".as_slice());
        let mut doc = AutoCommit::new().with_actor(actor.clone());
        doc.put(ROOT, "a", 1).unwrap();
        doc.put(ROOT, "b", "x".repeat(2_000)).unwrap();
        let first = doc.get_last_local_change().unwrap();
        doc.put(ROOT, "c", 2).unwrap();
        let second = doc.get_last_local_change().unwrap();
        for mut change in [first, second] {
            assert_eq!(change_actor(change.raw_bytes()), Some(actor.clone()));
            assert_eq!(change_actor(&change.bytes()), Some(actor.clone()));
        }
        let mut big = doc.get_last_local_change().unwrap();
        doc.put(ROOT, "d", "y".repeat(5_000)).unwrap();
        big = doc.get_last_local_change().unwrap_or(big);
        let compressed = big.bytes().into_owned();
        assert_eq!(compressed[8], 2, "a compressed change chunk");
        assert_eq!(change_actor(&compressed), Some(actor.clone()));
        assert_eq!(change_actor(b"short"), None);
    }
}
