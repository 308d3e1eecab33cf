//! Changes the gate refused, kept aside per community with their reason,
//! for moderators to look at (`passerelle-node refused list`, the app's
//! moderation screen). Never part of a document, never served.
//!
//! ```text
//! <data>/communities/<id>/refused/log.jsonl     newest entries, one JSON object a line
//! <data>/communities/<id>/refused/log.1.jsonl   the entries before them
//! ```
//!
//! The log is append-only and bounded: once `log.jsonl` passes
//! [`MAX_LOG_BYTES`] it becomes `log.1.jsonl` (the older file is dropped),
//! so a hostile peer sending refused changes for ever fills at most twice
//! that, and the latest entries are always kept. In an encrypted data
//! directory every line is sealed (hex of `seal.rs`'s format), like every
//! other file holding data.
//!
//! The bytes of a refused change are kept only as evidence of an
//! *equivocation* (two signed changes of one device under one number: the
//! device was copied or modified), with the signature that vouches for it,
//! each change at most [`MAX_EVIDENCE_BYTES`].

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use automerge::{AutoCommit, Change, ChangeHash};
use passerelle_model::gate::{Reason, Refused};
use passerelle_model::signing::Signed;
use serde::{Deserialize, Serialize};

use crate::seal::Seal;

/// Size past which the newest log file is set aside and a new one begun.
pub const MAX_LOG_BYTES: u64 = 2 * 1024 * 1024;
/// Most entries written for one batch of refused changes: a session
/// closes past 1,000 refused changes anyway.
pub const MAX_ENTRIES_PER_BATCH: usize = 1_000;
/// Largest refused change whose bytes are kept as evidence.
pub const MAX_EVIDENCE_BYTES: usize = 64 * 1024;
/// Most equivocations of one batch whose held change is looked for in the
/// document (the others are kept with the refused change and its
/// signature only).
pub const MAX_EVIDENCE_PER_BATCH: usize = 16;
/// Most entries `read` returns (the newest).
pub const MAX_LISTED: usize = 10_000;

/// Where the changes came from when no peer sent them.
pub const FROM_BUNDLE: &str = "bundle";

/// One refused change, as kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedChange {
    /// When it was refused (RFC 3339, UTC).
    pub time: String,
    /// The document it was for (`community`, `exchanges`...).
    pub doc: String,
    /// The change's hash (hex).
    pub hash: String,
    /// Who wrote it: the signing device's key, or the actor's hex.
    pub writer: String,
    /// Why, in words.
    pub reason: String,
    /// Why, for scripts: `unsigned`, `not_listed`, `equivocation`,
    /// `sequence_gap`, `second_genesis`, `after_refused`, `malformed`,
    /// `forged_genesis`, `growth_limit`, `reused_number` (an equivocation
    /// without its device's signature: no proof), `other` (a reason this
    /// version does not name).
    pub code: String,
    /// The device key of the peer that sent it, or `bundle`.
    pub from: String,
    /// For an equivocation: the proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// Proof that a device signed two changes under one number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The actor (hex) and the number both changes carry.
    pub actor: String,
    /// The sequence number both changes carry.
    pub seq: u64,
    /// The change held under that number (hex hash), if found.
    pub held: Option<String>,
    /// The refused change's Automerge bytes (hex); `None` when larger than
    /// [`MAX_EVIDENCE_BYTES`] or not at hand.
    pub change: Option<String>,
    /// The signature vouching for the refused change: over it, or over a
    /// later change of the same device whose bytes are in `chain`.
    pub signature: Option<SignatureRecord>,
    /// The device's changes from the refused one (excluded) to the signed
    /// one (included), hex, when the signature is over a later change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<String>,
}

/// A device's signature over a change, in hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureRecord {
    /// The change signed.
    pub hash: String,
    /// The signing device's key.
    pub key: String,
    /// Ed25519 signature.
    pub sig: String,
}

impl From<&Signed> for SignatureRecord {
    fn from(s: &Signed) -> Self {
        SignatureRecord {
            hash: s.hash.to_string(),
            key: data_encoding::HEXLOWER.encode(&s.key),
            sig: data_encoding::HEXLOWER.encode(&s.sig),
        }
    }
}

/// The machine-readable code of a refusal reason.
pub fn reason_code(reason: &Reason) -> &'static str {
    // Reasons the gate gains later read as `other` until named here.
    #[allow(unreachable_patterns)]
    match reason {
        Reason::Unsigned => "unsigned",
        Reason::NotListed => "not_listed",
        Reason::Equivocation { .. } => "equivocation",
        Reason::SequenceGap => "sequence_gap",
        Reason::SecondGenesis => "second_genesis",
        Reason::AfterRefused => "after_refused",
        Reason::Malformed(_) => "malformed",
        Reason::ForgedGenesis => "forged_genesis",
        _ => "other",
    }
}

/// Builds the entries for refused changes of one document.
pub fn entries(
    doc: &str,
    from: &str,
    refused: &[Refused],
    evidence: &mut HashMap<ChangeHash, Evidence>,
) -> Vec<RefusedChange> {
    let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    refused
        .iter()
        .take(MAX_ENTRIES_PER_BATCH)
        .map(|r| {
            let mut entry = RefusedChange {
                time: time.clone(),
                doc: doc.to_owned(),
                hash: r.hash.to_string(),
                writer: r.writer.clone(),
                reason: truncate(r.reason.to_string(), 300),
                code: reason_code(&r.reason).to_owned(),
                from: from.to_owned(),
                evidence: evidence.remove(&r.hash),
            };
            if let Reason::Equivocation { held_seq } = r.reason
                && entry.evidence.as_ref().is_none_or(|e| e.signature.is_none())
            {
                // Without its device's signature, a change under a number
                // already used proves nothing against that device: anyone
                // could have written it.
                entry.code = REUSED_NUMBER.to_owned();
                entry.reason = format!(
                    "a change numbered {held_seq} under a device's actor, without that device's signature"
                );
                entry.evidence = None;
            }
            entry
        })
        .collect()
}

/// Code of a change under a number its actor already used, that came
/// without its device's signature (or from a bundle, whose evidence is not
/// gathered): not counted as the device's equivocation.
pub const REUSED_NUMBER: &str = "reused_number";

/// Code of a change refused for this meeting: its device, the peer,
/// brought as much as one session allows (`peers/growth.rs`). It comes
/// again at the next meeting.
pub const GROWTH_LIMIT: &str = "growth_limit";

/// The reason said for [`GROWTH_LIMIT`].
pub const GROWTH_REASON: &str =
    "its device brought as much as one meeting allows; it comes at the next meeting";

/// Entries for the peer's own changes held back for the next meeting.
pub fn held_back(doc: &str, from: &str, hashes: &[ChangeHash]) -> Vec<RefusedChange> {
    let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    hashes
        .iter()
        .take(MAX_ENTRIES_PER_BATCH)
        .map(|h| RefusedChange {
            time: time.clone(),
            doc: doc.to_owned(),
            hash: h.to_string(),
            writer: from.to_owned(),
            reason: GROWTH_REASON.to_owned(),
            code: GROWTH_LIMIT.to_owned(),
            from: from.to_owned(),
            evidence: None,
        })
        .collect()
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut at = max;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
        text.push('…');
    }
    text
}

/// Gathers the evidence of the equivocations among `refused`: the refused
/// change's bytes (read again from the received `chunks`), the signature
/// that came with it, and the hash of the change held under that number
/// in `doc`.
pub fn evidence<'a>(
    doc: &mut AutoCommit,
    chunks: impl IntoIterator<Item = &'a [u8]>,
    signatures: &[Signed],
    refused: &[Refused],
) -> HashMap<ChangeHash, Evidence> {
    let wanted: Vec<(ChangeHash, u64)> = refused
        .iter()
        .filter_map(|r| match r.reason {
            Reason::Equivocation { held_seq } => Some((r.hash, held_seq)),
            _ => None,
        })
        .collect();
    let mut out = HashMap::new();
    if wanted.is_empty() {
        return out;
    }
    // The batch's changes (they passed Automerge's reading once already).
    let changes: HashMap<ChangeHash, Change> = chunks
        .into_iter()
        .filter_map(|bytes| {
            catch_unwind(AssertUnwindSafe(|| Change::try_from(bytes)))
                .ok()?
                .ok()
        })
        .map(|c| (c.hash(), c))
        .collect();
    for (n, (hash, seq)) in wanted.into_iter().enumerate() {
        let Some(change) = changes.get(&hash) else {
            continue;
        };
        let actor = change.actor_id().clone();
        // The held change under that number is no ancestor of the refused
        // one: it is among the changes the refused one's dependencies lack
        // (a few, for a device that forked recently). Looked for a bounded
        // number of times per batch.
        let held = (n < MAX_EVIDENCE_PER_BATCH)
            .then(|| {
                doc.get_changes_meta(change.deps())
                    .into_iter()
                    .find(|m| m.actor.as_ref() == &actor && m.seq == seq && m.hash != hash)
                    .map(|m| m.hash.to_string())
            })
            .flatten();
        let mut evidence = Evidence {
            actor: actor.to_hex_string(),
            seq,
            held,
            change: (change.raw_bytes().len() <= MAX_EVIDENCE_BYTES)
                .then(|| data_encoding::HEXLOWER.encode(change.raw_bytes())),
            signature: None,
            chain: Vec::new(),
        };
        // A signature over the change itself, or over the latest change of
        // the same run in the batch (a device signs its latest change only).
        let mine = |s: &&Signed| s.actor() == actor && s.verify();
        if let Some(s) = signatures.iter().filter(mine).find(|s| s.hash == hash) {
            evidence.signature = Some(s.into());
        } else if let Some((s, chain)) = signatures
            .iter()
            .filter(mine)
            .find_map(|s| run_to(&changes, &s.hash, &hash).map(|chain| (s, chain)))
        {
            let size: usize = chain.iter().map(|c| c.raw_bytes().len()).sum();
            if size <= MAX_EVIDENCE_BYTES {
                evidence.chain = chain
                    .iter()
                    .map(|c| data_encoding::HEXLOWER.encode(c.raw_bytes()))
                    .collect();
            }
            evidence.signature = Some(s.into());
        }
        out.insert(hash, evidence);
    }
    out
}

/// The changes of one actor from `top` down to (not including) `bottom`,
/// following each change's dependency on its predecessor, if `top`
/// reaches `bottom` that way within the batch.
fn run_to<'a>(
    changes: &'a HashMap<ChangeHash, Change>,
    top: &ChangeHash,
    bottom: &ChangeHash,
) -> Option<Vec<&'a Change>> {
    let mut chain = Vec::new();
    let mut at = changes.get(top)?;
    let actor = at.actor_id().clone();
    loop {
        chain.push(at);
        if at.deps().contains(bottom) {
            return Some(chain);
        }
        at = at
            .deps()
            .iter()
            .filter_map(|d| changes.get(d))
            // A foreign change may be numbered `u64::MAX`: no overflow.
            .find(|c| c.actor_id() == &actor && c.seq().checked_add(1) == Some(at.seq()))?;
    }
}

/// Whether a file ends with a newline.
fn ends_a_line(path: &Path) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = fs::File::open(path)?;
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// The log of one community's refused changes.
pub struct Log {
    pub(crate) dir: PathBuf,
}

impl Log {
    /// The log kept in `community_dir`.
    pub fn of(community_dir: &Path) -> Self {
        Log {
            dir: community_dir.join("refused"),
        }
    }

    fn newest(&self) -> PathBuf {
        self.dir.join("log.jsonl")
    }

    fn older(&self) -> PathBuf {
        self.dir.join("log.1.jsonl")
    }

    /// Appends entries (fsynced), setting the newest file aside first once
    /// it is past [`MAX_LOG_BYTES`].
    pub fn append(&self, seal: &Seal, entries: &[RefusedChange]) -> std::io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)?;
        let newest = self.newest();
        let size = fs::metadata(&newest).map_or(0, |m| m.len());
        if size >= MAX_LOG_BYTES {
            fs::rename(&newest, self.older())?;
            crate::fsio::sync_dir(&self.dir)?;
        }
        let mut text = Vec::new();
        if size > 0 && size < MAX_LOG_BYTES && !ends_a_line(&newest)? {
            // A write cut short by a crash: its piece stays a line of its own.
            text.push(b'\n');
        }
        for entry in entries {
            let json = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
            let line = seal.seal(&json);
            if line == json {
                text.extend_from_slice(&json);
            } else {
                text.extend_from_slice(data_encoding::HEXLOWER.encode(&line).as_bytes());
            }
            text.push(b'\n');
        }
        let mut options = fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&newest)?;
        file.write_all(&text)?;
        file.sync_data()?;
        if size == 0 {
            crate::fsio::sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// The entries kept, oldest first (at most the newest [`MAX_LISTED`]).
    /// Lines that do not read (a write cut short by a crash) are skipped.
    pub fn read(&self, seal: &Seal) -> std::io::Result<Vec<RefusedChange>> {
        let mut out = Vec::new();
        for path in [self.older(), self.newest()] {
            let file = match fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for line in std::io::BufReader::new(file).lines() {
                let line = line?;
                let json = if line.starts_with('{') {
                    line.into_bytes()
                } else {
                    let Some(plain) = data_encoding::HEXLOWER_PERMISSIVE
                        .decode(line.trim().as_bytes())
                        .ok()
                        .and_then(|b| seal.open(b).ok())
                    else {
                        continue;
                    };
                    plain
                };
                if let Ok(entry) = serde_json::from_slice(&json) {
                    out.push(entry);
                }
            }
        }
        if out.len() > MAX_LISTED {
            out.drain(..out.len() - MAX_LISTED);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> RefusedChange {
        RefusedChange {
            time: "2026-12-04T19:00:00Z".into(),
            doc: "exchanges".into(),
            hash: format!("{n:064x}"),
            writer: "ab".repeat(32),
            reason: "not signed by its device".into(),
            code: "unsigned".into(),
            from: "cd".repeat(32),
            evidence: None,
        }
    }

    #[test]
    fn the_log_keeps_the_latest_entries_within_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::of(dir.path());
        let seal = Seal::default();
        // About 330 bytes an entry: 40,000 entries are about 13 MiB sent.
        for batch in 0..40 {
            let entries: Vec<_> = (0..1_000).map(|i| entry(batch * 1_000 + i)).collect();
            log.append(&seal, &entries).unwrap();
        }
        let size = |p: PathBuf| fs::metadata(p).map_or(0, |m| m.len());
        let total = size(log.newest()) + size(log.older());
        assert!(total <= 2 * MAX_LOG_BYTES + 400_000, "{total} bytes");
        let kept = log.read(&seal).unwrap();
        assert!(kept.len() >= 6_000, "{} kept", kept.len());
        assert_eq!(kept.last(), Some(&entry(39_999)));
        // Oldest first, with no gap.
        let first: usize = usize::from_str_radix(&kept[0].hash, 16).unwrap();
        assert_eq!(first + kept.len(), 40_000);
    }

    #[test]
    fn a_line_cut_short_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::of(dir.path());
        let seal = Seal::default();
        log.append(&seal, &[entry(1)]).unwrap();
        fs::OpenOptions::new()
            .append(true)
            .open(log.newest())
            .unwrap()
            .write_all(b"{\"time\":\"2026")
            .unwrap();
        log.append(&seal, &[entry(2)]).unwrap();
        assert_eq!(log.read(&seal).unwrap(), vec![entry(1), entry(2)]);
    }
}
