//! The Passerelle desktop app: the only crate that knows egui.
//!
//! [`PasserelleApp`] holds UI state only. Data comes from the node through the
//! [`bridge::Bridge`] (requests out, messages drained each frame); each screen
//! in [`views`] derives its lists from the community's view and recomputes
//! them only when the view or a filter changes.

pub mod attachments;
pub mod autostart;
pub mod availability;
pub mod background;
pub mod bridge;
pub mod clock;
pub mod design;
pub mod i18n;
pub mod net;
pub mod notify;
pub mod settings;
pub mod storage;
pub mod tray;
pub mod views;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use bridge::{Bridge, Msg};
use clock::Clock;
use design::icon;
use egui::{Align, Layout, RichText};
use i18n::Lang;
use i18n::errors::Problem;
use passerelle_core::model::search::{Hit, HitKind};
use passerelle_core::model::{CommunityId, CommunityView, DeviceKey};
use passerelle_core::{CommunitySummary, Event, NetOptions};
use settings::Settings;
use views::{Cx, Screen};

/// Where the app is in its life.
enum Phase {
    /// The node is starting.
    Loading,
    /// The node could not start (shown to the user).
    Failed(Problem),
    /// The data directory is encrypted: asking for its passphrase.
    Locked {
        /// What is being typed (wiped when sent).
        passphrase: String,
        /// The last one given was refused.
        wrong: bool,
    },
    /// First start: no name yet ([`views::welcome`]).
    Welcome,
    /// Normal use.
    Ready,
}

/// A form to create a community.
#[derive(Default)]
struct NewCommunity {
    name: String,
    description: String,
}

/// How the app starts: which data directory, which network options.
pub struct AppConfig {
    /// The data directory.
    pub data_dir: PathBuf,
    /// Network confinement (DESIGN §4), from the environment in the real app.
    pub net: NetOptions,
    /// Where the screens read the time: the computer's clock, or a fixed
    /// instant in tests.
    pub clock: Clock,
    /// Where notifications go: the desktop's, or a recorder in tests.
    pub notifier: Arc<dyn notify::Notifier>,
}

/// Every screen's state.
#[derive(Default)]
struct Panels {
    feed: views::feed::FeedPanel,
    exchanges: views::exchanges::ExchangesPanel,
    agenda: views::agenda::AgendaPanel,
    groups: views::groups::GroupsPanel,
    workshop: views::workshop::WorkshopPanel,
    directory: views::directory::DirectoryPanel,
    knowledge: views::knowledge::KnowledgePanel,
    report: views::report::ReportPanel,
    members: views::members::MembersPanel,
    sync: views::sync::SyncPanel,
}

impl Panels {
    fn ui(&mut self, screen: Screen, ui: &mut egui::Ui, cx: &Cx) {
        match screen {
            Screen::Feed => self.feed.ui(ui, cx),
            Screen::Exchanges => self.exchanges.ui(ui, cx),
            Screen::Agenda => self.agenda.ui(ui, cx),
            Screen::Groups => self.groups.ui(ui, cx),
            Screen::Workshop => self.workshop.ui(ui, cx),
            Screen::Directory => self.directory.ui(ui, cx),
            Screen::Knowledge => self.knowledge.ui(ui, cx),
            Screen::Report => self.report.ui(ui, cx),
            Screen::Members => self.members.ui(ui, cx),
            Screen::Sync => self.sync.ui(ui, cx),
        }
    }

    fn open(&mut self, screen: Screen, id: &str) {
        match screen {
            Screen::Feed => self.feed.open(id),
            Screen::Exchanges => self.exchanges.open(id),
            Screen::Agenda => self.agenda.open(id),
            Screen::Groups => self.groups.open(id),
            Screen::Workshop => self.workshop.open(id),
            Screen::Directory => self.directory.open(id),
            Screen::Knowledge => self.knowledge.open(id),
            Screen::Report => self.report.open(id),
            Screen::Members => self.members.open(id),
            Screen::Sync => self.sync.open(id),
        }
    }

    fn applied(&mut self, screen: Screen) {
        match screen {
            Screen::Feed => self.feed.applied(),
            Screen::Exchanges => self.exchanges.applied(),
            Screen::Agenda => self.agenda.applied(),
            Screen::Groups => self.groups.applied(),
            Screen::Workshop => self.workshop.applied(),
            Screen::Directory => self.directory.applied(),
            Screen::Knowledge => self.knowledge.applied(),
            Screen::Report => self.report.applied(),
            Screen::Members => self.members.applied(),
            Screen::Sync => self.sync.applied(),
        }
    }
}

/// The search box and its latest results.
#[derive(Default)]
struct Search {
    query: String,
    /// Results for `for_query` (the query they answer).
    hits: Vec<Hit>,
    for_query: String,
}

/// Items that arrived from other devices and are not yet seen, per community.
#[derive(Default)]
struct Fresh {
    /// Communities that received changes whose next view must be compared.
    pending: HashSet<CommunityId>,
    /// Each community's last view, to compare the next one with.
    last: HashMap<CommunityId, Arc<CommunityView>>,
    /// What arrived and was not yet marked as seen.
    unseen: HashMap<CommunityId, HashSet<String>>,
    /// The device that last sent changes to each community, credited with
    /// the items its changes brought (see [`net::NetState::on_news`]).
    from: HashMap<CommunityId, String>,
}

impl Fresh {
    /// Notes a community's new view: O(1), unless changes from a peer came
    /// since the last one, when its new items are looked for in the parts
    /// that changed. Returns the view before those changes, if they came.
    fn on_view(
        &mut self,
        id: &CommunityId,
        view: &Arc<CommunityView>,
        net: &mut net::NetState,
    ) -> Option<Arc<CommunityView>> {
        let before = self.last.insert(id.clone(), view.clone());
        let before = before.filter(|_| self.pending.remove(id))?;
        let arrived = arrived(&before, view);
        if let Some(peer) = self.from.get(id) {
            net.on_news(peer, arrived.len());
        }
        self.unseen.entry(id.clone()).or_default().extend(arrived);
        Some(before)
    }
}

/// The ids of the items (comments included) in `now` that `before` did not
/// have. A part that is the same allocation in both is skipped.
fn arrived(before: &CommunityView, now: &CommunityView) -> Vec<String> {
    fn new_in<T, I: ToString>(
        before: &Arc<Vec<T>>,
        now: &Arc<Vec<T>>,
        ids: impl Fn(&T) -> Vec<I>,
        out: &mut Vec<String>,
    ) {
        if Arc::ptr_eq(before, now) {
            return;
        }
        let known: HashSet<String> = before
            .iter()
            .flat_map(&ids)
            .map(|i| i.to_string())
            .collect();
        out.extend(
            now.iter()
                .flat_map(&ids)
                .map(|i| i.to_string())
                .filter(|i| !known.contains(i)),
        );
    }
    let mut out = Vec::new();
    new_in(
        &before.exchanges,
        &now.exchanges,
        |e| vec![e.id.clone()],
        &mut out,
    );
    new_in(
        &before.events,
        &now.events,
        |e| vec![e.id.clone()],
        &mut out,
    );
    new_in(&before.ideas, &now.ideas, |e| vec![e.id.clone()], &mut out);
    new_in(
        &before.sheets,
        &now.sheets,
        |e| vec![e.id.clone()],
        &mut out,
    );
    new_in(
        &before.posts,
        &now.posts,
        |p| {
            std::iter::once(p.id.to_string())
                .chain(p.comments.keys().cloned())
                .collect()
        },
        &mut out,
    );
    if !Arc::ptr_eq(&before.community, &now.community) {
        let (b, n) = (&before.community, &now.community);
        let known: HashSet<String> = (b.groups.iter().map(|g| g.id.to_string()))
            .chain(b.actors.iter().map(|a| a.id.to_string()))
            .collect();
        out.extend(
            (n.groups.iter().map(|g| g.id.to_string()))
                .chain(n.actors.iter().map(|a| a.id.to_string()))
                .filter(|i| !known.contains(i)),
        );
    }
    out
}

/// The app's state.
pub struct PasserelleApp {
    bridge: Bridge,
    data_dir: PathBuf,
    settings: Settings,
    phase: Phase,
    welcome: views::welcome::Welcome,
    device: Option<DeviceKey>,
    communities: Vec<CommunitySummary>,
    /// The node listed the communities at least once since it started.
    listed: bool,
    selected: Option<CommunityId>,
    view: Option<Arc<CommunityView>>,
    screen: Screen,
    panels: Panels,
    new_community: Option<NewCommunity>,
    joining: Option<views::sync::JoinForm>,
    search: Search,
    fresh: Fresh,
    net: net::NetState,
    notifications: notify::Notifications,
    clock: Clock,
    notice: Option<String>,
    error: Option<Problem>,
    damaged: Vec<passerelle_core::Quarantined>,
    /// Pictures and files on items, shared by the screens.
    files: attachments::Files,
    /// The "Stockage" section of the settings menu.
    storage: storage::StorageSection,
}

impl PasserelleApp {
    /// Starts the app; `repaint` wakes the UI from other threads.
    pub fn new(config: AppConfig, repaint: Arc<dyn Fn() + Send + Sync>) -> std::io::Result<Self> {
        let settings = Settings::load(&config.data_dir);
        let notifications = notify::Notifications::new(&config.data_dir, config.notifier);
        Ok(Self {
            bridge: Bridge::start(config.data_dir.clone(), config.net, repaint)?,
            data_dir: config.data_dir,
            settings,
            phase: Phase::Loading,
            welcome: views::welcome::Welcome::default(),
            device: None,
            communities: Vec::new(),
            listed: false,
            selected: None,
            view: None,
            screen: Screen::default(),
            panels: Panels::default(),
            new_community: None,
            joining: None,
            search: Search::default(),
            fresh: Fresh::default(),
            net: net::NetState::default(),
            notifications,
            clock: config.clock,
            notice: None,
            error: None,
            damaged: Vec::new(),
            files: attachments::Files::default(),
            storage: storage::StorageSection::default(),
        })
    }

    /// Closes the app but not its node: the bridge that runs it, to keep
    /// serving with no window ([`background`]).
    pub fn into_bridge(self) -> Bridge {
        self.bridge
    }

    /// Shows a screen (the app opens on the Fil).
    pub fn show(&mut self, screen: Screen) {
        self.screen = screen;
    }

    /// Opens "Se retrouver", the meeting view of the Synchronisation screen.
    pub fn meet(&mut self) {
        self.screen = Screen::Sync;
        self.new_community = None;
        self.joining = None;
        self.panels.sync.meet();
    }

    /// The language in use.
    pub fn lang(&self) -> Lang {
        self.settings.lang
    }

    /// The community shown, if any.
    pub fn selected(&self) -> Option<&CommunityId> {
        self.selected.as_ref()
    }

    /// Whether the node answered and the app is unlocked: it shows the
    /// first start or its screens.
    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Ready | Phase::Welcome)
    }

    /// The view shown, if loaded.
    pub fn view(&self) -> Option<&Arc<CommunityView>> {
        self.view.as_ref()
    }

    /// The screen shown.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The network as the app sees it.
    pub fn net(&self) -> &net::NetState {
        &self.net
    }

    /// The error shown to the user, if any, in the app's language.
    pub fn error(&self) -> Option<String> {
        self.error.as_ref().map(|e| e.text(self.lang()))
    }

    /// Applies what the node sent since the last frame.
    fn handle_messages(&mut self, ctx: &egui::Context) {
        for said in self.files.frame(ctx, self.lang(), &self.bridge) {
            match said {
                attachments::Said::Notice(text) => self.notice = Some(text),
                attachments::Said::Problem(problem) => self.error = Some(problem),
            }
        }
        for msg in self.bridge.drain() {
            match msg {
                Msg::Started {
                    handle,
                    profile,
                    quarantined,
                } => {
                    self.device = Some(handle.device_key().clone());
                    if let Some(renewed) = handle.renewed_identity() {
                        let key = renewed.device.as_str();
                        let short = key.get(..12).unwrap_or(key);
                        self.notice = Some(format!("{} {short}", self.lang().t().identity_renewed));
                    }
                    self.damaged = quarantined;
                    self.phase = if profile.is_some() {
                        Phase::Ready
                    } else {
                        Phase::Welcome
                    };
                    // A restarted node (after a restore) has its network to start.
                    self.net.info = None;
                    self.listed = false;
                    self.welcome.started();
                    self.bridge.refresh_communities();
                }
                Msg::Failed(e) => self.phase = Phase::Failed(e),
                Msg::Locked { wrong } => {
                    self.phase = Phase::Locked {
                        passphrase: String::new(),
                        wrong,
                    }
                }
                Msg::Profile(_) => self.phase = Phase::Ready,
                Msg::Communities(list) => {
                    let still_there = self
                        .selected
                        .as_ref()
                        .is_some_and(|s| list.iter().any(|c| &c.id == s));
                    if !still_there {
                        self.selected = list.first().map(|c| c.id.clone());
                        self.view = None;
                    }
                    if let Some(id) = &self.selected {
                        self.bridge.refresh_view(id);
                    }
                    self.communities = list;
                    self.listed = true;
                }
                Msg::View(id, view) => {
                    let me = self.device.as_ref().and_then(|d| view.member_for_device(d));
                    if let Some(before) = self.fresh.on_view(&id, &view, &mut self.net)
                        && let Some(me) = me.filter(|m| m.is_active())
                    {
                        let prefs = (&self.settings.notify, self.settings.lang);
                        self.notifications
                            .arrived(&id, &me.id, (&before, &view), prefs);
                    }
                    self.net.on_ignored(&id, &view);
                    if self.selected.as_ref() == Some(&id) {
                        self.view = Some(view);
                    }
                }
                Msg::Created(id) => {
                    if matches!(self.phase, Phase::Welcome) {
                        self.phase = Phase::Ready;
                    }
                    self.welcome = views::welcome::Welcome::default();
                    self.selected = Some(id);
                    self.view = None;
                    self.new_community = None;
                    self.joining = None;
                    self.screen = Screen::default();
                    self.bridge.refresh_communities();
                }
                Msg::Applied(_) => {
                    self.notice = Some(self.lang().t().saved.to_owned());
                    self.panels.applied(self.screen);
                }
                Msg::Error(e) => {
                    self.error = Some(e);
                    if let Some(form) = &mut self.joining {
                        form.failed();
                    }
                    self.welcome.failed();
                }
                Msg::Restored(result) => {
                    // The node restarts after it: its network too.
                    self.net.info = None;
                    self.welcome.restored(result);
                }
                Msg::Network(Ok(info)) => {
                    self.net.info = Some(info);
                    self.net.error = None;
                }
                Msg::Network(Err(e)) => self.net.error = Some(e),
                Msg::Saved(path) => {
                    self.notice = Some(format!("{} {}", self.lang().t().saved_to, path.display()));
                }
                Msg::Notice(text) => self.notice = Some(text),
                Msg::Hits(query, hits) => {
                    if query == self.search.query.trim() {
                        self.search.for_query = query;
                        self.search.hits = hits;
                    }
                }
                Msg::Matches(id, heads, matches) => {
                    if self.selected.as_ref() == Some(&id) {
                        self.panels.exchanges.set_matches(heads, matches);
                    }
                }
                Msg::MarkSeen(id) => {
                    self.fresh.unseen.remove(&id);
                }
                Msg::Nothing => {}
                Msg::Core(Event::Changed { community }) => {
                    if self.selected.as_ref() == Some(&community) {
                        self.bridge.refresh_view(&community);
                    }
                    self.bridge.refresh_communities();
                }
                Msg::Core(Event::Received { community, peer }) => {
                    self.net.on_received(peer.as_str());
                    self.fresh.from.insert(community.clone(), peer.0);
                    self.fresh.pending.insert(community);
                }
                Msg::Core(Event::CommunityAdded { .. }) => self.bridge.refresh_communities(),
                Msg::Core(Event::Network(event)) => {
                    if let passerelle_core::NetEvent::BlobFetched { hash, .. } = &event {
                        self.files.blob_arrived(hash);
                    }
                    self.net.on_event(&event);
                }
                Msg::Core(Event::ProfileChanged) => {}
                Msg::Core(Event::Refused { peer, count, .. }) => {
                    self.net
                        .on_refused(peer.as_ref().map(|p| p.as_str()), count);
                }
            }
        }
    }

    /// Draws one frame.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.handle_messages(&ui.ctx().clone());
        self.settings.apply(ui.ctx());
        self.top_bar_ui(ui);
        self.messages_ui(ui);
        let t = self.lang().t();
        match &self.phase {
            Phase::Loading => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.centered_and_justified(|ui| ui.label(t.loading));
                });
            }
            Phase::Failed(e) => {
                let e = e.text(self.lang());
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.heading(t.error);
                    ui.label(e);
                });
            }
            Phase::Locked { .. } => self.locked_ui(ui),
            Phase::Welcome => self.welcome_ui(ui, false),
            Phase::Ready
                if (self.listed || self.welcome.is_greeting())
                    && self.communities.is_empty()
                    && self.new_community.is_none()
                    && self.joining.is_none() =>
            {
                self.welcome_ui(ui, true);
            }
            Phase::Ready => self.main_ui(ui),
        }
    }

    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        let t = self.lang().t();
        let before = self.settings.clone();
        egui::Panel::top("top").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading(t.app_title);
                if self.is_ready() && self.selected.is_some() {
                    ui.add_space(12.0);
                    if design::icon_button(ui, icon::MEET, self.lang().sync().meet).clicked() {
                        self.meet();
                    }
                    ui.add_space(12.0);
                    let label = ui.label(t.search);
                    let edit = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.search.query)
                                .hint_text(t.search_hint)
                                .desired_width(200.0),
                        )
                        .labelled_by(label.id)
                        .on_hover_text(t.shortcuts);
                    // Ctrl+F: search. Ctrl+1…9, Ctrl+0: the screens in order.
                    let (find, digit) = ui.input_mut(|i| {
                        let find = i.consume_key(egui::Modifiers::COMMAND, egui::Key::F);
                        let digit = DIGITS
                            .iter()
                            .position(|k| i.consume_key(egui::Modifiers::COMMAND, *k));
                        (find, digit)
                    });
                    if find {
                        edit.request_focus();
                    }
                    if let Some(n) = digit {
                        self.screen = Screen::ALL[n];
                        self.new_community = None;
                        self.joining = None;
                        self.search = Search::default();
                    }
                    if edit.changed() {
                        self.start_search();
                    }
                    if !self.search.query.is_empty() && ui.button(t.clear_search).clicked() {
                        self.search = Search::default();
                    }
                }
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    let storage = (&mut self.storage, &self.bridge);
                    let problem = design::menu(ui, icon::SETTINGS, t.settings, |ui| {
                        settings_menu_ui(ui, &mut self.settings, &self.data_dir, storage)
                    });
                    if let Some(Some(e)) = problem {
                        self.error = Some(e);
                    }
                    // In sight: who needs it may not find it in a menu.
                    ui.checkbox(&mut self.settings.large_text, t.large_text);
                });
            });
        });
        if self.settings != before
            && let Err(cause) = self.settings.save(&self.data_dir)
        {
            self.error = Some(Problem::new(passerelle_core::CoreError::Io {
                action: "write",
                path: self.data_dir.join("app.json"),
                cause,
            }));
        }
    }

    fn start_search(&mut self) {
        let query = self.search.query.trim().to_owned();
        let Some(id) = self.selected.clone() else {
            return;
        };
        if query.is_empty() {
            self.search.hits.clear();
            self.search.for_query.clear();
            return;
        }
        self.bridge.request(move |h| async move {
            let hits = h.search(&id, &query).await?;
            Ok(Msg::Hits(query, hits))
        });
    }

    fn messages_ui(&mut self, ui: &mut egui::Ui) {
        let t = self.lang().t();
        if self.error.is_none() && self.notice.is_none() && self.damaged.is_empty() {
            return;
        }
        egui::Panel::bottom("messages").show(ui, |ui| {
            if !self.damaged.is_empty() {
                ui.label(RichText::new(t.damaged_files).strong());
                for d in &self.damaged {
                    let d = i18n::errors::describe_quarantined(self.lang(), d);
                    ui.label(d);
                }
            }
            if let Some(e) = &self.error {
                let e = e.text(self.lang());
                ui.colored_label(ui.visuals().error_fg_color, format!("{} : {e}", t.error));
            } else if let Some(n) = &self.notice {
                ui.label(n);
            }
            if ui.button(t.dismiss).clicked() {
                self.error = None;
                self.notice = None;
                self.damaged.clear();
            }
        });
    }

    /// The passphrase of an encrypted data directory.
    fn locked_ui(&mut self, ui: &mut egui::Ui) {
        let t = self.lang().t();
        let Phase::Locked { passphrase, wrong } = &mut self.phase else {
            return;
        };
        let mut send = false;
        egui::CentralPanel::default().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space(40.0);
                ui.heading(t.locked_title);
                ui.add_space(8.0);
                ui.label(t.locked_text);
                ui.add_space(16.0);
                let label = ui.label(t.passphrase);
                let edit = ui
                    .add(
                        egui::TextEdit::singleline(passphrase)
                            .password(true)
                            .desired_width(280.0),
                    )
                    .labelled_by(label.id);
                if *wrong {
                    ui.colored_label(ui.visuals().error_fg_color, t.wrong_passphrase);
                }
                let submit = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                let ready = !passphrase.is_empty();
                send = (ui.add_enabled(ready, egui::Button::new(t.unlock)).clicked() || submit)
                    && ready;
            });
        });
        if send {
            let given = std::mem::take(passphrase);
            self.phase = Phase::Loading;
            self.bridge.unlock(passerelle_core::Passphrase::from(given));
        }
    }

    /// The first start, or (`named`) a member with no community here.
    fn welcome_ui(&mut self, ui: &mut egui::Ui, named: bool) {
        let lang = self.lang();
        egui::CentralPanel::default().show(ui, |ui| {
            self.welcome.ui(ui, lang, &mut self.bridge, named);
        });
    }

    fn main_ui(&mut self, ui: &mut egui::Ui) {
        let t = self.lang().t();
        egui::Panel::left("navigation")
            .resizable(true)
            .default_size(230.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.navigation_ui(ui));
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if self.new_community.is_some() {
                self.new_community_ui(ui);
            } else if let Some(form) = &mut self.joining {
                if form.ui(ui, self.settings.lang, &self.bridge, None) {
                    self.joining = None;
                }
            } else if self.communities.is_empty() {
                ui.label(t.loading);
            } else if !self.search.query.trim().is_empty() {
                self.results_ui(ui);
            } else if let (Some(view), Some(id), Some(device)) = (
                self.view.clone(),
                self.selected.clone(),
                self.device.clone(),
            ) {
                let now = self.clock.now();
                if let Some(me) = view.member_for_device(&device).filter(|m| m.is_active()) {
                    let prefs = (&self.settings.notify, self.settings.lang);
                    let at = (&*view, now.timestamp_millis());
                    self.notifications.due(&id, &me.id, at, prefs);
                }
                // What the member is looking at is no longer news.
                self.notifications.looked_at(&id, self.screen);
                let empty = HashSet::new();
                let cx = Cx {
                    lang: self.settings.lang,
                    bridge: &self.bridge,
                    community: &id,
                    view: &view,
                    device: &device,
                    // A removed member's device acts as a visitor: no forms.
                    me: view.member_for_device(&device).filter(|m| m.is_active()),
                    fresh: self.fresh.unseen.get(&id).unwrap_or(&empty),
                    net: &self.net,
                    now,
                    files: &self.files,
                };
                self.panels.ui(self.screen, ui, &cx);
                self.files.viewer_ui(ui.ctx(), self.settings.lang);
                if let Some(text) = self.files.dropped_nowhere(ui.ctx(), self.settings.lang) {
                    self.notice = Some(text);
                }
            } else {
                ui.label(t.loading);
            }
        });
    }

    fn load_example(&self) {
        self.bridge
            .request(|h| async move { Ok(Msg::Created(h.load_example().await?)) });
    }

    fn navigation_ui(&mut self, ui: &mut egui::Ui) {
        let t = self.lang().t();
        let lang = self.settings.lang;
        if let Some(id) = self.selected.clone() {
            let label = ui.label(RichText::new(t.community).small());
            let current = self
                .communities
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            egui::ComboBox::from_id_salt("community")
                .selected_text(&current)
                .width(200.0)
                .show_ui(ui, |ui| {
                    for c in &self.communities {
                        if ui
                            .selectable_label(c.id == id, format!("{} ({})", c.name, c.members))
                            .clicked()
                            && c.id != id
                        {
                            self.selected = Some(c.id.clone());
                            self.view = None;
                            self.search = Search::default();
                            self.bridge.refresh_view(&c.id);
                        }
                    }
                })
                .response
                .labelled_by(label.id);
            ui.add_space(8.0);
            for screen in Screen::ALL {
                let mut text = screen.label(lang).to_owned();
                // The Fil counts what arrived; other screens what concerns me.
                let count = match screen {
                    Screen::Feed => self.fresh.unseen.get(&id).map_or(0, HashSet::len),
                    _ => self.notifications.badge(&id, screen),
                };
                if count > 0 {
                    text = format!("{text} ({})", lang.number(count));
                }
                let selected = self.screen == screen && self.new_community.is_none();
                if design::nav_item(ui, screen.kind(), &text, selected).clicked() {
                    self.screen = screen;
                    self.new_community = None;
                    self.joining = None;
                    self.search = Search::default();
                }
            }
            // With no community yet, the start screen offers these.
            ui.separator();
            if design::icon_button(ui, icon::CREATE, t.new_community).clicked() {
                self.new_community = Some(NewCommunity::default());
                self.joining = None;
            }
            if design::icon_button(ui, icon::JOIN, t.join_community).clicked() {
                self.joining = Some(views::sync::JoinForm::default());
                self.new_community = None;
            }
            if design::icon_button(ui, icon::EXPLORE, t.load_example).clicked() {
                self.load_example();
            }
        }
    }

    fn results_ui(&mut self, ui: &mut egui::Ui) {
        let t = self.lang().t();
        let lang = self.settings.lang;
        ui.heading(format!(
            "{} « {} »",
            t.results_for,
            self.search.query.trim()
        ));
        if self.search.for_query != self.search.query.trim() {
            ui.label(t.searching);
            return;
        }
        if self.search.hits.is_empty() {
            ui.label(t.no_results);
            return;
        }
        let mut opened = None;
        egui::ScrollArea::vertical().show(ui, |ui| {
            for hit in &self.search.hits {
                let screen = screen_of(hit.kind);
                let text = format!("{} — {}", screen.label(lang), hit.title);
                if ui.link(text).clicked() {
                    opened = Some((screen, hit.id.clone()));
                }
            }
        });
        if let Some((screen, id)) = opened {
            self.screen = screen;
            self.panels.open(screen, &id);
            self.search = Search::default();
        }
    }

    fn new_community_ui(&mut self, ui: &mut egui::Ui) {
        let t = self.lang().t();
        let Some(form) = &mut self.new_community else {
            return;
        };
        ui.heading(t.new_community);
        let label = ui.label(t.community_name);
        ui.text_edit_singleline(&mut form.name)
            .labelled_by(label.id);
        let label = ui.label(t.community_description);
        ui.text_edit_multiline(&mut form.description)
            .labelled_by(label.id);
        let ready = !form.name.trim().is_empty();
        let (create, cancel) = ui
            .horizontal(|ui| {
                (
                    ui.add_enabled(ready, egui::Button::new(t.create)).clicked(),
                    ui.button(t.cancel).clicked(),
                )
            })
            .inner;
        if create {
            let (name, description) = (form.name.clone(), form.description.clone());
            self.bridge.request(move |h| async move {
                Ok(Msg::Created(h.create_community(&name, &description).await?))
            });
        }
        if cancel {
            self.new_community = None;
        }
    }
}

/// Ctrl+1 … Ctrl+0 open the screens in navigation order.
const DIGITS: [egui::Key; 10] = [
    egui::Key::Num1,
    egui::Key::Num2,
    egui::Key::Num3,
    egui::Key::Num4,
    egui::Key::Num5,
    egui::Key::Num6,
    egui::Key::Num7,
    egui::Key::Num8,
    egui::Key::Num9,
    egui::Key::Num0,
];

/// The screen that shows a kind of search result.
fn screen_of(kind: HitKind) -> Screen {
    match kind {
        HitKind::Exchange => Screen::Exchanges,
        HitKind::Event => Screen::Agenda,
        HitKind::Group => Screen::Groups,
        HitKind::Idea => Screen::Workshop,
        HitKind::Actor => Screen::Directory,
        HitKind::Sheet => Screen::Knowledge,
        HitKind::Post => Screen::Feed,
        HitKind::Member => Screen::Members,
    }
}

/// The "Réglages" menu: language, theme, notifications, and staying
/// available with the window closed. A failure to write the login entry is
/// returned, to show.
fn settings_menu_ui(
    ui: &mut egui::Ui,
    settings: &mut settings::Settings,
    data_dir: &std::path::Path,
    (storage, bridge): (&mut storage::StorageSection, &Bridge),
) -> Option<Problem> {
    let t = settings.lang.t();
    ui.set_min_width(320.0);
    ui.label(RichText::new(t.language).strong());
    ui.horizontal(|ui| {
        for l in [Lang::Fr, Lang::En] {
            ui.selectable_value(&mut settings.lang, l, l.name());
        }
    });
    ui.checkbox(&mut settings.dark, t.dark_theme);
    ui.separator();
    notify_section_ui(ui, &mut settings.notify, settings.lang);
    ui.separator();
    if bridge.handle().is_some() {
        // Its figures in a menu of their own: this one stays short.
        let lang = settings.lang;
        let label = lang.storage().menu;
        design::menu(ui, design::file_icon::STORAGE, label, |ui| {
            storage.ui(ui, lang, bridge)
        });
        ui.separator();
    }
    availability::section_ui(ui, settings, data_dir)
}

/// The notifications of the settings menu: each kind on or off.
fn notify_section_ui(ui: &mut egui::Ui, prefs: &mut notify::NotifyPrefs, lang: Lang) {
    let t = lang.notify();
    ui.label(RichText::new(t.menu).strong());
    ui.label(t.menu_hint);
    for (kind, label) in passerelle_core::model::notices::NoticeKind::ALL
        .into_iter()
        .zip(t.kinds)
    {
        let mut on = prefs.wants(kind);
        if ui.checkbox(&mut on, label).changed() {
            prefs.set(kind, on);
        }
    }
}

impl eframe::App for PasserelleApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        PasserelleApp::ui(self, ui);
    }
}
