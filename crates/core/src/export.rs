//! Exports a community for use elsewhere.
//!
//! `json` writes the hydrated view (what the app shows), one file. `automerge`
//! writes a directory with one `<kind>.automerge` file per document (the
//! output of `save()`, loadable by any Automerge implementation) and a
//! `manifest.json` naming them; `docs/SCHEMA.md` describes both.

use std::path::Path;

use passerelle_model::layout::{SCHEMA_VERSION, collection_id};
use passerelle_model::{CommunityDocs, CommunityView};
use serde::Serialize;

use crate::datadir::write_atomic;
use crate::error::CoreError;

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

pub(crate) fn export(
    docs: &mut CommunityDocs,
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
