//! `passerelle-node community ...`: the communities on this device.

use anyhow::Result;
use clap::Subcommand;
use passerelle_core::Handle;

use crate::output::{self, outln};

#[derive(Subcommand, Debug)]
pub enum CommunityCmd {
    /// Creates a community with you as admin; prints its id.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Lists the communities on this device.
    List {
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `community` subcommand.
pub(crate) async fn run(handle: &Handle, command: CommunityCmd, out: &mut String) -> Result<()> {
    match command {
        CommunityCmd::Create { name, description } => {
            outln!(
                out,
                "{}",
                handle
                    .create_community(&name, description.as_deref().unwrap_or(""))
                    .await?
            );
        }
        CommunityCmd::List { json } => output::communities(out, &handle.communities().await?, json),
    }
    Ok(())
}
