//! Suggested matches between offers and needs.
//!
//! An offer and a need match when they share a category and at least one
//! keyword after normalisation (see [`crate::normalize`]). The score is the
//! cosine of their keyword sets, in `0.0..=1.0`. Candidates come from an
//! inverted index per category, so the cost grows with the number of shared
//! keywords, not with offers × needs.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::Serialize;

use crate::entities::{Exchange, ExchangeKind, ExchangeStatus};
use crate::ids::ItemId;
use crate::normalize::keywords;

/// An offer that could answer a need.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Match {
    /// The offer.
    pub offer: ItemId,
    /// The need.
    pub need: ItemId,
    /// Their shared category.
    pub category: String,
    /// How close they are, `0.0..=1.0`.
    pub score: f64,
    /// The keyword stems they share.
    pub shared: Vec<String>,
}

/// The words an échange is about.
pub fn exchange_keywords(e: &Exchange) -> Vec<String> {
    keywords(&format!("{} {}", e.title, e.description.as_str()))
}

/// Most offers suggested for one need: the best ones. A need posted in a
/// busy year can share a word with a hundred offers; a list that long helps
/// no one, and building it was most of the matcher's cost.
pub const PER_NEED: usize = 5;

/// Every suggested match among open échanges, best first.
pub fn suggest_matches(exchanges: &[Exchange]) -> Vec<Match> {
    Matcher::default().suggest(exchanges)
}

/// Suggests matches, remembering each échange's keywords between runs: after
/// a change only the échanges whose text changed are analysed again.
#[derive(Default)]
pub struct Matcher {
    /// Keywords by échange, with a hash of the text they were drawn from.
    keywords: HashMap<ItemId, (u64, Arc<Vec<String>>)>,
}

impl Matcher {
    fn keywords(&mut self, e: &Exchange) -> Arc<Vec<String>> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (e.title.as_str(), e.description.as_str()).hash(&mut hasher);
        let key = hasher.finish();
        match self.keywords.get(&e.id) {
            Some((k, words)) if *k == key => words.clone(),
            _ => {
                let words = Arc::new(exchange_keywords(e));
                self.keywords.insert(e.id.clone(), (key, words.clone()));
                words
            }
        }
    }

    /// Every suggested match among open échanges, best first, at most
    /// [`PER_NEED`] per need.
    pub fn suggest(&mut self, exchanges: &[Exchange]) -> Vec<Match> {
        let open = |e: &&Exchange| e.status != ExchangeStatus::Done;
        // Forget échanges that are gone.
        if self.keywords.len() > exchanges.len() {
            let present: HashSet<&ItemId> = exchanges.iter().map(|e| &e.id).collect();
            self.keywords.retain(|id, _| present.contains(id));
        }
        let offers: Vec<(&Exchange, Arc<Vec<String>>)> = exchanges
            .iter()
            .filter(open)
            .filter(|e| e.kind == ExchangeKind::Offer)
            .map(|e| (e, self.keywords(e)))
            .collect();
        // category -> keyword -> offers (index into `offers`)
        let mut index: HashMap<&str, HashMap<&str, Vec<usize>>> = HashMap::new();
        for (n, (offer, words)) in offers.iter().enumerate() {
            let by_word = index.entry(offer.category.as_str()).or_default();
            for w in words.iter() {
                by_word.entry(w.as_str()).or_default().push(n);
            }
        }
        let mut out = Vec::new();
        let needs: Vec<&Exchange> = exchanges
            .iter()
            .filter(open)
            .filter(|e| e.kind == ExchangeKind::Need)
            .collect();
        // Shared-word counts per offer, reused from need to need.
        let mut counts = vec![0u32; offers.len()];
        let mut touched = Vec::new();
        for need in needs {
            let Some(by_word) = index.get(need.category.as_str()) else {
                continue;
            };
            let need_words = self.keywords(need);
            for w in need_words.iter() {
                for &n in by_word.get(w.as_str()).into_iter().flatten() {
                    if counts[n] == 0 {
                        touched.push(n);
                    }
                    counts[n] += 1;
                }
            }
            // Offers by the need's own author are kept: on a shared device (the
            // social centre's computer) one member posts for several people.
            let mut candidates: Vec<(f64, usize)> = touched
                .drain(..)
                .map(|n| {
                    let shared = std::mem::take(&mut counts[n]);
                    let score =
                        shared as f64 / ((need_words.len() * offers[n].1.len()) as f64).sqrt();
                    ((score * 1000.0).round() / 1000.0, n)
                })
                .collect();
            candidates.sort_by(|a, b| {
                b.0.total_cmp(&a.0)
                    .then_with(|| offers[a.1].0.id.cmp(&offers[b.1].0.id))
            });
            for (score, n) in candidates.into_iter().take(PER_NEED) {
                let offer_words = &offers[n].1;
                out.push(Match {
                    offer: offers[n].0.id.clone(),
                    need: need.id.clone(),
                    category: need.category.clone(),
                    score,
                    shared: need_words
                        .iter()
                        .filter(|w| offer_words.contains(w))
                        .cloned()
                        .collect(),
                });
            }
        }
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.need.cmp(&b.need))
                .then_with(|| a.offer.cmp(&b.offer))
        });
        out
    }
}
