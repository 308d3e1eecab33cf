//! The device's secret key, created once and kept private on disk.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use data_encoding::{HEXLOWER, HEXLOWER_PERMISSIVE};
use iroh::SecretKey;

/// Why the device key could not be read or created.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Reading or writing the key file failed.
    #[error("cannot access the device key {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The key file exists but does not hold a key.
    #[error(
        "the device key {path} is damaged; move it away to create a new identity for this device"
    )]
    Damaged {
        /// The key file.
        path: PathBuf,
    },
}

/// This device's iroh secret key.
#[derive(Clone)]
pub struct DeviceSecret(SecretKey);

impl std::fmt::Debug for DeviceSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret itself.
        write!(f, "DeviceSecret({})", self.public_hex())
    }
}

impl DeviceSecret {
    /// Loads the key at `path`, or creates it (mode 0600) if there is none.
    ///
    /// The key is written to a temporary file, flushed to disk and renamed,
    /// so a crash leaves either no key or a whole one.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), IdentityError> {
        let io = |source| IdentityError::Io {
            path: path.to_owned(),
            source,
        };
        match fs::read_to_string(path) {
            Ok(text) => {
                let bytes: [u8; 32] = HEXLOWER_PERMISSIVE
                    .decode(text.trim().as_bytes())
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| IdentityError::Damaged {
                        path: path.to_owned(),
                    })?;
                Ok((Self(SecretKey::from_bytes(&bytes)), false))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SecretKey::generate();
                write_private(path, HEXLOWER.encode(&key.to_bytes()).as_bytes()).map_err(io)?;
                Ok((Self(key), true))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// A new random key.
    pub fn generate() -> Self {
        Self(SecretKey::generate())
    }

    /// A key from its hex text (as in `device.key`); `None` if it is not one.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = HEXLOWER_PERMISSIVE
            .decode(text.trim().as_bytes())
            .ok()?
            .try_into()
            .ok()?;
        Some(Self(SecretKey::from_bytes(&bytes)))
    }

    /// The secret key as hex text, for the caller to store privately.
    pub fn to_hex(&self) -> String {
        HEXLOWER.encode(&self.0.to_bytes())
    }

    /// The public key (the iroh `EndpointId`), hex-encoded: this device's key
    /// in member lists and on the command line.
    pub fn public_hex(&self) -> String {
        HEXLOWER.encode(self.0.public().as_bytes())
    }

    /// The public key's 32 bytes.
    pub fn public_bytes(&self) -> [u8; 32] {
        *self.0.public().as_bytes()
    }

    /// Signs `message` with the device key (Ed25519).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }

    /// The iroh secret key, for the endpoint.
    pub fn secret_key(&self) -> &SecretKey {
        &self.0
    }
}

/// Writes a file readable by its owner only, atomically.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.key");
        let (first, created) = DeviceSecret::load_or_create(&path).unwrap();
        assert!(created);
        let (again, created) = DeviceSecret::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(first.public_hex(), again.public_hex());
        assert_eq!(first.public_hex().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn damaged_key_is_reported_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.key");
        fs::write(&path, "not a key").unwrap();
        assert!(matches!(
            DeviceSecret::load_or_create(&path),
            Err(IdentityError::Damaged { .. })
        ));
        assert_eq!(fs::read_to_string(&path).unwrap(), "not a key");
    }
}
