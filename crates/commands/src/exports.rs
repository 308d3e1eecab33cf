//! `export --format ics|csv|markdown|html` and `import`: which part of a
//! community goes into which format.
//!
//! The bilan's months are those of this machine's time zone, as in the app.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use passerelle_core::model::bilan::{Bilan, Month};
use passerelle_core::model::export::{csv, markdown};
use passerelle_core::model::{CommunityId, CommunityView, ics};
use passerelle_core::{ExportFormat, Handle, ImportKind};

use crate::args::{Format, ImportFormat, Target};
use crate::output::{self, outln};

/// An `export` as the command line asks it.
pub struct ExportRequest {
    /// The format.
    pub format: Format,
    /// The part of the community (`--what`).
    pub what: Option<Target>,
    /// The bilan's first and last months.
    pub period: (Option<Month>, Option<Month>),
    /// Where to write it (`--out`); stdout without it, for text formats.
    pub file: Option<PathBuf>,
    /// The language of document words.
    pub lang: String,
}

/// `export`: the whole community (json, automerge) to a file, or a part of
/// it in a format for other tools to a file or stdout.
pub(crate) async fn export(
    handle: &Handle,
    c: &CommunityId,
    request: ExportRequest,
    out: &mut String,
    err: &mut String,
) -> Result<()> {
    let ExportRequest {
        format,
        what,
        period,
        file,
        lang,
    } = request;
    let whole = match format {
        Format::Json => Some(ExportFormat::Json),
        Format::Automerge => Some(ExportFormat::Automerge),
        _ => None,
    };
    if let Some(whole) = whole {
        if what.is_some() {
            bail!("json and automerge export the whole community; leave out --what");
        }
        let Some(file) = file else {
            bail!("say where to write it: --out FILE");
        };
        handle.export(c, whole, &file).await?;
        if whole == ExportFormat::Automerge {
            // The documents reference files by hash: their bytes beside them.
            let (written, missing) = handle.export_files(c, &file.join("files"), true).await?;
            outln!(
                err,
                "{written} file(s) written to {}",
                file.join("files").display()
            );
            if missing > 0 {
                outln!(
                    err,
                    "{missing} file(s) are not on this device yet and were left out"
                );
            }
        }
        outln!(err, "exported to {}", file.display());
        return Ok(());
    }
    let view = handle.view(c).await?;
    let sheet_files = match (&what, &file) {
        (Some(Target::Sheet(id)), Some(file))
            if matches!(format, Format::Markdown | Format::Html) =>
        {
            Some(sheet_files(handle, c, &view, id, file, err).await?)
        }
        _ => None,
    };
    let sheet_id = match &what {
        Some(Target::Sheet(id)) => Some(id.clone()),
        _ => None,
    };
    let text = match (sheet_id, sheet_files) {
        (Some(id), Some(dir)) => {
            let Some(sheet) = view.sheets.iter().find(|s| s.id.as_str() == id) else {
                bail!(
                    "no sheet with id '{id}' in this community (see: passerelle-node sheet list)"
                );
            };
            let words = if lang == "en" {
                &markdown::ENGLISH
            } else {
                &markdown::FRENCH
            };
            if format == Format::Html {
                markdown::sheet_html_with_files(sheet, words, Some(&dir))?
            } else {
                markdown::sheet_markdown_with_files(sheet, Some(&dir))?
            }
        }
        _ => render(&view, format, what, period, &lang)?,
    };
    match file {
        Some(file) => {
            std::fs::write(&file, text)
                .with_context(|| format!("cannot write {}", file.display()))?;
            outln!(err, "exported to {}", file.display());
        }
        None => out.push_str(&text),
    }
    Ok(())
}

/// Writes a sheet's attachments beside its export (`NAME_fichiers/`);
/// returns that folder's name, relative to the export.
async fn sheet_files(
    handle: &Handle,
    c: &CommunityId,
    view: &passerelle_core::model::CommunityView,
    id: &str,
    file: &Path,
    err: &mut String,
) -> Result<String> {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "fiche".into());
    let dir_name = format!("{stem}_fichiers");
    let Some(sheet) = view.sheets.iter().find(|s| s.id.as_str() == id) else {
        return Ok(dir_name);
    };
    if sheet.attachments.is_empty() {
        return Ok(dir_name);
    }
    let dir = file.with_file_name(&dir_name);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for a in sheet.attachments.values() {
        let target = dir.join(passerelle_core::model::attachments::file_name(a));
        match handle.save_blob(c, &a.hash, &target).await {
            Ok(_) => {}
            Err(passerelle_core::CoreError::Attach(passerelle_core::AttachError::NotHere)) => {
                outln!(err, "{} is not on this device yet and was left out", a.name);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(dir_name)
}

/// `import`: a file into the agenda or the annuaire, one command per entry;
/// prints what was imported and what was skipped.
pub(crate) async fn import(
    handle: &Handle,
    c: &CommunityId,
    (format, what): (ImportFormat, Option<Target>),
    (file, json): (&Path, bool),
    out: &mut String,
    err: &mut String,
) -> Result<()> {
    let kind = import_kind(format, what)?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let report = handle.import(c, kind, &bytes).await?;
    output::import_report(out, &report, json);
    outln!(
        err,
        "{} imported, {} skipped from {}",
        report.imported.len(),
        report.skipped.len(),
        file.display()
    );
    Ok(())
}

/// The text of an export in one of the formats for other tools.
pub fn render(
    view: &CommunityView,
    format: Format,
    what: Option<Target>,
    (from, to): (Option<Month>, Option<Month>),
    lang: &str,
) -> Result<String> {
    if (from.is_some() || to.is_some()) && what != Some(Target::Bilan) {
        bail!("--from and --to choose the months of --what bilan");
    }
    let words = if lang == "en" {
        &markdown::ENGLISH
    } else {
        &markdown::FRENCH
    };
    let now = chrono::Utc::now().timestamp_millis();
    let text = match (format, what) {
        (Format::Ics, None | Some(Target::Agenda)) => {
            ics::agenda_calendar(view.events.iter(), Some(&view.community.name), now)
        }
        (Format::Ics, Some(Target::Event(id))) => {
            let Some(event) = view.events.iter().find(|e| e.id.as_str() == id) else {
                bail!(
                    "no event with id '{id}' in this community (see: passerelle-node event list)"
                );
            };
            ics::event_calendar(event, now)
        }
        (Format::Ics, Some(Target::Place(id))) => {
            let Some(place) = view.community.actors.iter().find(|a| a.id.as_str() == id) else {
                bail!(
                    "no place with id '{id}' in this community (see: passerelle-node place list)"
                );
            };
            ics::place_calendar(view, place, now)
        }
        (Format::Csv, Some(Target::Annuaire)) => csv::annuaire_csv(view),
        (Format::Csv, Some(Target::Exchanges)) => csv::exchanges_csv(view),
        (Format::Csv, Some(Target::Bilan)) => bilan_csv(view, from, to)?,
        (Format::Markdown | Format::Html, Some(Target::Sheet(id))) => {
            let Some(sheet) = view.sheets.iter().find(|s| s.id.as_str() == id) else {
                bail!(
                    "no sheet with id '{id}' in this community (see: passerelle-node sheet list)"
                );
            };
            if format == Format::Html {
                markdown::sheet_html(sheet, words)?
            } else {
                markdown::sheet_markdown(sheet)?
            }
        }
        (Format::Markdown | Format::Html, Some(Target::Workshop(id))) => {
            // Workshops are listed newest first.
            let workshop = match id {
                Some(id) => Some(view.workshops.iter().find(|w| w.id.as_str() == id).with_context(
                    || format!("no workshop with id '{id}' in this community (see: passerelle-node workshop list)"),
                )?),
                None => view.workshops.first(),
            };
            match (workshop, format == Format::Html) {
                (Some(w), false) => markdown::workshop_markdown(view, w, words)?,
                (Some(w), true) => markdown::workshop_html(view, w, words)?,
                (None, false) => markdown::synthesis_markdown(view, words)?,
                (None, true) => markdown::synthesis_html(view, words)?,
            }
        }
        (Format::Csv, _) => bail!("csv exports --what annuaire, --what exchanges or --what bilan"),
        (Format::Ics, _) => bail!("ics exports --what agenda, --what event:ID or --what place:ID"),
        (Format::Markdown | Format::Html, _) => {
            bail!("markdown and html export --what sheet:ID, --what workshop or --what workshop:ID")
        }
        (Format::Json | Format::Automerge, _) => {
            bail!("json and automerge export the whole community with --out")
        }
    };
    Ok(text)
}

/// The bilan from the first instant of `from` to the last of `to`, both
/// months included; a missing end leaves that side unbounded.
fn bilan_csv(view: &CommunityView, from: Option<Month>, to: Option<Month>) -> Result<String> {
    let tz = chrono::Local;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        bail!("--from {from} comes after --to {to}");
    }
    let start = |m: Month| {
        m.start(&tz)
            .ok_or_else(|| anyhow::anyhow!("{m} has no first instant here"))
    };
    let first = from.map(start).transpose()?.unwrap_or(i64::MIN);
    let last = match to {
        Some(to) => start(to.next())? - 1,
        None => i64::MAX,
    };
    Ok(Bilan::compute(view, first, last, &tz).to_csv(view))
}

/// What an `import` reads its file into.
pub fn import_kind(format: ImportFormat, what: Option<Target>) -> Result<ImportKind> {
    Ok(match (format, what) {
        (ImportFormat::Ics, None | Some(Target::Agenda)) => ImportKind::Agenda,
        (ImportFormat::Csv, None | Some(Target::Annuaire)) => ImportKind::Annuaire,
        (ImportFormat::Ics, _) => bail!("an ics file is imported into the agenda (--what agenda)"),
        (ImportFormat::Csv, _) => {
            bail!("a csv file is imported into the annuaire (--what annuaire)")
        }
    })
}
