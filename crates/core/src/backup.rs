//! A personal backup: this device's identity and settings in one file
//! sealed with a passphrase, to bring the device back on a new machine when
//! the old one is gone for good.
//!
//! The file holds the device key, the profile (display name), the relay
//! setting and the list of communities (id and name). It does not hold the
//! community documents: the other members' devices hold them, and a restored
//! device gets them back at its first sync. The passphrase derives the key
//! as an encrypted data directory does (Argon2id, `seal.rs`); the content is
//! sealed with XChaCha20-Poly1305, so a changed file fails to open.
//!
//! A restored key IS the old device for everyone: the same key, the same
//! Automerge actor. So the backup must never be restored while the old
//! device is still in use (two devices writing as one actor break sync);
//! to add a second device, link it with a pairing ticket instead.
//!
//! ```text
//! {"format": "passerelle-backup", "version": 1,
//!  "key": {vault parameters and check value}, "data": hex(sealed JSON)}
//! ```

use std::path::Path;

use passerelle_model::{CommunityId, DeviceKey};
use passerelle_sync::DeviceSecret;
use serde::{Deserialize, Serialize};

use crate::datadir::DataDir;
use crate::error::{BackupError, CoreError, PassphraseError};
use crate::fsio::write_atomic;
use crate::handle::Handle;
use crate::node::{Joining, State};
use crate::profile::Profile;
use crate::seal::{KeyError, Passphrase, Vault, new_key, open_key};

const FORMAT: &str = "passerelle-backup";
/// The largest backup file read: a backup listing [`MAX_COMMUNITIES`]
/// communities with names of 200 characters is under 2 MiB.
const MAX_FILE: u64 = 4 * 1024 * 1024;
/// The most communities a backup may list.
const MAX_COMMUNITIES: usize = 1_000;
/// Communities restored from a backup that have not arrived yet.
const RESTORED_FILE: &str = "restored.json";

/// The backup file.
#[derive(Serialize, Deserialize)]
struct BackupFile {
    format: String,
    version: u32,
    key: Vault,
    /// Hex of the sealed [`Content`].
    data: String,
}

/// What a backup holds.
#[derive(Serialize, Deserialize)]
struct Content {
    /// The device's secret key (hex).
    device_key: String,
    profile: Option<Profile>,
    relay: Option<String>,
    communities: Vec<RestoredCommunity>,
    /// When it was made (ms since the epoch).
    created_at: i64,
}

/// A community listed in a backup.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RestoredCommunity {
    /// Its id.
    pub id: CommunityId,
    /// Its name when the backup was made.
    pub name: String,
}

/// What a restore put in place.
#[derive(Clone, Debug)]
pub struct Restored {
    /// The device key, the same as the backed-up device's.
    pub device: DeviceKey,
    /// The display name, if the backup had one.
    pub display_name: Option<String>,
    /// The communities to get back at the first sync.
    pub communities: Vec<RestoredCommunity>,
}

fn damaged(why: &str) -> CoreError {
    CoreError::Backup(BackupError::Damaged(why.to_owned()))
}

/// A backup file opened with its passphrase, not restored yet: opening
/// writes nothing, so a wrong passphrase or a damaged file costs nothing.
pub struct OpenedBackup {
    secret: DeviceSecret,
    content: Content,
}

impl OpenedBackup {
    /// The display name in the backup, if it has one.
    pub fn display_name(&self) -> Option<&str> {
        self.content
            .profile
            .as_ref()
            .map(|p| p.display_name.as_str())
    }

    /// The communities listed in the backup.
    pub fn communities(&self) -> &[RestoredCommunity] {
        &self.content.communities
    }
}

/// Opens the backup `file` with `passphrase`: the file is read and its
/// content checked, and nothing is written.
pub fn open_backup(file: &Path, passphrase: &str) -> Result<OpenedBackup, CoreError> {
    let bytes = read_bounded(file)?;
    let backup: BackupFile = serde_json::from_slice(&bytes).map_err(|e| {
        // A file that does not even name the format is another kind of file.
        let named = bytes.windows(FORMAT.len()).any(|w| w == FORMAT.as_bytes());
        if named {
            damaged(&e.to_string())
        } else {
            CoreError::Backup(BackupError::NotABackup)
        }
    })?;
    if backup.format != FORMAT {
        return Err(CoreError::Backup(BackupError::NotABackup));
    }
    if backup.version != 1 {
        return Err(damaged("unknown version"));
    }
    let seal = open_key(&backup.key, passphrase).map_err(|e| match e {
        KeyError::Damaged(why) => damaged(why),
        KeyError::Wrong => CoreError::Passphrase(PassphraseError::WrongForBackup),
        KeyError::Derive(e) => e,
    })?;
    let sealed = data_encoding::HEXLOWER_PERMISSIVE
        .decode(backup.data.as_bytes())
        .map_err(|e| damaged(&e.to_string()))?;
    let plain = seal.open(sealed).map_err(|e| damaged(&e))?;
    let content: Content = serde_json::from_slice(&plain).map_err(|e| damaged(&e.to_string()))?;
    let secret = DeviceSecret::from_hex(&content.device_key).ok_or_else(|| damaged("bad key"))?;
    check_content(&content)?;
    Ok(OpenedBackup { secret, content })
}

/// Reads `file` if it is no larger than [`MAX_FILE`], without reading more.
fn read_bounded(file: &Path) -> Result<Vec<u8>, CoreError> {
    use std::io::Read;
    let opened = std::fs::File::open(file).map_err(CoreError::io("read", file))?;
    let mut bytes = Vec::new();
    opened
        .take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(CoreError::io("read", file))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(damaged("the file is far larger than a backup"));
    }
    Ok(bytes)
}

/// Checks what a backup would write as the commands that write it check
/// it: the name as a display name, each community id as a safe directory
/// name, the relay as a relay setting. The content is the file maker's
/// choice, like any file's.
fn check_content(content: &Content) -> Result<(), CoreError> {
    if let Some(profile) = &content.profile {
        let name = passerelle_model::command::check_name("name", &profile.display_name)
            .map_err(|_| damaged("bad display name"))?;
        if name != profile.display_name {
            return Err(damaged("bad display name"));
        }
    }
    if let Some(relay) = &content.relay
        && relay != "default"
        && passerelle_sync::relay_url(relay).is_err()
    {
        return Err(damaged("bad relay"));
    }
    if content.communities.len() > MAX_COMMUNITIES {
        return Err(damaged("too many communities"));
    }
    for c in &content.communities {
        if !CommunityId::is_well_formed(c.id.as_str()) {
            return Err(damaged("bad community id"));
        }
        if c.name.chars().count() > passerelle_model::command::MAX_TITLE {
            return Err(damaged("bad community name"));
        }
    }
    Ok(())
}

/// Restores a personal backup into the data directory at `root`, which must
/// hold no identity yet. Nothing is written when the passphrase is wrong,
/// the file damaged or the directory already in use by a device.
pub fn restore_backup(root: &Path, file: &Path, passphrase: &str) -> Result<Restored, CoreError> {
    let opened = open_backup(file, passphrase)?;
    let dir = open_plain(root)?;
    let holds = |p: &Path| p.exists();
    if holds(&dir.identity_dir().join("device.key")) || holds_community(&dir) {
        return Err(CoreError::Backup(BackupError::HoldsIdentity(
            root.to_owned(),
        )));
    }
    install(&dir, opened)
}

/// Restores an opened backup into the data directory at `root` over an
/// identity that was never used: the app's first start, whose node made an
/// identity before the user chose to restore. Refused, with nothing
/// written, when the directory has a profile (a name was given), a
/// community, or an earlier restore still waiting for its communities:
/// then the identity may be known to others, and replacing it would lose it.
/// No node may run on `root` (its lock is taken).
pub fn restore_backup_over_unused(
    root: &Path,
    opened: OpenedBackup,
) -> Result<Restored, CoreError> {
    let dir = open_plain(root)?;
    let used = dir.profile_path().exists()
        || holds_community(&dir)
        || dir.root().join(RESTORED_FILE).exists();
    if used {
        return Err(CoreError::Backup(BackupError::IdentityInUse(
            root.to_owned(),
        )));
    }
    // The unused identity's traces: its sync states (of no community) and
    // the ticket a serving node wrote for scripts.
    for path in [dir.peers_dir(), dir.node_info_path()] {
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match removed {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(CoreError::io("remove", &path)(e)),
        }
    }
    install(&dir, opened)
}

/// Opens and locks `root`, refusing an encrypted directory.
fn open_plain(root: &Path) -> Result<DataDir, CoreError> {
    if crate::seal::is_sealed(root) {
        return Err(CoreError::Backup(BackupError::IntoEncrypted(
            root.to_owned(),
        )));
    }
    DataDir::open(root)
}

/// Whether the directory holds a community (or anything in its place).
fn holds_community(dir: &DataDir) -> bool {
    std::fs::read_dir(dir.communities_dir()).is_ok_and(|mut d| d.next().is_some())
}

/// Writes the backup's identity, profile, relay and list of communities.
fn install(dir: &DataDir, opened: OpenedBackup) -> Result<Restored, CoreError> {
    let OpenedBackup { secret, content } = opened;
    let device = crate::identity::adopt(dir, &secret)?;
    if let Some(profile) = &content.profile {
        let json = serde_json::to_vec_pretty(profile).expect("a profile serialises");
        dir.write(&dir.profile_path(), &json, false)?;
    }
    if let Some(relay) = &content.relay {
        let json = serde_json::json!({ "relay": relay });
        let bytes = serde_json::to_vec_pretty(&json).expect("settings serialise");
        write_atomic(&dir.net_settings_path(), &bytes, false)?;
    }
    let json = serde_json::to_vec_pretty(&content.communities).expect("a list serialises");
    dir.write(&dir.root().join(RESTORED_FILE), &json, false)?;
    Ok(Restored {
        device,
        display_name: content.profile.map(|p| p.display_name),
        communities: content.communities,
    })
}

impl Handle {
    /// The communities a restored backup listed that have not arrived yet:
    /// what the device gets back at its next sync with a member.
    pub async fn awaited_communities(&self) -> Result<Vec<RestoredCommunity>, CoreError> {
        self.call(|s| {
            let path = s.dir.root().join(RESTORED_FILE);
            let listed: Vec<RestoredCommunity> = s
                .dir
                .read(&path)
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .unwrap_or_default();
            listed
                .into_iter()
                .filter(|c| !s.communities.contains_key(&c.id))
                .collect()
        })
        .await
    }

    /// Writes a personal backup of this device to `out`, sealed with
    /// `passphrase`. Returns the communities listed in it.
    pub async fn create_backup(
        &self,
        out: &Path,
        passphrase: &Passphrase,
    ) -> Result<Vec<RestoredCommunity>, CoreError> {
        let (vault, seal) = new_key(passphrase.as_str())?;
        let out = out.to_path_buf();
        self.call(move |s| {
            let key_path = s.dir.identity_dir().join("device.key");
            let key = s
                .dir
                .read(&key_path)
                .map_err(CoreError::io("read", &key_path))?;
            let ids: Vec<CommunityId> = s.communities.keys().cloned().collect();
            let communities: Vec<RestoredCommunity> = ids
                .into_iter()
                .map(|id| RestoredCommunity {
                    name: s
                        .view(&id)
                        .map(|v| v.community.name.clone())
                        .unwrap_or_default(),
                    id,
                })
                .collect();
            let content = Content {
                device_key: String::from_utf8_lossy(&key).trim().to_owned(),
                profile: s.profile.clone(),
                relay: crate::settings::read(s.dir.root()).relay,
                communities: communities.clone(),
                created_at: crate::clock::now(),
            };
            let plain =
                zeroize::Zeroizing::new(serde_json::to_vec(&content).expect("a backup serialises"));
            let file = BackupFile {
                format: FORMAT.into(),
                version: 1,
                key: vault,
                data: data_encoding::HEXLOWER.encode(&seal.seal(&plain)),
            };
            let json = serde_json::to_vec_pretty(&file).expect("a backup serialises");
            write_atomic(&out, &json, true)?;
            Ok(communities)
        })
        .await?
    }
}

/// Communities restored from a backup and not held yet are fetched from
/// `via` during the next session with it (as when joining).
pub(crate) fn expect_restored(s: &mut State, via: &DeviceKey) {
    let path = s.dir.root().join(RESTORED_FILE);
    let Ok(bytes) = s.dir.read(&path) else {
        return;
    };
    let listed: Vec<RestoredCommunity> = serde_json::from_slice(&bytes).unwrap_or_default();
    let missing: Vec<RestoredCommunity> = listed
        .into_iter()
        .filter(|c| !s.communities.contains_key(&c.id))
        .collect();
    if missing.is_empty() {
        let _ = std::fs::remove_file(&path);
        return;
    }
    for c in missing {
        s.peers.joining.entry(c.id).or_insert(Joining {
            via: via.clone(),
            docs: Default::default(),
            ledgers: Default::default(),
        });
    }
}
