//! The bridge between the egui frame loop and the node.
//!
//! The UI never awaits: it sends requests, which run on a tokio runtime, and
//! drains their results (and the node's events) at the start of each frame.
//! Every message wakes the UI with `request_repaint`.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;

use crate::i18n::errors::Problem;
use passerelle_core::model::search::Hit;
use passerelle_core::model::{CommunityId, CommunityView, Outcome};
use passerelle_core::{
    CommunitySummary, CoreError, Event, Handle, NetOptions, Node, NodeConfig, NodeInfo, Passphrase,
    Profile, Quarantined, Stopped,
};

/// What comes back from the node.
pub enum Msg {
    /// The node started.
    Started {
        handle: Handle,
        profile: Option<Profile>,
        quarantined: Vec<Quarantined>,
    },
    /// The node could not start.
    Failed(Problem),
    /// The data directory is encrypted: its passphrase is needed (`wrong`:
    /// the one given was refused).
    Locked {
        /// The passphrase given was wrong.
        wrong: bool,
    },
    /// The profile was saved.
    Profile(Profile),
    /// The communities on this device.
    Communities(Vec<CommunitySummary>),
    /// A community's current view.
    View(CommunityId, Arc<CommunityView>),
    /// A community was created.
    Created(CommunityId),
    /// A command was saved.
    Applied(Outcome),
    /// Something failed; it is shown to the user, in their language.
    Error(Problem),
    /// The node reported an event.
    Core(Event),
    /// The network is up (or could not start, and why).
    Network(Result<NodeInfo, Problem>),
    /// A file was written (an export); the path is shown to the user.
    Saved(PathBuf),
    /// A message for the user that is not an error.
    Notice(String),
    /// Suggested matches of a community, at these heads.
    Matches(
        CommunityId,
        passerelle_core::model::view::Heads,
        Arc<Vec<passerelle_core::model::matching::Match>>,
    ),
    /// Search results for a query.
    Hits(String, Vec<Hit>),
    /// The user saw what arrived in a community: stop highlighting it.
    MarkSeen(CommunityId),
    /// A personal backup was restored while the node was stopped (or why
    /// not, with nothing written); the node starts again after it.
    Restored(Result<passerelle_core::Restored, Problem>),
    /// Work whose result went to a screen's own channel.
    Nothing,
}

/// A screen's own channel: results of its background work (see
/// [`Bridge::fetch`]), drained by the screen each frame.
pub struct Inbox<T> {
    tx: mpsc::Sender<T>,
    rx: mpsc::Receiver<T>,
}

impl<T> Default for Inbox<T> {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel();
        Self { tx, rx }
    }
}

impl<T> Inbox<T> {
    /// Where background work sends its result.
    pub fn sender(&self) -> mpsc::Sender<T> {
        self.tx.clone()
    }

    /// What arrived since the last frame.
    pub fn drain(&self) -> Vec<T> {
        self.rx.try_iter().collect()
    }
}

fn new_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// Owns the runtime the node runs on, and the channel back to the UI.
pub struct Bridge {
    runtime: tokio::runtime::Runtime,
    tx: mpsc::Sender<Msg>,
    rx: mpsc::Receiver<Msg>,
    repaint: Arc<dyn Fn() + Send + Sync>,
    handle: Option<Handle>,
    /// What the node is started with, to start it again once unlocked.
    start: (PathBuf, NetOptions),
    /// Declared last, so dropped last: once the runtime, and with it every
    /// handle, is gone.
    stopped: NodeStopped,
}

/// Waits, when the app closes, for its node to stop: the node keeps its
/// data directory until then, and `passerelle-node` (or the app started
/// again) should find it free.
#[derive(Clone, Default)]
struct NodeStopped(Arc<std::sync::Mutex<Option<Stopped>>>);

impl Drop for NodeStopped {
    fn drop(&mut self) {
        if Arc::strong_count(&self.0) > 1 {
            return; // a clone, in the task that started the node
        }
        let stopped = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(stopped) = stopped
            && !stopped.wait(std::time::Duration::from_secs(5))
        {
            tracing::warn!("the node did not stop within 5 s of closing the app");
        }
    }
}

impl Bridge {
    /// Starts the node on `data_dir` in the background, then its network
    /// (serving members, LAN discovery unless `net` turns it off).
    pub fn start(
        data_dir: PathBuf,
        net: NetOptions,
        repaint: Arc<dyn Fn() + Send + Sync>,
    ) -> std::io::Result<Self> {
        let runtime = new_runtime()?;
        let (tx, rx) = mpsc::channel();
        let bridge = Self {
            runtime,
            tx: tx.clone(),
            rx,
            repaint: repaint.clone(),
            handle: None,
            start: (data_dir, net),
            stopped: NodeStopped::default(),
        };
        bridge.launch(None);
        Ok(bridge)
    }

    /// Starts the node again with the passphrase of its encrypted data
    /// directory (after [`Msg::Locked`]).
    pub fn unlock(&mut self, passphrase: Passphrase) {
        self.launch(Some(passphrase));
    }

    /// Stops the node, runs `work` on its data directory while no node
    /// holds it, then starts the node again. `work`'s message arrives
    /// first, then the node's [`Msg::Started`] (or why it could not start).
    /// The UI goes on meanwhile: stopping waits up to 5 s, on a thread.
    pub fn restart_after(&mut self, work: impl FnOnce(&Path) -> Msg + Send + 'static) {
        let runtime = match new_runtime() {
            Ok(runtime) => runtime,
            Err(cause) => {
                let path = self.start.0.clone();
                let e = CoreError::Io {
                    action: "start",
                    path,
                    cause,
                };
                self.send(Msg::Error(Problem::new(e)));
                return;
            }
        };
        // Every task of the old runtime, and with them every handle but
        // ours, goes when it is dropped; the node stops once ours goes too.
        let old_runtime = std::mem::replace(&mut self.runtime, runtime);
        let old_stopped = std::mem::take(&mut self.stopped);
        let old_handle = self.handle.take();
        let launcher = self.launcher();
        std::thread::spawn(move || {
            if let Some(handle) = old_handle {
                // Peers are told the sessions end, rather than finding out.
                old_runtime.block_on(handle.close_network());
            }
            drop(old_runtime);
            drop(old_stopped); // waits for the node to stop, up to 5 s
            let msg = work(&launcher.data_dir);
            let _ = launcher.tx.send(msg);
            (launcher.repaint)();
            launcher.launch(None);
        });
    }

    fn launch(&self, passphrase: Option<Passphrase>) {
        self.launcher().launch(passphrase);
    }

    fn launcher(&self) -> Launcher {
        Launcher {
            runtime: self.runtime.handle().clone(),
            data_dir: self.start.0.clone(),
            net: self.start.1.clone(),
            tx: self.tx.clone(),
            repaint: self.repaint.clone(),
            stopped: self.stopped.clone(),
        }
    }

    /// The node's handle, once started.
    pub fn handle(&self) -> Option<&Handle> {
        self.handle.as_ref()
    }

    /// Results that arrived since the last frame.
    pub fn drain(&mut self) -> Vec<Msg> {
        let msgs: Vec<Msg> = self.rx.try_iter().collect();
        for msg in &msgs {
            if let Msg::Started { handle, .. } = msg {
                self.handle = Some(handle.clone());
            }
        }
        msgs
    }

    /// Runs `work` with the node's handle and sends its result back to the UI.
    pub fn request<F, Fut>(&self, work: F)
    where
        F: FnOnce(Handle) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Msg, CoreError>> + Send + 'static,
    {
        let Some(handle) = self.handle.clone() else {
            return;
        };
        let tx = self.tx.clone();
        let repaint = self.repaint.clone();
        self.runtime.spawn(async move {
            let msg = work(handle)
                .await
                .unwrap_or_else(|e| Msg::Error(Problem::new(e)));
            let _ = tx.send(msg);
            repaint();
        });
    }

    /// Runs `work` with the node's handle and sends its result to a
    /// screen's own channel (`tx`), waking the UI; an error is shown.
    pub fn fetch<T, F, Fut>(&self, tx: mpsc::Sender<T>, work: F)
    where
        T: Send + 'static,
        F: FnOnce(Handle) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, CoreError>> + Send + 'static,
    {
        self.request(move |h| async move {
            let value = work(h).await?;
            let _ = tx.send(value);
            Ok(Msg::Nothing)
        });
    }

    /// Posts a message to the UI as if it came back from the node.
    pub fn send(&self, msg: Msg) {
        let _ = self.tx.send(msg);
        (self.repaint)();
    }

    /// Asks for the community list.
    pub fn refresh_communities(&self) {
        self.request(|h| async move { Ok(Msg::Communities(h.communities().await?)) });
    }

    /// Asks for a community's view.
    pub fn refresh_view(&self, id: &CommunityId) {
        let id = id.clone();
        self.request(move |h| async move {
            let view = h.view(&id).await?;
            Ok(Msg::View(id, view))
        });
    }
}

/// What starting the node needs, to start it from another thread.
struct Launcher {
    runtime: tokio::runtime::Handle,
    data_dir: PathBuf,
    net: NetOptions,
    tx: mpsc::Sender<Msg>,
    repaint: Arc<dyn Fn() + Send + Sync>,
    stopped: NodeStopped,
}

impl Launcher {
    /// Starts the node on the runtime, then its network.
    fn launch(self, passphrase: Option<Passphrase>) {
        let Launcher {
            runtime,
            data_dir,
            net,
            tx,
            repaint,
            stopped,
        } = self;
        let tried = passphrase.is_some();
        runtime.spawn(async move {
            let config = NodeConfig {
                passphrase,
                ..NodeConfig::new(data_dir.clone())
            };
            let msg = match Node::start(config) {
                Ok(node) => {
                    *stopped.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(node.stopped());
                    drop(stopped);
                    let handle = node.handle();
                    let mut events = handle.subscribe();
                    let (tx2, repaint2) = (tx.clone(), repaint.clone());
                    tokio::spawn(async move {
                        // The node lives as long as this task: until the app exits
                        // or restarts it (the runtime is dropped).
                        let _node = node;
                        while let Ok(event) = events.recv().await {
                            if tx2.send(Msg::Core(event)).is_err() {
                                break;
                            }
                            repaint2();
                        }
                    });
                    let profile = handle.profile().await.unwrap_or(None);
                    let quarantined = handle.quarantined().await.unwrap_or_default();
                    let _ = tx.send(Msg::Started {
                        handle: handle.clone(),
                        profile,
                        quarantined,
                    });
                    repaint();
                    // While the app runs, `passerelle-node` commands on this
                    // data directory are carried out by it (control socket).
                    let control = passerelle_commands::control::listen(handle.clone(), &data_dir);
                    if let Err(e) = control {
                        tracing::warn!("control socket: {e:#}");
                    }
                    let started = async {
                        handle.start_network(net).await?;
                        handle.serve()?;
                        handle.node_info()
                    };
                    Msg::Network(started.await.map_err(|e: CoreError| Problem::new(e)))
                }
                Err(CoreError::Sealed(_)) => Msg::Locked { wrong: false },
                Err(CoreError::Passphrase(_)) if tried => Msg::Locked { wrong: true },
                Err(e) => Msg::Failed(Problem::new(e)),
            };
            let _ = tx.send(msg);
            repaint();
        });
    }
}
