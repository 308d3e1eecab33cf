//! The first start: Passerelle's name, one sentence, and four large
//! choices: create a community, join one with an invitation, discover the
//! example, restore a personal backup.
//!
//! The name is asked on the form that needs it, so joining with an
//! invitation takes three actions; a pairing ticket and a restore never ask
//! it (the device takes the member's, or the backup's). The same screen,
//! without the name, greets a member who has no community on this device;
//! after a restore it says which communities come back, and fetches them
//! from a member's device.

use std::path::PathBuf;

use egui::RichText;
use passerelle_core::{OpenedBackup, RestoredCommunity, Ticket};

use super::sync::{JoinForm, run, ticket_problem};
use crate::bridge::{Bridge, Inbox, Msg};
use crate::design::{self, Kind, icon};
use crate::i18n::Lang;
use crate::i18n::errors::Problem;

/// The width of the column the forms are drawn in.
const COLUMN: f32 = 600.0;

/// What the user chose on the first screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choice {
    Create,
    Join,
    Example,
    Restore,
}

/// Creating a community.
#[derive(Default)]
struct CreateForm {
    name: String,
    description: String,
}

/// Restoring a personal backup: the file, its passphrase.
#[derive(Default)]
struct RestoreForm {
    file: String,
    passphrase: String,
    /// Why the last try failed; nothing was written.
    problem: Option<Problem>,
    /// Opening the backup (the passphrase is checked) or restoring it.
    stage: Option<Stage>,
    opened: Inbox<Result<OpenedBackup, Problem>>,
}

/// Where a restore is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// The file is read and opened with the passphrase; the node runs on.
    Opening,
    /// The node stopped for the restore and starts again.
    Restarting,
}

/// What a restored device waits for: its name and the communities that
/// come back at the next sync with a member.
struct Awaiting {
    name: Option<String>,
    communities: Vec<RestoredCommunity>,
}

/// Syncing with a member's device to get restored communities back.
#[derive(Default)]
struct FindForm {
    address: String,
    busy: bool,
    problem: Option<&'static str>,
    results: Inbox<Result<(), Problem>>,
}

/// The first start's state.
#[derive(Default)]
pub struct Welcome {
    open: Option<Choice>,
    /// The name typed, shared by the forms (kept when going back).
    name: String,
    create: CreateForm,
    join: JoinForm,
    restore: RestoreForm,
    /// A community is being created or loaded.
    busy: bool,
    awaiting: Option<Awaiting>,
    /// The node was asked what a restore awaits, since it last started.
    asked: bool,
    awaited: Inbox<Awaiting>,
    find: FindForm,
}

impl Welcome {
    /// Something failed (the shell shows why): the forms can be sent again.
    pub fn failed(&mut self) {
        self.busy = false;
        self.join.failed();
    }

    /// Whether a form or the restored device's welcome is shown: kept while
    /// the node restarts or lists its communities.
    pub fn is_greeting(&self) -> bool {
        self.open.is_some() || self.awaiting.is_some()
    }

    /// The node (re)started: what a restore awaits is asked again.
    pub fn started(&mut self) {
        self.asked = false;
    }

    /// A restore ended: restored, or refused with nothing written.
    pub fn restored(&mut self, result: Result<passerelle_core::Restored, Problem>) {
        self.restore.stage = None;
        match result {
            Ok(restored) => {
                self.awaiting = Some(Awaiting {
                    name: restored.display_name,
                    communities: restored.communities,
                });
                self.restore = RestoreForm::default();
                self.open = None;
            }
            Err(problem) => {
                self.restore.passphrase.clear();
                self.restore.problem = Some(problem);
            }
        }
    }

    /// Draws the screen. `named`: this device has a name already (no form
    /// asks it, and a backup can no longer be restored over it).
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, bridge: &mut Bridge, named: bool) {
        self.take_results(bridge, named);
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                // A little above the middle, as a page's title sits.
                ui.add_space((ui.available_height() * 0.16).max(design::SECTION));
                // A margin on either side, even with "Grand texte".
                let width = (ui.available_width() - 2.0 * design::SECTION).min(900.0);
                ui.set_max_width(width);
                match self.open {
                    None if self.awaiting.is_some() => self.awaiting_ui(ui, lang, bridge),
                    None => self.choices_ui(ui, lang, bridge, named),
                    Some(choice) => {
                        ui.set_max_width(COLUMN);
                        ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                            self.form_ui(ui, choice, lang, bridge, named)
                        });
                    }
                }
            });
        });
    }

    fn take_results(&mut self, bridge: &mut Bridge, named: bool) {
        for awaiting in self.awaited.drain() {
            self.awaiting = Some(awaiting).filter(|a| !a.communities.is_empty());
        }
        if named && !self.asked && bridge.handle().is_some() {
            self.asked = true;
            bridge.fetch(self.awaited.sender(), |h| async move {
                Ok(Awaiting {
                    name: h.profile().await?.map(|p| p.display_name),
                    communities: h.awaited_communities().await?,
                })
            });
        }
        for result in self.find.results.drain() {
            self.find.busy = false;
            if result.is_ok() {
                self.find.address.clear();
            }
        }
        for opened in self.restore.opened.drain() {
            match opened {
                Ok(opened) => {
                    self.restore.stage = Some(Stage::Restarting);
                    bridge.restart_after(move |dir| {
                        let restored = passerelle_core::restore_backup_over_unused(dir, opened);
                        Msg::Restored(restored.map_err(Problem::new))
                    });
                }
                Err(problem) => {
                    self.restore.stage = None;
                    self.restore.passphrase.clear();
                    self.restore.problem = Some(problem);
                }
            }
        }
    }

    /// Passerelle's name, its sentence and the large choices.
    fn choices_ui(&mut self, ui: &mut egui::Ui, lang: Lang, bridge: &Bridge, named: bool) {
        let (t, w) = (lang.t(), lang.welcome());
        ui.label(RichText::new(t.app_title).size(design::DISPLAY).strong());
        ui.add_space(design::GAP);
        ui.label(RichText::new(w.tagline).size(design::TITLE));
        ui.add_space(design::SECTION * 1.5);
        ui.label(RichText::new(w.how_to_start).weak());
        ui.add_space(design::GAP);
        let mut choices = vec![
            (
                Choice::Create,
                icon::CREATE,
                t.new_community,
                w.create_explain,
            ),
            (Choice::Join, icon::JOIN, t.join_community, w.join_explain),
            (
                Choice::Example,
                icon::EXPLORE,
                t.load_example,
                w.example_explain,
            ),
        ];
        // A named device's identity may be known to others: never replaced.
        if !named {
            choices.push((Choice::Restore, icon::RESTORE, w.restore, w.restore_explain));
        }
        let two_columns = ui.available_width() >= 2.0 * 380.0;
        let spacing = ui.spacing().item_spacing.x;
        let width = if two_columns {
            (ui.available_width() - spacing) / 2.0
        } else {
            ui.available_width().min(COLUMN)
        };
        let mut chosen = None;
        for row in choices.chunks(if two_columns { 2 } else { 1 }) {
            ui.horizontal(|ui| {
                for (choice, icon, label, explain) in row {
                    if design::big_choice(ui, *icon, label, explain, width).clicked() {
                        chosen = Some(*choice);
                    }
                }
            });
            ui.add_space(design::GAP);
        }
        if self.busy {
            ui.label(w.working);
        }
        match chosen {
            Some(Choice::Example) if named || !self.name.trim().is_empty() => {
                self.load_example(bridge, named);
            }
            Some(Choice::Join) => {
                self.join = JoinForm::default();
                self.open = Some(Choice::Join);
            }
            Some(choice) => self.open = Some(choice),
            None => {}
        }
    }

    fn form_ui(
        &mut self,
        ui: &mut egui::Ui,
        choice: Choice,
        lang: Lang,
        bridge: &Bridge,
        named: bool,
    ) {
        let back = match choice {
            Choice::Join => {
                let name = (!named).then_some(&mut self.name);
                self.join.ui(ui, lang, bridge, name)
            }
            Choice::Create => self.create_ui(ui, lang, bridge, named),
            Choice::Example => self.example_ui(ui, lang, bridge),
            Choice::Restore => self.restore_ui(ui, lang),
        };
        if back {
            self.open = None;
        }
    }

    /// The name field, on the forms that need it.
    fn name_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let label = ui.label(lang.t().your_name);
        ui.add(egui::TextEdit::singleline(&mut self.name).desired_width(320.0))
            .labelled_by(label.id);
        design::meta(ui, lang.welcome().name_help);
        ui.add_space(design::GAP);
    }

    /// The name to save before creating, if this device has none yet.
    fn name_to_save(&self, named: bool) -> Option<String> {
        (!named).then(|| self.name.trim().to_owned())
    }

    /// Back and the form's own button; returns (go, back).
    fn buttons_ui(&self, ui: &mut egui::Ui, lang: Lang, go: &str, ready: bool) -> (bool, bool) {
        ui.add_space(design::GAP);
        ui.horizontal(|ui| {
            let go = ui
                .add_enabled(ready && !self.busy, egui::Button::new(go))
                .clicked();
            (go, ui.button(lang.welcome().back).clicked())
        })
        .inner
    }

    fn create_ui(&mut self, ui: &mut egui::Ui, lang: Lang, bridge: &Bridge, named: bool) -> bool {
        let t = lang.t();
        design::heading(ui, Kind::Group, t.new_community);
        ui.add_space(design::GAP);
        if !named {
            self.name_ui(ui, lang);
        }
        let label = ui.label(t.community_name);
        ui.add(egui::TextEdit::singleline(&mut self.create.name).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        let label = ui.label(t.community_description);
        ui.add(
            egui::TextEdit::multiline(&mut self.create.description).desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        let ready = !self.create.name.trim().is_empty() && (named || !self.name.trim().is_empty());
        let (go, back) = self.buttons_ui(ui, lang, t.create, ready);
        if self.busy {
            ui.label(lang.welcome().working);
        }
        if go {
            self.busy = true;
            let me = self.name_to_save(named);
            let name = self.create.name.trim().to_owned();
            let description = self.create.description.trim().to_owned();
            bridge.request(move |h| async move {
                if let Some(me) = me {
                    h.set_display_name(&me).await?;
                }
                Ok(Msg::Created(h.create_community(&name, &description).await?))
            });
        }
        back
    }

    fn example_ui(&mut self, ui: &mut egui::Ui, lang: Lang, bridge: &Bridge) -> bool {
        let w = lang.welcome();
        design::heading(ui, Kind::Knowledge, lang.t().load_example);
        ui.add_space(design::GAP);
        ui.label(w.example_text);
        ui.add_space(design::GAP);
        self.name_ui(ui, lang);
        let ready = !self.name.trim().is_empty();
        let (go, back) = self.buttons_ui(ui, lang, w.example_go, ready);
        if self.busy {
            ui.label(w.working);
        }
        if go {
            self.load_example(bridge, false);
        }
        back
    }

    fn load_example(&mut self, bridge: &Bridge, named: bool) {
        self.busy = true;
        let me = self.name_to_save(named);
        bridge.request(move |h| async move {
            if let Some(me) = me {
                h.set_display_name(&me).await?;
            }
            Ok(Msg::Created(h.load_example().await?))
        });
    }

    fn restore_ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> bool {
        let w = lang.welcome();
        let form = &mut self.restore;
        let dropped = ui.ctx().input(|i| i.raw.dropped_files.clone());
        if let Some(file) = dropped.first() {
            form.file = file.path().display().to_string();
            form.problem = None;
        }
        design::heading(ui, Kind::Sync, w.restore);
        ui.add_space(design::GAP);
        ui.label(w.restore_text);
        ui.add_space(design::GAP);
        let label = ui.label(w.backup_file);
        let file = ui
            .add(egui::TextEdit::singleline(&mut form.file).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        let label = ui.label(w.backup_passphrase);
        let passphrase = ui
            .add(
                egui::TextEdit::singleline(&mut form.passphrase)
                    .password(true)
                    .desired_width(320.0),
            )
            .labelled_by(label.id);
        if file.changed() || passphrase.changed() {
            form.problem = None;
        }
        ui.add_space(design::GAP);
        design::meta(ui, w.restore_warning);
        let idle = form.stage.is_none();
        let ready = idle && !form.file.trim().is_empty() && !form.passphrase.is_empty();
        let submit = passphrase.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let (go, back) = ui
            .horizontal(|ui| {
                let go = ui
                    .add_enabled(ready, egui::Button::new(w.restore_go))
                    .clicked();
                (
                    go,
                    ui.add_enabled(idle, egui::Button::new(w.back)).clicked(),
                )
            })
            .inner;
        match form.stage {
            Some(Stage::Opening) => {
                ui.label(w.opening);
            }
            Some(Stage::Restarting) => {
                ui.label(w.restarting);
            }
            None => {}
        }
        if let Some(problem) = &form.problem {
            ui.colored_label(ui.visuals().error_fg_color, problem.text(lang));
        }
        if (go || submit) && ready {
            form.problem = None;
            form.stage = Some(Stage::Opening);
            let file = PathBuf::from(form.file.trim());
            let passphrase =
                passerelle_core::Passphrase::from(std::mem::take(&mut form.passphrase));
            let tx = form.opened.sender();
            let ctx = ui.ctx().clone();
            // The passphrase's key takes a second to derive: off the UI thread.
            std::thread::spawn(move || {
                let opened = passerelle_core::open_backup(&file, passphrase.as_str());
                let _ = tx.send(opened.map_err(Problem::new));
                ctx.request_repaint();
            });
        }
        back
    }

    /// After a restore: the name back, the communities to come back, and
    /// syncing with a member's device to fetch them.
    fn awaiting_ui(&mut self, ui: &mut egui::Ui, lang: Lang, bridge: &Bridge) {
        let w = lang.welcome();
        let Some(awaiting) = &self.awaiting else {
            return;
        };
        ui.set_max_width(COLUMN);
        ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
            let hello = match &awaiting.name {
                Some(name) => format!("{} {name} !", w.welcome_back),
                None => w.welcome_back_unnamed.to_owned(),
            };
            design::heading(ui, Kind::Member, &hello);
            ui.add_space(design::GAP);
            ui.label(w.restored_text);
            for c in &awaiting.communities {
                design::card(ui, Kind::Group, |ui| design::title(ui, &c.name));
            }
            ui.add_space(design::GAP);
            ui.label(w.restored_how);
            let find = &mut self.find;
            let label = ui.label(w.member_address);
            let edit = ui
                .add(
                    egui::TextEdit::multiline(&mut find.address)
                        .desired_rows(2)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            if edit.changed() {
                find.problem = None;
            }
            let ready = !find.busy && !find.address.trim().is_empty();
            if ui
                .add_enabled(ready, egui::Button::new(w.find_communities))
                .clicked()
            {
                find_communities(find, lang, bridge);
            }
            if find.busy {
                ui.label(w.finding);
            }
            if let Some(problem) = find.problem {
                ui.colored_label(ui.visuals().error_fg_color, problem);
            }
            ui.add_space(design::SECTION);
            design::meta(ui, w.old_device);
        });
    }
}

/// Syncs with the member's device whose address was pasted: the restored
/// communities are fetched from it.
fn find_communities(find: &mut FindForm, lang: Lang, bridge: &Bridge) {
    let t = lang.sync();
    let addr = match Ticket::decode(find.address.trim()) {
        Ok(ticket) => ticket.addr,
        Err(e) => {
            find.problem = Some(ticket_problem(t, &e));
            return;
        }
    };
    find.problem = None;
    find.busy = true;
    run(
        bridge,
        find.results.sender(),
        |_| t.connected_notice.to_owned(),
        |l| l.sync().connect_failed,
        move |h| async move {
            h.sync_with(addr.clone(), std::time::Duration::from_secs(60))
                .await?;
            h.connect(addr)
        },
    );
}
