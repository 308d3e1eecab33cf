//! The always-on node's daily archive of a `year` and a `five-years`
//! community: the bundle written with its files, read back and verified as
//! a device holding nothing would, and how long a member's command waits
//! on the node meanwhile.

use std::time::Instant;

use anyhow::{Result, ensure};
use passerelle_core::model::{Command, ExchangeCommand, ExchangeKind, ExchangeMode};
use passerelle_demo::generate::Size;

use crate::fixture::{self, copy_dir, start};
use crate::local::only_community;
use crate::{Archive, Effort, ms_since, percentile};

/// The archive of one community of `size`: its time (ms), its size (bytes)
/// and the longest wait of commands sent while it ran (ms).
async fn archive_of(size: Size, effort: Effort) -> Result<(f64, u64, f64)> {
    let template = fixture::single(size).await?;
    let mut times = Vec::new();
    let mut bytes = 0;
    let mut waits = Vec::new();
    for _ in 0..effort.reps(3, 1) {
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().join("device");
        copy_dir(&template, &dir)?;
        let node = start(&dir)?;
        let handle = node.handle();
        let id = only_community(&handle).await?;
        handle.view(&id).await?;
        let archives = tmp.path().join("archives");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).expect("a date");
        let started = Instant::now();
        let run = {
            let handle = handle.clone();
            let archives = archives.clone();
            tokio::spawn(async move { handle.archive(&archives, 14, today).await })
        };
        // A member's device writes every 100 ms while the archive runs.
        let mut longest: f64 = 0.0;
        while !run.is_finished() {
            let sent = Instant::now();
            handle
                .apply(
                    &id,
                    Command::Exchanges(ExchangeCommand::AddExchange {
                        id: handle.new_id(),
                        kind: ExchangeKind::Offer,
                        title: "Prêt d'une perceuse".to_owned(),
                        description: String::new(),
                        category: "bricolage".to_owned(),
                        mode: ExchangeMode::Pret,
                        place: None,
                    }),
                )
                .await?;
            longest = longest.max(ms_since(sent));
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let run = run.await??;
        times.push(ms_since(started));
        waits.push(longest);
        ensure!(
            run.failed.is_empty(),
            "the archive failed: {:?}",
            run.failed
        );
        ensure!(run.archived.len() == 1 && run.archived[0].written);
        bytes = run.archived[0].bytes;
        drop(handle);
        node.shutdown().await;
    }
    eprintln!(
        "  archive {}: {:.0} ms, {bytes} bytes, commands waited at most {:.0} ms",
        size.as_str(),
        percentile(&times, 50.0),
        percentile(&waits, 100.0)
    );
    Ok((percentile(&times, 50.0), bytes, percentile(&waits, 100.0)))
}

/// The daily archive of a `year` and a `five-years` community.
pub async fn archive(effort: Effort) -> Result<Archive> {
    let (year_ms, year_bytes, year_wait) = archive_of(Size::Year, effort).await?;
    let (five_years_ms, five_years_bytes, five_wait) = archive_of(Size::FiveYears, effort).await?;
    Ok(Archive {
        year_ms,
        year_bytes,
        five_years_ms,
        five_years_bytes,
        command_wait_ms: year_wait.max(five_wait),
    })
}
