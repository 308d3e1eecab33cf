//! `serve`: stay up, accept members, find them on the LAN, sync live, take
//! commands on the control socket, write the daily archives, and print one
//! JSON event per line. Under systemd, stdout and stderr go to the journal.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use passerelle_core::{Event, Handle, NetEvent};
use serde::Serialize;
use serde_json::{Value, json};

/// What the serving process knows that the store does not; `status` reads
/// it. `None` while no `serve` runs in this process.
static SERVING: Mutex<Option<Serving>> = Mutex::new(None);

/// How often the archive task looks at the date.
const ARCHIVE_EVERY: Duration = Duration::from_secs(10 * 60);

/// The serving process's own record.
#[derive(Clone)]
pub(crate) struct Serving {
    /// When it started, in ms since the epoch, and on the monotonic clock.
    pub started_at: i64,
    pub started: Instant,
    /// Devices connected now (hex keys).
    pub connected: BTreeSet<String>,
    /// When each device was last connected or heard from (ms).
    pub met: BTreeMap<String, i64>,
    /// The daily archives, with `--backup-dir`.
    pub backups: Option<Backups>,
}

/// The daily archives' settings and last run.
#[derive(Clone, Serialize)]
pub(crate) struct Backups {
    pub dir: PathBuf,
    pub keep: usize,
    /// The last day archived (local date, YYYY-MM-DD).
    pub last_day: Option<String>,
    /// When that run ended (ms since the epoch).
    pub last_run_at: Option<i64>,
    /// The communities that run failed for, with why.
    pub failed: Vec<String>,
}

/// A copy of the serving process's record, if this process serves.
pub(crate) fn snapshot() -> Option<Serving> {
    SERVING.lock().ok()?.clone()
}

fn record(change: impl FnOnce(&mut Serving)) {
    if let Ok(mut serving) = SERVING.lock()
        && let Some(s) = serving.as_mut()
    {
        change(s);
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Runs until interrupted (Ctrl-C or SIGTERM), then stops cleanly: the
/// control socket and `node.json` are removed, and the caller shuts the
/// node down, which writes everything held.
pub async fn run(handle: &Handle, backups: Option<(PathBuf, usize)>) -> Result<()> {
    let mut events = handle.subscribe();
    let dir = handle.data_dir().to_owned();
    if let Some((archives, _)) = &backups {
        passerelle_core::private_dir(archives).with_context(|| {
            format!(
                "the backup directory {} cannot be made or used",
                archives.display()
            )
        })?;
    }
    let info = handle.node_info()?;
    let node_json = dir.join("node.json");
    let tmp = dir.join("node.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&info)?)?;
    std::fs::rename(&tmp, &node_json)?;
    *SERVING.lock().expect("not poisoned") = Some(Serving {
        started_at: now_ms(),
        started: Instant::now(),
        connected: BTreeSet::new(),
        met: BTreeMap::new(),
        backups: backups.as_ref().map(|(dir, keep)| Backups {
            dir: dir.clone(),
            keep: *keep,
            last_day: None,
            last_run_at: None,
            failed: Vec::new(),
        }),
    });
    let control = crate::control::listen(handle.clone(), &dir)?;
    emit(json!({
        "event": "listening",
        "endpoint": info.endpoint,
        "addrs": info.addrs,
        "ticket": info.ticket,
    }));
    handle.serve()?;
    let archives =
        backups.map(|(dir, keep)| tokio::spawn(archive_daily(handle.clone(), dir, keep)));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let signal = loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => {
                    note(&event);
                    if let Some(line) = describe(&event) { emit(line) }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    emit(json!({"event": "lagged", "missed": n}));
                }
                Err(_) => break "node stopped",
            },
            _ = tokio::signal::ctrl_c() => break "SIGINT",
            _ = term.recv() => break "SIGTERM",
        }
    };
    emit(json!({"event": "stopping", "signal": signal}));
    if let Some(task) = archives {
        task.abort();
        let _ = task.await;
    }
    control.abort();
    let _ = control.await;
    let _ = std::fs::remove_file(passerelle_core::DataDir::control_socket_of(&dir));
    let _ = std::fs::remove_file(&node_json);
    *SERVING.lock().expect("not poisoned") = None;
    Ok(())
}

/// Keeps the serving record up to date with who comes and goes.
fn note(event: &Event) {
    let Event::Network(net) = event else {
        if let Event::Received { peer, .. } = event {
            let peer = peer.as_str().to_owned();
            record(|s| {
                s.met.insert(peer, now_ms());
            });
        }
        return;
    };
    match net {
        NetEvent::PeerConnected { peer, .. } => {
            let peer = peer.clone();
            record(|s| {
                s.connected.insert(peer.clone());
                s.met.insert(peer, now_ms());
            });
        }
        NetEvent::PeerDisconnected { peer, .. } => {
            let peer = peer.clone();
            record(|s| {
                s.connected.remove(&peer);
                s.met.insert(peer, now_ms());
            });
        }
        _ => {}
    }
}

/// Writes the archives of the day at start, then whenever the local date
/// has changed since the last complete run; a run with failures is tried
/// again at the next look.
async fn archive_daily(handle: Handle, dir: PathBuf, keep: usize) {
    let mut done: Option<chrono::NaiveDate> = None;
    loop {
        let today = chrono::Local::now().date_naive();
        if done != Some(today) {
            match handle.archive(&dir, keep, today).await {
                Ok(run) => {
                    for a in run.archived.iter().filter(|a| a.written) {
                        emit(json!({
                            "event": "backup_written",
                            "community": a.community,
                            "file": a.file,
                            "bytes": a.bytes,
                            "removed": a.removed,
                        }));
                    }
                    for f in &run.failed {
                        emit(json!({
                            "event": "backup_failed",
                            "community": f.community,
                            "error": f.error,
                        }));
                    }
                    if run.failed.is_empty() {
                        done = Some(today);
                    }
                    let failed = run
                        .failed
                        .iter()
                        .map(|f| format!("{}: {}", f.community, f.error))
                        .collect();
                    record(|s| {
                        if let Some(b) = s.backups.as_mut() {
                            b.last_day = Some(today.to_string());
                            b.last_run_at = Some(now_ms());
                            b.failed = failed;
                        }
                    });
                }
                Err(e) => {
                    tracing::error!("archives: {e}");
                    emit(json!({"event": "backup_failed", "error": e.to_string()}));
                }
            }
        }
        tokio::time::sleep(ARCHIVE_EVERY).await;
    }
}

fn emit(line: Value) {
    println!("{line}");
}

/// One JSON line per event worth telling a script about.
fn describe(event: &Event) -> Option<Value> {
    Some(match event {
        Event::Changed { community } => json!({"event": "changed", "community": community}),
        Event::Received { community, peer } => {
            json!({"event": "received", "community": community, "peer": peer})
        }
        Event::CommunityAdded { community } => {
            json!({"event": "community_added", "community": community})
        }
        Event::ProfileChanged => json!({"event": "profile_changed"}),
        Event::Refused {
            community,
            peer,
            count,
            reason,
        } => json!({
            "event": "changes_refused",
            "community": community,
            "peer": peer,
            "count": count,
            "reason": reason,
        }),
        Event::Network(net) => match net {
            NetEvent::Listening { .. } => return None,
            NetEvent::PeerDiscovered { peer } => json!({"event": "peer_discovered", "peer": peer}),
            NetEvent::PeerConnected {
                peer,
                incoming,
                communities,
            } => json!({
                "event": "peer_connected",
                "peer": peer,
                "incoming": incoming,
                "communities": communities,
            }),
            NetEvent::PeerDisconnected { peer, stats, error } => json!({
                "event": "peer_disconnected",
                "peer": peer,
                "bytes_sent": stats.bytes_sent,
                "bytes_received": stats.bytes_received,
                "duration_ms": stats.duration_ms,
                "error": error.as_ref().map(ToString::to_string),
            }),
            NetEvent::Refused { peer, reason } => {
                json!({"event": "refused", "peer": peer, "reason": reason.to_string()})
            }
            NetEvent::BlobFetched { peer, hash, bytes } => json!({
                "event": "file_fetched",
                "peer": peer,
                "hash": hash,
                "bytes": bytes,
            }),
        },
    })
}
