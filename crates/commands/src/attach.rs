//! `passerelle-node attach ...` and `storage`: pictures and files on items,
//! and the room they take.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Subcommand;
use passerelle_core::model::ItemId;
use passerelle_core::model::attachments::kind_of;
use passerelle_core::{AttachError, CoreError, Handle};

use crate::community;
use crate::output::{self, outln};

#[derive(Subcommand, Debug)]
pub enum AttachCmd {
    /// Attaches a file to an item (échange, event, idea, sheet, post,
    /// annuaire entry); a picture is made smaller and gets a thumbnail.
    /// Prints the attachment's hash.
    Add {
        #[arg(long)]
        community: String,
        /// The item's id.
        #[arg(long)]
        item: String,
        /// The file.
        file: PathBuf,
    },
    /// Lists an item's attachments, and whether their bytes are here.
    List {
        #[arg(long)]
        community: String,
        #[arg(long)]
        item: String,
        #[arg(long)]
        json: bool,
    },
    /// Writes an attachment's bytes (or a thumbnail's) to a file.
    Get {
        #[arg(long)]
        community: String,
        /// The attachment's hash.
        hash: String,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
    /// Takes an attachment off an item.
    Remove {
        #[arg(long)]
        community: String,
        #[arg(long)]
        item: String,
        /// The attachment's hash.
        hash: String,
    },
}

/// The item's kind, found from its id.
async fn item(
    handle: &Handle,
    c: &passerelle_core::model::CommunityId,
    id: &str,
) -> Result<(passerelle_core::model::ItemKind, ItemId)> {
    let id = ItemId(id.to_owned());
    let view = handle.view(c).await?;
    match kind_of(&view, &id) {
        Some(kind) => Ok((kind, id)),
        None => bail!(
            "no échange, event, idea, sheet, post or annuaire entry with id '{}' in this community",
            id.0
        ),
    }
}

/// Runs one `attach` subcommand.
pub(crate) async fn run(handle: &Handle, command: AttachCmd, out: &mut String) -> Result<()> {
    match command {
        AttachCmd::Add {
            community: c,
            item: id,
            file,
        } => {
            let c = community(handle, &c).await?;
            let (kind, id) = item(handle, &c, &id).await?;
            let attachment = handle.attach_file(&c, kind, &id, &file).await?;
            outln!(out, "{}", attachment.hash);
        }
        AttachCmd::List {
            community: c,
            item: id,
            json,
        } => {
            let c = community(handle, &c).await?;
            let (kind, id) = item(handle, &c, &id).await?;
            let list = handle.attachments(&c, kind, &id).await?;
            if json {
                output::print_json(out, &list);
            } else {
                for a in &list {
                    let here = if a.present { "" } else { "  (not here yet)" };
                    outln!(
                        out,
                        "{}  {}  {}  {} bytes{here}",
                        a.hash,
                        a.name,
                        a.mime,
                        a.size
                    );
                }
            }
        }
        AttachCmd::Get {
            community: c,
            hash,
            out: file,
        } => {
            let c = community(handle, &c).await?;
            let size = match handle.save_blob(&c, &hash, &file).await {
                Err(CoreError::Attach(AttachError::NotHere)) => {
                    // Not here yet: ask the peers at hand (connected ones,
                    // then those remembered), then write it.
                    match handle.fetch_blob(&c, &hash).await {
                        Ok(()) => handle.save_blob(&c, &hash, &file).await?,
                        Err(CoreError::Attach(AttachError::NotGiven(why))) => bail!(
                            "this file is not on this device yet, and no device at hand gave it ({why}); it will come at the next meeting with a member who has it"
                        ),
                        Err(e) => return Err(e.into()),
                    }
                }
                other => other?,
            };
            outln!(out, "{size} bytes written to {}", file.display());
        }
        AttachCmd::Remove {
            community: c,
            item: id,
            hash,
        } => {
            let c = community(handle, &c).await?;
            let (kind, id) = item(handle, &c, &id).await?;
            handle.detach(&c, kind, &id, &hash).await?;
        }
    }
    Ok(())
}

/// `storage`: the room attachments take; `--free` first removes what can
/// be fetched again.
pub(crate) async fn storage(
    handle: &Handle,
    free: bool,
    json: bool,
    out: &mut String,
) -> Result<()> {
    let freed = if free {
        Some(handle.free_blobs().await?)
    } else {
        handle.collect_blobs().await?;
        None
    };
    let report = handle.storage().await?;
    if json {
        let mut value = serde_json::to_value(&report)?;
        if let Some(freed) = freed {
            value["freed"] = serde_json::to_value(freed)?;
        }
        output::print_json(out, &value);
        return Ok(());
    }
    if let Some(freed) = freed {
        outln!(out, "Freed {} bytes ({} files).", freed.bytes, freed.blobs);
    }
    outln!(out, "Files: {} bytes in all", report.total);
    outln!(out, "  yours:          {}", report.own);
    outln!(
        out,
        "  others' (cache): {} of at most {}",
        report.others,
        report.cache_limit
    );
    outln!(out, "  thumbnails:     {}", report.thumbnails);
    for (id, usage) in &report.communities {
        outln!(
            out,
            "  community {id}: yours {}, others' {}, thumbnails {}",
            usage.own,
            usage.others,
            usage.thumbnails
        );
    }
    Ok(())
}
