//! Signed changes: every Automerge change is signed by the device that made
//! it, with its Ed25519 device key (the iroh secret key, whose public half is
//! the [`DeviceKey`] its actor is derived from).
//!
//! What is signed is the change's hash, behind a domain-separation prefix,
//! so a signature over a change can never be replayed as anything else. The
//! signature lives outside the change (Automerge's hash does not cover it).
//!
//! A change's hash covers its dependencies, and a device's every change
//! depends on its previous one, so one signature over a device's latest
//! change vouches for all the earlier changes of that device in its causal
//! past. A device therefore keeps, per document, only the latest signature
//! of each actor ([`Signatures`]), and sends, with a set of changes, the
//! latest signature of each actor in it: about 128 bytes per writer per
//! meeting, not per change. [`crate::gate`] checks them.

use std::collections::BTreeMap;

use automerge::{ActorId, ChangeHash};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use crate::ids::DeviceKey;

/// The prefix of every signed message.
const DOMAIN: &[u8; 32] = b"passerelle/change-signature/v1:\0";

/// Bytes of one signature record: change hash, device key, signature.
pub const RECORD: usize = 32 + 32 + 64;

/// Most signature records one frame, bundle or file may carry.
pub const MAX_RECORDS: usize = 100_000;

/// A device's signature over one change.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signed {
    /// The change signed.
    pub hash: ChangeHash,
    /// The signing device's public key.
    pub key: [u8; 32],
    /// Ed25519 over [`message`] of the hash.
    pub sig: [u8; 64],
}

impl std::fmt::Debug for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signed({} by {})", self.hash, &self.device().0[..12])
    }
}

/// The bytes a device signs for a change.
pub fn message(hash: &ChangeHash) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(DOMAIN);
    out[32..].copy_from_slice(&hash.0);
    out
}

/// Lower-case hex of bytes.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl Signed {
    /// Signs a change with a device's secret key (its 32 secret bytes).
    /// Devices sign through their iroh key; this is for tests and the
    /// generator of example histories.
    pub fn with_secret(secret: &[u8; 32], hash: ChangeHash) -> Self {
        let key = SigningKey::from_bytes(secret);
        Signed {
            hash,
            key: key.verifying_key().to_bytes(),
            sig: key.sign(&message(&hash)).to_bytes(),
        }
    }

    /// The signing device, as members list it.
    pub fn device(&self) -> DeviceKey {
        DeviceKey(hex(&self.key))
    }

    /// The Automerge actor of the signing device.
    pub fn actor(&self) -> ActorId {
        self.device().actor()
    }

    /// Whether the signature is valid for its hash and key (strict
    /// verification: no malleable or small-order keys).
    pub fn verify(&self) -> bool {
        VerifyingKey::from_bytes(&self.key)
            .and_then(|k| k.verify_strict(&message(&self.hash), &Signature::from_bytes(&self.sig)))
            .is_ok()
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.hash.0);
        out.extend_from_slice(&self.key);
        out.extend_from_slice(&self.sig);
    }

    fn read(bytes: &[u8]) -> Self {
        let mut hash = [0u8; 32];
        let mut key = [0u8; 32];
        let mut sig = [0u8; 64];
        hash.copy_from_slice(&bytes[..32]);
        key.copy_from_slice(&bytes[32..64]);
        sig.copy_from_slice(&bytes[64..RECORD]);
        Signed {
            hash: ChangeHash(hash),
            key,
            sig,
        }
    }
}

/// Encodes signature records, [`RECORD`] bytes each.
pub fn encode<'a>(records: impl IntoIterator<Item = &'a Signed>) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        r.write(&mut out);
    }
    out
}

/// Decodes signature records (not verified: [`Signed::verify`]).
pub fn decode(bytes: &[u8]) -> Result<Vec<Signed>, String> {
    if !bytes.len().is_multiple_of(RECORD) {
        return Err(format!(
            "signatures of {} bytes, not a multiple of {RECORD}",
            bytes.len()
        ));
    }
    if bytes.len() / RECORD > MAX_RECORDS {
        return Err(format!(
            "{} signatures, more than allowed",
            bytes.len() / RECORD
        ));
    }
    Ok(bytes.chunks_exact(RECORD).map(Signed::read).collect())
}

/// The latest verified signature of each actor of one document, with the
/// sequence number of the change it signs: what vouches for everything
/// that actor wrote up to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signatures {
    latest: BTreeMap<ActorId, (u64, Signed)>,
}

impl Signatures {
    /// Keeps `signed` (over the change of sequence `seq`) if it is the
    /// actor's latest; returns whether it was kept.
    pub fn keep(&mut self, seq: u64, signed: Signed) -> bool {
        let actor = signed.actor();
        match self.latest.get(&actor) {
            Some((held, _)) if *held >= seq => false,
            _ => {
                self.latest.insert(actor, (seq, signed));
                true
            }
        }
    }

    /// The latest signature held of an actor, and the sequence it signs.
    pub fn latest(&self, actor: &ActorId) -> Option<(u64, &Signed)> {
        self.latest.get(actor).map(|(seq, s)| (*seq, s))
    }

    /// How many actors have a signature.
    pub fn len(&self) -> usize {
        self.latest.len()
    }

    /// Whether no signature is held.
    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }

    /// Every signature held.
    pub fn iter(&self) -> impl Iterator<Item = &Signed> {
        self.latest.values().map(|(_, s)| s)
    }

    /// The signatures of these actors only.
    pub fn only(&self, actors: &std::collections::HashSet<ActorId>) -> Signatures {
        Signatures {
            latest: self
                .latest
                .iter()
                .filter(|(a, _)| actors.contains(*a))
                .map(|(a, v)| (a.clone(), *v))
                .collect(),
        }
    }

    /// Adds every signature of `other` that is newer.
    pub fn extend(&mut self, other: &Signatures) {
        for (seq, s) in other.latest.values() {
            self.keep(*seq, *s);
        }
    }

    /// The stored form: per record, the sequence (8 bytes, big-endian)
    /// then the record.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.latest.len() * (8 + RECORD));
        for (seq, s) in self.latest.values() {
            out.extend_from_slice(&seq.to_be_bytes());
            s.write(&mut out);
        }
        out
    }

    /// Reads the stored form. Records are not verified here: the gate
    /// verifies those it uses ([`crate::gate::merge`]), and a device's own
    /// files hold only what its gate admitted (opening a community does not
    /// verify again what this device already verified).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        const STORED: usize = 8 + RECORD;
        if !bytes.len().is_multiple_of(STORED) || bytes.len() / STORED > MAX_RECORDS {
            return Err("damaged signatures".to_owned());
        }
        let mut out = Signatures::default();
        for chunk in bytes.chunks_exact(STORED) {
            let mut seq = [0u8; 8];
            seq.copy_from_slice(&chunk[..8]);
            out.keep(u64::from_be_bytes(seq), Signed::read(&chunk[8..]));
        }
        Ok(out)
    }
}

/// Magic bytes at the start of a stored file that carries signatures before
/// its Automerge bytes. Automerge's own chunks start with `85 6f 4a 83`, so
/// files without signatures (written before) still read.
pub const FILE_MAGIC: &[u8; 6] = b"PSIGN1";

/// A stored file: signatures (stored form), then Automerge bytes.
pub fn wrap_file(signatures: &Signatures, automerge: &[u8]) -> Vec<u8> {
    let sigs = signatures.to_bytes();
    let mut out = Vec::with_capacity(FILE_MAGIC.len() + 4 + sigs.len() + automerge.len());
    out.extend_from_slice(FILE_MAGIC);
    out.extend_from_slice(&(sigs.len() as u32).to_be_bytes());
    out.extend_from_slice(&sigs);
    out.extend_from_slice(automerge);
    out
}

/// Splits a stored file into its signatures and its Automerge bytes.
pub fn unwrap_file(bytes: &[u8]) -> Result<(Signatures, &[u8]), String> {
    let Some(rest) = bytes.strip_prefix(FILE_MAGIC.as_slice()) else {
        return Ok((Signatures::default(), bytes));
    };
    if rest.len() < 4 {
        return Err("truncated signatures".to_owned());
    }
    let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
    let rest = &rest[4..];
    if rest.len() < len {
        return Err("truncated signatures".to_owned());
    }
    Ok((Signatures::from_bytes(&rest[..len])?, &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(n: u8) -> ChangeHash {
        ChangeHash([n; 32])
    }

    #[test]
    fn a_signature_verifies_for_its_hash_only_and_names_its_device() {
        let s = Signed::with_secret(&[7; 32], hash(1));
        assert!(s.verify());
        assert_eq!(s.actor(), s.device().actor());
        let mut other = s;
        other.hash = hash(2);
        assert!(
            !other.verify(),
            "a signature does not move to another change"
        );
        let mut flipped = s;
        flipped.sig[5] ^= 1;
        assert!(!flipped.verify());
        let mut key = s;
        key.key = Signed::with_secret(&[8; 32], hash(1)).key;
        assert!(!key.verify(), "nor to another key");
    }

    #[test]
    fn records_and_stored_files_read_back() {
        let a = Signed::with_secret(&[1; 32], hash(1));
        let b = Signed::with_secret(&[2; 32], hash(2));
        assert_eq!(decode(&encode([&a, &b])).unwrap(), vec![a, b]);
        assert!(decode(&[0; RECORD + 1]).is_err());

        let mut sigs = Signatures::default();
        assert!(sigs.keep(3, a));
        assert!(
            !sigs.keep(2, Signed::with_secret(&[1; 32], hash(9))),
            "older"
        );
        assert!(sigs.keep(1, b));
        let file = wrap_file(&sigs, b"automerge");
        let (back, rest) = unwrap_file(&file).unwrap();
        assert_eq!(back, sigs);
        assert_eq!(rest, b"automerge");
        let (none, plain) = unwrap_file(b"\x85\x6f\x4a\x83plain").unwrap();
        assert!(none.is_empty());
        assert_eq!(plain, b"\x85\x6f\x4a\x83plain");
        assert!(unwrap_file(&file[..12]).is_err());
    }

    #[test]
    fn records_are_read_as_written_and_verified_where_used() {
        let mut sigs = Signatures::default();
        sigs.keep(1, Signed::with_secret(&[1; 32], hash(1)));
        let mut forged = Signed::with_secret(&[2; 32], hash(2));
        forged.sig[0] ^= 0xff;
        sigs.keep(1, forged);
        let back = Signatures::from_bytes(&sigs.to_bytes()).unwrap();
        assert_eq!(back, sigs);
        // The gate verifies a record before it vouches for anything
        // (tests/gate_attacks.rs, stray_signatures_vouch_for_nothing).
        assert_eq!(back.iter().filter(|s| s.verify()).count(), 1);
    }
}
