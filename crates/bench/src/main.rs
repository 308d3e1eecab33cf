//! `passerelle-bench`: runs every performance scenario and prints the report.

use std::io::Write;

use anyhow::Result;
use clap::Parser;
use passerelle_bench::{Effort, Report, archive, attach, local, rencontre, sync, ui_frame, verify};

/// Runs Passerelle's performance scenarios (release build recommended:
/// `cargo run --release -p passerelle-bench`).
#[derive(Parser, Debug)]
#[command(name = "passerelle-bench", version)]
struct Args {
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Fewer repetitions: the whole report in under three minutes.
    #[arg(long)]
    quick: bool,
    /// Run only these scenarios (comma-separated): meeting (with
    /// reconnect_in_sync), verify, join, open, search (with match),
    /// ui_frame, rss, rencontre, disk, attach, blob_meeting, archive. The others are
    /// left at zero.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Internal: open this data directory, print the resident memory, exit.
    #[arg(long, hide = true)]
    rss_probe: Option<std::path::PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    if let Some(dir) = args.rss_probe {
        let mb = runtime.block_on(local::rss_probe(&dir))?;
        println!("{mb}");
        return Ok(());
    }
    const SCENARIOS: [&str; 12] = [
        "meeting",
        "verify",
        "join",
        "open",
        "search",
        "ui_frame",
        "rss",
        "rencontre",
        "disk",
        "attach",
        "blob_meeting",
        "archive",
    ];
    for name in args
        .only
        .iter()
        .filter(|o| !SCENARIOS.contains(&o.as_str()))
    {
        eprintln!(
            "--only {name}: no such scenario, ignored (scenarios: {}; reconnect_in_sync comes with meeting, match with search)",
            SCENARIOS.join(", ")
        );
    }
    let effort = Effort { quick: args.quick };
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    let started = std::time::Instant::now();
    let mut report = Report::default();
    let step = |name: &str| eprintln!("[{:>5.1} s] {name}", started.elapsed().as_secs_f64());
    runtime.block_on(async {
        if wanted("meeting") {
            step("meeting");
            (report.meeting, report.reconnect_in_sync) = sync::meeting(effort).await?;
        }
        if wanted("verify") {
            step("verify");
            report.verify = verify::verify(effort).await?;
        }
        if wanted("join") {
            step("join");
            report.join = sync::join(effort).await?;
        }
        if wanted("open") {
            step("open");
            report.open = local::open(effort).await?;
        }
        if wanted("search") {
            step("search and match");
            (report.search_ms_p50, report.match_ms_p50) = local::queries(effort).await?;
        }
        if wanted("rss") {
            step("rss");
            report.rss_year_mb = local::rss_year().await?;
        }
        if wanted("disk") {
            step("disk");
            report.disk = local::disk().await?;
        }
        if wanted("attach") {
            step("attach");
            report.attach = attach::attach(effort).await?;
        }
        if wanted("blob_meeting") {
            step("blob_meeting");
            report.blob_meeting = attach::blob_meeting(effort).await?;
        }
        if wanted("archive") {
            step("archive");
            report.archive = archive::archive(effort).await?;
        }
        if wanted("rencontre") {
            step("rencontre");
            report.rencontre = rencontre::rencontre(effort).await?;
        }
        anyhow::Ok(())
    })?;
    if wanted("ui_frame") {
        step("ui_frame");
        (report.ui_frame_ms_p50, report.ui_frame_ms_p99) = ui_frame::ui_frame(effort)?;
    }
    step("done");
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
    } else {
        write!(out, "{}", report.table(wanted))?;
    }
    Ok(())
}
