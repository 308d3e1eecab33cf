//! `passerelle-node event ...`: the agenda's events and RSVPs.

use anyhow::Result;
use clap::Subcommand;
use passerelle_core::Handle;
use passerelle_core::model::{AgendaCommand, Command, ItemId, RsvpAnswer};

use crate::args::{Rfc3339, parse, rfc3339};
use crate::{apply, community, output};

#[derive(Subcommand, Debug)]
pub enum EventCmd {
    /// Adds an event; prints its id.
    Add {
        #[arg(long)]
        community: String,
        #[arg(long)]
        title: String,
        /// RFC 3339, e.g. 2026-03-14T18:30:00+01:00
        #[arg(long, value_parser = rfc3339)]
        start: Rfc3339,
        #[arg(long, value_parser = rfc3339)]
        end: Option<Rfc3339>,
        #[arg(long)]
        place: Option<String>,
        #[arg(long)]
        capacity: Option<i64>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Answers an event.
    Rsvp {
        #[arg(long)]
        community: String,
        #[arg(long)]
        event: String,
        /// yes, maybe or no
        #[arg(long, value_parser = parse::<RsvpAnswer>)]
        answer: RsvpAnswer,
    },
    /// Lists events by date.
    List {
        #[arg(long)]
        community: String,
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `event` subcommand.
pub(crate) async fn run(handle: &Handle, command: EventCmd, out: &mut String) -> Result<()> {
    match command {
        EventCmd::Add {
            community: c,
            title,
            start,
            end,
            place,
            capacity,
            description,
        } => {
            let c = community(handle, &c).await?;
            let id = handle.new_id();
            let description = description.unwrap_or_default();
            apply(
                out,
                handle,
                &c,
                Command::Agenda(AgendaCommand::AddEvent {
                    id,
                    title,
                    description,
                    start: start.0,
                    end: end.map(|e| e.0),
                    place,
                    capacity,
                }),
            )
            .await?;
        }
        EventCmd::Rsvp {
            community: c,
            event,
            answer,
        } => {
            let c = community(handle, &c).await?;
            apply(
                out,
                handle,
                &c,
                Command::Agenda(AgendaCommand::Rsvp {
                    event: ItemId(event),
                    answer,
                }),
            )
            .await?;
        }
        EventCmd::List { community: c, json } => {
            let c = community(handle, &c).await?;
            output::events(out, &*handle.view(&c).await?, json);
        }
    }
    Ok(())
}
