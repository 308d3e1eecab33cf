//! The background work of attachments, on the bridge's runtime: attaching
//! a chosen file, reading a blob (fetched from the devices at hand when it
//! is not here), writing one where the person said or where it is opened.

use std::path::{Path, PathBuf};

use passerelle_core::model::{Attachment, CommunityId, ItemId, ItemKind};
use passerelle_core::{AttachError, CoreError, Handle};

use super::Chosen;
use crate::bridge::{Bridge, Msg};
use crate::i18n::Lang;
use crate::i18n::errors::Problem;

/// What failed when a file could not be written to be opened.
pub(super) fn open_doing(lang: Lang) -> &'static str {
    lang.attachments().open_doing
}

/// A failed attachment, said with what was being done.
pub(super) fn attach_problem(e: CoreError) -> Problem {
    Problem::new(e).doing(|l| l.attachments().attach_failed)
}

/// Attaches a chosen file: by its path, or (a dropped file with no path
/// here) by its bytes, read off the async workers.
pub(super) async fn attach(
    h: &Handle,
    community: &CommunityId,
    kind: ItemKind,
    id: &ItemId,
    chosen: Chosen,
) -> Result<Attachment, CoreError> {
    let name = chosen.name();
    let file = match chosen {
        Chosen::Path(path) => return h.attach_file(community, kind, id, &path).await,
        Chosen::Dropped(file) => file,
    };
    let path = file.path().to_owned();
    let is_file = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || path.is_file()).await
    };
    if is_file.unwrap_or(false) {
        return h.attach_file(community, kind, id, &path).await;
    }
    let bytes = tokio::task::spawn_blocking(move || file.bytes())
        .await
        .map_err(|_| CoreError::Failed)?
        .map_err(AttachError::Unreadable)?;
    h.attach_bytes(community, kind, id, &name, bytes).await
}

/// A blob's bytes, fetched from the devices at hand first if they are not
/// on this one (`fetching` is called then).
pub(super) async fn here(
    h: &Handle,
    community: &CommunityId,
    hash: &str,
    fetching: impl FnOnce(),
) -> Result<Vec<u8>, CoreError> {
    match h.read_blob(community, hash).await {
        Err(CoreError::Attach(AttachError::NotHere)) => {
            fetching();
            h.fetch_blob(community, hash).await?;
            h.read_blob(community, hash).await
        }
        read => read,
    }
}

/// Writes a blob to `path`, fetched first if it is not on this device.
pub(super) async fn save_here(
    h: &Handle,
    community: &CommunityId,
    hash: &str,
    path: &Path,
) -> Result<u64, CoreError> {
    match h.save_blob(community, hash, path).await {
        Err(CoreError::Attach(AttachError::NotHere)) => {
            h.fetch_blob(community, hash).await?;
            h.save_blob(community, hash, path).await
        }
        saved => saved,
    }
}

/// Writes a blob where "Enregistrer sous…" said, and tells where.
pub(super) fn save_to(bridge: &Bridge, community: CommunityId, hash: String, path: PathBuf) {
    bridge.request(move |h| async move {
        Ok(match save_here(&h, &community, &hash, &path).await {
            Ok(_) => Msg::Saved(path),
            Err(e) => Msg::Error(Problem::new(e).doing(|l| l.attachments().save_failed)),
        })
    });
}

/// Where a file is written to be opened: `<tmp>/passerelle/<hash>/<name>`,
/// the folder readable by this user only.
pub(super) fn open_place(hash: &str, name: &str) -> Result<PathBuf, CoreError> {
    let dir = std::env::temp_dir()
        .join("passerelle")
        .join(hash.get(..16).unwrap_or(hash));
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).map_err(|cause| CoreError::Io {
        action: "create",
        path: dir.clone(),
        cause,
    })?;
    Ok(dir.join(safe_name(name)))
}

/// A name that stays inside its folder: no separator, no leading dot.
fn safe_name(name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let name = name.trim().trim_start_matches('.');
    if name.is_empty() {
        "fichier".to_owned()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_opened_stays_in_its_folder() {
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name(".bashrc"), "bashrc");
        assert_eq!(safe_name(""), "fichier");
        assert_eq!(safe_name("compte rendu.pdf"), "compte rendu.pdf");
    }
}
