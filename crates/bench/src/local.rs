//! Scenarios on one device: opening, searching, matching, memory, disk.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use passerelle_core::Handle;
use passerelle_core::model::{
    Command, CommunityId, DocKind, ExchangeCommand, ExchangeKind, ExchangeMode, matching,
};
use passerelle_demo::generate::Size;

use crate::fixture::{self, copy_dir, dir_bytes, start};
use crate::{Disk, Effort, Open, ms_since, percentile};

/// The one community a fixture's device holds.
pub(crate) async fn only_community(handle: &Handle) -> Result<CommunityId> {
    let list = handle.communities().await?;
    Ok(list
        .first()
        .context("the fixture holds no community")?
        .id
        .clone())
}

/// Cold start of a node on `dir` until its first hydrated view, in ms.
async fn open_once(dir: &Path) -> Result<f64> {
    let started = Instant::now();
    let node = start(dir)?;
    let handle = node.handle();
    let id = only_community(&handle).await?;
    let view = handle.view(&id).await?;
    let ms = ms_since(started);
    anyhow::ensure!(!view.exchanges.is_empty(), "the view is empty");
    drop(handle);
    node.shutdown().await;
    Ok(ms)
}

/// Cold start to the first hydrated view models, for each size: a process
/// opening a data directory that was used before (its views kept on disk,
/// as every run of the app leaves them). The first open after an update or a
/// crash, which hydrates everything, is printed on stderr.
pub async fn open(effort: Effort) -> Result<Open> {
    let mut medians = Vec::new();
    for size in Size::ALL {
        let template = fixture::single(size).await?;
        let mut first = Vec::new();
        let mut times = Vec::new();
        for _ in 0..effort.reps(5, 2) {
            let tmp = tempfile::tempdir()?;
            let dir = tmp.path().join("device");
            copy_dir(&template, &dir)?;
            first.push(open_once(&dir).await?);
            times.push(open_once(&dir).await?);
        }
        eprintln!(
            "  open {}: {:.0} ms, {:.0} ms without kept views",
            size.as_str(),
            percentile(&times, 50.0),
            percentile(&first, 50.0)
        );
        medians.push(percentile(&times, 50.0));
    }
    Ok(Open {
        month_ms: medians[0],
        year_ms: medians[1],
        five_years_ms: medians[2],
    })
}

/// A fresh copy of the `year` fixture's device (removed with the guard).
async fn year_copy() -> Result<(tempfile::TempDir, std::path::PathBuf)> {
    let template = fixture::single(Size::Year).await?;
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("device");
    copy_dir(&template, &dir)?;
    Ok((tmp, dir))
}

/// What members type in the search box.
const QUERIES: &[&str] = &[
    "vélo",
    "cuisine",
    "cv",
    "jardin",
    "anglais",
    "réparer",
    "garde",
    "informatique",
    "danse",
    "pain",
    "entretien",
    "compost",
    "caf",
    "perceuse",
    "salsa",
    "bus",
    "ordi",
    "tomates",
];

/// Search (a query against the community's index, through the node, as the
/// app asks it) and matching (suggestions recomputed after a new échange) on
/// a `year` community; medians in ms.
pub async fn queries(effort: Effort) -> Result<(f64, f64)> {
    let (_tmp, dir) = year_copy().await?;
    let node = start(&dir)?;
    let handle = node.handle();
    let id = only_community(&handle).await?;
    // The index is built once per change of the documents.
    handle.search(&id, "vélo").await?;
    let mut search = Vec::new();
    for _ in 0..effort.reps(20, 5) {
        for query in QUERIES {
            let started = Instant::now();
            let hits = handle.search(&id, query).await?;
            search.push(ms_since(started));
            std::hint::black_box(hits);
        }
    }
    // Matching runs again after every change, with the keywords of the
    // échanges whose text did not change remembered.
    let mut matcher = matching::Matcher::default();
    matcher.suggest(&handle.view(&id).await?.exchanges);
    let mut matches = Vec::new();
    for i in 0..effort.reps(30, 8) {
        handle.apply(&id, new_exchange(&handle, i)).await?;
        let view = handle.view(&id).await?;
        let started = Instant::now();
        let found = matcher.suggest(&view.exchanges);
        matches.push(ms_since(started));
        anyhow::ensure!(!found.is_empty(), "no match found in a year of échanges");
    }
    drop(handle);
    node.shutdown().await;
    Ok((percentile(&search, 50.0), percentile(&matches, 50.0)))
}

/// Resident memory of a fresh process after opening a `year` community, in MB.
pub async fn rss_year() -> Result<f64> {
    let (_tmp, dir) = year_copy().await?;
    let out = std::process::Command::new(std::env::current_exe()?)
        .arg("--rss-probe")
        .arg(&dir)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "the memory probe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?.trim().parse()?)
}

/// Opens `dir` as the app does (node, first view, search index, matches)
/// and returns this process's resident memory in MB.
pub async fn rss_probe(dir: &Path) -> Result<f64> {
    let node = start(dir)?;
    let handle = node.handle();
    let id = only_community(&handle).await?;
    handle.view(&id).await?;
    handle.search(&id, "vélo").await?;
    handle.matches(&id).await?;
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .context("no VmRSS in /proc/self/status")?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    drop(handle);
    node.shutdown().await;
    Ok(kb / 1024.0)
}

/// A new échange, as members keep posting.
fn new_exchange(handle: &Handle, i: usize) -> Command {
    Command::Exchanges(ExchangeCommand::AddExchange {
        id: handle.new_id(),
        kind: if i.is_multiple_of(2) {
            ExchangeKind::Offer
        } else {
            ExchangeKind::Need
        },
        title: format!("Coup de main pour un déménagement n°{i}"),
        description: "Porter des cartons pour le déménagement de la salle associative.".into(),
        category: "autre".into(),
        mode: ExchangeMode::CoupDeMain,
        place: None,
    })
}

/// On-disk size of a `year` community that keeps being used (a few hundred
/// more commands, written one chunk each, compacted as they pile up),
/// against automerge `save()` of the same documents.
pub async fn disk() -> Result<Disk> {
    let (_tmp, dir) = year_copy().await?;
    let node = start(&dir)?;
    let handle = node.handle();
    let id = only_community(&handle).await?;
    for i in 0..200 {
        handle.apply(&id, new_exchange(&handle, i)).await?;
    }
    drop(handle);
    node.shutdown().await;
    let community = dir.join("communities").join(id.as_str());
    let bytes = dir_bytes(&community);
    let mut save = 0;
    for kind in DocKind::ALL {
        if let Some((mut doc, _)) = fixture::load_doc(&dir, kind)? {
            save += doc.save().len() as u64;
        }
    }
    Ok(Disk {
        bytes,
        automerge_save_bytes: save,
    })
}
