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

use passerelle_model::signing::{Signatures, wrap_file};
use std::fs;
use std::path::{Path, PathBuf};

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
}

impl Store {
    pub fn new(communities: PathBuf, quarantine: PathBuf, seal: Seal) -> Self {
        Self {
            communities,
            quarantine,
            seal,
        }
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
        let bytes = self.seal.seal(bytes);
        let hash = blake3::hash(&bytes);
        let name = format!(
            "{}.{}",
            &hash.to_hex()[..32],
            if snapshot { "snapshot" } else { "chunk" }
        );
        let path = dir.join(name);
        write_atomic(&path, &bytes, false)?;
        Ok(path)
    }

    /// Replaces a document's files by one snapshot of its current state.
    pub fn compact(
        &self,
        id: &CommunityId,
        kind: DocKind,
        doc: &mut AutoCommit,
        signatures: &Signatures,
        files: &mut Vec<PathBuf>,
    ) -> Result<(), CoreError> {
        // Automerge can panic writing a document it accepted (one read
        // from a file it should have refused): the chunks then stay.
        let saved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.save())).ok();
        // The chunks are removed only once the snapshot is known to load
        // again: else they stay, and the next compaction tries again.
        let loads = |saved: &[u8]| {
            std::panic::catch_unwind(|| AutoCommit::load(saved).is_ok()).unwrap_or(false)
        };
        let Some(saved) = saved.filter(|saved| loads(saved)) else {
            tracing::error!(
                "{}: a snapshot of this document would not load again; its chunks are kept",
                self.doc_dir(id, kind).display()
            );
            return Ok(());
        };
        let snapshot = self.write_chunk(id, kind, &wrap_file(signatures, &saved), true)?;
        for old in files.drain(..).filter(|p| *p != snapshot) {
            fs::remove_file(&old).map_err(CoreError::io("remove", &old))?;
        }
        let dir = self.doc_dir(id, kind);
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
        let q = Quarantined {
            path: path.to_owned(),
            moved_to,
            reason: reason.to_owned(),
        };
        tracing::error!("{q}");
        Ok(q)
    }
}
