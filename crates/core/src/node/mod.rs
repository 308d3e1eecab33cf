//! The actor's state: every loaded community and how changes reach disk.
//!
//! Only the actor task touches this state, one request at a time, so there
//! are no locks around documents. Disk writes are small (one chunk per
//! command) and done inline: a command's reply is sent only after its chunk
//! is fsynced, which is what lets the UI say "saved" truthfully.

mod actor;
pub(crate) mod blobs;
mod migrate;
mod peers;
mod refused;
mod viewstore;

pub use actor::Stopped;
pub(crate) use actor::{Actor, Job};
pub(crate) use peers::{Joining, Peers};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use automerge::{ActorId, AutoCommit, ChangeHash};
use passerelle_model::gate::Ledger;
use passerelle_model::signing::{Signatures, Signed, message, wrap_file};
use passerelle_model::{
    Author, Command, CommunityDocs, CommunityId, CommunityView, DeviceKey, DocKind, LayoutError,
    Outcome, ViewCache, layout::check_kind,
};
use passerelle_sync::DeviceSecret;
use tokio::sync::broadcast;

use crate::datadir::DataDir;
use crate::error::CoreError;
use crate::event::Event;
use crate::profile::Profile;
use crate::store::{COMPACT_AFTER, Quarantined, Store};

/// One community in memory, with what is known to be on disk.
pub(crate) struct Loaded {
    pub docs: CommunityDocs,
    /// Heads already written, per document.
    pub saved: BTreeMap<DocKind, Vec<ChangeHash>>,
    /// The files holding each document.
    pub files: BTreeMap<DocKind, Vec<PathBuf>>,
    /// Collections being received that are not whole yet (memory only).
    pub partial: BTreeMap<DocKind, AutoCommit>,
    /// Signatures and sequence numbers of each document (and partial one).
    pub ledgers: BTreeMap<DocKind, Ledger>,
    pub cache: ViewCache,
    /// Received changes not written yet, as they came, per document.
    pub unsaved: BTreeMap<DocKind, Unsaved>,
}

/// Changes a document received since some heads, as they came (Automerge
/// change chunks): written as they are when they are exactly what the
/// document gained since its last write, instead of encoded again.
pub(crate) struct Unsaved {
    /// The document's heads before them.
    pub from: Vec<ChangeHash>,
    /// Its heads with them.
    pub to: Vec<ChangeHash>,
    pub bytes: Vec<u8>,
}

impl Loaded {
    /// Records changes a document received, as they came: `from` and `to`
    /// its heads before and after, `bytes` the changes (`None`: unknown,
    /// a whole document was taken).
    pub fn received(
        &mut self,
        kind: DocKind,
        from: Vec<ChangeHash>,
        to: Vec<ChangeHash>,
        bytes: Option<Vec<u8>>,
    ) {
        let Some(bytes) = bytes else {
            self.unsaved.remove(&kind);
            return;
        };
        match self.unsaved.get_mut(&kind) {
            Some(u) if u.to == from => {
                u.bytes.extend_from_slice(&bytes);
                u.to = to;
            }
            _ => {
                self.unsaved.insert(kind, Unsaved { from, to, bytes });
            }
        }
    }
}

/// Everything the actor owns.
pub(crate) struct State {
    pub dir: DataDir,
    pub store: Store,
    pub actor: ActorId,
    pub device: DeviceKey,
    /// The device key, to sign this device's changes.
    pub secret: Arc<DeviceSecret>,
    pub profile: Option<Profile>,
    pub communities: BTreeMap<CommunityId, Loaded>,
    pub quarantined: Vec<Quarantined>,
    pub events: broadcast::Sender<Event>,
    /// Ids of communities as they change, for live sync sessions.
    pub changes: broadcast::Sender<String>,
    pub peers: Peers,
    /// The blobs each community references, per view.
    pub blob_indexes: BTreeMap<CommunityId, blobs::BlobIndex>,
}

/// This device's signature over one of its changes.
pub(crate) fn sign(secret: &DeviceSecret, hash: &ChangeHash) -> Signed {
    Signed {
        hash: *hash,
        key: secret.public_bytes(),
        sig: secret.sign(&message(hash)),
    }
}

impl State {
    /// Loads every community on disk; damaged ones are quarantined, not fatal.
    pub fn load_all(&mut self) -> Result<(), CoreError> {
        let mut quarantined = Vec::new();
        for id in self.store.community_ids(&mut quarantined)? {
            match self.load_community(&id, &mut quarantined) {
                Ok(loaded) => {
                    self.communities.insert(id, loaded);
                }
                Err(reason) => {
                    let dir = self.store.community_dir(&id);
                    quarantined.push(self.store.quarantine(&dir, &reason)?);
                }
            }
        }
        self.quarantined.extend(quarantined);
        let ids: Vec<CommunityId> = self.communities.keys().cloned().collect();
        for id in ids {
            self.migrate_or_warn(&id);
        }
        Ok(())
    }

    /// [`State::migrate`]; a failure is logged (the community still opens).
    fn migrate_or_warn(&mut self, id: &CommunityId) {
        if let Err(e) = self.migrate(id) {
            tracing::warn!("community {id}: could not bring it under signed changes: {e}");
        }
    }

    /// Loads one community; `Err(reason)` when its community document is unusable.
    fn load_community(
        &self,
        id: &CommunityId,
        quarantined: &mut Vec<Quarantined>,
    ) -> Result<Loaded, String> {
        let mut docs = BTreeMap::new();
        let mut files = BTreeMap::new();
        let mut ledgers = BTreeMap::new();
        // Documents load independently: on several cores at once.
        let results = std::thread::scope(|scope| {
            let loads: Vec<_> = DocKind::ALL
                .map(|kind| {
                    scope.spawn(move || {
                        let mut quarantined = Vec::new();
                        let mut stored = self.store.load_doc(id, kind, &mut quarantined);
                        let ledger = match &mut stored {
                            Ok(Some(stored)) => {
                                let signatures = std::mem::take(&mut stored.signatures);
                                let mut ledger = Ledger::with(signatures);
                                ledger.prepare(&mut stored.doc);
                                ledger
                            }
                            _ => Ledger::default(),
                        };
                        (kind, stored, ledger, quarantined)
                    })
                })
                .into_iter()
                .collect();
            loads
                .into_iter()
                .map(|load| load.join().expect("loading a document does not panic"))
                .collect::<Vec<_>>()
        });
        for (kind, stored, ledger, moved) in results {
            quarantined.extend(moved);
            let stored = stored.map_err(|e| e.to_string())?;
            let Some(stored) = stored else { continue };
            if let Err(e) = check_kind(&stored.doc, kind) {
                if kind == DocKind::Community {
                    return Err(e.to_string());
                }
                // A bad collection hides only itself.
                let dir = self.store.doc_dir(id, kind);
                quarantined.push(
                    self.store
                        .quarantine(&dir, &e.to_string())
                        .map_err(|e| e.to_string())?,
                );
                continue;
            }
            docs.insert(kind, stored.doc);
            files.insert(kind, stored.files);
            ledgers.insert(kind, ledger);
        }
        if !docs.contains_key(&DocKind::Community) {
            return Err("its community document is missing or unreadable".to_owned());
        }
        let mut docs = CommunityDocs::from_docs(id.clone(), docs).map_err(|e| e.to_string())?;
        docs.set_actor(&self.actor);
        let saved = docs.heads().into_iter().collect();
        let mut loaded = Loaded {
            docs,
            saved,
            files,
            partial: BTreeMap::new(),
            ledgers,
            cache: ViewCache::default(),
            unsaved: BTreeMap::new(),
        };
        viewstore::load(&self.dir, id, &mut loaded);
        Ok(loaded)
    }

    /// Writes a whole new community to disk and keeps it loaded.
    pub fn add_community(&mut self, docs: CommunityDocs) -> Result<CommunityId, CoreError> {
        self.add_signed_community(docs, BTreeMap::new())
    }

    /// [`State::add_community`] for documents partly written by other
    /// devices (a generated history), with the signatures of their writing.
    pub fn add_signed_community(
        &mut self,
        mut docs: CommunityDocs,
        mut signatures: BTreeMap<DocKind, Signatures>,
    ) -> Result<CommunityId, CoreError> {
        let id = docs.id().clone();
        let mut files = BTreeMap::new();
        let mut ledgers = BTreeMap::new();
        let result = (|| {
            for (kind, doc) in docs.docs_mut() {
                let mut ledger = Ledger::with(signatures.remove(&kind).unwrap_or_default());
                ledger.sign_own(doc, &[], &self.actor, |h| sign(&self.secret, h));
                let bytes = wrap_file(&ledger.signatures, &doc.save());
                let path = self.store.write_chunk(&id, kind, &bytes, true)?;
                files.insert(kind, vec![path]);
                ledgers.insert(kind, ledger);
            }
            Ok::<_, CoreError>(())
        })();
        if let Err(e) = result {
            // Half a community is worse than none: remove what was written.
            let _ = std::fs::remove_dir_all(self.store.community_dir(&id));
            return Err(e);
        }
        let saved = docs.heads().into_iter().collect();
        self.communities.insert(
            id.clone(),
            Loaded {
                docs,
                saved,
                files,
                partial: BTreeMap::new(),
                ledgers,
                cache: ViewCache::default(),
                unsaved: BTreeMap::new(),
            },
        );
        let _ = self.events.send(Event::CommunityAdded {
            community: id.clone(),
        });
        let _ = self.changes.send(id.0.clone());
        self.migrate_or_warn(&id);
        Ok(id)
    }

    /// Keeps a community received from elsewhere (a peer, a bundle) and
    /// writes each of its documents.
    pub fn add_loaded(&mut self, id: CommunityId, loaded: Loaded) -> Result<(), CoreError> {
        self.communities.insert(id.clone(), loaded);
        for kind in DocKind::ALL {
            if self.communities[&id].docs.doc(kind).is_some() {
                self.persist(&id, kind)?;
            }
        }
        let _ = self.events.send(Event::CommunityAdded {
            community: id.clone(),
        });
        self.migrate_or_warn(&id);
        Ok(())
    }

    pub fn loaded(&mut self, id: &CommunityId) -> Result<&mut Loaded, CoreError> {
        self.communities
            .get_mut(id)
            .ok_or_else(|| CoreError::UnknownCommunity(id.clone()))
    }

    /// Applies a command and returns once its change is durably on disk.
    pub fn apply(
        &mut self,
        id: &CommunityId,
        command: Command,
        now: i64,
    ) -> Result<Outcome, CoreError> {
        let author = Author {
            device: self.device.clone(),
        };
        let loaded = self.loaded(id)?;
        let outcome = loaded.docs.apply(&author, command, now)?;
        if let Err(e) = self.persist(id, outcome.doc) {
            self.reload(id);
            return Err(e);
        }
        self.changed(id, None);
        if let Err(e) = self.write_epoch(id) {
            tracing::warn!("community {id}: could not write its signed epoch: {e}");
        }
        Ok(outcome)
    }

    /// After a failed write: memory must not claim what the disk does not
    /// hold, so the community is read again from disk (or forgotten, if
    /// nothing of it could be written).
    pub fn reload(&mut self, id: &CommunityId) {
        let mut quarantined = Vec::new();
        match self.load_community(id, &mut quarantined) {
            Ok(fresh) => {
                self.communities.insert(id.clone(), fresh);
            }
            Err(e) => {
                tracing::warn!("community {id} could not be read again after a failed write: {e}");
                self.communities.remove(id);
            }
        }
        self.quarantined.extend(quarantined);
    }

    /// Tells callers and live sessions that a community changed, and who
    /// sent the change if it came from a peer.
    pub fn changed(&self, id: &CommunityId, from: Option<&DeviceKey>) {
        let _ = self.events.send(Event::Changed {
            community: id.clone(),
        });
        if let Some(peer) = from {
            let _ = self.events.send(Event::Received {
                community: id.clone(),
                peer: peer.clone(),
            });
        }
        let _ = self.changes.send(id.0.clone());
    }

    /// Writes the changes of one document made since its last write.
    pub fn persist(&mut self, id: &CommunityId, kind: DocKind) -> Result<(), CoreError> {
        self.persist_docs(&[(id.clone(), kind)])
    }

    /// Writes the changes of several documents made since their last
    /// write. Their chunks are written at once, each on its own thread: a
    /// flush to disk costs milliseconds, and concurrent ones share them, so
    /// a batch of changes received for several documents costs about one.
    /// Every chunk that could be written is recorded even if another failed.
    pub fn persist_docs(&mut self, docs: &[(CommunityId, DocKind)]) -> Result<(), CoreError> {
        let mut chunks = Vec::new();
        for (id, kind) in docs {
            let loaded = self
                .communities
                .get_mut(id)
                .ok_or_else(|| CoreError::UnknownCommunity(id.clone()))?;
            let doc: &mut AutoCommit = loaded.docs.doc_mut(*kind).ok_or(LayoutError::Missing {
                doc: kind.as_str(),
                field: "kind",
            })?;
            let saved = loaded.saved.get(kind).cloned().unwrap_or_default();
            let heads = doc.get_heads();
            let unsaved = loaded.unsaved.remove(kind);
            if saved != heads {
                let ledger = loaded.ledgers.entry(*kind).or_default();
                ledger.sign_own(doc, &saved, &self.actor, |h| sign(&self.secret, h));
                // Automerge can fail on changes it accepted: the write fails,
                // and the community is read again from disk.
                // A document never written here (received whole when
                // joining) is written as one snapshot, not a chunk per change.
                let snapshot = saved.is_empty();
                // Changes received since the last write, exactly: written as
                // they came.
                let received = unsaved
                    .filter(|u| !snapshot && u.from == saved && u.to == heads)
                    .map(|u| u.bytes);
                let changes = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    if let Some(received) = received {
                        received
                    } else if snapshot {
                        doc.save()
                    } else {
                        doc.save_after(&saved)
                    }
                }))
                .map_err(|_| {
                    CoreError::io("write", self.store.doc_dir(id, *kind))(std::io::Error::other(
                        "Automerge could not write this document",
                    ))
                })?;
                let signatures = ledger.for_chunks([changes.as_slice()]);
                chunks.push((
                    id.clone(),
                    *kind,
                    heads,
                    wrap_file(&signatures, &changes),
                    snapshot,
                ));
            }
        }
        let store = &self.store;
        let written: Vec<Result<PathBuf, CoreError>> = match chunks.as_slice() {
            [] => return Ok(()),
            [(id, kind, _, bytes, snapshot)] => {
                vec![store.write_chunk(id, *kind, bytes, *snapshot)]
            }
            many => std::thread::scope(|scope| {
                let writers: Vec<_> = many
                    .iter()
                    .map(|(id, kind, _, bytes, snapshot)| {
                        scope.spawn(move || store.write_chunk(id, *kind, bytes, *snapshot))
                    })
                    .collect();
                writers
                    .into_iter()
                    .map(|writer| {
                        writer
                            .join()
                            .unwrap_or_else(|p| std::panic::resume_unwind(p))
                    })
                    .collect()
            }),
        };
        let mut result = Ok(());
        for ((id, kind, heads, _, _), path) in chunks.into_iter().zip(written) {
            let path = match path {
                Ok(path) => path,
                Err(e) => {
                    result = result.and(Err(e));
                    continue;
                }
            };
            let loaded = self
                .communities
                .get_mut(&id)
                .expect("a community stays loaded while its chunks are written");
            loaded.saved.insert(kind, heads);
            let files = loaded.files.entry(kind).or_default();
            files.push(path);
            if files.len() > COMPACT_AFTER
                && let Some(doc) = loaded.docs.doc_mut(kind)
            {
                let ledger = loaded.ledgers.entry(kind).or_default();
                result = result.and(store.compact(&id, kind, doc, &ledger.signatures, files));
            }
        }
        result
    }

    pub fn view(&mut self, id: &CommunityId) -> Result<Arc<CommunityView>, CoreError> {
        let loaded = self.loaded(id)?;
        Ok(loaded.cache.view(&mut loaded.docs)?)
    }
}
