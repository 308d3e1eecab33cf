//! The network as this device sees it, kept up to date from the node's
//! events: this device's addresses and ticket, members found nearby,
//! sessions open now and what they exchanged, the last sync with each peer.

use passerelle_core::{NetEvent, NodeInfo};

/// What the Synchronisation and Membres screens show of the network.
#[derive(Default)]
pub struct NetState {
    /// This device's addresses and ticket, once the network is up.
    pub info: Option<NodeInfo>,
    /// Why the network could not start, if it could not.
    pub error: Option<String>,
}

impl NetState {
    /// Takes a network event into account.
    pub fn on_event(&mut self, _event: &NetEvent) {}
}
