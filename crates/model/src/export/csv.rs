//! The annuaire and the échanges as CSV, for spreadsheets; the annuaire
//! read back from CSV.
//!
//! Written and read by the `csv` crate through serde: quoting, embedded
//! commas, quotes and line breaks are its business. Files start with a
//! header row naming the columns; on import the columns may come in any
//! order, unknown ones are ignored, and French names (`nom`, `type`,
//! `étiquettes`, `courriel`, `téléphone`, `site`, `adresse`) are understood.
//! Spreadsheets set to French often separate with `;`: a header with more
//! `;` than `,` is read that way.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::{FileError, ImportPlan, Origin, Planned, SkipReason, Skipped, same_name, utf8_text};
use crate::command::{AnnuaireCommand, Command};
use crate::entities::{Actor, ActorKind, Contact, Exchange};
use crate::ids::{ItemId, Timestamp};
use crate::view::CommunityView;

/// The annuaire's columns, in the order they are written.
pub const ACTOR_COLUMNS: [&str; 8] = [
    "name",
    "kind",
    "tags",
    "email",
    "phone",
    "website",
    "address",
    "description",
];

/// One annuaire entry as a spreadsheet row.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActorRow {
    /// Name.
    #[serde(alias = "nom", alias = "Name", alias = "Nom")]
    pub name: String,
    /// person, organisation or place.
    #[serde(default, alias = "type", alias = "Type", alias = "Kind")]
    pub kind: String,
    /// Tags separated by commas.
    #[serde(default, alias = "étiquettes", alias = "etiquettes", alias = "Tags")]
    pub tags: String,
    /// E-mail address.
    #[serde(default, alias = "courriel", alias = "e-mail", alias = "Email")]
    pub email: String,
    /// Phone number.
    #[serde(default, alias = "téléphone", alias = "telephone", alias = "Phone")]
    pub phone: String,
    /// Web site.
    #[serde(default, alias = "site", alias = "Website")]
    pub website: String,
    /// Postal address.
    #[serde(default, alias = "adresse", alias = "Address")]
    pub address: String,
    /// Free description.
    #[serde(default, alias = "Description")]
    pub description: String,
}

impl ActorRow {
    /// The row for an entry.
    pub fn of(actor: &Actor) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        ActorRow {
            name: actor.name.clone(),
            kind: actor.kind.as_str().to_owned(),
            tags: actor.tags.join(", "),
            email: text(&actor.contact.email),
            phone: text(&actor.contact.phone),
            website: text(&actor.contact.website),
            address: text(&actor.address),
            description: actor.description.as_str().to_owned(),
        }
    }
}

/// One échange as a spreadsheet row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExchangeRow {
    /// Title.
    pub title: String,
    /// offer or need.
    pub kind: String,
    /// The category's label.
    pub category: String,
    /// savoir, coup_de_main, troc, don or pret.
    pub mode: String,
    /// open, in_progress or done.
    pub status: String,
    /// The author's display name.
    pub author: String,
    /// Where, if it matters.
    pub place: String,
    /// When it was posted, RFC 3339 in UTC.
    pub created: String,
    /// Its last change, RFC 3339 in UTC.
    pub updated: String,
    /// How many replies it received.
    pub replies: usize,
    /// Details.
    pub description: String,
}

fn rfc3339(ts: Timestamp) -> String {
    DateTime::<Utc>::from_timestamp_millis(ts)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl ExchangeRow {
    /// The row for an échange, with names resolved in `view`.
    pub fn of(exchange: &Exchange, view: &CommunityView) -> Self {
        ExchangeRow {
            title: exchange.title.clone(),
            kind: exchange.kind.as_str().to_owned(),
            category: view.category_label(&exchange.category).to_owned(),
            mode: exchange.mode.as_str().to_owned(),
            status: exchange.status.as_str().to_owned(),
            author: view.member_name(&exchange.author).to_owned(),
            place: exchange.place.clone().unwrap_or_default(),
            created: rfc3339(exchange.created_at),
            updated: rfc3339(exchange.updated_at),
            replies: exchange.replies.len(),
            description: exchange.description.as_str().to_owned(),
        }
    }
}

fn write_rows<T: Serialize>(rows: impl IntoIterator<Item = T>) -> String {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing plain strings and numbers into memory cannot fail.
        writer.serialize(row).expect("a row of strings serialises");
    }
    let bytes = writer.into_inner().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("rows of UTF-8 strings give UTF-8")
}

/// The annuaire as CSV, in the view's order. An empty annuaire still gets
/// its header row, so the file shows what to fill in.
pub fn annuaire_csv(view: &CommunityView) -> String {
    if view.community.actors.is_empty() {
        return format!("{}\n", ACTOR_COLUMNS.join(","));
    }
    write_rows(view.community.actors.iter().map(ActorRow::of))
}

/// The échanges as CSV, in the view's order (newest first).
pub fn exchanges_csv(view: &CommunityView) -> String {
    write_rows(view.exchanges.iter().map(|e| ExchangeRow::of(e, view)))
}

/// A row read from a CSV file: its line, and its value or why it is bad.
pub type Row<T> = (u64, Result<T, SkipReason>);

/// Reads CSV rows, naming the line of each bad one.
pub fn read_rows<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<Vec<Row<T>>, FileError> {
    let text = utf8_text(bytes)?;
    let header = text.lines().next().unwrap_or_default();
    let delimiter = if header.matches(';').count() > header.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(::csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| FileError::BadHeader(e.to_string()))?
        .clone();
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        // Line 1 is the header; positions are known for every record read.
        let fallback = index as u64 + 2;
        match record {
            Ok(record) => {
                let line = record.position().map_or(fallback, |p| p.line());
                if record.iter().all(str::is_empty) {
                    continue;
                }
                let row = record
                    .deserialize(Some(&headers))
                    .map_err(|e| match e.kind() {
                        ::csv::ErrorKind::Deserialize { err, .. } => {
                            SkipReason::Unreadable(err.to_string())
                        }
                        _ => SkipReason::Unreadable(e.to_string()),
                    });
                rows.push((line, row));
            }
            Err(e) => {
                let line = e.position().map_or(fallback, |p| p.line());
                let reason = match e.kind() {
                    ::csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => SkipReason::Columns {
                        found: *len as usize,
                        expected: *expected_len as usize,
                    },
                    _ => SkipReason::Unreadable(e.to_string()),
                };
                rows.push((line, Err(reason)));
            }
        }
    }
    Ok(rows)
}

fn actor_kind(text: &str) -> Result<ActorKind, SkipReason> {
    match crate::normalize::slug(text).as_str() {
        "person" | "personne" => Ok(ActorKind::Person),
        "organisation" | "organization" | "association" => Ok(ActorKind::Organisation),
        "place" | "lieu" => Ok(ActorKind::Place),
        "" => Err(SkipReason::NoKind),
        _ => Err(SkipReason::UnknownKind(text.to_owned())),
    }
}

fn optional(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// Plans the import of an annuaire CSV into `view`'s community: one
/// `AddActor` per row. Rows that cannot be read, and entries already in the
/// annuaire (same name and kind, here or earlier in the file), are skipped.
pub fn plan_annuaire_import(
    bytes: &[u8],
    view: &CommunityView,
    mut new_id: impl FnMut() -> ItemId,
) -> Result<ImportPlan, FileError> {
    let text = utf8_text(bytes)?;
    let header = text.lines().next().unwrap_or_default();
    if !header.split([',', ';']).any(|c| {
        matches!(
            c.trim().trim_matches('"').to_lowercase().as_str(),
            "name" | "nom"
        )
    }) {
        return Err(FileError::NoHeader(&ACTOR_COLUMNS));
    }
    let mut plan = ImportPlan::default();
    let mut seen: Vec<(String, ActorKind)> = view
        .community
        .actors
        .iter()
        .map(|a| (a.name.clone(), a.kind))
        .collect();
    for (line, row) in read_rows::<ActorRow>(bytes)? {
        let origin = Origin::Line(line);
        let row = match row {
            Ok(row) => row,
            Err(reason) => {
                plan.skipped.push(Skipped {
                    origin,
                    label: String::new(),
                    reason,
                });
                continue;
            }
        };
        if let Err(e) = crate::command::check_name("name", &row.name) {
            plan.skipped.push(Skipped {
                origin,
                label: row.name,
                reason: SkipReason::Refused(std::sync::Arc::new(e)),
            });
            continue;
        }
        let kind = match actor_kind(&row.kind) {
            Ok(kind) => kind,
            Err(reason) => {
                plan.skipped.push(Skipped {
                    origin,
                    label: row.name,
                    reason,
                });
                continue;
            }
        };
        if seen
            .iter()
            .any(|(name, k)| *k == kind && same_name(name, &row.name))
        {
            plan.skipped.push(Skipped {
                origin,
                label: row.name,
                reason: SkipReason::InAnnuaire,
            });
            continue;
        }
        seen.push((row.name.clone(), kind));
        let tags = row
            .tags
            .split([',', ';'])
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        plan.commands.push(Planned {
            origin,
            label: row.name.clone(),
            command: Command::Annuaire(AnnuaireCommand::AddActor {
                id: new_id(),
                kind,
                name: row.name,
                description: row.description,
                contact: Contact {
                    email: optional(row.email),
                    phone: optional(row.phone),
                    website: optional(row.website),
                },
                address: optional(row.address),
                tags,
            }),
        });
    }
    Ok(plan)
}
