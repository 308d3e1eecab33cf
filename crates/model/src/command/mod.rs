//! Typed commands: the only way a community changes.
//!
//! A command is validated against the current documents before anything is
//! written, so invalid input never reaches a document. Applying one produces
//! exactly one Automerge change in exactly one document, stamped with the time
//! the caller passed in.

mod access;
mod agenda;
mod annuaire;
pub mod attachments;
mod booking;
mod community;
mod devices;
mod exchanges;
mod fil;
mod groups;
mod ideas;
mod members;
pub mod moderation;
mod savoirs;
mod thread;
mod validate;
mod workshop;

pub use agenda::AgendaCommand;
pub use annuaire::AnnuaireCommand;
pub use attachments::{AttachmentCommand, NewAttachment};
pub use booking::BookingCommand;
pub use community::CommunityCommand;
pub use exchanges::ExchangeCommand;
pub use fil::FilCommand;
pub use groups::GroupCommand;
pub use ideas::IdeaCommand;
pub use members::MemberCommand;
pub use moderation::ModerationCommand;
pub use savoirs::SavoirsCommand;
pub use workshop::WorkshopCommand;

use crate::entities::ItemKind;
use crate::ids::{DeviceKey, Timestamp};
use crate::layout::{CommunityDocs, DocKind, LayoutError, commit};

use access::Context;
pub(crate) use access::Rules;

/// Longest title or name, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest free text (description, post, idea), in characters.
pub const MAX_TEXT: usize = 20_000;
/// Most tags on one annuaire entry.
pub const MAX_TAGS: usize = 30;

/// Checks a required name or title (trimmed, 1 to [`MAX_TITLE`] characters).
pub fn check_name(field: &'static str, value: &str) -> Result<String> {
    validate::required(field, value, MAX_TITLE)
}

/// Checks a free text (trimmed, at most [`MAX_TEXT`] characters).
pub fn check_text(field: &'static str, value: &str) -> Result<String> {
    validate::limit(field, value, MAX_TEXT)
}

/// Who is acting: the device that issues the command.
#[derive(Clone, Debug)]
pub struct Author {
    /// The device's public key; it must belong to a member.
    pub device: DeviceKey,
}

/// A change to a community, by area. Each area's commands are an enum of
/// the module that applies them; an area writes to one document (moderation
/// and booking to the document of the item they concern).
#[derive(Clone, Debug)]
pub enum Command {
    /// The community's name, description, categories and themes.
    Community(CommunityCommand),
    /// Members, their roles and devices, invites.
    Members(MemberCommand),
    /// Offers and needs.
    Exchanges(ExchangeCommand),
    /// Events and RSVPs.
    Agenda(AgendaCommand),
    /// Groups, their members, threads and meetings.
    Groups(GroupCommand),
    /// Ideas of the community's typology.
    Ideas(IdeaCommand),
    /// The Atelier: workshops, their tables and ideas.
    Workshop(WorkshopCommand),
    /// The annuaire's entries and links.
    Annuaire(AnnuaireCommand),
    /// Savoirs sheets.
    Savoirs(SavoirsCommand),
    /// The fil: posts and comments.
    Fil(FilCommand),
    /// Hiding, deleting and locking items.
    Moderation(ModerationCommand),
    /// Bookable places and their bookings.
    Booking(BookingCommand),
    /// Pictures and files attached to items.
    Attachments(AttachmentCommand),
}

/// Why a command was refused. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A required text is empty.
    #[error("the {0} must not be empty")]
    Empty(&'static str),
    /// A text is longer than allowed.
    #[error("the {field} is too long ({len} characters, at most {max})")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The category is not one of the community's.
    #[error("unknown category '{given}' (known: {known})")]
    UnknownCategory {
        /// What was given.
        given: String,
        /// The community's categories.
        known: String,
    },
    /// The theme is not in the typology.
    #[error("unknown theme '{given}' (known: {known})")]
    UnknownTheme {
        /// What was given.
        given: String,
        /// The typology.
        known: String,
    },
    /// No such item.
    #[error("no {kind} with id '{id}' in this community")]
    NotFound {
        /// What was looked for.
        kind: &'static str,
        /// The id given.
        id: String,
    },
    /// An item with this id exists already.
    #[error("an item with id '{0}' already exists")]
    Duplicate(String),
    /// This device does not belong to any member.
    #[error("this device is not a member of the community")]
    NotAMember,
    /// The member's role does not allow it.
    #[error("only {0} can do this")]
    NotAllowed(&'static str),
    /// An event ends before it starts.
    #[error("the end is before the start")]
    EndBeforeStart,
    /// A capacity or table number must be positive.
    #[error("the {0} must be a positive number")]
    NotPositive(&'static str),
    /// An invite does not admit anyone.
    #[error("{0}")]
    Invite(crate::entities::InviteRefusal),
    /// The same category or theme exists already.
    #[error("'{0}' already exists")]
    AlreadyExists(String),
    /// The workshop is closed.
    #[error("this workshop is closed")]
    Closed,
    /// No such table in the workshop.
    #[error("there is no table {table} (tables 1 to {tables})")]
    NoSuchTable {
        /// The table given.
        table: i64,
        /// How many tables the workshop has.
        tables: i64,
    },
    /// The item was deleted by a moderator.
    #[error("this item was deleted by a moderator and cannot be changed")]
    Deleted,
    /// The thread is locked.
    #[error("this thread is locked by a moderator")]
    Locked,
    /// This kind of item has no thread to lock.
    #[error("a {0} has no thread to lock (échanges, groups and posts do)")]
    NotLockable(ItemKind),
    /// A member revoking their own last active device.
    #[error(
        "this is your last active device: link another device first (or ask an animateur to revoke it)"
    )]
    LastDevice,
    /// Ideas of different workshops cannot be merged.
    #[error("these ideas are not all from the same workshop")]
    DifferentWorkshops,
    /// The place is not bookable.
    #[error("this place is not bookable (make it bookable first)")]
    NotBookable,
    /// A booking or opening hours do not fit.
    #[error("{0}")]
    Hours(crate::booking::HoursError),
    /// An attachment's description is not acceptable (its hash, size, type,
    /// name, thumbnail, or one too many on the item).
    #[error("the attachment's {0} is not acceptable")]
    BadAttachment(&'static str),
    /// The documents are not shaped as expected (boxed: rare, and large).
    #[error(transparent)]
    Layout(Box<LayoutError>),
}

impl<E: Into<LayoutError>> From<E> for CommandError {
    fn from(e: E) -> Self {
        CommandError::Layout(Box::new(e.into()))
    }
}

/// What applying a command did.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The document that received the change.
    pub doc: DocKind,
    /// The id of the item created or changed.
    pub id: String,
}

pub(crate) type Result<T, E = CommandError> = std::result::Result<T, E>;

impl CommunityDocs {
    /// Validates and applies a command as one change. On error nothing is written.
    pub fn apply(&mut self, author: &Author, command: Command, now: Timestamp) -> Result<Outcome> {
        let message = command.name();
        let mut ctx = Context::read(self, author)?;
        for device in revoked_devices(self, &command) {
            let seen = self.seen_ops(&device);
            ctx.seen.insert(device.0, seen);
        }
        let kind = command.doc();
        let keeps_rules = !command.changes_rules();
        // Booking commands are checked against the annuaire's places, read
        // from the community document before the target is borrowed.
        let places = match &command {
            Command::Booking(_) => booking::places(self.community_mut())?,
            _ => Default::default(),
        };
        let doc = self.doc_mut(kind).ok_or(LayoutError::Missing {
            doc: kind.as_str(),
            field: "kind",
        })?;
        let applied = match command {
            Command::Community(c) => c.apply(doc, &ctx),
            Command::Members(c) => c.apply(doc, &ctx, now),
            Command::Exchanges(c) => c.apply(doc, &ctx, now),
            Command::Agenda(c) => c.apply(doc, &ctx, now),
            Command::Groups(c) => c.apply(doc, &ctx, now),
            Command::Ideas(c) => c.apply(doc, &ctx, now),
            Command::Workshop(c) => c.apply(doc, &ctx, now),
            Command::Annuaire(c) => c.apply(doc, &ctx, now),
            Command::Savoirs(c) => c.apply(doc, &ctx, now),
            Command::Fil(c) => c.apply(doc, &ctx, now),
            Command::Moderation(c) => c.apply(doc, &ctx, now),
            Command::Booking(c) => c.apply(doc, &ctx, &places, now),
            Command::Attachments(c) => c.apply(doc, &ctx, now),
        };
        match applied {
            Ok(id) => {
                commit(doc, message, now);
                if kind == DocKind::Community && keeps_rules {
                    // Our own change left members, categories and themes
                    // as they were: the cached rules stay valid.
                    let heads = self.community_mut().get_heads();
                    if let Some(rules) = self.rules.as_mut() {
                        std::sync::Arc::make_mut(rules).heads = heads;
                    }
                }
                Ok(Outcome { doc: kind, id })
            }
            Err(e) => {
                doc.rollback();
                Err(e)
            }
        }
    }
}

/// The devices a command revokes: what this copy holds of their writing is
/// recorded with the revocation, the rest will be ignored everywhere.
fn revoked_devices(docs: &CommunityDocs, command: &Command) -> Vec<DeviceKey> {
    match command {
        Command::Members(MemberCommand::RemoveMember { member }) => {
            Context::devices_of(docs, member)
        }
        Command::Members(MemberCommand::RevokeDevice { device, .. }) => vec![device.clone()],
        _ => Vec::new(),
    }
}

impl Command {
    /// Whether a command changes what commands are checked against (members,
    /// their roles and devices, categories, themes).
    fn changes_rules(&self) -> bool {
        match self {
            Command::Community(_) => true,
            Command::Members(c) => c.changes_rules(),
            _ => false,
        }
    }

    /// The document a command writes to.
    fn doc(&self) -> DocKind {
        match self {
            Command::Community(_)
            | Command::Members(_)
            | Command::Groups(_)
            | Command::Annuaire(_) => DocKind::Community,
            Command::Exchanges(_) => DocKind::Exchanges,
            Command::Agenda(_) => DocKind::Agenda,
            Command::Ideas(_) | Command::Workshop(_) => DocKind::Ideas,
            Command::Savoirs(_) => DocKind::Savoirs,
            Command::Fil(_) => DocKind::Fil,
            Command::Moderation(c) => c.doc(),
            Command::Booking(c) => c.doc(),
            Command::Attachments(c) => c.doc(),
        }
    }

    /// A short name for the change message (kept in every change: it must
    /// not change).
    fn name(&self) -> &'static str {
        match self {
            Command::Community(c) => c.name(),
            Command::Members(c) => c.name(),
            Command::Exchanges(c) => c.name(),
            Command::Agenda(c) => c.name(),
            Command::Groups(c) => c.name(),
            Command::Ideas(c) => c.name(),
            Command::Workshop(c) => c.name(),
            Command::Annuaire(c) => c.name(),
            Command::Savoirs(c) => c.name(),
            Command::Fil(c) => c.name(),
            Command::Moderation(c) => c.name(),
            Command::Booking(c) => c.name(),
            Command::Attachments(c) => c.name(),
        }
    }
}
