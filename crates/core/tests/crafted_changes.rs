//! Automerge changes built to order, not mutated bytes: a structure-aware
//! fuzzer of what a peer (or a file on disk) can hand Passerelle.
//!
//! `mutated_inputs.rs` flips bits in real files; most of what it makes
//! fails Automerge's checksum or its column parser, so it seldom reaches
//! the code that *applies* a change. Here every input is a well-formed
//! change (checksum and hash right), made with Automerge's own API on the
//! example community (plus commands by its members, each under their own
//! device's actor) and then, where the API cannot produce the shape, its
//! header rewritten field by field (automerge's `storage/change.rs`):
//!
//! - actors: random ones, those derived from real member device keys
//!   (`DeviceKey::actor`), those that already wrote the document;
//! - dependencies: the real heads, an earlier state (a fork), an old change,
//!   none, foreign hashes, another document's heads, one listed twice;
//! - operations on the real objects (root and item maps, lists, texts,
//!   read from the real document): put, overwrite, delete, increment,
//!   insert, splice, new objects, marks, unknown scalar types, and changes
//!   over 256 bytes, which Automerge deflates;
//! - headers: a sequence number already used (same actor, other content),
//!   gaps in sequence numbers, colliding, low or huge start ops, author
//!   footers where Automerge writes none, extra actors nobody uses, another
//!   actor, trailing bytes, a value's type changed under its bytes;
//! - files of several changes: a chain, two concurrent writers of the same
//!   keys, one change twice with other content, an existing change beside.
//!
//! `crafted_changes_through_the_real_entry_points` (CI, stable toolchain)
//! feeds 10,000 crafted changes through the node's entry points: (1) every
//! input as a stored file, `layout::load_signed_file` into a copy of its
//! document as the store reads one (a panic inside is caught there and the
//! file refused: none may escape); (2) one input in two in a sync message
//! from a peer, its changes through `gate::merge` as the node receives
//! them (signed by the member device that wrote them, when its key is known
//! here), then written as `persist_docs` writes (the chunk of what is new,
//! with its signatures) and as a compaction writes (the whole snapshot),
//! each read back: whatever the gate accepts must load again with the same
//! heads, whatever it refuses must leave the document as it was; (3) a
//! dozen as a `.chunk` file in a real data directory a node starts on: it
//! must start and still list the community (a bad file is quarantined,
//! never a dead node). `crafted_fixtures_replay` replays the fixtures the
//! same way.
//!
//! `crafted_changes_through_files_and_sync_messages` and
//! `crafted_changes_through_a_starting_node` (ignored, on demand) are the
//! longer study of Automerge itself: the input through Automerge's own
//! `receive_sync_message` (which the node no longer uses for changes) and
//! through `load_file` then `save()`/`save_after()` straight through
//! Automerge, a hundred through a starting node:
//! `cargo test -p passerelle-core --test crafted_changes -- --ignored --nocapture`.
//!
//! Every panic is recorded with where it happened (the panic hook sees
//! panics Passerelle catches itself, too). A test fails when a panic
//! escapes an entry point, when a refused input changed the document, when
//! an accepted one leaves a document that does not load again, or when a
//! node does not list the community. The tables say, for each shape, what
//! became of the inputs; then each distinct panic (where, how often, how
//! many escaped, the smallest input, Automerge's frames) and each other
//! failure, whose smallest input is kept in `tests/fixtures/crafted/`
//! (see its `INDEX.md`; the study keeps one for every panic, caught or not).
//!
//! `PASSERELLE_CRAFTED_CI_CHANGES` (10,000) sizes the CI run;
//! `PASSERELLE_CRAFTED_CHANGES` (10,000) and `PASSERELLE_CRAFTED_NODE_INPUTS`
//! (100) the study; the seed is fixed.
//!
//! The generator and the pipeline above the `harness` module are shared
//! with the cargo-fuzz target `fuzz/fuzz_targets/crafted_changes.rs`, which
//! draws the same choices from libFuzzer's bytes instead of a seeded
//! ChaCha.
#![allow(dead_code)]

use std::collections::BTreeMap;

use automerge::marks::{ExpandMark, Mark};
use automerge::sync::SyncDoc;
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, Author, AutoCommit, Change, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue,
    Value,
};
use passerelle_core::model::gate::{self, Authority, Incoming, Ledger, Writers};
use passerelle_core::model::layout::{
    check_kind, decode_sync_message, load_file, load_signed_file,
};
use passerelle_core::model::signing::{Signed, wrap_file};
use passerelle_core::model::{
    AgendaCommand, Author as CommandAuthor, Command, CommunityDocs, DeviceKey, DocKind,
    ExchangeCommand, ExchangeKind, ExchangeMode, FilCommand, IdeaCommand, ItemId, MemberCommand,
    MemberId, Role, RsvpAnswer, ViewCache,
};

// ------------------------------------------------------------------ choices

/// Where the generator's choices come from: a seeded ChaCha in the test,
/// libFuzzer's bytes in the fuzz target.
pub trait Draw {
    /// Any number.
    fn u64(&mut self) -> u64;

    /// A number below `n` (0 when `n` is 0 or 1).
    fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            0
        } else {
            (self.u64() % n as u64) as usize
        }
    }

    /// True one time in `n`.
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// `n` bytes.
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u64() as u8).collect()
    }

    /// One to `max` bytes.
    fn some_bytes(&mut self, max: usize) -> Vec<u8> {
        let n = 1 + self.below(max);
        self.bytes(n)
    }

    /// An index into `weights`, drawn by weight.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut at = self.below(total as usize) as u32;
        for (i, w) in weights.iter().enumerate() {
            if at < *w {
                return i;
            }
            at -= w;
        }
        weights.len() - 1
    }
}

fn pick<'a, T>(d: &mut dyn Draw, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        None
    } else {
        Some(&items[d.below(items.len())])
    }
}

/// One of `(weight, label)`.
fn choose(d: &mut dyn Draw, table: &[(u32, &'static str)]) -> &'static str {
    let weights: Vec<u32> = table.iter().map(|(w, _)| *w).collect();
    table[d.weighted(&weights)].1
}

/// Choices read from a fuzzer's bytes (zeros once they run out).
pub struct FuzzBytes<'a> {
    data: &'a [u8],
}

impl<'a> FuzzBytes<'a> {
    /// Choices from these bytes.
    pub fn new(data: &'a [u8]) -> Self {
        FuzzBytes { data }
    }
}

impl Draw for FuzzBytes<'_> {
    fn u64(&mut self) -> u64 {
        let n = self.data.len().min(4);
        let mut out = [0u8; 8];
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        u64::from_le_bytes(out)
    }
}

// --------------------------------------------------------- the community

/// The time the base community's history ends (a fixed date and fixed
/// ids: the base is the same on every run).
pub const NOW: i64 = 1_780_000_000_000;

/// A real community, and what the generator reads from each document.
pub struct Base {
    /// The community.
    pub community: CommunityDocs,
    /// Each document, in `DocKind::ALL` order.
    pub docs: Vec<BaseDoc>,
    /// The actors of every member's device (`DeviceKey::actor`).
    pub member_actors: Vec<ActorId>,
    /// Who may write its collections, as the gate reads the community
    /// document.
    pub writers: Writers,
    /// The devices whose secret keys are known here (the admin's, and
    /// three members'): the gate path signs their changes, as a member's
    /// device (honest or not) would.
    pub signers: Vec<([u8; 32], ActorId)>,
}

/// The device key of a secret (an Ed25519 key, as a device's iroh key).
fn device_of(secret: &[u8; 32]) -> DeviceKey {
    Signed::with_secret(secret, ChangeHash([0; 32])).device()
}
/// One document of the base community.
pub struct BaseDoc {
    /// Which document.
    pub kind: DocKind,
    /// The document.
    pub doc: AutoCommit,
    /// Its heads.
    pub heads: Vec<ChangeHash>,
    /// Its changes, in causal order.
    pub changes: Vec<ChangeInfo>,
    /// A few of its changes' bytes (the first ones and the last ones).
    pub raw: Vec<Vec<u8>>,
    /// Its objects (the root, item maps, their fields...), read from it.
    pub objects: Vec<Obj>,
    /// The document at earlier points of its history, with their heads.
    pub forks: Vec<(Vec<ChangeHash>, AutoCommit)>,
    /// The document saved: a copy saving the same bytes is intact.
    pub saved: Vec<u8>,
}

/// What the generator needs of an existing change.
#[derive(Clone, Debug)]
pub struct ChangeInfo {
    /// Its hash.
    pub hash: ChangeHash,
    /// Its actor.
    pub actor: ActorId,
    /// Its sequence number.
    pub seq: u64,
    /// Its first operation's counter.
    pub start_op: u64,
}

/// An object of a document.
#[derive(Clone, Debug)]
pub struct Obj {
    /// Its id.
    pub id: ObjId,
    /// Map, list or text.
    pub ty: ObjType,
    /// A map's keys.
    pub keys: Vec<String>,
    /// A list's or text's length.
    pub len: usize,
}

/// Objects read per document at most.
const MAX_OBJECTS: usize = 4_000;

fn walk(doc: &AutoCommit, id: ObjId, ty: ObjType, out: &mut Vec<Obj>) {
    if out.len() >= MAX_OBJECTS {
        return;
    }
    let (keys, len) = match ty {
        ObjType::Map | ObjType::Table => (doc.keys(&id).collect::<Vec<_>>(), 0),
        _ => (Vec::new(), doc.length(&id)),
    };
    let mut children = Vec::new();
    match ty {
        ObjType::Map | ObjType::Table => {
            for key in &keys {
                if let Ok(Some((Value::Object(t), child))) = doc.get(&id, key.as_str()) {
                    children.push((child, t));
                }
            }
        }
        ObjType::List => {
            for i in 0..len {
                if let Ok(Some((Value::Object(t), child))) = doc.get(&id, i) {
                    children.push((child, t));
                }
            }
        }
        ObjType::Text => {}
    }
    out.push(Obj { id, ty, keys, len });
    for (child, t) in children {
        walk(doc, child, t, out);
    }
}

/// Builds the base: the example community (`demo::example_community`,
/// fixed time and ids), then a few commands by each of its members, each
/// from the actor of their own device as a real device writes: the
/// documents hold several writers, as a community used for a while does.
/// (A generated community of the same spread is ten times bigger, and
/// every document load in a debug build costs in proportion.)
pub fn base() -> Base {
    let mut n = 0u128;
    let mut random = move || {
        n += 1;
        n * 0x9E37_79B9_7F4A_7C15
    };
    let secrets: Vec<[u8; 32]> = (1..=4u8).map(|i| [i; 32]).collect();
    let me = device_of(&secrets[0]);
    let mut community =
        passerelle_demo::example_community(&me.actor(), (&me, "Nadia"), NOW, &mut random)
            .expect("the example community builds");
    // Three members whose devices' secrets are known, admitted by the admin.
    for (i, secret) in secrets.iter().enumerate().skip(1) {
        community
            .apply(
                &CommandAuthor { device: me.clone() },
                Command::Members(MemberCommand::AddMember {
                    id: MemberId::from_parts(NOW, random()),
                    display_name: format!("Membre {i}"),
                    role: Role::Membre,
                    device: device_of(secret),
                    device_label: "portable".into(),
                }),
                NOW,
            )
            .expect("the admin adds a member");
    }
    let view = ViewCache::default()
        .view(&mut community)
        .expect("the example community is viewed");
    let idea = view.ideas.first().map(|i| i.id.clone());
    let event = view.events.first().map(|e| e.id.clone());
    let mut devices = Vec::new();
    for (i, member) in view.community.members.iter().enumerate() {
        for device in member.devices.keys() {
            let device = DeviceKey(device.clone());
            devices.push(device.clone());
            if device == me {
                continue;
            }
            let author = CommandAuthor {
                device: device.clone(),
            };
            let at = NOW + 1_000 * i as i64;
            let id = |n: u128| ItemId::from_parts(at, n);
            let mut commands = vec![
                Command::Exchanges(ExchangeCommand::AddExchange {
                    id: id(random()),
                    kind: if i % 2 == 0 {
                        ExchangeKind::Offer
                    } else {
                        ExchangeKind::Need
                    },
                    title: format!("Coup de main {i}"),
                    description: "Un après-midi, près du jardin partagé".into(),
                    category: "jardinage".into(),
                    mode: ExchangeMode::CoupDeMain,
                    place: None,
                }),
                Command::Fil(FilCommand::AddPost {
                    id: id(random()),
                    text: format!("Merci à tous pour samedi ({i}) !"),
                }),
                Command::Members(MemberCommand::UpdateProfile {
                    display_name: None,
                    skills: Some(vec!["vélo".into(), format!("savoir {i}")]),
                    languages: None,
                }),
            ];
            if let Some(idea) = &idea {
                commands.push(Command::Ideas(IdeaCommand::Vote { idea: idea.clone() }));
            }
            if let Some(event) = &event {
                commands.push(Command::Agenda(AgendaCommand::Rsvp {
                    event: event.clone(),
                    answer: RsvpAnswer::Yes,
                }));
            }
            community.set_actor(&device.actor());
            for command in commands {
                community
                    .apply(&author, command, at)
                    .expect("a member's command applies");
            }
        }
    }
    community.set_actor(&me.actor());
    let member_actors = devices.iter().map(DeviceKey::actor).collect();
    let docs: Vec<BaseDoc> = community
        .docs()
        .map(|(kind, doc)| base_doc(kind, doc.clone()))
        .collect();
    let writers = Writers::of(&mut docs[0].doc.clone(), &mut Ledger::default());
    let signers = secrets
        .iter()
        .map(|secret| (*secret, device_of(secret).actor()))
        .collect();
    Base {
        community,
        docs,
        member_actors,
        writers,
        signers,
    }
}

fn base_doc(kind: DocKind, mut doc: AutoCommit) -> BaseDoc {
    let heads = doc.get_heads();
    let all = doc.get_changes(&[]);
    let changes: Vec<ChangeInfo> = all
        .iter()
        .map(|c| ChangeInfo {
            hash: c.hash(),
            actor: c.actor_id().clone(),
            seq: c.seq(),
            start_op: c.start_op().get(),
        })
        .collect();
    let n = all.len();
    let raw = all
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < 2 || *i + 3 >= n)
        .map(|(_, c)| c.raw_bytes().to_vec())
        .collect();
    let forks = [n / 3, 2 * n / 3]
        .into_iter()
        .filter(|i| *i + 1 < n)
        .map(|i| {
            let at = vec![changes[i].hash];
            let fork = doc.fork_at(&at).expect("a fork at a real change");
            (at, fork)
        })
        .collect();
    let mut objects = Vec::new();
    walk(&doc, ROOT, ObjType::Map, &mut objects);
    BaseDoc {
        kind,
        saved: doc.save(),
        doc,
        heads,
        changes,
        raw,
        objects,
        forks,
    }
}

// ------------------------------------------------------------ the format

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;

/// A change chunk's header fields, as stored (automerge's
/// `storage/change.rs`): the rest (column metadata, column data, extra
/// bytes) is kept as it is.
#[derive(Clone, Debug, PartialEq)]
pub struct RawChange {
    /// Dependencies.
    pub deps: Vec<[u8; 32]>,
    /// Actor.
    pub actor: Vec<u8>,
    /// Sequence number.
    pub seq: u64,
    /// Counter of the first operation.
    pub start_op: u64,
    /// Time, seconds.
    pub time: i64,
    /// Message (UTF-8 in a valid change).
    pub message: Vec<u8>,
    /// The other actors the operations name.
    pub other_actors: Vec<Vec<u8>>,
    /// Column metadata, column data and extra bytes.
    pub rest: Vec<u8>,
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn uleb(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for i in 0..10 {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn sleb(&mut self) -> Option<i64> {
        let mut value = 0i64;
        let mut shift = 0;
        loop {
            let byte = self.take(1)?[0];
            value |= i64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Some(value);
            }
            if shift >= 64 {
                return None;
            }
        }
    }

    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.uleb()? as usize;
        Some(self.take(n)?.to_vec())
    }
}

fn uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut value: i64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn with_len(out: &mut Vec<u8>, bytes: &[u8]) {
    uleb(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

impl RawChange {
    /// Reads an uncompressed change chunk.
    pub fn parse(chunk: &[u8]) -> Option<RawChange> {
        let mut r = Reader(chunk);
        if r.take(4)? != MAGIC {
            return None;
        }
        r.take(4)?;
        if r.take(1)? != [CHUNK_CHANGE] {
            return None;
        }
        let len = r.uleb()? as usize;
        let mut r = Reader(r.take(len)?);
        let deps = (0..r.uleb()?)
            .map(|_| r.take(32).map(|h| h.try_into().unwrap()))
            .collect::<Option<Vec<[u8; 32]>>>()?;
        let actor = r.bytes()?;
        let seq = r.uleb()?;
        let start_op = r.uleb()?;
        let time = r.sleb()?;
        let message = r.bytes()?;
        let other_actors = (0..r.uleb()?)
            .map(|_| r.bytes())
            .collect::<Option<Vec<_>>>()?;
        Some(RawChange {
            deps,
            actor,
            seq,
            start_op,
            time,
            message,
            other_actors,
            rest: r.0.to_vec(),
        })
    }

    fn body(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(self.rest.len() + 64);
        uleb(&mut body, self.deps.len() as u64);
        for dep in &self.deps {
            body.extend_from_slice(dep);
        }
        with_len(&mut body, &self.actor);
        uleb(&mut body, self.seq);
        uleb(&mut body, self.start_op);
        sleb(&mut body, self.time);
        with_len(&mut body, &self.message);
        uleb(&mut body, self.other_actors.len() as u64);
        for actor in &self.other_actors {
            with_len(&mut body, actor);
        }
        body.extend_from_slice(&self.rest);
        body
    }

    /// The chunk, its checksum right: the first four bytes of its hash,
    /// SHA-256 of the chunk type, the body's length and the body.
    pub fn encode(&self) -> Vec<u8> {
        self.encode_and_hash().0
    }

    /// The chunk and the change's hash.
    pub fn encode_and_hash(&self) -> (Vec<u8>, ChangeHash) {
        let body = self.body();
        let hash = chunk_hash(CHUNK_CHANGE, &body);
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&hash[..4]);
        out.push(CHUNK_CHANGE);
        uleb(&mut out, body.len() as u64);
        out.extend_from_slice(&body);
        (out, ChangeHash(hash))
    }

    /// The change's hash.
    pub fn hash(&self) -> ChangeHash {
        ChangeHash(chunk_hash(CHUNK_CHANGE, &self.body()))
    }
}

/// Where, in a change's columns (`RawChange::rest`), each entry of its
/// value-metadata column starts: that column is run-length encoded
/// ULEB128 numbers, `length << 4 | type`, so the low four bits of an
/// entry's first byte are its value's type.
fn value_types(rest: &[u8]) -> Vec<usize> {
    let mut r = Reader(rest);
    let Some(n) = r.uleb() else {
        return Vec::new();
    };
    let mut columns = Vec::new();
    for _ in 0..n {
        let (Some(spec), Some(len)) = (r.uleb(), r.uleb()) else {
            return Vec::new();
        };
        columns.push((spec, len as usize));
    }
    let mut offset = rest.len() - r.0.len();
    for (spec, len) in columns {
        // Column 5 (values), type 6 (value metadata), not deflated.
        if spec == (5 << 4) | 6 {
            let Some(column) = rest.get(offset..offset + len) else {
                return Vec::new();
            };
            let mut r = Reader(column);
            let mut starts = Vec::new();
            while !r.0.is_empty() {
                let Some(count) = r.sleb() else { break };
                let values = match count {
                    0 => {
                        r.uleb(); // a run of nulls
                        0
                    }
                    c if c > 0 => 1,
                    c => c.unsigned_abs() as usize,
                };
                for _ in 0..values {
                    starts.push(offset + column.len() - r.0.len());
                    if r.uleb().is_none() {
                        break;
                    }
                }
            }
            return starts;
        }
        offset += len;
    }
    Vec::new()
}

fn chunk_hash(kind: u8, body: &[u8]) -> [u8; 32] {
    let mut data = vec![kind];
    uleb(&mut data, body.len() as u64);
    data.extend_from_slice(body);
    sha256(&data)
}

/// SHA-256 (FIPS 180-4): the hash Automerge names changes by.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in message.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes(block[4 * i..4 * i + 4].try_into().unwrap());
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (i, word) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// The chunk Automerge would send for this change: deflated when it is
/// over 256 bytes (`Change::bytes`), as it is if Automerge cannot read it.
fn compressed(raw: &[u8]) -> Vec<u8> {
    match Change::from_bytes(raw.to_vec()) {
        Ok(mut change) => change.bytes().into_owned(),
        Err(_) => raw.to_vec(),
    }
}

// ---------------------------------------------------------------- shapes

/// What an input is made of, one label per dimension.
#[derive(Clone, Debug, Default)]
pub struct Shape {
    /// Whose change: `random`, `member device`, `writer of the doc`.
    pub actor: &'static str,
    /// What it depends on.
    pub deps: &'static str,
    /// The kinds of operation in it.
    pub ops: Vec<&'static str>,
    /// How its header was rewritten.
    pub header: &'static str,
    /// How many changes, and how they relate.
    pub chain: &'static str,
    /// Deflated or not.
    pub encoding: &'static str,
}

impl Shape {
    /// The table rows this input counts in.
    pub fn rows(&self) -> Vec<String> {
        let mut rows = vec![
            format!("actor: {}", self.actor),
            format!("deps: {}", self.deps),
            format!("header: {}", self.header),
            format!("chain: {}", self.chain),
            format!("encoding: {}", self.encoding),
        ];
        rows.extend(self.ops.iter().map(|op| format!("ops: {op}")));
        rows
    }

    /// One line, for a report.
    pub fn label(&self) -> String {
        format!(
            "actor {}, deps {}, ops [{}], header {}, chain {}, {}",
            self.actor,
            self.deps,
            self.ops.join(" "),
            self.header,
            self.chain,
            self.encoding
        )
    }

    /// A short name for a fixture file.
    pub fn slug(&self) -> String {
        let mut parts = vec![self.header, self.deps];
        if self.chain != "one" {
            parts.push(self.chain);
        }
        parts.push(if self.encoding == "deflated" {
            "deflated"
        } else {
            "raw"
        });
        let joined: String = parts
            .join("-")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        joined
            .split('-')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// A crafted input: one or more change chunks for one document.
#[derive(Clone, Debug)]
pub struct Crafted {
    /// The document it is for.
    pub kind: DocKind,
    /// What it is made of.
    pub shape: Shape,
    /// The changes, each a chunk as Automerge writes it.
    pub chunks: Vec<Vec<u8>>,
    /// Their hashes.
    pub hashes: Vec<ChangeHash>,
    /// The sync message carrying them (encoded).
    pub message: Vec<u8>,
    /// How many of them are new (not an existing change sent again).
    pub crafted: usize,
}

impl Crafted {
    /// The changes as one stored file (what `save_after` writes).
    pub fn file(&self) -> Vec<u8> {
        self.chunks.concat()
    }
}

/// Objects and counters this input created, for its later operations.
#[derive(Default)]
struct Made {
    objects: Vec<Obj>,
    counters: Vec<(ObjId, String)>,
}

fn scalar(d: &mut dyn Draw) -> ScalarValue {
    match d.below(11) {
        0 => ScalarValue::Str(text(d, 12).into()),
        1 => ScalarValue::Int(d.u64() as i64),
        2 => ScalarValue::Uint(d.u64()),
        3 => ScalarValue::F64(
            *pick(d, &[0.5, -1e300, f64::NAN, f64::INFINITY, -0.0]).unwrap_or(&0.0),
        ),
        4 => ScalarValue::Boolean(d.one_in(2)),
        5 => ScalarValue::Null,
        6 => ScalarValue::Timestamp(d.u64() as i64),
        7 => {
            let n = d.below(20);
            ScalarValue::Bytes(d.bytes(n))
        }
        8 => ScalarValue::counter(d.u64() as i64 >> d.below(64)),
        9 => ScalarValue::Str("".into()),
        _ => ScalarValue::Str(
            (*pick(d, &["done", "open", "admin", "need", "offer", "community"]).unwrap()).into(),
        ),
    }
}

fn text(d: &mut dyn Draw, max: usize) -> String {
    const PIECES: [&str; 10] = [
        "a", "é", "Jardin ", "日本", "🦀", "\n", "œuvre", " ", "x", "\u{200d}",
    ];
    (0..d.below(max) + 1)
        .map(|_| PIECES[d.below(PIECES.len())])
        .collect()
}

fn key(d: &mut dyn Draw, obj: &Obj) -> String {
    match d.below(6) {
        0 if !obj.keys.is_empty() => obj.keys[d.below(obj.keys.len())].clone(),
        1 => format!("01K{:023X}", d.u64()),
        2 => (*pick(
            d,
            &[
                "kind",
                "schema",
                "title",
                "status",
                "role",
                "revoked",
                "removed_at",
            ],
        )
        .unwrap())
        .to_owned(),
        3 => text(d, 4),
        4 => String::new(),
        _ => format!("k{}", d.below(1000)),
    }
}

fn target<'a>(
    d: &mut dyn Draw,
    bd: &'a BaseDoc,
    made: &'a Made,
    want: impl Fn(&Obj) -> bool,
) -> Option<&'a Obj> {
    // New objects first, sometimes: operations on what the change itself made.
    if !made.objects.is_empty() && d.one_in(3) {
        let fresh: Vec<&Obj> = made.objects.iter().filter(|o| want(o)).collect();
        if let Some(o) = pick(d, &fresh) {
            return Some(o);
        }
    }
    let all: Vec<&Obj> = bd.objects.iter().filter(|o| want(o)).collect();
    pick(d, &all).copied()
}

fn is_map(o: &Obj) -> bool {
    o.ty == ObjType::Map
}

fn is_list(o: &Obj) -> bool {
    o.ty == ObjType::List
}

fn is_text(o: &Obj) -> bool {
    o.ty == ObjType::Text
}

const OPS: &[(u32, &str)] = &[
    (4, "put"),
    (3, "overwrite"),
    (3, "delete"),
    (2, "increment"),
    (3, "insert"),
    (3, "splice"),
    (3, "new object"),
    (1, "mark"),
    (1, "unknown scalar"),
    (1, "large"),
];

/// One operation of kind `op` on the fork; an error (a stale object in an
/// old fork, a position off a character) leaves the fork as it was.
fn operate(
    fork: &mut AutoCommit,
    d: &mut dyn Draw,
    bd: &BaseDoc,
    made: &mut Made,
    op: &str,
) -> Result<(), automerge::AutomergeError> {
    let none = || automerge::AutomergeError::Fail;
    match op {
        "put" | "unknown scalar" => {
            let obj = target(d, bd, made, is_map).ok_or_else(none)?.clone();
            let key = key(d, &obj);
            let value = if op == "put" {
                scalar(d)
            } else {
                // Codes 10 to 15 are the unknown ones: Automerge's API takes
                // any code, and a known one (or one over 15) corrupts the
                // document it is put in (see the report); values mislabelled
                // on the wire are made by `dress` ("value retyped").
                let type_code = 10 + d.below(6) as u8;
                let n = d.below(12);
                ScalarValue::Unknown {
                    type_code,
                    bytes: d.bytes(n),
                }
            };
            fork.put(&obj.id, key, value)
        }
        "overwrite" => {
            let obj = target(d, bd, made, |o| is_map(o) && !o.keys.is_empty())
                .ok_or_else(none)?
                .clone();
            let key = obj.keys[d.below(obj.keys.len())].clone();
            if d.one_in(3) {
                // An object where a value was (or a new one in its place).
                let ty = *pick(d, &[ObjType::Map, ObjType::List, ObjType::Text]).unwrap();
                let id = fork.put_object(&obj.id, key, ty)?;
                made.objects.push(Obj {
                    id,
                    ty,
                    keys: vec![],
                    len: 0,
                });
                Ok(())
            } else {
                fork.put(&obj.id, key, scalar(d))
            }
        }
        "delete" => {
            let obj = target(d, bd, made, |o| !o.keys.is_empty() || o.len > 0)
                .ok_or_else(none)?
                .clone();
            if is_map(&obj) {
                let key = obj.keys[d.below(obj.keys.len())].clone();
                fork.delete(&obj.id, key)
            } else if is_list(&obj) {
                fork.delete(&obj.id, d.below(obj.len + 1))
            } else {
                let at = d.below(obj.len + 1);
                fork.splice_text(&obj.id, at, 1 + d.below(4) as isize, "")
            }
        }
        "increment" => {
            if let Some((obj, key)) = pick(d, &made.counters).cloned() {
                return fork.increment(&obj, key, d.u64() as i64 >> d.below(64));
            }
            let obj = target(d, bd, made, is_map).ok_or_else(none)?.clone();
            let key = key(d, &obj);
            if d.one_in(4) {
                // An increment of what is no counter.
                return fork.increment(&obj.id, key, 1);
            }
            fork.put(
                &obj.id,
                key.clone(),
                ScalarValue::counter(d.below(100) as i64),
            )?;
            made.counters.push((obj.id.clone(), key.clone()));
            if d.one_in(2) {
                fork.increment(&obj.id, key, -(d.below(5) as i64))?;
            }
            Ok(())
        }
        "insert" => {
            let obj = target(d, bd, made, is_list).ok_or_else(none)?.clone();
            let at = d.below(obj.len + 2);
            if d.one_in(3) {
                let ty = *pick(d, &[ObjType::Map, ObjType::List, ObjType::Text]).unwrap();
                let id = fork.insert_object(&obj.id, at, ty)?;
                made.objects.push(Obj {
                    id,
                    ty,
                    keys: vec![],
                    len: 0,
                });
                Ok(())
            } else {
                fork.insert(&obj.id, at, scalar(d))
            }
        }
        "splice" => {
            let obj = target(d, bd, made, is_text).ok_or_else(none)?.clone();
            let at = d.below(obj.len + 2);
            let del = if d.one_in(3) { d.below(6) as isize } else { 0 };
            fork.splice_text(&obj.id, at, del, &text(d, 20))
        }
        "new object" => {
            let obj = target(d, bd, made, is_map).ok_or_else(none)?.clone();
            let ty = *pick(d, &[ObjType::Map, ObjType::List, ObjType::Text]).unwrap();
            let key = key(d, &obj);
            let id = fork.put_object(&obj.id, key, ty)?;
            match ty {
                ObjType::Map => fork.put(&id, "title", scalar(d))?,
                ObjType::List => fork.insert(&id, 0, scalar(d))?,
                _ => fork.splice_text(&id, 0, 0, &text(d, 8))?,
            }
            made.objects.push(Obj {
                id,
                ty,
                keys: if ty == ObjType::Map {
                    vec!["title".into()]
                } else {
                    vec![]
                },
                len: 1,
            });
            Ok(())
        }
        "mark" => {
            let obj = target(d, bd, made, |o| is_text(o) && o.len > 0)
                .ok_or_else(none)?
                .clone();
            let start = d.below(obj.len + 1);
            let end = start + d.below(obj.len + 2 - start);
            let name = *pick(d, &["bold", "link", "comment", ""]).unwrap();
            let expand = *pick(
                d,
                &[
                    ExpandMark::Before,
                    ExpandMark::After,
                    ExpandMark::Both,
                    ExpandMark::None,
                ],
            )
            .unwrap();
            if d.one_in(4) {
                fork.unmark(&obj.id, name, start, end, expand)
            } else {
                // Not a NaN: Automerge's debug assertion compares marks with
                // `==` (a debug build's false alarm, see the report).
                let value = match scalar(d) {
                    ScalarValue::F64(f) if f.is_nan() => ScalarValue::F64(0.0),
                    value => value,
                };
                fork.mark(&obj.id, Mark::new(name.into(), value, start, end), expand)
            }
        }
        // Over 256 bytes, so that Automerge deflates the change; no
        // bigger than that needs (every document load costs in proportion).
        "large" => match d.below(3) {
            0 => {
                let obj = target(d, bd, made, is_text).ok_or_else(none)?.clone();
                let at = if d.one_in(2) { 0 } else { obj.len };
                let long: String = (0..150 + d.below(600))
                    .map(|i| ["a", "é", "b", " ", "🦀"][(i + d.below(2)) % 5])
                    .collect();
                fork.splice_text(&obj.id, at, 0, &long)
            }
            1 => {
                let obj = target(d, bd, made, is_map).ok_or_else(none)?.clone();
                let id = fork.put_object(&obj.id, key(d, &obj), ObjType::List)?;
                let values: Vec<ScalarValue> = (0..40 + d.below(120)).map(|_| scalar(d)).collect();
                fork.splice(&id, 0, 0, values)
            }
            _ => {
                let obj = target(d, bd, made, is_map).ok_or_else(none)?.clone();
                for i in 0..20 + d.below(40) {
                    fork.put(&obj.id, format!("{}{i}", key(d, &obj)), scalar(d))?;
                }
                Ok(())
            }
        },
        other => unreachable!("{other}"),
    }
}

fn random_actor(d: &mut dyn Draw) -> ActorId {
    let len = if d.one_in(8) { 1 + d.below(32) } else { 16 };
    ActorId::from(d.bytes(len))
}

fn random_hash(d: &mut dyn Draw) -> [u8; 32] {
    d.bytes(32).try_into().unwrap()
}

/// Changes made with Automerge's API on a fork of a real document: the
/// costly part of an input, dressed many times over by [`dress`].
#[derive(Clone, Debug)]
pub struct Body {
    /// Index of its document in `Base::docs`.
    pub doc: usize,
    /// Whose they are.
    pub actor: &'static str,
    /// `heads` or `earlier state`.
    pub deps: &'static str,
    /// `one`, `two in a row`, `concurrent writers`.
    pub chain: &'static str,
    /// The kinds of operation in them.
    pub ops: Vec<&'static str>,
    /// The changes, as Automerge wrote them.
    pub changes: Vec<RawChange>,
    /// Their hashes.
    pub hashes: Vec<ChangeHash>,
}

/// Makes changes with Automerge's own API: a fork of one document (at its
/// heads, or at an earlier state), an actor, a few operations on its real
/// objects, committed.
pub fn body(base: &Base, d: &mut dyn Draw) -> Body {
    let index = match d.below(DocKind::ALL.len() + 1) {
        i if i < base.docs.len() => i,
        _ => 0, // the community document, which decides access, more often
    };
    let bd = &base.docs[index];
    let mut deps = if d.one_in(5) && !bd.forks.is_empty() {
        "earlier state"
    } else {
        "heads"
    };
    let chain = choose(
        d,
        &[(6, "one"), (3, "two in a row"), (2, "concurrent writers")],
    );
    let actor_shape = choose(
        d,
        &[
            (3, "random"),
            (3, "member device"),
            (3, "writer of the doc"),
        ],
    );
    let actor = match actor_shape {
        // A device whose key is known (its changes pass the gate's
        // signature check) half the time.
        "member device" if d.one_in(2) => pick(d, &base.signers).map(|(_, a)| a.clone()),
        "member device" => pick(d, &base.member_actors).cloned(),
        "writer of the doc" => pick(d, &bd.changes).map(|c| c.actor.clone()),
        _ => None,
    }
    .unwrap_or_else(|| random_actor(d));
    let (mut fork, from) = match deps {
        "earlier state" => {
            let (heads, fork) = pick(d, &bd.forks).unwrap();
            (fork.clone(), heads.clone())
        }
        _ => (bd.doc.clone(), bd.heads.clone()),
    };
    fork.set_actor(actor);
    if d.one_in(8) {
        // Automerge writes an author in an actor's first change only.
        fork.set_author(Some(Author::from(d.some_bytes(16))));
    }
    let mut made = Made::default();
    let mut ops = std::collections::BTreeSet::new();
    let large = d.one_in(3);
    let mut work = |fork: &mut AutoCommit, d: &mut dyn Draw, made: &mut Made, n: usize| {
        for _ in 0..n {
            let op = choose(d, OPS);
            if operate(fork, d, bd, made, op).is_ok() {
                ops.insert(op);
            }
        }
        // Deflated only when over 256 bytes: make it big.
        if large && operate(fork, d, bd, made, "large").is_ok() {
            ops.insert("large");
        }
    };
    let commit = |fork: &mut AutoCommit, d: &mut dyn Draw| {
        let time = d.u64() as i64 >> d.below(64);
        let message = (!d.one_in(4)).then(|| text(d, 10));
        let options = || {
            let options = CommitOptions::default().with_time(time);
            match &message {
                Some(m) => options.with_message(m.clone()),
                None => options,
            }
        };
        if fork.commit_with(options()).is_none() {
            // Nothing applied: an empty change, a shape of its own.
            fork.empty_change(options());
        }
    };
    let n = if d.one_in(12) { 0 } else { 1 + d.below(6) };
    work(&mut fork, d, &mut made, n);
    commit(&mut fork, d);
    if chain == "two in a row" {
        let n = 1 + d.below(3);
        work(&mut fork, d, &mut made, n);
        commit(&mut fork, d);
    }
    let mut changes: Vec<RawChange> = fork
        .get_changes(&from)
        .iter()
        .map(|c| RawChange::parse(c.raw_bytes()).expect("Automerge's own changes parse"))
        .collect();
    if chain == "concurrent writers" {
        // Another writer, from the same state, at the same keys.
        let mut other = bd.doc.clone();
        other.set_actor(random_actor(d));
        if let Some(obj) = made.objects.first().or_else(|| bd.objects.first()) {
            let keys: Vec<String> = if obj.keys.is_empty() {
                vec!["title".into()]
            } else {
                obj.keys.clone()
            };
            for key in keys.iter().take(3) {
                let _ = other.put(&obj.id, key.as_str(), scalar(d));
            }
        }
        commit(&mut other, d);
        changes.extend(
            other
                .get_changes(&bd.heads)
                .iter()
                .map(|c| RawChange::parse(c.raw_bytes()).expect("Automerge's own changes parse")),
        );
        if deps == "earlier state" {
            deps = "earlier state and heads";
        }
    }
    let hashes = changes.iter().map(RawChange::hash).collect();
    Body {
        doc: index,
        hashes,
        actor: actor_shape,
        deps,
        chain,
        ops: if ops.is_empty() {
            vec!["none (empty change)"]
        } else {
            ops.into_iter().collect()
        },
        changes,
    }
}

/// Dresses a body: its first change's header rewritten (sequence number,
/// start op, actor, extra bytes), its dependencies replaced, the file
/// made of more changes, deflated or not. Cheap: bytes only.
pub fn dress(base: &Base, body: &Body, d: &mut dyn Draw) -> Crafted {
    let bd = &base.docs[body.doc];
    let mut shape = Shape {
        actor: body.actor,
        ops: body.ops.clone(),
        header: choose(
            d,
            &[
                (10, "none"),
                (3, "duplicate seq"),
                (3, "seq gap"),
                (1, "seq 0 or max"),
                (3, "start op collision"),
                (1, "start op 1"),
                (1, "start op huge"),
                (1, "start op near u32 max"),
                (2, "author footer"),
                (1, "unused actor"),
                (1, "actor swapped"),
                (1, "trailing bytes"),
                (2, "value retyped"),
            ],
        ),
        deps: choose(
            d,
            &[
                (14, "as made"),
                (2, "old change"),
                (3, "none"),
                (2, "foreign"),
                (1, "heads and foreign"),
                (1, "other document"),
                (1, "listed twice"),
            ],
        ),
        chain: match choose(
            d,
            &[
                (10, "as made"),
                (2, "same seq twice"),
                (1, "beside an old change"),
            ],
        ) {
            "as made" => body.chain,
            other => other,
        },
        encoding: if d.one_in(2) { "deflated" } else { "raw" },
    };
    if shape.deps == "as made" {
        shape.deps = body.deps;
    }
    let mut raws = body.changes.clone();
    let first = &mut raws[0];
    let natural_seq = first.seq;
    let same_actor: Vec<&ChangeInfo> = bd
        .changes
        .iter()
        .filter(|c| c.actor.to_bytes() == first.actor.as_slice())
        .collect();
    match shape.header {
        "duplicate seq" => match pick(d, &same_actor) {
            Some(c) if c.seq < natural_seq => first.seq = c.seq,
            _ => {
                // Another change's actor and sequence number.
                if let Some(c) = pick(d, &bd.changes) {
                    first.actor = c.actor.to_bytes().to_vec();
                    first.seq = c.seq;
                }
            }
        },
        "seq gap" => first.seq = natural_seq + 1 + d.below(4) as u64,
        "seq 0 or max" => first.seq = if d.one_in(2) { 0 } else { u64::MAX },
        "start op collision" => {
            let pool = if same_actor.is_empty() {
                bd.changes.iter().collect()
            } else {
                same_actor.clone()
            };
            if let Some(c) = pick(d, &pool) {
                first.start_op = c.start_op;
            }
        }
        "start op 1" => first.start_op = 1,
        "start op huge" => first.start_op = u64::from(u32::MAX) + 1 + d.u64() % 1000,
        "start op near u32 max" => first.start_op = u64::from(u32::MAX) - d.below(3) as u64,
        "author footer" => {
            let author = d.some_bytes(16);
            let mut footer = vec![1u8];
            uleb(&mut footer, author.len() as u64);
            footer.extend_from_slice(&author);
            first.rest.extend_from_slice(&footer);
        }
        "unused actor" => {
            let other = if d.one_in(2) {
                first.actor.clone()
            } else {
                random_actor(d).to_bytes().to_vec()
            };
            first.other_actors.push(other);
        }
        "actor swapped" => {
            let other = pick(d, &bd.changes)
                .map(|c| c.actor.clone())
                .unwrap_or_else(|| random_actor(d));
            first.actor = other.to_bytes().to_vec();
        }
        "trailing bytes" => {
            let extra = d.some_bytes(8);
            first.rest.extend_from_slice(&extra);
        }
        "value retyped" => {
            // A value's type changed, its bytes kept: a string of bytes
            // that are not UTF-8, a number of the wrong length...
            let at = value_types(&first.rest);
            if let Some(&at) = pick(d, &at) {
                let code = *pick(d, &[0u8, 1, 2, 3, 4, 5, 6, 7, 8, 9]).unwrap();
                first.rest[at] = (first.rest[at] & !0x0f) | code;
            }
        }
        _ => {}
    }
    match shape.deps {
        "old change" => {
            if let Some(c) = pick(d, &bd.changes) {
                first.deps = vec![c.hash.0];
            }
        }
        "none" => first.deps.clear(),
        "foreign" => first.deps = (0..1 + d.below(2)).map(|_| random_hash(d)).collect(),
        "heads and foreign" => {
            first.deps.push(random_hash(d));
            first.deps.sort();
        }
        "other document" => {
            let other = &base.docs[(body.doc + 1 + d.below(base.docs.len() - 1)) % base.docs.len()];
            first.deps = other.heads.iter().map(|h| h.0).collect();
        }
        "listed twice" => {
            if let Some(dep) = first.deps.first().copied() {
                first.deps.push(dep);
            } else {
                first.deps = vec![bd.heads[0].0, bd.heads[0].0];
            }
        }
        _ => {}
    }
    // The changes after the first name it by its new hash.
    let mut renamed = BTreeMap::new();
    let mut encoded: Vec<(Vec<u8>, ChangeHash)> = Vec::with_capacity(raws.len() + 1);
    for (raw, made) in raws.iter_mut().zip(&body.hashes) {
        for dep in &mut raw.deps {
            if let Some(new) = renamed.get(dep) {
                *dep = *new;
            }
        }
        let (bytes, hash) = raw.encode_and_hash();
        renamed.insert(made.0, hash.0);
        encoded.push((bytes, hash));
    }
    let crafted = encoded.len();
    match shape.chain {
        "same seq twice" => {
            let mut twin = raws[0].clone();
            twin.message = format!("twin {}", d.u64()).into_bytes();
            encoded.push(twin.encode_and_hash());
        }
        "beside an old change" => {
            if let Some(old) = pick(d, &bd.raw) {
                let old = RawChange::parse(old).unwrap().encode_and_hash();
                encoded.insert(d.below(encoded.len() + 1), old);
            }
        }
        _ => {}
    }
    let hashes: Vec<ChangeHash> = encoded.iter().map(|(_, h)| *h).collect();
    let chunks: Vec<Vec<u8>> = encoded
        .into_iter()
        .map(|(bytes, _)| {
            if shape.encoding == "deflated" {
                compressed(&bytes)
            } else {
                bytes
            }
        })
        .collect();
    if shape.encoding == "deflated" && chunks.iter().all(|c| c[8] != CHUNK_COMPRESSED) {
        shape.encoding = "raw (too small to deflate)";
    }
    let mut heads = hashes.clone();
    heads.sort();
    let message = automerge::sync::Message {
        heads,
        need: Vec::new(),
        have: Vec::new(),
        changes: chunks.clone().into(),
        flags: None,
        version: if d.one_in(4) {
            automerge::sync::MessageVersion::V2
        } else {
            automerge::sync::MessageVersion::V1
        },
    }
    .encode();
    Crafted {
        kind: bd.kind,
        shape,
        chunks,
        hashes,
        message,
        crafted,
    }
}

/// One input, made and dressed.
pub fn craft(base: &Base, d: &mut dyn Draw) -> Crafted {
    let body = body(base, d);
    dress(base, &body, d)
}

// ----------------------------------------------------------- entry points

/// Runs one step of an input; `None` if it panicked (the test records the
/// panic, the fuzz target aborts).
pub trait Guard {
    /// Runs `f` as the step `stage`.
    fn run<R>(&mut self, stage: &'static str, f: impl FnOnce() -> R) -> Option<R>;

    /// Whether a refused or unchanged input's document is saved and loaded
    /// again too (always in the fuzz target; in the test, when a panic was
    /// caught on the way, since the document may be left half changed).
    fn thorough(&self) -> bool {
        true
    }
}

/// What became of an input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Refused, the document unchanged.
    Refused,
    /// Accepted, heads unchanged (a change waiting for its dependencies, or
    /// one already held).
    Unchanged,
    /// Applied, saved and loaded again with the same heads.
    Applied,
    /// Applied, but the document no longer passes the layout check
    /// (`check_kind`): the node sets it aside at its next start.
    AppliedLayoutRefused,
    /// The gate caught Automerge panicking on the input and gave up the
    /// document, to be read again from disk (`gate::Poisoned`).
    Poisoned,
    /// Something that must not happen, said in words.
    Bug(String),
    /// A panic escaped this step.
    Panicked(&'static str),
}

impl Outcome {
    /// Its column in the tables.
    pub fn column(&self) -> String {
        match self {
            Outcome::Refused => "refused".into(),
            Outcome::Unchanged => "accepted, no change".into(),
            Outcome::Applied => "applied, reloads".into(),
            Outcome::AppliedLayoutRefused => "applied, layout refused".into(),
            Outcome::Poisoned => "poisoned, read again".into(),
            Outcome::Bug(_) => "BUG".into(),
            Outcome::Panicked(stage) => format!("PANIC in {stage}"),
        }
    }

    /// Whether the test fails on it.
    pub fn fails(&self) -> bool {
        matches!(self, Outcome::Bug(_) | Outcome::Panicked(_))
    }
}

/// What saving and loading a document again gave, by the document's
/// heads: the same input through a file and through a sync message, or
/// the same body dressed raw and deflated, leaves the same document (the
/// same changes on the same base), saved and loaded again once.
#[derive(Default)]
pub struct Memo {
    saved: Vec<(Vec<ChangeHash>, Outcome)>,
}

macro_rules! step {
    ($g:expr, $stage:expr, $f:expr) => {
        match $g.run($stage, $f) {
            Some(value) => value,
            None => return Outcome::Panicked($stage),
        }
    };
}

/// (1) The input as a stored file, loaded into a copy of its document the
/// way the store loads a document's files.
pub fn through_file<G: Guard>(g: &mut G, bd: &BaseDoc, file: &[u8], memo: &mut Memo) -> Outcome {
    let mut doc = Some(bd.doc.clone());
    let loaded = step!(g, "layout::load_file", || load_file(&mut doc, file));
    let Some(mut doc) = doc else {
        return Outcome::Bug("load_file dropped the document".into());
    };
    match loaded {
        Err(_) => refused(g, bd, &mut doc, memo),
        Ok(()) => saved_and_reloaded(g, bd, &mut doc, memo),
    }
}

/// (2) The input in a sync message from a peer, received as the node
/// receives one (`peers/receive.rs`), then answered.
pub fn through_sync<G: Guard>(g: &mut G, bd: &BaseDoc, message: &[u8], memo: &mut Memo) -> Outcome {
    let decoded = step!(g, "layout::decode_sync_message", || decode_sync_message(
        message
    ));
    let Ok(decoded) = decoded else {
        return Outcome::Refused;
    };
    let mut doc = bd.doc.clone();
    let mut state = automerge::sync::State::new();
    let received = step!(g, "sync receive_sync_message", || doc
        .sync()
        .receive_sync_message(&mut state, decoded));
    if received.is_err() {
        return refused(g, bd, &mut doc, memo);
    }
    step!(g, "sync generate_sync_message", || doc
        .sync()
        .generate_sync_message(&mut state));
    saved_and_reloaded(g, bd, &mut doc, memo)
}

/// Changes the gate refused, by reason, every input together.
pub static REFUSALS: std::sync::Mutex<BTreeMap<String, usize>> =
    std::sync::Mutex::new(BTreeMap::new());

/// (2b) The input in a sync message, received as the node receives one
/// (`peers/receive.rs`): its changes judged and merged by `gate::merge`
/// (sequence numbers, equivocation, devices listed, shapes, Automerge under
/// `catch_unwind`), the rest of the message by Automerge's sync; then
/// written as `State::persist_docs` writes it: the chunk of what is new
/// (`save_after` the heads on disk) with its signatures (`wrap_file`), read
/// back onto the document as it was on disk by `load_signed_file`, as the
/// next start reads it; and the whole document as a compaction writes its
/// snapshot, read back alone. Both must give the heads held in memory.
pub fn through_gate<G: Guard>(
    g: &mut G,
    base: &Base,
    bd: &BaseDoc,
    message: &[u8],
    _memo: &mut Memo,
) -> Outcome {
    let decoded = step!(g, "layout::decode_sync_message", || decode_sync_message(
        message
    ));
    let Ok(mut decoded) = decoded else {
        return Outcome::Refused;
    };
    let chunks = std::mem::replace(&mut decoded.changes, automerge::sync::ChunkList::empty());
    let incoming = step!(g, "gate::Incoming::read", || Incoming::read(chunks.iter()));
    let Ok(incoming) = incoming else {
        return Outcome::Refused;
    };
    let authority = if bd.kind == DocKind::Community {
        Authority::Community
    } else {
        Authority::Collection(&base.writers)
    };
    // The changes of the devices whose secrets are known, signed by them.
    let signatures: Vec<Signed> = step!(g, "sign (Ed25519)", || chunks
        .iter()
        .filter_map(|chunk| Change::try_from(chunk).ok())
        .filter_map(|change| {
            let (secret, _) = base.signers.iter().find(|(_, a)| a == change.actor_id())?;
            Some(Signed::with_secret(secret, change.hash()))
        })
        .collect());
    let mut doc = bd.doc.clone();
    let mut ledger = Ledger::default();
    let merged = step!(g, "gate::merge", || gate::merge(
        &mut doc,
        &mut ledger,
        authority,
        incoming,
        &signatures
    ));
    let Ok(merged) = merged else {
        // The node reads the community again from disk.
        return Outcome::Poisoned;
    };
    {
        let mut reasons = REFUSALS.lock().unwrap_or_else(|e| e.into_inner());
        for refused in &merged.refused {
            // "numbered 12" and "numbered 3" are one reason.
            let reason: String = refused
                .reason
                .to_string()
                .split(' ')
                .map(|w| if w.parse::<u64>().is_ok() { "N" } else { w })
                .collect::<Vec<_>>()
                .join(" ");
            *reasons.entry(reason).or_default() += 1;
        }
    }
    let mut state = automerge::sync::State::new();
    // Its changes are gone: only heads, needs and filters are left.
    let _ = step!(g, "sync receive_sync_message (after the gate)", || doc
        .sync()
        .receive_sync_message(&mut state, decoded));
    step!(g, "sync generate_sync_message", || doc
        .sync()
        .generate_sync_message(&mut state));
    let heads = step!(g, "get_heads", || doc.get_heads());
    if merged.applied == 0 || heads == bd.heads {
        if heads != bd.heads {
            return Outcome::Bug("a refused input changed the document's heads".into());
        }
        return if merged.refused.is_empty() {
            Outcome::Unchanged
        } else {
            Outcome::Refused
        };
    }
    // The chunk `persist_docs` writes, read back as the next start reads it.
    let chunk = step!(g, "save_after", || doc.save_after(&bd.heads));
    let file = wrap_file(&ledger.for_chunks([chunk.as_slice()]), &chunk);
    let mut again = Some(bd.doc.clone());
    let reloaded = step!(g, "load_signed_file of the chunk written", || {
        load_signed_file(&mut again, &file)
    });
    if let Err(e) = reloaded {
        return Outcome::Bug(format!("accepted by the gate, its chunk is refused: {e}"));
    }
    let mut again = again.expect("a loaded document");
    if step!(g, "get_heads of the chunk written", || again.get_heads()) != heads {
        return Outcome::Bug("accepted by the gate, its chunk loads with other heads".into());
    }
    // The snapshot a compaction writes, read back alone.
    let snapshot = step!(g, "save", || doc.save());
    let file = wrap_file(&ledger.signatures, &snapshot);
    let mut again = None;
    let reloaded = step!(g, "load_signed_file of the snapshot", || {
        load_signed_file(&mut again, &file)
    });
    if let Err(e) = reloaded {
        return Outcome::Bug(format!(
            "accepted by the gate, its snapshot is refused: {e}"
        ));
    }
    let mut again = again.expect("a loaded document");
    if step!(g, "get_heads of the snapshot", || again.get_heads()) != heads {
        return Outcome::Bug("accepted by the gate, its snapshot loads with other heads".into());
    }
    if !step!(g, "layout::check_kind", || check_kind(&doc, bd.kind)
        .is_ok())
    {
        return Outcome::AppliedLayoutRefused;
    }
    Outcome::Applied
}

/// (1b) The input as a stored file, read as the store reads one
/// (`store.rs` `load_doc`): `load_signed_file` into a copy of its
/// document. Automerge panicking inside is caught there and the file
/// refused (the store quarantines it, and reads the document again without
/// it if it had others): what may not happen is a panic escaping. Whether
/// what a stored file holds saves again is the starting node's concern
/// (below): such a file is one this node wrote, or a hostile hand did.
pub fn through_stored_file<G: Guard>(g: &mut G, bd: &BaseDoc, file: &[u8]) -> Outcome {
    let mut doc = Some(bd.doc.clone());
    let loaded = step!(g, "layout::load_signed_file", || load_signed_file(
        &mut doc, file
    ));
    if loaded.is_err() {
        return Outcome::Refused;
    }
    let Some(mut doc) = doc else {
        return Outcome::Bug("load_signed_file dropped the document".into());
    };
    if step!(g, "get_heads", || doc.get_heads()) == bd.heads {
        Outcome::Unchanged
    } else {
        Outcome::Applied
    }
}

fn refused<G: Guard>(g: &mut G, bd: &BaseDoc, doc: &mut AutoCommit, memo: &mut Memo) -> Outcome {
    let heads = step!(g, "get_heads after a refusal", || doc.get_heads());
    if heads != bd.heads {
        return Outcome::Bug("a refused input changed the document's heads".into());
    }
    if !g.thorough() {
        return Outcome::Refused;
    }
    // The document stays in use after a refused file (the next file of the
    // document loads into it): it must still save and load.
    match saved_and_reloaded(g, bd, doc, memo) {
        Outcome::Unchanged => Outcome::Refused,
        Outcome::Bug(what) => Outcome::Bug(format!("after a refusal: {what}")),
        other => other,
    }
}

/// A document that took the input: saved whole (as a compaction writes its
/// snapshot) and as a chunk of what is new (as a command or a sync
/// writes), each loaded again through `load_file` with the same heads.
fn saved_and_reloaded<G: Guard>(
    g: &mut G,
    bd: &BaseDoc,
    doc: &mut AutoCommit,
    memo: &mut Memo,
) -> Outcome {
    let heads = step!(g, "get_heads", || doc.get_heads());
    if !g.thorough() {
        if heads == bd.heads {
            return Outcome::Unchanged;
        }
        if let Some((_, outcome)) = memo.saved.iter().find(|(saved, _)| *saved == heads) {
            return outcome.clone();
        }
    }
    let snapshot = step!(g, "save", || doc.save());
    if snapshot == bd.saved {
        // The document as it was, byte for byte.
        return Outcome::Unchanged;
    }
    let outcome = reload(g, bd, doc, &heads, &snapshot);
    if !matches!(outcome, Outcome::Panicked(_)) && !g.thorough() {
        memo.saved.push((heads, outcome.clone()));
    }
    outcome
}

fn reload<G: Guard>(
    g: &mut G,
    bd: &BaseDoc,
    doc: &mut AutoCommit,
    heads: &[ChangeHash],
    snapshot: &[u8],
) -> Outcome {
    let mut again = None;
    let reloaded = step!(g, "load_file of the saved document", || load_file(
        &mut again, snapshot
    ));
    if let Err(e) = reloaded {
        return Outcome::Bug(format!("accepted in memory, its save() is refused: {e}"));
    }
    let mut again = again.expect("a loaded document");
    let reheads = step!(g, "get_heads of the saved document", || again.get_heads());
    if reheads != heads {
        return Outcome::Bug("accepted in memory, its save() loads with other heads".into());
    }
    if heads == bd.heads {
        return Outcome::Unchanged;
    }
    let chunk = step!(g, "save_after", || doc.save_after(&bd.heads));
    let mut again = Some(bd.doc.clone());
    let reloaded = step!(g, "load_file of the new chunk", || load_file(
        &mut again, &chunk
    ));
    if let Err(e) = reloaded {
        return Outcome::Bug(format!(
            "accepted in memory, its chunk (save_after) is refused: {e}"
        ));
    }
    let mut again = again.expect("a loaded document");
    let reheads = step!(g, "get_heads of the new chunk", || again.get_heads());
    if reheads != heads {
        return Outcome::Bug("accepted in memory, its chunk loads with other heads".into());
    }
    let layout = step!(g, "layout::check_kind", || check_kind(doc, bd.kind).is_ok());
    if !layout {
        return Outcome::AppliedLayoutRefused;
    }
    Outcome::Applied
}

// ---------------------------------------------------------------- harness

#[cfg(test)]
mod harness {
    use super::*;

    use std::backtrace::Backtrace;
    use std::cell::Cell;
    use std::collections::{BTreeSet, HashSet};
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex, Once, OnceLock};
    use std::time::{Duration, Instant};

    use passerelle_core::model::CommunityId;
    use passerelle_core::{Handle, Node, NodeConfig};
    use rand::{RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Changes crafted per run (about 6,800 inputs of one to four changes,
    /// each through a file and a sync message, one in three through the gate).
    const CHANGES: usize = 10_000;
    /// Threads the inputs are shared among.
    const SHARES: usize = 2;
    /// One input in this many also goes through the gate (its signature
    /// checks cost most of the run in a debug build).
    const GATE_EVERY: usize = 3;
    /// Each body (changes made with Automerge's API) is dressed this many
    /// times (headers, dependencies, files of several changes, encoding).
    const DRESSINGS: usize = 12;
    /// Inputs put in a data directory a node starts on.
    const NODE_INPUTS: usize = 100;
    /// The longest one input may take before it counts as a hang.
    const PER_INPUT: Duration = Duration::from_secs(10);
    /// The seed of the run.
    const SEED: u64 = 0xC4AF7ED;

    /// [`CHANGES`], or `PASSERELLE_CRAFTED_CHANGES` (a longer or shorter run).
    fn changes() -> usize {
        std::env::var("PASSERELLE_CRAFTED_CHANGES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(CHANGES)
    }

    /// [`NODE_INPUTS`], or `PASSERELLE_CRAFTED_NODE_INPUTS`.
    fn node_inputs() -> usize {
        std::env::var("PASSERELLE_CRAFTED_NODE_INPUTS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(NODE_INPUTS)
    }

    impl Draw for ChaCha8Rng {
        fn u64(&mut self) -> u64 {
            self.next_u64()
        }
    }

    /// The base community, built once for every test of the file.
    fn shared_base() -> &'static Base {
        static BASE: OnceLock<Base> = OnceLock::new();
        BASE.get_or_init(base)
    }

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crafted")
    }

    // ------------------------------------------------------------ panics

    /// A panic the hook saw.
    #[derive(Clone, Debug)]
    struct Seen {
        stage: &'static str,
        message: String,
        location: String,
        thread: std::thread::ThreadId,
        /// Taken for the first panic at each place (resolved when printed).
        backtrace: Option<Arc<Backtrace>>,
    }

    static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());
    /// Time spent in each step, all tests together.
    static TIMES: Mutex<BTreeMap<&'static str, Duration>> = Mutex::new(BTreeMap::new());
    /// The stage panics on the node's threads are counted in.
    static NODE_STAGE: Mutex<&'static str> = Mutex::new("node");

    thread_local! {
        static STAGE: Cell<Option<&'static str>> = const { Cell::new(None) };
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records every panic of a step, on any thread, without printing it
    /// (the summary says each once); the tests' own failures print as usual.
    fn watch_panics() {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let default = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let stage = STAGE.with(Cell::get).or_else(|| {
                    // A thread of the node's: its runtime's workers, the
                    // threads loading its documents.
                    let thread = std::thread::current();
                    let node = thread.name().is_none_or(|n| n.starts_with("tokio"));
                    node.then(|| *lock(&NODE_STAGE))
                });
                let Some(stage) = stage else {
                    return default(info);
                };
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(not a string)".into());
                let location = info
                    .location()
                    .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                    .unwrap_or_default();
                let mut seen = lock(&SEEN);
                let first = !seen.iter().any(|s| s.location == location);
                seen.push(Seen {
                    stage,
                    message,
                    location,
                    thread: std::thread::current().id(),
                    backtrace: first.then(|| Arc::new(Backtrace::force_capture())),
                });
            }));
        });
    }

    /// The test's guard: each step under `catch_unwind`, the panics the hook
    /// saw meanwhile kept with whether they escaped.
    #[derive(Default)]
    struct Catch {
        /// Panics of the current input: (what, escaped the entry point).
        panics: Vec<(Seen, bool)>,
        /// Counts panics of the node's threads too.
        node: bool,
    }

    impl Guard for Catch {
        fn run<R>(&mut self, stage: &'static str, f: impl FnOnce() -> R) -> Option<R> {
            STAGE.with(|s| s.set(Some(stage)));
            if self.node {
                *lock(&NODE_STAGE) = stage;
            }
            let before = lock(&SEEN).len();
            let t = Instant::now();
            let result = catch_unwind(AssertUnwindSafe(f));
            *lock(&TIMES).entry(stage).or_default() += t.elapsed();
            STAGE.with(|s| s.set(None));
            let me = std::thread::current().id();
            let new: Vec<Seen> = lock(&SEEN)
                .get(before..)
                .unwrap_or_default()
                .iter()
                .filter(|s| s.thread == me || (self.node && s.stage == stage))
                .cloned()
                .collect();
            let n = new.len();
            for (i, seen) in new.into_iter().enumerate() {
                // The last panic is the one that escaped, if one did.
                let escaped = result.is_err() && i + 1 == n;
                self.panics.push((seen, escaped));
            }
            result.ok()
        }

        fn thorough(&self) -> bool {
            !self.panics.is_empty()
        }
    }

    // ---------------------------------------------------------- watchdog

    /// Turns a hang into a failure: an input running over [`PER_INPUT`] is
    /// written out and the process exits.
    struct Watchdog {
        current: Arc<Mutex<(Instant, String, Vec<u8>)>>,
        done: Arc<AtomicBool>,
    }

    impl Watchdog {
        fn start() -> Self {
            let current = Arc::new(Mutex::new((Instant::now(), String::new(), Vec::new())));
            let done = Arc::new(AtomicBool::new(false));
            let (c, stop) = (current.clone(), done.clone());
            std::thread::Builder::new()
                .name("watchdog".into())
                .spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(250));
                        let (since, what, input) = &*lock(&c);
                        if !what.is_empty() && since.elapsed() > PER_INPUT {
                            let path = std::env::temp_dir().join("passerelle-crafted-hang.bin");
                            let _ = std::fs::write(&path, input);
                            eprintln!(
                                "{what}: one input ran over {PER_INPUT:?}; kept in {}",
                                path.display()
                            );
                            std::process::exit(101);
                        }
                    }
                })
                .unwrap();
            Watchdog { current, done }
        }

        fn begin(&self, what: String, input: &[u8]) {
            *lock(&self.current) = (Instant::now(), what, input.to_vec());
        }

        fn end(&self) -> Duration {
            let mut current = lock(&self.current);
            current.1.clear();
            current.0.elapsed()
        }
    }

    impl Drop for Watchdog {
        fn drop(&mut self) {
            self.done.store(true, Ordering::SeqCst);
        }
    }

    // ----------------------------------------------------------- reports

    /// An input that went wrong, kept for the report and as a fixture.
    struct Kept {
        path: &'static str,
        kind: DocKind,
        shape: Shape,
        input: Vec<u8>,
        outcome: Outcome,
        panics: Vec<(Seen, bool)>,
    }

    /// Counts by shape and outcome, the slowest input, what went wrong.
    struct Report {
        path: &'static str,
        started: Instant,
        cells: BTreeMap<(String, String), usize>,
        totals: BTreeMap<String, usize>,
        slowest: (Duration, String),
        kept: Vec<Kept>,
    }

    impl Report {
        fn new(path: &'static str) -> Self {
            Report {
                path,
                started: Instant::now(),
                cells: BTreeMap::new(),
                totals: BTreeMap::new(),
                slowest: (Duration::ZERO, String::new()),
                kept: Vec::new(),
            }
        }

        fn add(
            &mut self,
            crafted: &Crafted,
            input: &[u8],
            outcome: Outcome,
            catch: Catch,
            took: Duration,
        ) {
            let mut column = match (self.path, &outcome) {
                ("node", Outcome::Refused) => "started, file quarantined".into(),
                ("node", Outcome::Unchanged) => "started, file kept, no change".into(),
                ("node", Outcome::Applied) => "started, file kept, heads moved".into(),
                _ => outcome.column(),
            };
            if !catch.panics.is_empty() && !matches!(outcome, Outcome::Panicked(_)) {
                column.push_str(" (a panic caught)");
            }
            for row in crafted.shape.rows() {
                *self.cells.entry((row, column.clone())).or_default() += 1;
            }
            *self.totals.entry(column).or_default() += 1;
            if took > self.slowest.0 {
                self.slowest = (
                    took,
                    format!(
                        "{} bytes for {}: {}",
                        input.len(),
                        crafted.kind.as_str(),
                        crafted.shape.label()
                    ),
                );
            }
            if outcome.fails() || !catch.panics.is_empty() {
                self.kept.push(Kept {
                    path: self.path,
                    kind: crafted.kind,
                    shape: crafted.shape.clone(),
                    input: input.to_vec(),
                    outcome,
                    panics: catch.panics,
                });
            }
        }

        fn total(&self) -> usize {
            self.totals.values().sum()
        }

        fn merge(&mut self, other: Report) {
            for (k, v) in other.cells {
                *self.cells.entry(k).or_default() += v;
            }
            for (k, v) in other.totals {
                *self.totals.entry(k).or_default() += v;
            }
            if other.slowest.0 > self.slowest.0 {
                self.slowest = other.slowest;
            }
            self.kept.extend(other.kept);
        }

        fn print(&self) {
            eprintln!(
                "\n== {}: {} inputs in {:.1?}, slowest {:.1?} ({})",
                self.path,
                self.total(),
                self.started.elapsed(),
                self.slowest.0,
                self.slowest.1
            );
            let columns: Vec<&String> = self.totals.keys().collect();
            let rows: BTreeSet<&String> = self.cells.keys().map(|(r, _)| r).collect();
            let width = rows.iter().map(|r| r.len()).max().unwrap_or(10).max(10);
            let mut line = format!("| {:width$}", "shape");
            for c in &columns {
                line.push_str(&format!(" | {c}"));
            }
            eprintln!("{line} |");
            let mut line = format!("|{}", "-".repeat(width + 2));
            for c in &columns {
                line.push_str(&format!("|{}:", "-".repeat(c.len() + 1)));
            }
            eprintln!("{line}|");
            for row in rows {
                let mut line = format!("| {row:width$}");
                for c in &columns {
                    let n = self
                        .cells
                        .get(&(row.clone(), (*c).clone()))
                        .copied()
                        .unwrap_or(0);
                    line.push_str(&format!(" | {n:>w$}", w = c.len()));
                }
                eprintln!("{line} |");
            }
            let mut line = format!("| {:width$}", "all inputs");
            for c in &columns {
                line.push_str(&format!(" | {:>w$}", self.totals[*c], w = c.len()));
            }
            eprintln!("{line} |");
        }
    }

    /// Where a panic happened, short: `automerge-0.12.0/src/change_graph.rs:569`.
    fn short_location(location: &str) -> String {
        let trimmed = location
            .rsplit_once("/registry/src/")
            .map(|(_, rest)| rest.split_once('/').map_or(rest, |(_, r)| r))
            .unwrap_or(location);
        match trimmed.rsplit_once(':') {
            Some((place, _column)) => place.to_owned(),
            None => trimmed.to_owned(),
        }
    }

    /// The frames of a backtrace worth reading: Automerge's and ours, from
    /// the panic up to the test.
    fn frames(backtrace: &Backtrace) -> Vec<String> {
        let text = backtrace.to_string();
        let mut out: Vec<String> = Vec::new();
        for line in text.lines() {
            let Some((_, name)) = line.trim().split_once(": ") else {
                continue;
            };
            let name = name.trim();
            let ours = [
                "automerge::",
                "<automerge::",
                "hexane::",
                "<hexane::",
                "passerelle",
            ]
            .iter()
            .any(|p| name.starts_with(p))
                || (name.starts_with("crafted_changes::") && !name.contains("harness"));
            if ours && out.last().map(String::as_str) != Some(name) {
                out.push(name.to_owned());
            }
        }
        out
    }

    /// A distinct panic: where, in which step, how often.
    struct Group<'a> {
        stage: &'static str,
        location: String,
        message: String,
        count: usize,
        escaped: usize,
        smallest: &'a Kept,
        backtrace: Option<Arc<Backtrace>>,
        shapes: BTreeMap<String, usize>,
    }

    /// Escapes found and not yet closed (a failure's words, as
    /// [`summarise`] groups them), each described in docs/SECURITY.md:
    /// printed, not failures, and no fixture written (the replay would fail
    /// on it). Empty: every escape found so far is closed, so any new one
    /// fails the test.
    const KNOWN_OPEN: &[&str] = &[];

    /// Prints each distinct panic once, writes a fixture for each failure
    /// and, with `every_panic`, for each panic caught too (its smallest
    /// input), and an index of them; returns what fails the test.
    fn summarise(kept: &[Kept], every_panic: bool) -> Vec<String> {
        let mut groups: BTreeMap<(&'static str, &'static str, String), Group> = BTreeMap::new();
        let mut failures = Vec::new();
        let mut bugs: BTreeMap<String, (usize, &Kept)> = BTreeMap::new();
        for k in kept {
            if let Outcome::Bug(what) = &k.outcome {
                // "at byte 153" and "at byte 155" are one bug.
                let what = match what.split_once(" at byte ") {
                    Some((head, tail)) => {
                        let rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
                        format!("{head} at byte N{rest}")
                    }
                    None => what.clone(),
                };
                let entry = bugs.entry(format!("{}: {what}", k.path)).or_insert((0, k));
                entry.0 += 1;
                if k.input.len() < entry.1.input.len() {
                    entry.1 = k;
                }
            }
            for (seen, escaped) in &k.panics {
                let location = short_location(&seen.location);
                let group = groups
                    .entry((k.path, seen.stage, location.clone()))
                    .or_insert_with(|| Group {
                        stage: seen.stage,
                        location,
                        message: seen.message.clone(),
                        count: 0,
                        escaped: 0,
                        smallest: k,
                        backtrace: None,
                        shapes: BTreeMap::new(),
                    });
                group.count += 1;
                group.escaped += usize::from(*escaped);
                if k.input.len() < group.smallest.input.len() {
                    group.smallest = k;
                }
                if group.backtrace.is_none() {
                    group.backtrace = seen.backtrace.clone();
                }
                for dimension in [
                    format!("header {}", k.shape.header),
                    format!("deps {}", k.shape.deps),
                    format!("chain {}", k.shape.chain),
                ] {
                    *group.shapes.entry(dimension).or_default() += 1;
                }
            }
        }
        let mut index = Vec::new();
        for (what, (n, k)) in &bugs {
            if KNOWN_OPEN.contains(&what.as_str()) {
                // Its fixture is kept apart: the replay would find it.
                eprintln!("\n{what}\n  {n} inputs: known and open (docs/SECURITY.md)");
                continue;
            }
            let name = write_fixture(k.path, k, &bug_slug(what));
            eprintln!(
                "\n{what}\n  {n} inputs, smallest {} bytes for {}: {}\n  fixture {name}",
                k.input.len(),
                k.kind.as_str(),
                k.shape.label()
            );
            index.push(format!(
                "| `{name}` | {} | (no panic) | | {} | {n} inputs |",
                k.path,
                what.replace('|', "/")
            ));
            failures.push(format!("{what} ({n} inputs); fixture {name}"));
        }
        if groups.is_empty() {
            eprintln!("\nno panic, caught or not");
        }
        for ((path, _, _), g) in &groups {
            let k = g.smallest;
            let mut common: Vec<_> = g.shapes.iter().collect();
            common.sort_by(|a, b| b.1.cmp(a.1));
            let common: Vec<String> = common
                .iter()
                .take(4)
                .map(|(k, v)| format!("{k} ×{v}"))
                .collect();
            eprintln!(
                "\npanic in {} at {} ({path}): {:?}\n  {} inputs, {} escaped the entry point; smallest {} bytes for {}: {}\n  most common: {}",
                g.stage,
                g.location,
                g.message,
                g.count,
                g.escaped,
                k.input.len(),
                k.kind.as_str(),
                k.shape.label(),
                common.join(", ")
            );
            if let Some(bt) = &g.backtrace {
                for frame in frames(bt).iter().take(16) {
                    eprintln!("    {frame}");
                }
            }
            let name = if *path == "craft" || !(every_panic || g.escaped > 0) {
                None
            } else {
                Some(write_fixture(path, k, &place_slug(&g.location)))
            };
            if let Some(name) = &name {
                eprintln!("  fixture {name}");
                index.push(format!(
                    "| `{name}` | {path} | {} | `{}` | {} | {} of {} |",
                    g.stage,
                    g.location,
                    g.message.replace('|', "/").replace('\n', " "),
                    g.escaped,
                    g.count
                ));
            }
            if g.escaped > 0 && *path != "craft" {
                failures.push(format!(
                    "{path}: a panic escaped {} ({:?} at {}), {} inputs; fixture {}",
                    g.stage,
                    g.message,
                    g.location,
                    g.escaped,
                    name.unwrap_or_default()
                ));
            }
        }
        if !index.is_empty() {
            write_index(&fixtures(), index);
        }
        failures
    }

    /// Words for a file name: ASCII letters and digits, dashes between.
    fn slugify(text: &str, words: usize) -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect::<String>()
            .split('-')
            .filter(|w| !w.is_empty())
            .take(words)
            .collect::<Vec<_>>()
            .join("-")
    }

    /// Where a panic happened, for a file name: `automerge-batch-rs-920`.
    fn place_slug(location: &str) -> String {
        let krate = location
            .split(['/', '-'])
            .next()
            .filter(|c| ["automerge", "hexane"].contains(c))
            .unwrap_or("");
        let file = location.rsplit('/').next().unwrap_or("");
        slugify(&format!("{krate} {file}"), 6)
    }

    /// What went wrong without a panic, for a file name.
    fn bug_slug(what: &str) -> String {
        let reason = |w: &str| w.rsplit(": ").next().unwrap_or("").to_owned();
        let tag = if what.contains("save() is refused") {
            format!("saved-doc-refused {}", reason(what))
        } else if what.contains("save_after) is refused") {
            format!("chunk-refused {}", reason(what))
        } else if what.contains("other heads") {
            "reloads-with-other-heads".to_owned()
        } else if what.contains("refused input changed") {
            "refused-but-changed".to_owned()
        } else if what.contains("quarantined file changed") {
            "quarantined-but-changed".to_owned()
        } else if what.contains("no longer listed") {
            format!(
                "community-not-listed {}",
                reason(what.split(" (").next().unwrap_or(what))
            )
        } else {
            what.to_owned()
        };
        slugify(&format!("bug {tag}"), 8)
    }

    /// Writes an input as `tests/fixtures/crafted/<path>-<doc>-<what>-<shape>-<hash>.bin`.
    fn write_fixture(path: &str, k: &Kept, what: &str) -> String {
        let name = format!(
            "{path}-{}-{what}-{}-{}.bin",
            k.kind.as_str(),
            k.shape.slug(),
            &blake3::hash(&k.input).to_hex()[..8]
        );
        let dir = fixtures();
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(&name);
        if !file.exists() {
            std::fs::write(&file, &k.input).unwrap();
        }
        name
    }

    /// `INDEX.md` of the fixtures: what each is, where it panicked. Rows of
    /// earlier runs stay while their file does.
    fn write_index(dir: &Path, mut rows: Vec<String>) {
        let path = dir.join("INDEX.md");
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        let names: HashSet<String> = rows
            .iter()
            .filter_map(|r| r.split('`').nth(1).map(str::to_owned))
            .collect();
        for line in old.lines().filter(|l| l.starts_with("| `")) {
            let name = line.split('`').nth(1).unwrap_or("");
            if !names.contains(name) && dir.join(name).exists() {
                rows.push(line.to_owned());
            }
        }
        rows.sort();
        rows.dedup();
        let mut out = String::from(
            "# Crafted changes that made Automerge panic, or a document fail to load again\n\n\
             Written by `crates/core/tests/crafted_changes.rs`: one input per place of panic\n\
             and path, the smallest; replayed through the node's real entry points by its\n\
             `crafted_fixtures_replay` test (each must be refused, or saved and loaded again). The\n\
             name says the path (`file`: a stored file through `layout::load_file`; `sync`:\n\
             an encoded sync message through `decode_sync_message`, `receive_sync_message`\n\
             and the answer; `node`: a `.chunk` file in a data directory a node starts on),\n\
             the document it is for (of the community `crafted_changes::base()` builds),\n\
             where Automerge panicked, and the shape of the change: how its header was\n\
             rewritten, what it depends on, the changes around it, its encoding.\n\
             Each input is then saved and loaded again: a panic there means Automerge\n\
             accepted the change in memory and panics on what it saved. `bug` rows are\n\
             inputs that did not panic but left a document that does not load again (or\n\
             changed one while refused, or hid the community from a node), the smallest\n\
             of each kind. `gate`: the sync message through `gate::merge`, the node's\n\
             receive path, its changes signed by the member device that wrote them, then\n\
             written and read back as the node writes. Fixtures of earlier bases whose\n\
             dependencies no longer exist replay as changes waiting for them.\n\n\
             | fixture | path | step | where | message | escaped, of panics |\n\
             |---|---|---|---|---|---|\n",
        );
        for row in rows {
            out.push_str(&row);
            out.push('\n');
        }
        std::fs::write(path, out).unwrap();
    }

    // ------------------------------------------------------------- tests

    /// Changes re-encoded unchanged are byte for byte what Automerge wrote,
    /// and Automerge reads the hashes computed here.
    #[test]
    fn raw_changes_round_trip() {
        let base = shared_base();
        let mut n = 0;
        let mut retyped_ = false;
        for bd in &base.docs {
            for raw in &bd.raw {
                let parsed = RawChange::parse(raw).expect("parses");
                assert_eq!(&parsed.encode(), raw);
                let change = Change::from_bytes(raw.clone()).unwrap();
                assert_eq!(parsed.hash(), change.hash());
                let mut edited = parsed.clone();
                edited.message = "autre".into();
                edited.time = -5;
                let change = Change::from_bytes(edited.encode()).unwrap();
                assert_eq!(change.hash(), edited.hash());
                assert_eq!(change.message(), Some("autre"));
                assert_eq!(change.timestamp(), -5);
                // A value retyped as bytes (any bytes are): still a change.
                let strings = value_types(&parsed.rest)
                    .into_iter()
                    .find(|at| parsed.rest[*at] & 0x0f == 6);
                if let Some(at) = strings {
                    let mut retyped = parsed.clone();
                    retyped.rest[at] = (retyped.rest[at] & !0x0f) | 7;
                    let change = Change::from_bytes(retyped.encode()).unwrap();
                    let bytes = change.decode().operations.iter().any(|op| {
                        matches!(
                            op.action,
                            automerge::legacy::OpType::Put(ScalarValue::Bytes(_))
                        )
                    });
                    assert!(bytes, "{:?}", change.decode().operations);
                    retyped_ = true;
                }
                n += 1;
            }
        }
        assert!(n >= 12);
        assert!(retyped_);
    }

    /// One share of the run's inputs, crafted and fed on a thread of its
    /// own: the file and sync reports, what Automerge's API panicked on,
    /// the changes and bytes made.
    struct Share {
        files: Report,
        syncs: Report,
        gates: Report,
        crafting: Report,
        changes: usize,
        /// Of which through the gate.
        gate_changes: usize,
        bytes: usize,
    }

    /// Which entry points a run feeds.
    #[derive(Clone, Copy)]
    enum Mode {
        /// Every entry point, Automerge's own sync included, one input in
        /// [`GATE_EVERY`] through the gate: a study of Automerge.
        Explore,
        /// The node's entry points only (the CI run): every input as a
        /// stored file, one in `gate_every` received through the gate and
        /// written as the node writes it.
        Node { gate_every: usize },
    }

    fn run_share(base: &Base, share: u64, changes: usize, mode: Mode) -> Share {
        let watchdog = Watchdog::start();
        let mut d = ChaCha8Rng::seed_from_u64(SEED ^ share);
        let mut out = Share {
            files: Report::new("file"),
            syncs: Report::new("sync"),
            gates: Report::new("gate"),
            crafting: Report::new("craft"),
            changes: 0,
            gate_changes: 0,
            bytes: 0,
        };
        let mut body_ = None;
        let mut memo = Memo::default();
        let mut i = 0;
        while out.changes < changes {
            i += 1;
            let mut catch = Catch::default();
            if i % DRESSINGS == 1 {
                body_ = catch.run("craft with Automerge's API", || body(base, &mut d));
                memo = Memo::default();
            }
            let crafted = match &body_ {
                Some(b) => catch.run("dress", || dress(base, b, &mut d)),
                None => None,
            };
            let Some(crafted) = crafted else {
                // Automerge's own API panicked while making the change.
                let blank = Crafted {
                    kind: DocKind::Community,
                    shape: Shape::default(),
                    chunks: vec![],
                    hashes: vec![],
                    message: vec![],
                    crafted: 0,
                };
                let outcome = Outcome::Panicked("craft");
                out.crafting
                    .add(&blank, &[], outcome, catch, Duration::ZERO);
                continue;
            };
            let bd = &base.docs[DocKind::ALL
                .iter()
                .position(|k| *k == crafted.kind)
                .unwrap()];
            let file = crafted.file();
            out.changes += crafted.crafted;
            out.bytes += file.len();

            let gate_every = match mode {
                Mode::Explore => {
                    watchdog.begin(format!("file, input {i} of share {share}"), &file);
                    let mut catch = Catch::default();
                    let outcome = through_file(&mut catch, bd, &file, &mut memo);
                    let took = watchdog.end();
                    out.files.add(&crafted, &file, outcome, catch, took);

                    watchdog.begin(
                        format!("sync, input {i} of share {share}"),
                        &crafted.message,
                    );
                    let mut catch = Catch::default();
                    let outcome = through_sync(&mut catch, bd, &crafted.message, &mut memo);
                    let took = watchdog.end();
                    out.syncs
                        .add(&crafted, &crafted.message, outcome, catch, took);
                    GATE_EVERY
                }
                Mode::Node { gate_every } => {
                    watchdog.begin(format!("stored file, input {i} of share {share}"), &file);
                    let mut catch = Catch::default();
                    let outcome = through_stored_file(&mut catch, bd, &file);
                    let took = watchdog.end();
                    out.files.add(&crafted, &file, outcome, catch, took);
                    gate_every
                }
            };
            if i % gate_every == 0 {
                watchdog.begin(
                    format!("gate, input {i} of share {share}"),
                    &crafted.message,
                );
                let mut catch = Catch::default();
                let outcome = through_gate(&mut catch, base, bd, &crafted.message, &mut memo);
                let took = watchdog.end();
                out.gate_changes += crafted.crafted;
                out.gates
                    .add(&crafted, &crafted.message, outcome, catch, took);
            }
        }
        out
    }

    /// Runs `changes` crafted changes in two shares, one per core, and
    /// prints what became of them; returns the shares put together.
    fn run_shares(base: &'static Base, changes: usize, mode: Mode) -> Share {
        let shares: Vec<Share> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..SHARES)
                .map(|share| {
                    let n = changes / SHARES + usize::from(share < changes % SHARES);
                    std::thread::Builder::new()
                        .name(format!("crafted share {share}"))
                        .spawn_scoped(scope, move || run_share(base, share as u64, n, mode))
                        .unwrap()
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        let mut all = shares.into_iter();
        let mut total = all.next().unwrap();
        for share in all {
            total.files.merge(share.files);
            total.syncs.merge(share.syncs);
            total.gates.merge(share.gates);
            total.crafting.merge(share.crafting);
            total.changes += share.changes;
            total.gate_changes += share.gate_changes;
            total.bytes += share.bytes;
        }
        total.files.print();
        if matches!(mode, Mode::Explore) {
            total.syncs.print();
        }
        total.gates.print();
        eprintln!(
            "\n{} inputs holding {} changes ({} bytes of files), each through a stored file, {} inputs ({} changes) through the gate; {} times Automerge's API panicked while making one",
            total.files.total(),
            total.changes,
            total.bytes,
            total.gates.total(),
            total.gate_changes,
            total.crafting.total()
        );
        total
    }

    fn print_base(base: &Base, started: Instant) {
        eprintln!(
            "base community ({:.1?}): {}",
            started.elapsed(),
            base.docs
                .iter()
                .map(|d| format!(
                    "{} {} changes, {} objects",
                    d.kind.as_str(),
                    d.changes.len(),
                    d.objects.len()
                ))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }

    fn print_times() {
        eprintln!("\ntime by step (both shares, every test of the file running):");
        for (stage, time) in lock(&TIMES).iter() {
            eprintln!("  {stage}: {time:.1?}");
        }
    }

    /// Changes the CI run crafts (`PASSERELLE_CRAFTED_CI_CHANGES`).
    const CI_CHANGES: usize = 10_000;
    /// One input in this many of the CI run is also received through the
    /// gate and written as the node writes (the costly path in debug).
    const CI_GATE_EVERY: usize = 2;
    /// Inputs of the CI run put in a data directory a node starts on.
    const CI_NODE_INPUTS: usize = 12;

    /// The acceptance run, in CI on the stable toolchain: crafted changes
    /// through the node's real entry points. Every input as a stored file
    /// (`load_signed_file`: a panic inside is caught and the file refused,
    /// none may escape); one in [`CI_GATE_EVERY`] received as a peer's sync
    /// message (`gate::merge`, then written as `persist_docs` writes it and
    /// read back, chunk and snapshot: whatever the gate accepts must save
    /// and load again with the same heads, and a refused input must leave
    /// the document as it was); a sample as a `.chunk` file in a data
    /// directory a node starts on (it starts, and lists the community).
    /// Panics caught inside (Automerge's, turned into a refusal or a
    /// quarantine) are counted and printed, not failures. Automerge's own
    /// sync on crafted changes, which the node no longer uses for changes,
    /// is the ignored `crafted_changes_through_files_and_sync_messages`.
    #[test]
    fn crafted_changes_through_the_real_entry_points() {
        watch_panics();
        let started = Instant::now();
        let base = shared_base();
        print_base(base, started);
        let changes = std::env::var("PASSERELLE_CRAFTED_CI_CHANGES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(CI_CHANGES);
        let total = run_shares(
            base,
            changes,
            Mode::Node {
                gate_every: CI_GATE_EVERY,
            },
        );
        eprintln!("\nchanges the gate refused, by reason:");
        for (reason, n) in lock(&REFUSALS).iter() {
            eprintln!("  {n:>6}  {reason}");
        }
        let node = node_sample(base, CI_NODE_INPUTS);
        node.print();
        let mut kept: Vec<Kept> = total.files.kept;
        kept.extend(total.gates.kept);
        kept.extend(node.kept);
        let failures = summarise(&kept, false);
        print_times();
        eprintln!("\nwhole test: {:.1?}", started.elapsed());
        assert!(total.changes >= changes);
        assert!(
            failures.is_empty(),
            "{} failures (see above):\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    /// Every crafted change, through a stored file and a sync message
    /// (Automerge's own `receive_sync_message`), saved and loaded again
    /// straight through Automerge; one in three through the gate. A study
    /// of what Automerge 0.12 does with crafted changes, which writes the
    /// fixtures of what it finds:
    /// `cargo test -p passerelle-core --test crafted_changes -- --ignored crafted_changes_through_files_and_sync_messages --nocapture`.
    #[test]
    #[ignore = "a study of Automerge outside the node's paths: Automerge 0.12 panics on crafted changes in its own sync and in save(), and loads files whose documents do not save again (docs/SECURITY.md, Fuzzing); the node's paths are crafted_changes_through_the_real_entry_points"]
    fn crafted_changes_through_files_and_sync_messages() {
        watch_panics();
        let started = Instant::now();
        let base = shared_base();
        print_base(base, started);
        let total = run_shares(base, changes(), Mode::Explore);
        let mut kept: Vec<Kept> = total.files.kept;
        kept.extend(total.syncs.kept);
        kept.extend(total.gates.kept);
        kept.extend(total.crafting.kept);
        let failures = summarise(&kept, true);
        print_times();
        eprintln!("\nwhole test: {:.1?}", started.elapsed());
        assert!(
            failures.is_empty(),
            "{} failures (see above):\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    /// Copies a directory tree.
    fn copy_tree(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_tree(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }

    /// The data directory's community files and kept views, as they were.
    fn restore(data: &Path, pristine: &Path) {
        for dir in ["communities", "quarantine", "views"] {
            let _ = std::fs::remove_dir_all(data.join(dir));
        }
        for dir in ["communities", "views"] {
            if pristine.join(dir).exists() {
                copy_tree(&pristine.join(dir), &data.join(dir));
            }
        }
    }

    /// What a node started on the data directory says.
    async fn listed(h: &Handle, community: &CommunityId) -> Result<Vec<String>, String> {
        let list = tokio::time::timeout(PER_INPUT, h.communities())
            .await
            .map_err(|_| "the node does not answer".to_owned())?
            .map_err(|e| format!("the node stopped: {e}"))?;
        match list.into_iter().find(|c| c.id == *community) {
            Some(c) => Ok(c.heads),
            None => Err(match h.view(community).await {
                Err(e) => format!("the community is no longer listed: {e}"),
                Ok(_) => "the community is no longer listed".to_owned(),
            }),
        }
    }

    /// A sample of crafted changes as a `.chunk` file in a real data
    /// directory: the node starts, and lists the community, whatever the
    /// file holds.
    #[test]
    #[ignore = "on demand, a hundred node starts (PASSERELLE_CRAFTED_NODE_INPUTS); CI starts a dozen in crafted_changes_through_the_real_entry_points and replays the node fixtures"]
    fn crafted_changes_through_a_starting_node() {
        watch_panics();
        let started = Instant::now();
        let report = node_sample(shared_base(), node_inputs());
        report.print();
        let failures = summarise(&report.kept, true);
        eprintln!("\nwhole test: {:.1?}", started.elapsed());
        assert!(
            failures.is_empty(),
            "{} failures (see above):\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    /// `wanted` crafted inputs, each as a `.chunk` file in a data directory
    /// a node starts on: what became of each.
    fn node_sample(base: &Base, wanted: usize) -> Report {
        let started = Instant::now();
        // Inputs picked from a stream of crafted ones: those that made
        // Automerge panic when loaded as a file, those it applied, others.
        let mut d = ChaCha8Rng::seed_from_u64(SEED ^ 0x40DE);
        let mut picked: Vec<(Vec<u8>, Crafted)> = Vec::new();
        let (mut panicking, mut applied, mut others) = (0, 0, 0);
        let mut tried = 0;
        while picked.len() < wanted && tried < 40 * wanted {
            tried += 1;
            let mut catch = Catch::default();
            let Some(crafted) = catch.run("craft", || craft(base, &mut d)) else {
                continue;
            };
            let bd = &base.docs[DocKind::ALL
                .iter()
                .position(|k| *k == crafted.kind)
                .unwrap()];
            let outcome = through_stored_file(&mut catch, bd, &crafted.file());
            let take = if !catch.panics.is_empty() {
                panicking < wanted * 2 / 5 && {
                    panicking += 1;
                    true
                }
            } else if matches!(outcome, Outcome::Applied | Outcome::AppliedLayoutRefused) {
                applied < wanted * 2 / 5 && {
                    applied += 1;
                    true
                }
            } else {
                others < wanted - wanted * 4 / 5 && {
                    others += 1;
                    true
                }
            };
            if take {
                picked.push((crafted.file(), crafted));
            }
        }
        eprintln!(
            "node inputs: {panicking} that panic as a file, {applied} applied, {others} others, from {tried} crafted ({:.1?})",
            started.elapsed()
        );

        through_nodes(&picked)
    }

    /// Each file as a `.chunk` of its document in a data directory holding
    /// the base community, a node started on it: it must start and list
    /// the community, a file it quarantines having changed nothing.
    fn through_nodes(inputs: &[(Vec<u8>, Crafted)]) -> Report {
        let base = shared_base();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let pristine = tmp.path().join("pristine");
        let (community, expected) = rt.block_on(async {
            let node = Node::start(NodeConfig::new(&data)).unwrap();
            let h = node.handle();
            h.set_display_name("Fuzz").await.unwrap();
            let id = h.add_community_docs(base.community.clone()).await.unwrap();
            let heads = listed(&h, &id).await.unwrap();
            drop(h);
            node.shutdown().await;
            (id, heads)
        });
        copy_tree(&data.join("communities"), &pristine.join("communities"));
        if data.join("views").exists() {
            copy_tree(&data.join("views"), &pristine.join("views"));
        }

        let watchdog = Watchdog::start();
        let mut report = Report::new("node");
        for (i, (file, crafted)) in inputs.iter().enumerate() {
            let path = data
                .join("communities")
                .join(community.as_str())
                .join(crafted.kind.as_str())
                .join(format!("{}.chunk", &blake3::hash(file).to_hex()[..32]));
            std::fs::write(&path, file).unwrap();
            watchdog.begin(format!("node {i}"), file);
            let mut catch = Catch {
                node: true,
                ..Catch::default()
            };
            let outcome = {
                let _runtime = rt.enter();
                match catch.run("Node::start", || Node::start(NodeConfig::new(&data))) {
                    None => Outcome::Panicked("Node::start"),
                    Some(Err(e)) => Outcome::Bug(format!("the node does not start: {e}")),
                    Some(Ok(node)) => {
                        let h = node.handle();
                        let heads = catch.run("Handle::communities", || {
                            rt.block_on(listed(&h, &community))
                        });
                        let quarantined = rt
                            .block_on(h.quarantined())
                            .unwrap_or_default()
                            .into_iter()
                            .map(|q| q.reason)
                            .collect::<Vec<_>>();
                        drop(h);
                        catch.run("Node::shutdown", || rt.block_on(node.shutdown()));
                        match heads {
                            None => Outcome::Panicked("Handle::communities"),
                            Some(Err(e)) => {
                                Outcome::Bug(format!("{e} (quarantined: {quarantined:?})"))
                            }
                            Some(Ok(heads)) if !path.exists() => {
                                if heads == expected {
                                    Outcome::Refused
                                } else {
                                    Outcome::Bug("a quarantined file changed the documents".into())
                                }
                            }
                            Some(Ok(heads)) if heads == expected => Outcome::Unchanged,
                            Some(Ok(_)) => Outcome::Applied,
                        }
                    }
                }
            };
            let outcome = match outcome {
                // A panic in the node's actor shows as a stopped node.
                Outcome::Bug(what)
                    if catch.panics.iter().any(|(s, _)| s.stage != "Node::start") =>
                {
                    for p in &mut catch.panics {
                        p.1 = true;
                    }
                    Outcome::Bug(what)
                }
                other => other,
            };
            let took = watchdog.end();
            report.add(crafted, file, outcome, catch, took);
            restore(&data, &pristine);
        }
        report
    }

    /// A node's view of the community once `file` is in its document: a
    /// view refused hides the community (`Handle::communities` skips it).
    fn viewed(catch: &mut Catch, base: &Base, bd: &BaseDoc, file: &[u8]) -> Outcome {
        let mut docs = base.community.clone();
        let mut doc = Some(bd.doc.clone());
        if catch.run("layout::load_file", || load_file(&mut doc, file)) != Some(Ok(())) {
            return Outcome::Refused;
        }
        *docs.doc_mut(bd.kind).expect("every document") = doc.expect("loaded");
        match catch.run("ViewCache::view", || {
            ViewCache::default()
                .view(&mut docs)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }) {
            None => Outcome::Panicked("ViewCache::view"),
            Some(Err(e)) => Outcome::Bug(format!("the community's view is refused: {e}")),
            Some(Ok(())) => Outcome::Applied,
        }
    }

    /// A crafted input read from a fixture: its document and bytes.
    fn fixture_input(kind: DocKind) -> Crafted {
        Crafted {
            kind,
            shape: Shape::default(),
            chunks: vec![],
            hashes: vec![],
            message: vec![],
            crafted: 0,
        }
    }

    /// The fixtures of earlier runs (Automerge's panics and the documents
    /// it could not load again), through the node's real entry points: a
    /// stored file (`file`) through `load_signed_file`, a sync message
    /// (`sync`, `gate`) through the gate and written as the node writes,
    /// a `.chunk` (`node`) in a data directory a node starts on. Each is
    /// refused, or accepted and saved and loaded again: no panic escapes,
    /// no refused input changes the document, the node lists the community.
    #[test]
    fn crafted_fixtures_replay() {
        watch_panics();
        let base = shared_base();
        let Ok(entries) = std::fs::read_dir(fixtures()) else {
            return;
        };
        let mut names: Vec<String> = entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".bin"))
            .collect();
        names.sort();
        let mut failures = Vec::new();
        let mut for_nodes = Vec::new();
        let mut replayed = 0;
        for name in &names {
            let input = std::fs::read(fixtures().join(name)).unwrap();
            let mut parts = name.splitn(3, '-');
            let (Some(path), Some(kind)) = (parts.next(), parts.next()) else {
                continue;
            };
            let Some(bd) = base.docs.iter().find(|d| d.kind.as_str() == kind) else {
                continue;
            };
            if path == "node" {
                for_nodes.push((input, fixture_input(bd.kind)));
                continue;
            }
            let mut catch = Catch::default();
            let outcome = match path {
                "sync" | "gate" => through_gate(&mut catch, base, bd, &input, &mut Memo::default()),
                _ => through_stored_file(&mut catch, bd, &input),
            };
            replayed += 1;
            let caught = catch.panics.iter().filter(|p| !p.1).count();
            eprintln!(
                "{name}: {} ({caught} panics caught inside)",
                outcome.column()
            );
            if outcome.fails() {
                let why = match &outcome {
                    Outcome::Bug(what) => what.clone(),
                    Outcome::Panicked(stage) => {
                        let (seen, _) = catch.panics.last().unwrap();
                        format!(
                            "a panic escaped {stage}: {:?} at {}",
                            seen.message,
                            short_location(&seen.location)
                        )
                    }
                    _ => unreachable!(),
                };
                failures.push(format!("{name}: {why}"));
            }
        }
        let nodes = through_nodes(&for_nodes);
        nodes.print();
        replayed += nodes.total();
        for k in &nodes.kept {
            if k.outcome.fails() {
                let name = names
                    .iter()
                    .find(|n| std::fs::read(fixtures().join(n)).ok().as_ref() == Some(&k.input))
                    .cloned()
                    .unwrap_or_default();
                failures.push(format!("{name}: {:?}", k.outcome));
            }
        }
        assert_eq!(replayed, names.len());
        assert!(
            failures.is_empty(),
            "{} of {} fixtures fail:\n{}",
            failures.len(),
            names.len(),
            failures.join("\n")
        );
    }
}
