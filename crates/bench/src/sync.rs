//! The meeting scenarios: two devices over real iroh endpoints on loopback,
//! and the plain Automerge sync of the same documents they are held to; and
//! a fresh device joining a community with an invite.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use automerge::AutoCommit;
use automerge::sync::{Message, State as SyncState, SyncDoc};
use passerelle_core::model::DocKind;
use passerelle_core::{EndpointAddr, Event, Handle, NetEvent, SessionStats, Ticket};
use passerelle_demo::generate::Size;
use passerelle_sync::wire::{self, JoinReply, JoinRequest};
use tokio::sync::broadcast::error::RecvError;

use crate::fixture::{self, copy_dir, loopback};
use crate::{Effort, Join, Meeting, Reconnect, ms_since, percentile};

/// Longest a single meeting may take before the scenario fails.
const MEETING_LIMIT: Duration = Duration::from_secs(60);

/// A device holding a `month` community meets one holding its first 90 %,
/// then they meet again already in sync.
pub async fn meeting(effort: Effort) -> Result<(Meeting, Reconnect)> {
    let (dir_a, dir_b, missing) = fixture::pair(90).await?;
    let reps = effort.reps(9, 3);
    let mut meeting_ms = Vec::new();
    let mut meeting_bytes = 0;
    let mut reconnect_ms = Vec::new();
    let mut reconnect_bytes = 0;
    for _ in 0..reps {
        let tmp = tempfile::tempdir()?;
        let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
        copy_dir(&dir_a, &a_dir)?;
        copy_dir(&dir_b, &b_dir)?;
        let (a, b) = (fixture::start(&a_dir)?, fixture::start(&b_dir)?);
        a.handle().start_network(loopback()).await?;
        b.handle().start_network(loopback()).await?;
        let addr = address(&a.handle())?;

        let started = Instant::now();
        let stats = b.handle().sync_with(addr.clone(), MEETING_LIMIT).await?;
        meeting_ms.push(ms_since(started));
        meeting_bytes = stats.bytes_sent + stats.bytes_received;
        let heads = same_heads(&a.handle(), &b.handle()).await?;

        let started = Instant::now();
        let stats = b.handle().sync_with(addr, MEETING_LIMIT).await?;
        reconnect_ms.push(ms_since(started));
        reconnect_bytes = stats.bytes_sent + stats.bytes_received;
        ensure!(
            same_heads(&a.handle(), &b.handle()).await? == heads,
            "meeting again changed the documents"
        );

        // What was acknowledged is on disk: both devices reopen with it.
        a.shutdown().await;
        b.shutdown().await;
        for dir in [&a_dir, &b_dir] {
            let node = fixture::start(dir)?;
            let reopened = all_heads(&node.handle()).await?;
            node.shutdown().await;
            ensure!(reopened == heads, "{} lost synced changes", dir.display());
        }
    }
    let (baseline_ms, baseline_bytes) = baseline(&dir_a, &dir_b, reps)?;
    Ok((
        Meeting {
            changes: missing as u64,
            ms_p50: percentile(&meeting_ms, 50.0),
            bytes: meeting_bytes,
            baseline_ms_p50: baseline_ms,
            baseline_bytes,
        },
        Reconnect {
            ms_p50: percentile(&reconnect_ms, 50.0),
            bytes: reconnect_bytes,
        },
    ))
}

/// Longest a join may take before the scenario fails.
const JOIN_LIMIT: Duration = Duration::from_secs(120);

/// The name the joining device's owner gives.
const JOINER: &str = "Inès";

/// A fresh device joins the `year` community: the fixture's device makes an
/// invite, the new one joins with it (as `passerelle-node invite` and
/// `join` do), both nodes with real endpoints on 127.0.0.1.
pub async fn join(effort: Effort) -> Result<Join> {
    let template = fixture::single(Size::Year).await?;
    let mut times = Vec::new();
    let mut bytes = 0;
    let mut save_bytes = 0;
    for _ in 0..effort.reps(5, 2) {
        let tmp = tempfile::tempdir()?;
        let (a_dir, b_dir) = (tmp.path().join("inviter"), tmp.path().join("joiner"));
        copy_dir(&template, &a_dir)?;
        let (a, b) = (fixture::start(&a_dir)?, fixture::start(&b_dir)?);
        let (inviter, joiner) = (a.handle(), b.handle());
        joiner.set_display_name(JOINER).await?;
        inviter.start_network(loopback()).await?;
        joiner.start_network(loopback()).await?;
        let community = inviter
            .communities()
            .await?
            .into_iter()
            .next()
            .context("the fixture holds no community")?;
        // The ticket as `invite` prints it and `join` reads it.
        let text = inviter
            .invite(&community.id, Duration::from_secs(3600))
            .await?
            .to_string();
        let ticket = Ticket::decode(&text)?;

        let events = joiner.subscribe();
        let started = Instant::now();
        let watch = tokio::spawn(session_end(events));
        let id = tokio::time::timeout(JOIN_LIMIT, joiner.join(&ticket))
            .await
            .context("the join timed out")??;
        let returned_ms = ms_since(started);
        let (synced, stats) = tokio::time::timeout(Duration::from_secs(10), watch)
            .await
            .context("the joiner's sync session did not end")???;
        let ms = (synced - started).as_secs_f64() * 1000.0;
        ensure!(id == community.id, "joined another community");
        let heads = same_heads(&inviter, &joiner).await?;
        times.push(ms);
        bytes =
            admission_bytes(&ticket, &community.name)? + stats.bytes_sent + stats.bytes_received;
        eprintln!(
            "  join: in sync after {ms:.0} ms (session {} ms, {} messages), join() returned after {returned_ms:.0} ms",
            stats.duration_ms,
            stats.messages_sent + stats.messages_received
        );

        // What the joiner acknowledged is on its disk.
        drop((inviter, joiner));
        a.shutdown().await;
        b.shutdown().await;
        let mut stored = Vec::new();
        save_bytes = 0;
        for kind in DocKind::ALL {
            let (mut doc, _) = fixture::load_doc(&b_dir, kind)?.with_context(|| {
                format!("the joiner did not keep its {} document", kind.as_str())
            })?;
            stored.extend(
                doc.get_heads()
                    .into_iter()
                    .map(|h| format!("{}:{h}", kind.as_str())),
            );
            save_bytes += doc.save().len() as u64;
        }
        stored.sort();
        ensure!(
            heads.len() == 1 && stored == heads[0],
            "the joiner's files do not hold what it synced"
        );
    }
    Ok(Join {
        ms: percentile(&times, 50.0),
        bytes,
        save_bytes,
    })
}

/// When the node's first sync session ended, and what it exchanged.
async fn session_end(
    mut events: tokio::sync::broadcast::Receiver<Event>,
) -> Result<(Instant, SessionStats)> {
    loop {
        match events.recv().await {
            Ok(Event::Network(NetEvent::PeerDisconnected { stats, error, .. })) => {
                ensure!(error.is_none(), "the join's sync session failed: {error:?}");
                return Ok((Instant::now(), stats));
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => anyhow::bail!("the joiner stopped"),
        }
    }
}

/// Bytes of the invite exchange (`passerelle/invite/1`), which session
/// statistics do not count: the join request and the admission, as framed
/// on the wire.
fn admission_bytes(ticket: &Ticket, name: &str) -> Result<u64> {
    let invite = ticket.invite.clone().context("not an invite")?;
    let request = JoinRequest {
        community: invite.community,
        invite: invite.invite,
        secret: invite.secret,
        display_name: JOINER.to_owned(),
    };
    let reply = JoinReply::Admitted {
        name: name.to_owned(),
    };
    Ok((wire::encode(&request).len() + wire::encode(&reply).len()) as u64)
}

/// Where a node listens, as its ticket tells others.
pub fn address(handle: &Handle) -> Result<EndpointAddr> {
    let info = handle.node_info()?;
    Ok(Ticket::decode(&info.ticket)?.addr)
}

/// The heads of every community a node holds (`kind:hash`, sorted).
pub async fn all_heads(handle: &Handle) -> Result<Vec<Vec<String>>> {
    Ok(handle
        .communities()
        .await?
        .into_iter()
        .map(|c| c.heads)
        .collect())
}

/// The heads both nodes hold, failing if they differ.
pub async fn same_heads(a: &Handle, b: &Handle) -> Result<Vec<Vec<String>>> {
    let (ours, theirs) = (all_heads(a).await?, all_heads(b).await?);
    ensure!(
        ours == theirs,
        "{} and {} do not hold the same changes after meeting",
        a.device_key().as_str(),
        b.device_key().as_str()
    );
    Ok(ours)
}

/// Plain Automerge sync of the same documents, in memory: the median time
/// of the sync loops alone, and the bytes of their messages.
fn baseline(dir_a: &Path, dir_b: &Path, reps: usize) -> Result<(f64, u64)> {
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..reps {
        let mut pairs = Vec::new();
        for kind in DocKind::ALL {
            pairs.push((load_doc(dir_a, kind)?, load_doc(dir_b, kind)?));
        }
        let started = Instant::now();
        bytes = 0;
        for (a, b) in &mut pairs {
            bytes += sync_in_memory(a, b)?;
        }
        times.push(ms_since(started));
        for (a, b) in &mut pairs {
            ensure!(
                a.get_heads() == b.get_heads(),
                "the baseline did not converge"
            );
        }
    }
    Ok((percentile(&times, 50.0), bytes))
}

/// One document of a device's only community, from its files.
fn load_doc(device: &Path, kind: DocKind) -> Result<AutoCommit> {
    Ok(fixture::load_doc(device, kind)?
        .with_context(|| format!("{}: no {} document", device.display(), kind.as_str()))?
        .0)
}

/// Syncs two documents both ways until neither has anything to say,
/// through encoded messages; returns the bytes of those messages.
fn sync_in_memory(a: &mut AutoCommit, b: &mut AutoCommit) -> Result<u64> {
    let (mut state_a, mut state_b) = (SyncState::new(), SyncState::new());
    let mut bytes = 0;
    loop {
        let mut quiet = true;
        if let Some(message) = a.sync().generate_sync_message(&mut state_a) {
            let encoded = message.encode();
            bytes += encoded.len() as u64;
            b.sync()
                .receive_sync_message(&mut state_b, Message::decode(&encoded)?)?;
            quiet = false;
        }
        if let Some(message) = b.sync().generate_sync_message(&mut state_b) {
            let encoded = message.encode();
            bytes += encoded.len() as u64;
            a.sync()
                .receive_sync_message(&mut state_a, Message::decode(&encoded)?)?;
            quiet = false;
        }
        if quiet {
            return Ok(bytes);
        }
    }
}
