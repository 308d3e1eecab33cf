//! Hydrated views kept on disk between runs.
//!
//! Hydrating every item of a big community (thousands of échanges with their
//! replies) costs more than loading its documents. A node therefore keeps
//! each hydrated part of a view in `views/<community>/<kind>.bin` (postcard)
//! with the heads it was built from, and at the next start uses it instead
//! of hydrating again, but only if the document loaded from disk has exactly
//! those heads. The documents stay the only source of truth: a missing,
//! stale or unreadable view file only costs one hydration.

use std::path::PathBuf;

use automerge::ChangeHash;
use passerelle_model::view::Part;
use passerelle_model::{CommunityId, DocKind};
use serde::{Deserialize, Serialize};

use super::{Loaded, State};
use crate::datadir::DataDir;

/// Bumped whenever the view models change shape.
const VERSION: u32 = 2;

#[derive(Serialize, Deserialize)]
struct Saved {
    version: u32,
    heads: Vec<[u8; 32]>,
    part: Part,
}

fn path(dir: &DataDir, id: &CommunityId, kind: DocKind) -> PathBuf {
    dir.views_dir()
        .join(id.as_str())
        .join(format!("{}.bin", kind.as_str()))
}

/// Seeds `loaded`'s view cache with the parts saved for its documents' heads.
pub(crate) fn load(dir: &DataDir, id: &CommunityId, loaded: &mut Loaded) {
    for kind in DocKind::ALL {
        let Some(heads) = loaded.docs.doc_mut(kind).map(|d| d.get_heads()) else {
            continue;
        };
        let Ok(bytes) = dir.read(&path(dir, id, kind)) else {
            continue;
        };
        let Ok(saved) = postcard::from_bytes::<Saved>(&bytes) else {
            continue;
        };
        // The saved key is the document's heads, followed for collections
        // by the digest of the community's rules they were read under; the
        // cache uses the part only while both still hold.
        let key: Vec<ChangeHash> = saved.heads.into_iter().map(ChangeHash).collect();
        let for_these_heads =
            key.len() - heads.len().min(key.len()) <= 1 && key.starts_with(&heads);
        if saved.version == VERSION && for_these_heads && saved.part.kind() == kind {
            loaded.cache.seed(key, saved.part);
        }
    }
}

impl State {
    /// Writes the parts of views hydrated since they were last written.
    pub(crate) fn save_views(&mut self) {
        // A view not kept costs one hydration at the next start: one line
        // says so, whatever the number of views (a full disk fails them all).
        let mut failed: Vec<String> = Vec::new();
        for (id, loaded) in &mut self.communities {
            for (heads, part) in loaded.cache.unsaved() {
                let kind = part.kind();
                let saved = Saved {
                    version: VERSION,
                    heads: heads.iter().map(|h| h.0).collect(),
                    part,
                };
                let target = path(&self.dir, id, kind);
                let written = postcard::to_allocvec(&saved)
                    .map_err(|e| e.to_string())
                    .and_then(|bytes| {
                        std::fs::create_dir_all(target.parent().expect("a views directory"))
                            .map_err(|e| e.to_string())?;
                        self.dir
                            .write(&target, &bytes, true)
                            .map_err(|e| e.to_string())
                    });
                match written {
                    Ok(()) => loaded.cache.mark_saved(kind, heads),
                    Err(e) => failed.push(e),
                }
            }
        }
        if let Some(first) = failed.first() {
            tracing::warn!(
                "{} view(s) not kept for a faster next start: {first}",
                failed.len()
            );
        }
    }
}
