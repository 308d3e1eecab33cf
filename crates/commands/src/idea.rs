//! `passerelle-node idea ...`: ideas of the community's typology and votes
//! (workshops have their own, `workshop.rs`).

use anyhow::Result;
use clap::Subcommand;
use passerelle_core::Handle;
use passerelle_core::model::{Command, IdeaCommand, ItemId};

use crate::{apply, community, output};

#[derive(Subcommand, Debug)]
pub enum IdeaCmd {
    /// Adds an idea; prints its id.
    Add {
        #[arg(long)]
        community: String,
        #[arg(long)]
        text: String,
        /// A theme id or label from the typology.
        #[arg(long)]
        theme: Option<String>,
        /// The workshop table number.
        #[arg(long)]
        table: Option<i64>,
    },
    /// Votes for an idea (once per member).
    Vote {
        #[arg(long)]
        community: String,
        #[arg(long)]
        idea: String,
    },
    /// Lists ideas.
    List {
        #[arg(long)]
        community: String,
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `idea` subcommand.
pub(crate) async fn run(handle: &Handle, command: IdeaCmd, out: &mut String) -> Result<()> {
    match command {
        IdeaCmd::Add {
            community: c,
            text,
            theme,
            table,
        } => {
            let c = community(handle, &c).await?;
            let id = handle.new_id();
            apply(
                out,
                handle,
                &c,
                Command::Ideas(IdeaCommand::AddIdea {
                    id,
                    text,
                    theme,
                    table,
                }),
            )
            .await?;
        }
        IdeaCmd::Vote { community: c, idea } => {
            let c = community(handle, &c).await?;
            let idea = ItemId(idea);
            apply(out, handle, &c, Command::Ideas(IdeaCommand::Vote { idea })).await?;
        }
        IdeaCmd::List { community: c, json } => {
            let c = community(handle, &c).await?;
            output::ideas(out, &*handle.view(&c).await?, json);
        }
    }
    Ok(())
}
