//! Entries of a lockable item's thread (a reply to an échange, a message in
//! a group, a comment on a post), each added the same way: never to a
//! locked thread, never over an entry already there.

use automerge::AutoCommit;
use autosurgeon::Reconcile;

use super::access::{has_entry, put_entry};
use super::moderation::{ensure_unlocked, home, thread_of};
use super::{CommandError, Result};
use crate::entities::ItemKind;
use crate::ids::ItemId;

/// Adds the entry `id` to the thread of the item `item` of `kind`: the
/// thread must be unlocked, then the entry is built (its checks), then it
/// must be new. Returns the entry's id.
pub(super) fn add_to_thread<T: Reconcile>(
    doc: &mut AutoCommit,
    (kind, item): (ItemKind, &ItemId),
    id: ItemId,
    entry: impl FnOnce() -> Result<T>,
) -> Result<String> {
    let field = thread_of(kind).ok_or(CommandError::NotLockable(kind))?;
    ensure_unlocked(doc, kind, item.as_str())?;
    let entry = entry()?;
    let (doc_kind, coll) = home(kind);
    let item = (coll, kind.as_str(), item.as_str());
    if has_entry(doc, doc_kind, item, field, id.as_str())? {
        return Err(CommandError::Duplicate(id.0));
    }
    put_entry(doc, doc_kind, item, field, id.as_str(), &entry)?;
    Ok(id.0)
}
