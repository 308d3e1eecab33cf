//! Receiving a batch of sync messages: merged (each document on its own
//! thread), written to disk (chunks at once), announced, and only then
//! answered.

use std::collections::{BTreeMap, HashMap};

use automerge::sync::{ChunkList, Message, State as SyncState, SyncDoc};
use automerge::{AutoCommit, ChangeHash};
use passerelle_model::gate::{self, Authority, Incoming, Ledger, Refused, Writers};
use passerelle_model::layout::{check_kind, new_doc};
use passerelle_model::signing::Signed;
use passerelle_model::{CommunityDocs, CommunityId, DeviceKey, DocKind};
use passerelle_sync::{ReceiveError, Received, SessionId, SyncMessage};

use super::growth::Limit;
use super::{DocRef, doc_index, kind_of};
use crate::error::CoreError;
use crate::node::{Loaded, State};
use crate::refused::{self, Evidence};

/// A received message and the signatures that came with it.
type Signed_ = (Message, Vec<Signed>);

/// What merging one document's messages did: whether its heads moved, and
/// the changes the gate refused.
#[derive(Default)]
struct DocMerge {
    moved: bool,
    /// The document's heads before and after, and the changes it gained
    /// as they came (`None`: not known).
    from: Vec<ChangeHash>,
    to: Vec<ChangeHash>,
    gained: Option<Vec<u8>>,
    refused: Vec<Refused>,
    /// Proof of the equivocations among them.
    evidence: HashMap<ChangeHash, Evidence>,
    /// The peer's own changes past its allowance for this session.
    over: Vec<ChangeHash>,
}

/// Why a document's messages could not be merged.
enum MergeError {
    /// A bad message: the session ends.
    Refused(ReceiveError),
    /// Automerge failed half-way: the document must be read again from disk.
    Poisoned(String),
}

/// Applies received messages to a document: their changes through the
/// gate ([`gate::merge`]), then the rest of the message (heads, needs,
/// Bloom filters) through Automerge's sync protocol.
fn apply_messages(
    doc: &mut AutoCommit,
    ledger: &mut Ledger,
    authority: Authority<'_>,
    state: &mut SyncState,
    messages: Vec<Signed_>,
    limit: Option<&Limit>,
) -> Result<DocMerge, MergeError> {
    let before = doc.get_heads();
    let mut out = DocMerge {
        gained: Some(Vec::new()),
        ..Default::default()
    };
    for (mut message, signatures) in messages {
        let mut chunks = std::mem::replace(&mut message.changes, ChunkList::empty());
        if let Some(limit) = limit {
            let (kept, over) = limit.take(doc, chunks);
            chunks = kept;
            out.over.extend(over);
        }
        if !chunks.is_empty() {
            let incoming = Incoming::read(chunks.iter())
                .map_err(|e| MergeError::Refused(ReceiveError::Malformed(e)))?;
            let merged = gate::merge(doc, ledger, authority, incoming, &signatures)
                .map_err(|e| MergeError::Poisoned(e.to_string()))?;
            if merged.applied > 0 {
                out.gained = match (out.gained.take(), &merged.written) {
                    (Some(mut gained), Some(written)) => {
                        gained.extend_from_slice(written);
                        Some(gained)
                    }
                    _ => None,
                };
            }
            out.evidence.extend(refused::evidence(
                doc,
                chunks.iter(),
                &signatures,
                &merged.refused,
            ));
            out.refused.extend(merged.refused);
        }
        let sent = state.last_sent_heads.clone();
        let their_heads = message.heads.clone();
        // Empty heads again from a peer already known to hold nothing: its
        // answer crossed what we sent (a joiner answering our opening).
        // Automerge would take it for a peer that lost its data and send
        // everything again; within a session it has lost nothing.
        let crossed = (their_heads.is_empty()
            && state.their_heads.as_ref().is_some_and(Vec::is_empty))
        .then(|| state.sent_hashes.clone());
        // Empty heads from a peer that said this session it held some: a
        // modified app pretending to have lost its data, to be sent every
        // document whole for a few bytes, as often as it likes. Within a
        // session nothing is lost: the message is read as saying nothing.
        let pretends =
            their_heads.is_empty() && state.their_heads.as_ref().is_some_and(|h| !h.is_empty());
        let kept = pretends.then(|| state.clone());
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            doc.sync().receive_sync_message(state, message)
        }))
        .map_err(|_| MergeError::Poisoned("Automerge failed on a sync message".into()))?
        .map_err(|e| {
            MergeError::Refused(ReceiveError::Malformed(format!("bad sync message: {e}")))
        })?;
        // When the peer's heads equal ours, Automerge records them as sent,
        // as if we had announced them. But the peer ends a one-off sync only
        // once it has heard our heads (see `in_sync`): after a batch that
        // brought its changes and then its heads, it has not. Keep what was
        // really sent, so the answer announces our heads.
        if let Some(kept) = kept {
            *state = kept;
        } else if !their_heads.is_empty() && state.last_sent_heads == their_heads {
            state.last_sent_heads = sent;
        } else if let Some(sent_hashes) = crossed {
            state.sent_hashes = sent_hashes;
            state.last_sent_heads = sent;
        }
    }
    let after = doc.get_heads();
    out.moved = after != before;
    out.from = before;
    out.to = after;
    Ok(out)
}

/// The next sync message for a document, if one is due. Automerge sends
/// the whole document each time a message is generated while the peer's
/// heads are empty; once it is sent, with our heads unchanged since, the
/// peer has it coming on the same stream, and sending it again would only
/// double what a joiner downloads.
pub(super) fn next_message(doc: &mut AutoCommit, state: &mut SyncState) -> Option<Message> {
    let peer_empty = state.their_heads.as_ref().is_some_and(Vec::is_empty);
    if peer_empty && !state.sent_hashes.is_empty() && state.last_sent_heads == doc.get_heads() {
        return None;
    }
    doc.sync().generate_sync_message(state)
}

/// How a document's changes are judged: the community document at each
/// change's causal past, a collection by the devices its community lists.
fn authority(kind: DocKind, writers: &Writers) -> Authority<'_> {
    if kind == DocKind::Community {
        Authority::Community
    } else {
        Authority::Collection(writers)
    }
}

/// Refused changes after which a session is closed: a peer whose app is
/// honest sends none (a change refused for a reason that can pass later,
/// an author not listed yet, is sent again at most once per meeting).
const MAX_REFUSED: usize = 1_000;

/// Bytes of messages for one document from which merging them gets a
/// thread of its own (when several documents have that much).
const PARALLEL_FROM: usize = 16 * 1024;

/// The messages of a batch for one document.
#[derive(Default)]
struct Batch {
    messages: Vec<Signed_>,
    /// Their encoded size: about the work of merging them.
    bytes: usize,
}

impl State {
    /// Merges a batch of received messages and writes what changed;
    /// returns the documents the batch touched, to be answered (one by one,
    /// with [`State::answer`], so the first answer leaves while the next is
    /// being built).
    ///
    /// Every change passes the gate ([`gate::merge`]) before it is merged;
    /// refused changes are logged and never stored. Every document changed
    /// by the batch is written (its chunks at once, see
    /// [`State::persist_docs`]) before this returns, so before any reply is
    /// generated: a peer is never told this device holds what it could
    /// lose. A bad message ends the batch: what came before it is still
    /// written.
    pub fn receive(
        &mut self,
        session: SessionId,
        messages: Vec<SyncMessage>,
    ) -> Result<Received, ReceiveError> {
        let Some(peer) = self.peers.sessions.get(&session).map(|s| s.peer.clone()) else {
            return Err(ReceiveError::UnknownSession);
        };
        let (merged, failure, poisoned) = self.merge_all(session, messages);
        let changed: Vec<DocRef> = merged
            .iter()
            .filter(|(doc, moved)| *moved && !poisoned.contains(&doc.0))
            .map(|(doc, _)| doc.clone())
            .collect();
        let touched = merged.into_iter().map(|(doc, _)| doc);
        let notified = match self.absorb(&changed, &peer) {
            Ok(notified) => notified,
            Err(e) => {
                self.forget_unwritten(session, &changed);
                let kind = match &e {
                    CoreError::Io { cause, .. } => Some(cause.kind()),
                    _ => None,
                };
                return Err(ReceiveError::NotSaved {
                    kind,
                    detail: e.to_string(),
                });
            }
        };
        if !poisoned.is_empty() {
            let docs: Vec<DocRef> = poisoned
                .iter()
                .flat_map(|id| DocKind::ALL.map(|k| (id.clone(), k)))
                .collect();
            self.forget_unwritten(session, &docs);
        }
        if let Some(e) = failure {
            return Err(e);
        }
        let refused = self.peers.sessions.get(&session).map_or(0, |s| s.refused);
        if refused > MAX_REFUSED {
            return Err(ReceiveError::TooManyRefused(refused));
        }
        let enough = self
            .peers
            .sessions
            .get(&session)
            .is_some_and(|s| s.allowance.spent());
        Ok(Received {
            touched: touched.map(|(id, kind)| (id.0, doc_index(kind))).collect(),
            announced: notified,
            enough,
        })
    }

    /// Merges a batch of messages into their documents: those of community
    /// documents first, so the gate then sees the membership they bring,
    /// then the others. Documents receiving many changes are merged each on
    /// its own thread (documents are independent, and a first sync brings
    /// changes to all of them).
    /// Returns each document touched, in the order first received, with
    /// whether its heads moved; the first error met, if any (the other
    /// documents are merged all the same); and the communities where
    /// Automerge failed half-way (to be read again from disk).
    fn merge_all(
        &mut self,
        session: SessionId,
        messages: Vec<SyncMessage>,
    ) -> (Vec<(DocRef, bool)>, Option<ReceiveError>, Vec<CommunityId>) {
        let mut failure = None;
        let mut poisoned = Vec::new();
        let mut order: Vec<DocRef> = Vec::new();
        let mut moved: HashMap<DocRef, bool> = HashMap::new();
        let (community_docs, collections): (Vec<_>, Vec<_>) = messages
            .into_iter()
            .partition(|m| kind_of(m.doc) == Some(DocKind::Community));
        for messages in [community_docs, collections] {
            let work = self.admit(session, messages, &mut order, &mut failure);
            let writers = self.writers(work.keys().map(|(id, _)| id));
            // Only documents receiving many changes are worth a thread: a
            // message of heads and a Bloom filter takes microseconds.
            let (heavy, light): (HashMap<_, _>, HashMap<_, _>) = work
                .into_iter()
                .partition(|(_, batch)| batch.bytes >= PARALLEL_FROM);
            let mut results = Vec::new();
            for (doc, batch) in light {
                let result = self.merge_doc(session, &doc, &writers, batch.messages);
                results.push((doc, result));
            }
            let heavy = heavy
                .into_iter()
                .map(|(doc, b)| (doc, b.messages))
                .collect();
            results.extend(self.merge_docs(session, &writers, heavy));
            for (doc, result) in results {
                match result {
                    Ok(m) => {
                        *moved.entry(doc.clone()).or_default() |= m.moved;
                        if m.moved
                            && let Some(loaded) = self.communities.get_mut(&doc.0)
                        {
                            loaded.received(doc.1, m.from, m.to, m.gained);
                        }
                        self.note_refused(session, &doc, m.refused, m.evidence);
                        self.note_held_back(session, &doc, m.over);
                    }
                    Err(MergeError::Refused(e)) => {
                        failure.get_or_insert(e);
                    }
                    Err(MergeError::Poisoned(e)) => {
                        tracing::error!("community {}: {e}; it is read again from disk", doc.0);
                        failure.get_or_insert(ReceiveError::Poisoned(e));
                        if !poisoned.contains(&doc.0) {
                            poisoned.push(doc.0.clone());
                        }
                    }
                }
            }
        }
        let merged = order
            .into_iter()
            .filter_map(|doc| moved.get(&doc).map(|m| (doc.clone(), *m)))
            .collect();
        (merged, failure, poisoned)
    }

    /// Who may write the collections of these communities, as their
    /// community documents (held or being joined) list them now.
    fn writers<'a>(
        &mut self,
        ids: impl Iterator<Item = &'a CommunityId>,
    ) -> HashMap<CommunityId, Writers> {
        let mut out = HashMap::new();
        for id in ids {
            if out.contains_key(id) {
                continue;
            }
            let (community, ledgers) = match self.communities.get_mut(id) {
                Some(loaded) => (loaded.docs.doc_mut(DocKind::Community), &mut loaded.ledgers),
                None => match self.peers.joining.get_mut(id) {
                    Some(j) => (j.docs.get_mut(&DocKind::Community), &mut j.ledgers),
                    None => continue,
                },
            };
            let Some(doc) = community else {
                out.insert(id.clone(), Writers::default());
                continue;
            };
            let ledger = ledgers.entry(DocKind::Community).or_default();
            let heads = doc.get_heads();
            let epochs = ledger.epochs_found();
            let writers = match self.peers.writers.get(id) {
                Some((h, e, w)) if *h == heads && *e == epochs => w.clone(),
                _ => {
                    let writers = Writers::of(doc, ledger);
                    self.peers
                        .writers
                        .insert(id.clone(), (heads, epochs, writers.clone()));
                    writers
                }
            };
            out.insert(id.clone(), writers);
        }
        out
    }

    /// Says what the gate refused, in plain words: in the log, and to the
    /// app as an event; and keeps it aside in the community's refused log.
    fn note_refused(
        &mut self,
        session: SessionId,
        (id, kind): &DocRef,
        refused: Vec<Refused>,
        mut evidence: HashMap<ChangeHash, Evidence>,
    ) {
        if refused.is_empty() {
            return;
        }
        let peer = self.peers.sessions.get(&session).map(|s| s.peer.clone());
        let from = peer.as_ref().map_or("?", |p| p.as_str());
        let entries = refused::entries(kind.as_str(), from, &refused, &mut evidence);
        self.keep_refused(id, &entries);
        let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
        for r in &refused {
            *by_reason.entry(r.reason.to_string()).or_default() += 1;
        }
        for (reason, count) in by_reason {
            tracing::warn!(
                "community {id}, {}: refused {count} change(s) from {}: {reason}",
                kind.as_str(),
                peer.as_ref().map_or("?", |p| p.as_str()),
            );
        }
        if let Some(s) = self.peers.sessions.get_mut(&session) {
            s.refused += refused.len();
        }
        tracing::debug!("refused: {refused:?}");
        let _ = self.events.send(crate::event::Event::Refused {
            community: id.clone(),
            peer,
            count: refused.len(),
            reason: refused[0].reason.to_string(),
        });
    }

    /// The messages of communities shared with the session's peer, decoded
    /// and grouped by document; each new document is added to `order`, and
    /// the first message that does not decode to `failure`.
    fn admit(
        &mut self,
        session: SessionId,
        messages: Vec<SyncMessage>,
        order: &mut Vec<DocRef>,
        failure: &mut Option<ReceiveError>,
    ) -> HashMap<DocRef, Batch> {
        let mut work: HashMap<DocRef, Batch> = HashMap::new();
        for message in messages {
            if !self.shared_in_session(session, &message.community) {
                // The gate holds both ways: nothing is taken from a non-member.
                continue;
            }
            let bytes = message.data.len();
            let decoded = kind_of(message.doc)
                .ok_or_else(|| "unknown document number".to_owned())
                .and_then(|kind| {
                    let (signatures, data) = passerelle_model::signing::unwrap_file(&message.data)?;
                    let decoded = passerelle_model::layout::decode_sync_message(data)?;
                    Ok((kind, (decoded, signatures.iter().copied().collect())))
                });
            match decoded {
                Ok((kind, decoded)) => {
                    let doc = (CommunityId(message.community), kind);
                    if !order.contains(&doc) {
                        order.push(doc.clone());
                    }
                    let batch = work.entry(doc).or_default();
                    batch.messages.push(decoded);
                    batch.bytes += bytes;
                }
                Err(e) => {
                    failure.get_or_insert(ReceiveError::Malformed(e));
                }
            }
        }
        work
    }

    /// Merges messages into one document.
    fn merge_doc(
        &mut self,
        session: SessionId,
        (id, kind): &DocRef,
        writers: &HashMap<CommunityId, Writers>,
        messages: Vec<Signed_>,
    ) -> Result<DocMerge, MergeError> {
        let mut state = self
            .take_state(session, id, *kind)
            .ok_or(MergeError::Refused(ReceiveError::UnknownSession))?;
        let mut ledger = self.take_ledger(id, *kind);
        let none = Writers::default();
        let authority = authority(*kind, writers.get(id).unwrap_or(&none));
        let limit = self.allowance(session, &(id.clone(), *kind));
        let result = match self.sync_doc(id, *kind) {
            Some(doc) => apply_messages(
                doc,
                &mut ledger,
                authority,
                &mut state,
                messages,
                limit.as_ref(),
            ),
            None => Ok(DocMerge::default()),
        };
        self.put_ledger(id, *kind, ledger);
        self.put_state(session, id, *kind, state);
        result
    }

    /// The ledger of a document (held, partial or being joined), taken out
    /// while its document is merged.
    fn take_ledger(&mut self, id: &CommunityId, kind: DocKind) -> Ledger {
        if let Some(loaded) = self.communities.get_mut(id) {
            return loaded.ledgers.remove(&kind).unwrap_or_default();
        }
        self.peers
            .joining
            .get_mut(id)
            .and_then(|j| j.ledgers.remove(&kind))
            .unwrap_or_default()
    }

    fn put_ledger(&mut self, id: &CommunityId, kind: DocKind, ledger: Ledger) {
        if let Some(loaded) = self.communities.get_mut(id) {
            loaded.ledgers.insert(kind, ledger);
        } else if let Some(j) = self.peers.joining.get_mut(id) {
            j.ledgers.insert(kind, ledger);
        }
    }

    /// Merges messages into several documents at once, one thread each.
    fn merge_docs(
        &mut self,
        session: SessionId,
        writers: &HashMap<CommunityId, Writers>,
        mut work: HashMap<DocRef, Vec<Signed_>>,
    ) -> Vec<(DocRef, Result<DocMerge, MergeError>)> {
        if work.len() <= 1 {
            return work
                .into_iter()
                .map(|(doc, messages)| {
                    let result = self.merge_doc(session, &doc, writers, messages);
                    (doc, result)
                })
                .collect();
        }
        let mut states = HashMap::new();
        let mut ledgers = HashMap::new();
        for doc in work.keys() {
            match self.take_state(session, &doc.0, doc.1) {
                Some(state) => states.insert(doc.clone(), state),
                None => {
                    return vec![(
                        doc.clone(),
                        Err(MergeError::Refused(ReceiveError::UnknownSession)),
                    )];
                }
            };
            ledgers.insert(doc.clone(), self.take_ledger(&doc.0, doc.1));
        }
        let none = Writers::default();
        let mut limits = HashMap::new();
        for (id, _) in work.keys() {
            if !limits.contains_key(id)
                && let Some(limit) = self.limit(session, id)
            {
                limits.insert(id.clone(), limit);
            }
        }
        // Every document a message is for, as a distinct mutable borrow.
        let mut jobs = Vec::new();
        for (id, loaded) in self.communities.iter_mut() {
            for kind in DocKind::ALL {
                let doc = (id.clone(), kind);
                if work.contains_key(&doc) && loaded.docs.doc(kind).is_none() {
                    loaded.partial.entry(kind).or_insert_with(new_doc);
                }
            }
            let held = loaded.docs.docs_mut().map(|(kind, doc)| (kind, doc, true));
            let partial = loaded
                .partial
                .iter_mut()
                .map(|(kind, doc)| (*kind, doc, false));
            for (kind, doc, whole) in held.chain(partial) {
                let key = (id.clone(), kind);
                if let Some(messages) = work.remove(&key) {
                    let state = states.remove(&key).unwrap_or_default();
                    let ledger = ledgers.remove(&key).unwrap_or_default();
                    let w = writers.get(id).unwrap_or(&none);
                    // A collection arriving for the first time: not limited.
                    let limit = limits.get(id).filter(|_| whole);
                    jobs.push((key, doc, state, ledger, authority(kind, w), messages, limit));
                }
            }
        }
        for (id, joining) in self.peers.joining.iter_mut() {
            for kind in DocKind::ALL {
                if work.contains_key(&(id.clone(), kind)) {
                    joining.docs.entry(kind).or_insert_with(new_doc);
                }
            }
            for (kind, doc) in joining.docs.iter_mut() {
                let key = (id.clone(), *kind);
                if let Some(messages) = work.remove(&key) {
                    let state = states.remove(&key).unwrap_or_default();
                    let ledger = ledgers.remove(&key).unwrap_or_default();
                    let w = writers.get(id).unwrap_or(&none);
                    // Being joined: not limited.
                    jobs.push((key, doc, state, ledger, authority(*kind, w), messages, None));
                }
            }
        }
        let done: Vec<_> = std::thread::scope(|scope| {
            let threads: Vec<_> = jobs
                .into_iter()
                .map(
                    |(key, doc, mut state, mut ledger, authority, messages, limit)| {
                        scope.spawn(move || {
                            let result = apply_messages(
                                doc,
                                &mut ledger,
                                authority,
                                &mut state,
                                messages,
                                limit,
                            );
                            (key, state, ledger, result)
                        })
                    },
                )
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let mut out = Vec::new();
        for (key, state, ledger, result) in done {
            self.put_state(session, &key.0, key.1, state);
            self.put_ledger(&key.0, key.1, ledger);
            out.push((key, result));
        }
        // Documents of a community no longer here: nothing to merge into.
        for (key, _) in work {
            if let Some(state) = states.remove(&key) {
                self.put_state(session, &key.0, key.1, state);
            }
            out.push((key, Ok(DocMerge::default())));
        }
        out
    }

    /// After received changes could not be written (a full disk): the
    /// communities they were for are read again from disk, and this
    /// session's sync states for them are dropped, so neither memory nor a
    /// saved sync state claims changes the disk does not hold.
    fn forget_unwritten(&mut self, session: SessionId, changed: &[DocRef]) {
        let mut ids: Vec<&CommunityId> = changed.iter().map(|(id, _)| id).collect();
        ids.dedup();
        for id in ids {
            if self.communities.contains_key(id) {
                self.reload(id);
            }
            self.peers.joining.remove(id);
            if let Some(s) = self.peers.sessions.get_mut(&session) {
                s.states.retain(|(c, _), _| c != id);
            }
        }
    }

    /// Makes received changes durable and visible: collections and joined
    /// communities that became whole are kept, every changed document is
    /// written, then each community that changed is announced once.
    /// Returns the communities announced.
    fn absorb(&mut self, changed: &[DocRef], peer: &DeviceKey) -> Result<Vec<String>, CoreError> {
        let mut write = Vec::new();
        let mut announce: Vec<CommunityId> = Vec::new();
        for (id, kind) in changed {
            if self.communities.contains_key(id) {
                if self.adopt_collection(id, *kind)? {
                    write.push((id.clone(), *kind));
                    if !announce.contains(id) {
                        announce.push(id.clone());
                    }
                }
            } else if self.adopt_joined(id)? {
                announce.push(id.clone());
            }
        }
        self.persist_docs(&write)?;
        for id in &announce {
            self.changed(id, Some(peer));
        }
        Ok(announce.into_iter().map(|id| id.0).collect())
    }

    /// Whether a changed document of a held community is ready to write: it
    /// is, or a collection arriving for the first time that is now whole
    /// (then it joins the community's documents).
    fn adopt_collection(&mut self, id: &CommunityId, kind: DocKind) -> Result<bool, CoreError> {
        let actor = self.actor.clone();
        let Some(loaded) = self.communities.get_mut(id) else {
            return Ok(false);
        };
        if loaded.docs.doc(kind).is_some() {
            return Ok(true);
        }
        let ready = loaded
            .partial
            .get(&kind)
            .is_some_and(|doc| check_kind(doc, kind).is_ok());
        if !ready {
            return Ok(false);
        }
        let mut doc = loaded.partial.remove(&kind).expect("checked above");
        doc.set_actor(actor);
        loaded.docs.insert_doc(kind, doc)?;
        Ok(true)
    }

    /// Keeps a community being joined once its community document is whole
    /// (every document that is whole is written). Returns whether it was kept.
    fn adopt_joined(&mut self, id: &CommunityId) -> Result<bool, CoreError> {
        let Some(joining) = self.peers.joining.get(id) else {
            return Ok(false);
        };
        let ready = joining
            .docs
            .get(&DocKind::Community)
            .is_some_and(|doc| check_kind(doc, DocKind::Community).is_ok());
        if !ready {
            return Ok(false);
        }
        let mut joining = self.peers.joining.remove(id).expect("checked above");
        if let Some(doc) = joining.docs.get_mut(&DocKind::Community)
            && let Err(reason) = passerelle_model::layout::check_genesis(doc, id)
        {
            // A look-alike under the id of the community being joined.
            tracing::warn!(
                "community {id}: refused what {} sent: {reason}",
                joining.via
            );
            return Ok(false);
        }
        let (whole, partial): (BTreeMap<_, _>, BTreeMap<_, _>) = joining
            .docs
            .into_iter()
            .partition(|(k, doc)| check_kind(doc, *k).is_ok());
        let mut docs = CommunityDocs::from_docs(id.clone(), whole)?;
        docs.set_actor(&self.actor);
        self.add_loaded(
            id.clone(),
            Loaded {
                docs,
                saved: BTreeMap::new(),
                files: BTreeMap::new(),
                partial,
                ledgers: joining.ledgers,
                cache: Default::default(),
                unsaved: Default::default(),
            },
        )?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;

    use super::*;

    fn key(c: char) -> DeviceKey {
        DeviceKey(c.to_string().repeat(64))
    }

    /// Two copies of one document, each with a change the other lacks,
    /// written by devices `b`, `c` and `d`.
    fn diverged() -> (AutoCommit, AutoCommit) {
        let mut base = new_doc().with_actor(key('b').actor());
        base.put(automerge::ROOT, "start", 0).unwrap();
        let (mut c, mut d) = (base.fork(), base.fork());
        c.set_actor(key('c').actor());
        d.set_actor(key('d').actor());
        c.put(automerge::ROOT, "c", 1).unwrap();
        d.put(automerge::ROOT, "d", 1).unwrap();
        (c, d)
    }

    /// Applies messages as a collection of a community listing b, c and d.
    fn apply(doc: &mut AutoCommit, state: &mut SyncState, messages: Vec<Message>) -> bool {
        let writers = Writers::listing([key('b'), key('c'), key('d')], false);
        let messages = messages.into_iter().map(|m| (m, Vec::new())).collect();
        match apply_messages(
            doc,
            &mut Ledger::default(),
            Authority::Collection(&writers),
            state,
            messages,
            None,
        ) {
            Ok(m) => m.moved,
            Err(_) => panic!("the messages merge"),
        }
    }

    #[test]
    fn a_batch_bringing_the_peers_changes_then_its_heads_is_answered_with_ours() {
        let (mut c, mut d) = diverged();
        let (mut sc, mut sd) = (SyncState::new(), SyncState::new());
        let c0 = c.sync().generate_sync_message(&mut sc).unwrap();
        let d0 = d.sync().generate_sync_message(&mut sd).unwrap();
        c.sync().receive_sync_message(&mut sc, d0).unwrap();
        let c1 = c.sync().generate_sync_message(&mut sc).unwrap();
        d.sync().receive_sync_message(&mut sd, c0).unwrap();
        let d1 = d.sync().generate_sync_message(&mut sd).unwrap();
        // D takes C's changes and says it holds both sides' heads...
        d.sync().receive_sync_message(&mut sd, c1).unwrap();
        let d2 = d.sync().generate_sync_message(&mut sd).unwrap();
        // ...and C reads D's changes and that message in one batch.
        assert!(apply(&mut c, &mut sc, vec![d1, d2]));
        assert_eq!(c.get_heads(), d.get_heads());
        // D ends a one-off sync only once it hears C's heads: C must say them.
        let answer = c.sync().generate_sync_message(&mut sc).expect("an answer");
        assert_eq!(answer.heads, c.get_heads());
        d.sync().receive_sync_message(&mut sd, answer).unwrap();
        assert_eq!(sd.their_heads, Some(d.get_heads()));
    }

    /// A joiner's empty document answers the inviter's opening before the
    /// inviter's changes reach it, so its heads are empty twice in one
    /// session. Automerge reads empty heads as a peer that lost its data and
    /// would send every change again: within a session it has lost nothing.
    #[test]
    fn an_empty_peer_crossing_our_changes_does_not_get_them_twice() {
        let (mut c, _) = diverged();
        for n in 0..40 {
            c.put(automerge::ROOT, format!("k{n}"), n).unwrap();
        }
        let mut d = new_doc().with_actor(key('d').actor());
        let (mut sc, mut sd) = (SyncState::new(), SyncState::new());
        let c0 = c.sync().generate_sync_message(&mut sc).unwrap();
        let d0 = d.sync().generate_sync_message(&mut sd).unwrap();
        apply(&mut c, &mut sc, vec![d0]);
        let c1 = next_message(&mut c, &mut sc).unwrap();
        assert!(!c1.changes.is_empty(), "C sends its changes");
        // D reads C's opening before C's changes, and answers.
        d.sync().receive_sync_message(&mut sd, c0).unwrap();
        let d1 = d.sync().generate_sync_message(&mut sd).unwrap();
        assert!(d1.heads.is_empty());
        apply(&mut c, &mut sc, vec![d1]);
        let again = next_message(&mut c, &mut sc);
        assert!(
            again.as_ref().is_none_or(|m| m.changes.is_empty()),
            "C sent its changes a second time"
        );
        // The changes in flight still bring D level with C.
        d.sync().receive_sync_message(&mut sd, c1).unwrap();
        assert_eq!(d.get_heads(), c.get_heads());
    }

    /// What a document gains in a sync is kept as it came: the document
    /// as written before, followed by those bytes, loads with every change.
    #[test]
    fn the_changes_a_document_gains_are_kept_as_they_came() {
        let (mut c, mut d) = diverged();
        let written = c.save();
        let from = c.get_heads();
        let (mut sc, mut sd) = (SyncState::new(), SyncState::new());
        let writers = Writers::listing([key('b'), key('c'), key('d')], false);
        let mut ledger = Ledger::default();
        let mut gained = Vec::new();
        for _ in 0..8 {
            if let Some(m) = d.sync().generate_sync_message(&mut sd) {
                let merged = apply_messages(
                    &mut c,
                    &mut ledger,
                    Authority::Collection(&writers),
                    &mut sc,
                    vec![(m, Vec::new())],
                    None,
                )
                .unwrap_or_else(|_| panic!("the messages merge"));
                if merged.moved {
                    assert!(gained.is_empty() && merged.from == from);
                    gained = merged.gained.expect("the changes as they came");
                }
            }
            if let Some(m) = c.sync().generate_sync_message(&mut sc) {
                d.sync().receive_sync_message(&mut sd, m).unwrap();
            }
        }
        assert!(!gained.is_empty());
        assert_eq!(c.get_heads().len(), 2, "C holds D's change");
        let mut reloaded = AutoCommit::load(&written).unwrap();
        reloaded.load_incremental(&gained).unwrap();
        assert_eq!(reloaded.get_heads(), c.get_heads());
    }

    #[test]
    fn bloom_filters_that_would_crash_or_stall_automerge_are_refused() {
        use automerge::sync::BloomFilter;
        use passerelle_model::layout::decode_sync_message;
        let (mut c, _) = diverged();
        let mut state = SyncState::new();
        let message = c.sync().generate_sync_message(&mut state).unwrap();
        // A message whose filter has this header (entries, bits per entry,
        // probes, LEB128) and then these many bytes of bits.
        let with = |header: &[u8], bits: usize| {
            let mut bytes = header.to_vec();
            bytes.extend(std::iter::repeat_n(0xff, bits));
            let mut m = message.clone();
            m.have[0].bloom = BloomFilter::try_from(&bytes[..]).unwrap();
            decode_sync_message(&m.encode())
        };
        assert!(decode_sync_message(&message.clone().encode()).is_ok());
        assert!(with(&[4, 10, 7], 5).is_ok());
        // Zero bits: Automerge divides by zero.
        assert!(with(&[1, 0, 7], 0).is_err());
        // 2^32 - 1 probes: 16 GiB allocated per query.
        assert!(with(&[1, 8, 0xff, 0xff, 0xff, 0xff, 0x0f], 1).is_err());
        // More bits per entry than any real filter.
        assert!(with(&[1, 0xc8, 0x01, 7], 25).is_err());
        let mut many = message.clone();
        many.have = vec![message.have[0].clone(); 9];
        assert!(decode_sync_message(&many.encode()).is_err());
    }

    #[test]
    fn a_batch_that_changes_nothing_reports_no_move() {
        let (mut c, mut d) = diverged();
        let (mut sc, mut sd) = (SyncState::new(), SyncState::new());
        let d0 = d.sync().generate_sync_message(&mut sd).unwrap();
        assert!(!apply(&mut c, &mut sc, vec![d0]));
    }
}
