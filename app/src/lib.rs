//! The Passerelle desktop app: the only crate that knows egui.
//!
//! [`PasserelleApp`] holds UI state only. Data comes from the node through the
//! [`bridge::Bridge`] (requests out, messages drained each frame), and derived
//! lists are recomputed only when the view or a filter changes.

pub mod bridge;
mod exchanges;
pub mod i18n;

use std::path::PathBuf;
use std::sync::Arc;

use bridge::{Bridge, Msg};
use egui::{Align, Layout, RichText};
use i18n::Lang;
use passerelle_core::model::{CommunityId, CommunityView};
use passerelle_core::{CommunitySummary, Event};

/// Where the app is in its life.
enum Phase {
    /// The node is starting.
    Loading,
    /// The node could not start (shown to the user).
    Failed(String),
    /// First start: asking for a name.
    Onboarding,
    /// Normal use.
    Ready,
}

/// A form to create a community.
#[derive(Default)]
struct NewCommunity {
    name: String,
    description: String,
}

/// The app's state.
pub struct PasserelleApp {
    bridge: Bridge,
    lang: Lang,
    phase: Phase,
    name_input: String,
    communities: Vec<CommunitySummary>,
    selected: Option<CommunityId>,
    view: Option<Arc<CommunityView>>,
    new_community: Option<NewCommunity>,
    exchanges: exchanges::ExchangesPanel,
    notice: Option<String>,
    error: Option<String>,
    damaged: Vec<String>,
}

impl PasserelleApp {
    /// Starts the app on a data directory; `repaint` wakes the UI from other threads.
    pub fn new(data_dir: PathBuf, repaint: Arc<dyn Fn() + Send + Sync>) -> std::io::Result<Self> {
        Ok(Self {
            bridge: Bridge::start(data_dir, repaint)?,
            lang: Lang::Fr,
            phase: Phase::Loading,
            name_input: String::new(),
            communities: Vec::new(),
            selected: None,
            view: None,
            new_community: None,
            exchanges: exchanges::ExchangesPanel::default(),
            notice: None,
            error: None,
            damaged: Vec::new(),
        })
    }

    /// The language in use.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The community shown, if any.
    pub fn selected(&self) -> Option<&CommunityId> {
        self.selected.as_ref()
    }

    /// Whether the node answered and the app is past onboarding.
    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Ready)
    }

    /// The view shown, if loaded.
    pub fn view(&self) -> Option<&Arc<CommunityView>> {
        self.view.as_ref()
    }

    /// Applies what the node sent since the last frame.
    fn handle_messages(&mut self) {
        for msg in self.bridge.drain() {
            match msg {
                Msg::Started {
                    profile,
                    quarantined,
                    ..
                } => {
                    self.damaged = quarantined.iter().map(|q| q.to_string()).collect();
                    self.phase = if profile.is_some() {
                        Phase::Ready
                    } else {
                        Phase::Onboarding
                    };
                    self.bridge.refresh_communities();
                }
                Msg::Failed(e) => self.phase = Phase::Failed(e),
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
                }
                Msg::View(id, view) => {
                    if self.selected.as_ref() == Some(&id) {
                        self.view = Some(view);
                    }
                }
                Msg::Created(id) => {
                    self.selected = Some(id);
                    self.view = None;
                    self.new_community = None;
                    self.bridge.refresh_communities();
                }
                Msg::Applied(_) => {
                    self.notice = Some(self.lang.t().saved.to_owned());
                    self.exchanges.clear_form();
                }
                Msg::Error(e) => self.error = Some(e),
                Msg::Core(Event::Changed { community }) => {
                    if self.selected.as_ref() == Some(&community) {
                        self.bridge.refresh_view(&community);
                    }
                    self.bridge.refresh_communities();
                }
                Msg::Core(Event::CommunityAdded { .. }) => self.bridge.refresh_communities(),
                // `Changed` follows every received change; the network view
                // comes with the synchronisation screen.
                Msg::Core(Event::ProfileChanged | Event::Received { .. } | Event::Network(_)) => {}
            }
        }
    }

    /// Draws one frame.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.handle_messages();
        let t = self.lang.t();
        egui::Panel::top("top").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading(t.app_title);
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    let mut lang = self.lang;
                    egui::ComboBox::from_id_salt("lang")
                        .selected_text(lang.name())
                        .show_ui(ui, |ui| {
                            for l in [Lang::Fr, Lang::En] {
                                ui.selectable_value(&mut lang, l, l.name());
                            }
                        })
                        .response
                        .labelled_by(ui.label(t.language).id);
                    self.lang = lang;
                });
            });
        });
        self.messages_ui(ui);
        match &self.phase {
            Phase::Loading => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.centered_and_justified(|ui| ui.label(t.loading));
                });
            }
            Phase::Failed(e) => {
                let e = e.clone();
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.heading(t.error);
                    ui.label(e);
                });
            }
            Phase::Onboarding => self.onboarding_ui(ui),
            Phase::Ready => self.main_ui(ui),
        }
    }

    fn messages_ui(&mut self, ui: &mut egui::Ui) {
        let t = self.lang.t();
        if self.error.is_none() && self.notice.is_none() && self.damaged.is_empty() {
            return;
        }
        egui::Panel::bottom("messages").show(ui, |ui| {
            if !self.damaged.is_empty() {
                ui.label(RichText::new(t.damaged_files).strong());
                for d in &self.damaged {
                    ui.label(d);
                }
            }
            if let Some(e) = &self.error {
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

    fn onboarding_ui(&mut self, ui: &mut egui::Ui) {
        let t = self.lang.t();
        egui::CentralPanel::default().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space(40.0);
                ui.heading(t.welcome_title);
                ui.add_space(8.0);
                ui.label(t.welcome_text);
                ui.add_space(16.0);
                let label = ui.label(t.your_name);
                let edit = ui
                    .add(egui::TextEdit::singleline(&mut self.name_input).desired_width(280.0))
                    .labelled_by(label.id);
                let submit = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                let ready = !self.name_input.trim().is_empty();
                if (ui
                    .add_enabled(ready, egui::Button::new(t.continue_))
                    .clicked()
                    || submit)
                    && ready
                {
                    let name = self.name_input.clone();
                    self.bridge.request(move |h| async move {
                        Ok(Msg::Profile(h.set_display_name(&name).await?))
                    });
                }
            });
        });
    }

    fn main_ui(&mut self, ui: &mut egui::Ui) {
        let t = self.lang.t();
        egui::Panel::left("communities")
            .resizable(true)
            .default_size(220.0)
            .show(ui, |ui| {
                ui.heading(t.communities);
                ui.separator();
                for c in &self.communities {
                    let selected = self.selected.as_ref() == Some(&c.id);
                    let text = format!("{}\n{} {}", c.name, c.members, t.members);
                    if ui.selectable_label(selected, text).clicked() && !selected {
                        self.selected = Some(c.id.clone());
                        self.view = None;
                        self.bridge.refresh_view(&c.id);
                    }
                }
                ui.separator();
                if ui.button(t.new_community).clicked() {
                    self.new_community = Some(NewCommunity::default());
                }
                if ui.button(t.load_example).clicked() {
                    self.bridge
                        .request(|h| async move { Ok(Msg::Created(h.load_example().await?)) });
                }
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if self.new_community.is_some() {
                self.new_community_ui(ui);
            } else if self.communities.is_empty() {
                ui.add_space(20.0);
                ui.label(t.no_community);
            } else if let (Some(view), Some(id)) = (self.view.clone(), self.selected.clone()) {
                self.exchanges.ui(ui, self.lang, &self.bridge, &id, &view);
            } else {
                ui.label(t.loading);
            }
        });
    }

    fn new_community_ui(&mut self, ui: &mut egui::Ui) {
        let t = self.lang.t();
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

impl eframe::App for PasserelleApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        PasserelleApp::ui(self, ui);
    }
}
