//! The Synchronisation screen: "Se retrouver" first (the meeting mode, see
//! [`meeting`]), then members nearby and the last exchanges in plain words,
//! syncing now and offline files; under "Avancé", what speaks network:
//! this device's addresses and ticket, connecting by ticket, the relay
//! setting, sessions and an activity log. Also joining a community
//! ([`JoinForm`]) and the QR code helpers the Membres screen shares.

mod join;
pub mod meeting;
mod qr;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use egui::RichText;
use meeting::{Meeting, MeetingAction};
use passerelle_core::model::{CommunityView, DeviceKey};
use passerelle_core::{BundleImport, CoreError, Handle, NetEvent, SyncSummary, Ticket};

use super::Cx;
use crate::bridge::{Bridge, Inbox, Msg};
use crate::design::{self, Kind, icon};
use crate::i18n::Lang;
use crate::i18n::errors::{Doing, Problem, describe_net, describe_rejection, describe_session};
use crate::i18n::sync::SyncStrings;
use crate::net::{Activity, ActivityKind};

pub use join::{JoinForm, read_picture_file, ticket_problem};
pub use qr::{QrError, is_picture, qr_png, qr_sized_ui, qr_ui, read_qr};

/// Runs `work` on the node; its result goes to `tx`, and the shell shows
/// `notice(&result)` on success or `failed` with the reason otherwise.
pub fn run<T, F, Fut>(
    bridge: &Bridge,
    tx: mpsc::Sender<Result<T, Problem>>,
    notice: impl FnOnce(&T) -> String + Send + 'static,
    failed: Doing,
    work: F,
) where
    T: Send + 'static,
    F: FnOnce(Handle) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, CoreError>> + Send + 'static,
{
    bridge.request(move |h| async move {
        let result = work(h).await.map_err(Problem::new);
        let msg = match &result {
            Ok(value) => Msg::Notice(notice(value)),
            Err(e) => Msg::Error(e.clone().doing(failed)),
        };
        let _ = tx.send(result);
        Ok(msg)
    });
}

/// What is read from disk when the screen opens: the relay setting, the
/// last sync with each peer, whether LAN discovery runs.
struct DiskState {
    relay: Option<String>,
    last_syncs: BTreeMap<String, i64>,
    lan: bool,
}

/// The relay choices.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Relay {
    #[default]
    Off,
    Default,
    Custom,
}

/// "Synchroniser maintenant": its button and the last summary.
#[derive(Default)]
struct SyncNow {
    syncing: bool,
    summary: Option<Result<SyncSummary, Problem>>,
    inbox: Inbox<Result<SyncSummary, Problem>>,
}

/// The Synchronisation screen's state.
#[derive(Default)]
pub struct SyncPanel {
    disk: Option<DiskState>,
    disk_loading: bool,
    disk_inbox: Inbox<DiskState>,
    /// The number of log lines seen when the disk state was read.
    disk_log_len: usize,
    sync_now: SyncNow,
    meeting: Meeting,
    connect_text: String,
    connecting: bool,
    connect_problem: Option<&'static str>,
    connect_inbox: Inbox<Result<(), Problem>>,
    show_my_qr: bool,
    exported: Option<PathBuf>,
    export_inbox: Inbox<Result<PathBuf, Problem>>,
    import_path: String,
    importing: bool,
    imported: Option<Result<BundleImport, Problem>>,
    import_inbox: Inbox<Result<BundleImport, Problem>>,
    relay: Relay,
    relay_url: String,
    relay_saved: bool,
    relay_inbox: Inbox<Result<(), Problem>>,
    pictures: Inbox<Result<String, QrError>>,
    picture_problem: Option<&'static str>,
}

impl SyncPanel {
    /// Brings an item forward (from a search result): nothing to show here.
    pub fn open(&mut self, _id: &str) {}

    /// A command sent from this screen was saved (an invitation revoked).
    pub fn applied(&mut self) {}

    /// Opens the meeting mode ("Se retrouver").
    pub fn meet(&mut self) {
        self.meeting.open = true;
    }

    /// Draws the screen, or the meeting view while a meeting goes on.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        self.take_results(cx);
        self.take_dropped(ui, cx);
        if self.meeting.open {
            let sync_now = &mut self.sync_now;
            let action = self.meeting.ui(ui, cx, |ui| sync_now.ui(ui, cx));
            if let MeetingAction::End = action {
                self.meeting.open = false;
            }
            return;
        }
        let t = cx.lang.sync();
        design::heading(ui, Kind::Sync, t.nav);
        egui::ScrollArea::vertical()
            .id_salt("sync-main-scroll")
            .auto_shrink(false)
            .show(ui, |ui| {
                // A little room on the right, clear of the scroll bar.
                ui.set_max_width((ui.available_width() - 12.0).min(860.0));
                status_ui(ui, cx);
                ui.add_space(design::GAP);
                if design::big_choice(ui, icon::MEET, t.meet, t.meet_explain, 460.0).clicked() {
                    self.meet();
                }
                ui.add_space(design::SECTION);
                nearby_ui(ui, cx);
                self.last_syncs_ui(ui, cx);
                design::card(ui, Kind::Sync, |ui| self.sync_now.ui(ui, cx));
                // Offline files stay in sight but calm: no card.
                ui.add_space(design::GAP);
                self.bundle_ui(ui, cx);
                section(ui);
                egui::CollapsingHeader::new(RichText::new(t.advanced).strong())
                    .id_salt("sync-advanced")
                    .show(ui, |ui| {
                        ui.label(RichText::new(t.advanced_help).weak());
                        section(ui);
                        self.device_ui(ui, cx);
                        section(ui);
                        self.connect_ui(ui, cx);
                        section(ui);
                        self.relay_ui(ui, cx);
                        section(ui);
                        sessions_ui(ui, cx);
                        section(ui);
                        log_ui(ui, cx);
                    });
            });
    }

    fn take_results(&mut self, cx: &Cx) {
        let t = cx.lang.sync();
        for disk in self.disk_inbox.drain() {
            self.disk_loading = false;
            if self.disk.is_none() {
                (self.relay, self.relay_url) = match disk.relay.as_deref() {
                    None => (Relay::Off, String::new()),
                    Some("default") => (Relay::Default, String::new()),
                    Some(url) => (Relay::Custom, url.to_owned()),
                };
            }
            self.disk = Some(disk);
        }
        for summary in self.sync_now.inbox.drain() {
            self.sync_now.syncing = false;
            self.sync_now.summary = Some(summary);
            self.disk_log_len = usize::MAX;
        }
        for result in self.connect_inbox.drain() {
            self.connecting = false;
            if result.is_ok() {
                self.connect_text.clear();
            }
        }
        for result in self.export_inbox.drain() {
            self.exported = result.ok();
        }
        for result in self.import_inbox.drain() {
            self.importing = false;
            self.imported = Some(result);
        }
        for result in self.relay_inbox.drain() {
            self.relay_saved = result.is_ok();
        }
        for result in self.pictures.drain() {
            match result {
                Ok(text) if Ticket::decode(&text).is_ok() => {
                    self.connect_text = text;
                    self.picture_problem = None;
                }
                Ok(_) => self.picture_problem = Some(t.qr_not_passerelle),
                Err(QrError::NotAPicture) => self.picture_problem = Some(t.not_a_picture),
                Err(QrError::NoCode) => self.picture_problem = Some(t.no_qr_found),
            }
        }
        // Read the disk again once sessions ended since the last reading.
        let ended = cx
            .net
            .log
            .iter()
            .filter(|a| matches!(a.what, ActivityKind::Net(NetEvent::PeerDisconnected { .. })))
            .count();
        if !self.disk_loading && (self.disk.is_none() || ended != self.disk_log_len) {
            self.disk_log_len = ended;
            self.load_disk(cx);
        }
    }

    fn load_disk(&mut self, cx: &Cx) {
        let Some(handle) = cx.bridge.handle().cloned() else {
            return;
        };
        self.disk_loading = true;
        let tx = self.disk_inbox.sender();
        std::thread::spawn(move || {
            let _ = tx.send(DiskState {
                relay: handle.relay(),
                last_syncs: handle.last_syncs(),
                lan: handle.lan_discovery(),
            });
        });
    }

    /// A file dropped on the window: a QR picture fills the connect field,
    /// anything else is imported as a Passerelle file.
    fn take_dropped(&mut self, ui: &egui::Ui, cx: &Cx) {
        let dropped = ui.ctx().input(|i| i.raw.dropped_files.clone());
        let Some(file) = dropped.first() else {
            return;
        };
        let path = file.path().to_owned();
        if is_picture(&path) {
            let tx = self.pictures.sender();
            let ctx = ui.ctx().clone();
            std::thread::spawn(move || {
                let _ = tx.send(read_picture_file(&path));
                ctx.request_repaint();
            });
        } else {
            self.import_path = path.display().to_string();
            self.import(cx);
        }
    }

    /// This device on the network: its addresses, whether it looks for
    /// members on the Wi-Fi, and its ticket as text and QR code.
    fn device_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.sync();
        design::title(ui, t.this_device);
        let Some(info) = &cx.net.info else {
            status_ui(ui, cx);
            return;
        };
        let addrs: Vec<String> = info.addrs.iter().map(|a| a.to_string()).collect();
        ui.label(format!("{} {}", t.addresses, addrs.join(", ")));
        let lan = self.disk.as_ref().map(|d| d.lan);
        ui.label(match lan {
            Some(true) => t.lan_on,
            Some(false) => t.lan_off,
            None => t.lan_unknown,
        });
        ui.label(t.my_address_help);
        let label = ui.label(t.my_address);
        let mut text = info.ticket.as_str();
        ui.add(
            egui::TextEdit::multiline(&mut text)
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        ui.horizontal(|ui| {
            if ui.button(t.copy_address).clicked() {
                ui.ctx().copy_text(info.ticket.clone());
            }
            let toggle = if self.show_my_qr {
                t.hide_qr
            } else {
                t.show_qr
            };
            if ui.button(toggle).clicked() {
                self.show_my_qr = !self.show_my_qr;
            }
        });
        if self.show_my_qr {
            qr_ui(ui, &info.ticket, cx.lang);
        }
    }

    /// The last exchange with each device, newest first, in words.
    fn last_syncs_ui(&self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.sync();
        let mut last: BTreeMap<&str, i64> = BTreeMap::new();
        if let Some(disk) = &self.disk {
            for (peer, at) in &disk.last_syncs {
                last.insert(peer, *at);
            }
        }
        for (peer, record) in &cx.net.peers {
            if let Some(at) = record.last_sync {
                let entry = last.entry(peer).or_insert(at);
                *entry = (*entry).max(at);
            }
        }
        design::card(ui, Kind::Sync, |ui| {
            design::title(ui, t.last_sync_title);
            if last.is_empty() {
                ui.label(RichText::new(t.never_synced).weak());
                return;
            }
            let mut rows: Vec<(&str, i64)> = last.into_iter().collect();
            rows.sort_by_key(|(_, at)| std::cmp::Reverse(*at));
            for (peer, at) in rows {
                let name = peer_name(cx.view, cx.lang, peer);
                let seed = cx
                    .view
                    .member_for_device(&DeviceKey(peer.to_owned()))
                    .map_or(peer, |m| m.id.as_str());
                ui.horizontal_wrapped(|ui| {
                    design::avatar(ui, &name, seed, 28.0);
                    let when = cx.lang.date_time(at);
                    ui.label(
                        t.last_exchange
                            .replace("{name}", &name)
                            .replace("{when}", &when),
                    );
                    if let Some(e) = cx.net.peers.get(peer).and_then(|r| r.last_error.as_ref()) {
                        ui.colored_label(
                            ui.visuals().warn_fg_color,
                            format!("{} {}", t.ended_badly, describe_session(cx.lang, e)),
                        );
                    }
                });
            }
        });
    }

    fn connect_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.sync();
        design::title(ui, t.connect_title);
        ui.label(t.connect_text);
        let label = ui.label(t.connect_field);
        let edit = ui
            .add(
                egui::TextEdit::multiline(&mut self.connect_text)
                    .desired_rows(2)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if edit.changed() {
            self.connect_problem = None;
            self.picture_problem = None;
        }
        let ready =
            !self.connecting && !self.connect_text.trim().is_empty() && cx.net.info.is_some();
        if ui
            .add_enabled(ready, egui::Button::new(t.connect))
            .clicked()
        {
            self.connect(cx);
        }
        if self.connecting {
            ui.label(t.connecting);
        }
        if let Some(problem) = self.connect_problem.or(self.picture_problem) {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
    }

    fn connect(&mut self, cx: &Cx) {
        let t = cx.lang.sync();
        let text = self.connect_text.trim().to_owned();
        let addr = match Ticket::decode(&text) {
            Ok(ticket) if ticket.invite.is_some() => {
                self.connect_problem = Some(t.is_an_invite);
                return;
            }
            Ok(ticket) => Some(ticket.addr),
            // A device key alone is accepted too.
            Err(_) if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) => None,
            Err(e) => {
                self.connect_problem = Some(ticket_problem(t, &e));
                return;
            }
        };
        self.connect_problem = None;
        self.connecting = true;
        run(
            cx.bridge,
            self.connect_inbox.sender(),
            |_| t.connected_notice.to_owned(),
            |l| l.sync().connect_failed,
            move |h| async move {
                let addr = match addr {
                    Some(addr) => addr,
                    None => h.lookup_peer(&text)?,
                };
                h.sync_with(addr.clone(), Duration::from_secs(30)).await?;
                h.connect(addr)
            },
        );
    }

    fn bundle_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.sync();
        design::title(ui, t.bundle_title);
        ui.label(t.bundle_text);
        if design::icon_button(ui, icon::UPLOAD, t.export_bundle).clicked() {
            let community = cx.community.clone();
            let name = format!(
                "{}-{}.passerelle",
                file_stem(&cx.view.community.name),
                cx.now.format("%Y-%m-%d-%H%M")
            );
            let path = crate::settings::exports_dir().join(name);
            let lang = cx.lang;
            run(
                cx.bridge,
                self.export_inbox.sender(),
                move |path: &PathBuf| format!("{} {}", lang.t().saved_to, path.display()),
                |l| l.sync().export_failed,
                move |h| async move {
                    if let Some(dir) = path.parent() {
                        std::fs::create_dir_all(dir).map_err(|cause| CoreError::Io {
                            action: "create",
                            path: dir.to_owned(),
                            cause,
                        })?;
                    }
                    h.export_bundle(&community, &path, true).await?;
                    Ok(path)
                },
            );
        }
        if let Some(path) = &self.exported {
            ui.label(format!("{} {}", t.exported_to, path.display()));
        }
        ui.add_space(6.0);
        let label = ui.label(t.import_path);
        ui.add(egui::TextEdit::singleline(&mut self.import_path).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        ui.label(t.drop_hint);
        let ready = !self.importing && !self.import_path.trim().is_empty();
        if ui
            .add_enabled(ready, egui::Button::new(t.import_bundle))
            .clicked()
        {
            self.import(cx);
        }
        if self.importing {
            ui.label(t.importing);
        }
        match &self.imported {
            Some(Ok(done)) => {
                ui.label(import_text(t, done));
                if done.refused > 0 {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!("{} {}", done.refused, t.import_refused),
                    );
                }
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, e.text(cx.lang));
            }
            None => {}
        }
    }

    fn import(&mut self, cx: &Cx) {
        let t = cx.lang.sync();
        let path = PathBuf::from(self.import_path.trim());
        self.importing = true;
        self.imported = None;
        run(
            cx.bridge,
            self.import_inbox.sender(),
            move |done| import_text(t, done).to_owned(),
            |l| l.sync().import_failed,
            move |h| async move { h.import_bundle(&path).await },
        );
    }

    fn relay_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.sync();
        design::title(ui, t.relay_title);
        ui.label(t.relay_text);
        let before = (self.relay, self.relay_url.clone());
        let label = ui.label(t.relay_choice);
        ui.vertical(|ui| {
            ui.radio_value(&mut self.relay, Relay::Off, t.relay_off);
            ui.radio_value(&mut self.relay, Relay::Default, t.relay_default);
            ui.radio_value(&mut self.relay, Relay::Custom, t.relay_custom);
        })
        .response
        .labelled_by(label.id);
        if self.relay == Relay::Custom {
            let label = ui.label(t.relay_url);
            ui.add(
                egui::TextEdit::singleline(&mut self.relay_url)
                    .hint_text(t.relay_url_hint)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        }
        if before != (self.relay, self.relay_url.clone()) {
            self.relay_saved = false;
        }
        let ready = self.disk.is_some()
            && (self.relay != Relay::Custom || !self.relay_url.trim().is_empty());
        if ui
            .add_enabled(ready, egui::Button::new(t.relay_save))
            .clicked()
        {
            let choice = match self.relay {
                Relay::Off => None,
                Relay::Default => Some("default".to_owned()),
                Relay::Custom => Some(self.relay_url.trim().to_owned()),
            };
            run(
                cx.bridge,
                self.relay_inbox.sender(),
                |_| t.relay_saved.to_owned(),
                |l| l.sync().relay_failed,
                move |h| async move { h.set_relay(choice) },
            );
        }
        if self.relay_saved {
            ui.label(t.relay_saved);
        }
    }
}

impl SyncNow {
    /// The button, what it is for, and the last summary.
    fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.sync();
        ui.label(t.sync_now_help);
        let ready = !self.syncing && cx.net.info.is_some();
        let clicked = ui
            .add_enabled_ui(ready, |ui| {
                design::icon_button(ui, Kind::Sync.icon(), t.sync_now)
            })
            .inner
            .clicked();
        if clicked {
            self.syncing = true;
            let lang = cx.lang;
            run(
                cx.bridge,
                self.inbox.sender(),
                move |s| summary_text(lang, s),
                |l| l.sync().sync_failed,
                |h| async move {
                    h.sync_all(Duration::from_secs(2), Duration::from_secs(30))
                        .await
                },
            );
        }
        if self.syncing {
            ui.label(t.syncing);
        }
        match &self.summary {
            Some(Ok(summary)) => {
                ui.label(summary_text(cx.lang, summary));
                for (peer, why) in &summary.failed {
                    ui.label(format!(
                        "{} {} : {}",
                        t.not_reached,
                        peer_name(cx.view, cx.lang, peer),
                        describe_net(cx.lang, why)
                    ));
                }
            }
            Some(Err(e)) => {
                ui.label(e.clone().doing(|l| l.sync().sync_failed).text(cx.lang));
            }
            None => {}
        }
    }
}

/// Space and a line between two sections.
fn section(ui: &mut egui::Ui) {
    ui.add_space(8.0);
    ui.separator();
    ui.add_space(4.0);
}

/// Whether the network runs, in one line.
fn status_ui(ui: &mut egui::Ui, cx: &Cx) {
    let t = cx.lang.sync();
    match (&cx.net.info, &cx.net.error) {
        (_, Some(e)) => {
            ui.colored_label(ui.visuals().warn_fg_color, t.network_down);
            ui.label(e.text(cx.lang));
        }
        (None, None) => {
            design::meta_with(ui, icon::WIFI, t.network_starting);
        }
        (Some(_), None) => {
            design::meta_with(ui, icon::WIFI, t.network_up);
        }
    }
}

/// The members found on the Wi-Fi or in a session now, with their avatars.
fn nearby_ui(ui: &mut egui::Ui, cx: &Cx) {
    let t = cx.lang.sync();
    let people: Vec<_> = meeting::present(cx)
        .into_iter()
        .filter(|p| p.live || p.nearby)
        .collect();
    design::card(ui, Kind::Member, |ui| {
        design::title(ui, t.nearby_title);
        if people.is_empty() {
            ui.label(RichText::new(t.nobody_nearby).weak());
        }
        for person in &people {
            ui.horizontal_wrapped(|ui| {
                let name = &person.member.display_name;
                design::avatar(ui, name, person.member.id.as_str(), 28.0);
                ui.label(meeting::state_line(cx, person));
                if let Some(news) = meeting::news_line(cx, person) {
                    ui.label(RichText::new(format!("· {news}")).weak());
                }
            });
        }
    });
}

fn sessions_ui(ui: &mut egui::Ui, cx: &Cx) {
    let t = cx.lang.sync();
    ui.label(RichText::new(t.sessions_title).strong());
    if cx.net.live.is_empty() {
        ui.label(t.no_session);
        return;
    }
    for (peer, live) in &cx.net.live {
        let direction = if live.incoming {
            t.they_called
        } else {
            t.we_called
        };
        let mut line = format!(
            "{} — {} · {} {} · {direction}",
            peer_name(cx.view, cx.lang, peer),
            t.live_state,
            t.since,
            cx.lang.time(live.since),
        );
        if live.received > 0 {
            line = format!(
                "{line} · {} {}",
                cx.lang.number(live.received),
                t.changes_received
            );
        }
        if let Some(record) = cx.net.peers.get(peer) {
            add_totals(&mut line, cx.lang, record);
        }
        ui.label(line);
    }
}

fn log_ui(ui: &mut egui::Ui, cx: &Cx) {
    let t = cx.lang.sync();
    ui.label(RichText::new(t.log_title).strong());
    if cx.net.log.is_empty() {
        ui.label(t.log_empty);
        return;
    }
    for activity in cx.net.log.iter().rev() {
        ui.label(format!(
            "{} — {}",
            cx.lang.time(activity.at),
            describe(cx.view, cx.lang, activity)
        ));
    }
}

/// A network event in plain words.
pub fn describe(view: &CommunityView, lang: Lang, activity: &Activity) -> String {
    let t = lang.sync();
    let name = |peer: &str| peer_name(view, lang, peer);
    match &activity.what {
        ActivityKind::Received { peer } => format!("{} {}", t.log_received, name(peer)),
        ActivityKind::Ignored {
            community,
            device,
            count,
        } => format!("{community} : {count} {} {}", t.log_ignored, name(device)),
        ActivityKind::Refused { peer, count } => {
            format!("{count} {} {}", t.log_refused_changes, name(peer))
        }
        ActivityKind::Net(event) => match event {
            NetEvent::Listening { .. } => t.log_listening.to_owned(),
            NetEvent::PeerDiscovered { peer } => format!("{} {}", name(peer), t.log_discovered),
            NetEvent::PeerConnected { peer, .. } => format!("{} {}", t.log_connected, name(peer)),
            NetEvent::PeerDisconnected { peer, stats, error } => {
                let mut line = format!(
                    "{} {} ({} {}, {} {})",
                    t.log_ended,
                    name(peer),
                    bytes(lang, stats.bytes_sent),
                    t.sent,
                    bytes(lang, stats.bytes_received),
                    t.received
                );
                if let Some(e) = error {
                    line = format!("{line} — {} {}", t.ended_badly, describe_session(lang, e));
                }
                line
            }
            NetEvent::Refused { peer, reason } => {
                let why = describe_rejection(lang, reason);
                format!("{} {} ({why})", t.log_refused, name(peer))
            }
            NetEvent::BlobFetched { peer, bytes, .. } => format!(
                "{} {} ({})",
                t.log_file_fetched,
                name(peer),
                lang.file_size(*bytes)
            ),
        },
    }
}

/// A peer's member name when this community knows its device, else the
/// start of its key.
pub fn peer_name(view: &CommunityView, lang: Lang, peer: &str) -> String {
    match view.member_for_device(&DeviceKey(peer.to_owned())) {
        Some(member) => member.display_name.clone(),
        None => format!(
            "{} {}…",
            lang.sync().unknown_device,
            peer.get(..8).unwrap_or(peer)
        ),
    }
}

/// "12 octets", "3 Ko", "1 200 Ko".
/// Appends "· 3 ko envoyés · 12 ko reçus" when anything was exchanged.
fn add_totals(line: &mut String, lang: Lang, record: &crate::net::PeerRecord) {
    let (t, totals) = (lang.sync(), &record.totals);
    if totals.bytes_sent + totals.bytes_received > 0 {
        *line = format!(
            "{line} · {} {} · {} {}",
            bytes(lang, totals.bytes_sent),
            t.sent,
            bytes(lang, totals.bytes_received),
            t.received
        );
    }
}

fn bytes(lang: Lang, n: u64) -> String {
    let t = lang.sync();
    if n < 10_000 {
        format!("{} {}", lang.number(n), t.bytes)
    } else {
        format!("{} {}", lang.number(n / 1000), t.kilobytes)
    }
}

fn summary_text(lang: Lang, s: &SyncSummary) -> String {
    let t = lang.sync();
    if s.peers == 0 && s.failed.is_empty() {
        return t.nobody_to_sync.to_owned();
    }
    let mut text = format!("{} {}", lang.number(s.peers), t.synced_with);
    if !s.failed.is_empty() {
        text = format!("{text}, {} {}", lang.number(s.failed.len()), t.unreachable);
    }
    format!(
        "{text} · {} {} · {} {}",
        bytes(lang, s.bytes_sent),
        t.sent,
        bytes(lang, s.bytes_received),
        t.received
    )
}

fn import_text(t: &'static SyncStrings, done: &BundleImport) -> &'static str {
    match (done.added, done.changed) {
        (true, _) => t.import_added,
        (false, true) => t.import_changed,
        (false, false) => t.import_nothing_new,
    }
}

/// A community name as a file name: letters, digits and dashes.
fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if stem.is_empty() {
        "communaute".to_owned()
    } else {
        stem.chars().take(40).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_letters_and_digits() {
        assert_eq!(
            file_stem("Jardins de Gorki (2026)"),
            "Jardins-de-Gorki-2026"
        );
        assert_eq!(file_stem("!!"), "communaute");
    }
}
