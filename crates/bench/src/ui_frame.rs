//! CPU time of one app frame on the Échanges screen with 10,000 échanges.

use anyhow::Result;

use crate::Effort;

/// Returns the median and 99th percentile frame times, in ms.
pub fn ui_frame(_effort: Effort) -> Result<(f64, f64)> {
    anyhow::bail!("the ui_frame scenario is not written yet")
}
