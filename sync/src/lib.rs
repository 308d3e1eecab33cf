//! Passerelle's peer-to-peer layer: the only crate that knows iroh.
//!
//! - [`identity`]: the device's persistent iroh key; its public half (the
//!   `EndpointId`) is the device key listed among a community's members.
//! - [`Network`]: the iroh endpoint (relays off unless asked for, no
//!   portmapper, no DNS publishing), its router with the
//!   `passerelle/sync/1` and `passerelle/invite/1` handlers, LAN discovery by
//!   mDNS, and the sessions that carry Automerge sync messages.
//! - [`Replica`]: what the network asks of the node that owns the documents
//!   (passerelle-core): who may see which community, sync messages in and
//!   out, admitting invite holders. The membership gate lives behind it, and
//!   the network enforces it before sending anything.
//! - [`Ticket`]: the one-line text (and QR code) that tells a device how to
//!   reach another, and carries an invite.
//!
//! The wire protocol is described in docs/PROTOCOL.md.
#![warn(missing_docs)]

pub mod blobs;
mod identity;
mod limits;
mod net;
mod session;
pub mod ticket;
pub mod wire;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

pub use blobs::{BLOBS_ALPN, BlobError, BlobStore};
pub use identity::{DeviceSecret, IdentityError};
pub use iroh::{EndpointAddr, EndpointId};
pub use net::{NetError, Network, parse_endpoint_id};
pub use session::SessionError;
pub use ticket::{InviteTicket, Ticket, TicketError};
pub use wire::{CommunityDigest, HeadsDigest, JoinReply, JoinRequest, SyncMessage, heads_digest};

/// ALPN of document sync.
pub const SYNC_ALPN: &[u8] = b"passerelle/sync/1";
/// ALPN of joining with an invite.
pub const INVITE_ALPN: &[u8] = b"passerelle/invite/1";

/// How the endpoint may use the network.
#[derive(Clone, Debug, Default)]
pub struct NetConfig {
    /// Bind to this address only (`PASSERELLE_BIND`); all interfaces otherwise.
    pub bind: Option<IpAddr>,
    /// Listen on this UDP port (so tickets stay valid across restarts);
    /// any free port when `None`.
    pub port: Option<u16>,
    /// Find and announce members on the LAN by mDNS.
    pub mdns: bool,
    /// A relay for sync across the internet: `default` (iroh's public
    /// relays) or a relay URL. Off when `None`.
    pub relay: Option<String>,
    /// Where known peers' addresses are remembered between runs.
    pub address_book: Option<PathBuf>,
    /// The attachments' store: served to members (`/iroh-bytes/4`) and
    /// filled from peers. No blob protocol when `None`.
    pub blobs: Option<BlobStore>,
}

/// A blob the node would like from a peer: referenced by a community shared
/// with it, and small enough to fetch without being asked (thumbnails, and
/// files under the automatic size).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// The blob's hash (hex).
    pub hash: String,
    /// The size its attachment says: a larger blob is refused.
    pub size: u64,
    /// The community it is wanted for (its tag once fetched).
    pub community: String,
}

/// Why a relay address was refused ([`relay_url`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RelayUrlError(String);

/// Reads a relay's address as the endpoint will (`iroh::RelayUrl`): an
/// `https://` (or `http://`) URL naming a host, such as
/// `https://relay.example.org`.
pub fn relay_url(text: &str) -> Result<iroh::RelayUrl, RelayUrlError> {
    if text.chars().any(char::is_whitespace) {
        return Err(RelayUrlError("it contains spaces".into()));
    }
    let url: iroh::RelayUrl = text
        .parse()
        .map_err(|e| RelayUrlError(format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(RelayUrlError(format!(
            "a relay is reached with https://, not {}:",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(RelayUrlError("it names no host".into()));
    }
    Ok(url)
}

/// What was exchanged during one session with a peer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SessionStats {
    /// Bytes of frames sent.
    pub bytes_sent: u64,
    /// Bytes of frames received.
    pub bytes_received: u64,
    /// Sync messages sent.
    pub messages_sent: u64,
    /// Sync messages received.
    pub messages_received: u64,
    /// How long the session lasted.
    pub duration_ms: u64,
}

impl SessionStats {
    /// Adds another session's figures.
    pub fn add(&mut self, other: &SessionStats) {
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
        self.messages_sent += other.messages_sent;
        self.messages_received += other.messages_received;
        self.duration_ms = self.duration_ms.max(other.duration_ms);
    }
}

/// What the network reports to the node.
#[derive(Clone, Debug, PartialEq)]
pub enum NetEvent {
    /// The endpoint is bound.
    Listening {
        /// This device's key.
        endpoint: String,
        /// Where it listens.
        addrs: Vec<SocketAddr>,
    },
    /// A device announcing a community we share was found on the LAN.
    PeerDiscovered {
        /// Its key.
        peer: String,
    },
    /// A sync session started.
    PeerConnected {
        /// Its key.
        peer: String,
        /// Whether the peer dialled us.
        incoming: bool,
        /// Communities synced in this session.
        communities: Vec<String>,
    },
    /// A sync session ended.
    PeerDisconnected {
        /// Its key.
        peer: String,
        /// What was exchanged.
        stats: SessionStats,
        /// Why, if it was not a clean end.
        error: Option<SessionError>,
    },
    /// A blob (an attachment's bytes or thumbnail) arrived from a peer.
    BlobFetched {
        /// From whom.
        peer: String,
        /// Its hash (hex).
        hash: String,
        /// Bytes received for it.
        bytes: u64,
    },
    /// A connection was refused (not a member, nothing shared, invite refused).
    Refused {
        /// Its key.
        peer: String,
        /// Why.
        reason: Rejection,
    },
}

/// Why the node did not take a batch of received messages; the session
/// ends.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReceiveError {
    /// The session is not known (any more).
    #[error("unknown session")]
    UnknownSession,
    /// A message that does not decode (the decoder's words).
    #[error("{0}")]
    Malformed(String),
    /// Automerge failed on the data; the document is read again from disk.
    #[error("{0}")]
    Poisoned(String),
    /// Too many of the peer's changes were refused.
    #[error("{0} changes from this device were refused; the session is closed")]
    TooManyRefused(usize),
    /// What arrived could not be written on this device.
    #[error("{detail}")]
    NotSaved {
        /// The system's reason, when it gave one.
        kind: Option<std::io::ErrorKind>,
        /// The node's words.
        detail: String,
    },
    /// The node has stopped.
    #[error("the node has stopped")]
    Stopped,
}

/// Why this device turned a peer away.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A sync session: not a member, or no community in common.
    #[error("{0}")]
    Session(SessionError),
    /// An invite, with the refusal sent back ([`JoinReply::Refused`]).
    #[error("invite refused ({code}): {message}")]
    Invite {
        /// The refusal code.
        code: String,
        /// In words (English).
        message: String,
    },
}

/// What the node did with a batch of received sync messages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Received {
    /// The documents the batch touched, in the order first received
    /// (community id, document number): each is then answered with
    /// [`Replica::answer`].
    pub touched: Vec<(String, u8)>,
    /// Communities whose change the node announced on [`Replica::changes`]
    /// because of this batch (once each): the session that received it has
    /// already answered, and skips these announcements.
    pub announced: Vec<String>,
    /// The peer's member brought as much as one session may: once
    /// the batch is answered, the session ends with `ENOUGH`.
    pub enough: bool,
}

/// A session's number, unique within the process.
pub type SessionId = u64;

/// What the network needs from the node that owns the documents.
///
/// Peers are device keys as lowercase hex. Every method is called from
/// network tasks; implementations hand the work to the node's actor.
pub trait Replica: Clone + Send + Sync + 'static {
    /// A session with an authenticated peer starts: returns the communities
    /// to sync with it, those where it is an active member (and those this
    /// device is joining through it). Empty means: send it nothing.
    fn open_session(
        &self,
        session: SessionId,
        peer: String,
    ) -> impl Future<Output = Vec<String>> + Send;

    /// Which of these communities this device holds.
    fn held(&self, communities: Vec<String>) -> impl Future<Output = Vec<String>> + Send;

    /// Community documents proving to the session's peer that it admitted
    /// us, for those of `communities` where it is an active member here.
    fn proofs(
        &self,
        session: SessionId,
        communities: Vec<String>,
    ) -> impl Future<Output = Vec<(String, Vec<u8>)>> + Send;

    /// Merges a proof if, with it, the session's peer is an active member;
    /// returns whether it was accepted.
    fn accept_proof(
        &self,
        session: SessionId,
        community: String,
        data: Vec<u8>,
    ) -> impl Future<Output = bool> + Send;

    /// The communities shared with the session's peer now (after a change).
    fn shared(&self, session: SessionId) -> impl Future<Output = Vec<String>> + Send;

    /// Digests of the heads of every document of these communities, for
    /// those shared with the session's peer (what a `Summary` carries).
    fn summary(
        &self,
        session: SessionId,
        communities: Vec<String>,
    ) -> impl Future<Output = Vec<wire::CommunityDigest>> + Send;

    /// The first sync messages of a session for these communities. A
    /// document whose digest in the peer's summary equals ours is already
    /// in sync: it is recorded so (the peer holds our heads) and gets no
    /// message.
    fn first_messages(
        &self,
        session: SessionId,
        communities: Vec<String>,
        theirs: Vec<wire::CommunityDigest>,
    ) -> impl Future<Output = Vec<SyncMessage>> + Send;

    /// Sync messages to send for these communities, if any.
    fn generate(
        &self,
        session: SessionId,
        communities: Vec<String>,
    ) -> impl Future<Output = Vec<SyncMessage>> + Send;

    /// Applies a batch of received messages, durably (before any reply is
    /// generated), and says which documents to answer.
    ///
    /// A one-off session ends only once each side has heard the other's
    /// heads ([`Replica::in_sync`]). Automerge's `receive_sync_message`
    /// records the peer's heads as sent by us when they equal ours, so after
    /// a batch that brought the peer's changes and then its heads, the next
    /// message would not announce our heads and the peer would wait for
    /// them: keep `last_sent_heads` as it was before such a message
    /// (crates/core/src/node/peers/receive.rs does, and so does the test replica
    /// of sync/tests).
    fn receive(
        &self,
        session: SessionId,
        messages: Vec<SyncMessage>,
    ) -> impl Future<Output = Result<Received, ReceiveError>> + Send;

    /// The sync message to send now for one document of a community still
    /// shared with the session's peer, if there is one.
    fn answer(
        &self,
        session: SessionId,
        community: String,
        doc: u8,
    ) -> impl Future<Output = Option<SyncMessage>> + Send;

    /// Whether both sides now hold the same changes of these communities.
    fn in_sync(
        &self,
        session: SessionId,
        communities: Vec<String>,
    ) -> impl Future<Output = bool> + Send;

    /// The session ended: keep what is worth keeping (sync states).
    fn close_session(
        &self,
        session: SessionId,
        stats: SessionStats,
    ) -> impl Future<Output = ()> + Send;

    /// The communities for which `peer` may fetch the blob `hash` (hex)
    /// from this device: held communities where it is an active member and
    /// whose documents reference the blob. The blob is served only if it is
    /// held for one of them.
    fn may_serve(&self, peer: String, hash: String) -> impl Future<Output = Vec<String>> + Send;

    /// Whether `peer` is an active member of a community held here (who
    /// may open blob connections at all).
    fn is_member(&self, peer: String) -> impl Future<Output = bool> + Send;

    /// The blobs to fetch from `peer` without being asked: those referenced
    /// by communities shared with it that the node wants at once
    /// (thumbnails, small files). The network skips those already held.
    fn wanted(&self, peer: String) -> impl Future<Output = Vec<Wanted>> + Send;

    /// A joiner presents an invite secret.
    fn admit(&self, peer: String, request: JoinRequest) -> impl Future<Output = JoinReply> + Send;

    /// The discovery secrets of the communities on this device.
    fn discovery_secrets(&self) -> impl Future<Output = Vec<String>> + Send;

    /// Ids of communities as they change, locally or by sync.
    fn changes(&self) -> tokio::sync::broadcast::Receiver<String>;

    /// Reports what happens on the network.
    fn event(&self, event: NetEvent);
}

/// The opaque LAN tag of a community: 8 hex characters derived from its
/// discovery secret. It tells members apart from strangers without naming
/// the community.
pub fn discovery_tag(secret: &str) -> String {
    let key = blake3::derive_key("passerelle 2026 mdns community tag", secret.as_bytes());
    data_encoding::HEXLOWER.encode(&key[..4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_are_read_as_the_endpoint_reads_them() {
        for good in ["https://relay.example.org", "http://192.168.1.2:3340/"] {
            assert!(relay_url(good).is_ok(), "{good}");
        }
        for bad in [
            "relay.example.org",
            "https://",
            "ftp://relay.example.org",
            "https://relay example.org",
            "mailto:relay@example.org",
        ] {
            assert!(relay_url(bad).is_err(), "{bad}");
        }
    }
}
