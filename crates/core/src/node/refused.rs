//! The refused changes of a held community, kept aside in its log.

use passerelle_model::CommunityId;

use super::State;
use crate::error::CoreError;
use crate::refused::{Log, RefusedChange};

impl State {
    /// Keeps refused changes aside in a held community's log. A failure
    /// (a full disk) is logged, not fatal: nothing of the documents
    /// depends on it.
    pub(crate) fn keep_refused(&self, id: &CommunityId, entries: &[RefusedChange]) {
        if !self.communities.contains_key(id) {
            // A community being joined has no directory yet.
            return;
        }
        let log = Log::of(&self.store.community_dir(id));
        if let Err(e) = log.append(self.dir.seal(), entries) {
            tracing::warn!("community {id}: could not keep refused changes aside: {e}");
        }
    }

    /// The refused changes kept for a community, oldest first.
    pub(crate) fn refused_changes(
        &self,
        id: &CommunityId,
    ) -> Result<Vec<RefusedChange>, CoreError> {
        if !self.communities.contains_key(id) {
            return Err(CoreError::UnknownCommunity(id.clone()));
        }
        let log = Log::of(&self.store.community_dir(id));
        log.read(self.dir.seal())
            .map_err(CoreError::io("read", &log.dir))
    }
}
