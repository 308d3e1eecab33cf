//! What can go wrong in the node, as typed errors.
//!
//! Their `Display` is the English sentence `passerelle-node` prints; it
//! names no command-line option or command, which `passerelle-commands`
//! adds as hints. The app matches on the variants and says them in the
//! user's language (`app/src/i18n/errors.rs`).

use std::path::PathBuf;

use passerelle_model::entities::InviteRefusal;
use passerelle_model::{CommandError, CommunityId, LayoutError};
pub use passerelle_sync::{ReceiveError, SessionError};

/// An error from the node.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The data directory path is not a directory.
    #[error("the data directory {0} exists but is not a directory")]
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
    #[error("choose your name first")]
    NoProfile,
    /// No community with this id on this device.
    #[error("no community with id '{0}' on this device")]
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
    #[error(transparent)]
    Net(#[from] NetError),
    /// A network command was given while networking is off.
    #[error("networking is not started on this node")]
    NoNetwork,
    /// Joining a community this device already holds.
    #[error("this device is already a member of community {0}")]
    AlreadyMember(CommunityId),
    /// A bundle file was refused; nothing was changed.
    #[error("bundle refused: {0}; nothing was changed")]
    Bundle(BundleError),
    /// The data directory is encrypted and no passphrase was given.
    #[error("the data directory {0} is encrypted: give its passphrase")]
    Sealed(PathBuf),
    /// A passphrase was refused (wrong, or too short for a new one).
    #[error(transparent)]
    Passphrase(PassphraseError),
    /// A personal backup cannot be made or restored; nothing was written.
    #[error(transparent)]
    Backup(BackupError),
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
    /// A picture or a file could not be attached, found or fetched.
    #[error(transparent)]
    Attach(#[from] AttachError),
}

/// Why a picture or a file could not be attached, read or fetched.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AttachError {
    /// The file is larger than a community takes.
    #[error("the file is {size} bytes; a community takes files of at most {max} bytes")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The file is empty.
    #[error("the file is empty")]
    Empty,
    /// The file could not be read (the system's words).
    #[error("the file cannot be read ({0})")]
    Unreadable(String),
    /// It says it is a picture but does not decode (the decoder's words).
    #[error("the picture cannot be read ({0})")]
    BadPicture(String),
    /// The bytes are not on this device yet.
    #[error(
        "this file is not on this device yet: it will be fetched at the next meeting with a member who has it"
    )]
    NotHere,
    /// The community references no such file.
    #[error("no attachment with hash '{0}' in this community")]
    Unknown(String),
    /// No peer at hand gave it (the last peer's words).
    #[error("no device at hand gave this file ({0})")]
    NotGiven(String),
    /// The file store failed (its words).
    #[error("the file store failed ({0})")]
    Store(String),
}

impl From<passerelle_sync::BlobError> for AttachError {
    fn from(e: passerelle_sync::BlobError) -> Self {
        use passerelle_sync::BlobError as B;
        match e {
            B::Missing => AttachError::NotHere,
            B::BadHash(h) => AttachError::Unknown(h),
            B::NotGiven(w) => AttachError::NotGiven(w),
            B::TooLarge { offered, max } => AttachError::NotGiven(format!(
                "it offered {offered} bytes where {max} were expected"
            )),
            B::Store(w) => AttachError::Store(w),
        }
    }
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
        ErrorKind::ReadOnlyFilesystem => {
            "the disk is read-only (a locked USB stick or SD card?); use a writable place".into()
        }
        ErrorKind::PermissionDenied => {
            "permission denied; check who owns the data directory".into()
        }
        _ => e.to_string(),
    }
}

/// Why a network operation failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum NetError {
    /// `PASSERELLE_BIND` holds something other than an IP address.
    #[error("PASSERELLE_BIND={0} is not an IP address (for example 127.0.0.1)")]
    BadBind(String),
    /// The endpoint could not be created (the system's words).
    #[error("cannot start networking: {0}")]
    Endpoint(String),
    /// The peer could not be reached.
    #[error("cannot reach {peer}: {reason}")]
    Unreachable {
        /// Its key.
        peer: String,
        /// What failed (the network stack's words).
        reason: String,
    },
    /// The peer did not answer in time.
    #[error("no answer from {peer} in time")]
    NoAnswer {
        /// Its key.
        peer: String,
    },
    /// A ticket without an invite was given to join.
    #[error("this ticket is a device address, not an invite")]
    NotAnInvite,
    /// The inviting device refused the invite.
    #[error("{0}")]
    InviteRefused(Refusal),
    /// A sync session failed.
    #[error("sync with {peer} failed: {source}")]
    Session {
        /// Its key.
        peer: String,
        /// What went wrong.
        source: SessionError,
    },
    /// Linking a device with an invite for a new member.
    #[error(
        "this ticket was an invite for a new member, not a pairing ticket; this device joined as a new member"
    )]
    NotAPairingTicket,
    /// Admitted by the inviter, but the community did not come.
    #[error("admitted, but the community did not arrive; sync again when the inviter is reachable")]
    NotArrived,
    /// Neither a ticket nor a device key was given to reach a peer.
    #[error("'{0}' is neither a ticket nor a device key")]
    NotATicketOrKey(String),
    /// A relay setting that is not an address.
    #[error("'{0}' is not a relay address (for example https://relay.example.org)")]
    NotARelay(String),
}

/// Why an inviting device refused an invite.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The invite itself (unknown, expired, withdrawn, used).
    #[error("{0}")]
    Invite(InviteRefusal),
    /// Too many failed attempts from this device lately.
    #[error("too many failed attempts; try again in a few minutes")]
    RateLimited,
    /// The device reached does not hold the community.
    #[error("this device does not hold that community")]
    NotHere,
    /// The inviting device failed; its own words (another device's text).
    #[error("the inviting device failed: {0}")]
    Failed(String),
    /// A code this version does not know, with the inviter's words.
    #[error("{message}")]
    Other {
        /// The code.
        code: String,
        /// The inviter's words.
        message: String,
    },
}

impl Refusal {
    /// Reads a refusal code and message received from an inviting device.
    pub fn from_wire(code: &str, message: String) -> Refusal {
        match code {
            "rate_limited" => Refusal::RateLimited,
            "not_here" => Refusal::NotHere,
            "failed" => Refusal::Failed(message),
            _ => match InviteRefusal::from_code(code) {
                Some(r) => Refusal::Invite(r),
                None => Refusal::Other {
                    code: code.to_owned(),
                    message,
                },
            },
        }
    }
}

impl From<passerelle_sync::NetError> for NetError {
    fn from(e: passerelle_sync::NetError) -> Self {
        use passerelle_sync::NetError as E;
        match e {
            E::Bind(detail) => NetError::Endpoint(detail),
            E::Unreachable { peer, reason } => NetError::Unreachable { peer, reason },
            E::Refused { code, .. } if code == "not_an_invite" => NetError::NotAnInvite,
            E::Refused { code, message } => {
                NetError::InviteRefused(Refusal::from_wire(&code, message))
            }
            E::Session { peer, source } => NetError::Session { peer, source },
            E::Timeout(peer) => NetError::NoAnswer { peer },
        }
    }
}

impl From<passerelle_sync::NetError> for CoreError {
    fn from(e: passerelle_sync::NetError) -> Self {
        CoreError::Net(e.into())
    }
}

/// Why a bundle file was refused.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Not a bundle at all.
    #[error("this file is not a Passerelle bundle")]
    NotABundle,
    /// Shorter than its header and checksum.
    #[error("the file is cut short")]
    CutShort,
    /// The checksum does not match the content.
    #[error("the file is damaged (its checksum does not match)")]
    BadChecksum,
    /// The content cannot be decoded.
    #[error("the file is damaged")]
    Damaged,
    /// The community id inside is not well formed.
    #[error("it names no valid community")]
    NoValidCommunity,
    /// A document kind this version does not know (as written in the file).
    #[error("unknown document kind '{0}'")]
    UnknownDocument(String),
    /// One document cannot be read.
    #[error("its {kind} document is damaged: {detail}")]
    DocumentDamaged {
        /// Which document.
        kind: &'static str,
        /// Why (the decoder's words).
        detail: String,
    },
    /// No community document in the file.
    #[error("it has no community document")]
    NoCommunityDocument,
    /// Its community document does not start with the community's genesis.
    #[error("its community document is not the community {community}'s own ({detail})")]
    NotTheCommunity {
        /// The community the bundle names.
        community: CommunityId,
        /// Why.
        detail: String,
    },
    /// Merging a document failed (Automerge's words).
    #[error("{0}")]
    Merge(String),
    /// A document is not shaped as its kind.
    #[error("{0}")]
    Shape(Box<LayoutError>),
    /// A document belongs to another community.
    #[error("its {0} document belongs to another community")]
    OtherCommunity(&'static str),
    /// Every change of the community document was refused.
    #[error("none of its community document's changes could be accepted")]
    NothingAccepted,
    /// This device is not a member of the community it holds.
    #[error("it holds a community this device is not a member of")]
    NotAMember,
}

/// Why a passphrase was refused.
#[derive(Debug, thiserror::Error)]
pub enum PassphraseError {
    /// It does not open the data directory.
    #[error("wrong passphrase")]
    Wrong,
    /// It does not open the backup.
    #[error("wrong passphrase for this backup; nothing was restored")]
    WrongForBackup,
    /// Encrypting without a passphrase.
    #[error("choose a passphrase to encrypt this data directory")]
    Missing,
    /// A new passphrase shorter than 8 characters.
    #[error("choose a passphrase of at least 8 characters")]
    TooShort,
    /// Encrypting a data directory that already holds plain data.
    #[error(
        "{} already holds unencrypted data; encrypt a new data directory, then join your communities from it",
        .0.display()
    )]
    HoldsPlainData(PathBuf),
    /// The key derivation failed (its own words).
    #[error("cannot derive the key: {0}")]
    Derive(String),
}

/// Why a personal backup cannot be restored.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Not a backup, or damaged; `detail` is the reader's words.
    #[error("this file is not a Passerelle backup or is damaged ({0}); nothing was restored")]
    Damaged(String),
    /// Restoring into an encrypted data directory.
    #[error("{} is an encrypted data directory; restore into a new, empty one", .0.display())]
    IntoEncrypted(PathBuf),
    /// Restoring where a device identity exists.
    #[error(
        "{} already holds a device identity; restore into a new, empty data directory",
        .0.display()
    )]
    HoldsIdentity(PathBuf),
    /// The file is not a Passerelle backup at all (another kind of file).
    #[error("this file is not a Passerelle backup; nothing was restored")]
    NotABackup,
    /// Restoring over the identity of a data directory that was used: it
    /// has a profile, a community or an earlier restore.
    #[error(
        "{} is already in use (a name, a community or an earlier restore); restore into a new, empty data directory",
        .0.display()
    )]
    IdentityInUse(PathBuf),
}
