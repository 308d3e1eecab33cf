//! Strings of the Feed screen.

/// The Feed screen's words.
pub struct FeedStrings {
    /// The screen's name in the navigation.
    pub nav: &'static str,
}

pub const FR: FeedStrings = FeedStrings { nav: "Fil" };

pub const EN: FeedStrings = FeedStrings { nav: "Feed" };
