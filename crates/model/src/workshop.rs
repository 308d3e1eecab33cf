//! The atelier's synthesis: a workshop's ideas by theme, duplicates merged,
//! with their votes and authors, and the feuille de route (a savoirs sheet)
//! made from it.
//!
//! Merges are read here, not trusted as written: an idea marked merged into
//! another follows the chain to the idea that is kept, and votes are the
//! union of every member who voted for any idea of the merged set, so
//! concurrent merges made on two devices give the same synthesis everywhere
//! once their changes meet, whatever order they arrive in.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::command::{Command, SavoirsCommand};
use crate::entities::{Idea, Theme, Workshop};
use crate::ids::{ItemId, MemberId};
use crate::normalize::slug;
use crate::view::CommunityView;

/// The typology of seed 002's Grande Rencontre, offered as a new workshop's
/// themes (editable).
pub fn preset_themes() -> Vec<Theme> {
    [
        "Lieux de rencontre",
        "Formation et apprentissage",
        "Communication et valorisation",
        "Dispositions légales et plaidoyer",
        "Observer et inspirer",
        "Instances et outils tiers entre l'ESS et le travail social",
        "Mise en commun des pratiques",
    ]
    .into_iter()
    .map(|label| Theme {
        id: slug(label),
        label: label.to_owned(),
    })
    .collect()
}

/// One idea of the synthesis, with the duplicates merged into it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SynthesisIdea {
    /// The kept idea's id.
    pub id: ItemId,
    /// Its text.
    pub text: String,
    /// Its table, if any.
    pub table: Option<i64>,
    /// Members who voted for it or for a duplicate merged into it, once each.
    pub votes: BTreeSet<String>,
    /// Its author first, then the authors of the merged duplicates.
    pub authors: Vec<MemberId>,
    /// The duplicates merged into it.
    pub merged: Vec<ItemId>,
}

/// The ideas of one theme, most voted first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThemeIdeas {
    /// The theme, or `None` for ideas not sorted (or sorted into a theme
    /// no longer in the typology).
    pub theme: Option<Theme>,
    /// The ideas.
    pub ideas: Vec<SynthesisIdea>,
}

/// A workshop's ideas by theme, in the typology's order, unsorted last.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Synthesis {
    /// Every theme of the typology (empty ones included), then the unsorted.
    pub themes: Vec<ThemeIdeas>,
}

impl Synthesis {
    /// How many ideas, duplicates merged.
    pub fn idea_count(&self) -> usize {
        self.themes.iter().map(|t| t.ideas.len()).sum()
    }

    /// How many votes, each member counted once per idea.
    pub fn vote_count(&self) -> usize {
        self.themes
            .iter()
            .flat_map(|t| &t.ideas)
            .map(|i| i.votes.len())
            .sum()
    }
}

/// The idea an idea's merges lead to: follows `merged_into` to an idea not
/// merged (or merged into an idea outside the workshop); in a cycle, made by
/// concurrent merges, the smallest id of the cycle is kept.
pub fn kept_idea<'a>(merged_into: &BTreeMap<&'a str, Option<&'a str>>, id: &'a str) -> &'a str {
    let mut path: Vec<&str> = vec![id];
    let mut current = id;
    loop {
        match merged_into.get(current).copied().flatten() {
            Some(next) if merged_into.contains_key(next) => {
                if let Some(start) = path.iter().position(|p| *p == next) {
                    return path[start..].iter().min().copied().unwrap_or(next);
                }
                path.push(next);
                current = next;
            }
            _ => return current,
        }
    }
}

/// The synthesis of a workshop from the community's ideas.
pub fn synthesis(ideas: &[Idea], workshop: &Workshop) -> Synthesis {
    let mine: Vec<&Idea> = ideas
        .iter()
        .filter(|i| i.workshop.as_ref() == Some(&workshop.id))
        .collect();
    let merged_into: BTreeMap<&str, Option<&str>> = mine
        .iter()
        .map(|i| (i.id.as_str(), i.merged_into.as_ref().map(ItemId::as_str)))
        .collect();
    let by_id: BTreeMap<&str, &Idea> = mine.iter().map(|i| (i.id.as_str(), *i)).collect();
    // Each kept idea and the duplicates merged into it, oldest first.
    let mut sets: BTreeMap<&str, Vec<&Idea>> = BTreeMap::new();
    for idea in &mine {
        sets.entry(kept_idea(&merged_into, idea.id.as_str()))
            .or_default()
            .push(idea);
    }
    // One bucket per theme of the typology, then the unsorted.
    let mut buckets: Vec<Vec<(i64, SynthesisIdea)>> = vec![Vec::new(); workshop.themes.len() + 1];
    for (kept, mut set) in sets {
        let kept = by_id[kept];
        set.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        let mut authors = vec![kept.author.clone()];
        for idea in &set {
            if !authors.contains(&idea.author) {
                authors.push(idea.author.clone());
            }
        }
        let entry = SynthesisIdea {
            id: kept.id.clone(),
            text: kept.text.as_str().trim().to_owned(),
            table: kept.table,
            votes: set.iter().flat_map(|i| i.votes.keys().cloned()).collect(),
            authors,
            merged: set
                .iter()
                .filter(|i| i.id != kept.id)
                .map(|i| i.id.clone())
                .collect(),
        };
        let bucket = kept
            .theme
            .as_ref()
            .and_then(|id| workshop.themes.iter().position(|t| &t.id == id))
            .unwrap_or(workshop.themes.len());
        buckets[bucket].push((kept.created_at, entry));
    }
    let themes = buckets
        .into_iter()
        .enumerate()
        .map(|(n, mut ideas)| {
            ideas.sort_by(|(at_a, a), (at_b, b)| {
                b.votes
                    .len()
                    .cmp(&a.votes.len())
                    .then(at_a.cmp(at_b))
                    .then(a.id.cmp(&b.id))
            });
            ThemeIdeas {
                theme: workshop.themes.get(n).cloned(),
                ideas: ideas.into_iter().map(|(_, i)| i).collect(),
            }
        })
        .collect();
    Synthesis { themes }
}

/// The feuille de route: a new savoirs sheet with one section per theme
/// holding ideas (the unsorted under `unsorted`), each idea on its own line
/// with its votes, authors and table, most voted first.
pub fn roadmap(
    view: &CommunityView,
    workshop: &Workshop,
    sheet: ItemId,
    title: &str,
    unsorted: &str,
) -> Command {
    let synthesis = synthesis(&view.ideas, workshop);
    let sections = synthesis
        .themes
        .iter()
        .filter(|t| !t.ideas.is_empty())
        .map(|t| {
            let heading = t.theme.as_ref().map_or(unsorted, |t| t.label.as_str());
            let body = t
                .ideas
                .iter()
                .map(|idea| roadmap_line(view, idea))
                .collect::<Vec<_>>()
                .join("\n");
            (heading.to_owned(), body)
        })
        .collect();
    Command::Savoirs(SavoirsCommand::AddSheet {
        id: sheet,
        title: title.to_owned(),
        sections,
    })
}

/// "- Un potager partagé (3 votes — Nadia, Karim, table 2)".
fn roadmap_line(view: &CommunityView, idea: &SynthesisIdea) -> String {
    let votes = match idea.votes.len() {
        1 => "1 vote".to_owned(),
        n => format!("{n} votes"),
    };
    let authors: Vec<&str> = idea.authors.iter().map(|a| view.member_name(a)).collect();
    let mut line = format!(
        "- {} ({votes} — {}",
        idea.text.replace('\n', " "),
        authors.join(", ")
    );
    if let Some(table) = idea.table {
        line.push_str(&format!(", table {table}"));
    }
    line.push(')');
    line
}
