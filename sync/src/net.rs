//! The endpoint, its protocol handlers, LAN discovery and the dialler.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use data_encoding::{HEXLOWER, HEXLOWER_PERMISSIVE};
use iroh::endpoint::{Connection, PortmapperConfig, presets};
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use iroh::{Endpoint, EndpointAddr, EndpointId, RelayMode, SecretKey};
use iroh_mdns_address_lookup::{DiscoveryEvent, MdnsAddressLookup};
use n0_future::StreamExt;
use tokio::sync::{Semaphore, SemaphorePermit, broadcast, watch};

use crate::blobs::{BLOBS_ALPN, BlobError, BlobStore};
use crate::limits::{
    HELLO_TIMEOUT, InviteLimiter, LINGER, MAX_SESSIONS, MAX_SESSIONS_PER_PEER,
    MAX_STRANGER_SESSIONS, MIN_BACKOFF, next_backoff,
};
use crate::session::{Mode, Session, SessionError};
use crate::ticket::{InviteTicket, Ticket};
use crate::wire::{self, JoinReply, JoinRequest, MAX_INVITE_FRAME, code};
use crate::{
    INVITE_ALPN, NetConfig, NetEvent, Rejection, Replica, SYNC_ALPN, SessionStats, discovery_tag,
};

/// Blob connections served at once, all members together (each request
/// is checked on its own; strangers get none).
const MAX_BLOB_CONNECTIONS: usize = 32;
/// Blob connections one device may hold at once.
const MAX_BLOB_CONNECTIONS_PER_PEER: usize = 4;
/// Longest a blob connection is served (a 20 MB file over slow Wi-Fi fits).
const BLOB_CONNECTION_LIMIT: Duration = Duration::from_secs(600);

/// How long one round of fetching wanted blobs from a peer may take.
const FETCH_ROUND: Duration = Duration::from_secs(120);
/// How old a session is before blobs are fetched beside it.
const FETCH_AFTER: Duration = Duration::from_secs(2);
/// How long changes must pause before the next round of fetching.
const QUIET: Duration = Duration::from_secs(1);

/// The mDNS service name Passerelle devices announce themselves under.
const MDNS_SERVICE: &str = "passerelle";

/// Why a network operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The endpoint could not be created.
    #[error("cannot start networking: {0}")]
    Bind(String),
    /// The peer could not be reached.
    #[error("cannot reach {peer}: {reason}")]
    Unreachable {
        /// Its key.
        peer: String,
        /// What failed.
        reason: String,
    },
    /// The peer refused the invite.
    #[error("{message}")]
    Refused {
        /// Refusal code (`unknown`, `expired`, `revoked`, `used`, `rate_limited`...).
        code: String,
        /// In words.
        message: String,
    },
    /// The session failed.
    #[error("sync with {peer} failed: {source}")]
    Session {
        /// Its key.
        peer: String,
        /// What went wrong.
        source: SessionError,
    },
    /// It took too long.
    #[error("no answer from {0} in time")]
    Timeout(String),
}

/// A running network: endpoint, router, discovery, dialler.
pub struct Network<R: Replica> {
    inner: Arc<Inner<R>>,
    router: Router,
}

struct Inner<R: Replica> {
    endpoint: Endpoint,
    replica: R,
    mdns: Option<MdnsAddressLookup>,
    /// Accepted connections at once (sync and invite).
    sessions: Semaphore,
    /// Of those, connections from devices that are a member of nothing here.
    strangers: Semaphore,
    /// Accepted connections per peer.
    accepted: Mutex<HashMap<EndpointId, usize>>,
    next_session: AtomicU64,
    /// Live sessions per peer.
    connected: Mutex<HashMap<EndpointId, usize>>,
    /// Peers a keeper task is already keeping connected.
    kept: Mutex<HashSet<EndpointId>>,
    /// Peers found on the LAN announcing one of our tags.
    discovered: Mutex<BTreeMap<EndpointId, EndpointAddr>>,
    invites: Mutex<InviteLimiter>,
    book: Mutex<AddressBook>,
    auto: watch::Sender<bool>,
    stop: watch::Sender<bool>,
    /// The attachments' store, when the blob protocol is on.
    blobs: Option<BlobStore>,
    /// Blob connections being served.
    blob_connections: Semaphore,
    /// Blob connections served per peer.
    blob_peers: Mutex<HashMap<EndpointId, usize>>,
    /// One round of fetching from a peer at a time: a second waits, then
    /// finds what the first brought.
    fetching: Mutex<HashMap<EndpointId, Arc<tokio::sync::Mutex<()>>>>,
}

impl<R: Replica> std::fmt::Debug for Inner<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Network({})", self.endpoint.id())
    }
}

impl<R: Replica> Network<R> {
    /// Binds the endpoint and starts accepting members.
    ///
    /// Relays are off unless `config.relay` says otherwise; the portmapper is
    /// always off and nothing is published to DNS (the `Minimal` preset).
    pub async fn start(secret: SecretKey, config: NetConfig, replica: R) -> Result<Self, NetError> {
        let bind = |e: &dyn std::fmt::Display| NetError::Bind(e.to_string());
        let relay_mode = match config.relay.as_deref() {
            None => RelayMode::Disabled,
            Some("default") => RelayMode::Default,
            Some(url) => RelayMode::custom([crate::relay_url(url).map_err(|e| bind(&e))?]),
        };
        let mut alpns = vec![SYNC_ALPN.to_vec(), INVITE_ALPN.to_vec()];
        if config.blobs.is_some() {
            alpns.push(BLOBS_ALPN.to_vec());
        }
        let mut builder = Endpoint::builder(presets::Minimal)
            .secret_key(secret)
            .alpns(alpns)
            .relay_mode(relay_mode)
            .portmapper_config(PortmapperConfig::Disabled);
        if config.bind.is_some() || config.port.is_some() {
            let ip = config
                .bind
                .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
            builder = builder
                .clear_ip_transports()
                .bind_addr(SocketAddr::new(ip, config.port.unwrap_or(0)))
                .map_err(|e| bind(&e))?;
        }
        let endpoint = builder.bind().await.map_err(|e| bind(&e))?;
        let mdns = if config.mdns {
            let mdns = MdnsAddressLookup::builder()
                .service_name(MDNS_SERVICE)
                .build(endpoint.id())
                .map_err(|e| bind(&e))?;
            endpoint
                .address_lookup()
                .map_err(|e| bind(&e))?
                .add(mdns.clone());
            Some(mdns)
        } else {
            None
        };
        let inner = Arc::new(Inner {
            endpoint: endpoint.clone(),
            replica,
            mdns,
            sessions: Semaphore::new(MAX_SESSIONS),
            strangers: Semaphore::new(MAX_STRANGER_SESSIONS),
            accepted: Mutex::default(),
            next_session: AtomicU64::new(1),
            connected: Mutex::default(),
            kept: Mutex::default(),
            discovered: Mutex::default(),
            invites: Mutex::default(),
            book: Mutex::new(AddressBook::load(config.address_book)),
            auto: watch::Sender::new(false),
            stop: watch::Sender::new(false),
            blobs: config.blobs,
            blob_connections: Semaphore::new(MAX_BLOB_CONNECTIONS),
            blob_peers: Mutex::default(),
            fetching: Mutex::default(),
        });
        let mut router = Router::builder(endpoint);
        if inner.blobs.is_some() {
            router = router.accept(
                BLOBS_ALPN,
                BlobHandler {
                    inner: inner.clone(),
                },
            );
        }
        let router = router
            .accept(
                SYNC_ALPN,
                SyncHandler {
                    inner: inner.clone(),
                },
            )
            .accept(
                INVITE_ALPN,
                InviteHandler {
                    inner: inner.clone(),
                },
            )
            .spawn();
        let net = Network { inner, router };
        net.inner.replica.event(NetEvent::Listening {
            endpoint: net.id(),
            addrs: net.addr().ip_addrs().copied().collect(),
        });
        if net.inner.mdns.is_some() {
            tokio::spawn(discover(net.inner.clone()));
            tokio::spawn(announce(net.inner.clone()));
        }
        Ok(net)
    }

    /// This device's key, hex.
    pub fn id(&self) -> String {
        HEXLOWER.encode(self.inner.endpoint.id().as_bytes())
    }

    /// Where this device can be reached now.
    pub fn addr(&self) -> EndpointAddr {
        let mut addr = self.inner.endpoint.addr();
        // Before the first network report the endpoint may know only its
        // sockets: list those that are usable from elsewhere.
        for socket in self.inner.endpoint.bound_sockets() {
            if !socket.ip().is_unspecified() {
                addr = addr.with_ip_addr(socket);
            }
        }
        addr
    }

    /// A ticket to reach this device, with an invite or without.
    pub fn ticket(&self, invite: Option<InviteTicket>) -> Ticket {
        Ticket {
            addr: self.addr(),
            invite,
        }
    }

    /// Presents an invite to the device that made the ticket (or any member
    /// device at that address). On success returns the community's name.
    pub async fn join(&self, ticket: &Ticket, display_name: &str) -> Result<String, NetError> {
        let invite = ticket.invite.as_ref().ok_or_else(|| NetError::Refused {
            code: "not_an_invite".into(),
            message: "this ticket is a device address, not an invite".into(),
        })?;
        let peer = HEXLOWER.encode(ticket.addr.id.as_bytes());
        let conn = self.connect(ticket.addr.clone(), INVITE_ALPN).await?;
        let request = JoinRequest {
            community: invite.community.clone(),
            invite: invite.invite.clone(),
            secret: invite.secret,
            display_name: display_name.to_owned(),
        };
        let exchange = async {
            let (mut send, mut recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
            wire::write(&mut send, &request)
                .await
                .map_err(|e| e.to_string())?;
            let _ = send.finish();
            let (reply, _) = wire::read::<JoinReply>(&mut recv, MAX_INVITE_FRAME)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(reply)
        };
        let reply = tokio::time::timeout(HELLO_TIMEOUT, exchange)
            .await
            .map_err(|_| NetError::Timeout(peer.clone()))?
            .map_err(|reason| NetError::Unreachable {
                peer: peer.clone(),
                reason,
            })?;
        conn.close(code::DONE, b"thanks");
        match reply {
            JoinReply::Admitted { name } => {
                self.remember(&ticket.addr);
                Ok(name)
            }
            JoinReply::Refused { code, message } => Err(NetError::Refused { code, message }),
        }
    }

    /// Syncs with one peer until both hold the same changes, then ends.
    pub async fn sync_once(
        &self,
        addr: EndpointAddr,
        timeout: Duration,
    ) -> Result<SessionStats, NetError> {
        let peer = HEXLOWER.encode(addr.id.as_bytes());
        let inner = self.inner.clone();
        let work = async move {
            let conn = connect(&inner.endpoint, addr.clone(), SYNC_ALPN).await?;
            let stats = run_dialled(&inner, &conn, Mode::UntilSynced).await?;
            inner.book.lock().expect("book lock").remember(&addr);
            Ok::<_, NetError>(stats)
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| NetError::Timeout(peer))?
    }

    /// Keeps connected to every known or discovered member from now on,
    /// reconnecting with backoff (what `serve` and the app do).
    pub fn auto_connect(&self) {
        self.inner.auto.send_replace(true);
        let known = self.inner.book.lock().expect("book lock").addrs();
        for addr in known {
            keep(&self.inner, addr);
        }
    }

    /// Keeps a live session with this peer, reconnecting with backoff.
    pub fn keep_connected(&self, addr: EndpointAddr) {
        self.remember(&addr);
        keep(&self.inner, addr);
    }

    /// Peers found on the LAN so far that announce a community we hold.
    pub fn discovered(&self) -> Vec<EndpointAddr> {
        self.inner
            .discovered
            .lock()
            .expect("discovered lock")
            .values()
            .cloned()
            .collect()
    }

    /// Peers whose addresses are remembered.
    pub fn known(&self) -> Vec<EndpointAddr> {
        self.inner.book.lock().expect("book lock").addrs()
    }

    /// Remembers a peer's addresses for later runs.
    pub fn remember(&self, addr: &EndpointAddr) {
        self.inner.book.lock().expect("book lock").remember(addr);
    }

    /// Whether LAN discovery runs.
    pub fn mdns_enabled(&self) -> bool {
        self.inner.mdns.is_some()
    }

    /// The address of a peer known by key only: remembered or discovered.
    pub fn lookup(&self, id: EndpointId) -> EndpointAddr {
        if let Some(addr) = self.inner.discovered.lock().expect("lock").get(&id) {
            return addr.clone();
        }
        self.known()
            .into_iter()
            .find(|a| a.id == id)
            .unwrap_or_else(|| EndpointAddr::new(id))
    }

    /// Fetches from a peer the blobs the node wants from it (thumbnails,
    /// small files) and does not hold; returns how many arrived.
    pub async fn fetch_from(&self, addr: EndpointAddr) -> usize {
        tokio::time::timeout(FETCH_ROUND, fetch_wanted(&self.inner, addr))
            .await
            .unwrap_or(0)
    }

    /// Fetches a blob from the peers at hand, the connected ones first,
    /// then those remembered or found on the LAN; `max` is the size its
    /// attachment says. Returns the bytes received.
    pub async fn fetch_blob(
        &self,
        hash: &str,
        max: u64,
        community: &str,
    ) -> Result<u64, BlobError> {
        let store = self
            .inner
            .blobs
            .clone()
            .ok_or_else(|| BlobError::Store("no file store".into()))?;
        crate::blobs::parse_hash(hash)?;
        if store.has(hash).await? {
            return Ok(0);
        }
        let connected: Vec<EndpointId> = self
            .inner
            .connected
            .lock()
            .expect("connected lock")
            .keys()
            .copied()
            .collect();
        let mut peers: Vec<EndpointAddr> =
            connected.into_iter().map(|id| self.lookup(id)).collect();
        for addr in self.known().into_iter().chain(self.discovered()) {
            if !peers.iter().any(|p| p.id == addr.id) {
                peers.push(addr);
            }
        }
        let mut last = BlobError::Missing;
        for addr in peers {
            let peer = HEXLOWER.encode(addr.id.as_bytes());
            let conn = match connect(&self.inner.endpoint, addr, BLOBS_ALPN).await {
                Ok(conn) => conn,
                Err(e) => {
                    last = BlobError::NotGiven(e.to_string());
                    continue;
                }
            };
            let fetched =
                tokio::time::timeout(FETCH_ROUND, store.fetch(&conn, hash, max, community))
                    .await
                    .unwrap_or_else(|_| Err(BlobError::NotGiven("no answer in time".into())));
            conn.close(code::DONE, b"thanks");
            match fetched {
                Ok(bytes) => {
                    self.inner.replica.event(NetEvent::BlobFetched {
                        peer,
                        hash: hash.to_owned(),
                        bytes,
                    });
                    return Ok(bytes);
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    async fn connect(&self, addr: EndpointAddr, alpn: &[u8]) -> Result<Connection, NetError> {
        connect(&self.inner.endpoint, addr, alpn).await
    }

    /// Closes every connection and the endpoint.
    pub async fn shutdown(&self) {
        self.inner.stop.send_replace(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.router.shutdown()).await;
    }
}

async fn connect(
    endpoint: &Endpoint,
    addr: EndpointAddr,
    alpn: &[u8],
) -> Result<Connection, NetError> {
    let peer = HEXLOWER.encode(addr.id.as_bytes());
    match tokio::time::timeout(HELLO_TIMEOUT, endpoint.connect(addr, alpn)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(NetError::Unreachable {
            peer,
            reason: e.to_string(),
        }),
        Err(_) => Err(NetError::Timeout(peer)),
    }
}

/// Runs a session on a connection we opened.
async fn run_dialled<R: Replica>(
    inner: &Arc<Inner<R>>,
    conn: &Connection,
    mode: Mode,
) -> Result<SessionStats, NetError> {
    let peer = HEXLOWER.encode(conn.remote_id().as_bytes());
    let (send, recv) = conn.open_bi().await.map_err(|e| NetError::Unreachable {
        peer: peer.clone(),
        reason: e.to_string(),
    })?;
    let opened = Opened::new(inner, conn).await;
    run_session(inner, conn, send, recv, mode, true, opened).await
}

/// A session opened with the node: its number and the communities to sync.
struct Opened {
    id: crate::SessionId,
    mine: Vec<String>,
}

impl Opened {
    async fn new<R: Replica>(inner: &Inner<R>, conn: &Connection) -> Opened {
        let id = inner.next_session.fetch_add(1, Ordering::Relaxed);
        let peer = HEXLOWER.encode(conn.remote_id().as_bytes());
        let mine = inner.replica.open_session(id, peer).await;
        Opened { id, mine }
    }
}

async fn run_session<R: Replica>(
    inner: &Arc<Inner<R>>,
    conn: &Connection,
    send: iroh::endpoint::SendStream,
    recv: iroh::endpoint::RecvStream,
    mode: Mode,
    initiator: bool,
    Opened { id, mine }: Opened,
) -> Result<SessionStats, NetError> {
    let remote = conn.remote_id();
    let peer = HEXLOWER.encode(remote.as_bytes());
    *inner
        .connected
        .lock()
        .expect("connected lock")
        .entry(remote)
        .or_default() += 1;
    let changes = inner.replica.changes();
    let mut session = Session {
        replica: &inner.replica,
        conn,
        id,
        mine,
        peer: peer.clone(),
        mode,
        initiator,
        stats: SessionStats::default(),
        last_change: Instant::now(),
        enough: false,
    };
    let mut stop = inner.stop.subscribe();
    let peer_addr = seen_at(conn);
    let result = tokio::select! {
        r = session.run(send, recv, changes) => r,
        () = fetch_while_connected(inner, peer_addr.clone()) => unreachable!("fetches until the session ends"),
        _ = stop.wait_for(|s| *s) => {
            conn.close(code::SHUTDOWN, b"shutting down");
            Err(SessionError::Closed("shutting down".into()))
        }
    };
    let stats = session.stats;
    inner.replica.close_session(id, stats).await;
    {
        let mut connected = inner.connected.lock().expect("connected lock");
        if let Some(n) = connected.get_mut(&remote) {
            *n -= 1;
            if *n == 0 {
                connected.remove(&remote);
            }
        }
    }
    let error = match &result {
        // A live session that had nothing more to exchange ended normally.
        Err(SessionError::Idle) => None,
        r => r.as_ref().err().cloned(),
    };
    match (&result, error) {
        (Err(SessionError::NotAMember | SessionError::NothingShared), Some(e)) => {
            inner.replica.event(NetEvent::Refused {
                peer: peer.clone(),
                reason: Rejection::Session(e),
            });
        }
        (_, error) => inner.replica.event(NetEvent::PeerDisconnected {
            peer: peer.clone(),
            stats,
            error,
        }),
    }
    if result.is_ok() && mode == Mode::UntilSynced {
        // A one-off sync is followed by the blobs it made wanted, once the
        // documents' session is over; whoever must wait for them (a
        // command about to exit) calls `fetch_from`.
        let inner = inner.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(FETCH_ROUND, fetch_wanted(&inner, peer_addr)).await;
        });
    }
    result
        .map(|()| stats)
        .map_err(|source| NetError::Session { peer, source })
}

/// Keeps a live session with `addr` while the node runs.
fn keep<R: Replica>(inner: &Arc<Inner<R>>, addr: EndpointAddr) {
    if addr.id == inner.endpoint.id() || !inner.kept.lock().expect("kept lock").insert(addr.id) {
        return;
    }
    let inner = inner.clone();
    tokio::spawn(async move {
        let mut stop = inner.stop.subscribe();
        let mut backoff = MIN_BACKOFF;
        loop {
            let already = inner
                .connected
                .lock()
                .expect("connected lock")
                .contains_key(&addr.id);
            let healthy = if already {
                false
            } else {
                let started = Instant::now();
                let outcome = match connect(&inner.endpoint, addr.clone(), SYNC_ALPN).await {
                    Ok(conn) => run_dialled(&inner, &conn, Mode::Live).await.map(|_| ()),
                    Err(e) => Err(e),
                };
                match outcome {
                    Err(NetError::Session {
                        source: SessionError::NotAMember | SessionError::NothingShared,
                        ..
                    }) => {
                        // Nothing to share with this peer: stop trying.
                        inner.kept.lock().expect("kept lock").remove(&addr.id);
                        return;
                    }
                    Err(NetError::Session {
                        source: SessionError::Idle,
                        ..
                    }) => {
                        // Nothing was exchanged for a while: dial again once
                        // there is something new here (the peer dials us
                        // when it has something new, see `redial_on_change`).
                        if !next_change(&inner).await {
                            return;
                        }
                        backoff = MIN_BACKOFF;
                        continue;
                    }
                    Err(e) => {
                        tracing::debug!("{e}");
                        started.elapsed() > Duration::from_secs(30)
                    }
                    Ok(()) => true,
                }
            };
            backoff = if healthy {
                MIN_BACKOFF
            } else {
                next_backoff(backoff)
            };
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    });
}

/// Waits for a local change; `false` if the node stops first.
async fn next_change<R: Replica>(inner: &Arc<Inner<R>>) -> bool {
    let mut changes = inner.replica.changes();
    let mut stop = inner.stop.subscribe();
    tokio::select! {
        changed = changes.recv() => !matches!(changed, Err(broadcast::error::RecvError::Closed)),
        _ = stop.wait_for(|s| *s) => false,
    }
}

/// After an accepted live session ended for idleness: on the next local
/// change, dials the peer once (at its address found on the LAN,
/// remembered, or else where its connection came from, `seen_at`) so that
/// what is new reaches it without waiting for it to dial; again after that
/// session ends idle. Stops when the peer cannot be reached (it dials when
/// it has something new) or is already connected (that session carries
/// the change).
fn redial_on_change<R: Replica>(inner: &Arc<Inner<R>>, seen_at: EndpointAddr) {
    let peer = seen_at.id;
    if inner.kept.lock().expect("kept lock").contains(&peer) {
        // Already kept connected: that loop dials on the next change.
        return;
    }
    let inner = inner.clone();
    tokio::spawn(async move {
        loop {
            if !next_change(&inner).await {
                return;
            }
            let connected = inner
                .connected
                .lock()
                .expect("connected lock")
                .contains_key(&peer);
            if connected {
                return;
            }
            let known = inner.discovered.lock().expect("lock").get(&peer).cloned();
            let known = known.or_else(|| {
                inner
                    .book
                    .lock()
                    .expect("book lock")
                    .addrs()
                    .into_iter()
                    .find(|a| a.id == peer)
            });
            let addr = known.unwrap_or_else(|| seen_at.clone());
            let Ok(conn) = connect(&inner.endpoint, addr, SYNC_ALPN).await else {
                return;
            };
            match run_dialled(&inner, &conn, Mode::Live).await {
                Err(NetError::Session {
                    source: SessionError::Idle,
                    ..
                }) => continue,
                _ => return,
            }
        }
    });
}

#[derive(Clone)]
struct SyncHandler<R: Replica> {
    inner: Arc<Inner<R>>,
}

impl<R: Replica> std::fmt::Debug for SyncHandler<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncHandler")
    }
}

/// The room an accepted connection takes: counted for its peer, and a
/// permit of the session pools (also of the strangers' pool for a device
/// that is a member of nothing here). Given back when dropped.
struct Room<'a, R: Replica> {
    inner: &'a Inner<R>,
    peer: EndpointId,
    _session: Option<SemaphorePermit<'a>>,
    _stranger: Option<SemaphorePermit<'a>>,
}

impl<'a, R: Replica> Room<'a, R> {
    /// Counts the connection for its peer, if the peer has room left.
    fn for_peer(inner: &'a Inner<R>, peer: EndpointId) -> Option<Self> {
        let mut accepted = inner.accepted.lock().expect("accepted lock");
        let count = accepted.entry(peer).or_default();
        if *count >= MAX_SESSIONS_PER_PEER {
            return None;
        }
        *count += 1;
        Some(Room {
            inner,
            peer,
            _session: None,
            _stranger: None,
        })
    }

    /// Takes a session permit; strangers also need one of theirs, so
    /// however many they open, members find room.
    fn with_session(mut self, member: bool) -> Option<Self> {
        if !member {
            self._stranger = Some(self.inner.strangers.try_acquire().ok()?);
        }
        self._session = Some(self.inner.sessions.try_acquire().ok()?);
        Some(self)
    }
}

impl<R: Replica> Drop for Room<'_, R> {
    fn drop(&mut self) {
        let mut accepted = self.inner.accepted.lock().expect("accepted lock");
        if let Some(n) = accepted.get_mut(&self.peer) {
            *n -= 1;
            if *n == 0 {
                accepted.remove(&self.peer);
            }
        }
    }
}

impl<R: Replica> ProtocolHandler for SyncHandler<R> {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let Some(room) = Room::for_peer(&self.inner, conn.remote_id()) else {
            conn.close(code::BUSY, b"too many connections from this device");
            return Ok(());
        };
        // Whether the peer is a member decides which pools it draws on.
        let opened = Opened::new(&self.inner, &conn).await;
        let Some(_room) = room.with_session(!opened.mine.is_empty()) else {
            conn.close(code::BUSY, b"too many connections");
            self.inner
                .replica
                .close_session(opened.id, SessionStats::default())
                .await;
            return Ok(());
        };
        let (send, recv) = match tokio::time::timeout(HELLO_TIMEOUT, conn.accept_bi()).await {
            Ok(Ok(streams)) => streams,
            outcome => {
                if outcome.is_err() {
                    conn.close(code::TIMEOUT, b"no stream opened");
                }
                self.inner
                    .replica
                    .close_session(opened.id, SessionStats::default())
                    .await;
                return Ok(());
            }
        };
        // Where the peer is seen from (its endpoint's own socket), to dial
        // it back after an idle end when its address is known nowhere else.
        let seen_at = seen_at(&conn);
        let ended = run_session(&self.inner, &conn, send, recv, Mode::Live, false, opened).await;
        if let Err(NetError::Session {
            source: SessionError::Idle,
            ..
        }) = ended
        {
            redial_on_change(&self.inner, seen_at);
        }
        // Let the peer read our last frames before the connection drops.
        let _ = tokio::time::timeout(LINGER, conn.closed()).await;
        Ok(())
    }
}

/// Where a connected peer is seen from: its endpoint's own sockets.
fn seen_at(conn: &Connection) -> EndpointAddr {
    EndpointAddr::new(conn.remote_id()).with_addrs(
        conn.paths()
            .iter()
            .map(|p| p.remote_addr().clone())
            .filter(|a| matches!(a, iroh::TransportAddr::Ip(_))),
    )
}

/// While a session lasts: fetches the blobs the node wants from the peer,
/// once the session is two seconds old, then each time changes stop
/// arriving for a second (what the peer sent may reference new ones). Never
/// returns; the session's end drops it. A short session leaves the fetching
/// to the round after it, so the documents go first.
async fn fetch_while_connected<R: Replica>(inner: &Arc<Inner<R>>, peer: EndpointAddr) {
    let mut changes = inner.replica.changes();
    tokio::time::sleep(FETCH_AFTER).await;
    loop {
        let _ = tokio::time::timeout(FETCH_ROUND, fetch_wanted(inner, peer.clone())).await;
        // A change, then a quiet second.
        if matches!(
            changes.recv().await,
            Err(broadcast::error::RecvError::Closed)
        ) {
            std::future::pending::<()>().await;
        }
        while let Ok(next) = tokio::time::timeout(QUIET, changes.recv()).await {
            if matches!(next, Err(broadcast::error::RecvError::Closed)) {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Fetches from one peer the blobs the node wants and does not hold;
/// returns how many arrived.
async fn fetch_wanted<R: Replica>(inner: &Arc<Inner<R>>, addr: EndpointAddr) -> usize {
    let Some(store) = &inner.blobs else {
        return 0;
    };
    let peer = HEXLOWER.encode(addr.id.as_bytes());
    let lock = inner
        .fetching
        .lock()
        .expect("fetching lock")
        .entry(addr.id)
        .or_default()
        .clone();
    let _round = lock.lock().await;
    let mut missing = Vec::new();
    for wanted in inner.replica.wanted(peer.clone()).await {
        if !store.has(&wanted.hash).await.unwrap_or(true) {
            missing.push(wanted);
        }
    }
    if missing.is_empty() {
        return 0;
    }
    let Ok(conn) = connect(&inner.endpoint, addr, BLOBS_ALPN).await else {
        return 0;
    };
    let mut arrived = 0;
    for wanted in missing {
        match store
            .fetch(&conn, &wanted.hash, wanted.size, &wanted.community)
            .await
        {
            Ok(bytes) => {
                arrived += 1;
                inner.replica.event(NetEvent::BlobFetched {
                    peer: peer.clone(),
                    hash: wanted.hash,
                    bytes,
                });
            }
            Err(e) => tracing::debug!(%peer, hash = %wanted.hash, "blob not fetched: {e}"),
        }
    }
    conn.close(code::DONE, b"thanks");
    arrived
}

/// Serves attachments' bytes (`/iroh-bytes/4`) to members.
#[derive(Clone)]
struct BlobHandler<R: Replica> {
    inner: Arc<Inner<R>>,
}

impl<R: Replica> std::fmt::Debug for BlobHandler<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlobHandler")
    }
}

impl<R: Replica> ProtocolHandler for BlobHandler<R> {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let Some(store) = self.inner.blobs.clone() else {
            return Ok(());
        };
        let peer = conn.remote_id();
        if !self
            .inner
            .replica
            .is_member(HEXLOWER.encode(peer.as_bytes()))
            .await
        {
            conn.close(code::NOT_A_MEMBER, b"not a member");
            return Ok(());
        }
        let Ok(_permit) = self.inner.blob_connections.try_acquire() else {
            conn.close(code::BUSY, b"too many connections");
            return Ok(());
        };
        {
            let mut peers = self.inner.blob_peers.lock().expect("blob peers lock");
            let count = peers.entry(peer).or_default();
            if *count >= MAX_BLOB_CONNECTIONS_PER_PEER {
                conn.close(code::BUSY, b"too many connections from this device");
                return Ok(());
            }
            *count += 1;
        }
        let served = store.serve(conn.clone(), self.inner.replica.clone());
        if tokio::time::timeout(BLOB_CONNECTION_LIMIT, served)
            .await
            .is_err()
        {
            conn.close(code::TIMEOUT, b"served long enough");
        }
        let mut peers = self.inner.blob_peers.lock().expect("blob peers lock");
        if let Some(n) = peers.get_mut(&peer) {
            *n -= 1;
            if *n == 0 {
                peers.remove(&peer);
            }
        }
        Ok(())
    }
}

#[derive(Clone)]
struct InviteHandler<R: Replica> {
    inner: Arc<Inner<R>>,
}

impl<R: Replica> std::fmt::Debug for InviteHandler<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InviteHandler")
    }
}

impl<R: Replica> ProtocolHandler for InviteHandler<R> {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let remote = conn.remote_id();
        let peer = HEXLOWER.encode(remote.as_bytes());
        let key = *remote.as_bytes();
        // A joiner is a member of nothing here yet.
        let Some(_room) =
            Room::for_peer(&self.inner, remote).and_then(|room| room.with_session(false))
        else {
            conn.close(code::BUSY, b"too many connections");
            return Ok(());
        };
        let exchange = async {
            let (mut send, mut recv) = conn.accept_bi().await.map_err(|e| e.to_string())?;
            let (request, _) = wire::read::<JoinRequest>(&mut recv, MAX_INVITE_FRAME)
                .await
                .map_err(|e| e.to_string())?;
            let allowed = self
                .inner
                .invites
                .lock()
                .expect("limiter lock")
                .allowed(key, Instant::now());
            let rate_limited = || JoinReply::Refused {
                code: "rate_limited".into(),
                message: "too many failed attempts; try again in a few minutes".into(),
            };
            let mut reply = if allowed {
                self.inner.replica.admit(peer.clone(), request).await
            } else {
                rate_limited()
            };
            if let JoinReply::Refused { code, .. } = &reply
                && code != "rate_limited"
            {
                let mut limiter = self.inner.invites.lock().expect("limiter lock");
                limiter.failed(key, Instant::now());
                // During a flood, a refusal says nothing more.
                if limiter.flooded(Instant::now()) {
                    reply = rate_limited();
                }
            }
            if let JoinReply::Refused { code, message } = &reply {
                self.inner.replica.event(NetEvent::Refused {
                    peer: peer.clone(),
                    reason: Rejection::Invite {
                        code: code.clone(),
                        message: message.clone(),
                    },
                });
            }
            wire::write(&mut send, &reply)
                .await
                .map_err(|e| e.to_string())?;
            let _ = send.finish();
            Ok::<_, String>(())
        };
        match tokio::time::timeout(HELLO_TIMEOUT, exchange).await {
            Ok(Ok(())) => {
                let _ = tokio::time::timeout(LINGER, conn.closed()).await;
            }
            Ok(Err(e)) => conn.close(code::PROTOCOL, e.as_bytes()),
            Err(_) => conn.close(code::TIMEOUT, b"too slow"),
        }
        Ok(())
    }
}

/// Watches mDNS for devices announcing one of our community tags.
async fn discover<R: Replica>(inner: Arc<Inner<R>>) {
    let Some(mdns) = inner.mdns.clone() else {
        return;
    };
    let mut events = mdns.subscribe().await;
    let mut stop = inner.stop.subscribe();
    loop {
        let event = tokio::select! {
            e = events.next() => e,
            _ = stop.wait_for(|s| *s) => return,
        };
        let Some(DiscoveryEvent::Discovered { endpoint_info, .. }) = event else {
            if event.is_none() {
                return;
            }
            continue;
        };
        let theirs: HashSet<String> = endpoint_info
            .data
            .user_data()
            .map(|d| d.as_ref().split('.').map(str::to_owned).collect())
            .unwrap_or_default();
        let ours: HashSet<String> = our_tags(&inner).await.into_iter().collect();
        if theirs.is_disjoint(&ours) {
            continue;
        }
        let addr = endpoint_info.into_endpoint_addr();
        let id = addr.id;
        let new = inner
            .discovered
            .lock()
            .expect("discovered lock")
            .insert(id, addr.clone())
            .is_none();
        if new {
            inner.replica.event(NetEvent::PeerDiscovered {
                peer: HEXLOWER.encode(id.as_bytes()),
            });
        }
        // One side dials: the one with the smaller key, so two devices that
        // find each other do not open two sessions.
        if *inner.auto.borrow() && inner.endpoint.id().as_bytes() < id.as_bytes() {
            keep(&inner, addr);
        }
    }
}

/// The LAN tags of the communities held, sorted and without repeats.
async fn our_tags<R: Replica>(inner: &Inner<R>) -> Vec<String> {
    let mut tags: Vec<String> = inner
        .replica
        .discovery_secrets()
        .await
        .iter()
        .map(|s| discovery_tag(s))
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// Keeps the announced tags equal to the communities held.
async fn announce<R: Replica>(inner: Arc<Inner<R>>) {
    let mut changes = inner.replica.changes();
    let mut stop = inner.stop.subscribe();
    let mut current = None;
    loop {
        let tags = our_tags(&inner).await;
        // Keep within the 245 bytes mDNS user data allows (27 communities).
        let mut text = String::new();
        for tag in tags {
            if text.len() + tag.len() + 1 > iroh::endpoint_info::UserData::MAX_LENGTH {
                break;
            }
            if !text.is_empty() {
                text.push('.');
            }
            text.push_str(&tag);
        }
        if current.as_ref() != Some(&text) {
            let data = text.parse().ok();
            inner.endpoint.set_user_data_for_address_lookup(data);
            current = Some(text);
        }
        tokio::select! {
            r = changes.recv() => if matches!(r, Err(tokio::sync::broadcast::error::RecvError::Closed)) { return },
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// Known peers' addresses, kept in a small JSON file.
struct AddressBook {
    path: Option<std::path::PathBuf>,
    peers: BTreeMap<String, Vec<SocketAddr>>,
}

impl AddressBook {
    fn load(path: Option<std::path::PathBuf>) -> Self {
        let peers = path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Self { path, peers }
    }

    fn remember(&mut self, addr: &EndpointAddr) {
        let ips: Vec<SocketAddr> = addr.ip_addrs().copied().collect();
        if ips.is_empty() {
            return;
        }
        let key = HEXLOWER.encode(addr.id.as_bytes());
        if self.peers.get(&key) == Some(&ips) {
            return;
        }
        self.peers.insert(key, ips);
        if let Some(path) = &self.path {
            let bytes = serde_json::to_vec_pretty(&self.peers).expect("addresses serialise");
            let tmp = path.with_extension("tmp");
            if let Err(e) = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path)) {
                tracing::warn!("cannot remember peer addresses in {}: {e}", path.display());
            }
        }
    }

    fn addrs(&self) -> Vec<EndpointAddr> {
        self.peers
            .iter()
            .filter_map(|(key, ips)| {
                let bytes: [u8; 32] = HEXLOWER_PERMISSIVE
                    .decode(key.as_bytes())
                    .ok()?
                    .try_into()
                    .ok()?;
                let id = EndpointId::from_bytes(&bytes).ok()?;
                Some(
                    EndpointAddr::new(id)
                        .with_addrs(ips.iter().map(|ip| iroh::TransportAddr::Ip(*ip))),
                )
            })
            .collect()
    }
}

/// Parses a device key given as hex.
pub fn parse_endpoint_id(text: &str) -> Option<EndpointId> {
    let bytes: [u8; 32] = HEXLOWER_PERMISSIVE
        .decode(text.trim().as_bytes())
        .ok()?
        .try_into()
        .ok()?;
    EndpointId::from_bytes(&bytes).ok()
}
