//! The community data model of Passerelle.
//!
//! A community lives in a handful of Automerge documents (see [`layout`]): one
//! *community* document holding settings, members, groups and the annuaire, and
//! one document per large collection (échanges, agenda, atelier ideas, savoirs,
//! fil). Everything that changes a community goes through a typed [`Command`]
//! which is validated before it touches a document; everything that reads one
//! goes through the immutable [`view`] models, rebuilt only when the document
//! heads change, with the [`search`] and [`matching`] indexes derived from them.
//!
//! This crate is pure: no IO, no clock, no entropy. Time and new ids are
//! passed in by the caller, so every test here is deterministic. The example
//! community and the generator of histories live in `passerelle-demo`.
#![warn(missing_docs)]

pub mod admission;
pub mod attachments;
pub mod bilan;
pub mod booking;
pub mod bounds;
pub mod command;
pub mod defaults;
pub mod entities;
pub mod epoch;
pub mod export;
pub mod gate;
pub mod ics;
pub mod ids;
pub mod layout;
pub mod matching;
pub mod normalize;
pub mod notices;
pub mod pairing;
pub mod search;
pub mod signing;
pub mod view;
pub mod wellformed;
pub mod workshop;

pub use command::{
    AgendaCommand, AnnuaireCommand, AttachmentCommand, Author, BookingCommand, Command,
    CommandError, CommunityCommand, ExchangeCommand, FilCommand, GroupCommand, IdeaCommand,
    MemberCommand, ModerationCommand, NewAttachment, Outcome, SavoirsCommand, WorkshopCommand,
};
pub use entities::*;
pub use ids::{CommunityId, DeviceKey, DocumentId, ItemId, MemberId, Timestamp};
pub use layout::{CommunityDocs, DocKind, LayoutError};
pub use view::{CommunityView, ViewCache};
