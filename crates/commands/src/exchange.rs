//! `passerelle-node exchange ...`: offers and needs, their status and replies.

use anyhow::Result;
use clap::Subcommand;
use passerelle_core::Handle;
use passerelle_core::model::{
    Command, ExchangeCommand, ExchangeKind, ExchangeMode, ExchangeStatus, ItemId, ReplyKind,
};

use crate::args::parse;
use crate::{apply, community, output};

#[derive(Subcommand, Debug)]
pub enum ExchangeCmd {
    /// Posts an offer or a need; prints its id.
    Add {
        #[arg(long)]
        community: String,
        /// offer or need
        #[arg(long, value_parser = parse::<ExchangeKind>)]
        kind: ExchangeKind,
        #[arg(long)]
        title: String,
        /// A category id or label (see the community's categories).
        #[arg(long)]
        category: String,
        /// savoir, coup_de_main, troc, don or pret (default: coup_de_main)
        #[arg(long, value_parser = parse::<ExchangeMode>)]
        mode: Option<ExchangeMode>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        place: Option<String>,
    },
    /// Lists offers and needs, newest first.
    List {
        #[arg(long)]
        community: String,
        #[arg(long)]
        json: bool,
    },
    /// Marks an échange open, in progress or done.
    Status {
        #[arg(long)]
        community: String,
        #[arg(long)]
        exchange: String,
        /// open, in_progress or done
        #[arg(long, value_parser = parse::<ExchangeStatus>)]
        status: ExchangeStatus,
    },
    /// Replies to an échange; prints the reply's id.
    Reply {
        #[arg(long)]
        community: String,
        #[arg(long)]
        exchange: String,
        /// can_help, interested or message
        #[arg(long, value_parser = parse::<ReplyKind>)]
        kind: ReplyKind,
        #[arg(long)]
        text: Option<String>,
    },
}

/// Runs one `exchange` subcommand.
pub(crate) async fn run(handle: &Handle, command: ExchangeCmd, out: &mut String) -> Result<()> {
    match command {
        ExchangeCmd::Add {
            community: c,
            kind,
            title,
            category,
            mode,
            description,
            place,
        } => {
            let c = community(handle, &c).await?;
            let id = handle.new_id();
            let mode = mode.unwrap_or(ExchangeMode::CoupDeMain);
            let description = description.unwrap_or_default();
            apply(
                out,
                handle,
                &c,
                Command::Exchanges(ExchangeCommand::AddExchange {
                    id,
                    kind,
                    title,
                    description,
                    category,
                    mode,
                    place,
                }),
            )
            .await?;
        }
        ExchangeCmd::List { community: c, json } => {
            let c = community(handle, &c).await?;
            output::exchanges(out, &*handle.view(&c).await?, json);
        }
        ExchangeCmd::Status {
            community: c,
            exchange,
            status,
        } => {
            let c = community(handle, &c).await?;
            apply(
                out,
                handle,
                &c,
                Command::Exchanges(ExchangeCommand::SetExchangeStatus {
                    id: ItemId(exchange),
                    status,
                }),
            )
            .await?;
        }
        ExchangeCmd::Reply {
            community: c,
            exchange,
            kind,
            text,
        } => {
            let c = community(handle, &c).await?;
            let id = handle.new_id();
            apply(
                out,
                handle,
                &c,
                Command::Exchanges(ExchangeCommand::ReplyToExchange {
                    exchange: ItemId(exchange),
                    id,
                    kind,
                    text: text.unwrap_or_default(),
                }),
            )
            .await?;
        }
    }
    Ok(())
}
