//! `serve`: stay up, accept members, find them on the LAN, sync live, take
//! commands on the control socket, and print one JSON event per line.

use anyhow::Result;
use passerelle_core::{Event, Handle, NetEvent};
use serde_json::{Value, json};

/// Runs until interrupted (Ctrl-C or SIGTERM).
pub async fn run(handle: &Handle) -> Result<()> {
    let mut events = handle.subscribe();
    let dir = handle.data_dir().to_owned();
    let info = handle.node_info()?;
    let node_json = dir.join("node.json");
    let tmp = dir.join("node.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&info)?)?;
    std::fs::rename(&tmp, &node_json)?;
    let control = crate::control::listen(handle.clone(), &dir)?;
    emit(json!({
        "event": "listening",
        "endpoint": info.endpoint,
        "addrs": info.addrs,
        "ticket": info.ticket,
    }));
    handle.serve()?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => if let Some(line) = describe(&event) { emit(line) },
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    emit(json!({"event": "lagged", "missed": n}));
                }
                Err(_) => break,
            },
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
        }
    }
    control.abort();
    let _ = std::fs::remove_file(passerelle_core::DataDir::control_socket_of(&dir));
    let _ = std::fs::remove_file(&node_json);
    emit(json!({"event": "stopped"}));
    Ok(())
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
