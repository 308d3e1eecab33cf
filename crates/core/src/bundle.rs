//! Offline bundles: a community's documents in one file, for a USB stick or
//! a messaging app, merged on import like any sync.
//!
//! Layout: the magic `PASSERELLE-BUNDLE` and a version byte, a postcard body
//! (community id; each document's kind and Automerge `save()`), then the
//! BLAKE3 hash of everything before it. Import checks the hash, loads every
//! document apart, checks kinds, community and membership, and only then
//! merges: a damaged or foreign bundle leaves the store untouched.

use std::collections::BTreeMap;
use std::path::Path;

use automerge::AutoCommit;
use passerelle_model::layout::{check_kind, new_doc};
use passerelle_model::{CommunityDocs, CommunityId, DocKind};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::node::{Loaded, State};

const MAGIC: &[u8] = b"PASSERELLE-BUNDLE\x01";
const HASH: usize = 32;

#[derive(Serialize, Deserialize)]
struct Body {
    community: String,
    docs: Vec<(String, Vec<u8>)>,
}

/// What an import did.
#[derive(Clone, Debug, Serialize)]
pub struct BundleImport {
    /// The community.
    pub community: CommunityId,
    /// Whether it was new on this device.
    pub added: bool,
    /// Whether anything changed.
    pub changed: bool,
}

fn refuse(reason: impl Into<String>) -> CoreError {
    CoreError::Bundle(reason.into())
}

impl State {
    /// Writes a community's documents to `out` (atomically).
    pub fn export_bundle(&mut self, id: &CommunityId, out: &Path) -> Result<u64, CoreError> {
        let loaded = self.loaded(id)?;
        let docs = loaded
            .docs
            .docs_mut()
            .map(|(kind, doc)| (kind.as_str().to_owned(), doc.save()))
            .collect();
        let body = Body {
            community: id.0.clone(),
            docs,
        };
        let mut bytes = MAGIC.to_vec();
        bytes.extend(postcard::to_stdvec(&body).expect("bundles serialise"));
        let hash = blake3::hash(&bytes);
        bytes.extend_from_slice(hash.as_bytes());
        crate::datadir::write_atomic(out, &bytes, false)?;
        Ok(bytes.len() as u64)
    }

    /// Verifies and merges a bundle.
    pub fn import_bundle(&mut self, path: &Path) -> Result<BundleImport, CoreError> {
        let bytes = std::fs::read(path).map_err(CoreError::io("read", path))?;
        let (id, incoming) = parse(&bytes)?;
        let device = self.device.clone();
        if let Some(loaded) = self.communities.get_mut(&id) {
            // Merge into copies first: the real documents change only if all merge.
            let mut merged = BTreeMap::new();
            for (kind, mut doc) in incoming {
                let mut copy = match loaded.docs.doc(kind) {
                    Some(existing) => existing.clone(),
                    None => new_doc(),
                };
                copy.merge(&mut doc).map_err(|e| {
                    refuse(format!(
                        "its {} document does not merge: {e}",
                        kind.as_str()
                    ))
                })?;
                check_kind(&copy, kind).map_err(|e| refuse(e.to_string()))?;
                merged.insert(kind, copy);
            }
            let mut changed_kinds = Vec::new();
            for (kind, mut doc) in merged {
                let before = loaded.docs.doc_mut(kind).map(|d| d.get_heads());
                if before.as_ref() == Some(&doc.get_heads()) {
                    continue;
                }
                doc.set_actor(self.actor.clone());
                match loaded.docs.doc_mut(kind) {
                    Some(existing) => {
                        existing
                            .merge(&mut doc)
                            .map_err(|e| refuse(e.to_string()))?;
                    }
                    None => loaded.docs.insert_doc(kind, doc)?,
                }
                changed_kinds.push(kind);
            }
            for kind in &changed_kinds {
                self.persist(&id, *kind)?;
            }
            if !changed_kinds.is_empty() {
                self.changed(&id, None);
            }
            return Ok(BundleImport {
                community: id,
                added: false,
                changed: !changed_kinds.is_empty(),
            });
        }
        let mut docs = CommunityDocs::from_docs(id.clone(), incoming)?;
        let view = passerelle_model::ViewCache::default().view(&mut docs)?;
        if !view.is_active_device(&device) {
            return Err(refuse(
                "it holds a community this device is not a member of",
            ));
        }
        docs.set_actor(&self.actor);
        self.add_loaded(
            id.clone(),
            Loaded {
                docs,
                saved: BTreeMap::new(),
                files: BTreeMap::new(),
                partial: BTreeMap::new(),
                cache: Default::default(),
            },
        )?;
        self.changed(&id, None);
        Ok(BundleImport {
            community: id,
            added: true,
            changed: true,
        })
    }
}

/// Checks a bundle's integrity and loads its documents, touching nothing.
fn parse(bytes: &[u8]) -> Result<(CommunityId, BTreeMap<DocKind, AutoCommit>), CoreError> {
    if !bytes.starts_with(MAGIC) {
        return Err(refuse("this file is not a Passerelle bundle"));
    }
    if bytes.len() < MAGIC.len() + HASH {
        return Err(refuse("the file is cut short"));
    }
    let (content, hash) = bytes.split_at(bytes.len() - HASH);
    if blake3::hash(content).as_bytes() != hash {
        return Err(refuse("the file is damaged (its checksum does not match)"));
    }
    let body: Body =
        postcard::from_bytes(&content[MAGIC.len()..]).map_err(|_| refuse("the file is damaged"))?;
    if !CommunityId::is_well_formed(&body.community) {
        return Err(refuse("it names no valid community"));
    }
    let id = CommunityId(body.community);
    let mut docs = BTreeMap::new();
    for (kind, saved) in body.docs {
        let kind = DocKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(|| refuse(format!("unknown document kind '{kind}'")))?;
        let mut doc = new_doc();
        doc.load_incremental(&saved)
            .map_err(|e| refuse(format!("its {} document is damaged: {e}", kind.as_str())))?;
        check_kind(&doc, kind).map_err(|e| refuse(e.to_string()))?;
        let owner: Option<String> =
            autosurgeon::hydrate_prop(&doc, automerge::ROOT, "community").ok();
        if owner.as_deref() != Some(id.as_str()) {
            return Err(refuse(format!(
                "its {} document belongs to another community",
                kind.as_str()
            )));
        }
        docs.insert(kind, doc);
    }
    if !docs.contains_key(&DocKind::Community) {
        return Err(refuse("it has no community document"));
    }
    Ok((id, docs))
}
