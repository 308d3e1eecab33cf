//! Strings of the Report screen.

/// The Report screen's words.
pub struct ReportStrings {
    /// The screen's name in the navigation.
    pub nav: &'static str,
}

pub const FR: ReportStrings = ReportStrings { nav: "Bilan" };

pub const EN: ReportStrings = ReportStrings { nav: "Report" };
