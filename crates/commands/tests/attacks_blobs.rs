//! Attacks on attachments' bytes (review of cfbf4f7), against real nodes on
//! loopback: `passerelle_core` nodes in this process (a member's modified
//! app is a node whose commands skip the app's file preparation), and a
//! raw iroh endpoint for a stranger.
//!
//! Tests that FAIL show an attack that works today; their comment says what
//! and the fix. Passing tests are attacks that are held.

use std::time::{Duration, Instant};

use iroh::endpoint::{PortmapperConfig, presets};
use iroh::{Endpoint, RelayMode, SecretKey};
use passerelle_core::model::{
    AttachmentCommand, Command, CommunityId, ExchangeCommand, ExchangeKind, ExchangeMode, ItemId,
    ItemKind, NewAttachment, Thumbnail,
};
use passerelle_core::{Handle, NetOptions, Node, NodeConfig, StorageSettings};
use passerelle_sync::{BLOBS_ALPN, Ticket};

const HOUR: Duration = Duration::from_secs(3600);
const MB: usize = 1_000_000;

fn loopback() -> NetOptions {
    NetOptions {
        bind: Some("127.0.0.1".parse().unwrap()),
        mdns: false,
    }
}

/// Bytes that do not compress, different for each seed.
fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_u32 ^ seed.wrapping_mul(0x9e37_79b9);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

async fn start(dir: &std::path::Path, name: &str) -> Node {
    let node = Node::start(NodeConfig::new(dir.join(name))).unwrap();
    node.handle().set_display_name(name).await.unwrap();
    node.handle().start_network(loopback()).await.unwrap();
    node
}

fn no_auto_fetch(h: &Handle) {
    h.set_storage_settings(StorageSettings {
        cache_limit: 1_000_000_000,
        auto_fetch: 0,
    })
    .unwrap();
}

async fn offer(h: &Handle, c: &CommunityId, title: &str) -> ItemId {
    let id = h.new_id();
    h.apply(
        c,
        Command::Exchanges(ExchangeCommand::AddExchange {
            id: id.clone(),
            kind: ExchangeKind::Offer,
            title: title.into(),
            description: String::new(),
            category: "jardinage".into(),
            mode: ExchangeMode::CoupDeMain,
            place: None,
        }),
    )
    .await
    .unwrap();
    id
}

/// What a modified app attaches: any description, through the real
/// command path (`Handle::apply`), bytes or no bytes.
async fn attach_raw(h: &Handle, c: &CommunityId, item: &ItemId, new: NewAttachment) {
    h.apply(
        c,
        Command::Attachments(AttachmentCommand::Attach {
            kind: ItemKind::Exchange,
            id: item.clone(),
            attachment: new,
        }),
    )
    .await
    .unwrap();
}

fn addr_of(h: &Handle) -> iroh::EndpointAddr {
    Ticket::decode(&h.node_info().unwrap().ticket).unwrap().addr
}

async fn has(h: &Handle, hash: &str) -> bool {
    h.blob_store().await.unwrap().has(hash).await.unwrap()
}

/// A raw endpoint on loopback with `secret`.
async fn raw_endpoint(secret: SecretKey) -> Endpoint {
    Endpoint::builder(presets::Minimal)
        .secret_key(secret)
        .relay_mode(RelayMode::Disabled)
        .portmapper_config(PortmapperConfig::Disabled)
        .clear_ip_transports()
        .bind_addr("127.0.0.1:0")
        .unwrap()
        .bind()
        .await
        .unwrap()
}

fn random_secret(n: u8) -> SecretKey {
    let mut bytes = [n; 32];
    bytes[0] = 0xa5;
    SecretKey::from_bytes(&bytes)
}

/// Whether a raw client gets any of `hash` over `conn`.
async fn raw_get(conn: &iroh::endpoint::Connection, hash: &str) -> bool {
    let hash = passerelle_sync::blobs::parse_hash(hash).unwrap();
    let sized = tokio::time::timeout(
        Duration::from_secs(10),
        iroh_blobs::get::request::get_verified_size(conn, &hash),
    )
    .await;
    matches!(sized, Ok(Ok(_)))
}

/// Found by the review (it worked); held since. Mallory, a membre, attaches through the command
/// path a 3 MB file described as a picture whose thumbnail is itself
/// (`check` accepts any thumbnail hash). `attachments::blobs` then names
/// that blob a thumbnail of 3 MB (role `min`, size `max`): Amina's device,
/// which fetches no file automatically (`auto_fetch: 0`), downloads it at
/// once from Mallory at their next meeting (`wanted_from` wants every
/// thumbnail whatever its size) and keeps it through "Libérer de la place"
/// (`files::collect` keeps every thumbnail). Scaled up (20 MiB per file,
/// 20 per item, any number of items) it fills every member's disk.
///
/// Fix: crates/model/src/attachments.rs `blobs`: count a blob as a
/// thumbnail only with the size its thumbnail entry gives, capped at
/// `MAX_THUMB` (keep the role and size of each use apart: a hash used as a
/// file anywhere is a file; a thumbnail's wanted size is
/// `min(thumb.size, MAX_THUMB)`); crates/model/src/command/attachments.rs
/// `check`: refuse `thumb.hash == hash`; crates/core/src/node/blobs.rs
/// `wanted_from`: want a thumbnail only if its size ≤ `MAX_THUMB`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_posing_as_its_own_thumbnail_is_fetched_and_kept_by_everyone() {
    let dir = tempfile::tempdir().unwrap();
    let amina = start(dir.path(), "amina").await;
    let a = amina.handle();
    no_auto_fetch(&a);
    let c = a.create_community("Quartier", "").await.unwrap();
    let mallory = start(dir.path(), "mallory").await;
    let m = mallory.handle();
    m.join(&a.invite(&c, HOUR).await.unwrap()).await.unwrap();

    let bytes = noise(3 * MB, 1);
    let big = m
        .blob_store()
        .await
        .unwrap()
        .add(bytes.clone(), c.as_str(), true)
        .await
        .unwrap();
    let item = offer(&m, &c, "Vélo").await;
    let posing = NewAttachment {
        hash: big.clone(),
        name: "velo.png".into(),
        mime: "image/png".into(),
        size: bytes.len() as u64,
        dimensions: Some((2000, 1500)),
        thumb: Some(Thumbnail {
            hash: big.clone(),
            size: 20_000,
            width: 320,
            height: 240,
        }),
    };
    // A picture that is its own thumbnail is refused by the command path...
    let refused = m
        .apply(
            &c,
            Command::Attachments(AttachmentCommand::Attach {
                kind: ItemKind::Exchange,
                id: item.clone(),
                attachment: posing.clone(),
            }),
        )
        .await;
    assert!(refused.is_err(), "a file posing as its own thumbnail");
    // ...so the file is attached as a file, and named as another
    // picture's thumbnail.
    attach_raw(
        &m,
        &c,
        &item,
        NewAttachment {
            dimensions: None,
            thumb: None,
            mime: "application/octet-stream".into(),
            name: "velo.bin".into(),
            ..posing.clone()
        },
    )
    .await;
    attach_raw(
        &m,
        &c,
        &item,
        NewAttachment {
            hash: passerelle_sync::blobs::hash_of(b"another picture"),
            ..posing
        },
    )
    .await;

    a.sync_with(addr_of(&m), Duration::from_secs(30))
        .await
        .unwrap();
    // Let the fetches of the meeting end.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !has(&a, &big).await && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let fetched = has(&a, &big).await;
    a.free_blobs().await.unwrap();
    let kept = has(&a, &big).await;
    let report = a.storage().await.unwrap();
    eprintln!("fetched {fetched}, kept after free {kept}, storage {report:?}");
    assert!(
        !fetched && !kept,
        "Amina's device (auto_fetch 0) downloaded a {} byte file as a thumbnail (fetched {fetched}), and kept it through free_blobs ({kept}); {} bytes counted as thumbnails",
        bytes.len(),
        report.thumbnails
    );
    mallory.shutdown().await;
    amina.shutdown().await;
}

/// Found by the review (it worked); held since. A stranger who can reach a device (a LAN
/// neighbour: the address is announced by mDNS) opens 32 connections on
/// `/iroh-bytes/4` and keeps them: it needs no membership, since the
/// handler takes a slot (`MAX_BLOB_CONNECTIONS` = 32, all peers together)
/// before any request is judged, and `BlobStore::serve` keeps a connection
/// as long as the peer does. Every member's fetch is then refused
/// ("too many connections") for as long as the stranger likes.
///
/// Fix: sync/src/net.rs `BlobHandler::accept`: before taking a slot, ask
/// the replica whether the peer is an active member of some held community
/// (`Replica::shares_community(peer)` or `may_serve` on any hash; strangers
/// closed at once), count slots per peer key (e.g. at most 4, like live
/// sessions); sync/src/blobs.rs `BlobStore::serve`: close a connection
/// after an idle time (no request for ~10 s) and after a total time, and
/// close it after the first refused request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_holding_blob_connections_starves_members() {
    let dir = tempfile::tempdir().unwrap();
    let amina = start(dir.path(), "amina").await;
    let a = amina.handle();
    let c = a.create_community("Quartier", "").await.unwrap();
    let item = offer(&a, &c, "Lampe").await;
    let file = a
        .attach_bytes(
            &c,
            ItemKind::Exchange,
            &item,
            "notice.txt",
            b"mode d'emploi".repeat(100),
        )
        .await
        .unwrap();
    let bruno = start(dir.path(), "bruno").await;
    let b = bruno.handle();
    no_auto_fetch(&b);
    b.join(&a.invite(&c, HOUR).await.unwrap()).await.unwrap();
    assert!(!has(&b, &file.hash).await);

    // The stranger: 32 connections from one key, kept open.
    let addr = addr_of(&a);
    let stranger = raw_endpoint(random_secret(9)).await;
    let mut held = Vec::new();
    for _ in 0..32 {
        let conn = tokio::time::timeout(
            Duration::from_secs(5),
            stranger.connect(addr.clone(), BLOBS_ALPN),
        )
        .await
        .expect("connects")
        .expect("the blob protocol is offered");
        held.push(conn);
    }
    // The stranger gets none of the file (held: may_serve).
    assert!(
        !raw_get(&held[0], &file.hash).await,
        "a stranger got a blob"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;

    let fetched = tokio::time::timeout(Duration::from_secs(20), b.fetch_blob(&c, &file.hash)).await;
    eprintln!("member's fetch while a stranger holds the slots: {fetched:?}");
    let got = matches!(fetched, Ok(Ok(())));
    drop(held);
    stranger.close().await;
    bruno.shutdown().await;
    amina.shutdown().await;
    assert!(
        got,
        "a member could not fetch a file while a stranger held the blob connections: {fetched:?}"
    );
}

/// Found by the review (it worked); held since. Amina's device holds two communities: "Conseil"
/// (private: a file only its members should get) and "Quartier" (with
/// Mallory). Mallory is not in "Conseil", but knows the file's hash (a
/// former member, an `attach list` pasted somewhere, a log). She describes
/// that hash as an attachment of her own échange in "Quartier" (no bytes
/// needed): at their next meeting her device fetches the Conseil's file
/// from Amina's, since `may_serve` asks only whether a community shared
/// with the peer references the hash, and Mallory just made one do so.
///
/// Fix: crates/core/src/node/blobs.rs `may_serve` (and `wanted_from`):
/// serve a blob for a community only if it is in the store *for* that
/// community: record, per blob, the communities it was added or fetched
/// for (`attach_prepared`: the item's community; `fetch_wanted` /
/// `fetch_blob`: the community it was wanted for), and require one of them
/// to be shared with the peer. Better still, name blobs per community
/// (e.g. a keyed BLAKE3 over the community's id or discovery secret, or
/// bytes encrypted with a per-community key) so that one community's hash
/// means nothing in another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_communitys_file_is_served_to_whoever_references_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let amina = start(dir.path(), "amina").await;
    let a = amina.handle();
    let conseil = a.create_community("Conseil", "").await.unwrap();
    let quartier = a.create_community("Quartier", "").await.unwrap();
    let item = offer(&a, &conseil, "Compte rendu").await;
    let secret = b"Compte rendu confidentiel du conseil".repeat(50);
    let file = a
        .attach_bytes(
            &conseil,
            ItemKind::Exchange,
            &item,
            "cr.txt",
            secret.clone(),
        )
        .await
        .unwrap();

    let mallory = start(dir.path(), "mallory").await;
    let m = mallory.handle();
    m.join(&a.invite(&quartier, HOUR).await.unwrap())
        .await
        .unwrap();
    assert!(m.view(&conseil).await.is_err(), "Mallory is not in Conseil");

    let mine = offer(&m, &quartier, "Rien").await;
    attach_raw(
        &m,
        &quartier,
        &mine,
        NewAttachment {
            hash: file.hash.clone(),
            name: "x.txt".into(),
            mime: "text/plain".into(),
            size: secret.len() as u64,
            dimensions: None,
            thumb: None,
        },
    )
    .await;
    m.sync_with(addr_of(&a), Duration::from_secs(30))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !has(&m, &file.hash).await && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let leaked = match m.read_blob(&quartier, &file.hash).await {
        Ok(bytes) => bytes == secret,
        Err(_) => false,
    };
    mallory.shutdown().await;
    amina.shutdown().await;
    assert!(
        !leaked,
        "Mallory, not a member of Conseil, got Conseil's file through Quartier"
    );
}

/// HELD. A stranger who knows a hash gets nothing over `/iroh-bytes/4`:
/// neither the whole blob, nor its size, nor a hash sequence (get_many and
/// child ranges are refused).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_with_the_hash_gets_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let amina = start(dir.path(), "amina").await;
    let a = amina.handle();
    let c = a.create_community("Quartier", "").await.unwrap();
    let item = offer(&a, &c, "Lampe").await;
    let file = a
        .attach_bytes(
            &c,
            ItemKind::Exchange,
            &item,
            "notice.txt",
            b"mode d'emploi".repeat(100),
        )
        .await
        .unwrap();
    let stranger = raw_endpoint(random_secret(7)).await;
    let conn = stranger.connect(addr_of(&a), BLOBS_ALPN).await.unwrap();
    assert!(!raw_get(&conn, &file.hash).await);
    let hash = passerelle_sync::blobs::parse_hash(&file.hash).unwrap();
    let store = iroh_blobs::store::mem::MemStore::new();
    let whole = tokio::time::timeout(
        Duration::from_secs(10),
        store
            .remote()
            .fetch(conn.clone(), iroh_blobs::HashAndFormat::raw(hash))
            .complete(),
    )
    .await;
    assert!(!matches!(whole, Ok(Ok(_))), "{whole:?}");
    let seq = tokio::time::timeout(
        Duration::from_secs(10),
        store
            .remote()
            .fetch(conn.clone(), iroh_blobs::HashAndFormat::hash_seq(hash))
            .complete(),
    )
    .await;
    assert!(!matches!(seq, Ok(Ok(_))), "{seq:?}");
    assert!(!store.has(hash).await.unwrap_or(false));
    stranger.close().await;
    amina.shutdown().await;
}

/// HELD. Mallory describes a 3 MB blob as a 1,000-byte text file: Amina's
/// device would fetch it automatically (under 2 MB), but the fetch checks
/// the verified size (from the blob's last chunk) against the declared one
/// first, and takes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_larger_than_declared_is_not_taken() {
    let dir = tempfile::tempdir().unwrap();
    let amina = start(dir.path(), "amina").await;
    let a = amina.handle();
    let c = a.create_community("Quartier", "").await.unwrap();
    let mallory = start(dir.path(), "mallory").await;
    let m = mallory.handle();
    m.join(&a.invite(&c, HOUR).await.unwrap()).await.unwrap();
    let bytes = noise(3 * MB, 2);
    let big = m
        .blob_store()
        .await
        .unwrap()
        .add(bytes, c.as_str(), true)
        .await
        .unwrap();
    let item = offer(&m, &c, "Notes").await;
    attach_raw(
        &m,
        &c,
        &item,
        NewAttachment {
            hash: big.clone(),
            name: "notes.txt".into(),
            mime: "text/plain".into(),
            size: 1_000,
            dimensions: None,
            thumb: None,
        },
    )
    .await;
    a.sync_with(addr_of(&m), Duration::from_secs(30))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!has(&a, &big).await);
    let asked = a.fetch_blob(&c, &big).await;
    assert!(asked.is_err(), "{asked:?}");
    assert!(!has(&a, &big).await);
    let report = a.storage().await.unwrap();
    assert_eq!(report.total, 0, "{report:?}");
    mallory.shutdown().await;
    amina.shutdown().await;
}

/// Found by the review (it worked); held since. Files under the automatic size are fetched at a
/// meeting whether or not the cache has room: `wanted_from` does not look
/// at the cache limit, and whatever is fetched is "fresh" for 10 minutes
/// (`BlobStore::fetch` marks it; `protect` keeps every fresh blob), so the
/// collection cannot bring the cache back under its limit either. A membre
/// who attaches many files just under the automatic size (2 MB by default;
/// ~13,000 attachments fit in one meeting's 200,000 operations) makes every
/// member's device download and keep them all, far past `cache_limit`.
/// Here: cache 1 MB, four files of 600 kB, 2.4 MB kept. Once they are no
/// longer fresh the collection drops them, and the next meeting fetches
/// them all again (nothing remembers they were evicted): the same bytes
/// downloaded and deleted at every meeting.
///
/// Fix: crates/core/src/node/blobs.rs `wanted_from`: want other people's
/// full files (not own, not thumbnails) only while the cache's current use
/// plus what is wanted stays within `cache_limit` (most recent items
/// first), and not files the collector evicted (remember them, e.g. in
/// `blobs-used.json`, and fetch them again only when opened);
/// sync/src/blobs.rs: do not make fetched blobs "fresh" (only blobs added
/// locally need the 10-minute grace), or make the grace count against the
/// cache limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_fetches_stay_within_the_cache_limit() {
    let dir = tempfile::tempdir().unwrap();
    let amina = start(dir.path(), "amina").await;
    let a = amina.handle();
    let c = a.create_community("Quartier", "").await.unwrap();
    let item = offer(&a, &c, "Plans").await;
    for n in 0..4 {
        a.attach_bytes(
            &c,
            ItemKind::Exchange,
            &item,
            &format!("plan{n}.bin"),
            noise(600_000, 10 + n),
        )
        .await
        .unwrap();
    }
    let bruno = start(dir.path(), "bruno").await;
    let b = bruno.handle();
    b.set_storage_settings(StorageSettings {
        cache_limit: 1_000_000,
        auto_fetch: 2_000_000,
    })
    .unwrap();
    b.join(&a.invite(&c, HOUR).await.unwrap()).await.unwrap();
    b.sync_with(addr_of(&a), Duration::from_secs(30))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    b.collect_blobs().await.unwrap();
    let report = b.storage().await.unwrap();
    eprintln!("after the meeting and a collection: {report:?}");
    bruno.shutdown().await;
    amina.shutdown().await;
    assert!(
        report.others <= report.cache_limit,
        "{} bytes of other people's files kept with a cache limit of {}",
        report.others,
        report.cache_limit
    );
}
