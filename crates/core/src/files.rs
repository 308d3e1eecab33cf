//! Pictures and files on items, as callers use them: attaching, listing,
//! reading, fetching from peers, and the room they take.
//!
//! The bytes live in the blob store (`<data>/blobs/`, iroh-blobs), the
//! descriptions in the items' `attachments` maps. The store keeps what the
//! held documents reference: the rest is collected shortly after a change
//! (and when the store opens), and other people's full files beyond the
//! cache limit go, least recently used first (`<data>/blobs-used.json`).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use passerelle_model::attachments::is_hash;
use passerelle_model::{
    Attachment, AttachmentCommand, Command, CommunityId, ItemId, ItemKind, NewAttachment, Thumbnail,
};
use passerelle_sync::BlobStore;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::clock::now;
use crate::error::{AttachError, CoreError};
use crate::fsio::write_atomic;
use crate::handle::Handle;
use crate::node::{Job, State};
use crate::picture::{self, Prepared};
use crate::settings::StorageSettings;

/// How long after a change the store is collected.
const COLLECT_AFTER: Duration = Duration::from_secs(5);
/// How long after the store opens it is first collected: reading every
/// community's attachments waits until starting and meeting are done.
const COLLECT_AT_START: Duration = Duration::from_secs(30);

/// One attachment as a caller sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttachmentInfo {
    /// Its hash (hex).
    pub hash: String,
    /// Its name.
    pub name: String,
    /// Its type.
    pub mime: String,
    /// Its size in bytes.
    pub size: u64,
    /// Whether the bytes are on this device.
    pub present: bool,
    /// For a picture: whether its thumbnail is on this device.
    pub thumb_present: bool,
    /// The whole description, as the document holds it.
    #[serde(skip)]
    pub attachment: Attachment,
}

/// The room attachments take on this device.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StorageReport {
    /// Every blob held, in bytes.
    pub total: u64,
    /// Files this device's member added.
    pub own: u64,
    /// Other people's full files (the cache).
    pub others: u64,
    /// Thumbnails.
    pub thumbnails: u64,
    /// Held but referenced by no document (collected soon).
    pub unreferenced: u64,
    /// The same, per community (a blob two communities share counts in both).
    pub communities: BTreeMap<String, Usage>,
    /// The cache limit for other people's files.
    pub cache_limit: u64,
    /// Files up to this size are fetched at meetings without being opened.
    pub auto_fetch: u64,
}

/// Bytes by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Files this device's member added.
    pub own: u64,
    /// Other people's full files.
    pub others: u64,
    /// Thumbnails.
    pub thumbnails: u64,
}

/// What a collection removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Collected {
    /// Blobs removed.
    pub blobs: usize,
    /// Bytes freed.
    pub bytes: u64,
}

impl Handle {
    /// The blob store, opened on first use; its collector then runs after
    /// changes for as long as the node does.
    pub async fn blob_store(&self) -> Result<BlobStore, CoreError> {
        let dir = self.data_dir.join("blobs");
        let jobs = self.jobs.downgrade();
        let changes = self.changes.clone();
        let data_dir = self.data_dir.clone();
        let store = self
            .blobs
            .get_or_try_init(|| async move {
                let store = BlobStore::open(&dir).await.map_err(AttachError::from)?;
                tokio::spawn(collector(
                    jobs,
                    store.clone(),
                    data_dir,
                    changes.subscribe(),
                ));
                Ok::<_, CoreError>(store)
            })
            .await?;
        Ok(store.clone())
    }

    /// Attaches a file to an item: read, a picture made smaller with a
    /// thumbnail, stored, then described in the item.
    pub async fn attach_file(
        &self,
        community: &CommunityId,
        kind: ItemKind,
        id: &ItemId,
        path: &Path,
    ) -> Result<Attachment, CoreError> {
        let path = path.to_owned();
        let prepared = tokio::task::spawn_blocking(move || picture::prepare_file(&path))
            .await
            .map_err(|_| CoreError::Failed)??;
        self.attach_prepared(community, kind, id, prepared).await
    }

    /// Attaches bytes under a file name (a picture dropped on a form).
    pub async fn attach_bytes(
        &self,
        community: &CommunityId,
        kind: ItemKind,
        id: &ItemId,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<Attachment, CoreError> {
        let name = name.to_owned();
        let prepared = tokio::task::spawn_blocking(move || picture::prepare(&name, bytes))
            .await
            .map_err(|_| CoreError::Failed)??;
        self.attach_prepared(community, kind, id, prepared).await
    }

    async fn attach_prepared(
        &self,
        community: &CommunityId,
        kind: ItemKind,
        id: &ItemId,
        prepared: Prepared,
    ) -> Result<Attachment, CoreError> {
        let store = self.blob_store().await?;
        let size = prepared.bytes.len() as u64;
        let hash = store
            .add(prepared.bytes, community.as_str(), true)
            .await
            .map_err(AttachError::from)?;
        let thumb = match prepared.thumb {
            Some((bytes, width, height)) => Some(Thumbnail {
                size: bytes.len() as u64,
                hash: store
                    .add(bytes, community.as_str(), true)
                    .await
                    .map_err(AttachError::from)?,
                width,
                height,
            }),
            None => None,
        };
        let command = Command::Attachments(AttachmentCommand::Attach {
            kind,
            id: id.clone(),
            attachment: NewAttachment {
                hash: hash.clone(),
                name: prepared.name,
                mime: prepared.mime,
                size,
                dimensions: prepared.dimensions,
                thumb,
            },
        });
        self.apply(community, command).await?;
        let view = self.view(community).await?;
        passerelle_model::attachments::of_item(&view, kind, id)
            .and_then(|files| files.get(&hash).cloned())
            .ok_or_else(|| AttachError::Unknown(hash).into())
    }

    /// Takes an attachment off an item (its bytes are collected later).
    pub async fn detach(
        &self,
        community: &CommunityId,
        kind: ItemKind,
        id: &ItemId,
        hash: &str,
    ) -> Result<(), CoreError> {
        let command = Command::Attachments(AttachmentCommand::Detach {
            kind,
            id: id.clone(),
            hash: hash.to_owned(),
        });
        self.apply(community, command).await?;
        Ok(())
    }

    /// An item's attachments, and whether their bytes are here.
    pub async fn attachments(
        &self,
        community: &CommunityId,
        kind: ItemKind,
        id: &ItemId,
    ) -> Result<Vec<AttachmentInfo>, CoreError> {
        let view = self.view(community).await?;
        let Some(files) = passerelle_model::attachments::of_item(&view, kind, id) else {
            return Err(passerelle_model::CommandError::NotFound {
                kind: kind.as_str(),
                id: id.0.clone(),
            }
            .into());
        };
        let store = self.blob_store().await?;
        let mut out = Vec::with_capacity(files.len());
        for a in files.values() {
            let has = |h: &str| {
                let store = store.clone();
                let h = h.to_owned();
                async move { store.has(&h).await.unwrap_or(false) }
            };
            out.push(AttachmentInfo {
                hash: a.hash.clone(),
                name: a.name.clone(),
                mime: a.mime.clone(),
                size: a.size,
                present: has(&a.hash).await,
                thumb_present: match &a.thumb {
                    Some(t) => has(&t.hash).await,
                    None => false,
                },
                attachment: a.clone(),
            });
        }
        out.sort_by(|a, b| (a.attachment.added_at, &a.hash).cmp(&(b.attachment.added_at, &b.hash)));
        Ok(out)
    }

    /// The bytes of a blob the community references (a file or a
    /// thumbnail), if they are on this device.
    pub async fn read_blob(
        &self,
        community: &CommunityId,
        hash: &str,
    ) -> Result<Vec<u8>, CoreError> {
        self.referenced(community, hash).await?;
        let store = self.blob_store().await?;
        let bytes = store.read(hash).await.map_err(AttachError::from)?;
        touch(&self.data_dir, hash);
        Ok(bytes)
    }

    /// Writes a referenced blob's bytes to `out` (atomically); returns
    /// their size.
    pub async fn save_blob(
        &self,
        community: &CommunityId,
        hash: &str,
        out: &Path,
    ) -> Result<u64, CoreError> {
        let bytes = self.read_blob(community, hash).await?;
        write_atomic(out, &bytes, false)?;
        Ok(bytes.len() as u64)
    }

    /// Fetches a referenced blob from the peers at hand (connected ones
    /// first), resuming what arrived before.
    pub async fn fetch_blob(&self, community: &CommunityId, hash: &str) -> Result<(), CoreError> {
        let size = self.referenced(community, hash).await?;
        let net = self.net.get().ok_or(CoreError::NoNetwork)?.clone();
        net.fetch_blob(hash, size, community.as_str())
            .await
            .map_err(AttachError::from)?;
        touch(&self.data_dir, hash);
        Ok(())
    }

    /// Fetches from a peer the thumbnails and small files wanted from it
    /// (what a sync also does in the background); returns how many arrived.
    pub async fn fetch_files_from(
        &self,
        peer: passerelle_sync::EndpointAddr,
    ) -> Result<usize, CoreError> {
        let net = self.net.get().ok_or(CoreError::NoNetwork)?.clone();
        Ok(net.fetch_from(peer).await)
    }

    /// [`Handle::fetch_files_from`] every peer remembered or found on the
    /// LAN, one after the other; returns how many blobs arrived.
    pub async fn fetch_files_from_all(&self) -> Result<usize, CoreError> {
        let net = self.net.get().ok_or(CoreError::NoNetwork)?.clone();
        let mut peers = net.known();
        for addr in net.discovered() {
            if !peers.iter().any(|p| p.id == addr.id) {
                peers.push(addr);
            }
        }
        let mut arrived = 0;
        for peer in peers {
            arrived += net.fetch_from(peer).await;
        }
        Ok(arrived)
    }

    /// The size a community's attachment gives a blob it references.
    async fn referenced(&self, community: &CommunityId, hash: &str) -> Result<u64, CoreError> {
        let view = self.view(community).await?;
        if !is_hash(hash) {
            return Err(AttachError::Unknown(hash.chars().take(80).collect()).into());
        }
        passerelle_model::attachments::blobs(&view)
            .get(hash)
            .map(|(_, size)| *size)
            .ok_or_else(|| AttachError::Unknown(hash.to_owned()).into())
    }

    /// The room attachments take.
    pub async fn storage(&self) -> Result<StorageReport, CoreError> {
        let store = self.blob_store().await?;
        let held = store.list().await.map_err(AttachError::from)?;
        let uses = self.call(State::blob_uses).await??;
        let own = store.own().await.map_err(AttachError::from)?;
        let settings = StorageSettings::read(&self.data_dir);
        let mut report = StorageReport {
            cache_limit: settings.cache_limit,
            auto_fetch: settings.auto_fetch,
            ..StorageReport::default()
        };
        for (hash, size) in held {
            report.total += size;
            let Some(usage) = uses.get(&hash) else {
                report.unreferenced += size;
                continue;
            };
            let mut all = Usage::default();
            if usage.thumbnail {
                all.thumbnails = size;
            } else if own.contains(&hash) {
                all.own = size;
            } else {
                all.others = size;
            }
            report.own += all.own;
            report.others += all.others;
            report.thumbnails += all.thumbnails;
            for id in &usage.communities {
                let entry = report.communities.entry(id.0.clone()).or_default();
                entry.own += all.own;
                entry.others += all.others;
                entry.thumbnails += all.thumbnails;
            }
        }
        Ok(report)
    }

    /// Changes the storage settings (`storage.json`).
    pub fn set_storage_settings(&self, settings: StorageSettings) -> Result<(), CoreError> {
        let bytes = serde_json::to_vec_pretty(&settings).expect("settings serialise");
        write_atomic(&self.data_dir.join("storage.json"), &bytes, false)?;
        Ok(())
    }

    /// Writes the bytes of every file the community's items use that is on
    /// this device into `dir`, each named by its hash (`by_hash`) or by
    /// [`passerelle_model::attachments::file_name`]; returns how many were
    /// written and how many are not here yet.
    pub async fn export_files(
        &self,
        community: &CommunityId,
        dir: &Path,
        by_hash: bool,
    ) -> Result<(usize, usize), CoreError> {
        let view = self.view(community).await?;
        let store = self.blob_store().await?;
        let mut names = BTreeMap::new();
        for used in passerelle_model::attachments::used(&view) {
            let a = used.attachment;
            let name = if by_hash {
                a.hash.clone()
            } else {
                passerelle_model::attachments::file_name(a)
            };
            names.insert(a.hash.clone(), name);
            if let Some(t) = &a.thumb {
                names.insert(t.hash.clone(), t.hash.clone());
            }
        }
        if names.is_empty() {
            return Ok((0, 0));
        }
        std::fs::create_dir_all(dir).map_err(CoreError::io("create", dir))?;
        let (mut written, mut missing) = (0, 0);
        for (hash, name) in names {
            match store.read(&hash).await {
                Ok(bytes) => {
                    write_atomic(&dir.join(name), &bytes, false)?;
                    written += 1;
                }
                Err(passerelle_sync::BlobError::Missing) => missing += 1,
                Err(e) => return Err(AttachError::from(e).into()),
            }
        }
        Ok((written, missing))
    }

    /// Writes a community's documents to a bundle file, with the bytes of
    /// the files its items use that are on this device when `with_files`;
    /// returns its size.
    pub async fn export_bundle(
        &self,
        community: &CommunityId,
        out: &Path,
        with_files: bool,
    ) -> Result<u64, CoreError> {
        let id = community.clone();
        let copies = self.call(move |s| s.bundle_copies(&id)).await??;
        let docs = tokio::task::spawn_blocking(move || crate::bundle::bundle_of(copies))
            .await
            .map_err(|_| CoreError::Failed)?;
        let bytes = if with_files {
            let store = self.blob_store().await?;
            let view = self.view(community).await?;
            let mut files = Vec::new();
            for hash in passerelle_model::attachments::blobs(&view).into_keys() {
                match store.read(&hash).await {
                    Ok(bytes) => files.push((hash, bytes)),
                    Err(passerelle_sync::BlobError::Missing) => {}
                    Err(e) => return Err(AttachError::from(e).into()),
                }
            }
            crate::bundle::join(&docs, &files)
        } else {
            docs
        };
        write_atomic(out, &bytes, false)?;
        Ok(bytes.len() as u64)
    }

    /// Verifies and merges a bundle file; refused bundles change nothing.
    /// The files it carries are taken when their bytes match their hash and
    /// an item of the community uses them.
    pub async fn import_bundle(&self, file: &Path) -> Result<crate::BundleImport, CoreError> {
        let path = file.to_owned();
        let bytes = tokio::task::spawn_blocking(move || std::fs::read(&path))
            .await
            .map_err(|_| CoreError::Failed)?
            .map_err(CoreError::io("read", file))?;
        let bytes = Arc::new(bytes);
        let docs = {
            let bytes = bytes.clone();
            let parts = crate::bundle::split(&bytes)?;
            let range = offset(&bytes, parts.docs);
            self.call(move |s| s.import_bundle(&bytes[range])).await??
        };
        let parts = crate::bundle::split(&bytes)?;
        if parts.files.is_empty() {
            return Ok(docs);
        }
        let view = self.view(&docs.community).await?;
        let used = passerelle_model::attachments::blobs(&view);
        let store = self.blob_store().await?;
        let mut import = docs;
        for (hash, content) in parts.files {
            let hash = data_encoding::HEXLOWER.encode(&hash);
            if !crate::bundle::takes_file(&used, &hash, content) {
                import.files_refused += 1;
                continue;
            }
            store
                .add(content.to_vec(), import.community.as_str(), false)
                .await
                .map_err(AttachError::from)?;
            import.files += 1;
        }
        Ok(import)
    }

    /// Removes every blob no held document references, and other people's
    /// files beyond the cache limit (least recently used first).
    pub async fn collect_blobs(&self) -> Result<Collected, CoreError> {
        let store = self.blob_store().await?;
        collect(&self.jobs.downgrade(), &store, &self.data_dir, false).await
    }

    /// Frees what can be fetched again: [`Handle::collect_blobs`], and every
    /// other person's full file as well ("Libérer de la place").
    pub async fn free_blobs(&self) -> Result<Collected, CoreError> {
        let store = self.blob_store().await?;
        collect(&self.jobs.downgrade(), &store, &self.data_dir, true).await
    }
}

/// Where `part` lies within `whole` (a slice of it).
fn offset(whole: &[u8], part: &[u8]) -> std::ops::Range<usize> {
    let start = part.as_ptr() as usize - whole.as_ptr() as usize;
    start..start + part.len()
}

/// Collects once soon after the start, then after each burst of changes.
async fn collector(
    jobs: mpsc::WeakSender<Job>,
    store: BlobStore,
    data_dir: PathBuf,
    mut changes: tokio::sync::broadcast::Receiver<String>,
) {
    tokio::time::sleep(COLLECT_AT_START).await;
    loop {
        if jobs.upgrade().is_none() {
            return;
        }
        if let Err(e) = collect(&jobs, &store, &data_dir, false).await {
            tracing::debug!("blob collection: {e}");
        }
        match changes.recv().await {
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            _ => {
                tokio::time::sleep(COLLECT_AFTER).await;
                while changes.try_recv().is_ok() {}
            }
        }
    }
}

async fn collect(
    jobs: &mpsc::WeakSender<Job>,
    store: &BlobStore,
    data_dir: &Path,
    all_others: bool,
) -> Result<Collected, CoreError> {
    let jobs = jobs.upgrade().ok_or(CoreError::Stopped)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move |state: &mut State| {
        // A community set aside as damaged may still reference files: keep
        // everything until it is back.
        let damaged = !state.quarantined.is_empty();
        let _ = tx.send(state.blob_uses().map(|u| (u, damaged)));
    });
    jobs.send(job).await.map_err(|_| CoreError::Stopped)?;
    drop(jobs);
    let (uses, damaged) = rx.await.map_err(|_| CoreError::Failed)??;
    if damaged {
        return Ok(Collected::default());
    }
    let held = store.list().await.map_err(AttachError::from)?;
    let own = store.own().await.map_err(AttachError::from)?;
    let settings = StorageSettings::read(data_dir);
    let used = read_used(data_dir);
    // Everything referenced is kept, even what is arriving while this runs
    // (a list of what is held would miss it), but other people's files
    // held beyond the cache limit, least recently used first.
    let mut keep: HashSet<String> = uses.keys().cloned().collect();
    let mut others: Vec<(i64, String, u64)> = held
        .iter()
        .filter(|(hash, _)| {
            uses.get(hash)
                .is_some_and(|u| !u.thumbnail && !own.contains(hash))
        })
        .map(|(hash, size)| (used.get(hash).copied().unwrap_or(0), hash.clone(), *size))
        .collect();
    others.sort_by(|a, b| b.cmp(a));
    let mut room = if all_others { 0 } else { settings.cache_limit };
    for (_, hash, size) in others {
        if size <= room {
            room -= size;
        } else {
            keep.remove(&hash);
        }
    }
    let gone: Vec<&(String, u64)> = held.iter().filter(|(h, _)| !keep.contains(h)).collect();
    if gone.is_empty() {
        return Ok(Collected::default());
    }
    let collected = Collected {
        blobs: gone.len(),
        bytes: gone.iter().map(|(_, s)| s).sum(),
    };
    store.collect(keep).await.map_err(AttachError::from)?;
    Ok(collected)
}

/// When each blob was last read or fetched (ms), for the cache's order.
fn read_used(data_dir: &Path) -> BTreeMap<String, i64> {
    std::fs::read(data_dir.join("blobs-used.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Notes that a blob was used now.
fn touch(data_dir: &Path, hash: &str) {
    let mut used = read_used(data_dir);
    used.insert(hash.to_owned(), now());
    // Bounded: the 10,000 most recent.
    if used.len() > 10_000 {
        let mut by_time: Vec<(i64, String)> = used.iter().map(|(h, t)| (*t, h.clone())).collect();
        by_time.sort();
        for (_, h) in by_time.iter().take(used.len() - 10_000) {
            used.remove(h);
        }
    }
    let bytes = serde_json::to_vec(&used).expect("a map serialises");
    if let Err(e) = write_atomic(&data_dir.join("blobs-used.json"), &bytes, false) {
        tracing::debug!("cannot note a file's use: {e}");
    }
}
