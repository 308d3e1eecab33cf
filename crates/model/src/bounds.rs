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
//! `read_to_end` buffer, then the chunk rebuilt around it): its peak is
//! about three times this figure, no longer a multiple of the compression
//! ratio.
//!
//! The walk is lenient where Automerge refuses bytes anyway (it does not
//! check checksums, column order, or the document's trailing head indices),
//! so it may accept bytes Automerge will then reject, but it never accepts
//! bytes that make Automerge inflate more than the limit: anything it cannot
//! size (bad magic, unknown chunk type, a length past the end, a corrupt
//! DEFLATE stream) is refused.
//!
//! Run-length encoding is not DEFLATE but bombs the same way: a column is a
//! list of runs, and one run of a few bytes claims millions of rows (a
//! 139-byte document chunk whose columns are single runs claims ten million
//! operations, and `load_incremental` builds them all: 883 MB, 7.4 s). So
//! the walk also counts, in every chunk, the rows each column decodes to
//! (`columnar/encoding/`: runs, literal runs and null runs of RLE and delta
//! columns, the counts of boolean columns), streaming over the column bytes
//! (the inflated stream for a compressed column or change) without decoding
//! a value. A chunk's operations are the most rows any of its op columns
//! holds, its changes the most any of its change columns holds (one for a
//! change chunk), leaving out the columns of a group (successors,
//! predecessors, dependencies), which are only held within the limit one by
//! one. Over all the chunks checked together, operations and changes must
//! stay within [`MAX_OPS`] and [`MAX_CHANGES`]. Column contents that do not
//! decode as their type says are refused, as are lists of more than
//! [`MAX_COLUMNS`] columns and compressed columns inside a change (Automerge
//! refuses those too).

use std::io::{ErrorKind, Read};
use std::ops::Range;

use flate2::bufread::DeflateDecoder;

/// The most an input may inflate to, in bytes: 64 MiB.
///
/// The biggest legitimate inputs come from a generated five-year community
/// (`generate` at `Size::FiveYears`, seed 2026, 155,500 changes): its
/// biggest document, the échanges, saves to 4.2 MB and inflates to 13.3 MB
/// (12.7 MiB); its six documents together (an offline bundle) save to
/// 9.3 MB and inflate to 29.2 MB (27.9 MiB). A sync message is at most one
/// 32 MiB frame of changes, which Automerge sends uncompressed. 64 MiB is
/// five times the biggest document and over twice a whole five-year
/// community, while a crafted input now costs at most that (Automerge holds
/// about three times what it inflates) instead of gigabytes: a 1 MiB
/// compressed change that inflates to 1 GiB took Automerge to 3 GiB.
pub const MAX_INFLATED: usize = 64 * 1024 * 1024;

/// The most operations an input may hold (all its chunks, or all the inputs
/// of a [`Budget`]): 5 million.
///
/// The biggest legitimate input is a generated five-year community
/// (`generate` at `Size::FiveYears`, seed 2026): its biggest document, the
/// échanges, holds 1.82 million operations (rows of its op columns; 50,732
/// changes), its six documents together (an offline bundle, one budget)
/// 3.49 million (155,300 changes); Automerge takes 358 MB to load the
/// échanges, 390 MB to hold all six. A crafted document chunk whose columns
/// are single runs costs it about 88 bytes an operation (1 million
/// operations: 92 MB; 10 million, 139 bytes of input: 883 MB and 7.4 s), so
/// one at the cap costs it about 440 MB, no longer whatever the runs claim.
/// The cap is 2.7 times the biggest document and 1.4 times a whole five-year
/// community. Operations Automerge applies one by one (a change chunk, or a
/// document loaded into a non-empty document) cost it more, about 390 bytes
/// each (a change chunk of 1 million operations: 394 MB, 10 million: 3.9 GB;
/// the échanges' own 50,732 changes: 1.05 GB): at the cap, about 2 GB.
pub const MAX_OPS: usize = 5_000_000;

/// How many operations each operation of a change chunk weighs against
/// [`MAX_OPS`]: Automerge builds a change chunk's operations one by one, at
/// about 390 bytes each, against about 88 for a document chunk's. So an
/// input of change chunks holds at most 1,000,000 operations (about 390 MB
/// at the cap). Peers send a whole document (a document chunk) when they
/// send more than a third of it, so a legitimate list of changes stays well
/// below (a third of a five-year échanges document: about 600,000).
pub const CHANGE_OP_WEIGHT: u64 = 5;

/// The most operations one change may hold: 200,000. A command writes one
/// change, and the largest (replacing a 20,000-character text) about 40,000
/// operations.
pub const MAX_CHANGE_OPS: u64 = 200_000;

/// How many operations a change weighs against [`MAX_OPS`]: Automerge
/// builds about 1.2 KB for each change of a document chunk (a crafted
/// document chunk of 1 million empty changes took it to 1.24 GB before it
/// refused the heads), fourteen times an operation.
const OPS_PER_CHANGE: usize = 14;

/// The most changes an input may hold: [`MAX_OPS`] / 14, 357,142, costing
/// Automerge about 440 MB. A five-year community holds 155,300 changes (2.3
/// times fewer), its biggest document 50,732 (7 times fewer).
pub const MAX_CHANGES: usize = MAX_OPS / OPS_PER_CHANGE;

/// The most columns in one list of column metadata: 256. Automerge 0.12
/// writes at most 16 (a document's op columns), but reads any number of
/// them, holding about 40 bytes for each while it parses: a file of
/// 2-byte column entries would cost it twenty times its size.
pub const MAX_COLUMNS: usize = 256;

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
    /// Operations Automerge builds from the input: for each chunk, the most
    /// rows any of its op columns decodes to (the columns of a group, an
    /// operation's successors or predecessors, left out).
    pub ops: usize,
    /// Changes Automerge builds from the input: for each chunk, the most
    /// rows any of its change columns decodes to (one for a change chunk).
    pub changes: usize,
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
    /// It holds more operations than the limit.
    #[error("the data holds more than {limit} operations")]
    TooManyOps {
        /// The limit it was checked against.
        limit: usize,
    },
    /// It holds more changes than the limit.
    #[error("the data holds more than {limit} changes")]
    TooManyChanges {
        /// The limit it was checked against.
        limit: usize,
    },
    /// [`check_change`] was given something else than one change chunk.
    #[error("not a single Automerge change")]
    NotAChange,
}

/// Measures what `bytes` (a file: one or more chunks, as `save()`,
/// `save_after()`, `save_incremental()` or `bundle()` write them) inflates to
/// in Automerge's `load`/`load_incremental`, refusing it if that is more than
/// `limit` bytes, if it holds more than [`MAX_OPS`] operations or
/// [`MAX_CHANGES`] changes, or if it cannot be sized.
///
/// Costs a 32 KiB buffer and one decoder, whatever the input; time is linear
/// in the input plus at most `limit` inflated bytes. Empty input is fine
/// (Automerge reads it as nothing). Several inputs held at once (the pieces
/// of a sync message, the documents of an offline bundle) share one
/// [`Budget`].
pub fn check_chunks(bytes: &[u8], limit: usize) -> Result<Inflated, BoundError> {
    let mut walk = Walk::new(limit);
    walk.file(bytes)?;
    Ok(walk.done)
}

/// One limit for several inputs held at once: the pieces of a sync message
/// read one by one, the documents of an offline bundle. Automerge keeps what
/// each of them inflates to until all are merged, so they share the limit
/// rather than each having its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    limit: usize,
    max_ops: usize,
    used: usize,
    ops: usize,
    changes: usize,
}

impl Budget {
    /// A budget of `limit` inflated bytes, [`MAX_OPS`] operations and
    /// [`MAX_CHANGES`] changes, none used.
    pub fn new(limit: usize) -> Self {
        Budget::with_max_ops(limit, MAX_OPS)
    }

    fn with_max_ops(limit: usize, max_ops: usize) -> Self {
        Budget {
            limit,
            max_ops,
            used: 0,
            ops: 0,
            changes: 0,
        }
    }

    /// [`check_chunks`] against what is left of the budget, which it then
    /// uses up. A refused input uses nothing.
    pub fn check_chunks(&mut self, bytes: &[u8]) -> Result<Inflated, BoundError> {
        let mut walk = Walk::with_max_ops(self.limit, self.max_ops);
        walk.done.inflated = self.used;
        walk.done.ops = self.ops;
        walk.done.changes = self.changes;
        walk.file(bytes)?;
        let mut done = walk.done;
        done.inflated -= self.used;
        done.ops -= self.ops;
        done.changes -= self.changes;
        self.used += done.inflated;
        self.ops += done.ops;
        self.changes += done.changes;
        Ok(done)
    }

    /// Inflated bytes of the inputs accepted so far.
    pub fn used(&self) -> usize {
        self.used
    }

    /// Operations of the inputs accepted so far.
    pub fn ops(&self) -> usize {
        self.ops
    }

    /// Changes of the inputs accepted so far.
    pub fn changes(&self) -> usize {
        self.changes
    }
}

/// Measures one change as `automerge::Change::try_from` reads it (a change
/// chunk, or a compressed change chunk as `Change::bytes()` writes it),
/// refusing anything else (another chunk type, bytes after the chunk), what
/// cannot be sized, what inflates to more than `limit` bytes, and what holds
/// more than [`MAX_OPS`] operations.
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
/// them if they inflate to more than `limit` bytes, hold more than
/// [`MAX_OPS`] operations, or cannot be sized.
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
/// running totals.
struct Walk<'a> {
    limit: usize,
    max_ops: usize,
    done: Inflated,
    decoder: Option<DeflateDecoder<&'a [u8]>>,
    scratch: Vec<u8>,
}

impl<'a> Walk<'a> {
    fn new(limit: usize) -> Self {
        Walk::with_max_ops(limit, MAX_OPS)
    }

    fn with_max_ops(limit: usize, max_ops: usize) -> Self {
        Walk {
            limit,
            max_ops,
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

    /// Rows a column may still hold: what is left of the operation limit,
    /// or of the change limit for a change column.
    fn rows_left(&self, changes: bool) -> Rows {
        let (limit, done) = if changes {
            (self.max_ops / OPS_PER_CHANGE, self.done.changes)
        } else {
            (self.max_ops, self.done.ops)
        };
        Rows {
            left: (limit - done) as u64,
            limit,
            changes,
        }
    }

    /// Adds `n` operations (or changes) to the total, refusing past the
    /// limit.
    fn count(&mut self, n: u64, changes: bool) -> Result<(), BoundError> {
        let left = self.rows_left(changes);
        if n > left.left {
            return Err(left.refused());
        }
        if changes {
            self.done.changes += n as usize;
        } else {
            self.done.ops += n as usize;
        }
        Ok(())
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

    /// Sizes one chunk's body, inflating what Automerge inflates, and counts
    /// its operations.
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
            Kind::Change => {
                self.charge(chunk_len)?;
                let rows = self.rows_left(false).per_change_op();
                let mut source = Plain {
                    bytes: &bytes[header.body.clone()],
                    pos: 0,
                    offset: header.body.start,
                };
                let ops = change_ops(&mut source, rows)?;
                self.count(ops * CHANGE_OP_WEIGHT, false)?;
                self.count(1, true)
            }
            // Inflated whole, then a change chunk header is put before it.
            Kind::Compressed => {
                let rows = self.rows_left(false).per_change_op();
                let mut source = self.inflating(&bytes[header.body.clone()], header.body.start);
                let ops = change_ops(&mut source, rows)?;
                let n = source.finish()?;
                self.done.streams += 1;
                self.charge(n)?;
                self.charge(MAGIC.len() + 4 + 1 + uleb_len(n as u64))?;
                self.count(ops * CHANGE_OP_WEIGHT, false)?;
                self.count(1, true)
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
    /// else the chunk with every compressed column inflated. Counts the rows
    /// of each list: its changes, then its operations.
    fn columns(
        &mut self,
        bytes: &'a [u8],
        chunk_len: usize,
        lists: &[(ColumnList, Range<usize>)],
    ) -> Result<(), BoundError> {
        let deflated: usize = lists.iter().map(|(list, _)| list.deflated).sum();
        self.charge(chunk_len - deflated)?;
        for (i, (list, data)) in lists.iter().enumerate() {
            // The change columns come first.
            let changes = i == 0;
            let mut meta = Reader {
                bytes: &bytes[..list.meta.end],
                pos: list.meta.start,
            };
            let count = meta.uleb()?;
            let mut offset = data.start;
            let mut rows_of = ListRows::default();
            for _ in 0..count {
                let spec = meta.uleb()?;
                let len = meta.uleb()? as usize; // checked by `columns()`
                let column = offset..offset + len;
                offset = column.end;
                let rows = self.rows_left(changes);
                let n = if spec & DEFLATE_BIT != 0 {
                    let mut source = self.inflating(&bytes[column.clone()], column.start);
                    let n = column_rows(&mut source, spec, rows)?;
                    let inflated = source.finish()?;
                    self.done.streams += 1;
                    self.charge(inflated)?;
                    n
                } else {
                    let mut source = Plain {
                        bytes: &bytes[column.clone()],
                        pos: 0,
                        offset: column.start,
                    };
                    column_rows(&mut source, spec, rows)?
                };
                rows_of.add(spec, n);
            }
            self.count(rows_of.most, changes)?;
        }
        Ok(())
    }

    /// The bytes `data` inflates to, as Automerge's `read_to_end` would see
    /// them, refused once they pass what is left of the limit.
    fn inflating(&mut self, data: &'a [u8], offset: usize) -> Inflating<'_, 'a> {
        let budget = self.limit - self.done.inflated;
        let decoder = self
            .decoder
            .get_or_insert_with(|| DeflateDecoder::new(data));
        decoder.reset(data);
        if self.scratch.is_empty() {
            self.scratch = vec![0; SCRATCH];
        }
        Inflating {
            decoder,
            scratch: &mut self.scratch,
            filled: 0,
            pos: 0,
            out: 0,
            budget,
            limit: self.limit,
            offset,
        }
    }
}

/// What is left of the operation limit, for a column being counted.
#[derive(Clone, Copy)]
struct Rows {
    left: u64,
    limit: usize,
    changes: bool,
}

impl Rows {
    /// The rows one change chunk may still hold: each of its operations
    /// weighs [`CHANGE_OP_WEIGHT`], and one change holds at most
    /// [`MAX_CHANGE_OPS`].
    fn per_change_op(self) -> Rows {
        Rows {
            left: (self.left / CHANGE_OP_WEIGHT).min(MAX_CHANGE_OPS),
            limit: self.limit,
            changes: self.changes,
        }
    }

    fn refused(self) -> BoundError {
        let limit = self.limit;
        if self.changes {
            BoundError::TooManyChanges { limit }
        } else {
            BoundError::TooManyOps { limit }
        }
    }
}

/// The bytes of a column or of a change's body, one at a time: from the
/// input, or from a DEFLATE stream as it inflates.
trait Source {
    /// The next byte, `None` at the end.
    fn byte(&mut self) -> Result<Option<u8>, BoundError>;

    /// Skips up to `n` bytes, telling how many there were.
    fn skip(&mut self, n: u64) -> Result<u64, BoundError>;

    /// Where the bytes start in the input, for errors.
    fn offset(&self) -> usize;

    fn bad(&self) -> BoundError {
        malformed(self.offset(), "bad column data")
    }

    fn truncated(&self) -> BoundError {
        malformed(self.offset(), "truncated")
    }

    /// Skips exactly `n` bytes.
    fn skip_exactly(&mut self, n: u64) -> Result<(), BoundError> {
        if self.skip(n)? == n {
            Ok(())
        } else {
            Err(self.truncated())
        }
    }

    /// A LEB128 number as its 64 bits (sign-extended if `signed`), `None`
    /// if the bytes end before it. Refused past 64 bits; overlong forms
    /// are read as they are (hexane reads them).
    fn leb(&mut self, signed: bool) -> Result<Option<u64>, BoundError> {
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            let byte = match self.byte()? {
                Some(byte) => byte,
                None if shift == 0 => return Ok(None),
                None => return Err(self.truncated()),
            };
            let bits = byte & 0x7f;
            if shift == 63 && !(bits == 0 || bits == if signed { 0x7f } else { 1 }) {
                return Err(self.bad());
            }
            value |= u64::from(bits) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if signed && shift < 64 && byte & 0x40 != 0 {
                    value |= !0 << shift;
                }
                return Ok(Some(value));
            }
            if shift > 63 {
                return Err(self.bad());
            }
        }
    }

    /// A LEB128 number that must be there.
    fn number(&mut self, signed: bool) -> Result<u64, BoundError> {
        self.leb(signed)?.ok_or_else(|| self.truncated())
    }
}

/// Bytes of the input.
struct Plain<'a> {
    bytes: &'a [u8],
    pos: usize,
    offset: usize,
}

impl Source for Plain<'_> {
    fn byte(&mut self) -> Result<Option<u8>, BoundError> {
        let byte = self.bytes.get(self.pos).copied();
        self.pos += usize::from(byte.is_some());
        Ok(byte)
    }

    fn skip(&mut self, n: u64) -> Result<u64, BoundError> {
        let n = n.min((self.bytes.len() - self.pos) as u64);
        self.pos += n as usize;
        Ok(n)
    }

    fn offset(&self) -> usize {
        self.offset
    }
}

/// Bytes of a DEFLATE stream, inflated 32 KiB at a time into one buffer
/// (the same decoder as Automerge's, so the same bytes), refused once they
/// pass `budget`.
struct Inflating<'w, 'a> {
    decoder: &'w mut DeflateDecoder<&'a [u8]>,
    scratch: &'w mut [u8],
    filled: usize,
    pos: usize,
    out: usize,
    budget: usize,
    limit: usize,
    offset: usize,
}

impl Inflating<'_, '_> {
    /// Inflates more into the buffer; false at the end of the stream.
    fn fill(&mut self) -> Result<bool, BoundError> {
        loop {
            match self.decoder.read(self.scratch) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.out += n;
                    if self.out > self.budget {
                        return Err(BoundError::TooLarge { limit: self.limit });
                    }
                    self.filled = n;
                    self.pos = 0;
                    return Ok(true);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    return Err(BoundError::Corrupt {
                        offset: self.offset,
                    });
                }
            }
        }
    }

    /// Inflates the rest of the stream, telling its whole length.
    fn finish(mut self) -> Result<usize, BoundError> {
        while self.fill()? {}
        Ok(self.out)
    }
}

impl Source for Inflating<'_, '_> {
    fn byte(&mut self) -> Result<Option<u8>, BoundError> {
        if self.pos == self.filled && !self.fill()? {
            return Ok(None);
        }
        self.pos += 1;
        Ok(Some(self.scratch[self.pos - 1]))
    }

    fn skip(&mut self, n: u64) -> Result<u64, BoundError> {
        let mut skipped = 0;
        while skipped < n {
            if self.pos == self.filled && !self.fill()? {
                break;
            }
            let step = ((self.filled - self.pos) as u64).min(n - skipped);
            self.pos += step as usize;
            skipped += step;
        }
        Ok(skipped)
    }

    fn offset(&self) -> usize {
        self.offset
    }
}

/// The next `len` bytes of a source: one column of a change's body.
struct Take<'s, S> {
    source: &'s mut S,
    left: u64,
}

impl<S: Source> Source for Take<'_, S> {
    fn byte(&mut self) -> Result<Option<u8>, BoundError> {
        if self.left == 0 {
            return Ok(None);
        }
        let byte = self.source.byte()?.ok_or_else(|| self.source.truncated())?;
        self.left -= 1;
        Ok(Some(byte))
    }

    fn skip(&mut self, n: u64) -> Result<u64, BoundError> {
        let n = n.min(self.left);
        self.source.skip_exactly(n)?;
        self.left -= n;
        Ok(n)
    }

    fn offset(&self) -> usize {
        self.source.offset()
    }
}

/// Column types (the low three bits of a specification), `columnar/`.
const GROUP: u64 = 0;
const DELTA: u64 = 3;
const BOOLEAN: u64 = 4;
const STRING: u64 = 5;
const VALUE: u64 = 7;

/// The rows of a list of columns: the most rows of any column, leaving out
/// the columns of a group (the values of a list per row: a change's
/// dependencies, an operation's predecessors or successors), which hold as
/// many rows as the group's numbers add up to. Those are only held, one by
/// one, within what is left of the limit.
#[derive(Default)]
struct ListRows {
    most: u64,
    group: Option<u64>,
}

impl ListRows {
    fn add(&mut self, spec: u64, rows: u64) {
        let id = spec >> 4;
        if spec & 0b111 == GROUP {
            self.group = Some(id);
        } else if self.group == Some(id) {
            return;
        }
        self.most = self.most.max(rows);
    }
}

/// The rows a column of specification `spec` decodes to, read to its end
/// without decoding a value, refused as soon as they pass `rows.left`.
///
/// A boolean column is a list of counts (false, true, false...); a raw
/// value column has no rows of its own (its value metadata column has
/// them); every other type is run-length encoded (`rle.rs`), a delta column
/// too: a signed count, then one value (a run), or minus that many values
/// (a literal run), or, for a count of zero, an unsigned number of nulls.
/// Values are LEB128 numbers, strings are a length and that many bytes.
fn column_rows<S: Source>(source: &mut S, spec: u64, rows: Rows) -> Result<u64, BoundError> {
    let kind = spec & 0b111;
    let mut total = 0u64;
    let mut add = |n: u64| match total.checked_add(n) {
        Some(sum) if sum <= rows.left => {
            total = sum;
            Ok(())
        }
        _ => Err(rows.refused()),
    };
    match kind {
        VALUE => {
            source.skip(u64::MAX)?;
        }
        BOOLEAN => {
            while let Some(count) = source.leb(false)? {
                add(count)?;
            }
        }
        _ => {
            // A delta column's values are signed: a large step back in
            // time (two changes' times apart) takes ten bytes, the last
            // 0x7f, which an unsigned reading refuses.
            let value = |source: &mut S| -> Result<(), BoundError> {
                let n = source.number(kind == DELTA)?;
                if kind == STRING {
                    source.skip_exactly(n)?;
                }
                Ok(())
            };
            while let Some(count) = source.leb(true)? {
                let count = count as i64;
                if count > 0 {
                    add(count as u64)?;
                    value(source)?;
                } else if count < 0 {
                    // Each value takes a byte: the loop ends with the bytes.
                    add(count.unsigned_abs())?;
                    for _ in 0..count.unsigned_abs() {
                        value(source)?;
                    }
                } else {
                    add(source.number(false)?)?;
                }
            }
        }
    }
    Ok(total)
}

/// The operations of a change chunk's body (`storage/change.rs`): the most
/// rows any of its op columns decodes to. Refuses compressed columns, as
/// Automerge does.
fn change_ops<S: Source>(source: &mut S, rows: Rows) -> Result<u64, BoundError> {
    let deps = source.number(false)?;
    source.skip_exactly(
        deps.checked_mul(HASH_LEN)
            .ok_or_else(|| source.truncated())?,
    )?;
    let actor = source.number(false)?;
    source.skip_exactly(actor)?;
    source.number(false)?; // seq
    source.number(false)?; // start op
    source.number(true)?; // time
    let message = source.number(false)?;
    source.skip_exactly(message)?;
    let actors = source.number(false)?;
    // Each actor takes at least a byte: the loop ends with the bytes.
    for _ in 0..actors {
        let len = source.number(false)?;
        source.skip_exactly(len)?;
    }
    let count = source.number(false)?;
    if count > MAX_COLUMNS as u64 {
        return Err(malformed(source.offset(), "too many columns"));
    }
    let mut columns = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let spec = source.number(false)?;
        let len = source.number(false)?;
        if spec > u64::from(u32::MAX) || spec & DEFLATE_BIT != 0 {
            return Err(malformed(source.offset(), "bad column in a change"));
        }
        columns.push((spec, len));
    }
    let mut rows_of = ListRows::default();
    for (spec, len) in columns {
        let mut column = Take {
            source: &mut *source,
            left: len,
        };
        rows_of.add(spec, column_rows(&mut column, spec, rows)?);
        column.skip_exactly(column.left)?;
    }
    // The extra bytes, to the end.
    source.skip(u64::MAX)?;
    Ok(rows_of.most)
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
        if count > MAX_COLUMNS as u64 {
            return Err(malformed(start, "too many columns"));
        }
        let mut total = 0usize;
        let mut deflated = 0usize;
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
    fn a_budget_is_shared() {
        let stream = zeros(40 * MIB);
        let piece = chunk(2, &stream);
        // Each piece alone passes; two of them do not.
        check_chunks(&piece, MAX_INFLATED).expect("40 MiB");
        let mut budget = Budget::new(MAX_INFLATED);
        let first = budget.check_chunks(&piece).expect("40 MiB");
        assert_eq!(budget.used(), first.inflated);
        too_large(budget.check_chunks(&piece), MAX_INFLATED);
        assert_eq!(budget.used(), first.inflated);
        let saved = repetitive_doc(2).save();
        let more = budget.check_chunks(&saved).expect("small");
        assert_eq!(more, check_chunks(&saved, MAX_INFLATED).expect("small"));
        assert_eq!(budget.used(), first.inflated + more.inflated);
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

    fn sleb(out: &mut Vec<u8>, mut n: i64) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if (n == 0 && byte & 0x40 == 0) || (n == -1 && byte & 0x40 != 0) {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    /// Column data holding one run of `n` rows of `value`, as a column of
    /// type `spec & 7` writes it.
    fn run(spec: u32, n: u64, value: &[u8]) -> Vec<u8> {
        let mut data = Vec::new();
        if spec & 7 == 4 {
            uleb(&mut data, n); // n times false
        } else {
            sleb(&mut data, n as i64);
            data.extend(value);
        }
        data
    }

    fn columns(out: &mut Vec<u8>, columns: &[(u32, Vec<u8>)]) {
        column_meta(
            out,
            &columns
                .iter()
                .map(|(s, d)| (*s, d.len()))
                .collect::<Vec<_>>(),
        );
    }

    /// A document chunk of one actor whose change columns hold `changes`
    /// rows and op columns `ops` rows, every column one run (the probe's
    /// `rleall`): about a hundred bytes. Checksum left wrong.
    fn rle_document(changes: u64, ops: u64) -> Vec<u8> {
        let mut body = vec![1, 16];
        body.extend([7; 16]);
        body.push(0); // heads
        let change_cols: Vec<(u32, Vec<u8>)> = vec![
            (0x01, run(0x01, changes, &[0])), // actor
            (0x03, run(0x03, changes, &[1])), // seq
            (0x13, run(0x13, changes, &[0])), // max op
            (0x23, run(0x23, changes, &[0])), // time
            (0x40, run(0x40, changes, &[0])), // deps count
            (0x56, run(0x56, changes, &[0])), // extra metadata
        ];
        let op_cols: Vec<(u32, Vec<u8>)> = vec![
            (0x15, run(0x15, ops, &[1, b'a'])), // key string
            (0x21, run(0x21, ops, &[0])),       // id actor
            (0x23, run(0x23, ops, &[1])),       // id counter
            (0x34, run(0x34, ops, &[])),        // insert
            (0x42, run(0x42, ops, &[1])),       // action
            (0x56, run(0x56, ops, &[2])),       // value metadata (true)
            (0x80, run(0x80, ops, &[0])),       // successor count
        ];
        columns(&mut body, &change_cols);
        columns(&mut body, &op_cols);
        for (_, data) in change_cols.iter().chain(&op_cols) {
            body.extend(data);
        }
        chunk(0, &body)
    }

    /// A change chunk's body whose op columns each hold one run of `ops`
    /// rows: one `put(ROOT, "a", true)` repeated.
    fn rle_change_body(ops: u64) -> Vec<u8> {
        let mut body = vec![0, 16]; // no deps, an actor
        body.extend([7; 16]);
        body.extend([1, 1, 0, 0, 0]); // seq, start op, time, message, actors
        let cols: Vec<(u32, Vec<u8>)> = vec![
            (0x15, run(0x15, ops, &[1, b'a'])), // key string
            (0x34, run(0x34, ops, &[])),        // insert
            (0x42, run(0x42, ops, &[1])),       // action
            (0x56, run(0x56, ops, &[2])),       // value metadata
            (0x70, run(0x70, ops, &[0])),       // predecessor count
        ];
        columns(&mut body, &cols);
        for (_, data) in &cols {
            body.extend(data);
        }
        body
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut compress = Compress::new(Compression::best(), false);
        let mut out = Vec::with_capacity(data.len() + 64);
        compress
            .compress_vec(data, &mut out, FlushCompress::Finish)
            .expect("deflate");
        out
    }

    fn too_many_ops(result: Result<Inflated, BoundError>) {
        assert_eq!(result, Err(BoundError::TooManyOps { limit: MAX_OPS }));
    }

    #[test]
    fn run_length_bombs_are_refused() {
        let started = std::time::Instant::now();
        // Ten million operations in about a hundred bytes, in a document,
        // a change, a compressed change, a compressed document column.
        let document = rle_document(1, 10_000_000);
        assert!(document.len() < 128, "{} bytes", document.len());
        too_many_ops(check_chunks(&document, MAX_INFLATED));
        let change = chunk(1, &rle_change_body(10_000_000));
        too_many_ops(check_chunks(&change, MAX_INFLATED));
        too_many_ops(check_change(&change, MAX_INFLATED));
        let compressed = chunk(2, &deflate(&rle_change_body(10_000_000)));
        too_many_ops(check_chunks(&compressed, MAX_INFLATED));
        too_many_ops(check_change(&compressed, MAX_INFLATED));
        let mut body = vec![0, 0, 0]; // no actors, heads or change columns
        let ids = run(0x21, 10_000_000, &[0]);
        column_meta(&mut body, &[(0x21 | 8, deflate(&ids).len())]);
        body.extend(deflate(&ids));
        too_many_ops(check_chunks(&chunk(0, &body), MAX_INFLATED));
        // Ten million changes.
        assert_eq!(
            check_chunks(&rle_document(10_000_000, 1), MAX_INFLATED),
            Err(BoundError::TooManyChanges { limit: MAX_CHANGES })
        );
        // In a sync message, after a real save.
        let mut doc = repetitive_doc(1);
        let mut message = doc
            .sync()
            .generate_sync_message(&mut automerge::sync::State::new())
            .expect("a message");
        message.changes = vec![doc.save(), change.clone()].into();
        let message = automerge::sync::Message::decode(&message.encode()).expect("decodes");
        too_many_ops(check_sync_message(&message, MAX_INFLATED));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        // Below the cap, the same shapes pass and are counted.
        let checked = check_chunks(&rle_document(3, 1_000_000), MAX_INFLATED).expect("passes");
        assert_eq!((checked.ops, checked.changes), (1_000_000, 3));
        // A change chunk's operations weigh five each, and one change holds
        // at most `MAX_CHANGE_OPS`.
        let checked = check_change(&compressed_change(150_000), MAX_INFLATED).expect("passes");
        assert_eq!((checked.ops, checked.changes), (750_000, 1));
        too_many_ops(check_change(
            &compressed_change(MAX_CHANGE_OPS + 1),
            MAX_INFLATED,
        ));
    }

    fn compressed_change(ops: u64) -> Vec<u8> {
        chunk(2, &deflate(&rle_change_body(ops)))
    }

    #[test]
    fn operations_add_up_across_chunks_and_a_budget() {
        let piece = rle_document(1, 3_000_000);
        check_chunks(&piece, MAX_INFLATED).expect("3 million");
        let two = [piece.clone(), piece.clone()].concat();
        too_many_ops(check_chunks(&two, MAX_INFLATED));
        let mut budget = Budget::new(MAX_INFLATED);
        budget.check_chunks(&piece).expect("3 million");
        too_many_ops(budget.check_chunks(&piece));
        assert_eq!((budget.ops(), budget.changes()), (3_000_000, 1));
        // The limit is exact.
        let mut walk = Walk::with_max_ops(MAX_INFLATED, 3_000_000);
        walk.file(&piece).expect("exactly at the limit");
        let mut walk = Walk::with_max_ops(MAX_INFLATED, 2_999_999);
        assert_eq!(
            walk.file(&piece),
            Err(BoundError::TooManyOps { limit: 2_999_999 })
        );
    }

    #[test]
    fn odd_columns_are_refused() {
        // A literal run cut short, a string longer than its column.
        let mut body = vec![0, 0, 0];
        column_meta(&mut body, &[(0x21, 2)]);
        body.extend([0x7d, 1]); // three literal values, one there
        assert!(matches!(
            check_chunks(&chunk(0, &body), MAX_INFLATED),
            Err(BoundError::Malformed { .. })
        ));
        let mut body = rle_change_body(1);
        let at = body.len() - 1; // the last column: predecessor count
        body[at - 2] = 0x7f; // key string: a literal run of one...
        let _ = check_chunks(&chunk(1, &body), MAX_INFLATED); // never panics
        // A compressed column in a change, as Automerge refuses it.
        let mut body = vec![0, 16];
        body.extend([7; 16]);
        body.extend([1, 1, 0, 0, 0]);
        let ids = deflate(&run(0x42, 3, &[1]));
        column_meta(&mut body, &[(0x42 | 8, ids.len())]);
        body.extend(&ids);
        assert!(matches!(
            check_chunks(&chunk(1, &body), MAX_INFLATED),
            Err(BoundError::Malformed { .. })
        ));
        // Too many columns.
        let mut body = vec![0, 0, 0];
        column_meta(&mut body, &vec![(0x21, 0); MAX_COLUMNS + 1]);
        assert!(matches!(
            check_chunks(&chunk(0, &body), MAX_INFLATED),
            Err(BoundError::Malformed { .. })
        ));
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
