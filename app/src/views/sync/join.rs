//! Joining a community with an invitation: pasted as text, or read from
//! the picture of its QR code (dropped on the window or given by path).
//! On a first start the form also asks the name, except for a pairing
//! ticket: the device then takes the name of the member it joins.

use std::path::{Path, PathBuf};

use passerelle_core::{Ticket, TicketError};

use super::qr::{QrError, is_picture, read_qr};
use crate::bridge::Inbox;
use crate::bridge::{Bridge, Msg};
use crate::i18n::Lang;
use crate::i18n::errors::Problem;
use crate::i18n::sync::SyncStrings;

/// What reading a QR picture gave.
type QrResult = Result<String, QrError>;

/// Joining a community with an invite ticket (onboarding and navigation).
#[derive(Default)]
pub struct JoinForm {
    ticket: String,
    /// The path of a QR code picture, typed or dropped.
    picture: String,
    /// Set while the join runs.
    busy: bool,
    /// Set while a picture is read.
    reading: bool,
    /// What went wrong before asking the network, or what the picture gave.
    problem: Option<&'static str>,
    /// A code was just read from a picture.
    read_ok: bool,
    pictures: Inbox<QrResult>,
    /// The invitation field was given the focus (on the first frame).
    focused: bool,
    /// The invitation typed is a pairing ticket (read when it changes).
    pairing: bool,
}

impl JoinForm {
    /// The join failed (the error is shown): the form can be sent again.
    pub fn failed(&mut self) {
        self.busy = false;
    }

    /// Draws the form; returns true when the user cancels. With `name`
    /// (a first start), the name is asked too, unless the invitation is a
    /// pairing ticket.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        bridge: &Bridge,
        mut name: Option<&mut String>,
    ) -> bool {
        let t = lang.sync();
        self.take_results(t);
        self.take_dropped(ui);
        ui.heading(t.join_title);
        ui.label(t.join_text);
        ui.add_space(8.0);
        let label = ui.label(t.ticket);
        let edit = ui
            .add(
                egui::TextEdit::multiline(&mut self.ticket)
                    .desired_rows(3)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if !self.focused {
            self.focused = true;
            edit.request_focus();
        }
        if edit.changed() {
            self.problem = None;
            self.read_ok = false;
            self.read_pairing();
        }
        let text = self.ticket.trim().to_owned();
        let mut named = true;
        if self.pairing {
            ui.label(lang.welcome().pairing_hint);
        } else if let Some(name) = name.as_deref_mut() {
            ui.add_space(4.0);
            let label = ui.label(lang.t().your_name);
            ui.add(egui::TextEdit::singleline(name).desired_width(320.0))
                .labelled_by(label.id);
            crate::design::meta(ui, lang.welcome().name_help);
            named = !name.trim().is_empty();
        }
        let ready = !text.is_empty() && !self.busy && named;
        let (join, cancel) = ui
            .horizontal(|ui| {
                (
                    ui.add_enabled(ready, egui::Button::new(t.join)).clicked(),
                    ui.button(lang.t().cancel).clicked(),
                )
            })
            .inner;
        if self.busy {
            ui.label(t.joining);
        }
        if self.read_ok {
            ui.label(t.qr_read);
        }
        if let Some(problem) = self.problem {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
        ui.add_space(16.0);
        ui.separator();
        ui.label(egui::RichText::new(t.qr_title).strong());
        ui.label(t.qr_text);
        let label = ui.label(t.picture_path);
        ui.add(egui::TextEdit::singleline(&mut self.picture).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        let can_read = !self.picture.trim().is_empty() && !self.reading;
        if ui
            .add_enabled(can_read, egui::Button::new(t.read_qr))
            .clicked()
        {
            self.read_picture(ui.ctx(), PathBuf::from(self.picture.trim()));
        }
        if self.reading {
            ui.label(t.reading_qr);
        }
        if join {
            let name = name.filter(|_| !self.pairing).map(|n| n.trim().to_owned());
            self.join(lang, &text, name, bridge);
        }
        cancel
    }

    /// Notes whether the invitation typed is a pairing ticket.
    fn read_pairing(&mut self) {
        let ticket = Ticket::decode(self.ticket.trim()).ok();
        self.pairing = ticket.and_then(|t| t.invite).is_some_and(|i| i.pairing);
    }

    /// Joins with the invitation `text`: as `name` when given (a first
    /// start), as one of a member's devices for a pairing ticket.
    fn join(&mut self, lang: Lang, text: &str, name: Option<String>, bridge: &Bridge) {
        let t = lang.sync();
        let ticket = match Ticket::decode(text) {
            Ok(ticket) => ticket,
            Err(e) => {
                self.problem = Some(ticket_problem(t, &e));
                return;
            }
        };
        if ticket.invite.is_none() {
            self.problem = Some(t.not_an_invite);
            return;
        }
        self.problem = None;
        self.busy = true;
        let label = lang.welcome().device_label;
        bridge.request(move |h| async move {
            let pairing = ticket.invite.as_ref().is_some_and(|i| i.pairing);
            let joined = match name {
                _ if pairing => h.link_device(&ticket, label).await,
                Some(name) => h.join_named(&ticket, &name).await,
                None => h.join(&ticket).await,
            };
            match joined {
                Ok(id) => {
                    // A pairing ticket made this device one of an existing
                    // member's: it takes that member's name.
                    if let Ok(view) = h.view(&id).await
                        && let Some(m) = view.member_for_device(h.device_key())
                        && h.profile().await.ok().flatten().map(|p| p.display_name)
                            != Some(m.display_name.clone())
                    {
                        let _ = h.set_display_name(&m.display_name).await;
                    }
                    // Stay connected to the inviter: what either side
                    // writes next reaches the other at once.
                    let _ = h.connect(ticket.addr.clone());
                    Ok(Msg::Created(id))
                }
                Err(e) => Ok(Msg::Error(Problem::new(e))),
            }
        });
    }

    fn take_results(&mut self, t: &'static SyncStrings) {
        for result in self.pictures.drain() {
            self.reading = false;
            match result {
                Ok(text) if Ticket::decode(&text).is_ok() => {
                    self.ticket = text;
                    self.problem = None;
                    self.read_ok = true;
                    self.read_pairing();
                }
                Ok(_) => self.problem = Some(t.qr_not_passerelle),
                Err(QrError::NotAPicture) => self.problem = Some(t.not_a_picture),
                Err(QrError::NoCode) => self.problem = Some(t.no_qr_found),
            }
        }
    }

    fn take_dropped(&mut self, ui: &egui::Ui) {
        let dropped = ui.ctx().input(|i| i.raw.dropped_files.clone());
        if let Some(file) = dropped.first() {
            let path = file.path().to_owned();
            self.picture = path.display().to_string();
            self.read_picture(ui.ctx(), path);
        }
    }

    /// Reads a QR code picture off the UI thread.
    fn read_picture(&mut self, ctx: &egui::Context, path: PathBuf) {
        self.read_ok = false;
        self.problem = None;
        self.reading = true;
        let tx = self.pictures.sender();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let _ = tx.send(read_picture_file(&path));
            ctx.request_repaint();
        });
    }
}

/// Reads the QR code in a picture file.
pub fn read_picture_file(path: &Path) -> QrResult {
    if !is_picture(path) && !path.exists() {
        return Err(QrError::NotAPicture);
    }
    let bytes = std::fs::read(path).map_err(|_| QrError::NotAPicture)?;
    read_qr(&bytes)
}

/// Why a pasted ticket cannot be used, in the user's words.
pub fn ticket_problem(t: &SyncStrings, e: &TicketError) -> &'static str {
    match e {
        TicketError::NotATicket => t.not_a_ticket,
        TicketError::Damaged => t.damaged_ticket,
    }
}
