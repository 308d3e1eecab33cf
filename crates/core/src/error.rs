//! What can go wrong in the node, in words a user can act on.

use std::path::PathBuf;

use passerelle_model::{CommandError, CommunityId, LayoutError};

/// An error from the node.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The data directory path is not a directory.
    #[error(
        "the data directory {0} exists but is not a directory; choose another path with --data-dir"
    )]
    NotADirectory(PathBuf),
    /// Another Passerelle process uses this data directory.
    #[error("the data directory {0} is in use by another Passerelle process; close it first")]
    Locked(PathBuf),
    /// A file could not be read or written.
    #[error("cannot {action} {path}: {}", explain(cause))]
    Io {
        /// What was being done ("write", "read"...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why (part of the message, so not a separate source).
        cause: std::io::Error,
    },
    /// The device identity could not be loaded or created.
    #[error(transparent)]
    Identity(#[from] passerelle_sync::IdentityError),
    /// No display name has been chosen yet.
    #[error("choose your name first (passerelle-node init --name NAME)")]
    NoProfile,
    /// No community with this id on this device.
    #[error("no community with id '{0}' on this device (see: passerelle-node community list)")]
    UnknownCommunity(CommunityId),
    /// The command was refused; nothing was written.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// A document is not shaped as expected (boxed: rare, and large).
    #[error(transparent)]
    Layout(Box<LayoutError>),
    /// A file on disk is damaged.
    #[error("{path} is damaged ({reason}); it was moved to {quarantine}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        reason: String,
        /// Where it is now.
        quarantine: PathBuf,
    },
    /// Networking failed (peer unreachable, invite refused...).
    #[error("{0}")]
    Net(String),
    /// A network command was given while networking is off.
    #[error("networking is not started on this node")]
    NoNetwork,
    /// Joining a community this device already holds.
    #[error("this device is already a member of community {0}")]
    AlreadyMember(CommunityId),
    /// A bundle file was refused; nothing was changed.
    #[error("bundle refused: {0}; nothing was changed")]
    Bundle(String),
    /// The data directory is encrypted and no passphrase was given.
    #[error(
        "the data directory {0} is encrypted: give its passphrase (PASSERELLE_PASSPHRASE, or type it when asked)"
    )]
    Sealed(PathBuf),
    /// A passphrase was refused (wrong, or too short for a new one).
    #[error("{0}")]
    Passphrase(String),
    /// A personal backup cannot be made or restored; nothing was written.
    #[error("{0}")]
    Backup(String),
    /// The node has stopped.
    #[error("the Passerelle node has stopped")]
    Stopped,
    /// An internal error stopped this action; what it left half done was
    /// undone, and the node goes on.
    #[error("an internal error stopped this action; the node goes on")]
    Failed,
    /// A file to import cannot be read at all; nothing was changed.
    #[error("import refused: {0}; nothing was changed")]
    Import(#[from] passerelle_model::export::FileError),
}

impl From<LayoutError> for CoreError {
    fn from(e: LayoutError) -> Self {
        CoreError::Layout(Box::new(e))
    }
}

impl CoreError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> CoreError {
        let path = path.into();
        move |cause| CoreError::Io {
            action,
            path,
            cause,
        }
    }
}

/// What a user can do about a failed read or write.
fn explain(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::StorageFull => "the disk is full; free some space, then try again".into(),
        ErrorKind::ReadOnlyFilesystem => "the disk is read-only (a locked USB stick or SD card?); \
             use a writable place with --data-dir"
            .into(),
        ErrorKind::PermissionDenied => {
            "permission denied; check who owns the data directory".into()
        }
        _ => e.to_string(),
    }
}
