//! Strings of the Workshop screen.

/// The Workshop screen's words.
pub struct WorkshopStrings {
    /// The screen's name in the navigation.
    pub nav: &'static str,
}

pub const FR: WorkshopStrings = WorkshopStrings { nav: "Atelier" };

pub const EN: WorkshopStrings = WorkshopStrings { nav: "Workshop" };
