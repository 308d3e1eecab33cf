//! This device's owner as they introduced themselves, kept in `profile.json`.

use serde::{Deserialize, Serialize};

use crate::datadir::DataDir;
use crate::error::CoreError;
use crate::store::Store;

/// This device's owner, as they introduced themselves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The name others see.
    pub display_name: String,
}

/// Reads the profile; a damaged one is set aside and counts as none.
pub(crate) fn load(dir: &DataDir) -> Result<Option<Profile>, CoreError> {
    let path = dir.profile_path();
    let read = dir.read(&path).and_then(|bytes| {
        serde_json::from_slice::<Profile>(&bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    });
    match read {
        Ok(profile) => Ok(Some(profile)),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            let store = Store::new(
                dir.communities_dir(),
                dir.quarantine_dir(),
                dir.seal().clone(),
            );
            let q = store.quarantine(&path, &format!("not a profile: {e}"))?;
            tracing::warn!("{q}");
            Ok(None)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CoreError::io("read", &path)(e)),
    }
}
