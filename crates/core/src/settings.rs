//! How this device's network is set up, kept between runs in `network.json`.

use serde::{Deserialize, Serialize};

/// How this device's network is set up, kept between runs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NetSettings {
    /// The UDP port reused at every start, so tickets stay valid.
    pub port: Option<u16>,
    /// A relay for remote sync: `default` or a URL; off when absent.
    pub relay: Option<String>,
}

/// Reads `network.json`; defaults when absent or unreadable.
pub(crate) fn read(data_dir: &std::path::Path) -> NetSettings {
    std::fs::read(data_dir.join("network.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// How much room attachments may take, kept in `storage.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageSettings {
    /// Other people's full files are kept up to this many bytes; beyond
    /// it the least recently used go (they can be fetched again).
    pub cache_limit: u64,
    /// Files up to this size are fetched at a meeting without being
    /// opened; larger ones when opened.
    pub auto_fetch: u64,
}

impl Default for StorageSettings {
    fn default() -> Self {
        StorageSettings {
            cache_limit: 1_000_000_000,
            auto_fetch: 2_000_000,
        }
    }
}

impl StorageSettings {
    /// Reads `storage.json`; defaults when absent or unreadable.
    pub fn read(data_dir: &std::path::Path) -> StorageSettings {
        std::fs::read(data_dir.join("storage.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }
}
