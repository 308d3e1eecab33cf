//! The node on the network: the [`Replica`] the sync layer talks to, and the
//! [`Handle`] methods that invite, join, sync and serve.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use passerelle_model::{Command, CommandError, CommunityId, DeviceKey, MemberCommand, MemberId};
use passerelle_sync::ticket::secret_hash;
use passerelle_sync::{EndpointAddr, InviteTicket, NetConfig, Network, SessionStats, Ticket};
use serde::Serialize;

use crate::clock::now;
use crate::error::{CoreError, NetError};
use crate::fsio::write_atomic;
use crate::handle::Handle;
use crate::node::Joining;
use crate::replica::{Net, NodeReplica};
use crate::settings;

/// What `serve` writes to `node.json` for scripts.
#[derive(Clone, Debug, Serialize)]
pub struct NodeInfo {
    /// This device's key.
    pub endpoint: String,
    /// Where it listens.
    pub addrs: Vec<SocketAddr>,
    /// A ticket to reach it (no invite inside).
    pub ticket: String,
    /// The serving process.
    pub pid: u32,
}

fn failures_as_text<S: serde::Serializer>(
    failed: &[(String, NetError)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(failed.iter().map(|(peer, e)| (peer, e.to_string())))
}

/// Summary of a sync with several peers.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncSummary {
    /// Peers synced with successfully.
    pub peers: usize,
    /// Peers that could not be synced with, and why (as text in JSON).
    #[serde(serialize_with = "failures_as_text")]
    pub failed: Vec<(String, NetError)>,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Sync messages sent and received.
    pub messages: u64,
    /// Wall time.
    pub duration_ms: u64,
    /// Pictures' thumbnails and small files fetched after the sync.
    pub files: usize,
}

/// Network options given when starting (command line, environment).
#[derive(Clone, Debug, Default)]
pub struct NetOptions {
    /// Bind to this address only.
    pub bind: Option<std::net::IpAddr>,
    /// LAN discovery by mDNS.
    pub mdns: bool,
}

impl NetOptions {
    /// The options every node honours from its environment (DESIGN §4):
    /// `PASSERELLE_BIND=ADDR` binds to one address, `PASSERELLE_MDNS=off`
    /// (or `0`, `false`, `no`) turns LAN discovery off.
    pub fn from_env() -> Result<NetOptions, CoreError> {
        let bind = match std::env::var("PASSERELLE_BIND") {
            Ok(v) if !v.trim().is_empty() => Some(
                v.trim()
                    .parse()
                    .map_err(|_| CoreError::Net(NetError::BadBind(v.clone())))?,
            ),
            _ => None,
        };
        Ok(NetOptions {
            bind,
            mdns: Self::mdns_from_env(),
        })
    }

    /// Whether `PASSERELLE_MDNS` leaves LAN discovery on.
    pub fn mdns_from_env() -> bool {
        !std::env::var("PASSERELLE_MDNS").is_ok_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "off" | "0" | "false" | "no"
            )
        })
    }
}

impl Handle {
    /// The node as the sync layer drives it: sessions, sync messages in and
    /// out, proofs, admissions. The network uses it; so do tests that feed
    /// the node what a peer could send, without a network.
    pub fn replica(&self) -> NodeReplica {
        NodeReplica {
            jobs: self.jobs.downgrade(),
            events: self.events.clone(),
            changes: self.changes.clone(),
        }
    }

    /// Starts networking (once): binds the endpoint on this device's usual
    /// port (a new one if it is taken) and accepts members.
    pub async fn start_network(&self, options: NetOptions) -> Result<(), CoreError> {
        if self.net.get().is_some() {
            return Ok(());
        }
        let settings_path = self.data_dir.join("network.json");
        let mut settings = settings::read(&self.data_dir);
        let config = |port: Option<u16>| NetConfig {
            bind: options.bind,
            port,
            mdns: options.mdns,
            relay: settings.relay.clone(),
            // An encrypted data directory keeps no plain list of whom it met.
            address_book: (!crate::seal::is_sealed(&self.data_dir))
                .then(|| self.data_dir.join("addresses.json")),
            blobs: None,
        };
        let blobs = self.blob_store().await?;
        let config = |port: Option<u16>| NetConfig {
            blobs: Some(blobs.clone()),
            ..config(port)
        };
        let secret = self.secret.secret_key().clone();
        let net = match Network::start(secret.clone(), config(settings.port), self.replica()).await
        {
            Ok(net) => net,
            Err(e) if settings.port.is_some() => {
                tracing::info!("usual port unavailable ({e}); using another");
                Network::start(secret, config(None), self.replica()).await?
            }
            Err(e) => return Err(e.into()),
        };
        let port = net.addr().ip_addrs().next().map(|a| a.port());
        if port.is_some() && port != settings.port {
            settings.port = port;
            let bytes = serde_json::to_vec_pretty(&settings).expect("settings serialise");
            write_atomic(&settings_path, &bytes, false)?;
        }
        let _ = self.net.set(Arc::new(net));
        Ok(())
    }

    fn net(&self) -> Result<&Arc<Net>, CoreError> {
        self.net.get().ok_or(CoreError::NoNetwork)
    }

    /// Closes the network, if started: sessions end and peers are told,
    /// within 5 s; then the attachments' store, if opened. For a node about to stop with its runtime (the app
    /// restarting it), which [`Node::shutdown`](crate::Node::shutdown)
    /// would otherwise do.
    pub async fn close_network(&self) {
        if let Some(net) = self.net.get() {
            net.shutdown().await;
        }
        // The file store holds its database until it is shut down: a node
        // started again on this directory in the same process needs it.
        if let Some(blobs) = self.blobs.get() {
            blobs.shutdown().await;
        }
    }

    /// Where this device can be reached, as a ticket without invite.
    pub fn node_info(&self) -> Result<NodeInfo, CoreError> {
        let net = self.net()?;
        let ticket = net.ticket(None);
        Ok(NodeInfo {
            endpoint: net.id(),
            addrs: ticket.addr.ip_addrs().copied().collect(),
            ticket: ticket.encode(),
            pid: std::process::id(),
        })
    }

    /// Creates an invite to a community, valid for `valid_for`; returns its ticket.
    pub async fn invite(
        &self,
        community: &CommunityId,
        valid_for: Duration,
    ) -> Result<Ticket, CoreError> {
        self.invite_for(community, None, valid_for).await
    }

    /// Creates an invite, or with `member` a pairing ticket: the device
    /// that uses it is added to that member instead of becoming a new one.
    pub async fn invite_for(
        &self,
        community: &CommunityId,
        member: Option<MemberId>,
        valid_for: Duration,
    ) -> Result<Ticket, CoreError> {
        let net = self.net()?.clone();
        let secret: [u8; 16] = rand::random();
        let id = self.new_id();
        let command = Command::Members(MemberCommand::CreateInvite {
            id: id.clone(),
            // A pairing ticket stores a key derived from the secret: its
            // use must carry a proof only the secret's holder can make.
            secret_hash: match member {
                Some(_) => passerelle_model::pairing::use_key(&secret),
                None => secret_hash(&secret),
            },
            expires_at: now() + valid_for.as_millis() as i64,
            member: member.clone(),
        });
        self.apply(community, command).await?;
        Ok(net.ticket(Some(InviteTicket {
            community: community.0.clone(),
            invite: id.0,
            secret,
            pairing: member.is_some(),
        })))
    }

    /// Joins a community with an invite ticket: admitted by the device at
    /// the ticket's address, then synced. Returns the community's id.
    pub async fn join(&self, ticket: &Ticket) -> Result<CommunityId, CoreError> {
        let name = self
            .profile()
            .await?
            .ok_or(CoreError::NoProfile)?
            .display_name;
        self.join_as(ticket, &name).await
    }

    /// Joins a community with an invite ticket as `name`, which becomes this
    /// device's display name once joined if it has none yet: a first start
    /// asks the name with the invite, and keeps nothing of a join that
    /// failed. Returns the community's id.
    pub async fn join_named(&self, ticket: &Ticket, name: &str) -> Result<CommunityId, CoreError> {
        let id = self.join_as(ticket, name).await?;
        if self.profile().await?.is_none() {
            self.set_display_name(name).await?;
        }
        Ok(id)
    }

    /// Links this device to an existing member with a pairing ticket:
    /// `label` names the device (the admitting device reads the invite and
    /// adds this device to its member). A device without a profile takes
    /// the member's name. Returns the community's id.
    pub async fn link_device(
        &self,
        ticket: &Ticket,
        label: &str,
    ) -> Result<CommunityId, CoreError> {
        let id = self.join_as(ticket, label).await?;
        let me = self.device_key().clone();
        let view = self.view(&id).await?;
        // The flag is the ticket maker's word; the invite in the community
        // says what it admitted (a forged flag on an invite admits a new
        // member named `label`).
        let invite = ticket.invite.as_ref().map(|i| i.invite.as_str());
        let paired = view
            .community
            .invites
            .iter()
            .any(|i| Some(i.id.as_str()) == invite && i.member.is_some());
        let Some(member) = view.member_for_device(&me).filter(|_| paired) else {
            return Err(CoreError::Net(NetError::NotAPairingTicket));
        };
        if self.profile().await?.is_none() {
            self.set_display_name(&member.display_name).await?;
        }
        Ok(id)
    }

    async fn join_as(&self, ticket: &Ticket, name: &str) -> Result<CommunityId, CoreError> {
        let net = self.net()?.clone();
        let invite = ticket
            .invite
            .clone()
            .ok_or(CoreError::Net(NetError::NotAnInvite))?;
        let id = CommunityId(invite.community.clone());
        // A community held without being a member (a copied data directory
        // given its own identity, a member removed and invited back) can be
        // joined again: the inviter admits this device and the two copies merge.
        if self
            .communities()
            .await?
            .iter()
            .any(|c| c.id == id && c.role.is_some())
        {
            return Err(CoreError::AlreadyMember(id));
        }
        net.join(ticket, name).await?;
        let via = DeviceKey(data_encoding::HEXLOWER.encode(ticket.addr.id.as_bytes()));
        let joining_id = id.clone();
        self.call(move |s| {
            if !s.communities.contains_key(&joining_id) {
                s.peers.joining.entry(joining_id).or_insert(Joining {
                    via,
                    docs: Default::default(),
                    ledgers: Default::default(),
                });
            }
        })
        .await?;
        net.sync_once(ticket.addr.clone(), Duration::from_secs(120))
            .await?;
        if !self.communities().await?.iter().any(|c| c.id == id) {
            return Err(CoreError::Net(NetError::NotArrived));
        }
        Ok(id)
    }

    /// Syncs with one peer (by ticket or known key) until in sync.
    pub async fn sync_with(
        &self,
        peer: EndpointAddr,
        timeout: Duration,
    ) -> Result<SessionStats, CoreError> {
        let net = self.net()?.clone();
        net.remember(&peer);
        let via = DeviceKey(data_encoding::HEXLOWER.encode(peer.id.as_bytes()));
        self.call(move |s| crate::backup::expect_restored(s, &via))
            .await?;
        Ok(net.sync_once(peer, timeout).await?)
    }

    /// The address of a peer given by key: remembered, or found on the LAN.
    pub fn lookup_peer(&self, key: &str) -> Result<EndpointAddr, CoreError> {
        let id = passerelle_sync::parse_endpoint_id(key)
            .ok_or_else(|| CoreError::Net(NetError::NotATicketOrKey(key.to_owned())))?;
        Ok(self.net()?.lookup(id))
    }

    /// Syncs with every reachable member: remembered peers, and peers found
    /// on the LAN within `discovery` (when mDNS is on).
    pub async fn sync_all(
        &self,
        discovery: Duration,
        timeout: Duration,
    ) -> Result<SyncSummary, CoreError> {
        let net = self.net()?.clone();
        if net.mdns_enabled() {
            tokio::time::sleep(discovery).await;
        }
        let mut peers = net.known();
        for addr in net.discovered() {
            if !peers.iter().any(|p| p.id == addr.id) {
                peers.push(addr);
            }
        }
        let started = std::time::Instant::now();
        let tasks: Vec<_> = peers
            .into_iter()
            .map(|addr| {
                let net = net.clone();
                tokio::spawn(async move {
                    let key = data_encoding::HEXLOWER.encode(addr.id.as_bytes());
                    (key, net.sync_once(addr, timeout).await)
                })
            })
            .collect();
        let mut summary = SyncSummary::default();
        for task in tasks {
            let Ok((key, result)) = task.await else {
                continue;
            };
            match result {
                Ok(stats) => {
                    summary.peers += 1;
                    summary.bytes_sent += stats.bytes_sent;
                    summary.bytes_received += stats.bytes_received;
                    summary.messages += stats.messages_sent + stats.messages_received;
                }
                Err(e) => summary.failed.push((key, e.into())),
            }
        }
        summary.duration_ms = started.elapsed().as_millis() as u64;
        Ok(summary)
    }

    /// Stays connected to every member reachable, now and as they appear.
    pub fn serve(&self) -> Result<(), CoreError> {
        self.net()?.auto_connect();
        Ok(())
    }

    /// Keeps a live session with one peer.
    pub fn connect(&self, peer: EndpointAddr) -> Result<(), CoreError> {
        self.net()?.keep_connected(peer);
        Ok(())
    }

    /// The relay setting kept in `network.json`: `None` when relays are off
    /// (the default), `Some("default")` for the public relays, or a relay URL.
    pub fn relay(&self) -> Option<String> {
        settings::read(&self.data_dir).relay
    }

    /// Changes the relay setting (`None` turns relays off); it takes effect
    /// at the next start. A URL is checked as the endpoint will read it
    /// (`passerelle_sync::relay_url`: `https://` or `http://` and a host).
    pub fn set_relay(&self, relay: Option<String>) -> Result<(), CoreError> {
        let relay = match relay.map(|r| r.trim().to_owned()) {
            None => None,
            Some(r) if r == "default" => Some(r),
            Some(r) => {
                passerelle_sync::relay_url(&r)
                    .map_err(|_| CoreError::Net(NetError::NotARelay(r.clone())))?;
                Some(r)
            }
        };
        let path = self.data_dir.join("network.json");
        let mut settings = settings::read(&self.data_dir);
        settings.relay = relay;
        let bytes = serde_json::to_vec_pretty(&settings).expect("settings serialise");
        write_atomic(&path, &bytes, false)
    }

    /// Whether LAN discovery (mDNS) runs; false while the network is not up.
    pub fn lan_discovery(&self) -> bool {
        self.net().is_ok_and(|net| net.mdns_enabled())
    }

    /// When this device last ended a sync session with each peer (device
    /// key, hex → milliseconds since the epoch): the time its sync state in
    /// `peers/<key>.json` was last written.
    pub fn last_syncs(&self) -> BTreeMap<String, i64> {
        let Ok(entries) = std::fs::read_dir(self.data_dir.join("peers")) else {
            return BTreeMap::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let key = name.strip_suffix(".json")?.to_owned();
                let modified = entry.metadata().ok()?.modified().ok()?;
                let ms = modified
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()?
                    .as_millis();
                Some((key, ms as i64))
            })
            .collect()
    }

    /// Removes the member owning device `key` from a community.
    pub async fn remove_member_by_key(
        &self,
        community: &CommunityId,
        key: &str,
    ) -> Result<MemberId, CoreError> {
        let view = self.view(community).await?;
        let member = view
            .member_for_device(&DeviceKey(key.trim().to_owned()))
            .ok_or_else(|| {
                CoreError::Command(CommandError::NotFound {
                    kind: "member with device key",
                    id: key.to_owned(),
                })
            })?
            .id
            .clone();
        self.apply(
            community,
            Command::Members(MemberCommand::RemoveMember {
                member: member.clone(),
            }),
        )
        .await?;
        Ok(member)
    }
}
