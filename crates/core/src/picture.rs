//! A file made ready to enter a community: read within the size limit, its
//! type found from its first bytes, and a picture re-encoded (at most
//! 2,048 px on its long side, turned upright, without its metadata: no
//! camera, date or GPS position leaves the device) with a 320 px JPEG
//! thumbnail.

use std::io::Cursor;
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use passerelle_model::attachments::{MAX_FILE, MAX_SIDE, MAX_THUMB};

use crate::error::AttachError;

/// Longest side of a picture as it enters a community, in pixels.
pub const PICTURE_SIDE: u32 = 2_048;
/// Longest side of a thumbnail, in pixels.
pub const THUMB_SIDE: u32 = 320;
/// JPEG quality of pictures.
const QUALITY: u8 = 82;
/// JPEG quality of thumbnails (lower: they are small, and a thumbnail is
/// never the same bytes as its picture, even for a picture that small).
const THUMB_QUALITY: u8 = 75;
/// Largest picture decoded, in pixels per side: beyond it a file is taken
/// as a file, not shown as a picture.
const DECODE_SIDE: u32 = 16_384;
/// Most memory a decoder may allocate.
const DECODE_ALLOC: u64 = 512 * 1024 * 1024;

/// A file ready to be stored and attached.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// What is stored: the file as it was, or the re-encoded picture.
    pub bytes: Vec<u8>,
    /// Its name (a re-encoded picture's extension follows its new type).
    pub name: String,
    /// Its type.
    pub mime: String,
    /// A picture's size in pixels.
    pub dimensions: Option<(u32, u32)>,
    /// A picture's thumbnail: JPEG bytes, width, height.
    pub thumb: Option<(Vec<u8>, u32, u32)>,
}

/// Reads a file and prepares it. Refuses an empty file or one over
/// [`MAX_FILE`] before reading it.
pub fn prepare_file(path: &Path) -> Result<Prepared, AttachError> {
    let io = |e: std::io::Error| AttachError::Unreadable(e.to_string());
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_FILE {
        return Err(AttachError::TooLarge {
            size,
            max: MAX_FILE,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "fichier".into());
    prepare(&name, bytes)
}

/// Prepares a file's bytes under a name.
pub fn prepare(name: &str, bytes: Vec<u8>) -> Result<Prepared, AttachError> {
    if bytes.is_empty() {
        return Err(AttachError::Empty);
    }
    let size = bytes.len() as u64;
    if size > MAX_FILE {
        return Err(AttachError::TooLarge {
            size,
            max: MAX_FILE,
        });
    }
    let name = clean_name(name);
    let mime = infer::get(&bytes)
        .map(|t| t.mime_type().to_owned())
        .unwrap_or_else(|| guess_text(&bytes));
    let format = match mime.as_str() {
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/png" => Some(ImageFormat::Png),
        "image/webp" => Some(ImageFormat::WebP),
        "image/gif" => Some(ImageFormat::Gif),
        _ => None,
    };
    let Some(format) = format else {
        return Ok(Prepared {
            bytes,
            name,
            mime,
            dimensions: None,
            thumb: None,
        });
    };
    let picture = decode(&bytes, format)?;
    let picture = if picture.width().max(picture.height()) > PICTURE_SIDE {
        picture.resize(
            PICTURE_SIDE,
            PICTURE_SIDE,
            image::imageops::FilterType::CatmullRom,
        )
    } else {
        picture
    };
    let (bytes, mime, extension) = if picture.color().has_alpha() {
        (encode_png(&picture)?, "image/png", "png")
    } else {
        (encode_jpeg(&picture)?, "image/jpeg", "jpg")
    };
    let thumb = picture.thumbnail(THUMB_SIDE, THUMB_SIDE);
    let thumb_bytes = encode_jpeg_at(&thumb, THUMB_QUALITY)?;
    if thumb_bytes.len() as u64 > MAX_THUMB {
        return Err(AttachError::BadPicture("thumbnail too large".into()));
    }
    // A picture no larger than its thumbnail would be is its own: none.
    let thumb = (thumb_bytes != bytes).then(|| (thumb_bytes, thumb.width(), thumb.height()));
    Ok(Prepared {
        bytes,
        name: with_extension(&name, extension),
        mime: mime.to_owned(),
        dimensions: Some((picture.width(), picture.height())),
        thumb,
    })
}

/// Decodes a picture within bounds, turned upright by its EXIF orientation.
pub fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, AttachError> {
    let bad = |e: image::ImageError| AttachError::BadPicture(e.to_string());
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(DECODE_SIDE);
    limits.max_image_height = Some(DECODE_SIDE);
    limits.max_alloc = Some(DECODE_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(bad)?;
    let orientation = decoder.orientation().map_err(bad)?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(bad)?;
    picture.apply_orientation(orientation);
    if picture.width() == 0
        || picture.height() == 0
        || picture.width().max(picture.height()) > DECODE_SIDE.max(MAX_SIDE)
    {
        return Err(AttachError::BadPicture("no pixels".into()));
    }
    Ok(picture)
}

fn encode_jpeg(picture: &DynamicImage) -> Result<Vec<u8>, AttachError> {
    encode_jpeg_at(picture, QUALITY)
}

fn encode_jpeg_at(picture: &DynamicImage, quality: u8) -> Result<Vec<u8>, AttachError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&picture.to_rgb8())
        .map_err(|e| AttachError::BadPicture(e.to_string()))?;
    Ok(out)
}

fn encode_png(picture: &DynamicImage) -> Result<Vec<u8>, AttachError> {
    let mut out = Cursor::new(Vec::new());
    picture
        .to_rgba8()
        .write_to(&mut out, ImageFormat::Png)
        .map_err(|e| AttachError::BadPicture(e.to_string()))?;
    Ok(out.into_inner())
}

/// Plain text when the bytes are UTF-8 without control characters, else
/// an unknown binary type.
fn guess_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(|c| c.is_control() && !c.is_whitespace()) => {
            "text/plain".into()
        }
        _ => "application/octet-stream".into(),
    }
}

/// A file name safe to show and to write beside an export: no directory,
/// no control characters, at most 200 characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "fichier".into()
    } else {
        cleaned
    }
}

fn with_extension(name: &str, extension: &str) -> String {
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    };
    format!("{stem}.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let picture = DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }));
        encode_jpeg(&picture).expect("encodes")
    }

    #[test]
    fn a_large_photo_is_made_smaller_and_gets_a_thumbnail() {
        let prepared = prepare("vélo.jpeg", jpeg(4000, 3000)).expect("prepared");
        assert_eq!(prepared.mime, "image/jpeg");
        assert_eq!(prepared.name, "vélo.jpg");
        assert_eq!(prepared.dimensions, Some((2048, 1536)));
        let (thumb, w, h) = prepared.thumb.expect("a thumbnail");
        assert_eq!((w, h), (320, 240));
        assert!(thumb.len() < 64 * 1024, "{} bytes", thumb.len());
    }

    #[test]
    fn a_small_picture_has_a_thumbnail_of_its_own() {
        let prepared = prepare("icone.jpg", jpeg(320, 120)).expect("prepared");
        let (thumb, w, h) = prepared.thumb.expect("a thumbnail");
        assert_eq!((w, h), (320, 120));
        assert_ne!(thumb, prepared.bytes);
    }

    #[test]
    fn other_files_are_kept_as_they_are() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n".to_vec();
        let prepared = prepare("fiche projet.pdf", pdf.clone()).expect("prepared");
        assert_eq!(prepared.mime, "application/pdf");
        assert_eq!(prepared.bytes, pdf);
        assert!(prepared.thumb.is_none());
        let text = prepare("notes.txt", "Pik-nik à 14 h".into()).expect("prepared");
        assert_eq!(text.mime, "text/plain");
    }

    #[test]
    fn empty_damaged_and_oversized_files_are_refused() {
        assert!(matches!(prepare("a", Vec::new()), Err(AttachError::Empty)));
        let mut broken = jpeg(64, 64);
        broken.truncate(40);
        assert!(matches!(
            prepare("a.jpg", broken),
            Err(AttachError::BadPicture(_))
        ));
        let big = vec![0u8; MAX_FILE as usize + 1];
        assert!(matches!(
            prepare("big.bin", big),
            Err(AttachError::TooLarge { .. })
        ));
    }

    #[test]
    fn names_lose_their_directories_and_hidden_dots() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\a\\photo.jpg"), "photo.jpg");
        assert_eq!(clean_name(".bashrc"), "bashrc");
        assert_eq!(clean_name("\u{0}"), "fichier");
    }
}
