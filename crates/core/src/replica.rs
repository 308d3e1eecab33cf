//! The node as the sync layer sees it: the [`Replica`] whose every call is
//! a job on the actor, and the admission of an invite's holder.

use passerelle_model::{
    Command, CommandError, CommunityId, DeviceKey, ItemId, MemberCommand, MemberId,
};
use passerelle_sync::ticket::secret_hash;
use passerelle_sync::{
    CommunityDigest, JoinReply, JoinRequest, NetEvent, Network, ReceiveError, Received, Replica,
    SessionId, SessionStats, SyncMessage,
};
use tokio::sync::{broadcast, mpsc};

use crate::clock::{new_item_id, now};
use crate::error::CoreError;
use crate::event::Event;
use crate::node::{Job, State};

/// The network as the node runs it.
pub(crate) type Net = Network<NodeReplica>;

/// The node, as the sync layer sees it. Holds only a weak link to the actor
/// so a running network never keeps a stopped node alive.
#[derive(Clone)]
pub struct NodeReplica {
    pub(crate) jobs: mpsc::WeakSender<Job>,
    pub(crate) events: broadcast::Sender<Event>,
    pub(crate) changes: broadcast::Sender<String>,
}

impl NodeReplica {
    async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut State) -> R + Send + 'static,
        fallback: R,
    ) -> R {
        let Some(jobs) = self.jobs.upgrade() else {
            return fallback;
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |state| {
            let _ = tx.send(f(state));
        });
        if jobs.send(job).await.is_err() {
            return fallback;
        }
        rx.await.unwrap_or(fallback)
    }
}

impl Replica for NodeReplica {
    async fn open_session(&self, session: SessionId, peer: String) -> Vec<String> {
        self.call(
            move |s| s.open_session(session, DeviceKey(peer)),
            Vec::new(),
        )
        .await
    }

    async fn held(&self, communities: Vec<String>) -> Vec<String> {
        self.call(
            move |s| {
                communities
                    .into_iter()
                    .filter(|c| s.communities.contains_key(&CommunityId(c.clone())))
                    .collect()
            },
            Vec::new(),
        )
        .await
    }

    async fn proofs(&self, session: SessionId, communities: Vec<String>) -> Vec<(String, Vec<u8>)> {
        self.call(move |s| s.proofs(session, communities), Vec::new())
            .await
    }

    async fn accept_proof(&self, session: SessionId, community: String, data: Vec<u8>) -> bool {
        self.call(move |s| s.accept_proof(session, community, data), false)
            .await
    }

    async fn shared(&self, session: SessionId) -> Vec<String> {
        self.call(move |s| s.session_shared(session), Vec::new())
            .await
    }

    async fn summary(&self, session: SessionId, communities: Vec<String>) -> Vec<CommunityDigest> {
        self.call(move |s| s.summary(session, communities), Vec::new())
            .await
    }

    async fn first_messages(
        &self,
        session: SessionId,
        communities: Vec<String>,
        theirs: Vec<CommunityDigest>,
    ) -> Vec<SyncMessage> {
        self.call(
            move |s| s.first_messages(session, communities, theirs),
            Vec::new(),
        )
        .await
    }

    async fn generate(&self, session: SessionId, communities: Vec<String>) -> Vec<SyncMessage> {
        self.call(move |s| s.generate(session, communities), Vec::new())
            .await
    }

    async fn receive(
        &self,
        session: SessionId,
        messages: Vec<SyncMessage>,
    ) -> Result<Received, ReceiveError> {
        self.call(
            move |s| s.receive(session, messages),
            Err(ReceiveError::Stopped),
        )
        .await
    }

    async fn answer(&self, session: SessionId, community: String, doc: u8) -> Option<SyncMessage> {
        self.call(move |s| s.answer(session, community, doc), None)
            .await
    }

    async fn in_sync(&self, session: SessionId, communities: Vec<String>) -> bool {
        self.call(move |s| s.in_sync(session, communities), false)
            .await
    }

    async fn close_session(&self, session: SessionId, _stats: SessionStats) {
        // Queued, not awaited: writing the sync states (and flushing them to
        // disk) need not delay the end of a sync. The actor runs jobs in
        // order, so a next session with this peer starts from them.
        let Some(jobs) = self.jobs.upgrade() else {
            return;
        };
        let job: Job = Box::new(move |s| s.close_session(session));
        let _ = jobs.send(job).await;
    }

    async fn admit(&self, peer: String, request: JoinRequest) -> JoinReply {
        let stopped = JoinReply::Refused {
            code: "failed".into(),
            message: "the node has stopped".into(),
        };
        self.call(move |s| admit(s, DeviceKey(peer), request), stopped)
            .await
    }

    async fn may_serve(&self, peer: String, hash: String) -> Vec<String> {
        self.call(move |s| s.may_serve(&DeviceKey(peer), &hash), Vec::new())
            .await
    }

    async fn is_member(&self, peer: String) -> bool {
        self.call(move |s| !s.shared_with(&DeviceKey(peer)).is_empty(), false)
            .await
    }

    async fn wanted(&self, peer: String) -> Vec<passerelle_sync::Wanted> {
        self.call(move |s| s.wanted_from(&DeviceKey(peer)), Vec::new())
            .await
    }

    async fn discovery_secrets(&self) -> Vec<String> {
        self.call(
            |s| {
                let ids: Vec<CommunityId> = s.communities.keys().cloned().collect();
                ids.iter()
                    .filter_map(|id| s.view(id).ok())
                    .map(|v| v.community.discovery_secret.clone())
                    .filter(|secret| !secret.is_empty())
                    .collect()
            },
            Vec::new(),
        )
        .await
    }

    fn changes(&self) -> broadcast::Receiver<String> {
        self.changes.subscribe()
    }

    fn event(&self, event: NetEvent) {
        let _ = self.events.send(Event::Network(event));
    }
}

/// Admits the holder of an invite secret, on the actor.
fn admit(s: &mut State, peer: DeviceKey, request: JoinRequest) -> JoinReply {
    let id = CommunityId(request.community.clone());
    let refused = |code: &str, message: String| JoinReply::Refused {
        code: code.into(),
        message,
    };
    let view = match s.view(&id) {
        Ok(view) => view,
        Err(_) => {
            return refused(
                "not_here",
                "this device does not hold that community".into(),
            );
        }
    };
    let name = view.community.name.clone();
    if view.is_active_device(&peer) {
        // Already admitted (a join interrupted half-way): just sync.
        return JoinReply::Admitted { name };
    }
    // A pairing ticket's use carries a proof made with the secret for this
    // device (every device holds what the invite stores).
    let pairing = view
        .community
        .invites
        .iter()
        .any(|i| i.id.as_str() == request.invite && i.member.is_some());
    let proof = if pairing {
        passerelle_model::pairing::prove_use(&request.secret, &request.invite, peer.as_str())
    } else {
        secret_hash(&request.secret)
    };
    let command = Command::Members(MemberCommand::AdmitMember {
        invite: ItemId(request.invite),
        secret_hash: proof,
        member: MemberId(new_item_id().0),
        display_name: request.display_name,
        device: peer,
    });
    match s.apply(&id, command, now()) {
        Ok(_) => JoinReply::Admitted { name },
        Err(CoreError::Command(CommandError::Invite(r))) => refused(r.code(), r.to_string()),
        Err(e) => refused("failed", e.to_string()),
    }
}
