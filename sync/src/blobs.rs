//! Attachments' bytes: a content-addressed store (iroh-blobs) on disk, served
//! over `/iroh-bytes/4` only to members, and fetched from peers.
//!
//! A blob is named by its BLAKE3 hash, written as 64 lowercase hex
//! characters everywhere outside this module. Which blobs exist is decided
//! elsewhere (the node's documents reference them): this store keeps the
//! bytes, deletes what [`BlobStore::collect`] is not told to keep, and never
//! serves a blob unless [`crate::Replica::may_serve`] names a community
//! shared with the peer that references it *and* the blob is held for that
//! community: each blob carries a tag per community it was added or fetched
//! for (`for/<hash>/<community>`), and `own/<hash>` when this device's
//! member added it. A hash written into another community's documents
//! therefore draws nothing out of this one.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iroh::endpoint::Connection;
use iroh_blobs::api::Store;
use iroh_blobs::provider::events::{
    AbortReason, ConnectMode, EventMask, EventSender, ObserveMode, ProviderMessage, RequestMode,
    ThrottleMode,
};
use iroh_blobs::store::fs::FsStore;
use iroh_blobs::store::fs::options::Options;
use iroh_blobs::store::{GcConfig, ProtectOutcome};
use iroh_blobs::{Hash, HashAndFormat};
use n0_future::StreamExt;
use tokio::sync::Notify;

use crate::Replica;

/// ALPN of the blob protocol (iroh-blobs' own).
pub const BLOBS_ALPN: &[u8] = iroh_blobs::ALPN;

/// How often the collector looks whether a collection was asked for.
const GC_TICK: Duration = Duration::from_millis(250);

/// A blob added this long ago or less is kept by a collection even if no
/// document references it yet (its attachment is being written).
const FRESH: Duration = Duration::from_secs(600);

/// Why a blob operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// The store could not be opened or used (the store's words).
    #[error("the file store failed: {0}")]
    Store(String),
    /// Not a blob hash (64 hex characters).
    #[error("not a file hash: {0}")]
    BadHash(String),
    /// The blob is not (wholly) on this device.
    #[error("this file is not on this device yet")]
    Missing,
    /// The peer does not have it, or refused to give it.
    #[error("the other device did not give this file: {0}")]
    NotGiven(String),
    /// The peer's blob is larger than the attachment says or than allowed.
    #[error("the other device offers {offered} bytes where at most {max} were expected")]
    TooLarge {
        /// The verified size the peer offered.
        offered: u64,
        /// The most accepted.
        max: u64,
    },
}

fn store_error(e: impl std::fmt::Display) -> BlobError {
    BlobError::Store(e.to_string())
}

/// Reads a blob hash written as 64 hex characters.
pub fn parse_hash(text: &str) -> Result<Hash, BlobError> {
    let bad = || BlobError::BadHash(text.chars().take(80).collect());
    if text.len() != 64 {
        return Err(bad());
    }
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.as_bytes())
        .map_err(|_| bad())?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
    Ok(Hash::from_bytes(bytes))
}

/// A blob's hash as 64 lowercase hex characters.
pub fn hash_hex(hash: &Hash) -> String {
    hash.to_hex()
}

/// The BLAKE3 hash of bytes, as 64 lowercase hex characters: the name they
/// take in the store.
pub fn hash_of(bytes: &[u8]) -> String {
    Hash::new(bytes).to_hex()
}

/// What a collection keeps, shared with the store's collector.
#[derive(Default)]
struct Collector {
    /// Set by [`BlobStore::collect`]: the hashes to keep; taken by the next
    /// tick.
    asked: Option<HashSet<Hash>>,
    /// Collections started, and finished (the tick after one started).
    started: u64,
    finished: u64,
    /// Recently added blobs, kept whatever the documents say.
    fresh: HashMap<Hash, Instant>,
}

/// The blob store of a data directory (`<data>/blobs/`).
#[derive(Clone)]
pub struct BlobStore {
    store: FsStore,
    collector: Arc<Mutex<Collector>>,
    done: Arc<Notify>,
    root: PathBuf,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlobStore({})", self.root.display())
    }
}

impl BlobStore {
    /// Opens (or creates) the store in `dir`.
    pub async fn open(dir: &Path) -> Result<BlobStore, BlobError> {
        std::fs::create_dir_all(dir).map_err(store_error)?;
        let collector = Arc::new(Mutex::new(Collector::default()));
        let done = Arc::new(Notify::new());
        let mut options = Options::new(dir);
        let (c, d) = (collector.clone(), done.clone());
        options.gc = Some(GcConfig {
            interval: GC_TICK,
            add_protected: Some(Arc::new(move |live| {
                let (c, d) = (c.clone(), d.clone());
                Box::pin(async move { protect(&c, &d, live) })
            })),
        });
        let store = FsStore::load_with_opts(dir.join("blobs.db"), options)
            .await
            .map_err(store_error)?;
        Ok(BlobStore {
            store,
            collector,
            done,
            root: dir.to_owned(),
        })
    }

    /// Adds bytes for a community (`own`: added by this device's member);
    /// returns their hash (hex).
    pub async fn add(
        &self,
        bytes: Vec<u8>,
        community: &str,
        own: bool,
    ) -> Result<String, BlobError> {
        let tag = self
            .store
            .add_bytes(bytes)
            .temp_tag()
            .await
            .map_err(store_error)?;
        let hash = tag.hash();
        self.collector
            .lock()
            .expect("collector lock")
            .fresh
            .insert(hash, Instant::now());
        self.held_for(hash, community).await?;
        if own {
            self.store
                .tags()
                .set(format!("own/{}", hash.to_hex()), HashAndFormat::raw(hash))
                .await
                .map_err(store_error)?;
        }
        drop(tag);
        Ok(hash.to_hex())
    }

    /// Notes that a blob is held for a community.
    async fn held_for(&self, hash: Hash, community: &str) -> Result<(), BlobError> {
        self.store
            .tags()
            .set(for_tag(&hash, community), HashAndFormat::raw(hash))
            .await
            .map_err(store_error)
    }

    /// Whether a blob is held for one of these communities.
    pub async fn held_for_any(&self, hash: &str, communities: &[String]) -> bool {
        let Ok(hash) = parse_hash(hash) else {
            return false;
        };
        for community in communities {
            if let Ok(Some(_)) = self.store.tags().get(for_tag(&hash, community)).await {
                return true;
            }
        }
        false
    }

    /// The blobs this device's member added (hex).
    pub async fn own(&self) -> Result<HashSet<String>, BlobError> {
        let mut tags = self
            .store
            .tags()
            .list_prefix("own/")
            .await
            .map_err(store_error)?;
        let mut out = HashSet::new();
        while let Some(tag) = tags.next().await {
            out.insert(tag.map_err(store_error)?.hash.to_hex());
        }
        Ok(out)
    }

    /// The size of a blob held whole here, `None` if it is not (or only in
    /// part).
    pub async fn size(&self, hash: &str) -> Result<Option<u64>, BlobError> {
        let hash = parse_hash(hash)?;
        match self.store.status(hash).await.map_err(store_error)? {
            iroh_blobs::api::proto::BlobStatus::Complete { size } => Ok(Some(size)),
            _ => Ok(None),
        }
    }

    /// Whether a blob is held whole here.
    pub async fn has(&self, hash: &str) -> Result<bool, BlobError> {
        Ok(self.size(hash).await?.is_some())
    }

    /// A blob's bytes, if held whole here.
    pub async fn read(&self, hash: &str) -> Result<Vec<u8>, BlobError> {
        if !self.has(hash).await? {
            return Err(BlobError::Missing);
        }
        let bytes = self
            .store
            .get_bytes(parse_hash(hash)?)
            .await
            .map_err(store_error)?;
        Ok(bytes.to_vec())
    }

    /// Every blob held whole here, with its size.
    pub async fn list(&self) -> Result<Vec<(String, u64)>, BlobError> {
        let hashes = self.store.list().hashes().await.map_err(store_error)?;
        let mut out = Vec::with_capacity(hashes.len());
        for hash in hashes {
            if let Some(size) = self.size(&hash.to_hex()).await? {
                out.push((hash.to_hex(), size));
            }
        }
        Ok(out)
    }

    /// Deletes every blob but those in `keep` and those added in the last
    /// ten minutes (with the tags of the others); returns once the
    /// collection ran.
    pub async fn collect(&self, keep: HashSet<String>) -> Result<(), BlobError> {
        let mut keep = keep
            .iter()
            .map(|h| parse_hash(h))
            .collect::<Result<HashSet<_>, _>>()?;
        {
            let mut c = self.collector.lock().expect("collector lock");
            c.fresh.retain(|_, at| at.elapsed() < FRESH);
            keep.extend(c.fresh.keys().copied());
        }
        let mut gone = Vec::new();
        for prefix in ["for/", "own/"] {
            let mut tags = self
                .store
                .tags()
                .list_prefix(prefix)
                .await
                .map_err(store_error)?;
            while let Some(tag) = tags.next().await {
                let tag = tag.map_err(store_error)?;
                if !keep.contains(&tag.hash) {
                    gone.push(tag.name);
                }
            }
        }
        for name in gone {
            self.store.tags().delete(name).await.map_err(store_error)?;
        }
        let target = {
            let mut c = self.collector.lock().expect("collector lock");
            c.asked = Some(keep);
            // The next tick starts the collection asked now (after closing
            // one running), and the tick after it sees it over.
            c.started + 1
        };
        let wait = async {
            loop {
                let notified = self.done.notified();
                if self.collector.lock().expect("collector lock").finished >= target {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .map_err(|_| BlobError::Store("the collection did not finish".into()))
    }

    /// Writes the store's database to disk and stops it.
    pub async fn shutdown(&self) {
        let _ = self.store.sync_db().await;
        let _ = self.store.shutdown().await;
    }

    /// Fetches a blob from a peer over `conn` (resuming what is held in
    /// part), refusing one whose verified size exceeds `max`; returns the
    /// bytes received.
    pub(crate) async fn fetch(
        &self,
        conn: &Connection,
        hash: &str,
        max: u64,
        community: &str,
    ) -> Result<u64, BlobError> {
        let hash = parse_hash(hash)?;
        let not_given = |e: &dyn std::fmt::Display| BlobError::NotGiven(e.to_string());
        // The size is checked first, with the blob's last chunk (its proof
        // ties the size to the hash): a peer cannot make us take more.
        let (size, _) = iroh_blobs::get::request::get_verified_size(conn, &hash)
            .await
            .map_err(|e| not_given(&e))?;
        if size > max {
            return Err(BlobError::TooLarge { offered: size, max });
        }
        let stats = self
            .store
            .remote()
            .fetch(conn.clone(), HashAndFormat::raw(hash))
            .complete()
            .await
            .map_err(|e| not_given(&e))?;
        self.held_for(hash, community).await?;
        Ok(stats.total_bytes_read())
    }

    /// Serves one incoming blob connection: each request is for one whole
    /// blob (no hash sequences), and is answered only if the replica names
    /// a community shared with the peer that references it, for which the
    /// blob is held. Pushes and observations are refused; a request for a
    /// blob the peer may not have closes the connection (one not held here
    /// is refused alone).
    pub(crate) async fn serve<R: Replica>(&self, conn: Connection, replica: R) {
        let peer = data_encoding::HEXLOWER.encode(conn.remote_id().as_bytes());
        let mask = EventMask {
            connected: ConnectMode::None,
            get: RequestMode::Intercept,
            get_many: RequestMode::Disabled,
            push: RequestMode::Disabled,
            observe: ObserveMode::Intercept,
            throttle: ThrottleMode::None,
        };
        let (events, mut rx) = EventSender::channel(8, mask);
        let store = self.clone();
        let closing = conn.clone();
        let judge = tokio::spawn(async move {
            while let Some(message) = rx.recv().await {
                match message {
                    ProviderMessage::GetRequestReceived(msg) => {
                        let request = &msg.inner.request;
                        let hash = request.hash.to_hex();
                        let communities = if request.ranges.is_blob() {
                            replica.may_serve(peer.clone(), hash.clone()).await
                        } else {
                            Vec::new()
                        };
                        if communities.is_empty() {
                            // Not for this peer at all: the connection ends.
                            tracing::debug!(%peer, %hash, "blob refused");
                            msg.tx.send(Err(AbortReason::Permission)).await.ok();
                            closing.close(crate::wire::code::NOT_A_MEMBER, b"not for you");
                        } else if store.held_for_any(&hash, &communities).await {
                            msg.tx.send(Ok(())).await.ok();
                        } else {
                            // Not held for them here (it may be held for
                            // another community, or not yet): this request
                            // only is refused, the others go on.
                            msg.tx.send(Err(AbortReason::Permission)).await.ok();
                        }
                    }
                    ProviderMessage::ObserveRequestReceived(msg) => {
                        msg.tx.send(Err(AbortReason::Permission)).await.ok();
                    }
                    ProviderMessage::GetManyRequestReceived(msg) => {
                        msg.tx.send(Err(AbortReason::Permission)).await.ok();
                    }
                    ProviderMessage::PushRequestReceived(msg) => {
                        msg.tx.send(Err(AbortReason::Permission)).await.ok();
                    }
                    ProviderMessage::ClientConnected(msg) => {
                        msg.tx.send(Ok(())).await.ok();
                    }
                    ProviderMessage::Throttle(msg) => {
                        msg.tx.send(Ok(())).await.ok();
                    }
                    _ => {}
                }
            }
        });
        iroh_blobs::provider::handle_connection(conn, Store::from(self.store.clone()), events)
            .await;
        judge.abort();
    }
}

/// The tag saying a blob is held for a community.
fn for_tag(hash: &Hash, community: &str) -> String {
    format!("for/{}/{community}", hash.to_hex())
}

/// The collector's tick: adds what a collection asked for to `live`, or
/// stops the run when none was asked for.
fn protect(
    collector: &Mutex<Collector>,
    done: &Notify,
    live: &mut HashSet<Hash>,
) -> ProtectOutcome {
    let mut c = collector.lock().expect("collector lock");
    if c.started > c.finished {
        // The collection started at the previous tick has run.
        c.finished = c.started;
        done.notify_waiters();
    }
    let Some(keep) = c.asked.take() else {
        return ProtectOutcome::Abort;
    };
    c.fresh.retain(|_, at| at.elapsed() < FRESH);
    live.extend(keep);
    live.extend(c.fresh.keys().copied());
    c.started += 1;
    ProtectOutcome::Continue
}
