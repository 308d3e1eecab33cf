//! Strings of the Agenda screen.

/// The Agenda screen's words.
pub struct AgendaStrings {
    /// The screen's name in the navigation.
    pub nav: &'static str,
}

pub const FR: AgendaStrings = AgendaStrings { nav: "Agenda" };

pub const EN: AgendaStrings = AgendaStrings { nav: "Calendar" };
