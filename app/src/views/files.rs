//! Export buttons and the import form, shared by the screens that offer
//! them. Exports land in the exports folder ([`Cx::save_export`]); imports
//! read a path typed or pasted by the user and report, as a notice, how
//! many entries were added and which were skipped and why.

use passerelle_core::model::export::{Origin, markdown::MarkdownError};
use passerelle_core::{CoreError, ImportKind, ImportReport};

use super::Cx;
use crate::bridge::Msg;
use crate::i18n::Lang;
use crate::i18n::errors::{Problem, describe_skip};
use crate::i18n::files::FilesStrings;

/// A button that writes `make()`'s text to `file_name` in the exports folder.
pub fn export_button(
    ui: &mut egui::Ui,
    cx: &Cx,
    label: &str,
    file_name: &str,
    make: impl FnOnce() -> Result<String, MarkdownError>,
) {
    if ui.button(label).clicked() {
        match make() {
            Ok(text) => cx.save_export(file_name, text.into_bytes()),
            Err(e) => {
                tracing::warn!("export {file_name}: {e}");
                cx.bridge
                    .send(Msg::Error(Problem::failed(|l| l.files().export_failed)));
            }
        }
    }
}

/// A path field and an import button.
#[derive(Default)]
pub struct ImportForm {
    path: String,
}

impl ImportForm {
    /// Draws the form; `hint` says what file is expected.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx, kind: ImportKind, button: &str, hint: &str) {
        let t = cx.lang.files();
        ui.label(hint);
        let label = ui.label(t.import_path);
        ui.add(
            egui::TextEdit::singleline(&mut self.path)
                .hint_text(t.import_path_hint)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        let ready = cx.me.is_some() && !self.path.trim().is_empty();
        if ui.add_enabled(ready, egui::Button::new(button)).clicked() {
            let path = std::path::PathBuf::from(self.path.trim());
            let community = cx.community.clone();
            let lang = cx.lang;
            cx.bridge.request(move |h| async move {
                let bytes = std::fs::read(&path).map_err(|cause| CoreError::Io {
                    action: "read",
                    path: path.clone(),
                    cause,
                })?;
                let report = h.import(&community, kind, &bytes).await?;
                Ok(Msg::Notice(report_text(lang, &report)))
            });
        }
    }
}

fn origin(t: &FilesStrings, origin: Origin) -> String {
    match origin {
        Origin::Line(n) => format!("{} {n}", t.line),
        Origin::Event(n) => format!("{} {n}", t.event),
    }
}

/// "2 ajouté(s), 1 ignoré(s) — ligne 3 (Marie) : …".
pub fn report_text(lang: Lang, report: &ImportReport) -> String {
    let t = lang.files();
    let mut text = t
        .import_done
        .replace("{imported}", &report.imported.len().to_string())
        .replace("{skipped}", &report.skipped.len().to_string());
    for s in &report.skipped {
        text.push_str("\n• ");
        text.push_str(&origin(t, s.origin));
        if !s.label.is_empty() {
            text.push_str(&format!(" ({})", s.label));
        }
        text.push_str(&format!(" : {}", describe_skip(lang, &s.reason)));
    }
    text
}
