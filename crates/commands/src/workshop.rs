//! `passerelle-node workshop ...`: running an atelier from the command line
//! (create, pick a table, add ideas, merge duplicates, move them between
//! themes, close, and turn the synthesis into a feuille de route).

use anyhow::{Context, Result, anyhow};
use clap::Subcommand;
use passerelle_core::Handle;
use passerelle_core::model::workshop::{preset_themes, roadmap, synthesis};
use passerelle_core::model::{Command, CommunityView, ItemId, Theme, Workshop, WorkshopCommand};
use serde_json::json;

use crate::output::outln;

#[derive(Subcommand, Debug)]
pub enum WorkshopCmd {
    /// Creates a workshop you facilitate; prints its id. Without --theme,
    /// its typology is the Grande Rencontre's seven themes.
    Create {
        #[arg(long)]
        community: String,
        #[arg(long)]
        title: String,
        /// Its date, 2026-03-14 or 2026-03-14T18:30:00+01:00 (today if absent).
        #[arg(long)]
        date: Option<String>,
        /// How many tables.
        #[arg(long, default_value_t = 6)]
        tables: i64,
        /// A theme of its typology (repeat, in order).
        #[arg(long = "theme")]
        themes: Vec<String>,
    },
    /// Lists workshops.
    List {
        #[arg(long)]
        community: String,
        #[arg(long)]
        json: bool,
    },
    /// Shows a workshop's synthesis: ideas by theme, with votes and authors.
    Show {
        #[arg(long)]
        community: String,
        #[arg(long)]
        workshop: String,
        #[arg(long)]
        json: bool,
    },
    /// Sits you at a table of a workshop.
    Table {
        #[arg(long)]
        community: String,
        #[arg(long)]
        workshop: String,
        #[arg(long)]
        table: i64,
    },
    /// Adds an idea at your table; prints its id.
    Idea {
        #[arg(long)]
        community: String,
        #[arg(long)]
        workshop: String,
        #[arg(long)]
        text: String,
        /// A theme id or label of the workshop's typology.
        #[arg(long)]
        theme: Option<String>,
    },
    /// Replaces the typology (facilitator); a label already there keeps its id.
    Themes {
        #[arg(long)]
        community: String,
        #[arg(long)]
        workshop: String,
        /// A theme (repeat, in order).
        #[arg(long = "theme", required = true)]
        themes: Vec<String>,
    },
    /// Merges duplicate ideas into one (facilitator); prints the kept id.
    Merge {
        #[arg(long)]
        community: String,
        /// The idea kept.
        #[arg(long)]
        keep: String,
        /// A duplicate merged into it (repeat).
        #[arg(long = "idea", required = true)]
        ideas: Vec<String>,
    },
    /// Moves an idea to another theme (facilitator); no --theme: unsorted.
    Move {
        #[arg(long)]
        community: String,
        #[arg(long)]
        idea: String,
        #[arg(long)]
        theme: Option<String>,
    },
    /// Closes a workshop: no more ideas nor tables (facilitator).
    Close {
        #[arg(long)]
        community: String,
        #[arg(long)]
        workshop: String,
    },
    /// Turns the synthesis into a new savoirs sheet; prints its id.
    Roadmap {
        #[arg(long)]
        community: String,
        #[arg(long)]
        workshop: String,
        /// The sheet's title ("Feuille de route — <workshop>" if absent).
        #[arg(long)]
        title: Option<String>,
    },
}

/// Runs one `workshop` subcommand.
pub(crate) async fn run(handle: &Handle, command: WorkshopCmd, out: &mut String) -> Result<()> {
    use WorkshopCmd::*;
    match command {
        Create {
            community,
            title,
            date,
            tables,
            themes,
        } => {
            let c = crate::community(handle, &community).await?;
            let date = match date {
                Some(d) => parse_date(&d)?,
                None => chrono::Utc::now().timestamp_millis(),
            };
            let themes = if themes.is_empty() {
                preset_themes()
            } else {
                labels(&[], themes)
            };
            let command = Command::Workshop(WorkshopCommand::CreateWorkshop {
                id: handle.new_id(),
                title,
                date,
                tables,
                themes,
            });
            crate::apply(out, handle, &c, command).await
        }
        List { community, json } => {
            let c = crate::community(handle, &community).await?;
            let view = handle.view(&c).await?;
            list(out, &view, json);
            Ok(())
        }
        Show {
            community,
            workshop,
            json,
        } => {
            let c = crate::community(handle, &community).await?;
            let view = handle.view(&c).await?;
            show(out, &view, find(&view, &workshop)?, json);
            Ok(())
        }
        Table {
            community,
            workshop,
            table,
        } => {
            let c = crate::community(handle, &community).await?;
            let command = Command::Workshop(WorkshopCommand::JoinTable {
                workshop: ItemId(workshop),
                table,
            });
            crate::apply(out, handle, &c, command).await
        }
        Idea {
            community,
            workshop,
            text,
            theme,
        } => {
            let c = crate::community(handle, &community).await?;
            let command = Command::Workshop(WorkshopCommand::AddWorkshopIdea {
                workshop: ItemId(workshop),
                id: handle.new_id(),
                text,
                theme,
            });
            crate::apply(out, handle, &c, command).await
        }
        Themes {
            community,
            workshop,
            themes,
        } => {
            let c = crate::community(handle, &community).await?;
            let view = handle.view(&c).await?;
            let known = &find(&view, &workshop)?.themes;
            let command = Command::Workshop(WorkshopCommand::EditWorkshopThemes {
                workshop: ItemId(workshop),
                themes: labels(known, themes),
            });
            crate::apply(out, handle, &c, command).await
        }
        Merge {
            community,
            keep,
            ideas,
        } => {
            let c = crate::community(handle, &community).await?;
            let command = Command::Workshop(WorkshopCommand::MergeIdeas {
                keep: ItemId(keep),
                merged: ideas.into_iter().map(ItemId).collect(),
            });
            crate::apply(out, handle, &c, command).await
        }
        Move {
            community,
            idea,
            theme,
        } => {
            let c = crate::community(handle, &community).await?;
            let command = Command::Workshop(WorkshopCommand::MoveIdea {
                idea: ItemId(idea),
                theme,
            });
            crate::apply(out, handle, &c, command).await
        }
        Close {
            community,
            workshop,
        } => {
            let c = crate::community(handle, &community).await?;
            let command = Command::Workshop(WorkshopCommand::CloseWorkshop {
                workshop: ItemId(workshop),
            });
            crate::apply(out, handle, &c, command).await
        }
        Roadmap {
            community,
            workshop,
            title,
        } => {
            let c = crate::community(handle, &community).await?;
            let view = handle.view(&c).await?;
            let w = find(&view, &workshop)?;
            let title = title.unwrap_or_else(|| format!("Feuille de route — {}", w.title));
            let command = roadmap(&view, w, handle.new_id(), &title, "Sans thème");
            crate::apply(out, handle, &c, command).await
        }
    }
}

fn find<'a>(view: &'a CommunityView, id: &str) -> Result<&'a Workshop> {
    view.workshop(&ItemId(id.trim().to_owned()))
        .ok_or_else(|| anyhow!("no workshop with id '{id}' in this community"))
}

/// Themes from labels; a label already in `known` keeps its id.
fn labels(known: &[Theme], labels: Vec<String>) -> Vec<Theme> {
    labels
        .into_iter()
        .map(|label| Theme {
            id: known
                .iter()
                .find(|t| t.label == label.trim())
                .map(|t| t.id.clone())
                .unwrap_or_default(),
            label,
        })
        .collect()
}

/// A date (midnight UTC) or a date-time with its offset, in milliseconds.
fn parse_date(text: &str) -> Result<i64> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("'{text}' is not a date like 2026-03-14"))?;
    Ok(day
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp_millis())
}

fn list(out: &mut String, view: &CommunityView, json: bool) {
    let ideas = |w: &Workshop| synthesis(&view.ideas, w).idea_count();
    if json {
        let items: Vec<_> = view
            .workshops
            .iter()
            .map(|w| {
                let mut value = serde_json::to_value(w).expect("workshops always serialise");
                value["idea_count"] = json!(ideas(w));
                value
            })
            .collect();
        outln!(
            out,
            "{}",
            serde_json::to_string_pretty(&items).expect("listings always serialise")
        );
        return;
    }
    for w in view.workshops.iter() {
        let date = chrono::DateTime::from_timestamp_millis(w.date)
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default();
        outln!(
            out,
            "{}  {date}  {} tables  {:>3} ideas  {}{}",
            w.id,
            w.tables,
            ideas(w),
            w.title,
            if w.closed { "  (closed)" } else { "" }
        );
    }
}

fn show(out: &mut String, view: &CommunityView, w: &Workshop, json: bool) {
    let s = synthesis(&view.ideas, w);
    if json {
        let value = json!({
            "workshop": w,
            "idea_count": s.idea_count(),
            "vote_count": s.vote_count(),
            "themes": s.themes,
        });
        outln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).expect("listings always serialise")
        );
        return;
    }
    outln!(
        out,
        "{} — {} ideas, {} votes",
        w.title,
        s.idea_count(),
        s.vote_count()
    );
    for theme in &s.themes {
        let label = theme
            .theme
            .as_ref()
            .map_or("Sans thème", |t| t.label.as_str());
        outln!(out, "\n{label}");
        for idea in &theme.ideas {
            let authors: Vec<&str> = idea.authors.iter().map(|a| view.member_name(a)).collect();
            let table = idea
                .table
                .map(|t| format!(", table {t}"))
                .unwrap_or_default();
            outln!(
                out,
                "  {}  {:>2} votes  {} ({}{table})",
                idea.id,
                idea.votes.len(),
                idea.text,
                authors.join(", ")
            );
        }
    }
}
