//! Thumbnails as egui textures, kept by the hash of their blob: at most
//! [`CAPACITY`], the least recently drawn going first, and at most
//! [`IN_FLIGHT`] read at once, so a long list scrolled fast does not queue
//! hundreds of reads. Pictures are decoded under [`image::Limits`]: a
//! blob is a peer's bytes, and a crafted one must not take the memory.

use std::collections::HashMap;
use std::io::Cursor;

use egui::{ColorImage, TextureHandle, TextureOptions};
use image::{ImageReader, Limits};
use passerelle_core::{AttachError, CoreError};

/// Most thumbnails kept as textures.
pub const CAPACITY: usize = 256;
/// Most thumbnails read and decoded at once.
const IN_FLIGHT: usize = 6;

/// Longest side of a thumbnail decoded (they are made at 320 px).
const THUMB_SIDE: u32 = 1_024;
/// Most memory a thumbnail's decoder may take.
const THUMB_ALLOC: u64 = 16 * 1024 * 1024;
/// Longest side of a picture shown in the viewer (they enter a community
/// at 2,048 px at most).
const PICTURE_SIDE: u32 = 4_096;
/// Most memory a picture's decoder may take.
const PICTURE_ALLOC: u64 = 128 * 1024 * 1024;

/// A thumbnail as it can be drawn now.
#[derive(Clone)]
pub enum Shown {
    /// Being read.
    Loading,
    /// Ready.
    Ready(TextureHandle),
    /// Not on this device yet: fetched at the next meeting.
    Missing,
    /// Its bytes do not decode.
    Broken,
}

/// What reading a thumbnail gave.
pub enum Loaded {
    /// The decoded picture.
    Picture(ColorImage),
    /// Not on this device.
    Missing,
    /// Unreadable.
    Broken,
}

struct Entry {
    shown: Shown,
    /// The frame it was last drawn in.
    used: u64,
}

/// The cache.
#[derive(Default)]
pub struct Thumbs {
    entries: HashMap<String, Entry>,
    /// The frame count.
    frame: u64,
    in_flight: usize,
}

impl Thumbs {
    /// A new frame.
    pub fn tick(&mut self) {
        self.frame += 1;
    }

    /// The thumbnail `hash`, and whether the caller must read it now.
    pub fn get(&mut self, hash: &str) -> (Shown, bool) {
        if let Some(entry) = self.entries.get_mut(hash) {
            entry.used = self.frame;
            return (entry.shown.clone(), false);
        }
        if self.in_flight >= IN_FLIGHT {
            // Asked again next frame, once a read has come back.
            return (Shown::Loading, false);
        }
        self.in_flight += 1;
        self.insert(hash, Shown::Loading);
        (Shown::Loading, true)
    }

    /// A read came back.
    pub fn loaded(&mut self, ctx: &egui::Context, hash: &str, loaded: Loaded) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let shown = match loaded {
            Loaded::Picture(picture) => {
                let name = format!("thumb-{}", hash.get(..12).unwrap_or(hash));
                Shown::Ready(ctx.load_texture(name, picture, TextureOptions::LINEAR))
            }
            Loaded::Missing => Shown::Missing,
            Loaded::Broken => Shown::Broken,
        };
        self.insert(hash, shown);
    }

    /// A blob arrived: if it is a missing thumbnail, it is read again when
    /// next drawn.
    pub fn arrived(&mut self, hash: &str) {
        if matches!(
            self.entries.get(hash),
            Some(Entry {
                shown: Shown::Missing | Shown::Broken,
                ..
            })
        ) {
            self.entries.remove(hash);
        }
    }

    fn insert(&mut self, hash: &str, shown: Shown) {
        let used = self.frame;
        self.entries.insert(hash.to_owned(), Entry { shown, used });
        while self.entries.len() > CAPACITY {
            // One pass over at most CAPACITY + 1 entries, only when one
            // is added.
            let oldest = self
                .entries
                .iter()
                .filter(|(_, e)| !matches!(e.shown, Shown::Loading))
                .min_by_key(|(_, e)| e.used)
                .map(|(h, _)| h.clone());
            match oldest {
                Some(hash) => self.entries.remove(&hash),
                None => break,
            };
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Reads a thumbnail: what [`Thumbs::loaded`] takes.
pub fn read_thumb(read: Result<Vec<u8>, CoreError>) -> Loaded {
    match read {
        Ok(bytes) => match decode(&bytes, THUMB_SIDE, THUMB_ALLOC) {
            Ok(picture) => Loaded::Picture(picture),
            Err(_) => Loaded::Broken,
        },
        Err(CoreError::Attach(AttachError::NotHere)) => Loaded::Missing,
        Err(_) => Loaded::Broken,
    }
}

/// Decodes a whole picture for the viewer.
pub fn decode_picture(bytes: &[u8]) -> Result<ColorImage, CoreError> {
    decode(bytes, PICTURE_SIDE, PICTURE_ALLOC)
        .map_err(|e| CoreError::Attach(AttachError::BadPicture(e.to_string())))
}

/// Decodes a picture whose sides are at most `side` pixels, its decoder
/// taking at most `alloc` bytes.
fn decode(bytes: &[u8], side: u32, alloc: u64) -> Result<ColorImage, image::ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(side);
    limits.max_image_height = Some(side);
    limits.max_alloc = Some(alloc);
    reader.limits(limits);
    let picture = reader.decode()?.to_rgba8();
    let size = [picture.width() as usize, picture.height() as usize];
    Ok(ColorImage::from_rgba_unmultiplied(size, picture.as_raw()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let picture = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Cursor::new(Vec::new());
        picture
            .write_to(&mut out, image::ImageFormat::Jpeg)
            .expect("a JPEG is written");
        out.into_inner()
    }

    #[test]
    fn thumbnails_decode_within_their_limits() {
        let picture = decode(&jpeg(320, 200), THUMB_SIDE, THUMB_ALLOC).expect("decoded");
        assert_eq!(picture.size, [320, 200]);
        assert!(
            decode(&jpeg(1_100, 10), THUMB_SIDE, THUMB_ALLOC).is_err(),
            "a side over the limit is refused"
        );
        assert!(decode(b"not a picture", THUMB_SIDE, THUMB_ALLOC).is_err());
        assert!(matches!(
            read_thumb(Err(CoreError::Attach(AttachError::NotHere))),
            Loaded::Missing
        ));
    }

    #[test]
    fn the_cache_keeps_the_most_recently_drawn() {
        let ctx = egui::Context::default();
        let mut thumbs = Thumbs::default();
        let picture = || Loaded::Picture(ColorImage::filled([2, 2], egui::Color32::RED));
        for n in 0..CAPACITY + 10 {
            thumbs.tick();
            let hash = format!("{n:064x}");
            let (_, read) = thumbs.get(&hash);
            assert!(read, "a new thumbnail is read");
            thumbs.loaded(&ctx, &hash, picture());
            if n == 0 {
                continue;
            }
            // The first one is drawn every frame: it stays.
            thumbs.get(&format!("{:064x}", 0));
        }
        assert_eq!(thumbs.len(), CAPACITY);
        let (first, read) = thumbs.get(&format!("{:064x}", 0));
        assert!(matches!(first, Shown::Ready(_)) && !read);
        let (second, _) = thumbs.get(&format!("{:064x}", 1));
        assert!(
            matches!(second, Shown::Loading),
            "the least recently drawn went"
        );
    }

    #[test]
    fn a_missing_thumbnail_is_read_again_once_it_arrives() {
        let ctx = egui::Context::default();
        let mut thumbs = Thumbs::default();
        let hash = "ab".repeat(32);
        assert!(thumbs.get(&hash).1);
        thumbs.loaded(&ctx, &hash, Loaded::Missing);
        assert!(matches!(thumbs.get(&hash), (Shown::Missing, false)));
        thumbs.arrived(&hash);
        assert!(thumbs.get(&hash).1, "read again");
    }
}
