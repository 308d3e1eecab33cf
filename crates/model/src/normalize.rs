//! French-aware text normalisation for search and matching.
//!
//! "Réparer mon VÉLO" and "réparation de vélos" should meet: case and accents
//! are folded, French stop-words dropped, and words reduced to their stem with
//! the Snowball French stemmer, so plural and verb forms match.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// French function words, plus the words every échange uses ("aide",
/// "besoin", "propose"), which would otherwise match everything with
/// everything. Written accent-folded.
const STOP_WORDS: &[&str] = &[
    "a",
    "ai",
    "aie",
    "ainsi",
    "alors",
    "au",
    "aucun",
    "aussi",
    "autre",
    "aux",
    "avec",
    "avoir",
    "bien",
    "c",
    "ca",
    "car",
    "ce",
    "ceci",
    "cela",
    "celle",
    "celui",
    "ces",
    "cet",
    "cette",
    "chez",
    "comme",
    "comment",
    "d",
    "dans",
    "de",
    "des",
    "donc",
    "dont",
    "du",
    "elle",
    "elles",
    "en",
    "encore",
    "est",
    "et",
    "etc",
    "etre",
    "eu",
    "fait",
    "faire",
    "il",
    "ils",
    "j",
    "je",
    "l",
    "la",
    "le",
    "les",
    "leur",
    "leurs",
    "lui",
    "m",
    "ma",
    "mais",
    "me",
    "meme",
    "mes",
    "moi",
    "mon",
    "n",
    "ne",
    "ni",
    "nos",
    "notre",
    "nous",
    "on",
    "ont",
    "ou",
    "par",
    "pas",
    "peu",
    "peut",
    "plus",
    "pour",
    "qu",
    "quand",
    "que",
    "quel",
    "quelle",
    "qui",
    "quoi",
    "s",
    "sa",
    "sans",
    "se",
    "ses",
    "si",
    "son",
    "sont",
    "sur",
    "t",
    "ta",
    "te",
    "tes",
    "toi",
    "ton",
    "tous",
    "tout",
    "toute",
    "toutes",
    "tres",
    "tu",
    "un",
    "une",
    "uns",
    "vos",
    "votre",
    "vous",
    "y",
    "the",
    "and",
    "of",
    "to",
    "for",
    "in",
    "on",
    "with",
    "my",
    // Words of the échange itself rather than of its subject.
    "aide",
    "aider",
    "besoin",
    "cherche",
    "recherche",
    "propose",
    "proposer",
    "offre",
    "partage",
    "partager",
    "veux",
    "voudrais",
    "souhaite",
    "montrer",
    "apprendre",
    "quelqu",
    "quelqun",
    "personne",
    "help",
    "need",
    "offer",
];

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::French));

/// Lower-cases and strips accents: "Élève à l'école" → "eleve a l'ecole".
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The folded words of a text, in order, split on anything not alphanumeric.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold)
}

/// Whether a folded word carries no meaning of its own.
pub fn is_stop_word(folded: &str) -> bool {
    STOP_WORDS.contains(&folded)
}

/// The folded stem of one word. The Snowball rules need the accents ("vélos"
/// → "vélo", but "velos" stays), so the word is stemmed before it is folded.
///
/// Snowball keeps the plural "s" after a vowel ("vélos", "outils" after "i"
/// is removed but not after "o"), so a final "s" or "x" left on a stem of more
/// than three letters is dropped too: plurals must meet their singular.
pub fn stem(word: &str) -> String {
    let mut stem = fold(&STEMMER.stem(&word.to_lowercase()));
    if stem.chars().count() > 3 && (stem.ends_with('s') || stem.ends_with('x')) {
        stem.pop();
    }
    stem
}

/// The words of a text with their case lowered but accents kept, for stemming.
pub fn raw_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// The distinct stems of the meaningful words of a text, for matching.
pub fn keywords(text: &str) -> Vec<String> {
    let mut out: Vec<String> = raw_words(text)
        .filter(|w| w.chars().count() > 1 && !is_stop_word(&fold(w)))
        .map(|w| stem(&w))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A stable identifier from a label: "Garde d'enfants" → "garde-d-enfants".
pub fn slug(label: &str) -> String {
    words(label).collect::<Vec<_>>().join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("Réparer mon VÉLO à Noël"), "reparer mon velo a noel");
    }

    #[test]
    fn keywords_drop_stop_words_and_meet_across_forms() {
        let need = keywords("J'ai besoin d'aide pour réparer mon vélo");
        let offer = keywords("Je propose la réparation de vélos");
        assert!(
            !need
                .iter()
                .any(|k| k == "besoin" || k == "aid" || k == "mon")
        );
        let shared: Vec<_> = need.iter().filter(|k| offer.contains(k)).collect();
        assert!(
            shared.iter().any(|k| k.starts_with("vel")),
            "{need:?} / {offer:?}"
        );
        assert!(
            shared.iter().any(|k| k.starts_with("repar")),
            "{need:?} / {offer:?}"
        );
    }

    #[test]
    fn slugs_are_ascii_and_stable() {
        assert_eq!(slug("Garde d'enfants"), "garde-d-enfants");
        assert_eq!(slug("  Lieux de rencontre "), "lieux-de-rencontre");
    }
}
