//! Suggested matches between offers and needs.
//!
//! An offer and a need match when they share a category and at least one
//! keyword after normalisation (see [`crate::normalize`]). The score is the
//! cosine of their keyword sets, in `0.0..=1.0`. Candidates come from an
//! inverted index per category, so the cost grows with the number of shared
//! keywords, not with offers × needs.

use std::collections::hash_map::DefaultHasher;
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
    Arc::unwrap_or_clone(Matcher::default().suggest(exchanges))
}

/// Suggests matches, remembering between runs each échange's keywords and
/// each need's suggestions: after a change, only the échanges whose text
/// changed are analysed again, and only the needs of a category whose offers
/// changed (or the needs that changed themselves) are matched again.
#[derive(Default)]
pub struct Matcher {
    /// Keywords by échange, with a hash of the text they were drawn from.
    keywords: HashMap<ItemId, (u64, Arc<Vec<String>>)>,
    /// The needs matched, by category, valid for the offers they were
    /// matched against.
    categories: HashMap<String, CategoryRun>,
    /// The last list of suggestions.
    list: Arc<Vec<Match>>,
}

/// The needs of one category whose suggestions are in the list, for one
/// set of open offers.
#[derive(Default)]
struct CategoryRun {
    /// A hash of the category's open offers (ids and texts).
    offers: u64,
    /// Each need matched, with a hash of its text then.
    needs: HashMap<ItemId, u64>,
}

/// An open offer with its keywords.
struct Offer<'a> {
    exchange: &'a Exchange,
    words: Arc<Vec<String>>,
}

/// An open need with its keywords and a hash of its text.
struct Need<'a> {
    exchange: &'a Exchange,
    key: u64,
    words: Arc<Vec<String>>,
}

/// The open offers of one category, indexed by keyword.
struct Index<'o, 'a> {
    offers: &'o [Offer<'a>],
    by_word: HashMap<&'o str, Vec<usize>>,
    /// Shared-word counts per offer, reused from need to need.
    counts: Vec<u32>,
    touched: Vec<usize>,
}

impl Matcher {
    /// An échange's keywords, and a hash of the text they come from.
    fn keywords(&mut self, e: &Exchange) -> (u64, Arc<Vec<String>>) {
        let mut hasher = DefaultHasher::new();
        (e.title.as_str(), e.description.as_str()).hash(&mut hasher);
        let key = hasher.finish();
        match self.keywords.get(&e.id) {
            Some((k, words)) if *k == key => (key, words.clone()),
            _ => {
                let words = Arc::new(exchange_keywords(e));
                self.keywords.insert(e.id.clone(), (key, words.clone()));
                (key, words)
            }
        }
    }

    /// Every suggested match among open échanges, best first, at most
    /// [`PER_NEED`] per need.
    ///
    /// The list is kept between runs and only the suggestions of needs
    /// matched again are replaced in it; it is copied only if a previous
    /// result is still held elsewhere.
    pub fn suggest(&mut self, exchanges: &[Exchange]) -> Arc<Vec<Match>> {
        // Forget échanges that are gone.
        if self.keywords.len() > exchanges.len() {
            let present: HashSet<&ItemId> = exchanges.iter().map(|e| &e.id).collect();
            self.keywords.retain(|id, _| present.contains(id));
        }
        let mut offers: HashMap<&str, (DefaultHasher, Vec<Offer>)> = HashMap::new();
        let mut needs: HashMap<&str, Vec<Need>> = HashMap::new();
        for e in exchanges
            .iter()
            .filter(|e| e.status != ExchangeStatus::Done)
        {
            let (key, words) = self.keywords(e);
            match e.kind {
                ExchangeKind::Offer => {
                    let (hasher, list) = offers.entry(e.category.as_str()).or_default();
                    (&e.id, key).hash(hasher);
                    list.push(Offer { exchange: e, words });
                }
                ExchangeKind::Need => {
                    let list = needs.entry(e.category.as_str()).or_default();
                    list.push(Need {
                        exchange: e,
                        key,
                        words,
                    });
                }
            }
        }
        // Needs whose suggestions in the list are gone or replaced.
        let mut replaced: HashSet<ItemId> = HashSet::new();
        let mut added: Vec<Match> = Vec::new();
        self.categories.retain(|category, run| {
            let keep =
                needs.contains_key(category.as_str()) && offers.contains_key(category.as_str());
            if !keep {
                replaced.extend(run.needs.drain().map(|(id, _)| id));
            }
            keep
        });
        for (category, needs) in needs {
            let Some((hasher, offers)) = offers.remove(category) else {
                continue;
            };
            let run = self.categories.entry(category.to_owned()).or_default();
            let fingerprint = hasher.finish();
            if run.offers != fingerprint {
                run.offers = fingerprint;
                replaced.extend(run.needs.drain().map(|(id, _)| id));
            }
            let present: HashSet<&ItemId> = needs.iter().map(|n| &n.exchange.id).collect();
            run.needs.retain(|id, _| {
                let keep = present.contains(id);
                if !keep {
                    replaced.insert(id.clone());
                }
                keep
            });
            // Built only when some need must be matched again.
            let mut index: Option<Index> = None;
            for need in needs {
                let id = &need.exchange.id;
                if run.needs.get(id) == Some(&need.key) {
                    continue;
                }
                let index = index.get_or_insert_with(|| Index::new(&offers));
                added.extend(index.suggest(need.exchange, &need.words));
                replaced.insert(id.clone());
                run.needs.insert(id.clone(), need.key);
            }
        }
        if !replaced.is_empty() {
            let list = Arc::make_mut(&mut self.list);
            list.retain(|m| !replaced.contains(&m.need));
            list.extend(added);
            // The kept part is sorted already: a stable sort merges the rest in.
            list.sort_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then_with(|| a.need.cmp(&b.need))
                    .then_with(|| a.offer.cmp(&b.offer))
            });
        }
        self.list.clone()
    }
}

impl<'o, 'a> Index<'o, 'a> {
    fn new(offers: &'o [Offer<'a>]) -> Self {
        let mut by_word: HashMap<&'o str, Vec<usize>> = HashMap::new();
        for (n, offer) in offers.iter().enumerate() {
            for w in offer.words.iter() {
                by_word.entry(w.as_str()).or_default().push(n);
            }
        }
        Index {
            offers,
            by_word,
            counts: vec![0; offers.len()],
            touched: Vec::new(),
        }
    }

    /// The best offers for one need, best first, at most [`PER_NEED`].
    fn suggest(&mut self, need: &Exchange, need_words: &[String]) -> Vec<Match> {
        for w in need_words {
            for &n in self.by_word.get(w.as_str()).into_iter().flatten() {
                if self.counts[n] == 0 {
                    self.touched.push(n);
                }
                self.counts[n] += 1;
            }
        }
        // Offers by the need's own author are kept: on a shared device (the
        // social centre's computer) one member posts for several people.
        let offers = self.offers;
        let mut candidates: Vec<(f64, usize)> = Vec::with_capacity(self.touched.len());
        for n in self.touched.drain(..) {
            let shared = std::mem::take(&mut self.counts[n]);
            let score = shared as f64 / ((need_words.len() * offers[n].words.len()) as f64).sqrt();
            candidates.push(((score * 1000.0).round() / 1000.0, n));
        }
        candidates.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| offers[a.1].exchange.id.cmp(&offers[b.1].exchange.id))
        });
        candidates
            .into_iter()
            .take(PER_NEED)
            .map(|(score, n)| {
                let offer_words = &offers[n].words;
                Match {
                    offer: offers[n].exchange.id.clone(),
                    need: need.id.clone(),
                    category: need.category.clone(),
                    score,
                    shared: need_words
                        .iter()
                        .filter(|w| offer_words.contains(w))
                        .cloned()
                        .collect(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use autosurgeon::Text;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::entities::ExchangeMode;
    use crate::ids::MemberId;

    const WORDS: &[&str] = &[
        "vélo",
        "réparer",
        "danse",
        "cuisine",
        "jardin",
        "potager",
        "couture",
        "ordinateur",
        "anglais",
        "guitare",
        "déménagement",
        "peinture",
        "bricolage",
        "tricot",
        "lecture",
    ];
    const CATEGORIES: &[&str] = &["bricolage", "savoirs", "jardin"];

    fn sentence(rng: &mut ChaCha8Rng) -> String {
        let n = rng.random_range(1..5);
        (0..n)
            .map(|_| WORDS[rng.random_range(0..WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn exchange(rng: &mut ChaCha8Rng, n: u128) -> Exchange {
        Exchange {
            attachments: Default::default(),
            moderation: None,
            locked: None,
            id: ItemId::from_parts(1_700_000_000_000, n),
            kind: if rng.random_bool(0.5) {
                ExchangeKind::Offer
            } else {
                ExchangeKind::Need
            },
            title: sentence(rng),
            description: Text::with_value(sentence(rng)),
            category: CATEGORIES[rng.random_range(0..CATEGORIES.len())].into(),
            mode: ExchangeMode::CoupDeMain,
            place: None,
            status: ExchangeStatus::Open,
            author: MemberId("m".into()),
            created_at: 0,
            updated_at: 0,
            replies: Default::default(),
        }
    }

    #[test]
    fn a_matcher_that_remembers_agrees_with_a_fresh_one_after_every_change() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut exchanges: Vec<Exchange> = (0..60).map(|n| exchange(&mut rng, n)).collect();
        let mut matcher = Matcher::default();
        let mut next = 60;
        let mut held: Option<(Arc<Vec<Match>>, Vec<Match>)> = None;
        for step in 0..300 {
            let i = rng.random_range(0..exchanges.len());
            match step % 6 {
                0 => {
                    exchanges.push(exchange(&mut rng, next));
                    next += 1;
                }
                1 => exchanges[i].title = sentence(&mut rng),
                2 => exchanges[i].status = ExchangeStatus::Done,
                3 => {
                    exchanges[i].category = CATEGORIES[rng.random_range(0..CATEGORIES.len())].into()
                }
                4 => {
                    exchanges.remove(i);
                }
                _ => exchanges[i].description = Text::with_value(sentence(&mut rng)),
            }
            let remembered = matcher.suggest(&exchanges);
            assert_eq!(
                *remembered,
                suggest_matches(&exchanges),
                "after step {step}"
            );
            assert!(remembered.iter().all(|m| m.score > 0.0));
            // A list still held elsewhere is left as it was.
            if let Some((list, copy)) = held.take() {
                assert_eq!(*list, copy);
            }
            if step % 10 == 0 {
                held = Some((remembered.clone(), (*remembered).clone()));
            }
        }
    }

    #[test]
    fn each_need_gets_its_best_offers_only() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut exchanges: Vec<Exchange> = (0..20)
            .map(|n| {
                let mut e = exchange(&mut rng, n);
                e.kind = ExchangeKind::Offer;
                e.category = "bricolage".into();
                e.title = "réparer un vélo".into();
                e
            })
            .collect();
        let mut need = exchange(&mut rng, 99);
        need.kind = ExchangeKind::Need;
        need.category = "bricolage".into();
        need.title = "vélo à réparer".into();
        exchanges.push(need);
        let found = suggest_matches(&exchanges);
        assert_eq!(found.len(), PER_NEED);
        assert!(found.iter().all(|m| !m.shared.is_empty() && m.score > 0.0));
    }
}
