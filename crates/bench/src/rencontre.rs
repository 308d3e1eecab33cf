//! The Grande Rencontre: 60 nodes at 6 tables, meeting in pairs.

use anyhow::Result;

use crate::{Effort, Rencontre};

/// Runs the rencontre scenario.
pub async fn rencontre(_effort: Effort) -> Result<Rencontre> {
    anyhow::bail!("the rencontre scenario is not written yet")
}
