//! Strings of the Directory screen.

/// The Directory screen's words.
pub struct DirectoryStrings {
    /// The screen's name in the navigation.
    pub nav: &'static str,
}

pub const FR: DirectoryStrings = DirectoryStrings { nav: "Annuaire" };

pub const EN: DirectoryStrings = DirectoryStrings { nav: "Directory" };
