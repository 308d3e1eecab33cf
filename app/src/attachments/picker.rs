//! Adding a file: "Ajouter une photo ou un fichier" opens the system's file
//! dialog on a thread of its own; when it gives nothing (cancelled, or no
//! dialog on this computer), or on "Saisir le chemin", the path can be
//! typed. Files dropped on the window go to the add zone shown (the first
//! drawn in a frame), which is outlined while files are dragged over the
//! window.

use egui::{CornerRadius, Margin, RichText, Stroke, Ui};

use std::path::PathBuf;

use super::{Chosen, Dest, Typing};
use crate::design::{self, file_icon};
use crate::i18n::errors::fill;
use crate::views::Cx;

/// The add zone of an item (the file is attached at once) or of a form
/// (the file waits for the item to be published, listed above the zone).
pub fn add_ui(ui: &mut Ui, cx: &Cx, dest: Dest) {
    let t = cx.lang.attachments();
    let files = cx.files;
    take_drops(ui, cx, &dest);
    if let Dest::Form(key) = &dest {
        staged_ui(ui, cx, key);
    }
    for name in files.adding_to(&dest) {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(fill(t.adding, &[("name", &name)]));
        });
    }
    // While files are dragged over the window, the zone that takes them
    // is outlined and says so.
    let dragging = ui.input(|i| !i.raw.hovered_files.is_empty());
    let frame = if dragging {
        egui::Frame::new()
            .stroke(Stroke::new(2.0, ui.visuals().selection.stroke.color))
            .corner_radius(CornerRadius::same(8))
            .inner_margin(Margin::same(8))
    } else {
        egui::Frame::new()
    };
    frame.show(ui, |ui| {
        if dragging {
            ui.label(RichText::new(t.drop_here).strong());
        }
        let picking = files.is_picking();
        let typing = files.is_typing(&dest);
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            let add = ui
                .add_enabled_ui(!picking, |ui| {
                    design::icon_button(ui, file_icon::ADD, t.add)
                })
                .inner
                .on_hover_text(t.drop_hint);
            if add.clicked() {
                files.pick(ui.ctx(), dest.clone(), t.dialog_title);
            }
            if !typing && design::icon_only_button(ui, file_icon::TYPE, t.type_path).clicked() {
                files.start_typing(dest.clone());
            }
            if picking {
                ui.spinner();
                ui.label(t.choosing);
            }
        });
        typing_ui(ui, cx, &dest);
    });
}

/// Files dropped on the window this frame go to `dest`, unless an add zone
/// drawn before took them.
fn take_drops(ui: &Ui, cx: &Cx, dest: &Dest) {
    let dropped = ui.input(|i| i.raw.dropped_files.clone());
    if dropped.is_empty() || !cx.files.claim_drops() {
        return;
    }
    for file in dropped {
        cx.files
            .choose(cx.bridge, dest.clone(), Chosen::Dropped(file));
    }
}

/// The files waiting beside a form, each with "Ne pas joindre".
fn staged_ui(ui: &mut Ui, cx: &Cx, key: &'static str) {
    let t = cx.lang.attachments();
    let names = cx.files.staged_names(key);
    if names.is_empty() {
        return;
    }
    ui.label(RichText::new(t.staged_title).strong());
    let mut dropped = None;
    for (n, name) in names.iter().enumerate() {
        ui.push_id(n, |ui| {
            ui.horizontal(|ui| {
                ui.label(file_icon::ATTACHED.rich_text());
                ui.label(name);
                if ui.small_button(t.unstage).clicked() {
                    dropped = Some(n);
                }
            });
        });
    }
    if let Some(n) = dropped {
        cx.files.unstage(key, n);
    }
}

/// The typed path, when it is asked for `dest`.
fn typing_ui(ui: &mut Ui, cx: &Cx, dest: &Dest) {
    let t = cx.lang.attachments();
    let Some(mut typing) = cx.files.take_typing(dest) else {
        return;
    };
    if typing.after_dialog {
        ui.label(t.no_dialog);
    }
    let label = ui.label(t.path_label);
    let edit = ui
        .add(
            egui::TextEdit::singleline(&mut typing.text)
                .hint_text(t.path_hint)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    if std::mem::take(&mut typing.focus) {
        edit.request_focus();
    }
    let entered = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    let path = typed_path(&typing.text);
    let (add, cancel) = ui
        .horizontal(|ui| {
            let add = ui
                .add_enabled(path.is_some(), egui::Button::new(t.add_path))
                .clicked();
            (add || entered, ui.button(cx.lang.t().cancel).clicked())
        })
        .inner;
    match path {
        Some(path) if add => cx.files.choose(cx.bridge, dest.clone(), Chosen::Path(path)),
        _ if cancel => {}
        _ => cx.files.put_typing(typing),
    }
}

impl Typing {
    /// A path field for `dest`, focused.
    pub(super) fn new(dest: Dest, after_dialog: bool) -> Self {
        Typing {
            dest,
            text: String::new(),
            after_dialog,
            focus: true,
        }
    }
}

/// A typed path as people paste it: quotes around it, `file://` before it,
/// `~` for their home folder.
fn typed_path(text: &str) -> Option<PathBuf> {
    let text = text.trim().trim_matches(['"', '\'']);
    let text = text.strip_prefix("file://").unwrap_or(text);
    if text.is_empty() {
        return None;
    }
    if let Some(rest) = text.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return Some(PathBuf::from(home).join(rest));
    }
    Some(PathBuf::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_paths_are_read_as_people_paste_them() {
        assert_eq!(typed_path("  "), None);
        assert_eq!(
            typed_path(" '/tmp/photo de vélo.jpg' "),
            Some(PathBuf::from("/tmp/photo de vélo.jpg"))
        );
        assert_eq!(
            typed_path("file:///tmp/a.pdf"),
            Some(PathBuf::from("/tmp/a.pdf"))
        );
    }
}
