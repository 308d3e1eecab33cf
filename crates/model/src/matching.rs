//! Suggested matches between offers and needs.
//!
//! An offer and a need match when they share a category and at least one
//! keyword after normalisation (see [`crate::normalize`]). The score is the
//! cosine of their keyword sets, in `0.0..=1.0`. Candidates come from an
//! inverted index per category, so the cost grows with the number of shared
//! keywords, not with offers × needs.

use std::collections::{BTreeMap, HashMap};

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

/// Every suggested match among open échanges, best first.
pub fn suggest_matches(exchanges: &[Exchange]) -> Vec<Match> {
    let open = |e: &&Exchange| e.status != ExchangeStatus::Done;
    // category -> keyword -> offers (index into `offers`)
    let mut index: HashMap<&str, HashMap<String, Vec<usize>>> = HashMap::new();
    let offers: Vec<(&Exchange, Vec<String>)> = exchanges
        .iter()
        .filter(open)
        .filter(|e| e.kind == ExchangeKind::Offer)
        .map(|e| (e, exchange_keywords(e)))
        .collect();
    for (n, (offer, words)) in offers.iter().enumerate() {
        let by_word = index.entry(offer.category.as_str()).or_default();
        for w in words {
            by_word.entry(w.clone()).or_default().push(n);
        }
    }
    let mut out = Vec::new();
    for need in exchanges
        .iter()
        .filter(open)
        .filter(|e| e.kind == ExchangeKind::Need)
    {
        let Some(by_word) = index.get(need.category.as_str()) else {
            continue;
        };
        let need_words = exchange_keywords(need);
        let mut shared: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for w in &need_words {
            for &n in by_word.get(w).into_iter().flatten() {
                shared.entry(n).or_default().push(w.clone());
            }
        }
        for (n, words) in shared {
            // Offers by the need's own author are kept: on a shared device (the
            // social centre's computer) one member posts for several people.
            let (offer, offer_words) = &offers[n];
            let score = words.len() as f64 / ((need_words.len() * offer_words.len()) as f64).sqrt();
            out.push(Match {
                offer: offer.id.clone(),
                need: need.id.clone(),
                category: need.category.clone(),
                score: (score * 1000.0).round() / 1000.0,
                shared: words,
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
