//! Serving with no window: closing the window does not stop the node, so a
//! computer left on (at the social centre, at home) keeps passing the news
//! between neighbours.
//!
//! How: the window is a [`Window`] around the app; when it closes, it hands
//! its [`Bridge`] (the node's runtime) over instead of dropping it, and
//! `main` calls [`serve`] with it when the setting is on
//! ([`Settings::keeps_serving`]). `passerelle --background` (the login
//! autostart, see [`crate::autostart`]) starts a bridge with no window and
//! serves the same way. While serving:
//! - a tray icon ([`crate::tray`]) offers "Ouvrir Passerelle" and "Quitter";
//! - launching `passerelle` again asks this process, through the socket
//!   `<data>/app.sock`, to open the window: what people do when they see no
//!   icon (some desktops show none);
//! - SIGTERM, SIGINT or SIGHUP (logging out) stop it cleanly.
//!
//! Opening the window stops the node (its data directory is released) and
//! executes the binary again. eframe could run a second window in this
//! process, but the app is built around a node it starts itself; a fresh
//! start costs a few seconds of not serving, once, when someone opens it.
//!
//! The setting is on by default: nothing tells an always-on computer from
//! a laptop carried home, and serving costs little while it helps every
//! neighbour; each close says so in a notification, with how to stop.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

use crate::PasserelleApp;
use crate::bridge::{Bridge, Msg};
use crate::i18n::Lang;
use crate::notify::Notifier;
use crate::settings::Settings;
use crate::tray::TrayRequest;

/// What ended serving in the background.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Open the window (the tray, a second launch, or a passphrase to ask).
    Open,
    /// Stop: "Quitter", or a signal.
    Quit,
}

/// The socket a background process listens on for "open the window".
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("app.sock")
}

/// Wakes whoever reads the bridge: the window while it is open, the
/// background loop after. Once the window is gone it is not woken any more
/// (its event loop no longer runs, so its wake-ups would pile up).
#[derive(Default)]
pub struct Wake {
    window: Mutex<Option<egui::Context>>,
    background: tokio::sync::Notify,
}

impl Wake {
    /// The `repaint` callback to give [`Bridge::start`].
    pub fn callback(self: &Arc<Self>) -> Arc<dyn Fn() + Send + Sync> {
        let wake = self.clone();
        Arc::new(move || {
            let window = wake.window.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(ctx) = window.as_ref() {
                ctx.request_repaint();
            }
            wake.background.notify_one();
        })
    }

    /// The window that reads the bridge, or none once it closed.
    pub fn set_window(&self, ctx: Option<egui::Context>) {
        *self.window.lock().unwrap_or_else(|e| e.into_inner()) = ctx;
    }
}

/// Where the window puts its bridge when it closes.
pub type Handover = Arc<Mutex<Option<Bridge>>>;

/// The app in its window; on close, its bridge goes to the [`Handover`]
/// rather than stopping the node, unless "Arrêter Passerelle" closed it.
pub struct Window {
    app: Option<PasserelleApp>,
    handover: Handover,
    stop: bool,
}

impl Window {
    /// `app`, whose bridge goes to `handover` when the window closes.
    pub fn new(app: PasserelleApp, handover: Handover) -> Self {
        Self {
            app: Some(app),
            handover,
            stop: false,
        }
    }
}

impl eframe::App for Window {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if let Some(app) = &mut self.app {
            app.ui(ui);
        }
        self.stop = crate::availability::stop_requested(ui.ctx());
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // Dropped with the app when stopping: the node stops.
        if let Some(app) = self.app.take().filter(|_| !self.stop) {
            *self.handover.lock().unwrap_or_else(|e| e.into_inner()) = Some(app.into_bridge());
        }
    }
}

/// Whether closing the window leaves `bridge`'s node serving: the setting
/// is on and the node started (a directory still locked by its passphrase
/// serves nobody).
pub fn keeps_serving(settings: &Settings, bridge: &Bridge) -> bool {
    settings.keeps_serving() && bridge.handle().is_some()
}

/// Asks the process serving `data_dir` in the background to open its
/// window. False when none answers (then this process opens it).
pub fn ask_to_open(data_dir: &Path) -> bool {
    ask(data_dir, "open")
}

/// Whether a process serves `data_dir` in the background.
pub fn is_serving(data_dir: &Path) -> bool {
    ask(data_dir, "ping")
}

fn ask(data_dir: &Path, request: &str) -> bool {
    let Ok(mut stream) = std::os::unix::net::UnixStream::connect(socket_path(data_dir)) else {
        return false; // none, or a socket left by a process that died
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    if writeln!(stream, "{request}").is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = BufReader::new(stream).read_line(&mut answer);
    answer.trim() == "ok"
}

/// Serves with `bridge`'s node, with no window, until asked to open the
/// window or to stop. `wake` is the one the bridge was started with;
/// `closed_window`: the window just closed, so a notification says that
/// Passerelle stays on, and how to stop it. The caller drops the bridge
/// after, which stops the node.
pub fn serve(
    bridge: &mut Bridge,
    wake: &Wake,
    data_dir: &Path,
    closed_window: bool,
) -> Result<Exit> {
    wake.set_window(None);
    let lang = Settings::load(data_dir).lang;
    let (requests, mut requested) = tokio::sync::mpsc::unbounded_channel();
    // Before the runtime: the tray's blocking API runs its own executor.
    let tray = crate::tray::show(lang, requests.clone());
    if closed_window {
        explain(lang, tray.as_ref().is_some_and(|t| t.visible));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the background loop")?;
    let exit = runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let mut hup = signal(SignalKind::hangup())?;
        // Bound once the node holds the data directory: a socket found
        // there before may belong to another process serving it.
        let mut listener = None;
        loop {
            if listener.is_none() && bridge.handle().is_some() {
                listener = Some(listen(data_dir)?);
            }
            tokio::select! {
                Some(request) = requested.recv() => {
                    return Ok(match request {
                        TrayRequest::Open => Exit::Open,
                        TrayRequest::Quit => Exit::Quit,
                    });
                }
                Some(stream) = accept(listener.as_ref()) => {
                    tokio::spawn(answer(stream, requests.clone()));
                }
                _ = term.recv() => return Ok(Exit::Quit),
                _ = int.recv() => return Ok(Exit::Quit),
                _ = hup.recv() => return Ok(Exit::Quit),
                () = wake.background.notified() => {
                    if let Some(exit) = read_messages(bridge, lang)? {
                        return Ok(exit);
                    }
                }
            }
        }
    });
    if bridge.handle().is_some() {
        let _ = std::fs::remove_file(socket_path(data_dir));
    }
    drop(tray);
    exit
}

/// Applies what the node sent: the serving loop only needs to know that it
/// started, or why not.
fn read_messages(bridge: &mut Bridge, lang: Lang) -> Result<Option<Exit>> {
    for msg in bridge.drain() {
        match msg {
            Msg::Started { .. } => tracing::info!("serving in the background"),
            // Only the window can ask for the passphrase.
            Msg::Locked { .. } => return Ok(Some(Exit::Open)),
            Msg::Failed(problem) => anyhow::bail!("{}", problem.text(lang)),
            Msg::Network(Err(problem)) => {
                tracing::warn!("the network did not start: {}", problem.text(lang));
            }
            _ => {}
        }
    }
    Ok(None)
}

/// The socket, and the user it answers: the one who made it.
struct Listener {
    socket: UnixListener,
    owner: u32,
}

fn listen(data_dir: &Path) -> Result<Listener> {
    let path = socket_path(data_dir);
    // This process holds the data directory: a socket file here is stale.
    let _ = std::fs::remove_file(&path);
    let socket =
        UnixListener::bind(&path).with_context(|| format!("listening on {}", path.display()))?;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // Until this, the socket has the umask's mode (all users' with a
    // permissive one): connections are also checked to come from its owner.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("restricting {}", path.display()))?;
    let owner = std::fs::symlink_metadata(&path)
        .with_context(|| format!("reading {}", path.display()))?
        .uid();
    Ok(Listener { socket, owner })
}

/// The next connection from the socket's owner, or never when not
/// listening. Another user's is closed unanswered. It returns only with a
/// connection: the serving loop's branch stays armed whatever others send.
async fn accept(listener: Option<&Listener>) -> Option<UnixStream> {
    let Some(listener) = listener else {
        return std::future::pending().await;
    };
    loop {
        match listener.socket.accept().await {
            Ok((stream, _)) => match stream.peer_cred() {
                Ok(cred) if cred.uid() == listener.owner => return Some(stream),
                _ => continue,
            },
            // Out of file descriptors, say: try again a little later.
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Answers one request on the socket: "ping" (is anyone serving?) or
/// "open" (open the window).
async fn answer(stream: UnixStream, requests: tokio::sync::mpsc::UnboundedSender<TrayRequest>) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = tokio::io::BufReader::new(tokio::io::AsyncReadExt::take(read, 64));
    let read = tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut line)).await;
    if !matches!(read, Ok(Ok(_))) {
        return;
    }
    let open = match line.trim() {
        "open" => true,
        "ping" => false,
        _ => return,
    };
    let _ = write.write_all(b"ok\n").await;
    if open {
        let _ = requests.send(TrayRequest::Open);
    }
}

/// Tells the person, as the window closes, that Passerelle stays on and
/// how to stop it.
fn explain(lang: Lang, has_icon: bool) {
    let t = lang.tray();
    let how = if has_icon {
        t.closed_with_icon
    } else {
        t.closed_without_icon
    };
    crate::notify::Desktop::start().show(t.closed, how);
}
