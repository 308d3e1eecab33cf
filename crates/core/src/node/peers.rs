//! The actor's side of sync: per-session Automerge sync states, the
//! membership gate, summaries of what each document holds, communities
//! being joined, and (in [`receive`]) receiving changes.
//!
//! A session skips the documents whose heads digests match the peer's
//! summary; the others start from the sync states persisted for that peer
//! in `peers/<key>.json` (the heads both sides were known to share), so only
//! what changed since is exchanged. The states are written back when the
//! session ends. Received changes are written to disk before any reply is
//! generated, so a peer is never told we hold what we could lose.

use passerelle_model::gate::{self, Authority, Incoming, Ledger};
use passerelle_model::signing::{unwrap_file, wrap_file};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use automerge::sync::State as SyncState;
use automerge::{AutoCommit, ChangeHash};
use passerelle_model::layout::{check_kind, new_doc};
use passerelle_model::{CommunityId, DeviceKey, DocKind};
use passerelle_sync::{CommunityDigest, HeadsDigest, SessionId, SyncMessage, heads_digest};

use super::State;
use crate::error::CoreError;

mod growth;
mod receive;

/// One live session's sync states.
pub(crate) struct Session {
    pub peer: DeviceKey,
    states: BTreeMap<DocRef, SyncState>,
    /// Changes from this peer the gate refused in this session.
    pub refused: usize,
    /// How much more the peer's member may write in this session.
    pub allowance: std::sync::Arc<growth::Allowance>,
}

/// A community this device is joining: documents received so far, before
/// its community document has arrived whole.
pub(crate) struct Joining {
    /// The member device admitting us.
    pub via: DeviceKey,
    pub docs: BTreeMap<DocKind, AutoCommit>,
    pub ledgers: BTreeMap<DocKind, passerelle_model::gate::Ledger>,
}

/// Sync bookkeeping held by the actor.
#[derive(Default)]
pub(crate) struct Peers {
    pub sessions: HashMap<SessionId, Session>,
    pub joining: BTreeMap<CommunityId, Joining>,
    gates: HashMap<CommunityId, Gate>,
    /// Who may write each community's collections, as of some heads of its
    /// community document (and epochs found): read again only when those
    /// move, not for every batch of messages.
    writers: HashMap<CommunityId, (Vec<ChangeHash>, usize, passerelle_model::gate::Writers)>,
}

/// The membership gate of one community: the devices of its active
/// members, as of some heads of its community document.
///
/// Only the members are read, not the whole community part of the view
/// (groups and their threads, annuaire, invites): hydrating that part of a
/// month-old community takes tens of milliseconds, and the community
/// document changes during a first sync.
#[derive(Default)]
struct Gate {
    heads: Vec<ChangeHash>,
    devices: BTreeSet<String>,
    /// The member each admitted device belongs to, by the device's actor
    /// (whose writing is whose, for the growth allowance).
    owners: HashMap<automerge::ActorId, String>,
}

impl Gate {
    /// Reads the members of a community document as its rules admit them
    /// (a removal or revocation counts only if its writer was allowed to
    /// make it): the device keys of the active members, and every admitted
    /// device's member.
    fn read(doc: &mut AutoCommit) -> Gate {
        let members = passerelle_model::admission::members(doc);
        let devices = members
            .iter()
            .filter(|m| m.is_active())
            .flat_map(|m| m.devices.iter())
            .filter(|(_, d)| d.is_active())
            .map(|(key, _)| key.clone())
            .collect();
        let owners = members
            .iter()
            .flat_map(|m| {
                m.devices
                    .keys()
                    .map(|key| (DeviceKey(key.clone()).actor(), m.id.0.clone()))
            })
            .collect();
        Gate {
            heads: doc.get_heads(),
            devices,
            owners,
        }
    }
}

/// One document of one community.
type DocRef = (CommunityId, DocKind);

fn doc_index(kind: DocKind) -> u8 {
    DocKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u8
}

fn kind_of(index: u8) -> Option<DocKind> {
    DocKind::ALL.get(index as usize).copied()
}

impl State {
    /// The actors of the devices that belong to members other than
    /// `peer`'s, in a held community as its rules admit them now: their
    /// writing is relayed by `peer`, not its own.
    pub(crate) fn others_than(
        &mut self,
        id: &CommunityId,
        peer: &DeviceKey,
    ) -> std::collections::HashSet<automerge::ActorId> {
        let Some(doc) = self
            .communities
            .get_mut(id)
            .and_then(|l| l.docs.doc_mut(DocKind::Community))
        else {
            return Default::default();
        };
        let gate = self.peers.gates.entry(id.clone()).or_default();
        if gate.heads != doc.get_heads() {
            *gate = Gate::read(doc);
        }
        let mine = gate.owners.get(&peer.actor());
        gate.owners
            .iter()
            .filter(|(_, member)| Some(*member) != mine)
            .map(|(actor, _)| actor.clone())
            .collect()
    }

    /// Communities shared with `peer`: it is an active member in our copy,
    /// or we are joining through it.
    ///
    /// The gate runs before every message sent and after every message
    /// received, so it reads only the members of each community document,
    /// once per change of that document's heads (see [`Gate`]).
    pub fn shared_with(&mut self, peer: &DeviceKey) -> Vec<String> {
        let mut out = Vec::new();
        for (id, loaded) in &mut self.communities {
            let Some(doc) = loaded.docs.doc_mut(DocKind::Community) else {
                continue;
            };
            let gate = self.peers.gates.entry(id.clone()).or_default();
            if gate.heads != doc.get_heads() {
                *gate = Gate::read(doc);
            }
            if gate.devices.contains(peer.as_str()) {
                out.push(id.0.clone());
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
        if let Ok(bytes) = self.dir.read(&self.peer_file(&peer))
            && let Ok(saved) = serde_json::from_slice::<BTreeMap<String, String>>(&bytes)
        {
            for (key, value) in saved {
                let Some((community, kind)) = key.split_once('/') else {
                    continue;
                };
                let Some(kind) = DocKind::ALL.into_iter().find(|k| k.as_str() == kind) else {
                    continue;
                };
                if let Some(state) = data_encoding::HEXLOWER_PERMISSIVE
                    .decode(value.as_bytes())
                    .ok()
                    .and_then(|b| SyncState::decode(&b).ok())
                {
                    states.insert((CommunityId(community.to_owned()), kind), state);
                }
            }
        }
        let shared = self.shared_with(&peer);
        self.peers.sessions.insert(
            session,
            Session {
                allowance: Default::default(),
                peer,
                states,
                refused: 0,
            },
        );
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
                let ledger = loaded.ledgers.get(&DocKind::Community).cloned();
                let doc = loaded.docs.doc_mut(DocKind::Community)?;
                let signatures = ledger.map(|l| l.signatures).unwrap_or_default();
                Some((c, wrap_file(&signatures, &doc.save())))
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
        // The proof's changes pass the gate on a copy, and are kept only if
        // the copy then lists the peer as an active member.
        let Ok((signatures, bytes)) = unwrap_file(&data) else {
            return false;
        };
        let Ok(incoming) = Incoming::read([bytes]) else {
            return false;
        };
        let mut scratch = doc.clone();
        let mut ledger = loaded
            .ledgers
            .get(&DocKind::Community)
            .cloned()
            .unwrap_or_default();
        let signatures: Vec<_> = signatures.iter().copied().collect();
        let merged = gate::merge(
            &mut scratch,
            &mut ledger,
            Authority::Community,
            incoming,
            &signatures,
        );
        if merged.is_err()
            || check_kind(&scratch, DocKind::Community).is_err()
            || !passerelle_model::admission::active_devices(&mut scratch).contains(peer.as_str())
        {
            return false;
        }
        *doc = scratch;
        loaded.ledgers.insert(DocKind::Community, ledger);
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
        if s.states.is_empty() {
            // Nothing to keep (a stranger, or a session that never got
            // going): no file, so connections from throwaway keys leave
            // nothing on disk.
            return;
        }
        let path = self.peer_file(&s.peer);
        let mut saved: BTreeMap<String, String> = self
            .dir
            .read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        for ((community, kind), state) in &s.states {
            saved.insert(
                format!("{}/{}", community.as_str(), kind.as_str()),
                data_encoding::HEXLOWER.encode(&state.encode()),
            );
        }
        let bytes = serde_json::to_vec(&saved).expect("sync states serialise");
        if let Err(e) = std::fs::create_dir_all(self.dir.peers_dir())
            .map_err(CoreError::io("create", self.dir.peers_dir()))
            .and_then(|()| self.dir.write(&path, &bytes, true))
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

    /// The heads of one document as held here (partial and joining
    /// documents included); none if it is not held at all.
    fn doc_heads(&mut self, id: &CommunityId, kind: DocKind) -> Vec<ChangeHash> {
        let doc = match self.communities.get_mut(id) {
            Some(loaded) if loaded.docs.doc(kind).is_some() => loaded.docs.doc_mut(kind),
            Some(loaded) => loaded.partial.get_mut(&kind),
            None => self
                .peers
                .joining
                .get_mut(id)
                .and_then(|j| j.docs.get_mut(&kind)),
        };
        doc.map(|d| d.get_heads()).unwrap_or_default()
    }

    /// Digests of the heads of every document of these communities, for
    /// those shared with the session's peer.
    pub fn summary(
        &mut self,
        session: SessionId,
        communities: Vec<String>,
    ) -> Vec<CommunityDigest> {
        let mut out = Vec::new();
        for community in communities {
            if !self.shared_in_session(session, &community) {
                continue;
            }
            let id = CommunityId(community);
            let docs = DocKind::ALL
                .iter()
                .map(|kind| heads_digest(self.doc_heads(&id, *kind).into_iter().map(|h| h.0)))
                .collect();
            out.push(CommunityDigest {
                community: id.0,
                docs,
            });
        }
        out
    }

    /// The first messages of a session. Documents whose digest the peer
    /// sent equals ours are in sync already: their sync state records that
    /// both sides hold our heads (so they get no message now, and the
    /// saved state starts the next session from there).
    pub fn first_messages(
        &mut self,
        session: SessionId,
        communities: Vec<String>,
        theirs: Vec<CommunityDigest>,
    ) -> Vec<SyncMessage> {
        let theirs: HashMap<String, Vec<HeadsDigest>> =
            theirs.into_iter().map(|c| (c.community, c.docs)).collect();
        let mut out = Vec::new();
        for community in communities {
            if !self.shared_in_session(session, &community) {
                continue;
            }
            let digests = theirs.get(&community);
            let id = CommunityId(community);
            for (index, kind) in DocKind::ALL.into_iter().enumerate() {
                let heads = self.doc_heads(&id, kind);
                let digest = heads_digest(heads.iter().map(|h| h.0));
                if digests.and_then(|d| d.get(index)) == Some(&digest) {
                    if let Some(s) = self.peers.sessions.get_mut(&session) {
                        let state = s.states.entry((id.clone(), kind)).or_default();
                        state.shared_heads.clone_from(&heads);
                        state.last_sent_heads.clone_from(&heads);
                        state.their_heads = Some(heads);
                        state.have_responded = true;
                    }
                    continue;
                }
                out.extend(self.generate_one(session, &id, kind));
            }
        }
        out
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
            .and_then(|doc| receive::next_message(doc, &mut state));
        self.put_state(session, id, kind, state);
        let message = message?;
        let signatures = if message.changes.is_empty() {
            Default::default()
        } else {
            self.ledger(id, kind)
                .map(|l| l.for_chunks(message.changes.iter()))
                .unwrap_or_default()
        };
        Some(SyncMessage {
            community: id.0.clone(),
            doc: doc_index(kind),
            data: if signatures.is_empty() {
                message.encode()
            } else {
                wrap_file(&signatures, &message.encode())
            },
        })
    }

    /// The ledger of a document (held, partial or being joined).
    fn ledger(&self, id: &CommunityId, kind: DocKind) -> Option<&Ledger> {
        match self.communities.get(id) {
            Some(loaded) => loaded.ledgers.get(&kind),
            None => self.peers.joining.get(id)?.ledgers.get(&kind),
        }
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

    /// The message to send now for one document, if there is one and the
    /// community is still shared with the session's peer.
    pub fn answer(
        &mut self,
        session: SessionId,
        community: String,
        doc: u8,
    ) -> Option<SyncMessage> {
        let kind = kind_of(doc)?;
        if !self.shared_in_session(session, &community) {
            return None;
        }
        self.generate_one(session, &CommunityId(community), kind)
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

#[cfg(test)]
mod gate_tests {
    use passerelle_model::{Device, MemberId, Revocation, Role};

    use super::*;

    #[test]
    fn a_revoked_device_is_not_served_while_its_members_other_devices_are() {
        let device = |revoked: Option<Revocation>| Device {
            added_at: 0,
            label: String::new(),
            revoked,
        };
        let revocation = Revocation {
            at: 5,
            by: MemberId("01ANA".into()),
            seen: [("fil".to_owned(), 3)].into(),
        };
        let ana = passerelle_model::Member {
            id: MemberId("01ANA".into()),
            display_name: "Ana".into(),
            role: Role::Membre,
            devices: [
                ("aa".to_owned(), device(Some(revocation))),
                ("bb".to_owned(), device(None)),
            ]
            .into(),
            skills: vec![],
            languages: vec![],
            joined_at: 0,
            removed_at: None,
        };
        let mut doc = AutoCommit::new();
        let members: BTreeMap<String, passerelle_model::Member> =
            [("01ANA".to_owned(), ana)].into();
        autosurgeon::reconcile_prop(&mut doc, automerge::ROOT, "members", &members).unwrap();
        let served = passerelle_model::admission::active_devices(&mut doc);
        assert!(served.contains("bb"));
        assert!(!served.contains("aa"), "the revoked device is filtered out");
    }
}
