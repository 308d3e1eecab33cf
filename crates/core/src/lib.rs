//! The Passerelle node: storage, identity and the one actor that owns the
//! documents.
//!
//! [`Node::start`] opens a data directory (locking it against a second
//! process), loads every community, and spawns the actor task that alone
//! holds the Automerge documents. Callers (the app, the CLI) talk to it
//! through a cheap, cloneable [`Handle`]: async commands in, a broadcast
//! stream of [`Event`]s out. A command returns only once its change is on disk.
#![warn(missing_docs)]

// Modules form layers, listed in `tests/module_layers.rs`: each uses only
// the layers below it; a module's children may use their parent.
mod archive;
mod backup;
mod bundle;
mod clock;
mod datadir;
mod error;
mod event;
mod export;
mod files;
mod fsio;
mod handle;
mod identity;
mod network;
mod node;
mod picture;
mod profile;
mod refused;
mod replica;
mod seal;
mod settings;
mod store;

pub use archive::{ArchiveFailure, ArchiveRun, Archived, private_dir};
pub use backup::{
    OpenedBackup, Restored, RestoredCommunity, open_backup, restore_backup,
    restore_backup_over_unused,
};
pub use bundle::{BundleCheck, BundleImport, verify_bundle};
pub use datadir::{DataDir, default_data_dir};
pub use error::{
    AttachError, BackupError, BundleError, CoreError, NetError, PassphraseError, ReceiveError,
    Refusal, SessionError,
};
pub use event::Event;
pub use export::{ExportFormat, ImportKind, ImportReport, Imported};
pub use files::{AttachmentInfo, Collected, StorageReport, Usage};
pub use fsio::write_atomic;
pub use handle::{CommunitySummary, Handle, Node, NodeConfig};
pub use identity::RenewedIdentity;
pub use network::{NetOptions, NodeInfo, SyncSummary};
pub use node::Stopped;
pub use passerelle_sync::ticket::{qr_image, qr_png};
pub use passerelle_sync::{
    EndpointAddr, IdentityError, InviteTicket, NetEvent, Rejection, SessionStats, Ticket,
    TicketError,
};
pub use picture::{PICTURE_SIDE, Prepared, THUMB_SIDE, prepare as prepare_attachment};
pub use profile::Profile;
pub use refused::{Evidence, RefusedChange, SignatureRecord};
pub use replica::NodeReplica;
pub use seal::{Passphrase, is_sealed};
pub use settings::{NetSettings, StorageSettings};
pub use store::Quarantined;

/// The data model, re-exported so callers name one crate.
pub use passerelle_model as model;
