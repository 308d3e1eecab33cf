//! `passerelle-node post ...`: the fil's announcements and comments.

use anyhow::Result;
use clap::Subcommand;
use passerelle_core::Handle;
use passerelle_core::model::{Command, FilCommand, ItemId};

use crate::{apply, community, output};

#[derive(Subcommand, Debug)]
pub enum PostCmd {
    /// Posts an announcement; prints its id.
    Add {
        #[arg(long)]
        community: String,
        #[arg(long)]
        text: String,
    },
    /// Lists posts, newest first.
    List {
        #[arg(long)]
        community: String,
        #[arg(long)]
        json: bool,
    },
    /// Comments a post; prints the comment's id.
    Comment {
        #[arg(long)]
        community: String,
        #[arg(long)]
        post: String,
        #[arg(long)]
        text: String,
    },
}

/// Runs one `post` subcommand.
pub(crate) async fn run(handle: &Handle, command: PostCmd, out: &mut String) -> Result<()> {
    match command {
        PostCmd::Add { community: c, text } => {
            let c = community(handle, &c).await?;
            let id = handle.new_id();
            apply(
                out,
                handle,
                &c,
                Command::Fil(FilCommand::AddPost { id, text }),
            )
            .await?;
        }
        PostCmd::List { community: c, json } => {
            let c = community(handle, &c).await?;
            output::posts(out, &*handle.view(&c).await?, json);
        }
        PostCmd::Comment {
            community: c,
            post,
            text,
        } => {
            let c = community(handle, &c).await?;
            let id = handle.new_id();
            let post = ItemId(post);
            let command = Command::Fil(FilCommand::AddComment { post, id, text });
            apply(out, handle, &c, command).await?;
        }
    }
    Ok(())
}
