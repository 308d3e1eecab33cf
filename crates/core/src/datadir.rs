//! The data directory: where a device keeps its identity and communities.
//!
//! ```text
//! <data>/lock                        held while a process uses the directory
//! <data>/vault.json                  only when encrypted: key derivation parameters
//! <data>/identity/device.key         iroh secret key (hex, mode 0600)
//! <data>/identity/actor              Automerge actor id of this device (hex, 0600)
//! <data>/identity/origin             where the identity was created (machine, file number)
//! <data>/profile.json                display name and preferences
//! <data>/communities/<id>/<kind>/    one directory per document: chunk files
//! <data>/communities/<id>/refused/   changes the gate refused, kept aside (`refused.rs`)
//! <data>/peers/<key>.json            per-peer Automerge sync states
//! <data>/addresses.json              remembered addresses of peers
//! <data>/network.json                port to reuse, relay setting
//! <data>/node.json                   written by `serve`: ticket and addresses
//! <data>/control.sock                control socket of the serving process
//! <data>/quarantine/                 damaged files, moved aside with a reason
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::CoreError;
use crate::seal::Seal;

/// The default data directory of this user (e.g. `~/.local/share/passerelle`).
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Passerelle", "passerelle")
        .map(|d| d.data_dir().to_owned())
}

/// An opened, locked data directory.
#[derive(Debug)]
pub struct DataDir {
    root: PathBuf,
    /// How files holding data are written: plain, or sealed (`seal.rs`).
    seal: Seal,
    // Held for the life of the node: the OS releases the lock when the process
    // dies, so a crash never leaves the directory locked.
    _lock: fs::File,
}

impl DataDir {
    /// Creates (if needed) and locks the data directory.
    pub fn open(root: &Path) -> Result<Self, CoreError> {
        if root.exists() && !root.is_dir() {
            return Err(CoreError::NotADirectory(root.to_owned()));
        }
        fs::create_dir_all(root).map_err(CoreError::io("create", root))?;
        let lock_path = root.join("lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(CoreError::io("open", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(CoreError::Locked(root.to_owned())),
            Err(fs::TryLockError::Error(e)) => return Err(CoreError::io("lock", &lock_path)(e)),
        }
        let dir = Self {
            root: root.to_owned(),
            seal: Seal::default(),
            _lock: lock,
        };
        for sub in [dir.identity_dir(), dir.communities_dir()] {
            fs::create_dir_all(&sub).map_err(CoreError::io("create", &sub))?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let id = dir.identity_dir();
            fs::set_permissions(&id, fs::Permissions::from_mode(0o700))
                .map_err(CoreError::io("protect", &id))?;
        }
        Ok(dir)
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Unlocks an encrypted directory with `passphrase`, or encrypts a new
    /// one when `encrypt` is set. A directory that is not encrypted opens
    /// as it is.
    pub(crate) fn unlock(
        &mut self,
        passphrase: Option<&str>,
        encrypt: bool,
    ) -> Result<(), CoreError> {
        if crate::seal::is_sealed(&self.root) {
            let passphrase = passphrase.ok_or_else(|| CoreError::Sealed(self.root.clone()))?;
            self.seal = crate::seal::unlock(&self.root, passphrase)?;
        } else if encrypt {
            let passphrase = passphrase.ok_or_else(|| {
                CoreError::Passphrase("choose a passphrase to encrypt this data directory".into())
            })?;
            let holds_data = self.identity_dir().join("device.key").exists()
                || fs::read_dir(self.communities_dir()).is_ok_and(|mut d| d.next().is_some());
            if holds_data {
                return Err(CoreError::Passphrase(format!(
                    "{} already holds unencrypted data; encrypt a new data directory, then join your communities from it",
                    self.root.display()
                )));
            }
            self.seal = crate::seal::create(&self.root, passphrase)?;
        }
        Ok(())
    }

    /// How this directory's files are sealed.
    pub(crate) fn seal(&self) -> &Seal {
        &self.seal
    }

    /// Reads a file holding data (opened if the directory is encrypted).
    pub(crate) fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        read_sealed(&self.seal, path)
    }

    /// Writes a file holding data crash-safely (sealed if the directory is
    /// encrypted); see [`write_atomic`].
    pub(crate) fn write(&self, path: &Path, bytes: &[u8], private: bool) -> Result<(), CoreError> {
        write_atomic(path, &self.seal.seal(bytes), private)
    }

    /// Where the device identity lives.
    pub fn identity_dir(&self) -> PathBuf {
        self.root.join("identity")
    }

    /// Where communities live.
    pub fn communities_dir(&self) -> PathBuf {
        self.root.join("communities")
    }

    /// Hydrated views kept between runs (a cache: see `viewstore`).
    pub fn views_dir(&self) -> PathBuf {
        self.root.join("views")
    }

    /// Per-peer sync states.
    pub fn peers_dir(&self) -> PathBuf {
        self.root.join("peers")
    }

    /// Remembered addresses of peers.
    pub fn address_book_path(&self) -> PathBuf {
        self.root.join("addresses.json")
    }

    /// Network settings (the port to reuse, the relay).
    pub fn net_settings_path(&self) -> PathBuf {
        self.root.join("network.json")
    }

    /// Where `serve` writes its ticket and addresses for scripts.
    pub fn node_info_path(&self) -> PathBuf {
        self.root.join("node.json")
    }

    /// The control socket of the process serving this directory.
    pub fn control_socket_path(&self) -> PathBuf {
        Self::control_socket_of(&self.root)
    }

    /// The control socket of the process serving the directory `root`: known
    /// without opening it, since that process holds its lock.
    pub fn control_socket_of(root: &Path) -> PathBuf {
        root.join("control.sock")
    }

    /// Where damaged files go.
    pub fn quarantine_dir(&self) -> PathBuf {
        self.root.join("quarantine")
    }

    /// The profile file.
    pub fn profile_path(&self) -> PathBuf {
        self.root.join("profile.json")
    }
}

/// The directory holding `path`: `.` for a bare file name, whose
/// `parent()` is empty.
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Writes a whole file crash-safely: temporary file, fsync, rename, fsync of
/// the directory. Readers see the old content or the new, never a mix.
/// `private` makes the file readable by its owner only (0600 on Unix).
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<(), CoreError> {
    let tmp = path.with_extension("tmp");
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        sync_dir(parent_dir(path))
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        CoreError::io("write", path)(e)
    })
}

/// Reads a file and opens it with `seal`: a file that cannot be opened is
/// an `InvalidData` error saying why.
pub(crate) fn read_sealed(seal: &Seal, path: &Path) -> std::io::Result<Vec<u8>> {
    let bytes = fs::read(path)?;
    seal.open(bytes)
        .map_err(|why| std::io::Error::new(std::io::ErrorKind::InvalidData, why))
}

/// Flushes a directory's entries (a rename or a removal) to disk.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}
