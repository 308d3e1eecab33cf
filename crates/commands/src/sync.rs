//! `passerelle-node invite|join|sync|bundle|refused`: meeting other devices,
//! online (invites, sync sessions) or offline (bundles), and the changes the
//! gate refused from them.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use passerelle_core::model::CommunityId;
use passerelle_core::{CoreError, Handle, SyncSummary, Ticket, TicketError};

use crate::output::{self, outln};
use crate::{community, hex_key};

#[derive(Subcommand, Debug)]
pub enum BundleCmd {
    /// Writes a community's changes to a file.
    Export {
        #[arg(long)]
        community: String,
        #[arg(long)]
        out: PathBuf,
        /// Also carry the bytes of the pictures and files its items use
        /// (those on this device).
        #[arg(long)]
        with_files: bool,
    },
    /// Verifies a bundle and merges it (with the files it carries, each
    /// checked against its hash).
    Import {
        /// The bundle file.
        file: PathBuf,
    },
    /// Checks a bundle without importing it, as a device that holds
    /// nothing of the community would: checksum, documents, every change
    /// through the rules, every file against its hash. Exits with 1 unless
    /// all of it would be taken. Needs no data directory.
    Verify {
        /// The bundle file.
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum RefusedCmd {
    /// Lists refused changes, oldest first; a device that signed two
    /// versions of one change (equivocation) is marked `EQUIVOCATION`.
    List {
        #[arg(long)]
        community: String,
        #[arg(long)]
        json: bool,
    },
}

/// `invite`: creates an invite and prints its ticket (and writes its QR code).
pub(crate) async fn invite(
    handle: &Handle,
    c: &CommunityId,
    (expires, qr): (Duration, Option<PathBuf>),
    out: &mut String,
    err: &mut String,
) -> Result<()> {
    let ticket = handle.invite(c, expires).await?;
    if let Some(path) = qr {
        ticket
            .write_qr_png(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        outln!(err, "QR code written to {}", path.display());
    }
    outln!(out, "{ticket}");
    Ok(())
}

/// `join`: joins a community with a ticket and prints its id.
pub(crate) async fn join(handle: &Handle, ticket: &str, out: &mut String) -> Result<()> {
    let ticket = Ticket::decode(ticket)?;
    let id = handle.join(&ticket).await?;
    outln!(out, "{id}");
    Ok(())
}

/// `sync`: syncs with one peer (a ticket or a device key) or every
/// reachable member, then reports; an error if no one was reached.
pub(crate) async fn sync(
    handle: &Handle,
    (peer, timeout): (Option<String>, u64),
    json: bool,
    out: &mut String,
    err: &mut String,
) -> Result<()> {
    let timeout = Duration::from_secs(timeout.max(1));
    let summary = match peer {
        Some(peer) => {
            let addr = match Ticket::decode(&peer) {
                Ok(ticket) => ticket.addr,
                Err(TicketError::NotATicket) => handle.lookup_peer(&peer)?,
                Err(e) => return Err(e.into()),
            };
            let key = hex_key(&addr);
            match handle.sync_with(addr.clone(), timeout).await {
                // The thumbnails and small files it made wanted come before
                // this command ends.
                Ok(stats) => SyncSummary {
                    files: handle.fetch_files_from(addr).await?,
                    peers: 1,
                    bytes_sent: stats.bytes_sent,
                    bytes_received: stats.bytes_received,
                    messages: stats.messages_sent + stats.messages_received,
                    duration_ms: stats.duration_ms,
                    failed: Vec::new(),
                },
                Err(CoreError::Net(e)) => SyncSummary {
                    failed: vec![(key, e)],
                    ..Default::default()
                },
                Err(e) => return Err(e.into()),
            }
        }
        None => {
            let mut summary = handle.sync_all(Duration::from_secs(3), timeout).await?;
            summary.files = handle.fetch_files_from_all().await?;
            summary
        }
    };
    output::sync_summary(out, &summary, json);
    for c in handle.communities().await? {
        output::ignored(err, &c.name, &*handle.view(&c.id).await?);
    }
    if summary.peers == 0 {
        let reasons: Vec<String> = summary
            .failed
            .iter()
            .map(|(peer, e)| format!("{}…: {e}", &peer[..8.min(peer.len())]))
            .collect();
        bail!(
            "synced with no one{}",
            if reasons.is_empty() {
                " (no known or nearby member; use --peer TICKET)".to_owned()
            } else {
                format!(": {}", reasons.join("; "))
            }
        );
    }
    Ok(())
}

/// Runs one `bundle` subcommand.
pub(crate) async fn bundle(
    handle: &Handle,
    command: BundleCmd,
    out: &mut String,
    err: &mut String,
) -> Result<()> {
    match command {
        BundleCmd::Export {
            community: c,
            out: file,
            with_files,
        } => {
            let c = community(handle, &c).await?;
            let size = handle.export_bundle(&c, &file, with_files).await?;
            outln!(err, "wrote {} ({size} bytes)", file.display());
        }
        BundleCmd::Import { file } => {
            let import = handle.import_bundle(&file).await?;
            outln!(out, "{}", import.community);
            outln!(
                err,
                "{}",
                match (import.added, import.changed) {
                    (true, _) => "community added from the bundle",
                    (false, true) => "changes merged from the bundle",
                    (false, false) => "nothing new in the bundle",
                }
            );
            if import.files > 0 {
                outln!(err, "took {} file(s) from the bundle", import.files);
            }
            if import.files_refused > 0 {
                outln!(
                    err,
                    "left out {} file(s) of the bundle: damaged, larger than their attachment says, or used by no item",
                    import.files_refused
                );
            }
            if import.refused > 0 {
                outln!(
                    err,
                    "refused {} change(s) of the bundle: not signed by their device, or written by a device that is not a member; they were not kept",
                    import.refused
                );
            }
        }
        BundleCmd::Verify { file, json } => verify(&file, json, out, err).await?,
    }
    Ok(())
}

/// `bundle verify`: reads and judges a bundle without a device or a store;
/// fails unless all of it would be taken.
pub(crate) async fn verify(
    file: &std::path::Path,
    json: bool,
    out: &mut String,
    err: &mut String,
) -> Result<()> {
    let path = file.to_owned();
    let check = tokio::task::spawn_blocking(move || -> Result<passerelle_core::BundleCheck> {
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        passerelle_core::verify_bundle(&bytes).map_err(|e| match e {
            CoreError::Bundle(why) => anyhow::anyhow!("the bundle does not verify: {why}"),
            other => other.into(),
        })
    })
    .await??;
    if json {
        let mut value = serde_json::to_value(&check)?;
        value["whole"] = check.is_whole().into();
        outln!(out, "{value}");
    } else {
        outln!(
            out,
            "{}: « {} » ({}), {} member(s), {} document(s), {} change(s), {} file(s)",
            file.display(),
            check.name,
            check.community,
            check.members,
            check.documents,
            check.changes,
            check.files
        );
    }
    if check.is_whole() {
        if !json {
            outln!(err, "the bundle verifies: an import would take all of it");
        }
        if check.files_missing > 0 {
            outln!(
                err,
                "{} picture(s) or file(s) of its items are not in it (they were not on the device that wrote it)",
                check.files_missing
            );
        }
        return Ok(());
    }
    let mut problems = Vec::new();
    if check.refused > 0 {
        problems.push(format!(
            "{} change(s) would be refused (not signed by their device, or not by a member)",
            check.refused
        ));
    }
    if check.missing > 0 {
        problems.push(format!(
            "{} change(s) lack the changes they build on",
            check.missing
        ));
    }
    if check.files_refused > 0 {
        problems.push(format!(
            "{} file(s) would be left out (damaged, larger than described, or used by no item)",
            check.files_refused
        ));
    }
    bail!(
        "the bundle is readable but not whole: {}",
        problems.join("; ")
    )
}

/// Runs one `refused` subcommand.
pub(crate) async fn refused(handle: &Handle, command: RefusedCmd, out: &mut String) -> Result<()> {
    match command {
        RefusedCmd::List { community: c, json } => {
            let c = community(handle, &c).await?;
            let refused = handle.refused_changes(&c).await?;
            output::refused(out, &*handle.view(&c).await?, &refused, json);
        }
    }
    Ok(())
}
