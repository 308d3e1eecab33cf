//! `status`: what this device is doing, for whoever looks after an
//! always-on node. While `serve` runs, the command is carried out by the
//! serving process (control socket), which adds what only it knows: since
//! when it serves, who is connected, who it met today, its archives.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::{DateTime, Local, TimeZone};
use passerelle_core::Handle;
use serde::Serialize;

use crate::output::outln;
use crate::serve;

#[derive(Serialize)]
struct Status {
    device: String,
    name: Option<String>,
    /// Whether a `serve` process holds this data directory.
    serving: bool,
    /// When it started (ms since the epoch) and for how long it has run.
    started_at: Option<i64>,
    uptime_s: Option<u64>,
    /// Devices connected now.
    connected: Vec<String>,
    /// Devices met today (local time): connected to, or synced with.
    peers_today: Vec<Peer>,
    communities: Vec<Community>,
    /// The daily archives, when `serve --backup-dir` writes them.
    backups: Option<serve::Backups>,
}

#[derive(Serialize)]
struct Peer {
    device: String,
    /// Who owns it, as the communities held here name them.
    member: Option<String>,
    last_seen: i64,
}

#[derive(Serialize)]
struct Community {
    id: String,
    name: String,
    members: Vec<MemberSync>,
}

#[derive(Serialize)]
struct MemberSync {
    id: String,
    name: String,
    /// The last time this device ended a sync with one of the member's
    /// devices (ms since the epoch); `None`: never.
    last_sync: Option<i64>,
    /// Whether this device is one of theirs.
    this_device: bool,
}

/// Runs `status`.
pub async fn run(handle: &Handle, json: bool, out: &mut String) -> Result<()> {
    let serving = serve::snapshot();
    let own = handle.device_key().as_str().to_owned();
    let syncs = handle.last_syncs();
    let today = Local::now().date_naive();
    let is_today = |ms: i64| local(ms).is_some_and(|t| t.date_naive() == today);

    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    let mut communities = Vec::new();
    for summary in handle.communities().await? {
        let view = handle.view(&summary.id).await?;
        let mut members = Vec::new();
        for m in view.community.members.iter().filter(|m| m.is_active()) {
            for key in m.devices.keys() {
                owners
                    .entry(key.clone())
                    .or_insert_with(|| m.display_name.clone());
            }
            members.push(MemberSync {
                id: m.id.to_string(),
                name: m.display_name.clone(),
                last_sync: m
                    .devices
                    .keys()
                    .filter(|k| **k != own)
                    .filter_map(|k| syncs.get(k).copied())
                    .max(),
                this_device: m.devices.contains_key(&own),
            });
        }
        members.sort_by(|a, b| b.last_sync.cmp(&a.last_sync).then(a.name.cmp(&b.name)));
        communities.push(Community {
            id: summary.id.to_string(),
            name: summary.name,
            members,
        });
    }

    let mut met: BTreeMap<String, i64> = syncs
        .iter()
        .filter(|(_, ms)| is_today(**ms))
        .map(|(k, ms)| (k.clone(), *ms))
        .collect();
    if let Some(s) = &serving {
        for (k, ms) in s.met.iter().filter(|(_, ms)| is_today(**ms)) {
            let seen = met.entry(k.clone()).or_default();
            *seen = (*seen).max(*ms);
        }
    }
    let mut peers_today: Vec<Peer> = met
        .into_iter()
        .map(|(device, last_seen)| Peer {
            member: owners.get(&device).cloned(),
            device,
            last_seen,
        })
        .collect();
    peers_today.sort_by_key(|p| std::cmp::Reverse(p.last_seen));

    let status = Status {
        device: own,
        name: handle.profile().await?.map(|p| p.display_name),
        serving: serving.is_some(),
        started_at: serving.as_ref().map(|s| s.started_at),
        uptime_s: serving.as_ref().map(|s| s.started.elapsed().as_secs()),
        connected: serving
            .as_ref()
            .map(|s| s.connected.iter().cloned().collect())
            .unwrap_or_default(),
        peers_today,
        communities,
        backups: serving.and_then(|s| s.backups),
    };
    if json {
        outln!(out, "{}", serde_json::to_string(&status)?);
    } else {
        write_text(&status, out);
    }
    Ok(())
}

fn local(ms: i64) -> Option<DateTime<Local>> {
    Local.timestamp_millis_opt(ms).single()
}

/// "2026-12-06 14:05", or "never".
fn when(ms: Option<i64>) -> String {
    ms.and_then(local)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "never".to_owned())
}

fn write_text(s: &Status, out: &mut String) {
    outln!(
        out,
        "device {} ({})",
        s.device,
        s.name.as_deref().unwrap_or("no name yet")
    );
    match (s.started_at, s.uptime_s) {
        (Some(at), Some(up)) => outln!(
            out,
            "serving since {} ({}), {} device(s) connected",
            when(Some(at)),
            uptime(up),
            s.connected.len()
        ),
        _ => outln!(out, "not serving (start it with: passerelle-node serve)"),
    }
    outln!(out, "met today: {}", s.peers_today.len());
    for p in &s.peers_today {
        outln!(
            out,
            "  {} {} at {}",
            &p.device[..p.device.len().min(12)],
            p.member.as_deref().unwrap_or("(unknown device)"),
            when(Some(p.last_seen))
        );
    }
    for c in &s.communities {
        outln!(out, "{} ({}), {} member(s)", c.name, c.id, c.members.len());
        for m in &c.members {
            let sync = if m.this_device && m.last_sync.is_none() {
                "this device".to_owned()
            } else {
                format!("last sync {}", when(m.last_sync))
            };
            outln!(out, "  {}: {sync}", m.name);
        }
    }
    if let Some(b) = &s.backups {
        outln!(
            out,
            "archives in {} (last {} days): {}",
            b.dir.display(),
            b.keep,
            match (&b.last_day, b.failed.is_empty()) {
                (None, _) => "none written yet".to_owned(),
                (Some(day), true) => format!("last written for {day}"),
                (Some(day), false) => format!("{day}, with failures: {}", b.failed.join("; ")),
            }
        );
    }
}

/// "3 d 4 h", "2 h 5 min", "40 s".
fn uptime(s: u64) -> String {
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86400, s % 86400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uptimes_read_at_a_glance() {
        assert_eq!(super::uptime(42), "42 s");
        assert_eq!(super::uptime(3 * 60 + 5), "3 min");
        assert_eq!(super::uptime(2 * 3600 + 5 * 60), "2 h 5 min");
        assert_eq!(super::uptime(3 * 86400 + 4 * 3600), "3 d 4 h");
    }
}
