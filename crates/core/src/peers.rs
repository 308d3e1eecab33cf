//! The actor's side of sync: per-session Automerge sync states, the
//! membership gate, communities being joined, and receiving changes.
//!
//! A session's sync states start from what was persisted for its peer in
//! `peers/<key>.json` (the heads both sides were known to share), so two
//! devices already in sync exchange only their heads. They are written back
//! when the session ends. Received changes are written to disk before any
//! reply is generated, so a peer is never told we hold what we could lose.

use std::collections::{BTreeMap, HashMap};

use automerge::AutoCommit;
use automerge::sync::{Message, State as SyncState, SyncDoc};
use passerelle_model::layout::{check_kind, new_doc};
use passerelle_model::{CommunityDocs, CommunityId, DeviceKey, DocKind};
use passerelle_sync::{SessionId, SyncMessage};

use crate::datadir::write_atomic;
use crate::error::CoreError;
use crate::node::{Loaded, State};

/// One live session's sync states.
pub(crate) struct Session {
    pub peer: DeviceKey,
    states: BTreeMap<(CommunityId, DocKind), SyncState>,
}

/// A community this device is joining: documents received so far, before
/// its community document has arrived whole.
pub(crate) struct Joining {
    /// The member device admitting us.
    pub via: DeviceKey,
    pub docs: BTreeMap<DocKind, AutoCommit>,
}

/// Sync bookkeeping held by the actor.
#[derive(Default)]
pub(crate) struct Peers {
    pub sessions: HashMap<SessionId, Session>,
    pub joining: BTreeMap<CommunityId, Joining>,
}

fn doc_index(kind: DocKind) -> u8 {
    DocKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u8
}

fn kind_of(index: u8) -> Option<DocKind> {
    DocKind::ALL.get(index as usize).copied()
}

impl State {
    /// Communities shared with `peer`: it is an active member in our copy,
    /// or we are joining through it.
    pub fn shared_with(&mut self, peer: &DeviceKey) -> Vec<String> {
        let ids: Vec<CommunityId> = self.communities.keys().cloned().collect();
        let mut out = Vec::new();
        for id in ids {
            if self.view(&id).is_ok_and(|view| view.is_active_device(peer)) {
                out.push(id.0);
            }
        }
        for (id, joining) in &self.peers.joining {
            if &joining.via == peer && !self.communities.contains_key(id) {
                out.push(id.0.clone());
            }
        }
        out
    }

    fn peer_file(&self, peer: &DeviceKey) -> std::path::PathBuf {
        self.dir.peers_dir().join(format!("{}.json", peer.as_str()))
    }

    pub fn open_session(&mut self, session: SessionId, peer: DeviceKey) -> Vec<String> {
        let mut states = BTreeMap::new();
        if let Ok(bytes) = std::fs::read(self.peer_file(&peer))
            && let Ok(saved) = serde_json::from_slice::<BTreeMap<String, String>>(&bytes)
        {
            for (key, value) in saved {
                let Some((community, kind)) = key.split_once('/') else {
                    continue;
                };
                let Some(kind) = DocKind::ALL.into_iter().find(|k| k.as_str() == kind) else {
                    continue;
                };
                if let Some(state) = hex::decode(value)
                    .ok()
                    .and_then(|b| SyncState::decode(&b).ok())
                {
                    states.insert((CommunityId(community.to_owned()), kind), state);
                }
            }
        }
        let shared = self.shared_with(&peer);
        self.peers
            .sessions
            .insert(session, Session { peer, states });
        shared
    }

    pub fn session_shared(&mut self, session: SessionId) -> Vec<String> {
        match self.peers.sessions.get(&session) {
            Some(s) => {
                let peer = s.peer.clone();
                self.shared_with(&peer)
            }
            None => Vec::new(),
        }
    }

    /// Our community documents, for the communities of `communities` shared
    /// with the session's peer: they show it who admitted us.
    pub fn proofs(
        &mut self,
        session: SessionId,
        communities: Vec<String>,
    ) -> Vec<(String, Vec<u8>)> {
        let shared = self.session_shared(session);
        communities
            .into_iter()
            .filter(|c| shared.contains(c))
            .filter_map(|c| {
                let loaded = self.communities.get_mut(&CommunityId(c.clone()))?;
                let doc = loaded.docs.doc_mut(DocKind::Community)?;
                Some((c, doc.save()))
            })
            .collect()
    }

    /// Merges a peer's community document if, with it, the peer is an
    /// active member (admitted by a device we had not heard from).
    pub fn accept_proof(&mut self, session: SessionId, community: String, data: Vec<u8>) -> bool {
        let Some(peer) = self.peers.sessions.get(&session).map(|s| s.peer.clone()) else {
            return false;
        };
        let id = CommunityId(community);
        let Some(loaded) = self.communities.get_mut(&id) else {
            return false;
        };
        let Some(doc) = loaded.docs.doc_mut(DocKind::Community) else {
            return false;
        };
        let mut scratch = doc.fork();
        if scratch.load_incremental(&data).is_err()
            || check_kind(&scratch, DocKind::Community).is_err()
        {
            return false;
        }
        let members: BTreeMap<String, passerelle_model::Member> =
            autosurgeon::hydrate_prop(&scratch, automerge::ROOT, "members").unwrap_or_default();
        if !members
            .values()
            .any(|m| m.has_device(&peer) && m.is_active())
        {
            return false;
        }
        if doc.load_incremental(&data).is_err() {
            return false;
        }
        if let Err(e) = self.persist(&id, DocKind::Community) {
            tracing::warn!("{e}");
            return false;
        }
        self.changed(&id, Some(&peer));
        true
    }

    /// Writes the session's sync states for next time.
    pub fn close_session(&mut self, session: SessionId) {
        let Some(s) = self.peers.sessions.remove(&session) else {
            return;
        };
        let path = self.peer_file(&s.peer);
        let mut saved: BTreeMap<String, String> = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        for ((community, kind), state) in &s.states {
            saved.insert(
                format!("{}/{}", community.as_str(), kind.as_str()),
                hex::encode(state.encode()),
            );
        }
        let bytes = serde_json::to_vec(&saved).expect("sync states serialise");
        if let Err(e) = std::fs::create_dir_all(self.dir.peers_dir())
            .map_err(CoreError::io("create", self.dir.peers_dir()))
            .and_then(|()| write_atomic(&path, &bytes, true))
        {
            // Losing a sync state costs bytes at the next meeting, nothing else.
            tracing::warn!("{e}");
        }
    }

    /// The document a message for (community, kind) reads from and merges into.
    fn sync_doc(&mut self, community: &CommunityId, kind: DocKind) -> Option<&mut AutoCommit> {
        if let Some(loaded) = self.communities.get_mut(community) {
            if loaded.docs.doc(kind).is_some() {
                return loaded.docs.doc_mut(kind);
            }
            return Some(loaded.partial.entry(kind).or_insert_with(new_doc));
        }
        self.peers
            .joining
            .get_mut(community)
            .map(|j| j.docs.entry(kind).or_insert_with(new_doc))
    }

    fn shared_in_session(&mut self, session: SessionId, community: &str) -> bool {
        self.session_shared(session).iter().any(|c| c == community)
    }

    pub fn generate(&mut self, session: SessionId, communities: Vec<String>) -> Vec<SyncMessage> {
        let mut out = Vec::new();
        for community in communities {
            if !self.shared_in_session(session, &community) {
                continue;
            }
            let id = CommunityId(community);
            for kind in DocKind::ALL {
                out.extend(self.generate_one(session, &id, kind));
            }
        }
        out
    }

    fn generate_one(
        &mut self,
        session: SessionId,
        id: &CommunityId,
        kind: DocKind,
    ) -> Option<SyncMessage> {
        let mut state = self.take_state(session, id, kind)?;
        let message = self
            .sync_doc(id, kind)
            .and_then(|doc| doc.sync().generate_sync_message(&mut state));
        self.put_state(session, id, kind, state);
        message.map(|m| SyncMessage {
            community: id.0.clone(),
            doc: doc_index(kind),
            data: m.encode(),
        })
    }

    fn take_state(
        &mut self,
        session: SessionId,
        id: &CommunityId,
        kind: DocKind,
    ) -> Option<SyncState> {
        let s = self.peers.sessions.get_mut(&session)?;
        Some(s.states.remove(&(id.clone(), kind)).unwrap_or_default())
    }

    fn put_state(&mut self, session: SessionId, id: &CommunityId, kind: DocKind, state: SyncState) {
        if let Some(s) = self.peers.sessions.get_mut(&session) {
            s.states.insert((id.clone(), kind), state);
        }
    }

    /// Merges a received message, writes what changed, and returns replies.
    pub fn receive(
        &mut self,
        session: SessionId,
        message: SyncMessage,
    ) -> Result<Vec<SyncMessage>, String> {
        if !self.shared_in_session(session, &message.community) {
            // The gate holds both ways: nothing is taken from a non-member.
            return Ok(Vec::new());
        }
        let kind = kind_of(message.doc).ok_or("unknown document number")?;
        let decoded =
            Message::decode(&message.data).map_err(|e| format!("malformed sync message: {e}"))?;
        let id = CommunityId(message.community);
        let mut state = self
            .take_state(session, &id, kind)
            .ok_or("unknown session")?;
        let result = match self.sync_doc(&id, kind) {
            Some(doc) => {
                let before = doc.get_heads();
                let received = doc.sync().receive_sync_message(&mut state, decoded);
                received
                    .map(|()| doc.get_heads() != before)
                    .map_err(|e| format!("bad sync message: {e}"))
            }
            None => Ok(false),
        };
        self.put_state(session, &id, kind, state);
        let changed = result?;
        if changed {
            let peer = self.peers.sessions[&session].peer.clone();
            self.absorb(&id, kind, &peer).map_err(|e| e.to_string())?;
        }
        Ok(self.generate_one(session, &id, kind).into_iter().collect())
    }

    /// Makes received changes durable and visible.
    fn absorb(
        &mut self,
        id: &CommunityId,
        kind: DocKind,
        peer: &DeviceKey,
    ) -> Result<(), CoreError> {
        if let Some(loaded) = self.communities.get_mut(id) {
            if loaded.docs.doc(kind).is_none() {
                // A collection arriving for the first time joins once it is whole.
                let ready = loaded
                    .partial
                    .get(&kind)
                    .is_some_and(|doc| check_kind(doc, kind).is_ok());
                if !ready {
                    return Ok(());
                }
                let mut doc = loaded.partial.remove(&kind).expect("checked above");
                doc.set_actor(self.actor.clone());
                loaded.docs.insert_doc(kind, doc)?;
            }
            self.persist(id, kind)?;
            self.changed(id, Some(peer));
            return Ok(());
        }
        // Joining: the community exists here once its community document is whole.
        let Some(joining) = self.peers.joining.get(id) else {
            return Ok(());
        };
        let ready = joining
            .docs
            .get(&DocKind::Community)
            .is_some_and(|doc| check_kind(doc, DocKind::Community).is_ok());
        if !ready {
            return Ok(());
        }
        let joining = self.peers.joining.remove(id).expect("checked above");
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
                cache: Default::default(),
            },
        )?;
        self.changed(id, Some(peer));
        Ok(())
    }

    /// Whether our documents equal what the peer last said it holds.
    pub fn in_sync(&mut self, session: SessionId, communities: Vec<String>) -> bool {
        for community in communities {
            let id = CommunityId(community);
            for kind in DocKind::ALL {
                let Some(their) = self
                    .peers
                    .sessions
                    .get(&session)
                    .and_then(|s| s.states.get(&(id.clone(), kind)))
                    .map(|s| s.their_heads.clone())
                else {
                    return false;
                };
                let Some(mut their) = their else {
                    return false;
                };
                let Some(mut ours) = self.sync_doc(&id, kind).map(|d| d.get_heads()) else {
                    return false;
                };
                their.sort();
                ours.sort();
                if their != ours {
                    return false;
                }
            }
        }
        true
    }
}
