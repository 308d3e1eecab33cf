//! Bringing communities made before signed changes under them
//! ([`passerelle_model::epoch`]), each time one is opened or written to.
//!
//! In such a community this device signs its own latest change of each
//! document, so its earlier, unsigned writing is vouched for and served with
//! a signature; and the device of an admin writes the signed epoch, once,
//! after which every device that holds it refuses unsigned changes.

use passerelle_model::{CommunityId, DocKind, epoch, gate};

use super::{State, sign};
use crate::error::CoreError;

impl State {
    /// Signs this device's own writing in a community made before signed
    /// changes, then writes its epoch if this is an admin's device and
    /// there is none yet. Nothing to do in a signed or migrated community.
    pub fn migrate(&mut self, id: &CommunityId) -> Result<(), CoreError> {
        let (actor, secret) = (self.actor.clone(), self.secret.clone());
        let loaded = self.loaded(id)?;
        let ledger = loaded.ledgers.entry(DocKind::Community).or_default();
        let Some(community) = loaded.docs.doc_mut(DocKind::Community) else {
            return Ok(());
        };
        if ledger
            .genesis(community)
            .is_some_and(|(g, _)| gate::signed_at(community, &g))
        {
            return Ok(());
        }
        for (kind, doc) in loaded.docs.docs_mut() {
            let ledger = loaded.ledgers.entry(kind).or_default();
            // A signature of this device already there covers its writing:
            // what it wrote since this version was signed as it was written.
            if ledger.signatures.latest(&actor).is_none() {
                ledger.sign_own(doc, &[], &actor, |h| sign(&secret, h));
            }
        }
        self.write_epoch(id)
    }

    /// Writes the signed epoch of a community made before signed changes,
    /// if this device is an admin's, holds every document (so the epoch
    /// lists them all) and holds no epoch yet (one naming heads it does not
    /// hold, such as a member's bogus one, does not stop it).
    pub fn write_epoch(&mut self, id: &CommunityId) -> Result<(), CoreError> {
        let device = self.device.clone();
        let loaded = self.loaded(id)?;
        let whole = loaded.docs.docs().count() == DocKind::ALL.len();
        let ledger = loaded.ledgers.entry(DocKind::Community).or_default();
        let Some(community) = loaded.docs.doc_mut(DocKind::Community) else {
            return Ok(());
        };
        if !whole || ledger.requires_signatures(community) || !epoch::may_write(community, &device)
        {
            return Ok(());
        }
        epoch::write(&mut loaded.docs, crate::clock::now())?;
        tracing::info!(
            "community {id}: signed epoch written; unsigned changes are refused from now on"
        );
        if let Err(e) = self.persist(id, DocKind::Community) {
            self.reload(id);
            return Err(e);
        }
        self.changed(id, None);
        Ok(())
    }
}
