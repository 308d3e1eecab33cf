//! The Passerelle node: storage, identity and the one actor that owns the
//! documents.
//!
//! [`Node::start`] opens a data directory (locking it against a second
//! process), loads every community, and spawns the actor task that alone
//! holds the Automerge documents. Callers (the app, the CLI) talk to it
//! through a cheap, cloneable [`Handle`]: async commands in, a broadcast
//! stream of [`Event`]s out. A command returns only once its change is on disk.
#![warn(missing_docs)]

mod backup;
mod bundle;
mod datadir;
mod error;
mod export;
mod handle;
mod identity;
mod migrate;
mod network;
mod node;
mod peers;
mod refused;
mod seal;
mod store;
mod viewstore;

pub use backup::{Restored, RestoredCommunity, restore_backup};
pub use bundle::BundleImport;
pub use datadir::{DataDir, default_data_dir, write_atomic};
pub use error::CoreError;
pub use export::{ExportFormat, ImportKind, ImportReport, Imported};
pub use handle::{CommunitySummary, Event, Handle, Node, NodeConfig, Profile};
pub use identity::RenewedIdentity;
pub use network::{NetOptions, NetSettings, NodeInfo, NodeReplica, SyncSummary};
pub use passerelle_sync::ticket::{qr_image, qr_png};
pub use passerelle_sync::{
    EndpointAddr, InviteTicket, NetEvent, SessionStats, Ticket, TicketError,
};
pub use refused::{Evidence, RefusedChange, SignatureRecord};
pub use seal::{Passphrase, is_sealed};
pub use store::Quarantined;

/// The data model, re-exported so callers name one crate.
pub use passerelle_model as model;
