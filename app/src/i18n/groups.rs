//! Strings of the Groups screen.

/// The Groups screen's words.
pub struct GroupsStrings {
    /// The screen's name in the navigation.
    pub nav: &'static str,
}

pub const FR: GroupsStrings = GroupsStrings { nav: "Groupes" };

pub const EN: GroupsStrings = GroupsStrings { nav: "Groups" };
