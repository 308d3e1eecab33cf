//! Strings of the Knowledge screen.

/// The Knowledge screen's words.
pub struct KnowledgeStrings {
    /// The screen's name in the navigation.
    pub nav: &'static str,
}

pub const FR: KnowledgeStrings = KnowledgeStrings { nav: "Savoirs" };

pub const EN: KnowledgeStrings = KnowledgeStrings { nav: "Knowledge" };
