//! One search box over everything a community holds.
//!
//! The index maps every folded word to the items containing it. A query
//! matches an item when each of its meaningful words is a prefix of one of the
//! item's words or shares its stem ("velo" finds "vélos", "répar" finds
//! "réparation"). Titles weigh more than bodies. Built once per set of heads.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::normalize::{fold, is_stop_word, raw_words, stem};
use crate::view::CommunityView;

/// What kind of item a hit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    /// An offer or a need.
    Exchange,
    /// An agenda event.
    Event,
    /// A group.
    Group,
    /// A workshop idea.
    Idea,
    /// An annuaire entry.
    Actor,
    /// A savoirs sheet.
    Sheet,
    /// A fil post.
    Post,
    /// A member.
    Member,
}

impl HitKind {
    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            HitKind::Exchange => "exchange",
            HitKind::Event => "event",
            HitKind::Group => "group",
            HitKind::Idea => "idea",
            HitKind::Actor => "actor",
            HitKind::Sheet => "sheet",
            HitKind::Post => "post",
            HitKind::Member => "member",
        }
    }
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    /// The item's id.
    pub id: String,
    /// What it is.
    pub kind: HitKind,
    /// Its title (or the start of its text).
    pub title: String,
    /// Relevance; higher is better.
    pub score: u32,
}

struct Entry {
    id: String,
    kind: HitKind,
    title: String,
}

const TITLE: u32 = 3;
const BODY: u32 = 1;

/// Most results returned by one query.
pub const MAX_HITS: usize = 100;

/// The search index of one view.
#[derive(Default)]
pub struct SearchIndex {
    entries: Vec<Entry>,
    /// Folded word -> (entry, weight).
    words: BTreeMap<String, Vec<(u32, u32)>>,
    /// Stem -> (entry, weight).
    stems: HashMap<String, Vec<(u32, u32)>>,
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut out: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        out.push('…');
    }
    out
}

impl SearchIndex {
    /// Indexes every item of a view.
    pub fn build(view: &CommunityView) -> Self {
        let mut index = SearchIndex::default();
        let c = &view.community;
        for e in view.exchanges.iter() {
            let body = format!(
                "{} {} {}",
                e.description.as_str(),
                view.category_label(&e.category),
                e.place.as_deref().unwrap_or("")
            );
            index.add(HitKind::Exchange, e.id.as_str(), &e.title, &e.title, &body);
        }
        for e in view.events.iter() {
            let body = format!(
                "{} {}",
                e.description.as_str(),
                e.place.as_deref().unwrap_or("")
            );
            index.add(HitKind::Event, e.id.as_str(), &e.title, &e.title, &body);
        }
        for g in &c.groups {
            let thread: Vec<&str> = g.thread.values().map(|m| m.text.as_str()).collect();
            let body = format!("{} {}", g.description.as_str(), thread.join(" "));
            index.add(HitKind::Group, g.id.as_str(), &g.name, &g.name, &body);
        }
        for i in view.ideas.iter() {
            let title = first_line(i.text.as_str());
            index.add(HitKind::Idea, i.id.as_str(), &title, i.text.as_str(), "");
        }
        for a in &c.actors {
            let body = format!(
                "{} {} {}",
                a.description.as_str(),
                a.address.as_deref().unwrap_or(""),
                a.tags.join(" ")
            );
            index.add(HitKind::Actor, a.id.as_str(), &a.name, &a.name, &body);
        }
        for s in view.sheets.iter() {
            let body: Vec<String> = s
                .sections
                .iter()
                .map(|x| format!("{} {}", x.heading, x.body.as_str()))
                .collect();
            index.add(
                HitKind::Sheet,
                s.id.as_str(),
                &s.title,
                &s.title,
                &body.join(" "),
            );
        }
        for p in view.posts.iter() {
            let comments: Vec<&str> = p.comments.values().map(|c| c.text.as_str()).collect();
            index.add(
                HitKind::Post,
                p.id.as_str(),
                &first_line(p.text.as_str()),
                p.text.as_str(),
                &comments.join(" "),
            );
        }
        for m in &c.members {
            let body = format!("{} {}", m.skills.join(" "), m.languages.join(" "));
            index.add(
                HitKind::Member,
                m.id.as_str(),
                &m.display_name,
                &m.display_name,
                &body,
            );
        }
        index
    }

    fn add(&mut self, kind: HitKind, id: &str, title: &str, heading: &str, body: &str) {
        let n = self.entries.len() as u32;
        self.entries.push(Entry {
            id: id.to_owned(),
            kind,
            title: title.to_owned(),
        });
        // Raw (accented) word -> best weight; folded for prefixes, stemmed for forms.
        let mut seen: HashMap<String, u32> = HashMap::new();
        for (text, weight) in [(heading, TITLE), (body, BODY)] {
            for w in raw_words(text) {
                let best = seen.entry(w).or_insert(0);
                *best = (*best).max(weight);
            }
        }
        let mut folded: HashMap<String, u32> = HashMap::new();
        let mut stems: HashMap<String, u32> = HashMap::new();
        for (w, weight) in seen {
            let f = folded.entry(fold(&w)).or_insert(0);
            *f = (*f).max(weight);
            let s = stems.entry(stem(&w)).or_insert(0);
            *s = (*s).max(weight);
        }
        for (w, weight) in folded {
            self.words.entry(w).or_default().push((n, weight));
        }
        for (s, weight) in stems {
            self.stems.entry(s).or_default().push((n, weight));
        }
    }

    /// The number of indexed items.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Items matching every meaningful word of the query, best first.
    pub fn search(&self, query: &str) -> Vec<Hit> {
        let all: Vec<String> = raw_words(query).collect();
        let mut terms: Vec<&String> = all.iter().filter(|w| !is_stop_word(&fold(w))).collect();
        if terms.is_empty() {
            terms = all.iter().collect();
        }
        if terms.is_empty() {
            return Vec::new();
        }
        let mut total: Option<HashMap<u32, u32>> = None;
        for term in terms {
            let mut scores: HashMap<u32, u32> = HashMap::new();
            let prefix = fold(term);
            for (_, postings) in self
                .words
                .range(prefix.clone()..)
                .take_while(|(w, _)| w.starts_with(prefix.as_str()))
            {
                for &(n, weight) in postings {
                    let s = scores.entry(n).or_insert(0);
                    *s = (*s).max(weight);
                }
            }
            for &(n, weight) in self.stems.get(&stem(term)).into_iter().flatten() {
                let s = scores.entry(n).or_insert(0);
                *s = (*s).max(weight);
            }
            total = Some(match total {
                None => scores,
                Some(prev) => prev
                    .into_iter()
                    .filter_map(|(n, s)| scores.get(&n).map(|t| (n, s + t)))
                    .collect(),
            });
        }
        let mut hits: Vec<Hit> = total
            .unwrap_or_default()
            .into_iter()
            .map(|(n, score)| {
                let e = &self.entries[n as usize];
                Hit {
                    id: e.id.clone(),
                    kind: e.kind,
                    title: e.title.clone(),
                    score,
                }
            })
            .collect();
        hits.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then_with(|| a.title.cmp(&b.title))
                .then_with(|| a.id.cmp(&b.id))
        });
        hits.truncate(MAX_HITS);
        hits
    }
}
