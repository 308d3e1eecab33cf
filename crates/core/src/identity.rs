//! This device's identity (its iroh device key and its Automerge actor), and
//! the check that a data directory was not copied from another device.
//!
//! Two devices with the same Automerge actor write different changes under
//! the same actor and sequence numbers: their documents can no longer sync,
//! with anyone. A data directory copied to a second laptop (or restored from
//! a backup while the original is still in use) would do exactly that. So
//! `identity/origin` records where the identity was created: a hash of the
//! machine's id and the file number (inode) of `identity/device.key`. A copy
//! has a new file number, and on another machine another machine id; then
//! the copy gets a new device key and a new actor of its own, and forgets
//! the sync states of the original (they describe the original's peers).
//!
//! A data directory moved to another disk looks like a copy too: it gets a
//! new identity, which is safe (the member adds the device again). A
//! directory from before this check has no `origin` and is trusted once.

use std::path::Path;

use automerge::ActorId;
use passerelle_model::DeviceKey;
use passerelle_sync::DeviceSecret;
use serde::{Deserialize, Serialize};

use crate::datadir::DataDir;
use crate::error::CoreError;

/// Where an identity was created, as `identity/origin` records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Origin {
    /// BLAKE3 of the machine id (hex), empty where the system has none.
    machine: String,
    /// The file number of `identity/device.key` (its inode on Unix, its
    /// creation time elsewhere).
    file: u64,
}

/// A data directory found to be a copy, given an identity of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenewedIdentity {
    /// The device key of the device this directory was copied from.
    pub previous: DeviceKey,
    /// This device's new key.
    pub device: DeviceKey,
}

impl std::fmt::Display for RenewedIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "This data directory is a copy of the one of device {previous}. \
             Two devices with one identity would break sync for the whole community, \
             so this copy now has its own device key ({device}) and Automerge actor. \
             Its communities are all here, but other members' devices will only sync \
             with it once it has joined again with an invite.",
            previous = short(&self.previous),
            device = short(&self.device),
        )
    }
}

fn short(key: &DeviceKey) -> &str {
    key.as_str().get(..12).unwrap_or(key.as_str())
}

/// This device's identity, loaded or created.
pub(crate) struct Identity {
    pub secret: DeviceSecret,
    pub actor: ActorId,
    /// Set when this start found the directory to be a copy.
    pub renewed: Option<RenewedIdentity>,
}

/// Loads this device's identity, creating it on first start, and renews it
/// if the data directory turns out to be a copy.
pub(crate) fn load(dir: &DataDir) -> Result<Identity, CoreError> {
    let key_path = dir.identity_dir().join("device.key");
    let origin_path = dir.identity_dir().join("origin");
    let (secret, created) = load_or_create_key(dir, &key_path)?;
    if created {
        tracing::info!("created a new device identity {}", secret.public_hex());
    }
    let here = origin(&key_path)?;
    let recorded: Option<Origin> = match dir.read(&origin_path) {
        Ok(bytes) => serde_json::from_slice(&bytes).ok(),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(CoreError::io("read", &origin_path)(e)),
    };
    let copied = !created && recorded.as_ref().is_some_and(|o| *o != here);
    if !copied {
        if recorded.as_ref() != Some(&here) {
            write_origin(dir, &origin_path, &here)?;
        }
        let actor = device_actor(dir, &secret)?;
        return Ok(Identity {
            secret,
            actor,
            renewed: None,
        });
    }
    // A copy: nothing of the original's identity is kept.
    let previous = DeviceKey(secret.public_hex());
    for file in [&key_path, &dir.identity_dir().join("actor")] {
        remove_if_present(file)?;
    }
    let peers = dir.peers_dir();
    match std::fs::remove_dir_all(&peers) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(CoreError::io("remove", &peers)(e)),
    }
    let (secret, _) = load_or_create_key(dir, &key_path)?;
    write_origin(dir, &origin_path, &origin(&key_path)?)?;
    let actor = device_actor(dir, &secret)?;
    let renewed = RenewedIdentity {
        previous,
        device: DeviceKey(secret.public_hex()),
    };
    tracing::info!("{renewed}");
    Ok(Identity {
        secret,
        actor,
        renewed: Some(renewed),
    })
}

/// Installs a device key restored from a personal backup in a data
/// directory without identity, with an origin of this machine (so it is not
/// taken for a copy) and its actor. Returns the device key.
pub(crate) fn adopt(dir: &DataDir, secret: &DeviceSecret) -> Result<DeviceKey, CoreError> {
    let key_path = dir.identity_dir().join("device.key");
    dir.write(&key_path, secret.to_hex().as_bytes(), true)?;
    write_origin(dir, &dir.identity_dir().join("origin"), &origin(&key_path)?)?;
    device_actor(dir, secret)?;
    Ok(DeviceKey(secret.public_hex()))
}

fn remove_if_present(path: &Path) -> Result<(), CoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(CoreError::io("remove", path)(e)),
    }
}

fn write_origin(dir: &DataDir, path: &Path, origin: &Origin) -> Result<(), CoreError> {
    let json = serde_json::to_vec_pretty(origin).expect("an origin serialises");
    dir.write(path, &json, true)
}

/// Reads the device key, creating it (mode 0600) if there is none; says
/// whether it was created.
fn load_or_create_key(dir: &DataDir, path: &Path) -> Result<(DeviceSecret, bool), CoreError> {
    match dir.read(path) {
        Ok(bytes) => {
            let secret = std::str::from_utf8(&bytes)
                .ok()
                .and_then(DeviceSecret::from_hex)
                .ok_or_else(|| damaged_key(path))?;
            Ok((secret, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(damaged_key(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = DeviceSecret::generate();
            dir.write(path, secret.to_hex().as_bytes(), true)?;
            Ok((secret, true))
        }
        Err(e) => Err(CoreError::io("read", path)(e)),
    }
}

fn damaged_key(path: &Path) -> CoreError {
    passerelle_sync::IdentityError::Damaged {
        path: path.to_owned(),
    }
    .into()
}

/// Where the identity whose key is at `key_path` lives now.
fn origin(key_path: &Path) -> Result<Origin, CoreError> {
    let meta = std::fs::metadata(key_path).map_err(CoreError::io("read", key_path))?;
    let machine = machine_uid::get()
        .map(|id| blake3::hash(id.trim().as_bytes()).to_hex().to_string())
        .unwrap_or_default();
    Ok(Origin {
        machine,
        file: file_number(&meta),
    })
}

#[cfg(unix)]
fn file_number(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn file_number(meta: &std::fs::Metadata) -> u64 {
    meta.created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// This device's Automerge actor id: derived from its key, so every device
/// can attribute an operation to the device (and member) that wrote it. The
/// `actor` file records it for inspection; an older device's random actor is
/// replaced, which Automerge allows (its changes simply carry a new actor).
fn device_actor(dir: &DataDir, secret: &DeviceSecret) -> Result<ActorId, CoreError> {
    let actor = DeviceKey(secret.public_hex()).actor();
    let path = dir.identity_dir().join("actor");
    let recorded = match dir.read(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => None,
        Err(e) => return Err(CoreError::io("read", &path)(e)),
    };
    if recorded.as_deref().map(<[u8]>::trim_ascii) != Some(actor.to_hex_string().as_bytes()) {
        dir.write(&path, actor.to_hex_string().as_bytes(), true)?;
    }
    Ok(actor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else if entry.file_name() != "lock" {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }

    #[test]
    fn an_identity_stays_the_same_from_start_to_start() {
        let tmp = tempfile::tempdir().unwrap();
        let first = {
            let dir = DataDir::open(tmp.path()).unwrap();
            load(&dir).unwrap()
        };
        let dir = DataDir::open(tmp.path()).unwrap();
        let again = load(&dir).unwrap();
        assert!(first.renewed.is_none() && again.renewed.is_none());
        assert_eq!(first.secret.public_hex(), again.secret.public_hex());
        assert_eq!(first.actor, again.actor);
    }

    #[test]
    fn a_copied_directory_gets_a_new_key_and_actor_and_forgets_the_peers() {
        let tmp = tempfile::tempdir().unwrap();
        let (original, copy) = (tmp.path().join("a"), tmp.path().join("b"));
        let first = {
            let dir = DataDir::open(&original).unwrap();
            std::fs::create_dir_all(dir.peers_dir()).unwrap();
            std::fs::write(dir.peers_dir().join("k.json"), b"{}").unwrap();
            load(&dir).unwrap()
        };
        copy_dir(&original, &copy);
        let dir = DataDir::open(&copy).unwrap();
        let copied = load(&dir).unwrap();
        let renewed = copied.renewed.expect("the copy is noticed");
        assert_eq!(renewed.previous.as_str(), first.secret.public_hex());
        assert_eq!(renewed.device.as_str(), copied.secret.public_hex());
        assert_ne!(copied.secret.public_hex(), first.secret.public_hex());
        assert_ne!(copied.actor, first.actor);
        assert!(!dir.peers_dir().exists());
        assert!(renewed.to_string().contains("copy"));
        drop(dir);
        // Noticed once: the copy keeps its new identity from then on.
        let dir = DataDir::open(&copy).unwrap();
        let again = load(&dir).unwrap();
        assert!(again.renewed.is_none());
        assert_eq!(again.secret.public_hex(), copied.secret.public_hex());
        // The original is untouched.
        drop(dir);
        let dir = DataDir::open(&original).unwrap();
        let original = load(&dir).unwrap();
        assert!(original.renewed.is_none());
        assert_eq!(original.secret.public_hex(), first.secret.public_hex());
        assert_eq!(original.actor, first.actor);
    }

    #[test]
    fn a_directory_without_an_origin_is_trusted_once() {
        let tmp = tempfile::tempdir().unwrap();
        let (original, copy) = (tmp.path().join("a"), tmp.path().join("b"));
        let first = {
            let dir = DataDir::open(&original).unwrap();
            load(&dir).unwrap()
        };
        copy_dir(&original, &copy);
        std::fs::remove_file(copy.join("identity/origin")).unwrap();
        let dir = DataDir::open(&copy).unwrap();
        let kept = load(&dir).unwrap();
        assert!(kept.renewed.is_none());
        assert_eq!(kept.secret.public_hex(), first.secret.public_hex());
    }
}
