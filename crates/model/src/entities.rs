//! The things a community is made of, exactly as they are stored.
//!
//! Each struct here is both the document schema (through autosurgeon's
//! `Reconcile`/`Hydrate`) and the read-side view model (it is `Clone` and
//! serialisable). `docs/SCHEMA.md` describes the same shapes for other
//! Automerge implementations; keep the two in step.
//!
//! Collections that several devices add to concurrently are maps keyed by the
//! item's ULID, so concurrent inserts never collide and every item keeps a
//! stable id. Texts that several people edit are `autosurgeon::Text`.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};
use serde::{Deserialize, Serialize};

use crate::ids::{DeviceKey, DocumentId, ItemId, MemberId, Timestamp};

/// Serialises an `autosurgeon::Text` as a plain string.
fn text_str<S: serde::Serializer>(text: &Text, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(text.as_str())
}

/// Reads back a string written by [`text_str`].
fn str_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
    String::deserialize(d).map(|s| Text::with_value(&s))
}

macro_rules! unit_enum {
    ($(#[$doc:meta])* $name:ident $human:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Reconcile, Hydrate, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[autosurgeon(rename = $text)] #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name stored in documents and used on the command line.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown {} '{}' (expected one of: {})",
                        $human,
                        other,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

unit_enum!(
    /// What a member may do in a community.
    Role "role" {
        /// A regular member.
        Membre = "membre",
        /// A facilitator: runs groups and workshops, moderates.
        Animateur = "animateur",
        /// Manages members, roles and settings.
        Admin = "admin",
    }
);

unit_enum!(
    /// Whether an échange offers something or asks for it.
    ExchangeKind "kind" {
        /// "Je propose..."
        Offer = "offer",
        /// "J'ai besoin..."
        Need = "need",
    }
);

unit_enum!(
    /// How an échange is given.
    ExchangeMode "mode" {
        /// Sharing knowledge.
        Savoir = "savoir",
        /// A helping hand.
        CoupDeMain = "coup_de_main",
        /// A swap.
        Troc = "troc",
        /// A gift.
        Don = "don",
        /// A loan.
        Pret = "pret",
    }
);

unit_enum!(
    /// Where an échange stands.
    ExchangeStatus "status" {
        /// Waiting for someone.
        Open = "open",
        /// Someone is on it.
        InProgress = "in_progress",
        /// It happened.
        Done = "done",
    }
);

unit_enum!(
    /// What a reply to an échange says.
    ReplyKind "reply kind" {
        /// "Je peux aider" (to a need).
        CanHelp = "can_help",
        /// "Ça m'intéresse" (to an offer).
        Interested = "interested",
        /// A plain message.
        Message = "message",
    }
);

unit_enum!(
    /// An answer to an event invitation.
    RsvpAnswer "answer" {
        /// Coming.
        Yes = "yes",
        /// Perhaps.
        Maybe = "maybe",
        /// Not coming.
        No = "no",
    }
);

unit_enum!(
    /// What an annuaire entry is.
    ActorKind "kind" {
        /// Someone to know.
        Person = "person",
        /// An association, a company, a public body.
        Organisation = "organisation",
        /// A place: a kitchen, a garden, a room.
        Place = "place",
    }
);

/// A label the community uses to sort échanges (cuisine, jardinage...).
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Category {
    /// Stable slug, e.g. `jardinage`.
    #[key]
    pub id: String,
    /// Display label, e.g. "Jardinage".
    pub label: String,
}

/// One item of the community's theme typology (seed 002: seven themes).
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Theme {
    /// Stable slug.
    #[key]
    pub id: String,
    /// Display label.
    pub label: String,
}

/// A device linked to a member.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Device {
    /// When it was linked.
    pub added_at: Timestamp,
    /// A name the member gave it ("portable", "ordinateur du centre").
    pub label: String,
    /// Set when the device was revoked (lost, stolen, replaced) or its
    /// member removed: it is no longer served, and what it wrote that the
    /// revoking device had not seen is ignored by every device.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub revoked: Option<Revocation>,
}

impl Device {
    /// Whether the device may still sync and act.
    pub fn is_active(&self) -> bool {
        self.revoked.is_none()
    }
}

/// Why and when a device stopped counting, and what of its writing stays.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Revocation {
    /// When.
    pub at: Timestamp,
    /// The member who revoked it (the device's own member, or a moderator).
    pub by: MemberId,
    /// For each document kind (`community`, `exchanges`...), the highest
    /// Automerge operation counter of this device's actor that the revoking
    /// device held: operations up to it stay, later ones are ignored.
    pub seen: BTreeMap<String, i64>,
}

unit_enum!(
    /// What a moderator did to an item.
    ModerationAction "moderation action" {
        /// Hidden from members; animateurs and admins still see it, with the reason.
        Hide = "hide",
        /// Deleted: its content is emptied and it is listed for no one; the
        /// reason stays, for animateurs and admins.
        Delete = "delete",
    }
);

unit_enum!(
    /// The kinds of items a moderator can hide, delete or lock.
    ItemKind "item kind" {
        /// An offer or a need.
        Exchange = "exchange",
        /// An agenda event.
        Event = "event",
        /// A group (its thread can be locked).
        Group = "group",
        /// An idea.
        Idea = "idea",
        /// A savoirs sheet.
        Sheet = "sheet",
        /// A post of the fil (its comments can be locked).
        Post = "post",
        /// An annuaire entry.
        Actor = "actor",
    }
);

/// A moderator's decision on an item, with its reason.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Moderation {
    /// Hidden or deleted.
    pub action: ModerationAction,
    /// Why, in the moderator's words (shown to animateurs and admins).
    pub reason: String,
    /// The moderator.
    pub by: MemberId,
    /// When.
    pub at: Timestamp,
}

/// A locked thread: no more replies, messages or comments.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Lock {
    /// Why.
    pub reason: String,
    /// The moderator who locked it.
    pub by: MemberId,
    /// When.
    pub at: Timestamp,
}

/// A person in the community.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Member {
    /// Stable id.
    pub id: MemberId,
    /// The name others see.
    pub display_name: String,
    /// What they may do.
    pub role: Role,
    /// Their devices, keyed by device public key (hex).
    pub devices: BTreeMap<String, Device>,
    /// What they can share ("vélo", "danse").
    pub skills: Vec<String>,
    /// Languages they speak.
    pub languages: Vec<String>,
    /// When they joined.
    pub joined_at: Timestamp,
    /// When they were removed from the community; their devices are no
    /// longer served nor allowed to act.
    pub removed_at: Option<Timestamp>,
}

impl Member {
    /// Whether this device key belongs to the member (removed or not).
    pub fn has_device(&self, key: &DeviceKey) -> bool {
        self.devices.contains_key(key.as_str())
    }

    /// Whether this device key is one of the member's devices that was not
    /// revoked (the member may have been removed: see [`Member::is_active`]).
    pub fn has_active_device(&self, key: &DeviceKey) -> bool {
        self.devices
            .get(key.as_str())
            .is_some_and(Device::is_active)
    }

    /// Whether the member still belongs to the community.
    pub fn is_active(&self) -> bool {
        self.removed_at.is_none()
    }
}

/// An invitation to join: the hash of a one-time secret carried by a ticket.
///
/// Any member device can admit the holder of the secret, since every device
/// holds this record; the secret itself is never stored.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Invite {
    /// Stable id, also carried by the ticket.
    pub id: ItemId,
    /// BLAKE3 of the secret, hex; for a pairing ticket, the public key
    /// derived from the secret (`crate::pairing::use_key`).
    pub secret_hash: String,
    /// Who made it.
    pub created_by: MemberId,
    /// When.
    pub created_at: Timestamp,
    /// After this time it admits no one.
    pub expires_at: Timestamp,
    /// Withdrawn by its creator or a moderator.
    pub revoked: bool,
    /// The device it admitted, once used.
    pub used_by: Option<String>,
    /// When it was used.
    pub used_at: Option<Timestamp>,
    /// Set for a pairing ticket: the member the admitted device is added to
    /// (a second device of theirs, or a new one a moderator links after a
    /// loss), instead of a new member.
    #[serde(default)]
    pub member: Option<MemberId>,
    /// For a pairing ticket, whose `secret_hash` is the key derived from
    /// its secret: the proof written with its use that the device using it
    /// was given the secret (`crate::pairing`).
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub use_proof: Option<String>,
}

/// Why an invite does not admit anyone (any more).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteRefusal {
    /// No invite with this id and secret (a typo, a forged or foreign ticket).
    Unknown,
    /// Past its expiry time.
    Expired,
    /// Withdrawn.
    Revoked,
    /// Already admitted someone.
    Used,
}

impl InviteRefusal {
    /// A short code, used on the wire and in JSON.
    pub fn code(self) -> &'static str {
        match self {
            InviteRefusal::Unknown => "unknown",
            InviteRefusal::Expired => "expired",
            InviteRefusal::Revoked => "revoked",
            InviteRefusal::Used => "used",
        }
    }

    /// Reads a code back.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Unknown, Self::Expired, Self::Revoked, Self::Used]
            .into_iter()
            .find(|r| r.code() == code)
    }
}

impl std::fmt::Display for InviteRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InviteRefusal::Unknown => "this invite is not valid for this community (mistyped, forged, or from another community)",
            InviteRefusal::Expired => "this invite has expired; ask a member for a new one",
            InviteRefusal::Revoked => "this invite was withdrawn; ask a member for a new one",
            InviteRefusal::Used => "this invite has already been used; each invite admits one device",
        })
    }
}

/// A message in a group's discussion thread.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Message {
    /// Stable id.
    pub id: ItemId,
    /// Who wrote it.
    pub author: MemberId,
    /// What it says.
    pub text: String,
    /// When.
    pub at: Timestamp,
}

/// The next time a group meets.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Meeting {
    /// Start time.
    pub at: Timestamp,
    /// Where, if known.
    pub place: Option<String>,
}

/// A thematic group or a small circle with a facilitator.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Group {
    /// Stable id.
    pub id: ItemId,
    /// Name ("Jardinage", "Cercle du mardi").
    pub name: String,
    /// Theme id from the typology, if any.
    pub theme: Option<String>,
    /// What the group is about.
    #[serde(serialize_with = "text_str", deserialize_with = "str_text")]
    pub description: Text,
    /// Members and when they joined.
    pub members: BTreeMap<String, Timestamp>,
    /// The member who facilitates it.
    pub facilitator: Option<MemberId>,
    /// The discussion thread, keyed by message id.
    pub thread: BTreeMap<String, Message>,
    /// The next meeting, if planned.
    pub next_meeting: Option<Meeting>,
    /// Who created it.
    pub created_by: MemberId,
    /// When.
    pub created_at: Timestamp,
    /// A moderator's decision (hidden or deleted), if any.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub moderation: Option<Moderation>,
    /// Set when a moderator locked the thread.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub locked: Option<Lock>,
}

/// How to reach an annuaire entry.
#[derive(Clone, Debug, Default, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Contact {
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number, as written.
    pub phone: Option<String>,
    /// Web site.
    pub website: Option<String>,
}

/// A picture or a file attached to an item. Only this description lives in
/// the document; the bytes are a blob named by their BLAKE3 hash, kept and
/// exchanged outside Automerge (docs/PROTOCOL.md, "Attachments").
#[derive(Clone, Debug, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Attachment {
    /// BLAKE3 hash of the bytes, 64 lowercase hex characters.
    pub hash: String,
    /// The file's name, as the person who added it called it.
    pub name: String,
    /// Its type (`image/jpeg`, `application/pdf`...).
    pub mime: String,
    /// Its size in bytes.
    pub size: u64,
    /// Width in pixels, for a picture.
    pub width: Option<u32>,
    /// Height in pixels, for a picture.
    pub height: Option<u32>,
    /// A small JPEG of a picture, for lists (its own blob).
    pub thumb: Option<Thumbnail>,
    /// Who added it.
    pub added_by: MemberId,
    /// When.
    pub added_at: Timestamp,
}

impl Attachment {
    /// Whether it is a picture (shown, not opened).
    pub fn is_image(&self) -> bool {
        self.mime.starts_with("image/")
    }
}

/// The thumbnail of a picture: a small JPEG, its own blob.
#[derive(Clone, Debug, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Thumbnail {
    /// BLAKE3 hash of the JPEG bytes.
    pub hash: String,
    /// Its size in bytes.
    pub size: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The attachments of an item, keyed by hash.
///
/// Read leniently and strictly at once: a description that does not hydrate,
/// or breaks a bound [`crate::attachments::valid`] checks (a modified app can
/// write anything into a document), is left out, never shown, fetched,
/// served or kept; the item's other attachments and fields stay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Attachments(pub BTreeMap<String, Attachment>);

impl std::ops::Deref for Attachments {
    type Target = BTreeMap<String, Attachment>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Attachments {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Reconcile for Attachments {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: autosurgeon::Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
        self.0.reconcile(reconciler)
    }
}

impl Hydrate for Attachments {
    fn hydrate_map<D: autosurgeon::ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
    ) -> Result<Self, autosurgeon::HydrateError> {
        let mut out = BTreeMap::new();
        for item in doc.map_range(obj, ..) {
            let key = item.key.to_string();
            if let Ok(a) = autosurgeon::hydrate_prop::<_, Attachment, _, _>(doc, obj, key.as_str())
                && crate::attachments::valid(&key, &a)
            {
                out.insert(key, a);
            }
        }
        Ok(Attachments(out))
    }
}

/// An entry of the annuaire: a person, an organisation or a place.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Actor {
    /// Stable id.
    pub id: ItemId,
    /// What it is.
    pub kind: ActorKind,
    /// Name.
    pub name: String,
    /// Free description.
    #[serde(serialize_with = "text_str", deserialize_with = "str_text")]
    pub description: Text,
    /// How to reach it.
    pub contact: Contact,
    /// Postal address.
    pub address: Option<String>,
    /// Tags, lower case.
    pub tags: Vec<String>,
    /// Who added it.
    pub created_by: MemberId,
    /// When.
    pub created_at: Timestamp,
    /// A moderator's decision (hidden or deleted), if any.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub moderation: Option<Moderation>,
    /// For a place: set when it can be booked (hours, capacity, referent).
    #[serde(default)]
    pub booking: Option<crate::booking::Bookable>,
    /// Pictures and files, keyed by hash.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub attachments: Attachments,
}

/// A relation between two annuaire entries ("accueille", "partenaire de").
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Link {
    /// Stable id.
    pub id: ItemId,
    /// From this actor...
    pub from: ItemId,
    /// ...to this one.
    pub to: ItemId,
    /// What the relation is.
    pub label: String,
}

/// A reply to an échange.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Reply {
    /// Stable id.
    pub id: ItemId,
    /// Who replied.
    pub author: MemberId,
    /// What kind of reply.
    pub kind: ReplyKind,
    /// Optional words.
    pub text: String,
    /// When.
    pub at: Timestamp,
}

/// An offer or a need.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Exchange {
    /// Stable id.
    pub id: ItemId,
    /// Offer or need.
    pub kind: ExchangeKind,
    /// Short title ("Réparer mon vélo").
    pub title: String,
    /// Details.
    #[serde(serialize_with = "text_str", deserialize_with = "str_text")]
    pub description: Text,
    /// Category id.
    pub category: String,
    /// How it is given.
    pub mode: ExchangeMode,
    /// Where, if it matters.
    pub place: Option<String>,
    /// Where it stands.
    pub status: ExchangeStatus,
    /// Who posted it.
    pub author: MemberId,
    /// When.
    pub created_at: Timestamp,
    /// Last change of status or content.
    pub updated_at: Timestamp,
    /// Replies, keyed by reply id.
    pub replies: BTreeMap<String, Reply>,
    /// A moderator's decision (hidden or deleted), if any.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub moderation: Option<Moderation>,
    /// Set when a moderator locked the thread.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub locked: Option<Lock>,
    /// Pictures and files, keyed by hash.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub attachments: Attachments,
}

/// One member's answer to an event.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Rsvp {
    /// The answer.
    pub answer: RsvpAnswer,
    /// When it was given.
    pub at: Timestamp,
}

/// An event of the agenda.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Event {
    /// Stable id.
    pub id: ItemId,
    /// Title.
    pub title: String,
    /// Details.
    #[serde(serialize_with = "text_str", deserialize_with = "str_text")]
    pub description: Text,
    /// Start.
    pub start: Timestamp,
    /// End, if known.
    pub end: Option<Timestamp>,
    /// Where.
    pub place: Option<String>,
    /// How many people can come, if limited.
    pub capacity: Option<i64>,
    /// Answers, keyed by member id: one per member.
    pub rsvps: BTreeMap<String, Rsvp>,
    /// Who created it.
    pub created_by: MemberId,
    /// When.
    pub created_at: Timestamp,
    /// A moderator's decision (hidden or deleted), if any.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub moderation: Option<Moderation>,
    /// Pictures and files, keyed by hash.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub attachments: Attachments,
}

impl Event {
    /// How many members said yes.
    pub fn attending(&self) -> usize {
        self.rsvps
            .values()
            .filter(|r| r.answer == RsvpAnswer::Yes)
            .count()
    }
}

/// An idea from a workshop table.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Idea {
    /// Stable id.
    pub id: ItemId,
    /// The idea.
    #[serde(serialize_with = "text_str", deserialize_with = "str_text")]
    pub text: Text,
    /// Theme id from the typology, if sorted.
    pub theme: Option<String>,
    /// Table number, if from a workshop table.
    pub table: Option<i64>,
    /// Votes, keyed by member id: one per member.
    pub votes: BTreeMap<String, Timestamp>,
    /// Who proposed it.
    pub author: MemberId,
    /// When.
    pub created_at: Timestamp,
    /// The workshop it was proposed in, if any.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub workshop: Option<ItemId>,
    /// The idea it was merged into as a duplicate: it stays stored (its
    /// votes and author count for the kept idea) but is no longer listed.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub merged_into: Option<ItemId>,
    /// A moderator's decision (hidden or deleted), if any.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub moderation: Option<Moderation>,
    /// Pictures and files, keyed by hash.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub attachments: Attachments,
}

/// The value of a workshop item's `kind` field, which tells it apart from the
/// ideas it shares the `ideas` map with.
pub const WORKSHOP_KIND: &str = "workshop";

/// An atelier: people at tables proposing ideas, sorted into a typology.
///
/// Workshops are items of the ideas document's `ideas` map (the document's
/// only container, created at genesis), told apart by `kind`; see
/// docs/SCHEMA.md.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Workshop {
    /// Always [`WORKSHOP_KIND`].
    pub kind: String,
    /// Stable id.
    pub id: ItemId,
    /// Title ("Grande Rencontre").
    pub title: String,
    /// When it takes place.
    pub date: Timestamp,
    /// How many tables (numbered from 1).
    pub tables: i64,
    /// The workshop's own theme typology, in order.
    pub themes: Vec<Theme>,
    /// Each participant's table, keyed by member id.
    pub seats: BTreeMap<String, i64>,
    /// Closed workshops take no more ideas nor seats.
    pub closed: bool,
    /// Who created it and facilitates it.
    pub created_by: MemberId,
    /// When.
    pub created_at: Timestamp,
}

impl Workshop {
    /// The table a member sits at, if they chose one.
    pub fn table_of(&self, member: &MemberId) -> Option<i64> {
        self.seats.get(member.as_str()).copied()
    }

    /// A theme's label in this workshop's typology, or its id if unknown.
    pub fn theme_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.themes
            .iter()
            .find(|t| t.id == id)
            .map_or(id, |t| t.label.as_str())
    }
}

/// A section of a savoirs sheet.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Section {
    /// Stable id, so concurrent inserts and edits keep their place.
    #[key]
    pub id: String,
    /// Heading.
    pub heading: String,
    /// Body, edited by many.
    #[serde(serialize_with = "text_str", deserialize_with = "str_text")]
    pub body: Text,
}

/// A collaborative sheet: a project sheet, a how-to, a roadmap.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Sheet {
    /// Stable id.
    pub id: ItemId,
    /// Title.
    pub title: String,
    /// Ordered sections.
    pub sections: Vec<Section>,
    /// Who started it.
    pub created_by: MemberId,
    /// When.
    pub created_at: Timestamp,
    /// Last edit.
    pub updated_at: Timestamp,
    /// A moderator's decision (hidden or deleted), if any.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub moderation: Option<Moderation>,
    /// Pictures and files, keyed by hash.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub attachments: Attachments,
}

/// A comment under a post.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Comment {
    /// Stable id.
    pub id: ItemId,
    /// Who wrote it.
    pub author: MemberId,
    /// What it says.
    pub text: String,
    /// When.
    pub at: Timestamp,
}

/// An announcement in the fil.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Post {
    /// Stable id.
    pub id: ItemId,
    /// The announcement.
    #[serde(serialize_with = "text_str", deserialize_with = "str_text")]
    pub text: Text,
    /// Who posted it.
    pub author: MemberId,
    /// When.
    pub created_at: Timestamp,
    /// Comments, keyed by comment id.
    pub comments: BTreeMap<String, Comment>,
    /// A moderator's decision (hidden or deleted), if any.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub moderation: Option<Moderation>,
    /// Set when a moderator locked the thread.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub locked: Option<Lock>,
    /// Pictures and files, keyed by hash.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub attachments: Attachments,
}

/// The ids of a community's collection documents.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct DocumentIds {
    /// Échanges.
    pub exchanges: DocumentId,
    /// Agenda events.
    pub agenda: DocumentId,
    /// Atelier ideas.
    pub ideas: DocumentId,
    /// Savoirs sheets.
    pub savoirs: DocumentId,
    /// Fil posts.
    pub fil: DocumentId,
}
