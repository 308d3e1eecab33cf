//! What the node tells its callers.

use passerelle_model::{CommunityId, DeviceKey};

/// What the node tells its callers.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A community's documents changed.
    Changed {
        /// Which community.
        community: CommunityId,
    },
    /// A community was created or loaded.
    CommunityAdded {
        /// Which community.
        community: CommunityId,
    },
    /// The profile (display name) changed.
    ProfileChanged,
    /// Changes from a peer were merged (and written to disk).
    Received {
        /// Which community.
        community: CommunityId,
        /// The peer that sent them.
        peer: DeviceKey,
    },
    /// Changes received from a peer were refused by the gate (not signed
    /// by their device, written by a device that is not a member, a second
    /// change under one number...): they are not kept.
    Refused {
        /// Which community.
        community: CommunityId,
        /// The peer that sent them.
        peer: Option<DeviceKey>,
        /// How many.
        count: usize,
        /// The first one's reason, in words.
        reason: String,
    },
    /// Something happened on the network.
    Network(passerelle_sync::NetEvent),
}
