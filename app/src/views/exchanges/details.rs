//! One échange opened: what it is, who posted it, the replies, the main
//! answer ("Je peux aider" to a need, "Ça m'intéresse" to an offer) and,
//! for its author, the status; editing, deleting and moderating wait in the
//! "…" menu, out of the way of reading and replying.

use egui::RichText;
use passerelle_core::model::{
    Command, Exchange, ExchangeCommand, ExchangeKind, ExchangeStatus, ItemKind, ReplyKind,
};

use super::{ExchangesPanel, Side, exchange_kind, status_ui};
use crate::attachments;
use crate::design::{self, icon};
use crate::views::Cx;
use crate::views::moderation;

use super::form::Form;

impl ExchangesPanel {
    pub(super) fn details_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, e: &Exchange) {
        let (lang, view) = (cx.lang, &**cx.view);
        let x = lang.exchanges();
        let kind = exchange_kind(e.kind);
        ui.horizontal(|ui| {
            ui.label(RichText::new(x.details).strong());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if design::icon_button(ui, design::card_icon::CLOSE, x.close).clicked() {
                    self.side = Side::Closed;
                }
                self.menu_ui(ui, cx, e);
            });
        });
        design::card(ui, kind, |ui| {
            ui.horizontal_wrapped(|ui| {
                design::tag(ui, kind, lang.kind(e.kind));
                status_ui(ui, lang, e.status);
            });
            design::title(ui, &e.title);
            design::person(ui, view.member_name(&e.author), e.author.as_str());
            design::meta_with(
                ui,
                icon::CALENDAR,
                format!("{} {}", x.posted_on, lang.date(e.created_at)),
            );
            design::meta_with(
                ui,
                design::card_icon::CATEGORY,
                format!(
                    "{} · {}",
                    view.category_label(&e.category),
                    lang.mode(e.mode)
                ),
            );
            if let Some(place) = &e.place {
                design::meta_with(ui, icon::PLACE, format!("{} : {place}", x.place));
            }
            ui.add_space(design::GAP / 2.0);
            let description = e.description.as_str();
            if description.trim().is_empty() {
                design::meta(ui, x.no_description);
            } else {
                ui.label(description);
            }
        });
        let may_add = cx.may_edit(&e.author);
        let item = (ItemKind::Exchange, &e.id);
        attachments::item_ui(ui, cx, item, &e.attachments, &e.author, may_add);
        if cx.me.is_none() {
            design::empty(ui, x.not_member);
        } else {
            self.reply_ui(ui, cx, e);
        }
        ui.add_space(design::GAP);
        self.replies_ui(ui, cx, e);
    }

    /// The box to reply and the main answer, for others than the author.
    fn reply_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, e: &Exchange) {
        let x = cx.lang.exchanges();
        let locked = moderation::locked_ui(ui, cx, e.locked.as_ref());
        let mine = cx.my_id() == Some(&e.author);
        if mine {
            self.status_buttons_ui(ui, cx, e);
            return;
        }
        if locked {
            return;
        }
        ui.add_space(design::GAP);
        let label = ui.label(x.your_words);
        ui.add(
            egui::TextEdit::multiline(&mut self.reply)
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        let kind = exchange_kind(e.kind);
        ui.horizontal_wrapped(|ui| {
            let main = match e.kind {
                ExchangeKind::Need => (ReplyKind::CanHelp, x.can_help),
                ExchangeKind::Offer => (ReplyKind::Interested, x.interested),
            };
            let mut send = None;
            if design::primary_button(ui, kind, kind.icon(), main.1, true).clicked() {
                send = Some(main.0);
            }
            if !self.reply.trim().is_empty()
                && design::icon_button(ui, design::card_icon::SEND, x.send_message).clicked()
            {
                send = Some(ReplyKind::Message);
            }
            if let Some(kind) = send {
                cx.apply(Command::Exchanges(ExchangeCommand::ReplyToExchange {
                    exchange: e.id.clone(),
                    id: cx.new_id(),
                    kind,
                    text: self.reply.trim().to_owned(),
                }));
            }
        });
        // An author who is also a moderator sets the status from here too.
        if cx.may_edit(&e.author) {
            self.status_buttons_ui(ui, cx, e);
        }
    }

    /// "C'est en cours", "Marquer comme réalisé", "Rouvrir".
    fn status_buttons_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, e: &Exchange) {
        let x = cx.lang.exchanges();
        ui.add_space(design::GAP);
        ui.horizontal_wrapped(|ui| {
            let next = match e.status {
                ExchangeStatus::Open => vec![
                    (ExchangeStatus::InProgress, icon::TIME, x.mark_in_progress),
                    (ExchangeStatus::Done, icon::DONE, x.mark_done),
                ],
                ExchangeStatus::InProgress => vec![(ExchangeStatus::Done, icon::DONE, x.mark_done)],
                ExchangeStatus::Done => vec![(ExchangeStatus::Open, icon::RESTORE, x.reopen)],
            };
            for (status, icon, label) in next {
                if design::icon_button(ui, icon, label).clicked() {
                    cx.apply(Command::Exchanges(ExchangeCommand::SetExchangeStatus {
                        id: e.id.clone(),
                        status,
                    }));
                }
            }
        });
    }

    /// The replies, oldest first, each with its author's avatar.
    fn replies_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, e: &Exchange) {
        let (lang, view) = (cx.lang, &**cx.view);
        let x = lang.exchanges();
        ui.horizontal(|ui| {
            ui.label(icon::FORUM.rich_text().size(design::BODY + 2.0));
            ui.label(RichText::new(x.replies).strong());
        });
        if e.replies.is_empty() {
            design::meta(ui, x.no_reply);
            return;
        }
        let mut replies: Vec<_> = e.replies.values().collect();
        replies.sort_by_key(|r| r.at);
        for r in replies {
            let kind = match r.kind {
                ReplyKind::CanHelp => x.can_help,
                ReplyKind::Interested => x.interested,
                ReplyKind::Message => x.message,
            };
            let name = view.member_name(&r.author);
            ui.horizontal(|ui| {
                design::avatar(ui, name, r.author.as_str(), 24.0);
                ui.vertical(|ui| {
                    ui.label(RichText::new(format!("{name} — {kind}")).strong());
                    design::meta(ui, lang.date_time(r.at));
                    if !r.text.is_empty() {
                        ui.label(RichText::new(&r.text).italics());
                    }
                });
            });
        }
    }

    /// The "…" menu: edit and delete for the author (or a moderator), and
    /// moderation for animateurs and admins. Nothing when none applies.
    fn menu_ui(&mut self, ui: &mut egui::Ui, cx: &Cx, e: &Exchange) {
        let (t, x) = (cx.lang.t(), cx.lang.exchanges());
        let may_edit = cx.may_edit(&e.author);
        if !may_edit && !cx.is_moderator() {
            return;
        }
        design::more_menu_asking(ui, t.more_actions, |ui| {
            if may_edit {
                if design::icon_button(ui, icon::EDIT, x.edit).clicked() {
                    self.form = Form::editing(e);
                    self.side = Side::Edit;
                    ui.close();
                }
                let words = crate::views::DeleteWords {
                    delete: x.delete,
                    question: x.delete_question,
                    confirm: x.confirm_delete,
                    cancel: t.cancel,
                };
                if crate::views::confirm_delete(ui, &mut self.confirm_delete, words) {
                    cx.apply(Command::Exchanges(ExchangeCommand::DeleteExchange {
                        id: e.id.clone(),
                    }));
                    self.side = Side::Closed;
                    self.confirm_delete = false;
                    ui.close();
                }
            }
            self.moderate
                .ui(ui, cx, ItemKind::Exchange, &e.id, e.locked.as_ref());
        });
    }
}
