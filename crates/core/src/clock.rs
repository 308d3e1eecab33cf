//! The node's clock and fresh ids: the one place that reads the wall clock
//! and draws randomness for new items.

use std::time::{SystemTime, UNIX_EPOCH};

use passerelle_model::{ItemId, Timestamp};

/// The current time, in milliseconds since the epoch.
pub(crate) fn now() -> Timestamp {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Timestamp)
        .unwrap_or(0)
}

/// Fresh randomness for ids.
pub(crate) fn random() -> u128 {
    rand::random()
}

/// A new item id.
pub(crate) fn new_item_id() -> ItemId {
    ItemId::from_parts(now(), random())
}
