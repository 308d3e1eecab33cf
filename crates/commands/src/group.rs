//! `passerelle-node group ...`: thematic groups and circles.

use anyhow::Result;
use clap::Subcommand;
use passerelle_core::Handle;
use passerelle_core::model::{Command, GroupCommand};

use crate::{apply, community, output};

#[derive(Subcommand, Debug)]
pub enum GroupCmd {
    /// Creates a group; prints its id.
    Add {
        #[arg(long)]
        community: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        theme: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Lists groups.
    List {
        #[arg(long)]
        community: String,
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `group` subcommand.
pub(crate) async fn run(handle: &Handle, command: GroupCmd, out: &mut String) -> Result<()> {
    match command {
        GroupCmd::Add {
            community: c,
            name,
            theme,
            description,
        } => {
            let c = community(handle, &c).await?;
            let id = handle.new_id();
            apply(
                out,
                handle,
                &c,
                Command::Groups(GroupCommand::AddGroup {
                    id,
                    name,
                    theme,
                    description: description.unwrap_or_default(),
                }),
            )
            .await?;
        }
        GroupCmd::List { community: c, json } => {
            let c = community(handle, &c).await?;
            output::groups(out, &*handle.view(&c).await?, json);
        }
    }
    Ok(())
}
