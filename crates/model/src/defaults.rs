//! The defaults a new community starts with: its échange categories and the
//! theme typology of its workshops. Every community's genesis writes them
//! (`layout::Genesis`); members change them afterwards.

use crate::entities::{Category, Theme};
use crate::normalize::slug;

/// The échange categories a new community starts with.
pub fn default_categories() -> Vec<Category> {
    [
        "Bricolage",
        "Cuisine",
        "Jardinage",
        "Informatique",
        "Langues",
        "Garde d'enfants",
        "Emploi",
        "Mobilité",
        "Danse et culture",
        "Démarches",
        "Autre",
    ]
    .into_iter()
    .map(|label| Category {
        id: slug(label),
        label: label.to_owned(),
    })
    .collect()
}

/// The theme typology of the Grande Rencontre (7 items).
pub fn default_themes() -> Vec<Theme> {
    [
        "Lieux de rencontre",
        "Formation et apprentissage",
        "Communication et valorisation",
        "Dispositions légales et plaidoyer",
        "Observer et inspirer",
        "Instances et outils tiers",
        "Mise en commun des pratiques",
    ]
    .into_iter()
    .map(|label| Theme {
        id: slug(label),
        label: label.to_owned(),
    })
    .collect()
}
