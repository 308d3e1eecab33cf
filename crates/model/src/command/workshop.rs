//! What the atelier commands write: workshops, seats at tables, workshop
//! ideas, merges of duplicates and moves between themes.
//!
//! A workshop is an item of the ideas document's `ideas` map, told apart
//! from ideas by its `kind` field (see docs/SCHEMA.md): the document's only
//! container is created at genesis, and workshops need no other. Seats and
//! votes are entries keyed by member id, so concurrent choices of different
//! members never overwrite each other.

use automerge::AutoCommit;

use super::access::{
    Context, ensure_new, existing, find_theme, put, put_entry, put_entry_once, put_field,
};
use super::validate::{required, text_value};
use super::{CommandError, MAX_TEXT, MAX_TITLE, Result};
use crate::entities::{Idea, Theme, WORKSHOP_KIND, Workshop};
use crate::ids::{ItemId, Timestamp};
use crate::layout::DocKind;
use crate::normalize::slug;

const I: DocKind = DocKind::Ideas;

/// Most tables in one workshop.
pub const MAX_TABLES: i64 = 100;
/// Most themes in one workshop's typology.
pub const MAX_THEMES: usize = 50;
/// Most ideas merged at once.
pub const MAX_MERGED: usize = 100;

/// A change to the workshops (the Atelier).
#[derive(Clone, Debug)]
#[allow(missing_docs)] // Fields repeat the entity fields documented in `entities`.
pub enum WorkshopCommand {
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
}

impl WorkshopCommand {
    /// The change message.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::CreateWorkshop { .. } => "create workshop",
            Self::EditWorkshopThemes { .. } => "edit workshop themes",
            Self::JoinTable { .. } => "join table",
            Self::AddWorkshopIdea { .. } => "add workshop idea",
            Self::MergeIdeas { .. } => "merge ideas",
            Self::MoveIdea { .. } => "move idea",
            Self::CloseWorkshop { .. } => "close workshop",
        }
    }

    /// Validates and writes the command (uncommitted). Returns the item id.
    pub(super) fn apply(
        self,
        doc: &mut AutoCommit,
        ctx: &Context,
        now: Timestamp,
    ) -> Result<String> {
        use WorkshopCommand::*;
        match self {
            CreateWorkshop {
                id,
                title,
                date,
                tables,
                themes,
            } => {
                ensure_new(doc, I, "ideas", id.as_str())?;
                let workshop = Workshop {
                    kind: WORKSHOP_KIND.to_owned(),
                    id: id.clone(),
                    title: required("title", &title, MAX_TITLE)?,
                    date,
                    tables: table_count(tables)?,
                    themes: typology(themes)?,
                    seats: Default::default(),
                    closed: false,
                    created_by: ctx.me(),
                    created_at: now,
                };
                put(doc, I, "ideas", id.as_str(), &workshop)?;
                Ok(id.0)
            }
            EditWorkshopThemes { workshop, themes } => {
                let w = workshop_item(doc, &workshop)?;
                ctx.facilitator(&w)?;
                let item = ("ideas", "workshop", workshop.as_str());
                put_field(doc, I, item, "themes", &typology(themes)?)?;
                Ok(workshop.0)
            }
            JoinTable { workshop, table } => {
                let w = open_workshop(doc, &workshop)?;
                if !(1..=w.tables).contains(&table) {
                    return Err(CommandError::NoSuchTable {
                        table,
                        tables: w.tables,
                    });
                }
                let item = ("ideas", "workshop", workshop.as_str());
                put_entry(doc, I, item, "seats", ctx.member.id.as_str(), &table)?;
                Ok(workshop.0)
            }
            AddWorkshopIdea {
                workshop,
                id,
                text,
                theme,
            } => {
                let w = open_workshop(doc, &workshop)?;
                ensure_new(doc, I, "ideas", id.as_str())?;
                let idea = Idea {
                    attachments: Default::default(),
                    moderation: None,
                    id: id.clone(),
                    text: text_value(&required("idea", &text, MAX_TEXT)?),
                    theme: find_theme(&w.themes, theme.as_deref())?,
                    table: w.table_of(&ctx.member.id),
                    votes: Default::default(),
                    author: ctx.me(),
                    created_at: now,
                    workshop: Some(workshop),
                    merged_into: None,
                };
                put(doc, I, "ideas", id.as_str(), &idea)?;
                Ok(id.0)
            }
            MergeIdeas { keep, merged } => {
                let kept = idea_item(doc, &keep)?;
                facilitates(doc, ctx, kept.workshop.as_ref())?;
                if merged.is_empty() || merged.len() > MAX_MERGED {
                    return Err(CommandError::TooLong {
                        field: "list of merged ideas",
                        len: merged.len(),
                        max: MAX_MERGED,
                    });
                }
                let keep_item = ("ideas", "idea", keep.as_str());
                for id in merged.iter().filter(|id| **id != keep) {
                    let idea = idea_item(doc, id)?;
                    if idea.workshop != kept.workshop {
                        return Err(CommandError::DifferentWorkshops);
                    }
                    for (member, at) in &idea.votes {
                        put_entry_once(doc, I, keep_item, "votes", member, at)?;
                    }
                    let item = ("ideas", "idea", id.as_str());
                    put_field(doc, I, item, "merged_into", &Some(keep.clone()))?;
                }
                Ok(keep.0)
            }
            MoveIdea { idea, theme } => {
                let i = idea_item(doc, &idea)?;
                let themes = match &i.workshop {
                    Some(w) => {
                        let w = workshop_item(doc, w)?;
                        ctx.facilitator(&w)?;
                        w.themes
                    }
                    None => {
                        ctx.moderator()?;
                        ctx.themes.clone()
                    }
                };
                let item = ("ideas", "idea", idea.as_str());
                put_field(
                    doc,
                    I,
                    item,
                    "theme",
                    &find_theme(&themes, theme.as_deref())?,
                )?;
                Ok(idea.0)
            }
            CloseWorkshop { workshop } => {
                let w = workshop_item(doc, &workshop)?;
                ctx.facilitator(&w)?;
                let item = ("ideas", "workshop", workshop.as_str());
                put_field(doc, I, item, "closed", &true)?;
                Ok(workshop.0)
            }
        }
    }
}

/// Reads a workshop: an item of the `ideas` map whose kind says so.
fn workshop_item(doc: &AutoCommit, id: &ItemId) -> Result<Workshop> {
    if !is_workshop(doc, id)? {
        return Err(CommandError::NotFound {
            kind: "workshop",
            id: id.0.clone(),
        });
    }
    existing(doc, I, "ideas", "workshop", id.as_str())
}

/// Reads an idea, refusing a workshop's id.
fn idea_item(doc: &AutoCommit, id: &ItemId) -> Result<Idea> {
    if is_workshop(doc, id)? {
        return Err(CommandError::NotFound {
            kind: "idea",
            id: id.0.clone(),
        });
    }
    existing(doc, I, "ideas", "idea", id.as_str())
}

/// A workshop that still takes ideas and seats.
fn open_workshop(doc: &AutoCommit, id: &ItemId) -> Result<Workshop> {
    let w = workshop_item(doc, id)?;
    if w.closed {
        return Err(CommandError::Closed);
    }
    Ok(w)
}

/// Whether the item `id` of the `ideas` map is a workshop.
fn is_workshop(doc: &AutoCommit, id: &ItemId) -> Result<bool> {
    let obj = crate::layout::map_obj(doc, I, "ideas")?;
    let Some((_, item)) = automerge::ReadDoc::get(doc, &obj, id.as_str())? else {
        return Ok(false);
    };
    Ok(matches!(
        automerge::ReadDoc::get(doc, &item, "kind")?,
        Some((automerge::Value::Scalar(s), _)) if s.as_str() == Some(WORKSHOP_KIND)
    ))
}

/// The author may reorganise ideas of this workshop (or, for ideas of no
/// workshop, of the community).
fn facilitates(doc: &AutoCommit, ctx: &Context, workshop: Option<&ItemId>) -> Result<()> {
    match workshop {
        Some(w) => ctx.facilitator(&workshop_item(doc, w)?),
        None => ctx.moderator(),
    }
}

fn table_count(tables: i64) -> Result<i64> {
    if tables <= 0 {
        return Err(CommandError::NotPositive("number of tables"));
    }
    if tables > MAX_TABLES {
        return Err(CommandError::TooLong {
            field: "number of tables",
            len: tables as usize,
            max: MAX_TABLES as usize,
        });
    }
    Ok(tables)
}

/// Checks a typology: labels required and distinct; a missing id is made
/// from the label, an existing id kept (so renaming keeps ideas sorted).
fn typology(themes: Vec<Theme>) -> Result<Vec<Theme>> {
    if themes.len() > MAX_THEMES {
        return Err(CommandError::TooLong {
            field: "typology",
            len: themes.len(),
            max: MAX_THEMES,
        });
    }
    let mut out: Vec<Theme> = Vec::new();
    for theme in themes {
        let label = required("theme", &theme.label, MAX_TITLE)?;
        let id = match theme.id.trim() {
            "" => slug(&label),
            id => required("theme id", id, MAX_TITLE)?,
        };
        if id.is_empty() {
            return Err(CommandError::Empty("theme"));
        }
        if out.iter().any(|t| t.id == id) {
            return Err(CommandError::AlreadyExists(label));
        }
        out.push(Theme { id, label });
    }
    Ok(out)
}
