//! Exports a community for use elsewhere, and imports what other tools wrote.
//!
//! `json` writes the hydrated view (what the app shows), one file. `automerge`
//! writes a directory with one `<kind>.automerge` file per document (the
//! output of `save()`, loadable by any Automerge implementation) and a
//! `manifest.json` naming them; `docs/SCHEMA.md` describes both. Beside each
//! document, `<kind>.signatures` holds the signatures that vouch for its
//! changes (128-byte records: change hash, device key, Ed25519 signature;
//! docs/PROTOCOL.md, *Signed changes*), so the plain Automerge files stay
//! plain.
//!
//! The files for other tools (ICS, CSV, Markdown, HTML) are pure functions of
//! the view in `passerelle_model::{ics, export}`. Imports plan typed commands
//! there; here they are applied one by one ([`ImportReport`]).

use std::path::Path;

use passerelle_model::export::{ImportPlan, Origin, Skipped, csv};
use passerelle_model::layout::{SCHEMA_VERSION, collection_id};
use passerelle_model::{CommunityDocs, CommunityView, ics};
use serde::Serialize;

use crate::clock::new_item_id;
use crate::error::CoreError;
use crate::fsio::write_atomic;

/// The export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON file with everything.
    Json,
    /// A directory of Automerge documents plus a manifest.
    Automerge,
}

#[derive(Serialize)]
struct JsonExport<'a> {
    schema: i64,
    community: &'a passerelle_model::view::CommunityPart,
    exchanges: &'a [passerelle_model::Exchange],
    events: &'a [passerelle_model::Event],
    ideas: &'a [passerelle_model::Idea],
    sheets: &'a [passerelle_model::Sheet],
    posts: &'a [passerelle_model::Post],
}

#[derive(Serialize)]
struct Manifest {
    schema: i64,
    community: String,
    name: String,
    documents: Vec<ManifestDoc>,
}

#[derive(Serialize)]
struct ManifestDoc {
    kind: &'static str,
    id: String,
    file: String,
}

/// What a file is imported into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    /// An iCalendar (`.ics`) file into the agenda.
    Agenda,
    /// A CSV file into the annuaire.
    Annuaire,
}

/// One entry added by an import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// Where it was in the file.
    pub origin: Origin,
    /// Its name or title.
    pub label: String,
    /// The id of the new item.
    pub id: String,
}

/// What an import did: every entry of the file is either imported or skipped.
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    /// Entries added, each by its own validated command.
    pub imported: Vec<Imported>,
    /// Entries left out, and why.
    pub skipped: Vec<Skipped>,
}

/// Plans an import of `bytes` into `view`'s community. Times without a
/// time zone are read in this device's.
pub(crate) fn plan_import(
    kind: ImportKind,
    bytes: &[u8],
    view: &CommunityView,
) -> Result<ImportPlan, CoreError> {
    let plan = match kind {
        ImportKind::Agenda => ics::plan_import(bytes, view, local_millis, new_item_id)?,
        ImportKind::Annuaire => csv::plan_annuaire_import(bytes, view, new_item_id)?,
    };
    Ok(plan)
}

fn local_millis(naive: chrono::NaiveDateTime) -> Option<passerelle_model::Timestamp> {
    use chrono::TimeZone;
    chrono::Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp_millis())
}

pub(crate) fn export(
    docs: &mut CommunityDocs,
    ledgers: &std::collections::BTreeMap<passerelle_model::DocKind, passerelle_model::gate::Ledger>,
    view: &CommunityView,
    format: ExportFormat,
    out: &Path,
) -> Result<(), CoreError> {
    match format {
        ExportFormat::Json => {
            let export = JsonExport {
                schema: SCHEMA_VERSION,
                community: &view.community,
                exchanges: &view.exchanges,
                events: &view.events,
                ideas: &view.ideas,
                sheets: &view.sheets,
                posts: &view.posts,
            };
            let bytes = serde_json::to_vec_pretty(&export).expect("view models always serialise");
            write_atomic(out, &bytes, false)
        }
        ExportFormat::Automerge => {
            if out.exists() && !out.is_dir() {
                return Err(CoreError::NotADirectory(out.to_owned()));
            }
            std::fs::create_dir_all(out).map_err(CoreError::io("create", out))?;
            let (community_doc, ids) = docs.document_ids()?;
            let mut documents = Vec::new();
            for (kind, doc) in docs.docs_mut() {
                let file = format!("{}.automerge", kind.as_str());
                write_atomic(&out.join(&file), &doc.save(), false)?;
                let signatures = ledgers
                    .get(&kind)
                    .map(|l| passerelle_model::signing::encode(l.signatures.iter()))
                    .unwrap_or_default();
                let sig_file = out.join(format!("{}.signatures", kind.as_str()));
                write_atomic(&sig_file, &signatures, false)?;
                let id = collection_id(&ids, kind).unwrap_or(&community_doc);
                documents.push(ManifestDoc {
                    kind: kind.as_str(),
                    id: id.0.clone(),
                    file,
                });
            }
            let manifest = Manifest {
                schema: SCHEMA_VERSION,
                community: view.community.id.0.clone(),
                name: view.community.name.clone(),
                documents,
            };
            let bytes = serde_json::to_vec_pretty(&manifest).expect("a manifest always serialises");
            write_atomic(&out.join("manifest.json"), &bytes, false)
        }
    }
}
