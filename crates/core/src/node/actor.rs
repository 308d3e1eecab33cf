//! The actor: one OS thread of its own that alone holds the documents and
//! runs the node's jobs, one at a time.
//!
//! Jobs fsync, merge and sign: blocking work that must not hold one of the
//! async runtime's few workers, which the network shares. The thread runs a
//! small runtime of its own only to wait for the next job with a timeout.
//! A job that panics (a bug, or foreign data that slipped past its own
//! guard) is an error for its caller, not a dead node: the state it may
//! have left half done (a document mid-change, a gate's ledger taken out)
//! is read again from disk, and the next job runs.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use super::State;
use crate::error::CoreError;

/// Work for the actor.
pub(crate) type Job = Box<dyn FnOnce(&mut State) + Send>;

/// Idle time after which hydrated views are written to disk.
const KEEP_VIEWS_AFTER: Duration = Duration::from_secs(3);

/// How many jobs may wait for the actor before callers wait to queue theirs.
const QUEUE: usize = 64;

/// The running actor, as its starter holds it.
pub(crate) struct Actor {
    /// Where jobs go.
    pub jobs: mpsc::Sender<Job>,
    /// Set once the actor has stopped (every handle dropped, its queue
    /// drained, views kept, the data directory released).
    pub stopped: Stopped,
}

/// Whether the actor has stopped, to wait for from any thread.
#[derive(Clone, Default)]
pub struct Stopped(Arc<(Mutex<bool>, Condvar)>);

impl Stopped {
    /// Blocks until the actor has stopped, or `limit` has passed; true if
    /// it has stopped.
    pub fn wait(&self, limit: Duration) -> bool {
        let (done, changed) = &*self.0;
        let done = done.lock().unwrap_or_else(|e| e.into_inner());
        let (done, _) = changed
            .wait_timeout_while(done, limit, |done| !*done)
            .unwrap_or_else(|e| e.into_inner());
        *done
    }

    fn set(&self) {
        let (done, changed) = &*self.0;
        *done.lock().unwrap_or_else(|e| e.into_inner()) = true;
        changed.notify_all();
    }
}

impl Actor {
    /// Starts the actor's thread with `state`.
    pub fn spawn(state: State) -> Result<Actor, CoreError> {
        let (jobs, queue) = mpsc::channel::<Job>(QUEUE);
        let stopped = Stopped::default();
        let done = stopped.clone();
        let clock = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(CoreError::io("start", "the node's thread"))?;
        std::thread::Builder::new()
            .name("passerelle-node".into())
            .spawn(move || {
                clock.block_on(run(state, queue));
                done.set();
            })
            .map_err(CoreError::io("start", "the node's thread"))?;
        Ok(Actor { jobs, stopped })
    }
}

/// Runs jobs until every sender is gone. Views hydrated meanwhile are kept
/// on disk once the node has been idle a moment, and when it stops.
async fn run(mut state: State, mut queue: mpsc::Receiver<Job>) {
    loop {
        match tokio::time::timeout(KEEP_VIEWS_AFTER, queue.recv()).await {
            Ok(Some(job)) => state.run(job),
            Ok(None) => break,
            Err(_idle) => state.save_views(),
        }
    }
    state.save_views();
}

impl State {
    /// Runs one job; a panic drops its reply (its caller hears
    /// [`CoreError::Failed`]) and the state starts over from disk.
    fn run(&mut self, job: Job) {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| job(self))) {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!("a node job failed; reading the communities again: {what}");
            self.start_over_from_disk();
        }
    }

    /// Forgets what a failed job may have left half done: every held
    /// community is read again as it is on disk (documents, ledgers of the
    /// gate, views), and communities being joined and live sessions' sync
    /// states are dropped: those sessions end, and the peers meet again.
    /// Nothing acknowledged is lost: a command's reply follows its fsync.
    fn start_over_from_disk(&mut self) {
        let held: Vec<_> = self.communities.keys().cloned().collect();
        for id in held {
            self.reload(&id);
        }
        self.peers = Default::default();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use automerge::ReadDoc;
    use automerge::transaction::Transactable;
    use passerelle_model::DocKind;

    use crate::error::CoreError;
    use crate::handle::{Node, NodeConfig};

    #[tokio::test]
    async fn a_job_that_panics_is_an_error_and_the_node_goes_on_from_what_is_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let node = Node::start(NodeConfig::new(dir.path())).unwrap();
        let handle = node.handle();
        handle.set_display_name("Aïcha").await.unwrap();
        let id = handle.create_community("Jardin", "").await.unwrap();

        fn ledgers(s: &mut crate::node::State, id: &passerelle_model::CommunityId) -> usize {
            s.loaded(id).unwrap().ledgers.len()
        }
        let (of, before) = (id.clone(), handle.clone());
        let held = before.call(move |s| ledgers(s, &of)).await.unwrap();
        assert!(held > 0);

        let (in_job, failed) = (id.clone(), handle.clone());
        let result = failed
            .call(move |s| {
                let loaded = s.loaded(&in_job).unwrap();
                // Half done: the gate's ledgers taken out, a document changed.
                loaded.ledgers.clear();
                let doc = loaded.docs.doc_mut(DocKind::Exchanges).unwrap();
                doc.put(automerge::ROOT, "half_done", "by a job that panicked")
                    .unwrap();
                panic!("a bug met half-way through a job");
            })
            .await;
        assert!(matches!(result, Err(CoreError::Failed)), "{result:?}");

        // The node answers, from its state on disk: the ledgers are back,
        // and its next change does not carry the stray write.
        handle.set_display_name("Aïcha B.").await.unwrap();
        let view = handle.view(&id).await.unwrap();
        assert_eq!(view.community.name, "Jardin");
        let of = id.clone();
        let after = handle.call(move |s| ledgers(s, &of)).await.unwrap();
        assert_eq!(after, held, "the gate's ledgers were read again");
        let stray = handle
            .call(move |s| {
                let loaded = s.loaded(&id).unwrap();
                let doc = loaded.docs.doc(DocKind::Exchanges).unwrap();
                doc.get(automerge::ROOT, "half_done").unwrap().is_some()
            })
            .await
            .unwrap();
        assert!(!stray, "the panicked job's write is gone");
        drop((handle, failed, before));
        node.shutdown().await;
    }

    /// A member's device listed in `id` through an invite, as the invite
    /// protocol lists a joiner.
    async fn list_member(handle: &crate::Handle, id: &passerelle_model::CommunityId, key: &str) {
        use passerelle_model::{Command, MemberCommand};
        use passerelle_sync::Replica;
        let secret = [3u8; 16];
        let invite = handle.new_id();
        handle
            .apply(
                id,
                Command::Members(MemberCommand::CreateInvite {
                    id: invite.clone(),
                    secret_hash: passerelle_sync::ticket::secret_hash(&secret),
                    expires_at: crate::clock::now() + 3_600_000,
                    member: None,
                }),
            )
            .await
            .unwrap();
        let request = passerelle_sync::JoinRequest {
            community: id.0.clone(),
            invite: invite.0,
            secret,
            display_name: "Membre".into(),
        };
        let reply = handle.replica().admit(key.to_owned(), request).await;
        assert!(
            matches!(reply, passerelle_sync::JoinReply::Admitted { .. }),
            "{reply:?}"
        );
    }

    /// After a job panics, the node forgets every live session: the sync
    /// layer may go on calling with the session's id, and gets nothing of a
    /// community (no summary, no message, no merge, no proof taken) until
    /// the peer opens a new session, which passes the membership gate
    /// again. A stranger opening one after the reset is served nothing.
    #[tokio::test]
    async fn after_a_panic_a_session_goes_on_with_nothing_until_the_gate_is_passed_again() {
        use passerelle_sync::Replica;
        let dir = tempfile::tempdir().unwrap();
        let node = Node::start(NodeConfig::new(dir.path())).unwrap();
        let handle = node.handle();
        handle.set_display_name("Aïcha").await.unwrap();
        let id = handle.load_example().await.unwrap();
        let member = "ab".repeat(32);
        list_member(&handle, &id, &member).await;
        let replica = handle.replica();
        let session = 11;
        let shared = replica.open_session(session, member.clone()).await;
        assert_eq!(shared, vec![id.0.clone()]);
        let served = replica.generate(session, shared.clone()).await;
        assert!(!served.is_empty(), "the member is served before the panic");
        let proof = replica.proofs(session, shared.clone()).await;
        assert_eq!(proof.len(), 1);

        let failed = handle.call(|_| panic!("a bug met mid-session")).await;
        assert!(matches!(failed, Err(CoreError::Failed)), "{failed:?}");

        // The same session id, as the sync layer still holds it.
        assert!(replica.shared(session).await.is_empty());
        assert!(replica.summary(session, shared.clone()).await.is_empty());
        assert!(replica.generate(session, shared.clone()).await.is_empty());
        let theirs = vec![];
        assert!(
            replica
                .first_messages(session, shared.clone(), theirs)
                .await
                .is_empty()
        );
        assert_eq!(replica.answer(session, id.0.clone(), 0).await, None);
        assert!(!replica.in_sync(session, shared.clone()).await);
        let (community, data) = proof[0].clone();
        assert!(!replica.accept_proof(session, community, data).await);
        let received = replica.receive(session, served.clone()).await;
        assert_eq!(
            received.unwrap_err(),
            passerelle_sync::ReceiveError::UnknownSession
        );
        // Closing it writes no sync state.
        replica.close_session(session, Default::default()).await;
        let _ = handle.call(|_| ()).await;
        assert!(
            !dir.path()
                .join("peers")
                .join(format!("{member}.json"))
                .exists(),
            "no sync state kept for a session the node forgot"
        );

        // A stranger's new session gets nothing; the member's new one is
        // served again through the gate.
        let stranger = "cd".repeat(32);
        assert!(replica.open_session(12, stranger).await.is_empty());
        assert!(replica.generate(12, shared.clone()).await.is_empty());
        assert_eq!(replica.open_session(13, member).await, shared);
        assert!(!replica.generate(13, shared).await.is_empty());
        drop((replica, handle));
        node.shutdown().await;
    }

    /// What one failed job costs: every community held is read again from
    /// disk before the next job runs. Figures for a generated community
    /// (`PASSERELLE_RELOAD_MONTHS` months, default a launch month of 400
    /// changes) printed with `--nocapture`: in a debug build on a shared
    /// two-core machine, a month of 8,001 changes is read again in 2.5 s.
    #[tokio::test]
    async fn a_failed_job_costs_a_read_of_every_community() {
        let months: Option<u32> = std::env::var("PASSERELLE_RELOAD_MONTHS")
            .ok()
            .and_then(|m| m.parse().ok());
        let dir = tempfile::tempdir().unwrap();
        let node = Node::start(NodeConfig::new(dir.path())).unwrap();
        let handle = node.handle();
        handle.set_display_name("Aïcha").await.unwrap();
        let plan = match months {
            Some(months) => passerelle_demo::generate::Plan {
                months,
                ..Default::default()
            },
            None => passerelle_demo::generate::Plan {
                months: 1,
                launch_changes: 400,
                ..Default::default()
            },
        };
        let (id, changes) = handle.generate_community(plan, 1).await.unwrap();
        let started = std::time::Instant::now();
        let _ = handle.call(|_| ()).await;
        let idle = started.elapsed();
        let started = std::time::Instant::now();
        let failed = handle.call(|_| panic!("a bug")).await;
        let _ = handle.call(|_| ()).await;
        let reload = started.elapsed();
        assert!(matches!(failed, Err(CoreError::Failed)));
        assert_eq!(handle.view(&id).await.unwrap().community.id, id);
        eprintln!(
            "{months:?} month(s), {changes} changes: an empty job {idle:?}, \
             a failed job and the next {reload:?}"
        );
        drop(handle);
        node.shutdown().await;
    }

    /// A job that blocks does not hold the caller's runtime: here the
    /// runtime has one thread, and the job waits for that thread to act.
    #[tokio::test(flavor = "current_thread")]
    async fn jobs_run_off_the_callers_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let node = Node::start(NodeConfig::new(dir.path())).unwrap();
        let handle = node.handle();
        let (tx, rx) = std::sync::mpsc::channel::<&str>();
        let job = handle.call(move |_| rx.recv_timeout(Duration::from_secs(10)));
        let answer = tokio::spawn(async move {
            tokio::task::yield_now().await;
            tx.send("from the runtime's only thread").unwrap();
        });
        let got = tokio::time::timeout(Duration::from_secs(20), job)
            .await
            .expect("the job finished")
            .unwrap();
        assert_eq!(got, Ok("from the runtime's only thread"));
        answer.await.unwrap();
        drop(handle);
        node.shutdown().await;
    }
}
