//! What the savoirs commands write: sheets, their sections (a section's
//! body merged as text edits) and deletion.

use automerge::AutoCommit;

use super::access::{Context, ensure_new, existing, put, remove};
use super::validate::{limit, required, text_value};
use super::{CommandError, MAX_TEXT, MAX_TITLE, Result};
use crate::entities::{Section, Sheet};
use crate::ids::{ItemId, Timestamp};
use crate::layout::DocKind;

const S: DocKind = DocKind::Savoirs;

/// A change to the savoirs sheets.
#[derive(Clone, Debug)]
#[allow(missing_docs)] // Fields repeat the entity fields documented in `entities`.
pub enum SavoirsCommand {
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
}

impl SavoirsCommand {
    /// The change message.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::AddSheet { .. } => "add sheet",
            Self::AddSection { .. } => "add section",
            Self::EditSection { .. } => "edit section",
            Self::DeleteSheet { .. } => "delete sheet",
        }
    }

    /// Validates and writes the command (uncommitted). Returns the item id.
    pub(super) fn apply(
        self,
        doc: &mut AutoCommit,
        ctx: &Context,
        now: Timestamp,
    ) -> Result<String> {
        match self {
            Self::AddSheet {
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
                    attachments: Default::default(),
                    moderation: None,
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
            Self::AddSection {
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
            Self::EditSection {
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
            Self::DeleteSheet { id } => {
                let s: Sheet = existing(doc, S, "sheets", "sheet", id.as_str())?;
                ctx.may_edit(&s.created_by)?;
                remove(doc, S, "sheets", "sheet", id.as_str())?;
                Ok(id.0)
            }
        }
    }
}
