//! Typed commands: the only way a community changes.
//!
//! A command is validated against the current documents before anything is
//! written, so invalid input never reaches a document. Applying one produces
//! exactly one Automerge change in exactly one document, stamped with the time
//! the caller passed in.

mod access;
mod apply;
mod booking;
mod devices;
pub mod moderation;
mod validate;
mod workshop;

use crate::entities::*;
use crate::ids::{DeviceKey, ItemId, MemberId, Timestamp};
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

/// A change to a community.
#[derive(Clone, Debug)]
#[allow(missing_docs)] // Fields repeat the entity fields documented in `entities`.
pub enum Command {
    /// Renames the community or changes its description.
    UpdateCommunity {
        name: Option<String>,
        description: Option<String>,
    },
    /// Adds an échange category.
    AddCategory { label: String },
    /// Adds a theme to the typology.
    AddTheme { label: String },
    /// Adds a member (a newly admitted device's owner).
    AddMember {
        id: MemberId,
        display_name: String,
        role: Role,
        device: DeviceKey,
        device_label: String,
    },
    /// Changes the author's own profile.
    UpdateProfile {
        display_name: Option<String>,
        skills: Option<Vec<String>>,
        languages: Option<Vec<String>>,
    },
    /// Changes a member's role (admins only).
    SetRole { member: MemberId, role: Role },
    /// Removes a member: their devices are no longer served nor allowed to
    /// act (animateurs and admins; anyone may remove themselves).
    RemoveMember { member: MemberId },
    /// Records an invite: the hash of the ticket's one-time secret and its expiry.
    CreateInvite {
        id: ItemId,
        secret_hash: String,
        expires_at: Timestamp,
        /// A pairing ticket: the device it admits is added to this member
        /// (the member themself, or a moderator for recovery).
        member: Option<MemberId>,
    },
    /// Withdraws an invite (its creator, animateurs and admins).
    RevokeInvite { id: ItemId },
    /// Admits the holder of an invite's secret as a new member (or, for a
    /// pairing ticket, adds the device to the invite's member, with
    /// `display_name` as its label), and marks the invite used. Any member
    /// device can do it.
    AdmitMember {
        invite: ItemId,
        secret_hash: String,
        member: MemberId,
        display_name: String,
        device: DeviceKey,
    },

    /// Posts an offer or a need.
    AddExchange {
        id: ItemId,
        kind: ExchangeKind,
        title: String,
        description: String,
        category: String,
        mode: ExchangeMode,
        place: Option<String>,
    },
    /// Edits an échange.
    UpdateExchange {
        id: ItemId,
        title: Option<String>,
        description: Option<String>,
        category: Option<String>,
        mode: Option<ExchangeMode>,
        place: Option<Option<String>>,
    },
    /// Moves an échange to open, in progress or done.
    SetExchangeStatus { id: ItemId, status: ExchangeStatus },
    /// Replies to an échange ("je peux aider", "ça m'intéresse").
    ReplyToExchange {
        exchange: ItemId,
        id: ItemId,
        kind: ReplyKind,
        text: String,
    },
    /// Deletes an échange (its author, or an animateur/admin).
    DeleteExchange { id: ItemId },

    /// Adds an event.
    AddEvent {
        id: ItemId,
        title: String,
        description: String,
        start: Timestamp,
        end: Option<Timestamp>,
        place: Option<String>,
        capacity: Option<i64>,
    },
    /// Edits an event.
    UpdateEvent {
        id: ItemId,
        title: Option<String>,
        description: Option<String>,
        start: Option<Timestamp>,
        end: Option<Option<Timestamp>>,
        place: Option<Option<String>>,
        capacity: Option<Option<i64>>,
    },
    /// Answers an event for the author's member.
    Rsvp { event: ItemId, answer: RsvpAnswer },
    /// Deletes an event.
    DeleteEvent { id: ItemId },

    /// Creates a group; its creator joins it and facilitates it.
    AddGroup {
        id: ItemId,
        name: String,
        theme: Option<String>,
        description: String,
    },
    /// The author joins a group.
    JoinGroup { group: ItemId },
    /// The author leaves a group.
    LeaveGroup { group: ItemId },
    /// Names a group's facilitator.
    SetFacilitator {
        group: ItemId,
        member: Option<MemberId>,
    },
    /// Writes in a group's thread.
    PostInGroup {
        group: ItemId,
        id: ItemId,
        text: String,
    },
    /// Plans (or clears) the group's next meeting.
    SetNextMeeting {
        group: ItemId,
        meeting: Option<Meeting>,
    },
    /// Deletes a group.
    DeleteGroup { id: ItemId },

    /// Adds a workshop idea.
    AddIdea {
        id: ItemId,
        text: String,
        theme: Option<String>,
        table: Option<i64>,
    },
    /// Moves an idea to another theme.
    SetIdeaTheme { idea: ItemId, theme: Option<String> },
    /// The author's member votes for an idea (once).
    Vote { idea: ItemId },
    /// Takes the vote back.
    Unvote { idea: ItemId },
    /// Deletes an idea.
    DeleteIdea { id: ItemId },

    /// Creates a workshop; its creator facilitates it. `themes` is its
    /// typology (an empty id is made from the label).
    CreateWorkshop {
        id: ItemId,
        title: String,
        date: Timestamp,
        tables: i64,
        themes: Vec<Theme>,
    },
    /// Replaces a workshop's typology (its facilitator). Ideas keep their
    /// theme id; one no longer in the typology shows as unsorted.
    EditWorkshopThemes {
        workshop: ItemId,
        themes: Vec<Theme>,
    },
    /// The author's member sits at a table of a workshop.
    JoinTable { workshop: ItemId, table: i64 },
    /// Adds an idea to a workshop, at the table the author sits at.
    AddWorkshopIdea {
        workshop: ItemId,
        id: ItemId,
        text: String,
        theme: Option<String>,
    },
    /// Merges duplicate ideas into `keep` (its workshop's facilitator): their
    /// votes are added to it, once per member, and they are marked merged
    /// into it, not deleted.
    MergeIdeas { keep: ItemId, merged: Vec<ItemId> },
    /// Moves a workshop idea to another theme of its typology (its
    /// workshop's facilitator).
    MoveIdea { idea: ItemId, theme: Option<String> },
    /// Closes a workshop: no more ideas nor seats (its facilitator).
    CloseWorkshop { workshop: ItemId },

    /// Adds an annuaire entry.
    AddActor {
        id: ItemId,
        kind: ActorKind,
        name: String,
        description: String,
        contact: Contact,
        address: Option<String>,
        tags: Vec<String>,
    },
    /// Edits an annuaire entry.
    UpdateActor {
        id: ItemId,
        name: Option<String>,
        description: Option<String>,
        contact: Option<Contact>,
        address: Option<Option<String>>,
        tags: Option<Vec<String>>,
    },
    /// Deletes an annuaire entry and its links.
    DeleteActor { id: ItemId },
    /// Links two annuaire entries.
    LinkActors {
        id: ItemId,
        from: ItemId,
        to: ItemId,
        label: String,
    },
    /// Removes a link.
    Unlink { id: ItemId },

    /// Starts a savoirs sheet with its first sections.
    AddSheet {
        id: ItemId,
        title: String,
        sections: Vec<(String, String)>,
    },
    /// Adds a section at the end of a sheet.
    AddSection {
        sheet: ItemId,
        id: String,
        heading: String,
        body: String,
    },
    /// Replaces a section's body; the difference is merged as text edits.
    EditSection {
        sheet: ItemId,
        section: String,
        heading: Option<String>,
        body: Option<String>,
    },
    /// Deletes a sheet.
    DeleteSheet { id: ItemId },

    /// Posts an announcement.
    AddPost { id: ItemId, text: String },
    /// Comments a post.
    AddComment {
        post: ItemId,
        id: ItemId,
        text: String,
    },
    /// Deletes a post.
    DeletePost { id: ItemId },

    /// Hides or deletes an item, with a reason, or shows a hidden one again
    /// (`action: None`); animateurs and admins. A deletion empties the
    /// item's content and cannot be undone.
    Moderate {
        kind: ItemKind,
        id: ItemId,
        action: Option<ModerationAction>,
        reason: String,
    },
    /// Locks (or unlocks) the thread of an échange, a group or a post:
    /// animateurs and admins.
    LockThread {
        kind: ItemKind,
        id: ItemId,
        locked: bool,
        reason: String,
    },
    /// Revokes one of a member's devices (lost, stolen, replaced): the
    /// member from another active device, or a moderator. What the revoking
    /// device held of the revoked one's writing is recorded (`seen`).
    RevokeDevice { member: MemberId, device: DeviceKey },
    /// Makes an annuaire place bookable, or no longer (`None`): its
    /// creator, its referent, animateurs and admins.
    SetBookable {
        place: ItemId,
        bookable: Option<crate::booking::Bookable>,
    },
    /// Books a bookable place: inside its hours, on its slot grid. Other
    /// bookings are not checked (a device offline cannot know them all):
    /// overlaps become conflicts, see [`crate::booking::schedule`].
    BookPlace {
        id: ItemId,
        place: ItemId,
        start: Timestamp,
        end: Timestamp,
        note: String,
    },
    /// Cancels a booking (the member who booked, the place's referent,
    /// animateurs and admins).
    CancelBooking { booking: ItemId },
    /// Keeps or drops a booking, settling its conflict (the place's
    /// referent, animateurs and admins).
    DecideBooking { booking: ItemId, keep: bool },
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
    Hours(String),
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
        let message = command_name(&command);
        let mut ctx = Context::read(self, author)?;
        for device in revoked_devices(self, &command) {
            let seen = self.seen_ops(&device);
            ctx.seen.insert(device.0, seen);
        }
        let seen = match &command {
            Command::RevokeDevice { device, .. } => {
                ctx.seen.get(device.as_str()).cloned().unwrap_or_default()
            }
            _ => Default::default(),
        };
        let kind = target(&command);
        let keeps_rules = !changes_rules(&command);
        let places = if booking::is_booking(&command) {
            Some(booking::places(self.community_mut())?)
        } else {
            None
        };
        let doc = self.doc_mut(kind).ok_or(LayoutError::Missing {
            doc: kind.as_str(),
            field: "kind",
        })?;
        let applied = match command {
            Command::RevokeDevice { member, device } => {
                devices::revoke(doc, &ctx, (member, device), seen, now)
            }
            command => match &places {
                Some(places) => booking::apply_to(doc, &ctx, places, command, now),
                None => apply::apply_to(doc, &ctx, command, now),
            },
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
        Command::RemoveMember { member } => Context::devices_of(docs, member),
        Command::RevokeDevice { device, .. } => vec![device.clone()],
        _ => Vec::new(),
    }
}

/// Whether a command changes what commands are checked against (members,
/// their roles and devices, categories, themes).
fn changes_rules(command: &Command) -> bool {
    use Command::*;
    matches!(
        command,
        UpdateCommunity { .. }
            | AddCategory { .. }
            | AddTheme { .. }
            | AddMember { .. }
            | UpdateProfile { .. }
            | SetRole { .. }
            | RemoveMember { .. }
            | AdmitMember { .. }
            | RevokeDevice { .. }
    )
}

/// The document a command writes to.
fn target(command: &Command) -> DocKind {
    use Command::*;
    match command {
        UpdateCommunity { .. }
        | AddCategory { .. }
        | AddTheme { .. }
        | AddMember { .. }
        | UpdateProfile { .. }
        | SetRole { .. }
        | RemoveMember { .. }
        | CreateInvite { .. }
        | RevokeInvite { .. }
        | AdmitMember { .. } => DocKind::Community,
        RevokeDevice { .. } => DocKind::Community,
        AddGroup { .. }
        | JoinGroup { .. }
        | LeaveGroup { .. }
        | SetFacilitator { .. }
        | PostInGroup { .. }
        | SetNextMeeting { .. }
        | DeleteGroup { .. } => DocKind::Community,
        AddActor { .. }
        | UpdateActor { .. }
        | DeleteActor { .. }
        | LinkActors { .. }
        | Unlink { .. } => DocKind::Community,
        AddExchange { .. }
        | UpdateExchange { .. }
        | SetExchangeStatus { .. }
        | ReplyToExchange { .. }
        | DeleteExchange { .. } => DocKind::Exchanges,
        AddEvent { .. } | UpdateEvent { .. } | Rsvp { .. } | DeleteEvent { .. } => DocKind::Agenda,
        AddIdea { .. } | SetIdeaTheme { .. } | Vote { .. } | Unvote { .. } | DeleteIdea { .. } => {
            DocKind::Ideas
        }
        CreateWorkshop { .. }
        | EditWorkshopThemes { .. }
        | JoinTable { .. }
        | AddWorkshopIdea { .. }
        | MergeIdeas { .. }
        | MoveIdea { .. }
        | CloseWorkshop { .. } => DocKind::Ideas,
        AddSheet { .. } | AddSection { .. } | EditSection { .. } | DeleteSheet { .. } => {
            DocKind::Savoirs
        }
        AddPost { .. } | AddComment { .. } | DeletePost { .. } => DocKind::Fil,
        Moderate { kind, .. } | LockThread { kind, .. } => moderation::home(*kind).0,
        SetBookable { .. } => DocKind::Community,
        BookPlace { .. } | CancelBooking { .. } | DecideBooking { .. } => DocKind::Agenda,
    }
}

/// A short name for the change message.
fn command_name(command: &Command) -> &'static str {
    use Command::*;
    match command {
        UpdateCommunity { .. } => "update community",
        AddCategory { .. } => "add category",
        AddTheme { .. } => "add theme",
        AddMember { .. } => "add member",
        UpdateProfile { .. } => "update profile",
        SetRole { .. } => "set role",
        RemoveMember { .. } => "remove member",
        CreateInvite { .. } => "create invite",
        RevokeInvite { .. } => "revoke invite",
        AdmitMember { .. } => "admit member",
        RevokeDevice { .. } => "revoke device",
        AddExchange { .. } => "add exchange",
        UpdateExchange { .. } => "update exchange",
        SetExchangeStatus { .. } => "set exchange status",
        ReplyToExchange { .. } => "reply to exchange",
        DeleteExchange { .. } => "delete exchange",
        AddEvent { .. } => "add event",
        UpdateEvent { .. } => "update event",
        Rsvp { .. } => "rsvp",
        DeleteEvent { .. } => "delete event",
        AddGroup { .. } => "add group",
        JoinGroup { .. } => "join group",
        LeaveGroup { .. } => "leave group",
        SetFacilitator { .. } => "set facilitator",
        PostInGroup { .. } => "post in group",
        SetNextMeeting { .. } => "set next meeting",
        DeleteGroup { .. } => "delete group",
        AddIdea { .. } => "add idea",
        SetIdeaTheme { .. } => "set idea theme",
        Vote { .. } => "vote",
        Unvote { .. } => "unvote",
        DeleteIdea { .. } => "delete idea",
        CreateWorkshop { .. } => "create workshop",
        EditWorkshopThemes { .. } => "edit workshop themes",
        JoinTable { .. } => "join table",
        AddWorkshopIdea { .. } => "add workshop idea",
        MergeIdeas { .. } => "merge ideas",
        MoveIdea { .. } => "move idea",
        CloseWorkshop { .. } => "close workshop",
        AddActor { .. } => "add actor",
        UpdateActor { .. } => "update actor",
        DeleteActor { .. } => "delete actor",
        LinkActors { .. } => "link actors",
        Unlink { .. } => "unlink",
        AddSheet { .. } => "add sheet",
        AddSection { .. } => "add section",
        EditSection { .. } => "edit section",
        DeleteSheet { .. } => "delete sheet",
        AddPost { .. } => "add post",
        AddComment { .. } => "add comment",
        DeletePost { .. } => "delete post",
        Moderate { .. } => "moderate",
        LockThread { .. } => "lock thread",
        SetBookable { .. } => "set bookable",
        BookPlace { .. } => "book place",
        CancelBooking { .. } => "cancel booking",
        DecideBooking { .. } => "decide booking",
    }
}
