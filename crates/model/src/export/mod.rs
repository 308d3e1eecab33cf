//! Files for the tools people already live with: spreadsheets (CSV),
//! printed sheets (Markdown and printable HTML), calendars ([`crate::ics`]).
//!
//! Every format is written and read by a well-kept crate (`csv`,
//! `pulldown-cmark`, `icalendar`), never by hand, so quoting and escaping are
//! theirs. Exports are pure functions of the view. Imports never touch a
//! document: they turn a file into an [`ImportPlan`], typed commands the
//! caller applies one by one (each validated, each one change), plus the
//! entries left out and why.

pub mod csv;
pub mod markdown;

use crate::command::Command;

/// Where an imported entry was found in its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A line of a CSV file (the header is line 1).
    Line(u64),
    /// The rank of an event in an iCalendar file, from 1.
    Event(usize),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Line(n) => write!(f, "line {n}"),
            Origin::Event(n) => write!(f, "event {n}"),
        }
    }
}

/// One entry of a file, ready to be applied.
#[derive(Clone, Debug)]
pub struct Planned {
    /// Where it was in the file.
    pub origin: Origin,
    /// Its name or title, to tell the user.
    pub label: String,
    /// The command that adds it.
    pub command: Command,
}

/// One entry of a file that is not imported.
#[derive(Clone, Debug)]
pub struct Skipped {
    /// Where it was in the file.
    pub origin: Origin,
    /// Its name or title, when it could be read.
    pub label: String,
    /// Why it is left out.
    pub reason: SkipReason,
}

/// Why an entry of a file is not imported.
#[derive(Clone, Debug, thiserror::Error)]
pub enum SkipReason {
    /// The row does not read (the CSV reader's words).
    #[error("{0}")]
    Unreadable(String),
    /// The row has another number of columns than the header.
    #[error("{found} columns where the header has {expected}")]
    Columns {
        /// Columns in the row.
        found: usize,
        /// Columns in the header.
        expected: usize,
    },
    /// No kind of annuaire entry.
    #[error("the kind is missing (person, organisation or place)")]
    NoKind,
    /// A kind of annuaire entry that is not one (as written in the file).
    #[error("unknown kind '{0}' (expected person, organisation or place)")]
    UnknownKind(String),
    /// The same entry is in the annuaire already.
    #[error("already in the annuaire")]
    InAnnuaire,
    /// An event without a title.
    #[error("it has no title (SUMMARY)")]
    NoTitle,
    /// An event without a start date that can be read.
    #[error("it has no start date that can be read (DTSTART)")]
    NoStart,
    /// The same event is in the agenda already.
    #[error("already in the agenda")]
    InAgenda,
    /// The command adding it was refused (shared: the error is not `Clone`).
    #[error("{0}")]
    Refused(std::sync::Arc<crate::CommandError>),
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.label.is_empty() {
            write!(f, "{}: {}", self.origin, self.reason)
        } else {
            write!(f, "{} ({}): {}", self.origin, self.label, self.reason)
        }
    }
}

/// What importing a file would do.
#[derive(Clone, Debug, Default)]
pub struct ImportPlan {
    /// Commands to apply, in file order.
    pub commands: Vec<Planned>,
    /// Entries left out, in file order.
    pub skipped: Vec<Skipped>,
}

/// A file that cannot be imported at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileError {
    /// Not UTF-8 text.
    #[error(
        "the file is not UTF-8 text (first bad byte on line {line}); save it again as UTF-8 (\"CSV UTF-8\" in spreadsheets)"
    )]
    NotUtf8 {
        /// The line holding the first invalid byte, from 1.
        line: usize,
    },
    /// The CSV header row does not read (the reader's words).
    #[error("the header row cannot be read: {0}")]
    BadHeader(String),
    /// The CSV's first line does not name the columns.
    #[error("the first line must name the columns, at least 'name': {}", .0.join(","))]
    NoHeader(&'static [&'static str]),
    /// Not an iCalendar file.
    #[error("this is not an iCalendar file (it must start with BEGIN:VCALENDAR)")]
    NotCalendar,
    /// An iCalendar file that does not read (the parser's words).
    #[error("this iCalendar file cannot be read: {0}")]
    BadCalendar(String),
}

/// The text of a file, refusing anything that is not UTF-8. A leading byte
/// order mark (spreadsheets write one) is dropped.
pub fn utf8_text(bytes: &[u8]) -> Result<&str, FileError> {
    let text = std::str::from_utf8(bytes).map_err(|e| FileError::NotUtf8 {
        line: 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count(),
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Case- and accent-insensitive form of a name, to recognise an entry
/// that is already there.
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    crate::normalize::slug(a) == crate::normalize::slug(b)
}

/// A new community's view (its creator, the default categories and
/// themes), for tests.
#[cfg(test)]
pub(crate) fn new_community_view() -> crate::CommunityView {
    use crate::entities::{Device, Member, Role};
    let mut n = 0u128;
    let mut random = || {
        n += 1;
        n
    };
    let now = 1_790_000_000_000;
    let me = crate::DeviceKey("c".repeat(64));
    let creator = Member {
        id: crate::MemberId::from_parts(now, random()),
        display_name: "Nadia".into(),
        role: Role::Admin,
        devices: [(
            me.0.clone(),
            Device {
                revoked: None,
                added_at: now,
                label: "cet appareil".into(),
            },
        )]
        .into(),
        skills: vec![],
        languages: vec![],
        joined_at: now,
        removed_at: None,
    };
    let genesis = crate::layout::Genesis::new("Quartier", "", creator, &me, now, &mut random)
        .expect("a valid genesis");
    let mut docs = crate::CommunityDocs::create_signed(genesis, &me.actor())
        .expect("the community is created");
    let view = crate::ViewCache::default()
        .view(&mut docs)
        .expect("a new community has a view");
    (*view).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_names_its_line_and_a_bom_is_dropped() {
        assert_eq!(
            utf8_text(b"name,kind\nCaf\xe9,place\n"),
            Err(FileError::NotUtf8 { line: 2 })
        );
        assert_eq!(utf8_text("\u{feff}a,b".as_bytes()), Ok("a,b"));
    }
}
