//! Moderation in the app: the "Modérer" menu animateurs and admins find on
//! an item (hide or delete it with a reason, lock or unlock its thread), the
//! "Discussion verrouillée" notice that replaces a locked thread's reply
//! box, and the Modération section of the Membres screen (with, in
//! [`contradictions`], the devices that contradict themselves).
//!
//! A screen keeps one [`ModerateMenu`] and calls [`ModerateMenu::ui`] where
//! it draws an item; the model checks the role again when the command is
//! applied.

mod contradictions;

pub use contradictions::ContradictionsSection;
use egui::RichText;
use passerelle_core::model::view::ModeratedItem;
use passerelle_core::model::{
    Command, ItemId, ItemKind, Lock, ModerationAction, ModerationCommand,
};

use super::Cx;
use crate::design::{self, icon, icon_button, more_icon};
use crate::i18n::moderation::ModerationStrings;

/// Whether this device's member may moderate: an active animateur or admin.
fn may_moderate(cx: &Cx) -> bool {
    cx.is_moderator() && cx.me.is_some_and(|m| m.is_active())
}

/// Where the menu of the item it is open on stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// The choices: hide, delete, lock or unlock.
    Choose,
    /// Asking why it is hidden.
    Hide,
    /// Asking why it is deleted.
    Delete,
    /// The reason given, asking once more since it is final.
    ConfirmDelete,
    /// Asking why the thread is locked.
    Lock,
}

/// One screen's moderation menu: the item it is open on, and the reason
/// being typed.
#[derive(Default)]
pub struct ModerateMenu {
    open: Option<(ItemKind, ItemId, Step)>,
    reason: String,
}

impl ModerateMenu {
    /// Draws an item's "Modérer" button, for animateurs and admins only, and
    /// its panel once opened. `lock` is the item's thread lock (échanges,
    /// groups and posts have a thread; other kinds pass `None`). Screens
    /// that have a "…" menu use [`ModerateMenu::menu_ui`] and
    /// [`ModerateMenu::panel_ui`] instead.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        cx: &Cx,
        kind: ItemKind,
        id: &ItemId,
        lock: Option<&Lock>,
    ) {
        if !may_moderate(cx) {
            return;
        }
        if self.is_open_on(kind, id) {
            self.panel_ui(ui, cx, kind, id, lock);
        } else if ui.button(cx.lang.moderation().moderate).clicked() {
            self.open_at(kind, id, Step::Choose);
        }
    }

    /// Draws the moderation entries of an item's "…" menu ("Masquer",
    /// "Supprimer définitivement", and for a thread "Verrouiller" or
    /// "Déverrouiller"), for animateurs and admins only. An entry opens the
    /// panel [`ModerateMenu::panel_ui`] draws, which asks for the reason.
    pub fn menu_ui(
        &mut self,
        ui: &mut egui::Ui,
        cx: &Cx,
        kind: ItemKind,
        id: &ItemId,
        lock: Option<&Lock>,
    ) {
        if !may_moderate(cx) {
            return;
        }
        let t = cx.lang.moderation();
        if icon_button(ui, more_icon::HIDE, t.hide).clicked() {
            self.open_at(kind, id, Step::Hide);
        }
        if icon_button(ui, icon::DELETE, t.delete).clicked() {
            self.open_at(kind, id, Step::Delete);
        }
        if has_thread(kind) {
            if lock.is_some() {
                if icon_button(ui, more_icon::LOCK_OPEN, t.unlock).clicked() {
                    // Unlocking needs no reason: send at once.
                    cx.apply(command(kind, id, Step::Choose, String::new()));
                }
            } else if icon_button(ui, more_icon::LOCK, t.lock).clicked() {
                self.open_at(kind, id, Step::Lock);
            }
        }
    }

    /// Draws the moderation panel of the item, when it is open on it: the
    /// choices, then the reason, then for a deletion a last confirmation.
    pub fn panel_ui(
        &mut self,
        ui: &mut egui::Ui,
        cx: &Cx,
        kind: ItemKind,
        id: &ItemId,
        lock: Option<&Lock>,
    ) {
        let Some(step) = self
            .open
            .as_ref()
            .filter(|_| self.is_open_on(kind, id))
            .map(|o| o.2)
        else {
            return;
        };
        let t = cx.lang.moderation();
        egui::Frame::group(ui.style())
            .corner_radius(egui::CornerRadius::same(10))
            .inner_margin(egui::Margin::same(12))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    ui.label(design::icon_text(icon::FLAG, design::BODY + 2.0));
                    ui.label(RichText::new(t.moderate).strong());
                });
                let next = match step {
                    Step::Choose => choose_ui(ui, t, kind, lock),
                    Step::Hide => self.reason_ui(ui, t, t.hide_hint, t.confirm_hide),
                    Step::Delete => self.reason_ui(ui, t, t.delete_hint, t.next),
                    Step::Lock => self.reason_ui(ui, t, t.lock_hint, t.confirm_lock),
                    Step::ConfirmDelete => confirm_delete_ui(ui, t),
                };
                match next {
                    Next::Stay => {}
                    Next::Close => self.open = None,
                    Next::Go(step) => {
                        if let Some(open) = &mut self.open {
                            open.2 = step;
                        }
                    }
                    Next::Send if step == Step::Delete => {
                        if let Some(open) = &mut self.open {
                            open.2 = Step::ConfirmDelete;
                        }
                    }
                    Next::Send => {
                        cx.apply(command(kind, id, step, std::mem::take(&mut self.reason)));
                        self.open = None;
                    }
                }
            });
    }

    fn is_open_on(&self, kind: ItemKind, id: &ItemId) -> bool {
        matches!(&self.open, Some((k, open, _)) if *k == kind && open == id)
    }

    fn open_at(&mut self, kind: ItemKind, id: &ItemId, step: Step) {
        self.open = Some((kind, id.clone(), step));
        self.reason.clear();
    }

    /// The reason field, its hint and the button going on (enabled once a
    /// reason is written).
    fn reason_ui(
        &mut self,
        ui: &mut egui::Ui,
        t: &ModerationStrings,
        hint: &str,
        go: &str,
    ) -> Next {
        ui.label(RichText::new(hint).small());
        let label = ui.label(t.reason);
        ui.add(egui::TextEdit::singleline(&mut self.reason).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        ui.horizontal(|ui| {
            let ready = !self.reason.trim().is_empty();
            let mut next = Next::Stay;
            if ui.add_enabled(ready, egui::Button::new(go)).clicked() {
                next = Next::Send;
            }
            if ui.button(t.cancel).clicked() {
                next = Next::Close;
            }
            next
        })
        .inner
    }
}

/// What the menu does after a frame.
enum Next {
    Stay,
    Close,
    Go(Step),
    /// Apply the command of the current step (a deletion goes on to its
    /// confirmation first).
    Send,
}

fn choose_ui(
    ui: &mut egui::Ui,
    t: &ModerationStrings,
    kind: ItemKind,
    lock: Option<&Lock>,
) -> Next {
    ui.horizontal_wrapped(|ui| {
        let mut next = Next::Stay;
        if ui.button(t.hide).clicked() {
            next = Next::Go(Step::Hide);
        }
        if ui.button(t.delete).clicked() {
            next = Next::Go(Step::Delete);
        }
        if has_thread(kind) {
            if lock.is_some() {
                if ui.button(t.unlock).clicked() {
                    // Unlocking needs no reason: send at once.
                    next = Next::Send;
                }
            } else if ui.button(t.lock).clicked() {
                next = Next::Go(Step::Lock);
            }
        }
        if ui.button(t.cancel).clicked() {
            next = Next::Close;
        }
        next
    })
    .inner
}

fn confirm_delete_ui(ui: &mut egui::Ui, t: &ModerationStrings) -> Next {
    ui.label(RichText::new(t.delete_question).strong());
    ui.horizontal(|ui| {
        let mut next = Next::Stay;
        let confirm =
            egui::Button::new(RichText::new(t.confirm_delete).color(ui.visuals().error_fg_color));
        if ui.add(confirm).clicked() {
            next = Next::Send;
        }
        if ui.button(t.cancel).clicked() {
            next = Next::Close;
        }
        next
    })
    .inner
}

/// The command a step sends. From `Choose`, only unlocking sends.
fn command(kind: ItemKind, id: &ItemId, step: Step, reason: String) -> Command {
    let id = id.clone();
    let reason = reason.trim().to_owned();
    match step {
        Step::Hide => Command::Moderation(ModerationCommand::Moderate {
            kind,
            id,
            action: Some(ModerationAction::Hide),
            reason,
        }),
        Step::Delete | Step::ConfirmDelete => Command::Moderation(ModerationCommand::Moderate {
            kind,
            id,
            action: Some(ModerationAction::Delete),
            reason,
        }),
        Step::Lock => Command::Moderation(ModerationCommand::LockThread {
            kind,
            id,
            locked: true,
            reason,
        }),
        Step::Choose => Command::Moderation(ModerationCommand::LockThread {
            kind,
            id,
            locked: false,
            reason,
        }),
    }
}

/// Whether items of this kind have a thread a moderator can lock.
fn has_thread(kind: ItemKind) -> bool {
    passerelle_core::model::command::moderation::thread_of(kind).is_some()
}

/// Draws "Discussion verrouillée" and the reason when the thread is locked;
/// returns whether it is (the caller then draws no reply box).
pub fn locked_ui(ui: &mut egui::Ui, cx: &Cx, lock: Option<&Lock>) -> bool {
    let Some(lock) = lock else {
        return false;
    };
    let t = cx.lang.moderation();
    ui.label(RichText::new(t.locked).strong());
    ui.label(
        RichText::new(format!(
            "{} — {} {}, {} {}",
            lock.reason,
            t.by,
            cx.view.member_name(&lock.by),
            t.on,
            cx.lang.date(lock.at)
        ))
        .small(),
    );
    true
}

/// The Modération section of the Membres screen, for animateurs and
/// admins: what was hidden or deleted, why, by whom and when, and
/// "Rétablir" for what was only hidden.
pub fn moderated_ui(ui: &mut egui::Ui, cx: &Cx) {
    if !cx.is_moderator() {
        return;
    }
    let t = cx.lang.moderation();
    let moderated = &cx.view.moderated;
    if moderated.is_empty() {
        // Nothing to look at: one quiet line instead of a section.
        design::meta_with(ui, icon::FLAG, t.nothing_moderated);
        return;
    }
    egui::CollapsingHeader::new(RichText::new(t.section).strong())
        .id_salt("moderation-section")
        .default_open(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("moderated-items")
                .max_height(200.0)
                .show(ui, |ui| {
                    for item in moderated.iter() {
                        moderated_item_ui(ui, cx, t, item);
                    }
                });
        });
}

fn moderated_item_ui(ui: &mut egui::Ui, cx: &Cx, t: &ModerationStrings, item: &ModeratedItem) {
    let m = &item.moderation;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(kind_label(t, item.kind)).strong());
        if item.preview.is_empty() {
            ui.label(RichText::new(t.content_deleted).italics());
        } else {
            ui.label(&item.preview);
        }
        let action = match m.action {
            ModerationAction::Hide => t.hidden,
            ModerationAction::Delete => t.deleted,
        };
        ui.label(format!(
            "· {action} {} {}, {} {}",
            t.by,
            cx.view.member_name(&m.by),
            t.on,
            cx.lang.date(m.at)
        ));
        ui.label(RichText::new(format!("« {} »", m.reason)).italics());
        if m.action == ModerationAction::Hide
            && cx.me.is_some_and(|me| me.is_active())
            && ui.button(t.restore).clicked()
        {
            cx.apply(Command::Moderation(ModerationCommand::Moderate {
                kind: item.kind,
                id: item.id.clone(),
                action: None,
                reason: String::new(),
            }));
        }
    });
}

fn kind_label(t: &ModerationStrings, kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Exchange => t.kind_exchange,
        ItemKind::Event => t.kind_event,
        ItemKind::Group => t.kind_group,
        ItemKind::Idea => t.kind_idea,
        ItemKind::Sheet => t.kind_sheet,
        ItemKind::Post => t.kind_post,
        ItemKind::Actor => t.kind_actor,
    }
}
