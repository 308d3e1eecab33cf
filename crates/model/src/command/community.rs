//! What the community's own commands write: its name and description, its
//! échange categories and the themes of its typology.

use automerge::AutoCommit;
use autosurgeon::{Text, hydrate_prop, reconcile_prop};

use super::access::Context;
use super::validate::{limit, required};
use super::{CommandError, MAX_TEXT, MAX_TITLE, Result};
use crate::entities::{Category, Theme};
use crate::normalize::slug;

/// A change to the community's settings.
#[derive(Clone, Debug)]
#[allow(missing_docs)] // Fields repeat the entity fields documented in `entities`.
pub enum CommunityCommand {
    /// Renames the community or changes its description.
    UpdateCommunity {
        name: Option<String>,
        description: Option<String>,
    },
    /// Adds an échange category.
    AddCategory { label: String },
    /// Adds a theme to the typology.
    AddTheme { label: String },
}

impl CommunityCommand {
    /// The change message.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::UpdateCommunity { .. } => "update community",
            Self::AddCategory { .. } => "add category",
            Self::AddTheme { .. } => "add theme",
        }
    }

    /// Validates and writes the command (uncommitted). Returns the item id.
    pub(super) fn apply(self, doc: &mut AutoCommit, ctx: &Context) -> Result<String> {
        match self {
            Self::UpdateCommunity { name, description } => {
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
            Self::AddCategory { label } => {
                ctx.moderator()?;
                let (id, label) = new_label("category", &label, |id| {
                    ctx.categories.iter().any(|c| c.id == id)
                })?;
                let mut categories = ctx.categories.clone();
                categories.push(Category {
                    id: id.clone(),
                    label,
                });
                reconcile_prop(doc, automerge::ROOT, "categories", &categories)?;
                Ok(id)
            }
            Self::AddTheme { label } => {
                ctx.moderator()?;
                let (id, label) =
                    new_label("theme", &label, |id| ctx.themes.iter().any(|t| t.id == id))?;
                let mut themes = ctx.themes.clone();
                themes.push(Theme {
                    id: id.clone(),
                    label,
                });
                reconcile_prop(doc, automerge::ROOT, "themes", &themes)?;
                Ok(id)
            }
        }
    }
}

/// Checks a new category or theme label; returns its slug id and trimmed label.
fn new_label(
    field: &'static str,
    label: &str,
    taken: impl Fn(&str) -> bool,
) -> Result<(String, String)> {
    let label = required(field, label, MAX_TITLE)?;
    let id = slug(&label);
    if id.is_empty() {
        return Err(CommandError::Empty(field));
    }
    if taken(&id) {
        return Err(CommandError::AlreadyExists(label));
    }
    Ok((id, label))
}
