//! Attachments drawn: a square thumbnail at the right of a list card
//! ([`with_thumb`], the card keeping its one height), and the "Photos et
//! fichiers" section of an opened item ([`item_ui`]): each file with its
//! thumbnail or icon, "Voir" or "Ouvrir", "Enregistrer sous…", "Retirer",
//! then the button to add one.

use egui::{Color32, CornerRadius, Rect, Sense, Ui, vec2};
use passerelle_core::model::{Attachment, Attachments, ItemId, ItemKind, MemberId};

use super::thumbs::Shown;
use super::{Dest, Files, add_ui};
use crate::design::{self, Icon, file_icon};
use crate::i18n::errors::fill;
use crate::views::Cx;

/// Side of a thumbnail in an opened item's list of files.
const ITEM_THUMB: f32 = 72.0;

/// Whether an attachment is a picture shown in the app (it has a
/// thumbnail), rather than a file opened with another application.
fn shown_as_picture(a: &Attachment) -> bool {
    a.is_image() && a.thumb.is_some()
}

/// The picture a card shows: the first one added.
fn first_picture(attachments: &Attachments) -> Option<&Attachment> {
    attachments
        .values()
        .filter(|a| shown_as_picture(a))
        .min_by(|a, b| (a.added_at, &a.hash).cmp(&(b.added_at, &b.hash)))
}

/// Draws a list card's content with `add`, leaving room at its right for a
/// square thumbnail of its first picture, as high as the card's content:
/// the card keeps its height, so a long list still draws only its visible
/// rows.
pub fn with_thumb<R>(
    ui: &mut Ui,
    cx: &Cx,
    attachments: &Attachments,
    add: impl FnOnce(&mut Ui) -> R,
) -> R {
    let Some(picture) = first_picture(attachments) else {
        return add(ui);
    };
    let full = ui.max_rect();
    let side = full.height().min(full.width() / 3.0).max(0.0);
    let square = Rect::from_min_size(
        egui::pos2(full.right() - side, full.top()),
        vec2(side, side),
    );
    let left = Rect::from_min_max(
        full.min,
        egui::pos2(square.left() - design::GAP, full.bottom()),
    );
    let builder = egui::UiBuilder::new()
        .max_rect(left)
        .layout(egui::Layout::top_down(egui::Align::LEFT));
    let inner = ui.scope_builder(builder, add).inner;
    let builder = egui::UiBuilder::new().max_rect(square);
    ui.scope_builder(builder, |ui| {
        thumb_ui(ui, cx.files, cx, picture, side, Sense::hover());
    });
    inner
}

/// A thumbnail `side` points square: the picture fitted in it, or a
/// neutral placeholder (loading, not here yet, unreadable, a file). Read
/// by screen readers as the file's name, with "en attente" when it is not
/// here.
fn thumb_ui(
    ui: &mut Ui,
    files: &Files,
    cx: &Cx,
    a: &Attachment,
    side: f32,
    sense: Sense,
) -> egui::Response {
    let t = cx.lang.attachments();
    let (rect, response) = ui.allocate_exact_size(vec2(side, side), sense);
    let shown = match &a.thumb {
        Some(thumb) => files.thumb(cx, &thumb.hash),
        None => Shown::Broken,
    };
    let mut label = a.name.clone();
    let placeholder = |icon: Icon| {
        if ui.is_rect_visible(rect) {
            let visuals = ui.visuals();
            ui.painter()
                .rect_filled(rect, CornerRadius::same(8), visuals.extreme_bg_color);
            ui.painter().text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                icon.codepoint,
                egui::FontId::new(side * 0.42, icon.font_family()),
                visuals.weak_text_color(),
            );
        }
    };
    let response = match shown {
        Shown::Ready(texture) => {
            if ui.is_rect_visible(rect) {
                let size = texture.size_vec2();
                let scale = (side / size.x).max(side / size.y);
                // Cut to a square, the middle kept, as photo apps show them.
                let shown = size * scale;
                let uv = Rect::from_center_size(
                    egui::pos2(0.5, 0.5),
                    vec2(side / shown.x, side / shown.y),
                );
                ui.painter().add(
                    egui::epaint::RectShape::filled(rect, CornerRadius::same(8), Color32::WHITE)
                        .with_texture(texture.id(), uv),
                );
            }
            response
        }
        Shown::Loading => {
            placeholder(file_icon::PICTURE);
            label = format!("{} — {}", a.name, t.loading);
            response
        }
        Shown::Missing => {
            placeholder(file_icon::WAITING);
            label = format!("{} — {}", a.name, t.waiting);
            response.on_hover_text(t.waiting)
        }
        Shown::Broken if a.thumb.is_some() => {
            placeholder(file_icon::BROKEN);
            label = format!("{} — {}", a.name, t.broken);
            response
        }
        Shown::Broken => {
            placeholder(file_icon::FILE);
            response
        }
    };
    let enabled = ui.is_enabled();
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, enabled, &label));
    if sense.senses_click() {
        response.on_hover_cursor(egui::CursorIcon::ZoomIn)
    } else {
        response
    }
}

/// The "Photos et fichiers" section of an opened item: its files, and for
/// who may add (`may_add`: its author, animateurs, admins) the button to
/// add one. `author` may take any file off, as whoever added it.
pub fn item_ui(
    ui: &mut Ui,
    cx: &Cx,
    (kind, id): (ItemKind, &ItemId),
    attachments: &Attachments,
    author: &MemberId,
    may_add: bool,
) {
    let t = cx.lang.attachments();
    if attachments.is_empty() && !may_add {
        return;
    }
    ui.add_space(design::GAP);
    ui.horizontal(|ui| {
        ui.label(file_icon::ATTACHED.rich_text().size(design::BODY + 2.0));
        ui.label(egui::RichText::new(t.section).strong());
    });
    let mut files: Vec<&Attachment> = attachments.values().collect();
    files.sort_by(|a, b| (a.added_at, &a.hash).cmp(&(b.added_at, &b.hash)));
    for a in files {
        file_ui(ui, cx, kind, id, a, author);
    }
    if may_add {
        let dest = Dest::Item {
            community: cx.community.clone(),
            kind,
            id: id.clone(),
        };
        add_ui(ui, cx, dest);
    }
}

/// One file of an opened item.
fn file_ui(ui: &mut Ui, cx: &Cx, kind: ItemKind, id: &ItemId, a: &Attachment, author: &MemberId) {
    let (lang, view, files) = (cx.lang, &**cx.view, cx.files);
    let t = lang.attachments();
    let picture = shown_as_picture(a);
    ui.push_id(&a.hash, |ui| {
        ui.horizontal(|ui| {
            let sense = if picture {
                Sense::click()
            } else {
                Sense::hover()
            };
            let thumb = thumb_ui(ui, files, cx, a, ITEM_THUMB, sense);
            let missing = matches!(
                a.thumb.as_ref().map(|th| files.thumb(cx, &th.hash)),
                Some(Shown::Missing)
            );
            if thumb.clicked() {
                files.view(cx, a);
            }
            ui.vertical(|ui| {
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                ui.label(egui::RichText::new(&a.name).strong());
                let by = fill(t.added_by, &[("name", &view.member_name(&a.added_by))]);
                design::meta(ui, format!("{} · {by}", lang.file_size(a.size)));
                if missing {
                    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
                    ui.label(egui::RichText::new(t.waiting).small().italics());
                }
                ui.horizontal(|ui| {
                    if picture {
                        if design::icon_button(ui, file_icon::PICTURE, t.view).clicked() {
                            files.view(cx, a);
                        }
                    } else if design::icon_button(ui, file_icon::OPEN, t.open).clicked() {
                        files.open(cx, a);
                    }
                    // Saving and taking off wait in the file's "…" menu.
                    let may_remove = cx.may_edit(author) || cx.may_edit(&a.added_by);
                    design::more_menu_asking(ui, lang.t().more_actions, |ui| {
                        if design::icon_button(ui, file_icon::SAVE, t.save_as).clicked() {
                            files.save_as(ui.ctx(), cx.community.clone(), a, lang);
                            ui.close();
                        }
                        if may_remove && remove_ui(ui, cx, kind, id, a) {
                            ui.close();
                        }
                    });
                });
            });
        });
    });
    ui.add_space(design::GAP / 2.0);
}

/// "Retirer", asking first; returns whether it was confirmed.
fn remove_ui(ui: &mut Ui, cx: &Cx, kind: ItemKind, id: &ItemId, a: &Attachment) -> bool {
    let t = cx.lang.attachments();
    let files = cx.files;
    let mut armed = files.removing().as_deref() == Some(a.hash.as_str());
    let words = crate::views::DeleteWords {
        delete: t.remove,
        question: t.remove_question,
        confirm: t.confirm_remove,
        cancel: cx.lang.t().cancel,
    };
    let was = armed;
    if crate::views::confirm_delete(ui, &mut armed, words) {
        files.remove(cx, kind, id, &a.hash);
        return true;
    }
    if armed != was {
        files.set_removing(armed.then(|| a.hash.clone()));
    }
    false
}

/// How many files an item has, after a paper clip, on its list card;
/// nothing when it has none.
pub fn count_ui(ui: &mut Ui, lang: crate::i18n::Lang, attachments: &Attachments) {
    if attachments.is_empty() {
        return;
    }
    let count = lang.number(attachments.len());
    let said = fill(lang.attachments().count, &[("count", &count)]);
    let shown = design::meta_with(ui, file_icon::ATTACHED, count);
    // Read as words, not as a bare number after a paper clip.
    shown.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &said));
    shown.on_hover_text(said);
}
