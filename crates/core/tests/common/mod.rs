//! What the node's tests share: devices with names, échanges to write, and
//! members admitted through an invite as the invite protocol does.

#![allow(dead_code)] // each test file uses its own share of these

use std::path::Path;

use passerelle_core::model::{
    Command, CommunityId, ExchangeCommand, ExchangeKind, ExchangeMode, MemberCommand,
};
use passerelle_core::{Handle, Node, NodeConfig};
use passerelle_sync::{JoinReply, JoinRequest, Replica, SessionId, SyncMessage};

/// The current time, in milliseconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A need for help in the garden.
pub fn add_need(h: &Handle, title: &str) -> Command {
    Command::Exchanges(ExchangeCommand::AddExchange {
        id: h.new_id(),
        kind: ExchangeKind::Need,
        title: title.into(),
        description: "Pour le jardin partagé, près de l'école".into(),
        category: "jardinage".into(),
        mode: ExchangeMode::CoupDeMain,
        place: None,
    })
}

/// A node on `dir/name` whose owner is called `name`.
pub async fn start(dir: &Path, name: &str) -> Node {
    let node = Node::start(NodeConfig::new(dir.join(name))).unwrap();
    node.handle().set_display_name(name).await.unwrap();
    node
}

/// A new invite of `admin`'s, and the request its ticket lets a joiner send.
pub async fn invite(admin: &Handle, community: &CommunityId, n: u8) -> JoinRequest {
    let secret = [n; 16];
    let invite = admin.new_id();
    admin
        .apply(
            community,
            Command::Members(MemberCommand::CreateInvite {
                id: invite.clone(),
                secret_hash: passerelle_sync::ticket::secret_hash(&secret),
                expires_at: now() + 3_600_000,
                member: None,
            }),
        )
        .await
        .unwrap();
    JoinRequest {
        community: community.0.clone(),
        invite: invite.0,
        secret,
        display_name: format!("Membre {n}"),
    }
}

/// Makes `joiner` a member, through an invite, as the invite protocol does.
pub async fn admit(admin: &Handle, community: &CommunityId, joiner: &Handle, n: u8) {
    let request = invite(admin, community, n).await;
    let reply = admin
        .replica()
        .admit(joiner.device_key().0.clone(), request)
        .await;
    assert!(matches!(reply, JoinReply::Admitted { .. }), "{reply:?}");
}

/// A syncs with T through their replicas, each message from A to T passed
/// through `tamper` (what a modified app sends); returns what `tamper`
/// counted. A receiver that ends the meeting ends the loop.
pub async fn sync(
    ha: &Handle,
    ht: &Handle,
    session: SessionId,
    tamper: impl Fn(SyncMessage) -> (SyncMessage, usize),
) -> usize {
    let (ra, rt) = (ha.replica(), ht.replica());
    let (ka, kt) = (ha.device_key().0.clone(), ht.device_key().0.clone());
    let mine_a = ra.open_session(session, kt).await;
    let mine_t = rt.open_session(session, ka).await;
    let (sum_a, sum_t) = (
        ra.summary(session, mine_a.clone()).await,
        rt.summary(session, mine_t.clone()).await,
    );
    let mut to_t = ra.first_messages(session, mine_a, sum_t).await;
    let mut to_a = rt.first_messages(session, mine_t, sum_a).await;
    let mut tampered = 0;
    for _ in 0..30 {
        if to_a.is_empty() && to_t.is_empty() {
            break;
        }
        let incoming: Vec<SyncMessage> = std::mem::take(&mut to_t)
            .into_iter()
            .map(|m| {
                let (m, n) = tamper(m);
                tampered += n;
                m
            })
            .collect();
        let (mut next_a, mut next_t) = (Vec::new(), Vec::new());
        if !incoming.is_empty() {
            match rt.receive(session, incoming).await {
                Ok(received) => {
                    for (c, d) in received.touched {
                        next_a.extend(rt.answer(session, c, d).await);
                    }
                }
                // The receiver ends the meeting (too many refused...).
                Err(e) => {
                    eprintln!("the receiver ended the meeting: {e:?}");
                    break;
                }
            }
        }
        let incoming = std::mem::take(&mut to_a);
        if !incoming.is_empty() {
            let received = ra.receive(session, incoming).await.unwrap();
            for (c, d) in received.touched {
                next_t.extend(ra.answer(session, c, d).await);
            }
        }
        (to_a, to_t) = (next_a, next_t);
    }
    ra.close_session(session, Default::default()).await;
    rt.close_session(session, Default::default()).await;
    tampered
}

/// The titles of a community's échanges on `h`, sorted.
pub async fn exchange_titles(h: &Handle, c: &CommunityId) -> Vec<String> {
    let mut t: Vec<String> = h
        .view(c)
        .await
        .unwrap()
        .exchanges
        .iter()
        .map(|e| e.title.clone())
        .collect();
    t.sort();
    t
}
