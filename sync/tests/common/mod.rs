//! What the session tests share: an in-memory [`Replica`] holding Automerge
//! documents, two real iroh endpoints on loopback, and waiting for what a
//! replica observes (with a deadline, never a sleep).
//!
//! The replica keeps the node's contract (`crates/core/src/node/peers.rs`) in a
//! few lines: a community is a set of member device keys and a few
//! Automerge documents; a peer shares a community when its key is among
//! the members; sync states live as long as a session; a document whose
//! digest matches the peer's summary is recorded as held by both and gets
//! no message. Proofs are never accepted: membership changes only here.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use automerge::sync::{Message, State as SyncState, SyncDoc};
use automerge::{AutoCommit, ChangeHash};
use data_encoding::HEXLOWER;
use iroh::endpoint::{PortmapperConfig, presets};
use iroh::{Endpoint, RelayMode, SecretKey};
use passerelle_sync::wire::CommunityDigest;
use passerelle_sync::{
    JoinReply, JoinRequest, NetConfig, NetEvent, Network, ReceiveError, Received, Replica,
    SessionId, SessionStats, SyncMessage, heads_digest,
};
use tokio::sync::{broadcast, watch};

/// Documents per community in these tests (the node has six; the session
/// does not care how many).
pub const DOCS: u8 = 2;

/// Loopback only: nothing in these tests leaves the machine.
pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The longest any one test may take.
pub const TEST_LIMIT: Duration = Duration::from_secs(60);

/// What a replica was asked and given, for the tests to assert on.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// Each session opened: the peer and the communities it was offered.
    pub opened: Vec<(String, Vec<String>)>,
    /// Every sync message handed to [`Replica::receive`].
    pub received: Vec<SyncMessage>,
    /// Every proof offered to [`Replica::accept_proof`] (community ids).
    pub proofs_offered: Vec<String>,
    /// The figures of each session, as it closed.
    pub closed: Vec<SessionStats>,
    /// What the network reported.
    pub events: Vec<NetEvent>,
}

/// One community as a replica holds it.
pub struct Community {
    /// Device keys (hex) of the members.
    pub members: BTreeSet<String>,
    /// Its documents, by document number.
    pub docs: Vec<AutoCommit>,
}

struct Session {
    peer: String,
    states: BTreeMap<(String, u8), SyncState>,
}

#[derive(Default)]
struct State {
    communities: BTreeMap<String, Community>,
    sessions: HashMap<SessionId, Session>,
    seen: Seen,
}

impl State {
    fn shared_with(&self, peer: &str) -> Vec<String> {
        self.communities
            .iter()
            .filter(|(_, c)| c.members.contains(peer))
            .map(|(id, _)| id.clone())
            .collect()
    }

    fn session_shared(&self, session: SessionId) -> Vec<String> {
        self.sessions
            .get(&session)
            .map(|s| self.shared_with(&s.peer))
            .unwrap_or_default()
    }

    fn heads(&mut self, community: &str, doc: u8) -> Vec<ChangeHash> {
        self.communities
            .get_mut(community)
            .and_then(|c| c.docs.get_mut(doc as usize))
            .map(|d| d.get_heads())
            .unwrap_or_default()
    }

    fn generate_one(
        &mut self,
        session: SessionId,
        community: &str,
        doc: u8,
    ) -> Option<SyncMessage> {
        let s = self.sessions.get_mut(&session)?;
        let state = s.states.entry((community.to_owned(), doc)).or_default();
        let document = self
            .communities
            .get_mut(community)?
            .docs
            .get_mut(doc as usize)?;
        let message = document.sync().generate_sync_message(state)?;
        Some(SyncMessage {
            community: community.to_owned(),
            doc,
            data: message.encode(),
        })
    }
}

/// An in-memory replica: communities in a mutex, changes announced on a
/// broadcast channel, everything it sees recorded in [`Seen`].
#[derive(Clone)]
pub struct MemReplica {
    state: Arc<Mutex<State>>,
    changes: broadcast::Sender<String>,
    /// Bumped at each network event, so a test can wait for one.
    events: watch::Sender<usize>,
}

impl MemReplica {
    pub fn new() -> Self {
        MemReplica {
            state: Arc::default(),
            changes: broadcast::channel(64).0,
            events: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("replica lock")
    }

    /// Holds a community with these members and documents.
    pub fn hold(&self, community: &str, members: &[&str], docs: Vec<AutoCommit>) {
        assert_eq!(docs.len(), DOCS as usize);
        self.lock().communities.insert(
            community.to_owned(),
            Community {
                members: members.iter().map(|m| (*m).to_owned()).collect(),
                docs,
            },
        );
    }

    /// Changes one document locally and announces it, as the node does.
    pub fn edit<T>(&self, community: &str, doc: u8, f: impl FnOnce(&mut AutoCommit) -> T) -> T {
        let out = {
            let mut state = self.lock();
            let c = state.communities.get_mut(community).expect("held");
            f(&mut c.docs[doc as usize])
        };
        let _ = self.changes.send(community.to_owned());
        out
    }

    /// Reads one document.
    pub fn read<T>(&self, community: &str, doc: u8, f: impl FnOnce(&mut AutoCommit) -> T) -> T {
        let mut state = self.lock();
        let c = state.communities.get_mut(community).expect("held");
        f(&mut c.docs[doc as usize])
    }

    /// The heads of every document of a community, sorted.
    pub fn heads(&self, community: &str) -> Vec<Vec<ChangeHash>> {
        let mut state = self.lock();
        (0..DOCS)
            .map(|doc| {
                let mut heads = state.heads(community, doc);
                heads.sort();
                heads
            })
            .collect()
    }

    pub fn seen(&self) -> Seen {
        self.lock().seen.clone()
    }

    /// Waits until the replica has seen an event that `matches`, and returns it.
    pub async fn event(
        &self,
        within: Duration,
        matches: impl Fn(&NetEvent) -> bool,
    ) -> Option<NetEvent> {
        self.events(within, 1, matches).await.into_iter().next()
    }

    /// Waits until the replica has seen `count` events that `matches`, and
    /// returns those seen by then (fewer if `within` passed first).
    pub async fn events(
        &self,
        within: Duration,
        count: usize,
        matches: impl Fn(&NetEvent) -> bool,
    ) -> Vec<NetEvent> {
        let mut bumps = self.events.subscribe();
        let found = || -> Vec<NetEvent> {
            let state = self.lock();
            state
                .seen
                .events
                .iter()
                .filter(|e| matches(e))
                .cloned()
                .collect()
        };
        let wait = async {
            loop {
                if found().len() >= count || bumps.changed().await.is_err() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(within, wait).await;
        found()
    }
}

impl Replica for MemReplica {
    async fn open_session(&self, session: SessionId, peer: String) -> Vec<String> {
        let mut state = self.lock();
        let shared = state.shared_with(&peer);
        state.seen.opened.push((peer.clone(), shared.clone()));
        state.sessions.insert(
            session,
            Session {
                peer,
                states: BTreeMap::new(),
            },
        );
        shared
    }

    async fn held(&self, communities: Vec<String>) -> Vec<String> {
        let state = self.lock();
        communities
            .into_iter()
            .filter(|c| state.communities.contains_key(c))
            .collect()
    }

    async fn proofs(&self, session: SessionId, communities: Vec<String>) -> Vec<(String, Vec<u8>)> {
        let mut state = self.lock();
        let shared = state.session_shared(session);
        communities
            .into_iter()
            .filter(|c| shared.contains(c))
            .filter_map(|c| {
                let doc = state.communities.get_mut(&c)?.docs.get_mut(0)?.save();
                Some((c, doc))
            })
            .collect()
    }

    async fn accept_proof(&self, _session: SessionId, community: String, _data: Vec<u8>) -> bool {
        self.lock().seen.proofs_offered.push(community);
        false
    }

    async fn shared(&self, session: SessionId) -> Vec<String> {
        self.lock().session_shared(session)
    }

    async fn summary(&self, session: SessionId, communities: Vec<String>) -> Vec<CommunityDigest> {
        let mut state = self.lock();
        let shared = state.session_shared(session);
        communities
            .into_iter()
            .filter(|c| shared.contains(c))
            .map(|community| {
                let docs = (0..DOCS)
                    .map(|doc| heads_digest(state.heads(&community, doc).iter().map(|h| h.0)))
                    .collect();
                CommunityDigest { community, docs }
            })
            .collect()
    }

    async fn first_messages(
        &self,
        session: SessionId,
        communities: Vec<String>,
        theirs: Vec<CommunityDigest>,
    ) -> Vec<SyncMessage> {
        let mut state = self.lock();
        let shared = state.session_shared(session);
        let mut out = Vec::new();
        for community in communities.into_iter().filter(|c| shared.contains(c)) {
            let digests = theirs.iter().find(|d| d.community == community);
            for doc in 0..DOCS {
                let heads = state.heads(&community, doc);
                let digest = heads_digest(heads.iter().map(|h| h.0));
                if digests.and_then(|d| d.docs.get(doc as usize)) == Some(&digest) {
                    // In sync already: both hold our heads.
                    if let Some(s) = state.sessions.get_mut(&session) {
                        let sync = s.states.entry((community.clone(), doc)).or_default();
                        sync.shared_heads.clone_from(&heads);
                        sync.last_sent_heads.clone_from(&heads);
                        sync.their_heads = Some(heads);
                        sync.have_responded = true;
                    }
                    continue;
                }
                out.extend(state.generate_one(session, &community, doc));
            }
        }
        out
    }

    async fn generate(&self, session: SessionId, communities: Vec<String>) -> Vec<SyncMessage> {
        let mut state = self.lock();
        let shared = state.session_shared(session);
        let mut out = Vec::new();
        for community in communities.into_iter().filter(|c| shared.contains(c)) {
            for doc in 0..DOCS {
                out.extend(state.generate_one(session, &community, doc));
            }
        }
        out
    }

    async fn receive(
        &self,
        session: SessionId,
        messages: Vec<SyncMessage>,
    ) -> Result<Received, ReceiveError> {
        let mut state = self.lock();
        state.seen.received.extend(messages.iter().cloned());
        let shared = state.session_shared(session);
        let mut received = Received::default();
        for m in messages {
            if m.doc >= DOCS {
                return Err(ReceiveError::Malformed(format!(
                    "there is no document number {}",
                    m.doc
                )));
            }
            if !shared.contains(&m.community) {
                return Err(ReceiveError::Malformed(format!(
                    "community {} is not shared",
                    m.community
                )));
            }
            let message = Message::decode(&m.data)
                .map_err(|e| ReceiveError::Malformed(format!("bad sync message: {e}")))?;
            let State {
                communities,
                sessions,
                ..
            } = &mut *state;
            let sync = sessions
                .get_mut(&session)
                .ok_or(ReceiveError::UnknownSession)?
                .states
                .entry((m.community.clone(), m.doc))
                .or_default();
            let doc = &mut communities
                .get_mut(&m.community)
                .ok_or_else(|| ReceiveError::Malformed("community not held".into()))?
                .docs[m.doc as usize];
            let before = doc.get_heads();
            let sent = sync.last_sent_heads.clone();
            let their_heads = message.heads.clone();
            doc.sync()
                .receive_sync_message(sync, message)
                .map_err(|e| ReceiveError::Malformed(format!("bad sync message: {e}")))?;
            // As the node does (`crates/core/src/node/peers/receive.rs`): when the
            // peer's heads equal ours, Automerge records them as sent by us,
            // but a one-off session ends only once the peer has heard our
            // heads. Keep what was really sent so the answer announces them;
            // without this, a meeting now and then waits for IDLE_TIMEOUT.
            if !their_heads.is_empty() && sync.last_sent_heads == their_heads {
                sync.last_sent_heads = sent;
            }
            if doc.get_heads() != before && !received.announced.contains(&m.community) {
                received.announced.push(m.community.clone());
            }
            let touched = (m.community, m.doc);
            if !received.touched.contains(&touched) {
                received.touched.push(touched);
            }
        }
        for community in &received.announced {
            let _ = self.changes.send(community.clone());
        }
        Ok(received)
    }

    async fn answer(&self, session: SessionId, community: String, doc: u8) -> Option<SyncMessage> {
        let mut state = self.lock();
        if doc >= DOCS || !state.session_shared(session).contains(&community) {
            return None;
        }
        state.generate_one(session, &community, doc)
    }

    async fn in_sync(&self, session: SessionId, communities: Vec<String>) -> bool {
        let mut state = self.lock();
        for community in communities {
            for doc in 0..DOCS {
                let mut ours = state.heads(&community, doc);
                let Some(mut theirs) = state
                    .sessions
                    .get(&session)
                    .and_then(|s| s.states.get(&(community.clone(), doc)))
                    .and_then(|s| s.their_heads.clone())
                else {
                    return false;
                };
                ours.sort();
                theirs.sort();
                if ours != theirs {
                    return false;
                }
            }
        }
        true
    }

    async fn close_session(&self, session: SessionId, stats: SessionStats) {
        let mut state = self.lock();
        state.sessions.remove(&session);
        state.seen.closed.push(stats);
    }

    async fn admit(&self, _peer: String, _request: JoinRequest) -> JoinReply {
        JoinReply::Refused {
            code: "unknown".into(),
            message: "no invites in these tests".into(),
        }
    }

    async fn discovery_secrets(&self) -> Vec<String> {
        Vec::new()
    }

    async fn may_serve(&self, _peer: String, _hash: String) -> Vec<String> {
        Vec::new()
    }

    async fn is_member(&self, _peer: String) -> bool {
        false
    }

    async fn wanted(&self, _peer: String) -> Vec<passerelle_sync::Wanted> {
        Vec::new()
    }

    fn changes(&self) -> broadcast::Receiver<String> {
        self.changes.subscribe()
    }

    fn event(&self, event: NetEvent) {
        self.lock().seen.events.push(event);
        self.events.send_modify(|n| *n += 1);
    }
}

/// A device: its key, its replica and its network on loopback.
pub struct Device {
    pub key: String,
    pub secret: SecretKey,
    pub replica: MemReplica,
}

impl Device {
    pub fn new() -> Self {
        let secret = SecretKey::generate();
        Device {
            key: HEXLOWER.encode(secret.public().as_bytes()),
            secret,
            replica: MemReplica::new(),
        }
    }

    /// Starts its network: 127.0.0.1 only, no mDNS, no relay, no address
    /// book (what `PASSERELLE_BIND=127.0.0.1 PASSERELLE_MDNS=off` gives).
    pub async fn start(&self) -> Network<MemReplica> {
        let config = NetConfig {
            bind: Some(LOOPBACK),
            port: None,
            mdns: false,
            relay: None,
            address_book: None,
            blobs: None,
        };
        let net = Network::start(self.secret.clone(), config, self.replica.clone())
            .await
            .expect("a loopback endpoint binds");
        assert!(
            net.addr().ip_addrs().all(|a| a.ip().is_loopback()),
            "the endpoint listens on loopback only"
        );
        net
    }
}

/// A bare iroh endpoint on loopback, to speak the wire protocol by hand
/// (same options as [`Network::start`]: no relay, no portmapper).
pub async fn bare_endpoint(secret: SecretKey) -> Endpoint {
    Endpoint::builder(presets::Minimal)
        .secret_key(secret)
        .relay_mode(RelayMode::Disabled)
        .portmapper_config(PortmapperConfig::Disabled)
        .clear_ip_transports()
        .bind_addr(SocketAddr::new(LOOPBACK, 0))
        .expect("a loopback address")
        .bind()
        .await
        .expect("a loopback endpoint binds")
}

/// A document with one change: a genesis both sides start from.
pub fn genesis(name: &str) -> AutoCommit {
    use automerge::transaction::Transactable;
    let mut doc = AutoCommit::new();
    doc.put(automerge::ROOT, "name", name).expect("put");
    doc
}

/// Writes `count` keys named `{prefix}{i}` into a document.
pub fn write_keys(doc: &mut AutoCommit, prefix: &str, count: usize) {
    use automerge::transaction::Transactable;
    for i in 0..count {
        doc.put(automerge::ROOT, format!("{prefix}{i}"), i as i64)
            .expect("put");
        doc.commit();
    }
}

/// The keys of a document's root map.
pub fn keys(doc: &mut AutoCommit) -> BTreeSet<String> {
    use automerge::ReadDoc;
    doc.keys(automerge::ROOT).collect()
}
