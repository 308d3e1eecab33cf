//! `passerelle-node`: the headless, scriptable face of a Passerelle node.
//!
//! Every command opens the data directory, does one thing and exits. Results
//! go to stdout (`add` commands print the new id and nothing else; listings
//! take `--json`), errors to stderr in plain words with a non-zero exit code.

mod args;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use passerelle_core::model::{Command, CommunityId, Contact, ExchangeMode, ItemId};
use passerelle_core::{ExportFormat, Handle, Node, NodeConfig};

use args::{
    ActorCmd, Cli, CommunityCmd, EventCmd, ExchangeCmd, GroupCmd, IdeaCmd, PostCmd, SheetCmd, Sub,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PASSERELLE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn data_dir(cli: &Cli) -> Result<PathBuf> {
    match &cli.data_dir {
        Some(dir) => Ok(dir.clone()),
        None => passerelle_core::default_data_dir()
            .context("no home directory found; pass --data-dir DIR"),
    }
}

async fn run(cli: Cli) -> Result<()> {
    let dir = data_dir(&cli)?;
    // Only commands that set a device up may create the data directory; the
    // others must not leave a fresh one behind when they fail.
    let creates = matches!(
        cli.command,
        Sub::Init { .. }
            | Sub::Id
            | Sub::Demo
            | Sub::Community {
                command: CommunityCmd::Create { .. }
            }
    );
    if !creates && !dir.exists() {
        bail!(
            "no Passerelle data at {}; start with: passerelle-node init --name NAME",
            dir.display()
        );
    }
    let node = Node::start(NodeConfig { data_dir: dir })?;
    let handle = node.handle();
    for q in handle.quarantined().await? {
        eprintln!("warning: {q}");
    }
    let result = dispatch(&handle, cli.command).await;
    drop(handle);
    node.shutdown().await;
    result
}

/// Checks that a community id names a community on this device.
async fn community(handle: &Handle, id: &str) -> Result<CommunityId> {
    let id = CommunityId(id.trim().to_owned());
    let known = handle.communities().await?;
    if !known.iter().any(|c| c.id == id) {
        return Err(passerelle_core::CoreError::UnknownCommunity(id).into());
    }
    Ok(id)
}

async fn apply(handle: &Handle, community: &CommunityId, command: Command) -> Result<()> {
    let outcome = handle.apply(community, command).await?;
    println!("{}", outcome.id);
    Ok(())
}

async fn dispatch(handle: &Handle, command: Sub) -> Result<()> {
    match command {
        Sub::Init { name } => {
            let profile = handle.set_display_name(&name).await?;
            eprintln!(
                "Bienvenue, {} ! Data directory: {}",
                profile.display_name,
                handle.data_dir().display()
            );
            println!("{}", handle.device_key());
        }
        Sub::Id => println!("{}", handle.device_key()),
        Sub::Demo => println!("{}", handle.load_example().await?),
        Sub::Community { command } => match command {
            CommunityCmd::Create { name, description } => {
                println!(
                    "{}",
                    handle
                        .create_community(&name, description.as_deref().unwrap_or(""))
                        .await?
                );
            }
            CommunityCmd::List { json } => output::communities(&handle.communities().await?, json),
        },
        Sub::Exchange { command } => match command {
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
                    handle,
                    &c,
                    Command::AddExchange {
                        id,
                        kind,
                        title,
                        description,
                        category,
                        mode,
                        place,
                    },
                )
                .await?;
            }
            ExchangeCmd::List { community: c, json } => {
                let c = community(handle, &c).await?;
                output::exchanges(&*handle.view(&c).await?, json);
            }
            ExchangeCmd::Status {
                community: c,
                exchange,
                status,
            } => {
                let c = community(handle, &c).await?;
                apply(
                    handle,
                    &c,
                    Command::SetExchangeStatus {
                        id: ItemId(exchange),
                        status,
                    },
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
                    handle,
                    &c,
                    Command::ReplyToExchange {
                        exchange: ItemId(exchange),
                        id,
                        kind,
                        text: text.unwrap_or_default(),
                    },
                )
                .await?;
            }
        },
        Sub::Event { command } => match command {
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
                    handle,
                    &c,
                    Command::AddEvent {
                        id,
                        title,
                        description,
                        start: start.0,
                        end: end.map(|e| e.0),
                        place,
                        capacity,
                    },
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
                    handle,
                    &c,
                    Command::Rsvp {
                        event: ItemId(event),
                        answer,
                    },
                )
                .await?;
            }
            EventCmd::List { community: c, json } => {
                let c = community(handle, &c).await?;
                output::events(&*handle.view(&c).await?, json);
            }
        },
        Sub::Idea { command } => match command {
            IdeaCmd::Add {
                community: c,
                text,
                theme,
                table,
            } => {
                let c = community(handle, &c).await?;
                let id = handle.new_id();
                apply(
                    handle,
                    &c,
                    Command::AddIdea {
                        id,
                        text,
                        theme,
                        table,
                    },
                )
                .await?;
            }
            IdeaCmd::Vote { community: c, idea } => {
                let c = community(handle, &c).await?;
                apply(handle, &c, Command::Vote { idea: ItemId(idea) }).await?;
            }
            IdeaCmd::List { community: c, json } => {
                let c = community(handle, &c).await?;
                output::ideas(&*handle.view(&c).await?, json);
            }
        },
        Sub::Actor { command } => match command {
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
                    handle,
                    &c,
                    Command::AddActor {
                        id,
                        kind,
                        name,
                        description,
                        contact,
                        address,
                        tags,
                    },
                )
                .await?;
            }
            ActorCmd::List { community: c, json } => {
                let c = community(handle, &c).await?;
                output::actors(&*handle.view(&c).await?, json);
            }
        },
        Sub::Group { command } => match command {
            GroupCmd::Add {
                community: c,
                name,
                theme,
                description,
            } => {
                let c = community(handle, &c).await?;
                let id = handle.new_id();
                apply(
                    handle,
                    &c,
                    Command::AddGroup {
                        id,
                        name,
                        theme,
                        description: description.unwrap_or_default(),
                    },
                )
                .await?;
            }
            GroupCmd::List { community: c, json } => {
                let c = community(handle, &c).await?;
                output::groups(&*handle.view(&c).await?, json);
            }
        },
        Sub::Sheet { command } => match command {
            SheetCmd::Add {
                community: c,
                title,
                body_file,
            } => {
                let c = community(handle, &c).await?;
                let sections = match body_file {
                    Some(path) => {
                        let bytes = std::fs::read(&path)
                            .with_context(|| format!("cannot read {}", path.display()))?;
                        let text = String::from_utf8(bytes)
                            .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()))?;
                        args::sections(&text)
                    }
                    None => Vec::new(),
                };
                let id = handle.new_id();
                apply(
                    handle,
                    &c,
                    Command::AddSheet {
                        id,
                        title,
                        sections,
                    },
                )
                .await?;
            }
            SheetCmd::List { community: c, json } => {
                let c = community(handle, &c).await?;
                output::sheets(&*handle.view(&c).await?, json);
            }
        },
        Sub::Post { command } => match command {
            PostCmd::Add { community: c, text } => {
                let c = community(handle, &c).await?;
                let id = handle.new_id();
                apply(handle, &c, Command::AddPost { id, text }).await?;
            }
            PostCmd::List { community: c, json } => {
                let c = community(handle, &c).await?;
                output::posts(&*handle.view(&c).await?, json);
            }
        },
        Sub::Member {
            command: args::MemberCmd::List { community: c, json },
        } => {
            let c = community(handle, &c).await?;
            output::members(&*handle.view(&c).await?, json);
        }
        Sub::Match { community: c, json } => {
            let c = community(handle, &c).await?;
            let view = handle.view(&c).await?;
            output::matches(&view, &handle.matches(&c).await?, json);
        }
        Sub::Search {
            community: c,
            query,
            json,
        } => {
            let c = community(handle, &c).await?;
            output::hits(&handle.search(&c, &query).await?, json);
        }
        Sub::Export {
            community: c,
            format,
            out,
        } => {
            let c = community(handle, &c).await?;
            let format = match format {
                args::Format::Json => ExportFormat::Json,
                args::Format::Automerge => ExportFormat::Automerge,
            };
            handle.export(&c, format, &out).await?;
            eprintln!("exported to {}", out.display());
        }
    }
    Ok(())
}
