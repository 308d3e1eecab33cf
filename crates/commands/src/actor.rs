//! `passerelle-node actor ...`: the annuaire's people, organisations and
//! places (making a place bookable is `place.rs`'s).

use anyhow::Result;
use clap::Subcommand;
use passerelle_core::Handle;
use passerelle_core::model::{ActorKind, AnnuaireCommand, Command, Contact};

use crate::args::parse;
use crate::{apply, community, output};

#[derive(Subcommand, Debug)]
pub enum ActorCmd {
    /// Adds a person, organisation or place; prints its id.
    Add {
        #[arg(long)]
        community: String,
        /// person, organisation or place
        #[arg(long, value_parser = parse::<ActorKind>)]
        kind: ActorKind,
        #[arg(long)]
        name: String,
        /// Comma-separated tags.
        #[arg(long)]
        tags: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        website: Option<String>,
        #[arg(long)]
        address: Option<String>,
    },
    /// Lists the annuaire.
    List {
        #[arg(long)]
        community: String,
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `actor` subcommand.
pub(crate) async fn run(handle: &Handle, command: ActorCmd, out: &mut String) -> Result<()> {
    match command {
        ActorCmd::Add {
            community: c,
            kind,
            name,
            tags,
            description,
            email,
            phone,
            website,
            address,
        } => {
            let c = community(handle, &c).await?;
            let id = handle.new_id();
            let contact = Contact {
                email,
                phone,
                website,
            };
            let tags = tags
                .map(|t| t.split(',').map(|s| s.trim().to_owned()).collect())
                .unwrap_or_default();
            let description = description.unwrap_or_default();
            apply(
                out,
                handle,
                &c,
                Command::Annuaire(AnnuaireCommand::AddActor {
                    id,
                    kind,
                    name,
                    description,
                    contact,
                    address,
                    tags,
                }),
            )
            .await?;
        }
        ActorCmd::List { community: c, json } => {
            let c = community(handle, &c).await?;
            output::actors(out, &*handle.view(&c).await?, json);
        }
    }
    Ok(())
}
