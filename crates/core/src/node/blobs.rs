//! What the actor knows of attachments: the blobs each held community
//! references, who may fetch which, and what to fetch from a peer.
//!
//! A device serves a blob only to a device that is an active member of a
//! community it holds whose documents reference that blob (in its own copy
//! of the documents, read through the community's rules).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use passerelle_model::attachments::{self, Role};
use passerelle_model::{CommunityId, CommunityView, DeviceKey};
use passerelle_sync::Wanted;

use super::State;
use crate::error::CoreError;
use crate::settings::StorageSettings;

/// The blobs one community references, for one view of it.
#[derive(Clone)]
pub(crate) struct BlobIndex {
    view: Arc<CommunityView>,
    /// Hash → its role and the size its attachment gives.
    pub blobs: Arc<BTreeMap<String, (Role, u64)>>,
}

/// How one blob is used across the communities held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlobUse {
    /// The communities referencing it.
    pub communities: BTreeSet<CommunityId>,
    /// A thumbnail (and a file nowhere).
    pub thumbnail: bool,
}

impl State {
    /// The blobs a community references (cached while its view lasts).
    pub(crate) fn blob_index(&mut self, id: &CommunityId) -> Result<BlobIndex, CoreError> {
        let view = self.view(id)?;
        if let Some(index) = self.blob_indexes.get(id)
            && Arc::ptr_eq(&index.view, &view)
        {
            return Ok(index.clone());
        }
        let blobs = attachments::blobs(&view);
        let index = BlobIndex {
            view,
            blobs: Arc::new(blobs),
        };
        self.blob_indexes.insert(id.clone(), index.clone());
        Ok(index)
    }

    /// The communities for which `peer` may fetch `hash`: held ones where it
    /// is an active member that reference it (the blob store then serves
    /// it only if it holds the blob for one of them).
    pub(crate) fn may_serve(&mut self, peer: &DeviceKey, hash: &str) -> Vec<String> {
        if !attachments::is_hash(hash) {
            return Vec::new();
        }
        let shared = self.shared_with(peer);
        shared
            .into_iter()
            .filter(|id| {
                self.blob_index(&CommunityId(id.clone()))
                    .is_ok_and(|index| index.blobs.contains_key(hash))
            })
            .collect()
    }

    /// What to fetch from `peer` at once: in communities shared with it,
    /// every thumbnail, and files up to the automatic size, smallest first,
    /// within the cache limit.
    pub(crate) fn wanted_from(&mut self, peer: &DeviceKey) -> Vec<Wanted> {
        let settings = StorageSettings::read(self.dir.root());
        let mut out: BTreeMap<String, (Role, u64, String)> = BTreeMap::new();
        for id in self.shared_with(peer) {
            let Ok(index) = self.blob_index(&CommunityId(id.clone())) else {
                continue;
            };
            for (hash, &(role, size)) in index.blobs.iter() {
                let wanted = match role {
                    Role::Thumbnail => size <= attachments::MAX_THUMB,
                    Role::File => size <= settings.auto_fetch,
                };
                if wanted {
                    out.entry(hash.clone()).or_insert((role, size, id.clone()));
                }
            }
        }
        // Thumbnails first, then the smallest files while the cache has room.
        let mut wanted: Vec<(Role, u64, String, String)> = out
            .into_iter()
            .map(|(hash, (role, size, community))| (role, size, hash, community))
            .collect();
        wanted.sort();
        let mut room = settings.cache_limit;
        wanted
            .into_iter()
            .filter(|(role, size, _, _)| match role {
                Role::Thumbnail => true,
                Role::File if *size <= room => {
                    room -= size;
                    true
                }
                Role::File => false,
            })
            .map(|(_, size, hash, community)| Wanted {
                hash,
                size,
                community,
            })
            .collect()
    }

    /// How every blob referenced by a held community is used.
    pub(crate) fn blob_uses(&mut self) -> Result<BTreeMap<String, BlobUse>, CoreError> {
        let mut out: BTreeMap<String, BlobUse> = BTreeMap::new();
        let ids: Vec<CommunityId> = self.communities.keys().cloned().collect();
        for id in ids {
            let index = self.blob_index(&id)?;
            for (hash, &(role, _)) in index.blobs.iter() {
                // A file anywhere is a file.
                let entry = out.entry(hash.clone()).or_insert_with(|| BlobUse {
                    communities: BTreeSet::new(),
                    thumbnail: true,
                });
                entry.communities.insert(id.clone());
                entry.thumbnail &= role == Role::Thumbnail;
            }
        }
        Ok(out)
    }
}
