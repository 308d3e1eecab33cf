//! A bound on what Automerge inflates.
//!
//! Automerge 0.12 inflates DEFLATE-compressed data with `read_to_end`, with
//! no limit, while it *parses* bytes: before it checks any checksum, before
//! it looks at a single operation. A 1 MiB crafted file or sync message
//! makes it allocate gigabytes. Every byte string that comes from outside
//! (the changes of a sync message, a stored file, an offline bundle, a proof)
//! is measured here first: [`check_chunks`] for a file (chunks as `save()`,
//! `save_after()` or `save_incremental()` write them, read with
//! `load_incremental`), [`check_sync_message`] for a decoded sync message,
//! [`check_change`] for one change as `Change::try_from` reads it.
//!
//! The walk follows Automerge's own parser (automerge 0.12.0,
//! `src/storage/`). A file is a sequence of chunks: magic bytes
//! `85 6f 4a 83`, a 4-byte checksum, a chunk type, a uLEB128 length, the
//! body. Automerge inflates in exactly three places, and so does the walk,
//! with the same decoder (`flate2::bufread::DeflateDecoder` over the same
//! bytes, so the same output length) writing into one 32 KiB buffer it
//! overwrites, stopping as soon as the total passes the limit:
//!
//! - a *compressed change* chunk (type 2): its whole body, one DEFLATE
//!   stream of a change chunk's body (`chunk.rs`);
//! - a *document* chunk (type 0): every column whose specification has the
//!   DEFLATE bit (`0b1000`), in the change columns and in the op columns, as
//!   soon as any column is compressed (`document/compression.rs`,
//!   `columns/raw_column.rs`);
//! - a *bundle* chunk (type 3): the same, in its change and op columns
//!   (`bundle/storage.rs`).
//!
//! A *change* chunk (type 1) is never inflated: Automerge refuses one with a
//! compressed column. No decompressed stream is parsed for more compressed
//! data (the change inside a compressed chunk must not have compressed
//! columns), so there is no nesting to follow.
//!
//! The figure checked against the limit is the size of the input as
//! Automerge holds it once inflated: every chunk, its compressed body or
//! columns counted at their inflated size (see [`Inflated::inflated`]). Chunks
//! add up: Automerge keeps every change of a file until it has read the last
//! chunk. Automerge holds a few copies while it inflates (the growing
//! `read_to_end` buffer, then the chunk rebuilt around it), so its peak is a
//! small multiple of this figure, never of the compression ratio.
//!
//! The walk is lenient where Automerge refuses bytes anyway (it does not
//! check checksums, column order, or the document's trailing head indices),
//! so it may accept bytes Automerge will then reject, but it never accepts
//! bytes that make Automerge inflate more than the limit: anything it cannot
//! size (bad magic, unknown chunk type, a length past the end, a corrupt
//! DEFLATE stream) is refused.
//!
//! Not covered: the run-length encoding inside columns, which Automerge
//! expands while it loads operations, is not DEFLATE and is not measured
//! here.

use std::io::{ErrorKind, Read};
use std::ops::Range;

use flate2::bufread::DeflateDecoder;

/// The most an input may inflate to, in bytes: 64 MiB.
///
/// The biggest legitimate input is one document of a generated five-year
/// community (`generate` at `Size::FiveYears`, 155,501 changes): its largest
/// `save()` is the échanges document, and the whole community's saves
/// inflate to far less than this (see `docs/PERFORMANCE.md`). A sync message
/// is at most one 32 MiB frame of uncompressed changes. 64 MiB leaves room
/// for communities several times bigger, while a crafted input costs at most
/// that much (a few times that in Automerge's copies) instead of gigabytes.
pub const MAX_INFLATED: usize = 64 * 1024 * 1024;

/// Automerge's chunk magic bytes.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Bytes in a change hash.
const HASH_LEN: u64 = 32;

/// The bit of a column specification telling its data is DEFLATE-compressed.
const DEFLATE_BIT: u64 = 0b1000;

/// The buffer the inflated bytes are written to, and overwritten.
const SCRATCH: usize = 32 * 1024;

/// What an input inflates to, as measured by [`check_chunks`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inflated {
    /// Chunks read.
    pub chunks: usize,
    /// Bytes of the input.
    pub stored: usize,
    /// Bytes of the input as Automerge holds it once inflated: every chunk,
    /// with each compressed body or column counted at its inflated size
    /// (within a few bytes: the lengths written before the data shrink or
    /// grow with it). Equal to `stored` when nothing is compressed.
    pub inflated: usize,
    /// DEFLATE streams inflated (compressed bodies and columns).
    pub streams: usize,
}

/// Why an input was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BoundError {
    /// It would inflate to more than the limit.
    #[error("the data would inflate to more than {limit} bytes")]
    TooLarge {
        /// The limit it was checked against.
        limit: usize,
    },
    /// It is not a sequence of Automerge chunks that can be sized.
    #[error("malformed Automerge data at byte {offset}: {reason}")]
    Malformed {
        /// Where in the input (or in the sync message's part).
        offset: usize,
        /// What is wrong, in a few words.
        reason: &'static str,
    },
    /// A compressed body or column is not a valid DEFLATE stream.
    #[error("corrupt compressed data at byte {offset}")]
    Corrupt {
        /// Where the stream starts.
        offset: usize,
    },
    /// [`check_change`] was given something else than one change chunk.
    #[error("not a single Automerge change")]
    NotAChange,
}

/// Measures what `bytes` (a file: one or more chunks, as `save()`,
/// `save_after()`, `save_incremental()` or `bundle()` write them) inflates to
/// in Automerge's `load`/`load_incremental`, refusing it if that is more than
/// `limit` bytes or if it cannot be sized.
///
/// Costs a 32 KiB buffer and one decoder, whatever the input; time is linear
/// in the input plus at most `limit` inflated bytes. Empty input is fine
/// (Automerge reads it as nothing). To bound several inputs held at once (the
/// documents of an offline bundle), pass what is left of the limit:
/// `check_chunks(next, limit - used.inflated)`.
pub fn check_chunks(bytes: &[u8], limit: usize) -> Result<Inflated, BoundError> {
    let mut walk = Walk::new(limit);
    walk.file(bytes)?;
    Ok(walk.done)
}

/// Measures one change as `automerge::Change::try_from` reads it (a change
/// chunk, or a compressed change chunk as `Change::bytes()` writes it),
/// refusing anything else (another chunk type, bytes after the chunk), what
/// cannot be sized, and what inflates to more than `limit` bytes.
///
/// The changes of a sync message are not single changes (a version 2
/// message carries all of them in one part): check them with
/// [`check_sync_message`].
pub fn check_change(bytes: &[u8], limit: usize) -> Result<Inflated, BoundError> {
    let mut walk = Walk::new(limit);
    let header = walk.header(bytes, 0)?;
    if !matches!(header.kind, Kind::Change | Kind::Compressed) || header.end != bytes.len() {
        return Err(BoundError::NotAChange);
    }
    walk.body(bytes, &header)?;
    walk.done.stored = bytes.len();
    Ok(walk.done)
}

/// Measures the changes of a decoded sync message (`Message::changes`, which
/// `receive_sync_message` joins and reads with `load_incremental`), refusing
/// them if they inflate to more than `limit` bytes or cannot be sized.
/// Offsets in errors are within the part that holds them.
pub fn check_sync_message(
    message: &automerge::sync::Message,
    limit: usize,
) -> Result<Inflated, BoundError> {
    let mut walk = Walk::new(limit);
    // Automerge reads the parts joined. Each part read alone either ends on
    // a chunk boundary, so the join reads the same chunks, or is refused.
    for part in message.changes.iter() {
        walk.file(part)?;
    }
    Ok(walk.done)
}

/// The four chunk types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Document,
    Change,
    Compressed,
    Bundle,
}

/// A chunk's header, positions absolute in the input.
struct Header {
    kind: Kind,
    start: usize,
    body: Range<usize>,
    end: usize,
}

/// A list of columns: where its metadata is, and what it adds up to.
struct ColumnList {
    /// The metadata, from the number of columns on.
    meta: Range<usize>,
    /// Bytes of data of all the columns.
    total: usize,
    /// Bytes of data of the compressed columns.
    deflated: usize,
}

/// A walk over one input (or the parts of one sync message), with its
/// running total.
struct Walk<'a> {
    limit: usize,
    done: Inflated,
    decoder: Option<DeflateDecoder<&'a [u8]>>,
    scratch: Vec<u8>,
}

impl<'a> Walk<'a> {
    fn new(limit: usize) -> Self {
        Walk {
            limit,
            done: Inflated::default(),
            decoder: None,
            scratch: Vec::new(),
        }
    }

    /// Every chunk of `bytes`, as `load_incremental` reads them.
    fn file(&mut self, bytes: &'a [u8]) -> Result<(), BoundError> {
        let mut pos = 0;
        while pos < bytes.len() {
            let header = self.header(bytes, pos)?;
            self.body(bytes, &header)?;
            pos = header.end;
        }
        self.done.stored += bytes.len();
        Ok(())
    }

    /// Adds `n` inflated bytes to the total, refusing past the limit.
    fn charge(&mut self, n: usize) -> Result<(), BoundError> {
        match self.done.inflated.checked_add(n) {
            Some(total) if total <= self.limit => {
                self.done.inflated = total;
                Ok(())
            }
            _ => Err(BoundError::TooLarge { limit: self.limit }),
        }
    }

    /// The header of the chunk at `start` (`Header::parse` in `chunk.rs`).
    fn header(&mut self, bytes: &'a [u8], start: usize) -> Result<Header, BoundError> {
        let mut r = Reader { bytes, pos: start };
        if r.take(MAGIC.len() as u64)? != MAGIC {
            return Err(malformed(start, "not an Automerge chunk"));
        }
        r.take(4)?; // checksum, checked by Automerge after it has inflated
        let kind = match r.byte()? {
            0 => Kind::Document,
            1 => Kind::Change,
            2 => Kind::Compressed,
            3 => Kind::Bundle,
            _ => return Err(malformed(r.pos - 1, "unknown chunk type")),
        };
        let len = r.uleb()?;
        let body = r.range(len)?;
        Ok(Header {
            kind,
            start,
            end: body.end,
            body,
        })
    }

    /// Sizes one chunk's body, inflating what Automerge inflates.
    fn body(&mut self, bytes: &'a [u8], header: &Header) -> Result<(), BoundError> {
        self.done.chunks += 1;
        let chunk_len = header.end - header.start;
        // The body is read within the chunk only.
        let mut r = Reader {
            bytes: &bytes[..header.end],
            pos: header.body.start,
        };
        match header.kind {
            // Copied as it is; a compressed column in it is refused.
            Kind::Change => self.charge(chunk_len),
            // Inflated whole, then a change chunk header is put before it.
            Kind::Compressed => {
                let n = self.inflate(&bytes[header.body.clone()], header.body.start)?;
                self.charge(n)?;
                self.charge(MAGIC.len() + 4 + 1 + uleb_len(n as u64))
            }
            // Actors, heads, change column metadata, op column metadata,
            // change data, op data, head indices (`document.rs`).
            Kind::Document => {
                r.skip_actors()?;
                let heads = r.uleb()?;
                r.skip(heads.checked_mul(HASH_LEN).ok_or_else(|| r.truncated())?)?;
                let changes = r.columns()?;
                let ops = r.columns()?;
                let change_data = r.range(changes.total as u64)?;
                let op_data = r.range(ops.total as u64)?;
                // The head indices are not read: Automerge refuses a bad
                // suffix before inflating, so counting is only cautious.
                self.columns(bytes, chunk_len, &[(changes, change_data), (ops, op_data)])
            }
            // Dependencies, actors, change column metadata, change data, op
            // column metadata, op data (`bundle/storage.rs`).
            Kind::Bundle => {
                let deps = r.uleb()?;
                r.skip(deps.checked_mul(HASH_LEN).ok_or_else(|| r.truncated())?)?;
                r.skip_actors()?;
                let changes = r.columns()?;
                let change_data = r.range(changes.total as u64)?;
                let ops = r.columns()?;
                let op_data = r.range(ops.total as u64)?;
                self.columns(bytes, chunk_len, &[(changes, change_data), (ops, op_data)])
            }
        }
    }

    /// Sizes a document or bundle chunk from its column lists and their data:
    /// the chunk as it is when nothing is compressed (Automerge borrows it),
    /// else the chunk with every compressed column inflated.
    fn columns(
        &mut self,
        bytes: &'a [u8],
        chunk_len: usize,
        lists: &[(ColumnList, Range<usize>)],
    ) -> Result<(), BoundError> {
        let deflated: usize = lists.iter().map(|(list, _)| list.deflated).sum();
        self.charge(chunk_len - deflated)?;
        if deflated == 0 {
            return Ok(());
        }
        for (list, data) in lists {
            let mut meta = Reader {
                bytes: &bytes[..list.meta.end],
                pos: list.meta.start,
            };
            let count = meta.uleb()?;
            let mut offset = data.start;
            for _ in 0..count {
                let spec = meta.uleb()?;
                let len = meta.uleb()? as usize; // checked by `columns()`
                let column = offset..offset + len;
                offset = column.end;
                if spec & DEFLATE_BIT != 0 {
                    let n = self.inflate(&bytes[column.clone()], column.start)?;
                    self.charge(n)?;
                }
            }
        }
        Ok(())
    }

    /// The length `data` inflates to, as Automerge's `read_to_end` would
    /// see it, refusing it if that passes what is left of the limit.
    fn inflate(&mut self, data: &'a [u8], offset: usize) -> Result<usize, BoundError> {
        let budget = self.limit - self.done.inflated;
        let decoder = match &mut self.decoder {
            Some(decoder) => {
                decoder.reset(data);
                decoder
            }
            None => self.decoder.insert(DeflateDecoder::new(data)),
        };
        if self.scratch.is_empty() {
            self.scratch = vec![0; SCRATCH];
        }
        let mut out = 0usize;
        loop {
            match decoder.read(&mut self.scratch) {
                Ok(0) => break,
                Ok(n) => {
                    out += n;
                    if out > budget {
                        return Err(BoundError::TooLarge { limit: self.limit });
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err(BoundError::Corrupt { offset }),
            }
        }
        self.done.streams += 1;
        Ok(out)
    }
}

fn malformed(offset: usize, reason: &'static str) -> BoundError {
    BoundError::Malformed { offset, reason }
}

/// Bytes of `n` written as uLEB128.
fn uleb_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

/// A position in the input; every read is checked against its end.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn truncated(&self) -> BoundError {
        malformed(self.pos, "truncated")
    }

    fn byte(&mut self) -> Result<u8, BoundError> {
        let byte = *self.bytes.get(self.pos).ok_or_else(|| self.truncated())?;
        self.pos += 1;
        Ok(byte)
    }

    /// The next `n` bytes, as a range of the input.
    fn range(&mut self, n: u64) -> Result<Range<usize>, BoundError> {
        let left = self.bytes.len() - self.pos;
        match usize::try_from(n) {
            Ok(n) if n <= left => {
                let range = self.pos..self.pos + n;
                self.pos += n;
                Ok(range)
            }
            _ => Err(self.truncated()),
        }
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], BoundError> {
        let range = self.range(n)?;
        Ok(&self.bytes[range])
    }

    fn skip(&mut self, n: u64) -> Result<(), BoundError> {
        self.range(n).map(|_| ())
    }

    /// An unsigned LEB128 number, refused where Automerge refuses it
    /// (`parse/leb128.rs`: more than 64 bits, or a needless last byte).
    fn uleb(&mut self) -> Result<u64, BoundError> {
        let start = self.pos;
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift > 64 && byte > 1 {
                    return Err(malformed(start, "number too large"));
                }
                if shift > 7 && byte == 0 {
                    return Err(malformed(start, "overlong number"));
                }
                return Ok(value);
            }
            if shift > 64 {
                return Err(malformed(start, "number too large"));
            }
        }
    }

    /// A length-prefixed list of length-prefixed actor ids.
    fn skip_actors(&mut self) -> Result<(), BoundError> {
        let count = self.uleb()?;
        // Each actor takes at least a byte: the loop ends with the input.
        for _ in 0..count {
            let len = self.uleb()?;
            self.skip(len)?;
        }
        Ok(())
    }

    /// Column metadata (`RawColumns::parse`): a count, then each column's
    /// specification (a `u32`) and data length.
    fn columns(&mut self) -> Result<ColumnList, BoundError> {
        let start = self.pos;
        let count = self.uleb()?;
        let mut total = 0usize;
        let mut deflated = 0usize;
        // Each column takes at least two bytes: the loop ends with the input.
        for _ in 0..count {
            let at = self.pos;
            let spec = self.uleb()?;
            if spec > u64::from(u32::MAX) {
                return Err(malformed(at, "column specification too large"));
            }
            let at = self.pos;
            let len = usize::try_from(self.uleb()?)
                .map_err(|_| malformed(at, "column longer than the chunk"))?;
            total = total
                .checked_add(len)
                .ok_or_else(|| malformed(at, "columns longer than the chunk"))?;
            if spec & DEFLATE_BIT != 0 {
                deflated += len;
            }
        }
        Ok(ColumnList {
            meta: start..self.pos,
            total,
            deflated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::new_doc;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT, sync::SyncDoc};
    use flate2::{Compress, Compression, FlushCompress};

    const MIB: usize = 1024 * 1024;

    /// A document with enough repeated content that Automerge compresses
    /// its columns (it does above 256 bytes), in several changes.
    fn repetitive_doc(changes: usize) -> AutoCommit {
        let mut doc = new_doc();
        let list = doc.put_object(ROOT, "échanges", ObjType::Map).expect("map");
        doc.commit();
        for c in 0..changes {
            for i in 0..40 {
                let item = doc
                    .put_object(&list, format!("item-{c}-{i}"), ObjType::Map)
                    .expect("item");
                doc.put(&item, "titre", "Cours de couture, le mardi soir")
                    .expect("put");
                doc.put(&item, "statut", "ouvert").expect("put");
                doc.put(&item, "quand", 1_780_272_000_000_i64 + i as i64)
                    .expect("put");
            }
            let text = doc
                .put_object(ROOT, format!("texte-{c}"), ObjType::Text)
                .expect("text");
            doc.splice_text(&text, 0, 0, &"Une phrase qui revient. ".repeat(30))
                .expect("text");
            doc.commit();
        }
        doc
    }

    /// `len` zero bytes as one raw DEFLATE stream (about 1 KiB per MiB):
    /// a MiB of zeros compressed once, its blocks repeated (each block only
    /// refers back to zeros), then an empty final block.
    fn zeros(len: usize) -> Vec<u8> {
        assert_eq!(len % MIB, 0);
        let mut compress = Compress::new(Compression::best(), false);
        let mut segment = Vec::with_capacity(64 * 1024);
        compress
            .compress_vec(&vec![0; MIB], &mut segment, FlushCompress::Sync)
            .expect("deflate");
        assert_eq!(compress.total_in(), MIB as u64);
        let mut stream = segment.repeat(len / MIB);
        // BFINAL, fixed codes, end of block.
        stream.extend([0x03, 0x00]);
        stream
    }

    fn uleb(out: &mut Vec<u8>, mut n: u64) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    /// A chunk around `body`. The checksum is left wrong: Automerge checks
    /// it only once it has parsed (and inflated) the chunk.
    fn chunk(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend([0; 4]);
        out.push(kind);
        uleb(&mut out, body.len() as u64);
        out.extend(body);
        out
    }

    /// Column metadata for columns of these specifications and lengths.
    fn column_meta(out: &mut Vec<u8>, columns: &[(u32, usize)]) {
        uleb(out, columns.len() as u64);
        for (spec, len) in columns {
            uleb(out, u64::from(*spec));
            uleb(out, *len as u64);
        }
    }

    /// A document chunk with one actor, no heads, no change columns and one
    /// op column, compressed: `stream`.
    fn document_bomb(stream: &[u8]) -> Vec<u8> {
        let mut body = vec![1, 16];
        body.extend([7; 16]);
        body.push(0); // heads
        column_meta(&mut body, &[]);
        // Column 2, delta integer (the op counters), DEFLATE bit.
        column_meta(&mut body, &[((2 << 4) | 3 | 8, stream.len())]);
        body.extend(stream);
        chunk(0, &body)
    }

    /// A bundle chunk whose one change column is `stream`.
    fn bundle_bomb(stream: &[u8]) -> Vec<u8> {
        let mut body = vec![0, 0]; // no deps, no actors
        column_meta(&mut body, &[((1 << 4) | 1 | 8, stream.len())]);
        body.extend(stream);
        column_meta(&mut body, &[]);
        chunk(3, &body)
    }

    fn too_large(result: Result<Inflated, BoundError>, limit: usize) {
        assert_eq!(result, Err(BoundError::TooLarge { limit }));
    }

    #[test]
    fn a_stream_of_zeros_inflates_to_its_length() {
        let stream = zeros(3 * MIB);
        let mut out = Vec::new();
        DeflateDecoder::new(&stream[..])
            .read_to_end(&mut out)
            .expect("inflates");
        assert_eq!(out.len(), 3 * MIB);
        assert!(out.iter().all(|b| *b == 0));
        assert!(stream.len() < 4 * 1024, "{} bytes", stream.len());
        let checked = check_chunks(&chunk(2, &stream), MAX_INFLATED).expect("small enough");
        assert_eq!(checked.inflated, 3 * MIB + 4 + 4 + 1 + 4);
        assert_eq!(checked.streams, 1);
    }

    #[test]
    fn a_save_passes_and_counts_what_automerge_inflates() {
        let mut doc = repetitive_doc(8);
        let saved = doc.save();
        let checked = check_chunks(&saved, MAX_INFLATED).expect("a real save passes");
        assert_eq!(checked.chunks, 1);
        assert_eq!(checked.stored, saved.len());
        assert!(checked.streams > 0, "Automerge compressed no column");
        assert!(checked.inflated > 2 * saved.len(), "{checked:?}");
        // The same document saved without compression is what Automerge
        // rebuilds when it inflates, but for the column lengths written
        // before the data and the chunk length.
        let plain = doc.save_nocompress();
        assert!(
            checked.inflated.abs_diff(plain.len()) <= 2 * checked.streams + 4,
            "{checked:?} against {} bytes",
            plain.len()
        );
        assert_eq!(
            check_chunks(&plain, MAX_INFLATED).expect("passes").inflated,
            plain.len()
        );
        // Automerge agrees it is a document.
        let mut loaded = new_doc();
        loaded.load_incremental(&saved).expect("loads");
        assert_eq!(loaded.get_heads(), doc.get_heads());
    }

    #[test]
    fn the_limit_is_exact_and_covers_every_chunk() {
        let mut doc = repetitive_doc(3);
        let heads = doc.get_heads();
        let mut file = doc.save();
        let mut more = repetitive_doc(2);
        doc.merge(&mut more).expect("merge");
        file.extend(doc.save_after(&heads));
        let checked = check_chunks(&file, MAX_INFLATED).expect("passes");
        assert!(checked.chunks > 2, "{checked:?}");
        assert_eq!(check_chunks(&file, checked.inflated), Ok(checked));
        too_large(
            check_chunks(&file, checked.inflated - 1),
            checked.inflated - 1,
        );
        let mut loaded = new_doc();
        loaded.load_incremental(&file).expect("loads");
        assert_eq!(loaded.get_heads(), doc.get_heads());
    }

    #[test]
    fn incremental_saves_pass_as_they_are() {
        let mut doc = new_doc();
        let mut file = Vec::new();
        for i in 0..20 {
            doc.put(ROOT, format!("k{i}"), "valeur répétée ".repeat(i))
                .expect("put");
            file.extend(doc.save_incremental());
        }
        let checked = check_chunks(&file, MAX_INFLATED).expect("passes");
        assert_eq!(checked.chunks, 20);
        assert_eq!(checked.streams, 0);
        assert_eq!(checked.inflated, file.len());
    }

    #[test]
    fn changes_pass_compressed_or_not() {
        let mut doc = repetitive_doc(3);
        let mut compressed = 0;
        for mut change in doc.get_changes(&[]) {
            let raw = change.raw_bytes().to_vec();
            let plain = check_change(&raw, MAX_INFLATED).expect("a change passes");
            assert_eq!(plain.inflated, raw.len());
            let bytes = change.bytes().into_owned();
            let checked = check_change(&bytes, MAX_INFLATED).expect("a change passes");
            if bytes[8] == 2 {
                compressed += 1;
                assert_eq!(checked.streams, 1);
                assert_eq!(checked.inflated, raw.len());
                let read = automerge::Change::try_from(&bytes[..]).expect("Automerge reads it");
                assert_eq!(read.raw_bytes(), &raw[..]);
            }
        }
        assert!(compressed > 0, "Automerge compressed no change");
        // Compressed changes are loaded by `load_incremental` too.
        let mut file = Vec::new();
        for mut change in doc.get_changes(&[]) {
            file.extend(change.bytes().iter());
        }
        let checked = check_chunks(&file, MAX_INFLATED).expect("passes");
        assert!(checked.streams > 0);
        let mut loaded = new_doc();
        loaded.load_incremental(&file).expect("loads");
        assert_eq!(loaded.get_heads(), doc.get_heads());
    }

    #[test]
    fn a_bundle_passes() {
        let mut doc = repetitive_doc(6);
        let hashes: Vec<_> = doc.get_changes(&[]).iter().map(|c| c.hash()).collect();
        let bundle = doc.bundle(hashes).expect("bundle");
        let checked = check_chunks(bundle.bytes(), MAX_INFLATED).expect("passes");
        assert_eq!(checked.chunks, 1);
        assert!(checked.streams > 0, "Automerge compressed no column");
        let mut loaded = new_doc();
        loaded.load_incremental(bundle.bytes()).expect("loads");
        assert_eq!(loaded.get_heads(), doc.get_heads());
    }

    #[test]
    fn sync_messages_pass() {
        let mut a = repetitive_doc(4);
        let mut b = new_doc();
        let (mut sa, mut sb) = (automerge::sync::State::new(), automerge::sync::State::new());
        let mut seen = 0;
        for _ in 0..10 {
            let mut quiet = true;
            if let Some(m) = a.sync().generate_sync_message(&mut sa) {
                let m = automerge::sync::Message::decode(&m.encode()).expect("decodes");
                seen += check_sync_message(&m, MAX_INFLATED).expect("passes").chunks;
                b.sync().receive_sync_message(&mut sb, m).expect("receives");
                quiet = false;
            }
            if let Some(m) = b.sync().generate_sync_message(&mut sb) {
                let m = automerge::sync::Message::decode(&m.encode()).expect("decodes");
                check_sync_message(&m, MAX_INFLATED).expect("passes");
                a.sync().receive_sync_message(&mut sa, m).expect("receives");
                quiet = false;
            }
            if quiet {
                break;
            }
        }
        assert!(seen > 0);
        assert_eq!(a.get_heads(), b.get_heads());
    }

    #[test]
    fn bombs_are_refused() {
        // 1 GiB of zeros in about 1 MiB.
        let stream = zeros(1024 * MIB);
        assert!(stream.len() < 2 * MIB, "{} bytes", stream.len());
        for bomb in [
            chunk(2, &stream),
            document_bomb(&stream),
            bundle_bomb(&stream),
        ] {
            too_large(check_chunks(&bomb, MAX_INFLATED), MAX_INFLATED);
            // After a real save too, and with a small limit.
            let mut file = repetitive_doc(1).save();
            file.extend(&bomb);
            too_large(check_chunks(&file, MIB), MIB);
        }
        too_large(check_change(&chunk(2, &stream), MAX_INFLATED), MAX_INFLATED);
        // In a sync message.
        let mut doc = repetitive_doc(1);
        let mut message = doc
            .sync()
            .generate_sync_message(&mut automerge::sync::State::new())
            .expect("a message");
        message.changes = vec![chunk(2, &stream)].into();
        let message = automerge::sync::Message::decode(&message.encode()).expect("decodes");
        too_large(check_sync_message(&message, MAX_INFLATED), MAX_INFLATED);
    }

    #[test]
    fn many_small_streams_add_up() {
        let stream = zeros(MIB);
        let bomb: Vec<u8> = (0..70).flat_map(|_| chunk(2, &stream)).collect();
        too_large(check_chunks(&bomb, MAX_INFLATED), MAX_INFLATED);
        let checked = check_chunks(&bomb[..bomb.len() / 2], MAX_INFLATED).expect("35 MiB");
        assert_eq!(checked.streams, 35);
    }

    #[test]
    fn what_cannot_be_sized_is_refused() {
        assert_eq!(check_chunks(&[], MAX_INFLATED), Ok(Inflated::default()));
        let mut compressed_change = None;
        let mut doc = repetitive_doc(2);
        for mut change in doc.get_changes(&[]) {
            if change.bytes()[8] == 2 {
                compressed_change = Some(change.bytes().into_owned());
            }
        }
        let compressed_change = compressed_change.expect("a compressed change");
        // A corrupt stream, a truncated one.
        let stream = zeros(2 * MIB);
        for body in [&[0xff; 16][..], &stream[..stream.len() - 2]] {
            assert!(matches!(
                check_chunks(&chunk(2, body), MAX_INFLATED),
                Err(BoundError::Corrupt { .. })
            ));
        }
        // Bad magic, an unknown type, a length past the end.
        let mut bad = compressed_change.clone();
        bad[0] = 0;
        assert!(matches!(
            check_chunks(&bad, MAX_INFLATED),
            Err(BoundError::Malformed { .. })
        ));
        let mut bad = compressed_change.clone();
        bad[8] = 4;
        assert!(matches!(
            check_chunks(&bad, MAX_INFLATED),
            Err(BoundError::Malformed { .. })
        ));
        let bad = &compressed_change[..compressed_change.len() - 1];
        assert!(matches!(
            check_chunks(bad, MAX_INFLATED),
            Err(BoundError::Malformed { .. })
        ));
        // A change check takes one change, nothing else.
        let saved = doc.save();
        assert_eq!(
            check_change(&saved, MAX_INFLATED),
            Err(BoundError::NotAChange)
        );
        let mut two = compressed_change.clone();
        two.extend(&compressed_change);
        assert_eq!(
            check_change(&two, MAX_INFLATED),
            Err(BoundError::NotAChange)
        );
        assert!(check_change(&[], MAX_INFLATED).is_err());
    }

    #[test]
    fn damaged_saves_never_panic() {
        let mut doc = repetitive_doc(2);
        let heads = doc.get_heads();
        doc.put(ROOT, "plus", "encore").expect("put");
        let mut file = doc.save();
        file.extend(doc.save_after(&heads));
        for cut in 0..file.len() {
            let _ = check_chunks(&file[..cut], MAX_INFLATED);
        }
        let mut rng = 0x2026_u64;
        for _ in 0..3_000 {
            // xorshift, deterministic.
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let mut damaged = file.clone();
            let at = (rng % file.len() as u64) as usize;
            damaged[at] ^= 1 << (rng >> 59 & 7);
            let _ = check_chunks(&damaged, 4 * MIB);
            let _ = check_change(&damaged, 4 * MIB);
        }
    }

    #[test]
    fn messages_are_plain() {
        assert_eq!(
            BoundError::TooLarge { limit: 10 }.to_string(),
            "the data would inflate to more than 10 bytes"
        );
        assert_eq!(
            malformed(3, "truncated").to_string(),
            "malformed Automerge data at byte 3: truncated"
        );
    }
}
