//! Encryption at rest (opt-in): a data directory protected by a passphrase.
//!
//! `vault.json` at the top of the data directory says the directory is
//! sealed and how to derive its key: Argon2id over the passphrase and a
//! random salt, with the cost recorded there. Every file holding community
//! data or identity (chunks, kept views, sync states, the profile, the
//! device key, the actor, remembered addresses) is then written as
//! `PSEAL1` + a random 24-byte nonce + XChaCha20-Poly1305 ciphertext: a file
//! changed by anyone without the key fails to open instead of being read.
//! `vault.json` also holds a sealed check value, so a wrong passphrase is
//! told apart from a damaged file.
//!
//! The passphrase cannot be recovered: without it the data is lost (the
//! other members' devices still hold the communities).

use std::path::Path;
use std::sync::Arc;

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{CoreError, PassphraseError};

/// The file of a sealed data directory's key parameters.
pub const VAULT_FILE: &str = "vault.json";

/// What a sealed file starts with.
const MAGIC: &[u8; 6] = b"PSEAL1";
const NONCE: usize = 24;
/// What the check value opens to.
const CHECK: &[u8] = b"passerelle vault";

/// Argon2id cost of new vaults: 64 MiB and 3 passes (about half a second on
/// an old laptop), as OWASP suggests for interactive use.
const MEMORY_KIB: u32 = 64 * 1024;
const PASSES: u32 = 3;
/// The highest cost a vault or a backup may ask for: the file is read
/// before the passphrase can be checked, so anyone who can write one could
/// otherwise ask for days of work or an allocation that aborts the process.
const MAX_MEMORY_KIB: u32 = 4 * MEMORY_KIB;
const MAX_PASSES: u32 = 4 * PASSES;
const MAX_LANES: u32 = 8;

/// `vault.json`: how a key is derived from a passphrase, and a check value
/// telling a wrong passphrase from a damaged file (also the head of a
/// personal backup, see `backup.rs`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Vault {
    version: u32,
    kdf: String,
    memory_kib: u32,
    passes: u32,
    lanes: u32,
    /// Hex.
    salt: String,
    /// Hex: [`CHECK`] sealed with the key.
    check: String,
}

/// How files of a data directory are written and read: as they are, or
/// sealed with the directory's key.
#[derive(Clone, Default)]
pub struct Seal(Option<Arc<XChaCha20Poly1305>>);

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.write_str(if self.0.is_some() {
            "Seal(on)"
        } else {
            "Seal(off)"
        })
    }
}

impl Seal {
    /// The bytes to write for `plain`.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let Some(cipher) = &self.0 else {
            return plain.to_vec();
        };
        let nonce: [u8; NONCE] = rand::random();
        let sealed = cipher
            .encrypt(&XNonce::from(nonce), plain)
            .expect("encryption of a buffer in memory does not fail");
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE + sealed.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// The content of a file read as `bytes`; an error says why it cannot
    /// be opened (not sealed, changed, or sealed with another key).
    pub fn open(&self, bytes: Vec<u8>) -> Result<Vec<u8>, String> {
        let Some(cipher) = &self.0 else {
            return if bytes.starts_with(MAGIC) {
                Err("the file is encrypted, but this data directory is not".into())
            } else {
                Ok(bytes)
            };
        };
        let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
            return Err("the file is not encrypted, but this data directory is".into());
        };
        if rest.len() < NONCE {
            return Err("the encrypted file is cut short".into());
        }
        let (nonce, sealed) = rest.split_at(NONCE);
        let nonce: [u8; NONCE] = nonce.try_into().expect("split at NONCE");
        cipher
            .decrypt(&XNonce::from(nonce), sealed)
            .map_err(|_| "the encrypted file was changed or damaged".into())
    }
}

/// A passphrase, wiped from memory when dropped and never printed.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// The passphrase itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for Passphrase {
    fn from(s: String) -> Self {
        Self(Zeroizing::new(s))
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(…)")
    }
}

/// Whether the data directory at `root` is sealed.
pub fn is_sealed(root: &Path) -> bool {
    root.join(VAULT_FILE).is_file()
}

/// Seals a new data directory with `passphrase`: writes `vault.json`.
pub(crate) fn create(root: &Path, passphrase: &str) -> Result<Seal, CoreError> {
    let (vault, seal) = new_key(passphrase)?;
    let json = serde_json::to_vec_pretty(&vault).expect("a vault serialises");
    crate::fsio::write_atomic(&root.join(VAULT_FILE), &json, true)?;
    Ok(seal)
}

/// A new key from `passphrase` (a fresh salt), with its parameters and check value.
pub(crate) fn new_key(passphrase: &str) -> Result<(Vault, Seal), CoreError> {
    if passphrase.chars().count() < 8 {
        return Err(CoreError::Passphrase(PassphraseError::TooShort));
    }
    let salt: [u8; 16] = rand::random();
    let mut vault = Vault {
        version: 1,
        kdf: "argon2id".into(),
        memory_kib: MEMORY_KIB,
        passes: PASSES,
        lanes: 1,
        salt: data_encoding::HEXLOWER.encode(&salt),
        check: String::new(),
    };
    let seal = derive(&vault, passphrase)?;
    vault.check = data_encoding::HEXLOWER.encode(&seal.seal(CHECK));
    Ok((vault, seal))
}

/// Opens a sealed data directory with `passphrase`.
pub(crate) fn unlock(root: &Path, passphrase: &str) -> Result<Seal, CoreError> {
    let path = root.join(VAULT_FILE);
    let bytes = std::fs::read(&path).map_err(CoreError::io("read", &path))?;
    let damaged = |reason: &str| CoreError::Damaged {
        reason: format!("not a vault: {reason}"),
        quarantine: path.clone(),
        path: path.clone(),
    };
    let vault: Vault = serde_json::from_slice(&bytes).map_err(|e| damaged(&e.to_string()))?;
    open_key(&vault, passphrase).map_err(|e| match e {
        KeyError::Damaged(reason) => damaged(reason),
        KeyError::Wrong => CoreError::Passphrase(PassphraseError::Wrong),
        KeyError::Derive(e) => e,
    })
}

/// Why a key could not be derived from recorded parameters.
pub(crate) enum KeyError {
    /// The parameters are not ours or are damaged.
    Damaged(&'static str),
    /// The passphrase does not open the check value.
    Wrong,
    /// The key derivation itself failed.
    Derive(CoreError),
}

/// The key recorded by `vault`, derived from `passphrase`.
pub(crate) fn open_key(vault: &Vault, passphrase: &str) -> Result<Seal, KeyError> {
    if vault.version != 1 || vault.kdf != "argon2id" {
        return Err(KeyError::Damaged("unknown version or key derivation"));
    }
    if vault.memory_kib > MAX_MEMORY_KIB || vault.passes > MAX_PASSES || vault.lanes > MAX_LANES {
        return Err(KeyError::Damaged("a key derivation far costlier than ours"));
    }
    let check = data_encoding::HEXLOWER_PERMISSIVE
        .decode(vault.check.as_bytes())
        .map_err(|_| KeyError::Damaged("bad check value"))?;
    let seal = derive(vault, passphrase).map_err(KeyError::Derive)?;
    match seal.open(check) {
        Ok(value) if value == CHECK => Ok(seal),
        _ => Err(KeyError::Wrong),
    }
}

fn derive(vault: &Vault, passphrase: &str) -> Result<Seal, CoreError> {
    let bad = |e: String| CoreError::Passphrase(PassphraseError::Derive(e));
    let salt = data_encoding::HEXLOWER_PERMISSIVE
        .decode(vault.salt.as_bytes())
        .map_err(|e| bad(e.to_string()))?;
    let params = argon2::Params::new(vault.memory_kib, vault.passes, vault.lanes, Some(32))
        .map_err(|e| bad(e.to_string()))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.as_bytes(), &salt, key.as_mut())
        .map_err(|e| bad(e.to_string()))?;
    let cipher = XChaCha20Poly1305::new(&(*key).into());
    Ok(Seal(Some(Arc::new(cipher))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_file_opens_with_the_key_only_and_changes_are_caught() {
        let tmp = tempfile::tempdir().unwrap();
        let seal = create(tmp.path(), "une phrase de passe").unwrap();
        let sealed = seal.seal(b"Bonjour");
        assert!(!sealed.windows(7).any(|w| w == b"Bonjour"));
        assert_eq!(seal.open(sealed.clone()).unwrap(), b"Bonjour");
        // Two seals of the same content differ (fresh nonces).
        assert_ne!(seal.seal(b"Bonjour"), sealed);
        let mut changed = sealed.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert!(seal.open(changed).is_err());
        assert!(seal.open(sealed[..20].to_vec()).is_err());
        assert!(seal.open(b"Bonjour".to_vec()).is_err());
        assert!(Seal::default().open(sealed).is_err());
        // The same passphrase gives the same key; another is refused.
        let again = unlock(tmp.path(), "une phrase de passe").unwrap();
        assert_eq!(again.open(seal.seal(b"x")).unwrap(), b"x");
        assert!(matches!(
            unlock(tmp.path(), "une autre phrase"),
            Err(CoreError::Passphrase(_))
        ));
        assert!(matches!(
            create(tmp.path(), "court"),
            Err(CoreError::Passphrase(_))
        ));
    }
}
