//! What the node's tests share: devices with names, échanges to write, and
//! members admitted through an invite as the invite protocol does.

#![allow(dead_code)] // each test file uses its own share of these

use std::path::Path;

use passerelle_core::model::{
    Command, CommunityId, ExchangeCommand, ExchangeKind, ExchangeMode, MemberCommand,
};
use passerelle_core::{Handle, Node, NodeConfig};
use passerelle_sync::{JoinReply, JoinRequest, Replica};

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
