//! Photos: attaching a 3 MB photo (re-encoding and thumbnail included), and
//! a meeting that brings a month's 200 photos' thumbnails, over real iroh
//! endpoints on loopback.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use passerelle_core::model::{
    Command, CommunityId, ExchangeCommand, ExchangeKind, ExchangeMode, ItemId, ItemKind,
};
use passerelle_core::{Event, Handle, NetEvent, StorageSettings, Ticket};
use tokio::sync::broadcast::error::RecvError;

use crate::fixture::{loopback, start};
use crate::sync::address;
use crate::{Attach, BlobMeeting, Effort, ms_since, percentile};

/// Photos posted in a month, in the `blob_meeting` scenario.
const PHOTOS: usize = 200;

/// A photo of noise (which compresses badly): 2400×1800 at quality 80 is
/// about 3 MB.
pub fn photo(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2).wrapping_add(1);
    let picture = image::RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 80)
        .encode_image(&picture)
        .expect("a picture encodes");
    bytes
}

/// A device with a community of its own, named.
async fn owner(dir: &Path, name: &str) -> Result<(passerelle_core::Node, CommunityId)> {
    let node = start(dir)?;
    let handle = node.handle();
    handle.set_display_name(name).await?;
    let id = handle.create_community("Les Tilleuls", "").await?;
    Ok((node, id))
}

/// Posts an offer; returns its id.
async fn offer(handle: &Handle, community: &CommunityId, title: &str) -> Result<ItemId> {
    let id = handle.new_id();
    handle
        .apply(
            community,
            Command::Exchanges(ExchangeCommand::AddExchange {
                id: id.clone(),
                kind: ExchangeKind::Offer,
                title: title.to_owned(),
                description: String::new(),
                category: "bricolage".to_owned(),
                mode: ExchangeMode::Don,
                place: None,
            }),
        )
        .await?;
    Ok(id)
}

/// Attaching a 3 MB photo to an offer: read, decoded, made 2,048 px,
/// re-encoded, thumbnailed, stored and described in the document.
pub async fn attach(effort: Effort) -> Result<Attach> {
    let tmp = tempfile::tempdir()?;
    let file = tmp.path().join("lampe.jpg");
    let bytes = photo(2400, 1800, 7);
    std::fs::write(&file, &bytes)?;
    let (node, community) = owner(&tmp.path().join("aicha"), "Aïcha").await?;
    let handle = node.handle();
    let mut times = Vec::new();
    let mut stored = 0;
    for i in 0..effort.reps(7, 3) {
        let item = offer(&handle, &community, &format!("Lampe {i}")).await?;
        let started = Instant::now();
        let attachment = handle
            .attach_file(&community, ItemKind::Exchange, &item, &file)
            .await?;
        times.push(ms_since(started));
        stored = attachment.size;
    }
    drop(handle);
    node.shutdown().await;
    Ok(Attach {
        photo_bytes: bytes.len() as u64,
        stored_bytes: stored,
        ms_p50: percentile(&times, 50.0),
    })
}

/// Longest the meeting may take before the scenario fails.
const MEETING_LIMIT: Duration = Duration::from_secs(120);

/// Bruno, a member, meets Aïcha, who posted 200 offers with a photo each
/// since they last met: the documents and every thumbnail come in one
/// meeting (full photos wait until opened: automatic downloads off).
pub async fn blob_meeting(effort: Effort) -> Result<BlobMeeting> {
    let mut times = Vec::new();
    let mut result = BlobMeeting::default();
    for _ in 0..effort.reps(3, 1) {
        let tmp = tempfile::tempdir()?;
        let (a, community) = owner(&tmp.path().join("aicha"), "Aïcha").await?;
        let b = start(&tmp.path().join("bruno"))?;
        let (aicha, bruno) = (a.handle(), b.handle());
        bruno.set_display_name("Bruno").await?;
        bruno.set_storage_settings(StorageSettings {
            auto_fetch: 0,
            ..StorageSettings::default()
        })?;
        aicha.start_network(loopback()).await?;
        bruno.start_network(loopback()).await?;
        let ticket = aicha.invite(&community, Duration::from_secs(600)).await?;
        let ticket = Ticket::decode(&ticket.to_string())?;
        bruno.join(&ticket).await?;

        // A month of photos, each different (and small to make: the
        // thumbnails are what the meeting brings).
        let folder = tmp.path().join("photos");
        std::fs::create_dir_all(&folder)?;
        for i in 0..PHOTOS {
            let file = folder.join(format!("photo-{i}.jpg"));
            std::fs::write(&file, photo(800, 600, i as u32 + 11))?;
            let item = offer(&aicha, &community, &format!("Objet {i}")).await?;
            aicha
                .attach_file(&community, ItemKind::Exchange, &item, &file)
                .await?;
        }

        // Counted as they come (a late reader of the events would miss some).
        let mut events = bruno.subscribe();
        let arrived = std::sync::Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
        let counts = arrived.clone();
        let counter = tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(Event::Network(NetEvent::BlobFetched { bytes, .. })) => {
                        counts[0].fetch_add(1, Ordering::Relaxed);
                        counts[1].fetch_add(bytes, Ordering::Relaxed);
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                }
            }
        });
        let started = Instant::now();
        let stats = bruno.sync_with(address(&aicha)?, MEETING_LIMIT).await?;
        // What `passerelle-node sync` does before it ends.
        bruno.fetch_files_from(address(&aicha)?).await?;
        let ms = ms_since(started);
        let view = bruno.view(&community).await?;
        let store = bruno.blob_store().await?;
        let mut held = 0;
        for (hash, (role, _)) in passerelle_core::model::attachments::blobs(&view) {
            if role == passerelle_core::model::attachments::Role::Thumbnail
                && store.has(&hash).await?
            {
                held += 1;
            }
        }
        ensure!(held == PHOTOS, "{held} thumbnails here, {PHOTOS} expected");
        let report = bruno.storage().await?;
        ensure!(report.others == 0, "full photos came unasked");
        times.push(ms);
        result = BlobMeeting {
            photos: PHOTOS as u64,
            ms: 0.0,
            doc_bytes: stats.bytes_sent + stats.bytes_received,
            thumbnail_bytes: report.thumbnails,
            blob_bytes: 0,
        };
        drop((aicha, bruno, store));
        a.shutdown().await;
        b.shutdown().await;
        counter.abort();
        let count = arrived[0].load(Ordering::Relaxed);
        ensure!(
            count as usize <= PHOTOS,
            "{count} blobs arrived for {PHOTOS} thumbnails"
        );
        result.blob_bytes = arrived[1].load(Ordering::Relaxed);
    }
    result.ms = percentile(&times, 50.0);
    Ok(result)
}
