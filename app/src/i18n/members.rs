//! Strings of the Members screen.

/// The Members screen's words.
pub struct MembersStrings {
    /// The screen's name in the navigation.
    pub nav: &'static str,
}

pub const FR: MembersStrings = MembersStrings { nav: "Membres" };

pub const EN: MembersStrings = MembersStrings { nav: "Members" };
