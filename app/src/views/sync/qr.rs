//! QR codes of tickets: drawn on screen, saved as a picture, and read back
//! from a picture (a screenshot or a photo of another member's screen).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use egui::cache::FramePublisher;
use egui::{TextureHandle, TextureOptions, vec2};
use passerelle_core::qr_image;
/// `text` as a QR code in a PNG picture (8 pixels per module), as
/// `passerelle-node` saves it.
pub use passerelle_core::qr_png;

use crate::i18n::Lang;

/// Draws `text` as a QR code: dark squares on a white background with its
/// quiet zone, whatever the theme. The code is encoded once per text and
/// kept as a texture while it is shown (see [`qr_texture`]).
pub fn qr_ui(ui: &mut egui::Ui, text: &str, lang: Lang) {
    qr_sized_ui(ui, text, lang, 280.0);
}

/// Draws `text` as a QR code (as [`qr_ui`]) at most `largest` points wide:
/// large enough to be read across a table.
pub fn qr_sized_ui(ui: &mut egui::Ui, text: &str, lang: Lang, largest: f32) {
    let t = lang.sync();
    let Some(texture) = qr_texture(ui.ctx(), text) else {
        ui.label(t.qr_too_long);
        return;
    };
    // Whole pixels per module, so that every module is as sharp as the next.
    let count = texture.size()[0] as f32;
    let room = ui.available_width().clamp(160.0, largest.max(160.0));
    let side = (room / count).floor().max(2.0) * count;
    ui.add(
        egui::Image::new((texture.id(), vec2(side, side)))
            .alt_text(t.qr_label)
            .sense(egui::Sense::hover()),
    );
}

/// The textures of the QR codes drawn this frame or the last, by a hash of
/// their text; `None` for a text too long for a QR code. egui drops an entry
/// (and so frees its texture) once its code is no longer drawn.
type QrTextures = FramePublisher<u64, (Arc<str>, Option<TextureHandle>)>;

/// The texture of `text`'s QR code, one pixel per module (drawn magnified
/// without smoothing): encoded only when the text was not drawn last frame.
fn qr_texture(ctx: &egui::Context, text: &str) -> Option<TextureHandle> {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    let id = hasher.finish();
    let cached = ctx.memory_mut(|m| m.caches.cache::<QrTextures>().get(&id).cloned());
    let entry = match cached {
        // The text is compared too: the key is only a hash of it.
        Some(entry) if &*entry.0 == text => entry,
        _ => {
            let texture = qr_image(text, 1).ok().map(|code| {
                let side = code.width() as usize;
                let image = egui::ColorImage::from_gray([side, side], code.as_raw());
                ctx.load_texture("qr-code", image, TextureOptions::NEAREST)
            });
            (Arc::from(text), texture)
        }
    };
    let texture = entry.1.clone();
    ctx.memory_mut(|m| m.caches.cache::<QrTextures>().set(id, entry));
    texture
}

/// Why no ticket could be read from a picture.
#[derive(Debug, PartialEq, Eq)]
pub enum QrError {
    /// The file is not a PNG or JPEG picture.
    NotAPicture,
    /// No readable QR code in it.
    NoCode,
}

/// Reads the text of the first QR code found in a PNG or JPEG picture.
/// Can take a moment on a large photo: call it off the UI thread.
pub fn read_qr(bytes: &[u8]) -> Result<String, QrError> {
    let picture = image::load_from_memory(bytes)
        .map_err(|_| QrError::NotAPicture)?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(picture);
    prepared
        .detect_grids()
        .into_iter()
        .find_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .ok_or(QrError::NoCode)
}

/// Whether a file looks like a picture, by its name.
pub fn is_picture(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_qr_code_reads_back() {
        let text = "PASSERELLE1ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let png = qr_png(text).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(read_qr(&png).unwrap(), text);
    }

    /// The QR code textures egui holds, by id.
    fn qr_textures(ctx: &egui::Context) -> Vec<egui::TextureId> {
        let textures = ctx.tex_manager();
        let textures = textures.read();
        textures
            .allocated()
            .filter(|(_, meta)| meta.name == "qr-code")
            .map(|(id, _)| *id)
            .collect()
    }

    #[test]
    fn a_qr_code_is_encoded_once_per_text_and_freed_once_hidden() {
        use egui_kittest::Harness;
        use egui_kittest::kittest::Queryable;

        let first = "PASSERELLE1ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut h = Harness::new_ui_state(
            |ui, text: &mut Option<String>| {
                if let Some(text) = text {
                    qr_ui(ui, text, Lang::Fr);
                }
            },
            Some(first.to_owned()),
        );
        h.run();
        let shown = qr_textures(&h.ctx);
        assert_eq!(shown.len(), 1);
        assert!(h.query_by_label("Code QR de l'invitation").is_some());
        for _ in 0..5 {
            h.step();
        }
        assert_eq!(qr_textures(&h.ctx), shown, "drawn again, not encoded again");

        // The texture is the code: one pixel per module, its quiet zone
        // included, as saved in a picture at 8 pixels per module.
        let code = qr_image(first, 1).unwrap();
        let side = code.width() as usize;
        let size = h.ctx.tex_manager().read().meta(shown[0]).map(|m| m.size);
        assert_eq!(size, Some([side, side]));
        assert_eq!(code.get_pixel(0, 0).0, [255]);
        let saved = image::load_from_memory(&qr_png(first).unwrap())
            .unwrap()
            .to_luma8();
        assert_eq!(saved.width(), code.width() * 8);
        let dark = |p: &image::GrayImage| p.pixels().filter(|p| p.0 == [0]).count();
        assert_eq!(dark(&saved), 64 * dark(&code));

        // Another text: another texture, the first one freed.
        *h.state_mut() = Some("PASSERELLE1ANOTHERTICKET".to_owned());
        h.run();
        let other = qr_textures(&h.ctx);
        assert_eq!(other.len(), 1);
        assert_ne!(other, shown);
        // Hidden: freed.
        *h.state_mut() = None;
        h.run();
        assert!(qr_textures(&h.ctx).is_empty());
    }

    #[test]
    fn pictures_without_a_code_are_told_apart_from_other_files() {
        assert_eq!(read_qr(b"hello"), Err(QrError::NotAPicture));
        let blank = image::GrayImage::from_pixel(64, 64, image::Luma([255]));
        let mut png = Vec::new();
        blank
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(read_qr(&png), Err(QrError::NoCode));
    }
}
