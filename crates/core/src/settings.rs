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
