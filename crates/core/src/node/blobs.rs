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
    /// Those this device's member added (files and their thumbnails).
    pub own: Arc<BTreeSet<String>>,
}

/// How one blob is used across the communities held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlobUse {
    /// The communities referencing it.
    pub communities: BTreeSet<CommunityId>,
    /// A thumbnail somewhere.
    pub thumbnail: bool,
    /// Added by this device's member somewhere.
    pub own: bool,
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
        let me = view
            .community
            .member_for_device(&self.device)
            .map(|m| m.id.clone());
        let mut own = BTreeSet::new();
        for used in attachments::used(&view) {
            let a = used.attachment;
            if Some(&a.added_by) == me.as_ref() {
                own.insert(a.hash.clone());
                own.extend(a.thumb.as_ref().map(|t| t.hash.clone()));
            }
        }
        let index = BlobIndex {
            view,
            blobs: Arc::new(blobs),
            own: Arc::new(own),
        };
        self.blob_indexes.insert(id.clone(), index.clone());
        Ok(index)
    }

    /// Whether `peer` may fetch `hash`: an active member of a held community
    /// that references it.
    pub(crate) fn may_serve(&mut self, peer: &DeviceKey, hash: &str) -> bool {
        if !attachments::is_hash(hash) {
            return false;
        }
        let shared = self.shared_with(peer);
        shared.into_iter().any(|id| {
            self.blob_index(&CommunityId(id))
                .is_ok_and(|index| index.blobs.contains_key(hash))
        })
    }

    /// What to fetch from `peer` at once: in communities shared with it,
    /// every thumbnail, every file this device's member added, and files up
    /// to the automatic size.
    pub(crate) fn wanted_from(&mut self, peer: &DeviceKey) -> Vec<Wanted> {
        let auto = StorageSettings::read(self.dir.root()).auto_fetch;
        let mut out: BTreeMap<String, u64> = BTreeMap::new();
        for id in self.shared_with(peer) {
            let Ok(index) = self.blob_index(&CommunityId(id)) else {
                continue;
            };
            for (hash, &(role, size)) in index.blobs.iter() {
                if role == Role::Thumbnail || size <= auto || index.own.contains(hash) {
                    let entry = out.entry(hash.clone()).or_default();
                    *entry = (*entry).max(size);
                }
            }
        }
        // Thumbnails are the smallest: they come first.
        let mut wanted: Vec<Wanted> = out
            .into_iter()
            .map(|(hash, size)| Wanted { hash, size })
            .collect();
        wanted.sort_by_key(|w| w.size);
        wanted
    }

    /// How every blob referenced by a held community is used.
    pub(crate) fn blob_uses(&mut self) -> Result<BTreeMap<String, BlobUse>, CoreError> {
        let mut out: BTreeMap<String, BlobUse> = BTreeMap::new();
        let ids: Vec<CommunityId> = self.communities.keys().cloned().collect();
        for id in ids {
            let index = self.blob_index(&id)?;
            for (hash, &(role, _)) in index.blobs.iter() {
                let entry = out.entry(hash.clone()).or_default();
                entry.communities.insert(id.clone());
                entry.thumbnail |= role == Role::Thumbnail;
                entry.own |= index.own.contains(hash);
            }
        }
        Ok(out)
    }
}
