//! Crash-safe storage of Automerge documents, one directory per document.
//!
//! A document is a set of immutable chunk files: `*.snapshot` (a whole
//! `save()`) and `*.chunk` (the changes of one or a few commands, from
//! `save_after()`), each named after the hash of its content and written with
//! [`write_atomic`]. Loading concatenates them through `load_incremental`,
//! which accepts them in any order. Appending a small chunk per command keeps
//! writes cheap; when a document has many chunks they are compacted into one
//! snapshot, written before the chunks it replaces are removed, so a crash at
//! any point leaves every change in at least one complete file.
//!
//! A file that does not parse is moved to `quarantine/` with the reason; the
//! rest of the document, and every other community, still opens.
//!
//! Loading bounds each file on its own (`layout::load_signed_file`: what it
//! inflates to, its operations and changes, `bounds::check_chunks` against
//! `MAX_INFLATED`), not the document as a whole. So a snapshot replaces the
//! chunks only once it passes that same check: a document that grew past
//! the bound (which the growth limits of `node/peers/growth.rs` keep peers
//! from doing) stays in its chunks, each of which loads, instead of being
//! written as one file the next start would quarantine.

use passerelle_model::bounds::{MAX_INFLATED, check_chunks};
use passerelle_model::layout::load_signed_file;
use passerelle_model::signing::{Signatures, unwrap_file, wrap_file};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use automerge::AutoCommit;
use passerelle_model::{CommunityId, DocKind};

use crate::error::CoreError;
use crate::fsio::{sync_dir, write_atomic};
use crate::seal::Seal;

/// Chunks a document may accumulate before they are compacted.
pub(crate) const COMPACT_AFTER: usize = 64;

/// A damaged file moved out of the way.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Quarantined {
    /// Where it was.
    pub path: PathBuf,
    /// Where it is now.
    pub moved_to: PathBuf,
    /// Why it could not be read.
    pub reason: String,
}

impl std::fmt::Display for Quarantined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is damaged ({}); moved to {}",
            self.path.display(),
            self.reason,
            self.moved_to.display()
        )
    }
}

/// A document as loaded, with the files that hold it.
pub(crate) struct StoredDoc {
    pub doc: AutoCommit,
    pub files: Vec<PathBuf>,
    /// The signatures the files carried.
    pub signatures: Signatures,
}

/// The `communities/` directory and the quarantine beside it.
pub(crate) struct Store {
    communities: PathBuf,
    quarantine: PathBuf,
    /// How chunk files are sealed (see `seal.rs`).
    seal: Seal,
    /// What each file's Automerge bytes inflate to ([`check_chunks`]), by
    /// path: files are immutable (named after their content), so a figure
    /// stays true while the file exists.
    inflated: Mutex<HashMap<PathBuf, u64>>,
    /// Documents whose last compaction was skipped (their snapshot would
    /// not load), with how many files they had then: the next attempt waits
    /// for [`COMPACT_AFTER`] more, rather than saving the whole document
    /// again at every write.
    not_compacted: Mutex<HashMap<PathBuf, usize>>,
}

impl Store {
    pub fn new(communities: PathBuf, quarantine: PathBuf, seal: Seal) -> Self {
        Self {
            communities,
            quarantine,
            seal,
            inflated: Mutex::default(),
            not_compacted: Mutex::default(),
        }
    }

    /// What a document file's Automerge bytes inflate to, in bytes, as
    /// loading measures them (a file the bound refuses counts as the whole
    /// bound); `None` if it cannot be read now. Measured once per file.
    pub fn inflated(&self, path: &Path) -> Option<u64> {
        if let Some(n) = lock(&self.inflated).get(path) {
            return Some(*n);
        }
        let bytes = fs::read(path).ok()?;
        let n = inflated_size(&self.seal.open(bytes).ok()?);
        lock(&self.inflated).insert(path.to_owned(), n);
        Some(n)
    }

    pub fn community_dir(&self, id: &CommunityId) -> PathBuf {
        self.communities.join(id.as_str())
    }

    pub fn doc_dir(&self, id: &CommunityId, kind: DocKind) -> PathBuf {
        self.community_dir(id).join(kind.as_str())
    }

    /// The ids of the communities on disk. Entries that are not community
    /// directories are quarantined.
    pub fn community_ids(
        &self,
        quarantined: &mut Vec<Quarantined>,
    ) -> Result<Vec<CommunityId>, CoreError> {
        let entries =
            fs::read_dir(&self.communities).map_err(CoreError::io("read", &self.communities))?;
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(CoreError::io("read", &self.communities))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if CommunityId::is_well_formed(&name) && entry.path().is_dir() {
                ids.push(CommunityId(name));
            } else if !name.starts_with('.') {
                quarantined.push(self.quarantine(&entry.path(), "not a community directory")?);
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Loads one document from its chunks; `None` if it has none yet (a
    /// collection not received from peers yet). Unreadable chunks are
    /// quarantined and skipped.
    pub fn load_doc(
        &self,
        id: &CommunityId,
        kind: DocKind,
        quarantined: &mut Vec<Quarantined>,
    ) -> Result<Option<StoredDoc>, CoreError> {
        let dir = self.doc_dir(id, kind);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CoreError::io("read", &dir)(e)),
        };
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry.map_err(CoreError::io("read", &dir))?.path();
            match path.extension().and_then(|e| e.to_str()) {
                Some("snapshot") | Some("chunk") => paths.push(path),
                // A temporary file is what a crash leaves mid-write: it was never acknowledged.
                Some("tmp") => {
                    let _ = fs::remove_file(&path);
                }
                _ => quarantined
                    .push(self.quarantine(&path, "unexpected file in a document directory")?),
            }
        }
        // Snapshots first: loading the bulk at once is faster than change by change.
        paths.sort_by_key(|p| {
            (
                p.extension().and_then(|e| e.to_str()) != Some("snapshot"),
                p.clone(),
            )
        });
        // A file that fails once the document holds others may have left
        // part of itself in it (Automerge failed half-way): the document is
        // then read again without it. So is one after which the document no
        // longer has its kind's layout (the newest files are set aside first).
        let (mut doc, mut files, mut signatures);
        'load: loop {
            doc = None;
            files = Vec::new();
            signatures = Signatures::default();
            for path in paths.clone() {
                let path = &path;
                let bytes = fs::read(path).map_err(CoreError::io("read", path))?;
                let had = doc.is_some();
                let result = if bytes.is_empty() {
                    Err("empty file".to_owned())
                } else {
                    self.seal.open(bytes)
                }
                .and_then(|bytes| passerelle_model::layout::load_signed_file(&mut doc, &bytes));
                match result {
                    Ok(sigs) => {
                        signatures.extend(&sigs);
                        files.push(path.clone());
                    }
                    Err(reason) => {
                        quarantined.push(
                            self.quarantine(path, &format!("not an Automerge document: {reason}"))?,
                        );
                        paths.retain(|p| p != path);
                        if had {
                            continue 'load;
                        }
                    }
                }
            }
            if files.len() > 1
                && doc
                    .as_ref()
                    .is_some_and(|d| passerelle_model::layout::check_kind(d, kind).is_err())
            {
                // The most recently written file (the first one, the bulk
                // of the document, stays).
                let newest = files[1..]
                    .iter()
                    .max_by_key(|p| fs::metadata(p).and_then(|m| m.modified()).ok())
                    .expect("several")
                    .clone();
                quarantined.push(self.quarantine(
                    &newest,
                    "with this file the document no longer reads as its kind",
                )?);
                paths.retain(|p| *p != newest);
                continue 'load;
            }
            break;
        }
        let Some(doc) = doc else {
            return Ok(None);
        };
        Ok(Some(StoredDoc {
            doc,
            files,
            signatures,
        }))
    }

    /// Writes a chunk of a document durably; returns its path.
    pub fn write_chunk(
        &self,
        id: &CommunityId,
        kind: DocKind,
        bytes: &[u8],
        snapshot: bool,
    ) -> Result<PathBuf, CoreError> {
        let dir = self.doc_dir(id, kind);
        if !dir.is_dir() {
            fs::create_dir_all(&dir).map_err(CoreError::io("create", &dir))?;
            sync_dir(dir.parent().unwrap_or(&dir)).map_err(CoreError::io("create", &dir))?;
        }
        // A chunk is measured now (it is small); a snapshot when first asked.
        let measured = (!snapshot).then(|| inflated_size(bytes));
        let bytes = self.seal.seal(bytes);
        let hash = blake3::hash(&bytes);
        let name = format!(
            "{}.{}",
            &hash.to_hex()[..32],
            if snapshot { "snapshot" } else { "chunk" }
        );
        let path = dir.join(name);
        write_atomic(&path, &bytes, false)?;
        if let Some(n) = measured {
            lock(&self.inflated).insert(path.clone(), n);
        }
        Ok(path)
    }

    /// Replaces a document's files by one snapshot of its current state,
    /// if that snapshot loads as [`Store::load_doc`] will read it (the
    /// node's bound on a file included); else the files stay as they are
    /// (each loads on its own) and the next attempt waits for
    /// [`COMPACT_AFTER`] more files.
    pub fn compact(
        &self,
        id: &CommunityId,
        kind: DocKind,
        doc: &mut AutoCommit,
        signatures: &Signatures,
        files: &mut Vec<PathBuf>,
    ) -> Result<(), CoreError> {
        let dir = self.doc_dir(id, kind);
        if lock(&self.not_compacted)
            .get(&dir)
            .is_some_and(|at| files.len() < at + COMPACT_AFTER)
        {
            return Ok(());
        }
        // Automerge can panic writing a document it accepted (one read
        // from a file it should have refused): the chunks then stay.
        let saved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.save())).ok();
        // The chunks are removed only once the snapshot is known to load
        // again, exactly as loading reads a file (`load_signed_file`: the
        // bound on what it inflates to, its operations and changes, then
        // Automerge): else they stay.
        let file = saved.map(|saved| wrap_file(signatures, &saved));
        let refused = match &file {
            None => Some("Automerge failed to save it".to_owned()),
            Some(file) => std::panic::catch_unwind(|| load_signed_file(&mut None, file))
                .unwrap_or_else(|_| Err("Automerge failed on it".to_owned()))
                .err(),
        };
        let file = match (file, refused) {
            (Some(file), None) => file,
            (_, reason) => {
                tracing::warn!(
                    "{}: not compacted, a snapshot of this document would not load again \
                     ({}); its {} files are kept",
                    dir.display(),
                    reason.unwrap_or_default(),
                    files.len()
                );
                lock(&self.not_compacted).insert(dir, files.len());
                return Ok(());
            }
        };
        lock(&self.not_compacted).remove(&dir);
        let snapshot = self.write_chunk(id, kind, &file, true)?;
        for old in files.drain(..).filter(|p| *p != snapshot) {
            fs::remove_file(&old).map_err(CoreError::io("remove", &old))?;
            lock(&self.inflated).remove(&old);
        }
        sync_dir(&dir).map_err(CoreError::io("write", &dir))?;
        files.push(snapshot);
        Ok(())
    }

    /// Moves a damaged file or directory to the quarantine, keeping it for inspection.
    pub fn quarantine(&self, path: &Path, reason: &str) -> Result<Quarantined, CoreError> {
        fs::create_dir_all(&self.quarantine).map_err(CoreError::io("create", &self.quarantine))?;
        let relative = path.strip_prefix(&self.communities).unwrap_or(path);
        let flat = relative.to_string_lossy().replace(['/', '\\'], "_");
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let moved_to = self.quarantine.join(format!("{stamp}-{flat}"));
        fs::rename(path, &moved_to).map_err(CoreError::io("move to quarantine", path))?;
        lock(&self.inflated).remove(path);
        let q = Quarantined {
            path: path.to_owned(),
            moved_to,
            reason: reason.to_owned(),
        };
        tracing::error!("{q}");
        Ok(q)
    }
}

/// A lock of the store's caches; one poisoned by a panic still holds true
/// figures (each entry is written whole).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a document file (a signed file, unsealed) inflates to as loading
/// measures it; one the bound refuses counts as the whole bound.
fn inflated_size(file: &[u8]) -> u64 {
    unwrap_file(file)
        .ok()
        .and_then(|(_, bytes)| check_chunks(bytes, MAX_INFLATED).ok())
        .map_or(MAX_INFLATED as u64, |i| i.inflated as u64)
}

#[cfg(test)]
mod tests {
    use automerge::ROOT;
    use automerge::transaction::Transactable;
    use passerelle_model::layout::new_doc;

    use super::*;

    const MIB: usize = 1024 * 1024;

    fn store(dir: &Path) -> Store {
        Store::new(
            dir.join("communities"),
            dir.join("quarantine"),
            Seal::default(),
        )
    }

    /// A document that reads as the échanges.
    fn exchanges() -> AutoCommit {
        let mut doc = new_doc();
        doc.put(ROOT, "kind", DocKind::Exchanges.as_str()).unwrap();
        doc.put(ROOT, "schema", 1).unwrap();
        doc
    }

    /// Writes what `doc` gained since `heads` as a chunk.
    fn chunk(
        store: &Store,
        id: &CommunityId,
        doc: &mut AutoCommit,
        heads: &[automerge::ChangeHash],
    ) -> PathBuf {
        let file = wrap_file(&Signatures::default(), &doc.save_after(heads));
        store
            .write_chunk(id, DocKind::Exchanges, &file, false)
            .unwrap()
    }

    #[test]
    fn a_snapshot_the_loader_would_refuse_never_replaces_the_chunks() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store(tmp.path());
        let id = CommunityId("c".repeat(26));
        let mut doc = exchanges();
        let mut files = vec![chunk(&store, &id, &mut doc, &[])];
        // Two values of 33 MiB, a chunk each: each file loads, a snapshot
        // of both (66 MiB inflated) would not.
        for i in 0..2 {
            let heads = doc.get_heads();
            doc.put(ROOT, format!("notes-{i}"), "a".repeat(33 * MIB))
                .unwrap();
            files.push(chunk(&store, &id, &mut doc, &heads));
        }
        let total: u64 = files.iter().map(|f| store.inflated(f).unwrap()).sum();
        assert!(total > MAX_INFLATED as u64, "{total}");
        let before = files.clone();
        store
            .compact(
                &id,
                DocKind::Exchanges,
                &mut doc,
                &Signatures::default(),
                &mut files,
            )
            .unwrap();
        assert_eq!(files, before, "the chunks are kept");
        let mut quarantined = Vec::new();
        let mut loaded = store
            .load_doc(&id, DocKind::Exchanges, &mut quarantined)
            .unwrap()
            .expect("the document loads");
        assert!(quarantined.is_empty(), "{quarantined:?}");
        assert_eq!(loaded.files.len(), 3);
        assert_eq!(loaded.doc.get_heads(), doc.get_heads());
        drop(loaded);
        // The next attempt waits for COMPACT_AFTER more files.
        let dir = store.doc_dir(&id, DocKind::Exchanges);
        assert_eq!(lock(&store.not_compacted).get(&dir), Some(&3));

        // A document within the bound is compacted into one snapshot.
        let id = CommunityId("d".repeat(26));
        let mut doc = exchanges();
        let mut files = Vec::new();
        for i in 0..3 {
            let heads = doc.get_heads();
            doc.put(ROOT, format!("k{i}"), "b".repeat(1000)).unwrap();
            files.push(chunk(&store, &id, &mut doc, &heads));
        }
        let old = files.clone();
        store
            .compact(
                &id,
                DocKind::Exchanges,
                &mut doc,
                &Signatures::default(),
                &mut files,
            )
            .unwrap();
        assert_eq!(files.len(), 1);
        assert!(files[0].extension().is_some_and(|e| e == "snapshot"));
        assert!(old.iter().all(|f| !f.exists()));
        assert!(store.inflated(&files[0]).unwrap() < MIB as u64);
        let mut loaded = store
            .load_doc(&id, DocKind::Exchanges, &mut quarantined)
            .unwrap()
            .expect("the document loads");
        assert_eq!(loaded.doc.get_heads(), doc.get_heads());
    }
}
