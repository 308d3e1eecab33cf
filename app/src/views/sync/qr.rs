//! QR codes of tickets: drawn on screen, saved as a picture, and read back
//! from a picture (a screenshot or a photo of another member's screen).

use egui::{Color32, Rect, Sense, vec2};
use passerelle_core::qr_modules;

use crate::i18n::Lang;

/// Modules of white margin around the code, as scanners expect.
const QUIET_ZONE: usize = 4;

/// Draws `text` as a QR code: dark squares on a white background with its
/// quiet zone, whatever the theme.
pub fn qr_ui(ui: &mut egui::Ui, text: &str, lang: Lang) {
    let t = lang.sync();
    let Ok((width, dark)) = qr_modules(text) else {
        ui.label(t.qr_too_long);
        return;
    };
    let count = width + 2 * QUIET_ZONE;
    let room = ui.available_width().clamp(160.0, 280.0);
    let module = (room / count as f32).floor().max(2.0);
    let side = module * count as f32;
    let (rect, response) = ui.allocate_exact_size(vec2(side, side), Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, t.qr_label));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::WHITE);
    for (y, row) in dark.chunks(width).enumerate() {
        // One rectangle per run of dark modules.
        let mut x = 0;
        while x < width {
            if !row[x] {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] {
                x += 1;
            }
            let min = rect.min
                + vec2(
                    (start + QUIET_ZONE) as f32 * module,
                    (y + QUIET_ZONE) as f32 * module,
                );
            let size = vec2((x - start) as f32 * module, module);
            painter.rect_filled(Rect::from_min_size(min, size), 0.0, Color32::BLACK);
        }
    }
}

/// `text` as a QR code in a PNG picture: 8 pixels per module, with the
/// quiet zone.
pub fn qr_png(text: &str) -> Result<Vec<u8>, String> {
    const SCALE: usize = 8;
    let (width, dark) = qr_modules(text)?;
    let side = (width + 2 * QUIET_ZONE) * SCALE;
    let picture = image::GrayImage::from_fn(side as u32, side as u32, |x, y| {
        let (mx, my) = (x as usize / SCALE, y as usize / SCALE);
        let inside = (QUIET_ZONE..QUIET_ZONE + width).contains(&mx)
            && (QUIET_ZONE..QUIET_ZONE + width).contains(&my);
        let is_dark = inside && dark[(my - QUIET_ZONE) * width + mx - QUIET_ZONE];
        image::Luma([if is_dark { 0 } else { 255 }])
    });
    let mut bytes = Vec::new();
    picture
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .map_err(|e| e.to_string())?;
    Ok(bytes)
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
