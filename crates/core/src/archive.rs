//! Daily archives: one verified bundle per community per day in a folder of
//! the device's owner's choosing, the last N kept. What an always-on node
//! (`passerelle-node serve --backup-dir DIR --keep N`) does once a day.
//!
//! Layout: `DIR/<community id>/<YYYY-MM-DD>_<name>.passerelle`, a bundle
//! with the files the device holds (`export_bundle` with files), which the
//! app and `passerelle-node bundle import` read as any bundle. Each is
//! written as `….passerelle.partial`, read back and verified
//! (`verify_bundle`), and only then renamed, before older ones are removed;
//! a bundle that does not verify is removed and reported, and the older
//! ones stay. Only files named as archives (and partial ones) are ever
//! removed.

use std::fs::Permissions;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use passerelle_model::CommunityId;
use serde::Serialize;

use crate::bundle::verify_bundle;
use crate::error::CoreError;
use crate::handle::Handle;

/// The extension the app offers bundles with.
const EXTENSION: &str = "passerelle";
/// Added to an archive's name until it is verified.
const PARTIAL: &str = ".partial";

/// What one community's archive did today.
#[derive(Clone, Debug, Serialize)]
pub struct Archived {
    /// The community.
    pub community: CommunityId,
    /// Its name.
    pub name: String,
    /// Today's bundle.
    pub file: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Whether it was written now (false: it was already there).
    pub written: bool,
    /// Older archives removed to keep the last N.
    pub removed: Vec<PathBuf>,
}

/// A community whose archive could not be written or did not verify.
#[derive(Clone, Debug, Serialize)]
pub struct ArchiveFailure {
    /// The community.
    pub community: CommunityId,
    /// Why, in words.
    pub error: String,
}

/// One day's run over every community.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ArchiveRun {
    /// The communities archived (or already archived today).
    pub archived: Vec<Archived>,
    /// Those that failed; their older archives are untouched.
    pub failed: Vec<ArchiveFailure>,
}

impl Handle {
    /// Writes today's archive of every community held into `dir` (created
    /// if missing) unless it is there already, verifies it, and keeps the
    /// last `keep` days of each (at least one). `today` is the caller's
    /// local date: the clock is passed in.
    pub async fn archive(
        &self,
        dir: &Path,
        keep: usize,
        today: NaiveDate,
    ) -> Result<ArchiveRun, CoreError> {
        let keep = keep.max(1);
        let mut run = ArchiveRun::default();
        for summary in self.communities().await? {
            match self
                .archive_one(dir, &summary.id, &summary.name, keep, today)
                .await
            {
                Ok(archived) => run.archived.push(archived),
                Err(error) => {
                    tracing::error!("archive of {}: {error}", summary.id);
                    run.failed.push(ArchiveFailure {
                        community: summary.id,
                        error,
                    });
                }
            }
        }
        Ok(run)
    }

    async fn archive_one(
        &self,
        dir: &Path,
        community: &CommunityId,
        name: &str,
        keep: usize,
        today: NaiveDate,
    ) -> Result<Archived, String> {
        // A community in clear: for the device's owner only (the folders
        // and each archive), whatever the umask.
        let folder = dir.join(community.as_str());
        private_dir(&folder)
            .and_then(|()| std::fs::set_permissions(&folder, Permissions::from_mode(0o700)))
            .map_err(CoreError::io("create", &folder))
            .map_err(|e| e.to_string())?;
        // What a stopped run left: never an archive, removed.
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().ends_with(PARTIAL) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let existing = archives(&folder).map_err(|e| e.to_string())?;
        let (file, written) = match existing.iter().find(|(day, _)| *day == today) {
            Some((_, file)) => (file.clone(), false),
            None => {
                // Written under a name that is not an archive's, verified,
                // then renamed: a file named as an archive has always been
                // verified whole, even if the process stopped in between.
                let file = folder.join(file_name(today, name));
                let partial = folder.join(format!("{}{PARTIAL}", file_name(today, name)));
                self.export_bundle(community, &partial, true)
                    .await
                    .map_err(|e| e.to_string())?;
                std::fs::set_permissions(&partial, Permissions::from_mode(0o600))
                    .map_err(|e| format!("cannot protect {}: {e}", partial.display()))?;
                if let Err(e) = verify_file(&partial).await {
                    let _ = std::fs::remove_file(&partial);
                    return Err(e);
                }
                std::fs::rename(&partial, &file)
                    .map_err(|e| format!("cannot rename {}: {e}", partial.display()))?;
                crate::fsio::sync_dir(&folder).map_err(|e| e.to_string())?;
                (file, true)
            }
        };
        let bytes = std::fs::metadata(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?
            .len();
        // Newest first; today's is among them.
        let mut days = archives(&folder).map_err(|e| e.to_string())?;
        days.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
        let mut removed = Vec::new();
        for (_, old) in days.into_iter().skip(keep) {
            if old == file {
                continue;
            }
            std::fs::remove_file(&old)
                .map_err(|e| format!("cannot remove {}: {e}", old.display()))?;
            removed.push(old);
        }
        Ok(Archived {
            community: community.clone(),
            name: name.to_owned(),
            file,
            bytes,
            written,
            removed,
        })
    }
}

/// Makes `dir` and its missing parents for the owner only (mode 0700);
/// an existing one is left as it is (a disk mounted for the archives).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Reads an archive back and checks that all of it would be taken.
async fn verify_file(file: &Path) -> Result<(), String> {
    let path = file.to_owned();
    let check = tokio::task::spawn_blocking(move || {
        let bytes = std::fs::read(&path).map_err(CoreError::io("read", &path))?;
        verify_bundle(&bytes)
    })
    .await
    .map_err(|_| CoreError::Failed)
    .and_then(|checked| checked)
    .map_err(|e| {
        format!(
            "the bundle written to {} does not verify: {e}",
            file.display()
        )
    })?;
    if !check.is_whole() {
        return Err(format!(
            "the bundle written to {} does not verify: {} change(s) refused, {} missing, {} file(s) left out",
            file.display(),
            check.refused,
            check.missing,
            check.files_refused
        ));
    }
    Ok(())
}

/// `YYYY-MM-DD_<name as a slug>.passerelle`.
fn file_name(day: NaiveDate, name: &str) -> String {
    let slug = passerelle_model::normalize::slug(name);
    let slug: String = slug.chars().take(40).collect();
    let slug = if slug.is_empty() {
        "communaute".to_owned()
    } else {
        slug
    };
    format!("{}_{slug}.{EXTENSION}", day.format("%Y-%m-%d"))
}

/// The archives in a community's folder, with their day: files named
/// `YYYY-MM-DD_….passerelle`, nothing else.
fn archives(folder: &Path) -> Result<Vec<(NaiveDate, PathBuf)>, CoreError> {
    let entries = std::fs::read_dir(folder).map_err(CoreError::io("read", folder))?;
    Ok(entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_suffix(&format!(".{EXTENSION}"))?;
            let (day, _) = stem.split_once('_')?;
            let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
            Some((day, e.path()))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_day_and_a_readable_name() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        assert_eq!(
            file_name(day, "Jardin partagé des Lilas"),
            "2026-12-06_jardin-partage-des-lilas.passerelle"
        );
        assert_eq!(file_name(day, "…"), "2026-12-06_communaute.passerelle");
    }

    #[test]
    fn only_archives_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "2026-12-05_lilas.passerelle",
            "2026-12-06_lilas.passerelle",
            "notes.txt",
            "2026-13-01_x.passerelle",
            "lilas.passerelle",
            "2026-12-04_lilas.passerelle.tmp",
            "2026-12-04_lilas.passerelle.partial",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let mut days: Vec<String> = archives(dir.path())
            .unwrap()
            .into_iter()
            .map(|(d, _)| d.to_string())
            .collect();
        days.sort();
        assert_eq!(days, ["2026-12-05", "2026-12-06"]);
    }
}
