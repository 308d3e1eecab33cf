//! The devices of a member, in the Membres screen: "Mes appareils" (add a
//! device with a one-time pairing ticket, revoke one, make a personal
//! backup) and, for animateurs and admins looking at another member,
//! "Relier un nouvel appareil" (the recovery of a lost device) and revoke.

use std::time::Duration;

use egui::RichText;
use passerelle_core::Passphrase;
use passerelle_core::model::{Command, DeviceKey, Member, MemberCommand, MemberId};

use super::super::Cx;
use super::super::sync::{qr_ui, run};
use super::pairing_text_ui;
use crate::bridge::Inbox;
use crate::design::{self, Kind, icon, more_icon};
use crate::i18n::errors::Problem;

/// How long a pairing ticket stays valid: whoever holds it acts as the member.
const PAIRING_VALIDITY: Duration = Duration::from_secs(15 * 60);

/// The devices section's state.
#[derive(Default)]
pub struct DevicesSection {
    /// The pairing ticket shown, and the member it is for.
    ticket: Option<(MemberId, String)>,
    busy: bool,
    results: Inbox<Result<(MemberId, String), Problem>>,
    /// The device whose revocation awaits confirmation.
    confirm: Option<String>,
    passphrase: String,
    backups: Inbox<Result<String, Problem>>,
}

impl DevicesSection {
    /// Draws `member`'s devices and what this device may do with them.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx, member: &Member) {
        let t = cx.lang.devices();
        let lang = cx.lang;
        for result in self.results.drain() {
            self.busy = false;
            if let Ok(ticket) = result {
                self.ticket = Some(ticket);
            }
        }
        for _ in self.backups.drain() {
            self.passphrase.clear();
        }
        let mine = Some(&member.id) == cx.my_id();
        ui.horizontal(|ui| {
            ui.label(design::icon_text(icon::DEVICES, design::TITLE).weak());
            design::title(ui, if mine { t.my_devices } else { t.their_devices });
        });
        let active = member.devices.values().filter(|d| d.is_active()).count();
        let may_revoke_theirs = !mine && cx.is_moderator();
        for (key, device) in &member.devices {
            let name = if device.label.is_empty() {
                cx.lang.members().device_unnamed
            } else {
                &device.label
            };
            let short = key.get(..8).unwrap_or(key);
            let state = match &device.revoked {
                None => t.active.to_owned(),
                Some(r) => format!("{} {}", t.revoked_on, lang.short_date(r.at)),
            };
            let this = key == cx.device.as_str();
            let may = device.is_active() && (may_revoke_theirs || mine);
            ui.horizontal(|ui| {
                ui.vertical(|ui| {
                    if this && name != t.this_device {
                        ui.label(format!("{name} ({})", t.this_device));
                    } else {
                        ui.label(name);
                    }
                    design::meta(
                        ui,
                        format!(
                            "{state} · {} {} · {short}…",
                            lang.members().added_on,
                            lang.short_date(device.added_at)
                        ),
                    );
                });
                if may {
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Min), |ui| {
                        design::more_menu(ui, lang.t().more_actions, |ui| {
                            if design::icon_button(ui, icon::DELETE, t.revoke).clicked() {
                                self.confirm = Some(key.clone());
                            }
                        });
                    });
                }
            });
            if self.confirm.as_deref() == Some(key) {
                ui.label(RichText::new(t.revoke_title).strong());
                if mine && active <= 1 {
                    ui.label(t.last_device);
                } else {
                    ui.label(t.revoke_explained);
                }
                ui.horizontal(|ui| {
                    if !(mine && active <= 1) && ui.button(t.confirm_revoke).clicked() {
                        cx.apply(Command::Members(MemberCommand::RevokeDevice {
                            member: member.id.clone(),
                            device: DeviceKey(key.clone()),
                        }));
                        self.confirm = None;
                    }
                    if ui.button(lang.t().cancel).clicked() {
                        self.confirm = None;
                    }
                });
            }
        }
        let may_pair = (mine && member.is_active()) || may_revoke_theirs;
        if may_pair {
            ui.add_space(design::GAP);
            self.pairing_ui(ui, cx, member, mine);
        }
        if mine {
            ui.add_space(design::SECTION);
            self.backup_ui(ui, cx);
        }
    }

    /// "Ajouter un appareil", as Delta Chat's "add a second device": one
    /// button, then a large QR code of the one-time ticket and one sentence.
    fn pairing_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, member: &Member, mine: bool) {
        let t = cx.lang.devices();
        let shown = self.ticket.as_ref().filter(|(m, _)| *m == member.id);
        if let Some((_, ticket)) = shown {
            let ticket = ticket.clone();
            design::card(ui, Kind::Sync, |ui| {
                ui.label(RichText::new(if mine { t.add_help } else { t.relink_help }).strong());
                qr_ui(ui, &ticket, cx.lang);
                pairing_text_ui(ui, cx, &ticket);
            });
            return;
        }
        let (button, intro) = if mine {
            (t.add_device, t.add_intro)
        } else {
            (t.relink, t.relink_intro)
        };
        ui.label(intro);
        let ready = !self.busy && cx.net.info.is_some();
        if ui
            .add_enabled_ui(ready, |ui| design::icon_button(ui, icon::QR_CODE, button))
            .inner
            .clicked()
        {
            self.pair(cx, member.id.clone());
        }
        if self.busy {
            design::meta(ui, t.creating);
        }
    }

    fn pair(&mut self, cx: &Cx, member: MemberId) {
        self.busy = true;
        let community = cx.community.clone();
        let t = cx.lang.devices();
        run(
            cx.bridge,
            self.results.sender(),
            |_| t.ticket_ready.to_owned(),
            |l| l.devices().ticket_failed,
            move |h| async move {
                let ticket = h
                    .invite_for(&community, Some(member.clone()), PAIRING_VALIDITY)
                    .await?;
                Ok((member, ticket.encode()))
            },
        );
    }

    fn backup_ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let t = cx.lang.devices();
        ui.horizontal(|ui| {
            ui.label(design::icon_text(more_icon::BACKUP, design::TITLE).weak());
            design::title(ui, t.backup_title);
        });
        ui.label(t.backup_help);
        let label = ui.label(t.passphrase);
        ui.add(egui::TextEdit::singleline(&mut self.passphrase).password(true))
            .labelled_by(label.id);
        let ready = self.passphrase.chars().count() >= 8;
        if ui
            .add_enabled_ui(ready, |ui| {
                design::icon_button(ui, icon::DOWNLOAD, t.make_backup)
            })
            .inner
            .clicked()
        {
            let passphrase = Passphrase::from(std::mem::take(&mut self.passphrase));
            let path = crate::settings::exports_dir().join(format!(
                "sauvegarde-passerelle-{}.backup",
                cx.now.timestamp()
            ));
            run(
                cx.bridge,
                self.backups.sender(),
                move |p: &String| format!("{} {p}", t.backup_saved),
                |l| l.devices().backup_failed,
                move |h| async move {
                    if let Some(dir) = path.parent() {
                        std::fs::create_dir_all(dir).map_err(|cause| {
                            passerelle_core::CoreError::Io {
                                action: "create",
                                path: dir.to_owned(),
                                cause,
                            }
                        })?;
                    }
                    h.create_backup(&path, &passphrase).await?;
                    Ok(path.display().to_string())
                },
            );
        }
    }
}
