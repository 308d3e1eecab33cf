//! Typed commands: the only way a community changes.
//!
//! A command is validated against the current documents before anything is
//! written, so invalid input never reaches a document. Applying one produces
//! exactly one Automerge change in exactly one document, stamped with the time
//! the caller passed in.

use automerge::AutoCommit;
use autosurgeon::{Hydrate, Reconcile, Text, hydrate_prop, reconcile_prop};

use crate::entities::*;
use crate::ids::{DeviceKey, ItemId, MemberId, Timestamp};
use crate::layout::{CommunityDocs, DocKind, LayoutError, commit, map_obj};
use crate::normalize::slug;

/// Longest title or name, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest free text (description, post, idea), in characters.
pub const MAX_TEXT: usize = 20_000;
/// Most tags on one annuaire entry.
pub const MAX_TAGS: usize = 30;

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
    /// The same category or theme exists already.
    #[error("'{0}' already exists")]
    AlreadyExists(String),
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

type Result<T, E = CommandError> = std::result::Result<T, E>;

/// Trims a required text and checks its length.
fn required(field: &'static str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CommandError::Empty(field));
    }
    limit(field, value, max)
}

/// Trims an optional text and checks its length.
fn limit(field: &'static str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    let len = value.chars().count();
    if len > max {
        return Err(CommandError::TooLong { field, len, max });
    }
    Ok(value.to_owned())
}

/// An optional text: blank becomes `None`.
fn optional(field: &'static str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => limit(field, v, max).map(Some),
    }
}

fn positive(field: &'static str, value: Option<i64>) -> Result<Option<i64>> {
    match value {
        Some(n) if n <= 0 => Err(CommandError::NotPositive(field)),
        other => Ok(other),
    }
}

fn tags(values: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in values {
        let tag = limit("tag", &tag.to_lowercase(), 50)?;
        if !tag.is_empty() && !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(CommandError::TooLong {
            field: "tag list",
            len: out.len(),
            max: MAX_TAGS,
        });
    }
    Ok(out)
}

/// Reads one item of a document's item map.
fn get<T: Hydrate>(
    doc: &AutoCommit,
    kind: DocKind,
    coll: &'static str,
    id: &str,
) -> Result<Option<T>> {
    let obj = map_obj(doc, kind, coll)?;
    if automerge::ReadDoc::get(doc, &obj, id)?.is_none() {
        return Ok(None);
    }
    Ok(Some(hydrate_prop(doc, &obj, id)?))
}

/// Reads one item that must exist.
fn existing<T: Hydrate>(
    doc: &AutoCommit,
    kind: DocKind,
    coll: &'static str,
    what: &'static str,
    id: &str,
) -> Result<T> {
    get(doc, kind, coll, id)?.ok_or_else(|| CommandError::NotFound {
        kind: what,
        id: id.to_owned(),
    })
}

/// Writes one item of a document's item map (a diff against what is there).
fn put<T: Reconcile>(
    doc: &mut AutoCommit,
    kind: DocKind,
    coll: &'static str,
    id: &str,
    item: &T,
) -> Result<()> {
    let obj = map_obj(doc, kind, coll)?;
    reconcile_prop(doc, &obj, id, item)?;
    Ok(())
}

fn ensure_new(doc: &AutoCommit, kind: DocKind, coll: &'static str, id: &str) -> Result<()> {
    let obj = map_obj(doc, kind, coll)?;
    if automerge::ReadDoc::get(doc, &obj, id)?.is_some() {
        return Err(CommandError::Duplicate(id.to_owned()));
    }
    Ok(())
}

fn remove(
    doc: &mut AutoCommit,
    kind: DocKind,
    coll: &'static str,
    what: &'static str,
    id: &str,
) -> Result<()> {
    use automerge::transaction::Transactable;
    let obj = map_obj(doc, kind, coll)?;
    if automerge::ReadDoc::get(doc, &obj, id)?.is_none() {
        return Err(CommandError::NotFound {
            kind: what,
            id: id.to_owned(),
        });
    }
    doc.delete(&obj, id)?;
    Ok(())
}

/// The community's settings that commands validate against.
struct Context {
    member: Member,
    categories: Vec<Category>,
    themes: Vec<Theme>,
}

impl Context {
    fn read(docs: &CommunityDocs, author: &Author) -> Result<Self> {
        let doc = docs.community();
        let members: std::collections::BTreeMap<String, Member> =
            hydrate_prop(doc, automerge::ROOT, "members")?;
        let member = members
            .into_values()
            .find(|m| m.has_device(&author.device))
            .ok_or(CommandError::NotAMember)?;
        Ok(Self {
            member,
            categories: hydrate_prop(doc, automerge::ROOT, "categories")?,
            themes: hydrate_prop(doc, automerge::ROOT, "themes")?,
        })
    }

    fn me(&self) -> MemberId {
        self.member.id.clone()
    }

    /// Whether the author may change or delete something made by `owner`.
    fn may_edit(&self, owner: &MemberId) -> Result<()> {
        if &self.member.id == owner || self.member.role != Role::Membre {
            Ok(())
        } else {
            Err(CommandError::NotAllowed(
                "its author, animateurs and admins",
            ))
        }
    }

    fn moderator(&self) -> Result<()> {
        match self.member.role {
            Role::Membre => Err(CommandError::NotAllowed("animateurs and admins")),
            _ => Ok(()),
        }
    }

    fn admin(&self) -> Result<()> {
        match self.member.role {
            Role::Admin => Ok(()),
            _ => Err(CommandError::NotAllowed("admins")),
        }
    }

    /// Resolves a category by id or by label, accents and case folded.
    fn category(&self, given: &str) -> Result<String> {
        let wanted = slug(given);
        self.categories
            .iter()
            .find(|c| c.id == given || slug(&c.label) == wanted || c.id == wanted)
            .map(|c| c.id.clone())
            .ok_or_else(|| CommandError::UnknownCategory {
                given: given.to_owned(),
                known: self
                    .categories
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    fn theme(&self, given: Option<&str>) -> Result<Option<String>> {
        let Some(given) = given.map(str::trim).filter(|g| !g.is_empty()) else {
            return Ok(None);
        };
        let wanted = slug(given);
        self.themes
            .iter()
            .find(|t| t.id == given || slug(&t.label) == wanted || t.id == wanted)
            .map(|t| Some(t.id.clone()))
            .ok_or_else(|| CommandError::UnknownTheme {
                given: given.to_owned(),
                known: self
                    .themes
                    .iter()
                    .map(|t| t.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

fn text_value(value: &str) -> Text {
    Text::with_value(value)
}

impl CommunityDocs {
    /// Validates and applies a command as one change. On error nothing is written.
    pub fn apply(&mut self, author: &Author, command: Command, now: Timestamp) -> Result<Outcome> {
        let message = command_name(&command);
        let ctx = Context::read(self, author)?;
        let kind = target(&command);
        let doc = self.doc_mut(kind).ok_or(LayoutError::Missing {
            doc: kind.as_str(),
            field: "kind",
        })?;
        match apply_to(doc, &ctx, command, now) {
            Ok(id) => {
                commit(doc, message, now);
                Ok(Outcome { doc: kind, id })
            }
            Err(e) => {
                doc.rollback();
                Err(e)
            }
        }
    }
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
        | SetRole { .. } => DocKind::Community,
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
        AddSheet { .. } | AddSection { .. } | EditSection { .. } | DeleteSheet { .. } => {
            DocKind::Savoirs
        }
        AddPost { .. } | AddComment { .. } | DeletePost { .. } => DocKind::Fil,
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
    }
}

const C: DocKind = DocKind::Community;
const X: DocKind = DocKind::Exchanges;
const A: DocKind = DocKind::Agenda;
const I: DocKind = DocKind::Ideas;
const S: DocKind = DocKind::Savoirs;
const F: DocKind = DocKind::Fil;

/// Validates and writes a command's operations (uncommitted). Returns the item id.
fn apply_to(
    doc: &mut AutoCommit,
    ctx: &Context,
    command: Command,
    now: Timestamp,
) -> Result<String> {
    use Command::*;
    match command {
        UpdateCommunity { name, description } => {
            ctx.admin()?;
            if let Some(name) = name {
                reconcile_prop(
                    doc,
                    automerge::ROOT,
                    "name",
                    required("name", &name, MAX_TITLE)?,
                )?;
            }
            if let Some(description) = description {
                let mut text: Text = hydrate_prop(doc, automerge::ROOT, "description")?;
                text.update(limit("description", &description, MAX_TEXT)?);
                reconcile_prop(doc, automerge::ROOT, "description", &text)?;
            }
            Ok(String::new())
        }
        AddCategory { label } => {
            ctx.moderator()?;
            let label = required("category", &label, MAX_TITLE)?;
            let id = slug(&label);
            if id.is_empty() {
                return Err(CommandError::Empty("category"));
            }
            let mut categories = ctx.categories.clone();
            if categories.iter().any(|c| c.id == id) {
                return Err(CommandError::AlreadyExists(label));
            }
            categories.push(Category {
                id: id.clone(),
                label,
            });
            reconcile_prop(doc, automerge::ROOT, "categories", &categories)?;
            Ok(id)
        }
        AddTheme { label } => {
            ctx.moderator()?;
            let label = required("theme", &label, MAX_TITLE)?;
            let id = slug(&label);
            if id.is_empty() {
                return Err(CommandError::Empty("theme"));
            }
            let mut themes = ctx.themes.clone();
            if themes.iter().any(|t| t.id == id) {
                return Err(CommandError::AlreadyExists(label));
            }
            themes.push(Theme {
                id: id.clone(),
                label,
            });
            reconcile_prop(doc, automerge::ROOT, "themes", &themes)?;
            Ok(id)
        }
        AddMember {
            id,
            display_name,
            role,
            device,
            device_label,
        } => {
            ctx.moderator()?;
            ensure_new(doc, C, "members", id.as_str())?;
            let mut devices = std::collections::BTreeMap::new();
            devices.insert(
                device.0.clone(),
                Device {
                    added_at: now,
                    label: limit("device name", &device_label, MAX_TITLE)?,
                },
            );
            let member = Member {
                id: id.clone(),
                display_name: required("display name", &display_name, MAX_TITLE)?,
                role,
                devices,
                skills: Vec::new(),
                languages: Vec::new(),
                joined_at: now,
            };
            put(doc, C, "members", id.as_str(), &member)?;
            Ok(id.0)
        }
        UpdateProfile {
            display_name,
            skills,
            languages,
        } => {
            let mut member = ctx.member.clone();
            if let Some(name) = display_name {
                member.display_name = required("display name", &name, MAX_TITLE)?;
            }
            if let Some(skills) = skills {
                member.skills = tags(&skills)?;
            }
            if let Some(languages) = languages {
                member.languages = tags(&languages)?;
            }
            put(doc, C, "members", member.id.as_str(), &member)?;
            Ok(member.id.0)
        }
        SetRole { member, role } => {
            ctx.admin()?;
            let mut m: Member = existing(doc, C, "members", "member", member.as_str())?;
            m.role = role;
            put(doc, C, "members", member.as_str(), &m)?;
            Ok(member.0)
        }

        AddExchange {
            id,
            kind,
            title,
            description,
            category,
            mode,
            place,
        } => {
            ensure_new(doc, X, "exchanges", id.as_str())?;
            let exchange = Exchange {
                id: id.clone(),
                kind,
                title: required("title", &title, MAX_TITLE)?,
                description: text_value(&limit("description", &description, MAX_TEXT)?),
                category: ctx.category(&category)?,
                mode,
                place: optional("place", place.as_deref(), MAX_TITLE)?,
                status: ExchangeStatus::Open,
                author: ctx.me(),
                created_at: now,
                updated_at: now,
                replies: Default::default(),
            };
            put(doc, X, "exchanges", id.as_str(), &exchange)?;
            Ok(id.0)
        }
        UpdateExchange {
            id,
            title,
            description,
            category,
            mode,
            place,
        } => {
            let mut e: Exchange = existing(doc, X, "exchanges", "échange", id.as_str())?;
            ctx.may_edit(&e.author)?;
            if let Some(title) = title {
                e.title = required("title", &title, MAX_TITLE)?;
            }
            if let Some(description) = description {
                e.description
                    .update(limit("description", &description, MAX_TEXT)?);
            }
            if let Some(category) = category {
                e.category = ctx.category(&category)?;
            }
            if let Some(mode) = mode {
                e.mode = mode;
            }
            if let Some(place) = place {
                e.place = optional("place", place.as_deref(), MAX_TITLE)?;
            }
            e.updated_at = now;
            put(doc, X, "exchanges", id.as_str(), &e)?;
            Ok(id.0)
        }
        SetExchangeStatus { id, status } => {
            let mut e: Exchange = existing(doc, X, "exchanges", "échange", id.as_str())?;
            // Whoever replied may also mark it in progress or done: the exchange is theirs too.
            let replied = e.replies.values().any(|r| r.author == ctx.member.id);
            if !replied {
                ctx.may_edit(&e.author)?;
            }
            e.status = status;
            e.updated_at = now;
            put(doc, X, "exchanges", id.as_str(), &e)?;
            Ok(id.0)
        }
        ReplyToExchange {
            exchange,
            id,
            kind,
            text,
        } => {
            let e: Exchange = existing(doc, X, "exchanges", "échange", exchange.as_str())?;
            if e.replies.contains_key(id.as_str()) {
                return Err(CommandError::Duplicate(id.0));
            }
            let reply = Reply {
                id: id.clone(),
                author: ctx.me(),
                kind,
                text: limit("reply", &text, MAX_TEXT)?,
                at: now,
            };
            let obj = map_obj(doc, X, "exchanges")?;
            let replies = match automerge::ReadDoc::get(doc, &obj, exchange.as_str())? {
                Some((_, item)) => match automerge::ReadDoc::get(doc, &item, "replies")? {
                    Some((_, replies)) => replies,
                    None => {
                        return Err(LayoutError::Missing {
                            doc: "exchanges",
                            field: "replies",
                        }
                        .into());
                    }
                },
                None => unreachable!("the exchange was just read"),
            };
            reconcile_prop(doc, &replies, id.as_str(), &reply)?;
            Ok(id.0)
        }
        DeleteExchange { id } => {
            let e: Exchange = existing(doc, X, "exchanges", "échange", id.as_str())?;
            ctx.may_edit(&e.author)?;
            remove(doc, X, "exchanges", "échange", id.as_str())?;
            Ok(id.0)
        }

        AddEvent {
            id,
            title,
            description,
            start,
            end,
            place,
            capacity,
        } => {
            ensure_new(doc, A, "events", id.as_str())?;
            if matches!(end, Some(end) if end < start) {
                return Err(CommandError::EndBeforeStart);
            }
            let event = Event {
                id: id.clone(),
                title: required("title", &title, MAX_TITLE)?,
                description: text_value(&limit("description", &description, MAX_TEXT)?),
                start,
                end,
                place: optional("place", place.as_deref(), MAX_TITLE)?,
                capacity: positive("capacity", capacity)?,
                rsvps: Default::default(),
                created_by: ctx.me(),
                created_at: now,
            };
            put(doc, A, "events", id.as_str(), &event)?;
            Ok(id.0)
        }
        UpdateEvent {
            id,
            title,
            description,
            start,
            end,
            place,
            capacity,
        } => {
            let mut e: Event = existing(doc, A, "events", "event", id.as_str())?;
            ctx.may_edit(&e.created_by)?;
            if let Some(title) = title {
                e.title = required("title", &title, MAX_TITLE)?;
            }
            if let Some(description) = description {
                e.description
                    .update(limit("description", &description, MAX_TEXT)?);
            }
            if let Some(start) = start {
                e.start = start;
            }
            if let Some(end) = end {
                e.end = end;
            }
            if matches!(e.end, Some(end) if end < e.start) {
                return Err(CommandError::EndBeforeStart);
            }
            if let Some(place) = place {
                e.place = optional("place", place.as_deref(), MAX_TITLE)?;
            }
            if let Some(capacity) = capacity {
                e.capacity = positive("capacity", capacity)?;
            }
            put(doc, A, "events", id.as_str(), &e)?;
            Ok(id.0)
        }
        Rsvp { event, answer } => {
            let mut e: Event = existing(doc, A, "events", "event", event.as_str())?;
            e.rsvps.insert(
                ctx.member.id.0.clone(),
                crate::entities::Rsvp { answer, at: now },
            );
            put(doc, A, "events", event.as_str(), &e)?;
            Ok(event.0)
        }
        DeleteEvent { id } => {
            let e: Event = existing(doc, A, "events", "event", id.as_str())?;
            ctx.may_edit(&e.created_by)?;
            remove(doc, A, "events", "event", id.as_str())?;
            Ok(id.0)
        }

        AddGroup {
            id,
            name,
            theme,
            description,
        } => {
            ensure_new(doc, C, "groups", id.as_str())?;
            let mut members = std::collections::BTreeMap::new();
            members.insert(ctx.member.id.0.clone(), now);
            let group = Group {
                id: id.clone(),
                name: required("name", &name, MAX_TITLE)?,
                theme: ctx.theme(theme.as_deref())?,
                description: text_value(&limit("description", &description, MAX_TEXT)?),
                members,
                facilitator: Some(ctx.me()),
                thread: Default::default(),
                next_meeting: None,
                created_by: ctx.me(),
                created_at: now,
            };
            put(doc, C, "groups", id.as_str(), &group)?;
            Ok(id.0)
        }
        JoinGroup { group } => {
            let mut g: Group = existing(doc, C, "groups", "group", group.as_str())?;
            g.members.entry(ctx.member.id.0.clone()).or_insert(now);
            put(doc, C, "groups", group.as_str(), &g)?;
            Ok(group.0)
        }
        LeaveGroup { group } => {
            let mut g: Group = existing(doc, C, "groups", "group", group.as_str())?;
            g.members.remove(ctx.member.id.as_str());
            if g.facilitator.as_ref() == Some(&ctx.member.id) {
                g.facilitator = None;
            }
            put(doc, C, "groups", group.as_str(), &g)?;
            Ok(group.0)
        }
        SetFacilitator { group, member } => {
            let mut g: Group = existing(doc, C, "groups", "group", group.as_str())?;
            if g.facilitator.as_ref() != Some(&ctx.member.id) {
                ctx.moderator()?;
            }
            if let Some(m) = &member {
                existing::<Member>(doc, C, "members", "member", m.as_str())?;
                g.members.entry(m.0.clone()).or_insert(now);
            }
            g.facilitator = member;
            put(doc, C, "groups", group.as_str(), &g)?;
            Ok(group.0)
        }
        PostInGroup { group, id, text } => {
            let mut g: Group = existing(doc, C, "groups", "group", group.as_str())?;
            if g.thread.contains_key(id.as_str()) {
                return Err(CommandError::Duplicate(id.0));
            }
            let message = Message {
                id: id.clone(),
                author: ctx.me(),
                text: required("message", &text, MAX_TEXT)?,
                at: now,
            };
            g.thread.insert(id.0.clone(), message);
            put(doc, C, "groups", group.as_str(), &g)?;
            Ok(id.0)
        }
        SetNextMeeting { group, meeting } => {
            let mut g: Group = existing(doc, C, "groups", "group", group.as_str())?;
            let meeting = match meeting {
                Some(m) => Some(Meeting {
                    at: m.at,
                    place: optional("place", m.place.as_deref(), MAX_TITLE)?,
                }),
                None => None,
            };
            g.next_meeting = meeting;
            put(doc, C, "groups", group.as_str(), &g)?;
            Ok(group.0)
        }
        DeleteGroup { id } => {
            let g: Group = existing(doc, C, "groups", "group", id.as_str())?;
            ctx.may_edit(&g.created_by)?;
            remove(doc, C, "groups", "group", id.as_str())?;
            Ok(id.0)
        }

        AddIdea {
            id,
            text,
            theme,
            table,
        } => {
            ensure_new(doc, I, "ideas", id.as_str())?;
            let idea = Idea {
                id: id.clone(),
                text: text_value(&required("idea", &text, MAX_TEXT)?),
                theme: ctx.theme(theme.as_deref())?,
                table: positive("table number", table)?,
                votes: Default::default(),
                author: ctx.me(),
                created_at: now,
            };
            put(doc, I, "ideas", id.as_str(), &idea)?;
            Ok(id.0)
        }
        SetIdeaTheme { idea, theme } => {
            let mut i: Idea = existing(doc, I, "ideas", "idea", idea.as_str())?;
            i.theme = ctx.theme(theme.as_deref())?;
            put(doc, I, "ideas", idea.as_str(), &i)?;
            Ok(idea.0)
        }
        Vote { idea } => {
            let mut i: Idea = existing(doc, I, "ideas", "idea", idea.as_str())?;
            i.votes.entry(ctx.member.id.0.clone()).or_insert(now);
            put(doc, I, "ideas", idea.as_str(), &i)?;
            Ok(idea.0)
        }
        Unvote { idea } => {
            let mut i: Idea = existing(doc, I, "ideas", "idea", idea.as_str())?;
            i.votes.remove(ctx.member.id.as_str());
            put(doc, I, "ideas", idea.as_str(), &i)?;
            Ok(idea.0)
        }
        DeleteIdea { id } => {
            let i: Idea = existing(doc, I, "ideas", "idea", id.as_str())?;
            ctx.may_edit(&i.author)?;
            remove(doc, I, "ideas", "idea", id.as_str())?;
            Ok(id.0)
        }

        AddActor {
            id,
            kind,
            name,
            description,
            contact,
            address,
            tags: given_tags,
        } => {
            ensure_new(doc, C, "actors", id.as_str())?;
            let actor = Actor {
                id: id.clone(),
                kind,
                name: required("name", &name, MAX_TITLE)?,
                description: text_value(&limit("description", &description, MAX_TEXT)?),
                contact: clean_contact(contact)?,
                address: optional("address", address.as_deref(), MAX_TITLE)?,
                tags: tags(&given_tags)?,
                created_by: ctx.me(),
                created_at: now,
            };
            put(doc, C, "actors", id.as_str(), &actor)?;
            Ok(id.0)
        }
        UpdateActor {
            id,
            name,
            description,
            contact,
            address,
            tags: given_tags,
        } => {
            let mut a: Actor = existing(doc, C, "actors", "annuaire entry", id.as_str())?;
            if let Some(name) = name {
                a.name = required("name", &name, MAX_TITLE)?;
            }
            if let Some(description) = description {
                a.description
                    .update(limit("description", &description, MAX_TEXT)?);
            }
            if let Some(contact) = contact {
                a.contact = clean_contact(contact)?;
            }
            if let Some(address) = address {
                a.address = optional("address", address.as_deref(), MAX_TITLE)?;
            }
            if let Some(given) = given_tags {
                a.tags = tags(&given)?;
            }
            put(doc, C, "actors", id.as_str(), &a)?;
            Ok(id.0)
        }
        DeleteActor { id } => {
            let a: Actor = existing(doc, C, "actors", "annuaire entry", id.as_str())?;
            ctx.may_edit(&a.created_by)?;
            let links: std::collections::BTreeMap<String, Link> =
                hydrate_prop(doc, automerge::ROOT, "links")?;
            for link in links.values().filter(|l| l.from == id || l.to == id) {
                remove(doc, C, "links", "link", link.id.as_str())?;
            }
            remove(doc, C, "actors", "annuaire entry", id.as_str())?;
            Ok(id.0)
        }
        LinkActors {
            id,
            from,
            to,
            label,
        } => {
            ensure_new(doc, C, "links", id.as_str())?;
            existing::<Actor>(doc, C, "actors", "annuaire entry", from.as_str())?;
            existing::<Actor>(doc, C, "actors", "annuaire entry", to.as_str())?;
            let link = Link {
                id: id.clone(),
                from,
                to,
                label: required("link label", &label, MAX_TITLE)?,
            };
            put(doc, C, "links", id.as_str(), &link)?;
            Ok(id.0)
        }
        Unlink { id } => {
            remove(doc, C, "links", "link", id.as_str())?;
            Ok(id.0)
        }

        AddSheet {
            id,
            title,
            sections,
        } => {
            ensure_new(doc, S, "sheets", id.as_str())?;
            let sections = sections
                .into_iter()
                .enumerate()
                .map(|(n, (heading, body))| {
                    Ok(Section {
                        id: format!("{}-{n}", id.as_str()),
                        heading: limit("heading", &heading, MAX_TITLE)?,
                        body: text_value(&limit("section", &body, MAX_TEXT)?),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let sheet = Sheet {
                id: id.clone(),
                title: required("title", &title, MAX_TITLE)?,
                sections,
                created_by: ctx.me(),
                created_at: now,
                updated_at: now,
            };
            put(doc, S, "sheets", id.as_str(), &sheet)?;
            Ok(id.0)
        }
        AddSection {
            sheet,
            id,
            heading,
            body,
        } => {
            let mut s: Sheet = existing(doc, S, "sheets", "sheet", sheet.as_str())?;
            if s.sections.iter().any(|x| x.id == id) {
                return Err(CommandError::Duplicate(id));
            }
            s.sections.push(Section {
                id: id.clone(),
                heading: limit("heading", &heading, MAX_TITLE)?,
                body: text_value(&limit("section", &body, MAX_TEXT)?),
            });
            s.updated_at = now;
            put(doc, S, "sheets", sheet.as_str(), &s)?;
            Ok(id)
        }
        EditSection {
            sheet,
            section,
            heading,
            body,
        } => {
            let mut s: Sheet = existing(doc, S, "sheets", "sheet", sheet.as_str())?;
            let target = s
                .sections
                .iter_mut()
                .find(|x| x.id == section)
                .ok_or_else(|| CommandError::NotFound {
                    kind: "section",
                    id: section.clone(),
                })?;
            if let Some(heading) = heading {
                target.heading = limit("heading", &heading, MAX_TITLE)?;
            }
            if let Some(body) = body {
                target.body.update(limit("section", &body, MAX_TEXT)?);
            }
            s.updated_at = now;
            put(doc, S, "sheets", sheet.as_str(), &s)?;
            Ok(section)
        }
        DeleteSheet { id } => {
            let s: Sheet = existing(doc, S, "sheets", "sheet", id.as_str())?;
            ctx.may_edit(&s.created_by)?;
            remove(doc, S, "sheets", "sheet", id.as_str())?;
            Ok(id.0)
        }

        AddPost { id, text } => {
            ensure_new(doc, F, "posts", id.as_str())?;
            let post = Post {
                id: id.clone(),
                text: text_value(&required("post", &text, MAX_TEXT)?),
                author: ctx.me(),
                created_at: now,
                comments: Default::default(),
            };
            put(doc, F, "posts", id.as_str(), &post)?;
            Ok(id.0)
        }
        AddComment { post, id, text } => {
            let mut p: Post = existing(doc, F, "posts", "post", post.as_str())?;
            if p.comments.contains_key(id.as_str()) {
                return Err(CommandError::Duplicate(id.0));
            }
            let comment = Comment {
                id: id.clone(),
                author: ctx.me(),
                text: required("comment", &text, MAX_TEXT)?,
                at: now,
            };
            p.comments.insert(id.0.clone(), comment);
            put(doc, F, "posts", post.as_str(), &p)?;
            Ok(id.0)
        }
        DeletePost { id } => {
            let p: Post = existing(doc, F, "posts", "post", id.as_str())?;
            ctx.may_edit(&p.author)?;
            remove(doc, F, "posts", "post", id.as_str())?;
            Ok(id.0)
        }
    }
}

fn clean_contact(contact: Contact) -> Result<Contact> {
    Ok(Contact {
        email: optional("e-mail", contact.email.as_deref(), MAX_TITLE)?,
        phone: optional("phone", contact.phone.as_deref(), 50)?,
        website: optional("web site", contact.website.as_deref(), MAX_TITLE)?,
    })
}
