//! Offline bundles: a community's documents in one file, for a USB stick or
//! a messaging app, merged on import like any sync.
//!
//! Layout: the magic `PASSERELLE-BUNDLE` and a version byte (2), a postcard
//! body (community id; each document's kind and its signatures followed by
//! its Automerge `save()`, as `signing::wrap_file` writes them), then the
//! BLAKE3 hash of everything before it. Import checks the hash, reads every
//! document apart, passes every change through the gate as if it came from
//! a peer, checks kinds and membership, and only then replaces the
//! documents: a damaged or foreign bundle leaves the store untouched.
//! `verify_bundle` does all of this on copies, for a device that holds
//! nothing: it checks a bundle (a daily archive, say) without importing it.

use std::collections::BTreeMap;

use automerge::AutoCommit;
use passerelle_model::bounds::{Budget, MAX_INFLATED};
use passerelle_model::gate::{self, Authority, Incoming, Ledger, Writers};
use passerelle_model::layout::{check_genesis, check_kind, new_doc};
use passerelle_model::signing::{Signatures, Signed, unwrap_file, wrap_file};
use passerelle_model::{CommunityDocs, CommunityId, DocKind};
use serde::{Deserialize, Serialize};

use crate::error::{BundleError, CoreError};
use crate::node::{Loaded, State};

const MAGIC: &[u8] = b"PASSERELLE-BUNDLE\x02";
/// Bundles of earlier versions: documents without signatures (accepted
/// where a community does not require them).
const MAGIC_V1: &[u8] = b"PASSERELLE-BUNDLE\x01";
const HASH: usize = 32;
/// A bundle carrying files: this magic, the length of the documents' bundle
/// (u64, little-endian), that bundle, then each file as its BLAKE3 hash, its
/// length (u64, little-endian) and its bytes.
const MAGIC_FILES: &[u8] = b"PASSERELLE-BUNDLE\x03";

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
    /// Changes the gate refused (not signed, not by a member...).
    pub refused: usize,
    /// Files (attachments' bytes) taken from the bundle.
    pub files: usize,
    /// Files left out: damaged (not the bytes their hash names), too large,
    /// or used by no item of the community.
    pub files_refused: usize,
}

/// A bundle read apart: its documents' bundle and the files it carries.
pub(crate) struct Parts<'a> {
    /// The documents (a bundle of its own).
    pub docs: &'a [u8],
    /// Each file's hash and bytes, as written (checked by the caller).
    pub files: Vec<([u8; 32], &'a [u8])>,
}

/// Splits a bundle into its documents and files; one without files is all
/// documents.
pub(crate) fn split(bytes: &[u8]) -> Result<Parts<'_>, CoreError> {
    let Some(rest) = bytes.strip_prefix(MAGIC_FILES) else {
        return Ok(Parts {
            docs: bytes,
            files: Vec::new(),
        });
    };
    let cut = || refuse(BundleError::CutShort);
    let take = |at: usize, n: usize| {
        at.checked_add(n)
            .and_then(|end| rest.get(at..end))
            .ok_or_else(cut)
    };
    let len = |at: usize| -> Result<usize, CoreError> {
        let raw: [u8; 8] = take(at, 8)?.try_into().expect("8 bytes");
        usize::try_from(u64::from_le_bytes(raw)).map_err(|_| cut())
    };
    let docs_len = len(0)?;
    let docs = take(8, docs_len)?;
    let mut files = Vec::new();
    let mut at = 8 + docs_len;
    while at < rest.len() {
        let hash: [u8; 32] = take(at, 32)?.try_into().expect("32 bytes");
        let n = len(at + 32)?;
        files.push((hash, take(at + 40, n)?));
        at += 40 + n;
    }
    Ok(Parts { docs, files })
}

/// A community's documents copied for a bundle ([`State::bundle_copies`]).
pub(crate) struct BundleCopies {
    community: CommunityId,
    docs: Vec<(DocKind, Signatures, AutoCommit)>,
}

/// Encodes a bundle: each document's `save()` with its signatures, the
/// body, and the hash of all before it.
pub(crate) fn bundle_of(copies: BundleCopies) -> Vec<u8> {
    let docs = copies
        .docs
        .into_iter()
        .map(|(kind, signatures, mut doc)| {
            (
                kind.as_str().to_owned(),
                wrap_file(&signatures, &doc.save()),
            )
        })
        .collect();
    let body = Body {
        community: copies.community.0,
        docs,
    };
    let mut bytes = MAGIC.to_vec();
    bytes.extend(postcard::to_stdvec(&body).expect("bundles serialise"));
    let hash = blake3::hash(&bytes);
    bytes.extend_from_slice(hash.as_bytes());
    bytes
}

/// Whether an import takes a file a bundle carries: an item of the
/// community uses it (`used`, from `attachments::blobs`), it is no larger
/// than described, and its bytes are the ones its hash names.
pub(crate) fn takes_file(
    used: &BTreeMap<String, (passerelle_model::attachments::Role, u64)>,
    hash: &str,
    content: &[u8],
) -> bool {
    used.get(hash)
        .is_some_and(|(_, size)| content.len() as u64 <= *size)
        && passerelle_sync::blobs::hash_of(content) == hash
}

/// Writes a bundle with files: the documents' bundle, then each file.
pub(crate) fn join(docs: &[u8], files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = MAGIC_FILES.to_vec();
    out.extend((docs.len() as u64).to_le_bytes());
    out.extend(docs);
    for (hash, bytes) in files {
        let raw = data_encoding::HEXLOWER
            .decode(hash.as_bytes())
            .expect("blob hashes are hex");
        out.extend(raw);
        out.extend((bytes.len() as u64).to_le_bytes());
        out.extend(bytes);
    }
    out
}

fn refuse(reason: BundleError) -> CoreError {
    CoreError::Bundle(reason)
}

impl State {
    /// Copies of a community's documents, each with the signatures that
    /// vouch for its changes: what a bundle is made of. Copying is quick;
    /// encoding them ([`bundle_of`]) is done off the actor, so members'
    /// commands and meetings do not wait for a large community's bundle.
    pub fn bundle_copies(&mut self, id: &CommunityId) -> Result<BundleCopies, CoreError> {
        let loaded = self.loaded(id)?;
        let ledgers = &loaded.ledgers;
        let docs = loaded
            .docs
            .docs_mut()
            .map(|(kind, doc)| {
                let signatures = ledgers
                    .get(&kind)
                    .map(|l| l.signatures.clone())
                    .unwrap_or_default();
                (kind, signatures, doc.clone())
            })
            .collect();
        Ok(BundleCopies {
            community: id.clone(),
            docs,
        })
    }

    /// Verifies and merges a bundle: every change passes the gate, as if it
    /// came from a peer; the documents change only if every document of
    /// the bundle could be read.
    pub fn import_bundle(&mut self, bytes: &[u8]) -> Result<BundleImport, CoreError> {
        let (id, incoming) = parse(bytes)?;
        let device = self.device.clone();
        let Judged {
            merged,
            refused,
            kept_aside,
            ..
        } = judge(&id, incoming, self.communities.get(&id))?;
        let refused = refused.len();
        if !merged.contains_key(&DocKind::Community) {
            return Err(refuse(BundleError::NothingAccepted));
        }
        // Kept aside even if the bundle is refused as a whole below.
        self.keep_refused(&id, &kept_aside);
        if let Some(loaded) = self.communities.get_mut(&id) {
            let mut changed_kinds = Vec::new();
            for (kind, (mut doc, ledger)) in merged {
                let before = loaded.docs.doc_mut(kind).map(|d| d.get_heads());
                if before.as_ref() == Some(&doc.get_heads()) {
                    continue;
                }
                doc.set_actor(self.actor.clone());
                match loaded.docs.doc_mut(kind) {
                    Some(existing) => *existing = doc,
                    None => loaded.docs.insert_doc(kind, doc)?,
                }
                loaded.ledgers.insert(kind, ledger);
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
                refused,
                files: 0,
                files_refused: 0,
            });
        }
        let mut ledgers = BTreeMap::new();
        let mut docs = BTreeMap::new();
        for (kind, (doc, ledger)) in merged {
            docs.insert(kind, doc);
            ledgers.insert(kind, ledger);
        }
        let mut docs = CommunityDocs::from_docs(id.clone(), docs)?;
        let view = passerelle_model::ViewCache::default().view(&mut docs)?;
        if !view.is_active_device(&device) {
            return Err(refuse(BundleError::NotAMember));
        }
        docs.set_actor(&self.actor);
        self.add_loaded(
            id.clone(),
            Loaded {
                docs,
                saved: BTreeMap::new(),
                files: BTreeMap::new(),
                partial: BTreeMap::new(),
                ledgers,
                cache: Default::default(),
                unsaved: BTreeMap::new(),
            },
        )?;
        self.changed(&id, None);
        Ok(BundleImport {
            community: id,
            added: true,
            changed: true,
            refused,
            files: 0,
            files_refused: 0,
        })
    }
}

/// A document of a bundle, read but not merged: its signatures and changes.
type BundleDoc = (Vec<Signed>, Incoming);

/// A bundle's documents merged into copies, as the gate judged them: what
/// an import would take, and what it would keep aside.
struct Judged {
    /// Each document merged into a copy of the held one (or a new one), with
    /// its ledger; the community document is always among them.
    merged: BTreeMap<DocKind, (AutoCommit, Ledger)>,
    /// Changes the gate refused.
    refused: Vec<gate::Refused>,
    /// Those refusals, as the device keeps them aside.
    kept_aside: Vec<crate::refused::RefusedChange>,
    /// Changes taken.
    applied: usize,
    /// Changes whose dependencies the bundle does not carry.
    deferred: usize,
}

/// Merges a bundle's documents into copies of the held ones (`held`, or
/// new documents), each change through the gate as if it came from a peer:
/// the community document first, then the collections, judged by the
/// members it lists. Checks what the documents are and whose they are;
/// changes nothing held.
fn judge(
    id: &CommunityId,
    incoming: BTreeMap<DocKind, BundleDoc>,
    held: Option<&Loaded>,
) -> Result<Judged, CoreError> {
    let mut judged = Judged {
        merged: BTreeMap::new(),
        refused: Vec::new(),
        kept_aside: Vec::new(),
        applied: 0,
        deferred: 0,
    };
    let mut writers = Writers::default();
    for (kind, (signatures, changes)) in incoming {
        let mut copy = held
            .and_then(|l| l.docs.doc(kind).cloned())
            .unwrap_or_else(new_doc);
        let mut ledger = held
            .and_then(|l| l.ledgers.get(&kind).cloned())
            .unwrap_or_default();
        let authority = if kind == DocKind::Community {
            Authority::Community
        } else {
            Authority::Collection(&writers)
        };
        let result = gate::merge(&mut copy, &mut ledger, authority, changes, &signatures)
            .map_err(|e| refuse(BundleError::Merge(e.0)))?;
        judged.kept_aside.extend(crate::refused::entries(
            kind.as_str(),
            crate::refused::FROM_BUNDLE,
            &result.refused,
            &mut Default::default(),
        ));
        for r in &result.refused {
            tracing::warn!(
                "bundle for {id}, {}: refused change {} by {}: {}",
                kind.as_str(),
                r.hash,
                r.writer,
                r.reason
            );
        }
        judged.applied += result.applied;
        judged.deferred += result.deferred;
        judged.refused.extend(result.refused);
        if copy.get_heads().is_empty() {
            continue;
        }
        if kind == DocKind::Community
            && held.is_none_or(|l| l.docs.doc(kind).is_none())
            && let Err(reason) = check_genesis(&mut copy, id)
        {
            tracing::warn!("bundle for {id}: refused its community document: {reason}");
            return Err(refuse(BundleError::NotTheCommunity {
                community: id.clone(),
                detail: reason.to_string(),
            }));
        }
        check_kind(&copy, kind).map_err(|e| refuse(BundleError::Shape(Box::new(e))))?;
        let owner: Option<String> =
            autosurgeon::hydrate_prop(&copy, automerge::ROOT, "community").ok();
        if owner.as_deref() != Some(id.as_str()) {
            return Err(refuse(BundleError::OtherCommunity(kind.as_str())));
        }
        if kind == DocKind::Community {
            writers = Writers::of(&mut copy, &mut ledger);
        }
        judged.merged.insert(kind, (copy, ledger));
    }
    Ok(judged)
}

/// What a bundle holds, read and judged without importing it
/// ([`verify_bundle`]).
#[derive(Clone, Debug, Serialize)]
pub struct BundleCheck {
    /// The community.
    pub community: CommunityId,
    /// Its name.
    pub name: String,
    /// Its members (removed ones included).
    pub members: usize,
    /// Documents in the bundle.
    pub documents: usize,
    /// Changes a new device would take.
    pub changes: usize,
    /// Changes the gate would refuse (not signed, not by a member...).
    pub refused: usize,
    /// Changes whose dependencies the bundle does not carry.
    pub missing: usize,
    /// Files carried whose bytes are the ones their hash names and that an
    /// item uses.
    pub files: usize,
    /// Files carried that an import would leave out: damaged, larger than
    /// described, or used by no item.
    pub files_refused: usize,
    /// Pictures and files the items use that the bundle does not carry.
    pub files_missing: usize,
}

impl BundleCheck {
    /// Whether everything in the bundle would be taken, whole: nothing
    /// refused, nothing missing, no file left out.
    pub fn is_whole(&self) -> bool {
        self.refused == 0 && self.missing == 0 && self.files_refused == 0
    }
}

/// Reads a bundle as an import would, on a device that holds nothing of the
/// community: checksum, documents, every change through the gate, the
/// community's genesis, the kind and owner of each document, and each file
/// against its hash. Touches no store; needs no device.
pub fn verify_bundle(bytes: &[u8]) -> Result<BundleCheck, CoreError> {
    let parts = split(bytes)?;
    let (id, incoming) = parse(parts.docs)?;
    let documents = incoming.len();
    let judged = judge(&id, incoming, None)?;
    if !judged.merged.contains_key(&DocKind::Community) {
        return Err(refuse(BundleError::NothingAccepted));
    }
    let docs = judged
        .merged
        .into_iter()
        .map(|(kind, (doc, _))| (kind, doc))
        .collect();
    let mut docs = CommunityDocs::from_docs(id.clone(), docs)?;
    let view = passerelle_model::ViewCache::default().view(&mut docs)?;
    let used = passerelle_model::attachments::blobs(&view);
    let mut carried = std::collections::BTreeSet::new();
    let mut files_refused = 0;
    for (hash, content) in &parts.files {
        let hash = data_encoding::HEXLOWER.encode(hash);
        if takes_file(&used, &hash, content) {
            carried.insert(hash);
        } else {
            files_refused += 1;
        }
    }
    Ok(BundleCheck {
        name: view.community.name.clone(),
        members: view.community.members.len(),
        community: id,
        documents,
        changes: judged.applied,
        refused: judged.refused.len(),
        missing: judged.deferred,
        files: carried.len(),
        files_refused,
        files_missing: if !bytes.starts_with(MAGIC_FILES) {
            0
        } else {
            used.keys().filter(|h| !carried.contains(*h)).count()
        },
    })
}

/// Checks a bundle's integrity and reads its documents, touching nothing.
/// The community document comes first.
fn parse(bytes: &[u8]) -> Result<(CommunityId, BTreeMap<DocKind, BundleDoc>), CoreError> {
    let signed = bytes.starts_with(MAGIC);
    if !signed && !bytes.starts_with(MAGIC_V1) {
        return Err(refuse(BundleError::NotABundle));
    }
    if bytes.len() < MAGIC.len() + HASH {
        return Err(refuse(BundleError::CutShort));
    }
    let (content, hash) = bytes.split_at(bytes.len() - HASH);
    if blake3::hash(content).as_bytes() != hash {
        return Err(refuse(BundleError::BadChecksum));
    }
    let body: Body =
        postcard::from_bytes(&content[MAGIC.len()..]).map_err(|_| refuse(BundleError::Damaged))?;
    if !CommunityId::is_well_formed(&body.community) {
        return Err(refuse(BundleError::NoValidCommunity));
    }
    let id = CommunityId(body.community);
    let mut docs = BTreeMap::new();
    // Every document of the bundle is held at once: one bound for all.
    let mut budget = Budget::new(MAX_INFLATED);
    for (kind, saved) in body.docs {
        let kind = DocKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(|| refuse(BundleError::UnknownDocument(kind.clone())))?;
        let damaged = |detail: String| {
            refuse(BundleError::DocumentDamaged {
                kind: kind.as_str(),
                detail,
            })
        };
        let (signatures, changes) = if signed {
            unwrap_file(&saved).map_err(damaged)?
        } else {
            (Default::default(), saved.as_slice())
        };
        let incoming = Incoming::read_within([changes], &mut budget).map_err(damaged)?;
        docs.insert(kind, (signatures.iter().copied().collect(), incoming));
    }
    if !docs.contains_key(&DocKind::Community) {
        return Err(refuse(BundleError::NoCommunityDocument));
    }
    Ok((id, docs))
}
