//! The network as this device sees it, kept up to date from the node's
//! events: this device's addresses and ticket, members found nearby,
//! sessions open now and what they exchanged, the last sync with each peer.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;

use passerelle_core::{NetEvent, NodeInfo, SessionStats};

/// How many events the activity log keeps.
pub const LOG_LEN: usize = 50;

/// A member device found on the local network.
#[derive(Clone, Debug)]
pub struct Nearby {
    /// When it was first seen in this run.
    pub seen_at: i64,
}

/// A sync session open now with a peer.
#[derive(Clone, Debug)]
pub struct Live {
    /// When the first of its sessions started.
    pub since: i64,
    /// Whether the peer dialled us.
    pub incoming: bool,
    /// How many communities it syncs.
    pub communities: usize,
    /// Sessions open with it (usually one).
    pub sessions: usize,
    /// Changes received from it while connected.
    pub received: u64,
}

/// What happened with a peer in this run.
#[derive(Clone, Debug, Default)]
pub struct PeerRecord {
    /// The last time changes arrived from it, or a session with it ended.
    pub last_sync: Option<i64>,
    /// What finished sessions exchanged, added up.
    pub totals: SessionStats,
    /// Why the last session ended badly, if it did.
    pub last_error: Option<passerelle_core::SessionError>,
    /// Items (échanges, events, posts, comments…) that first reached this
    /// device through it: the "nouveautés" it passed on.
    pub news: u64,
}

/// One line of the activity log.
#[derive(Clone, Debug)]
pub struct Activity {
    /// When.
    pub at: i64,
    /// What.
    pub what: ActivityKind,
}

/// What an activity line tells.
#[derive(Clone, Debug)]
pub enum ActivityKind {
    /// A network event.
    Net(NetEvent),
    /// Changes from a peer were saved.
    Received {
        /// The peer's device key.
        peer: String,
    },
    /// Changes a peer sent were refused (not signed by their device, or
    /// written by a device that is not a member): they were not kept.
    Refused {
        /// The peer's device key, if known.
        peer: String,
        /// How many changes.
        count: usize,
    },
    /// The community's rules left out values a device wrote (revoked, its
    /// member removed, or without the right role).
    Ignored {
        /// The community's name.
        community: String,
        /// The writing device's key.
        device: String,
        /// How many values.
        count: usize,
    },
}

/// What the Synchronisation and Membres screens show of the network.
#[derive(Default)]
pub struct NetState {
    /// This device's addresses and ticket, once the network is up.
    pub info: Option<NodeInfo>,
    /// Why the network could not start, if it could not.
    pub error: Option<crate::i18n::errors::Problem>,
    /// Where the endpoint listens (from its first event).
    pub listening: Vec<SocketAddr>,
    /// Member devices found on the LAN, by device key.
    pub nearby: BTreeMap<String, Nearby>,
    /// Sessions open now, by device key.
    pub live: BTreeMap<String, Live>,
    /// Peers met in this run, by device key.
    pub peers: BTreeMap<String, PeerRecord>,
    /// The latest events, oldest first.
    pub log: VecDeque<Activity>,
    /// What the rules left out, per community and device, as last logged.
    ignored: BTreeMap<(String, String), usize>,
    /// Refusals reported by the node in this run: what is kept aside
    /// changed when it moves.
    pub refusals: u64,
}

/// The current time, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl NetState {
    /// Takes a network event into account.
    pub fn on_event(&mut self, event: &NetEvent) {
        self.record(event, now_ms());
    }

    /// Changes from `peer` were merged and saved.
    pub fn on_received(&mut self, peer: &str) {
        let at = now_ms();
        self.peers.entry(peer.to_owned()).or_default().last_sync = Some(at);
        if let Some(live) = self.live.get_mut(peer) {
            live.received += 1;
        }
        self.push(
            at,
            ActivityKind::Received {
                peer: peer.to_owned(),
            },
        );
    }

    /// `count` items new to this device arrived with changes from `peer`.
    pub fn on_news(&mut self, peer: &str, count: usize) {
        self.peers.entry(peer.to_owned()).or_default().news += count as u64;
    }

    /// Logs what a community's rules newly left out (values written by a
    /// revoked device, or without the right role).
    pub fn on_ignored(
        &mut self,
        community: &passerelle_model::CommunityId,
        view: &passerelle_model::CommunityView,
    ) {
        let mut now: BTreeMap<String, usize> = BTreeMap::new();
        for ignored in view.ignored.values() {
            for (device, n) in &ignored.by_device {
                *now.entry(device.clone()).or_default() += n;
            }
        }
        for (device, count) in now {
            let key = (community.0.clone(), device.clone());
            if self
                .ignored
                .get(&key)
                .is_some_and(|&before| before >= count)
            {
                continue;
            }
            self.ignored.insert(key, count);
            self.push(
                now_ms(),
                ActivityKind::Ignored {
                    community: view.community.name.clone(),
                    device,
                    count,
                },
            );
        }
    }

    /// Takes an event into account as if it happened at `at`.
    pub fn record(&mut self, event: &NetEvent, at: i64) {
        match event {
            NetEvent::Listening { addrs, .. } => self.listening = addrs.clone(),
            NetEvent::PeerDiscovered { peer } => {
                self.nearby
                    .entry(peer.clone())
                    .or_insert(Nearby { seen_at: at });
            }
            NetEvent::PeerConnected {
                peer,
                incoming,
                communities,
            } => {
                let live = self.live.entry(peer.clone()).or_insert(Live {
                    since: at,
                    incoming: *incoming,
                    communities: 0,
                    sessions: 0,
                    received: 0,
                });
                live.sessions += 1;
                live.communities = live.communities.max(communities.len());
            }
            NetEvent::PeerDisconnected { peer, stats, error } => {
                if let Some(live) = self.live.get_mut(peer) {
                    live.sessions = live.sessions.saturating_sub(1);
                    if live.sessions == 0 {
                        self.live.remove(peer);
                    }
                }
                let record = self.peers.entry(peer.clone()).or_default();
                record.totals.add(stats);
                record.last_error = error.clone();
                if error.is_none() {
                    record.last_sync = Some(at);
                }
            }
            NetEvent::Refused { .. } | NetEvent::BlobFetched { .. } => {}
        }
        self.push(at, ActivityKind::Net(event.clone()));
    }

    /// Changes from `peer` were refused by the gate.
    pub fn on_refused(&mut self, peer: Option<&str>, count: usize) {
        self.refusals += 1;
        self.push(
            now_ms(),
            ActivityKind::Refused {
                peer: peer.unwrap_or_default().to_owned(),
                count,
            },
        );
    }

    fn push(&mut self, at: i64, what: ActivityKind) {
        if self.log.len() == LOG_LEN {
            self.log.pop_front();
        }
        self.log.push_back(Activity { at, what });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_open_close_and_the_log_keeps_fifty_lines() {
        let mut net = NetState::default();
        let connected = NetEvent::PeerConnected {
            peer: "aa".into(),
            incoming: false,
            communities: vec!["c".into()],
        };
        net.record(&connected, 1);
        net.record(&connected, 2);
        assert_eq!(net.live["aa"].sessions, 2);
        assert_eq!(net.live["aa"].since, 1);
        net.on_received("aa");
        assert_eq!(net.live["aa"].received, 1);
        let ended = NetEvent::PeerDisconnected {
            peer: "aa".into(),
            stats: SessionStats {
                bytes_sent: 10,
                ..Default::default()
            },
            error: None,
        };
        net.record(&ended, 3);
        assert!(net.live.contains_key("aa"));
        net.record(&ended, 4);
        assert!(!net.live.contains_key("aa"));
        assert_eq!(net.peers["aa"].last_sync, Some(4));
        assert_eq!(net.peers["aa"].totals.bytes_sent, 20);
        net.on_news("aa", 3);
        net.on_news("aa", 2);
        assert_eq!(net.peers["aa"].news, 5);
        for n in 0..100 {
            net.record(&NetEvent::PeerDiscovered { peer: "bb".into() }, n);
        }
        assert_eq!(net.log.len(), LOG_LEN);
        assert_eq!(net.nearby["bb"].seen_at, 0);
    }
}
