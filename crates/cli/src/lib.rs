//! `passerelle-node`: the headless, scriptable face of a Passerelle node.
//!
//! Every command opens the data directory, does one thing and exits. Results
//! go to stdout (`add` commands print the new id and nothing else; listings
//! take `--json`), errors to stderr in plain words with a non-zero exit code.

mod args;
pub mod control;
mod device;
mod exports;
mod moderate;
mod output;
mod place;
mod serve;
mod workshop;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use passerelle_core::model::{
    AgendaCommand, AnnuaireCommand, Command, CommunityId, Contact, ExchangeCommand, ExchangeMode,
    FilCommand, GroupCommand, IdeaCommand, ItemId, SavoirsCommand,
};
use passerelle_core::{
    CoreError, ExportFormat, Handle, NetOptions, Node, NodeConfig, Passphrase, SyncSummary, Ticket,
    TicketError,
};
use std::time::Duration;

use args::{
    ActorCmd, BundleCmd, Cli, CommunityCmd, EventCmd, ExchangeCmd, GroupCmd, IdeaCmd, MembersCmd,
    PostCmd, RefusedCmd, SheetCmd, Sub,
};
use output::outln;

/// Runs `passerelle-node` with the process's arguments.
pub fn main() -> ExitCode {
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
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Asks for the passphrase of the data directory on the terminal (twice for
/// a new one).
fn ask_passphrase(dir: &Path, new: bool) -> Result<Passphrase> {
    if !std::io::stdin().is_terminal() {
        bail!("give the passphrase in PASSERELLE_PASSPHRASE (no terminal to ask it on)");
    }
    let prompt = if new {
        format!(
            "New passphrase for {} (8 characters or more): ",
            dir.display()
        )
    } else {
        format!("Passphrase for {}: ", dir.display())
    };
    let first = rpassword::prompt_password(prompt).context("cannot read the passphrase")?;
    if new {
        let again = rpassword::prompt_password("The same passphrase again: ")
            .context("cannot read the passphrase")?;
        if again != first {
            bail!("the two passphrases differ; nothing was created");
        }
    }
    Ok(Passphrase::from(first))
}

fn data_dir(cli: &Cli) -> Result<PathBuf> {
    match &cli.data_dir {
        Some(dir) => Ok(dir.clone()),
        None => passerelle_core::default_data_dir()
            .context("no home directory found; pass --data-dir DIR"),
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let dir = data_dir(&cli)?;
    // Only commands that set a device up may create the data directory; the
    // others must not leave a fresh one behind when they fail.
    let creates = matches!(
        cli.command,
        Sub::Init { .. }
            | Sub::Id
            | Sub::Demo { .. }
            | Sub::Community {
                command: CommunityCmd::Create { .. }
            }
            | Sub::Device {
                command: device::DeviceCmd::Link { .. }
            }
    );
    // A restore writes the identity itself, before any node starts there.
    if let Sub::Backup {
        command: device::BackupCmd::Restore { file },
    } = &cli.command
    {
        device::restore_backup(&dir, file)?;
        return Ok(ExitCode::SUCCESS);
    }
    if !creates && !dir.exists() {
        bail!(
            "no Passerelle data at {}; start with: passerelle-node init --name NAME",
            dir.display()
        );
    }
    let encrypt = matches!(cli.command, Sub::Init { encrypt: true, .. });
    let mut config = NodeConfig {
        passphrase: std::env::var("PASSERELLE_PASSPHRASE")
            .ok()
            .map(Passphrase::from),
        encrypt,
        ..NodeConfig::new(dir.clone())
    };
    if encrypt && config.passphrase.is_none() {
        config.passphrase = Some(ask_passphrase(&dir, true)?);
    }
    let node = match Node::start(config.clone()) {
        Ok(node) => node,
        // Another process serves this directory: let it do the work.
        Err(CoreError::Locked(_)) => return control::forward(&dir).await,
        // Encrypted: ask for the passphrase when someone is there to type it.
        Err(CoreError::Sealed(_)) if std::io::stdin().is_terminal() => {
            config.passphrase = Some(ask_passphrase(&dir, false)?);
            Node::start(config)?
        }
        Err(e) => return Err(e.into()),
    };
    let handle = node.handle();
    for q in handle.quarantined().await? {
        eprintln!("warning: {q}");
    }
    if let Some(renewed) = handle.renewed_identity() {
        eprintln!("warning: {renewed}");
    }
    let networked = matches!(
        cli.command,
        Sub::Invite { .. }
            | Sub::Join { .. }
            | Sub::Serve
            | Sub::Sync { .. }
            | Sub::Device {
                command: device::DeviceCmd::Add { .. } | device::DeviceCmd::Link { .. }
            }
    );
    let result = async {
        if networked {
            handle.start_network(net_options(&cli)).await?;
        }
        if let Sub::Serve = cli.command {
            return serve::run(&handle).await.map(|()| ExitCode::SUCCESS);
        }
        let is_invite = matches!(cli.command, Sub::Invite { .. });
        let (mut out, mut err) = (String::new(), String::new());
        let result = dispatch(&handle, cli.command, &mut out, &mut err).await;
        print!("{out}");
        eprint!("{err}");
        if is_invite && result.is_ok() {
            eprintln!(
                "Keep this device reachable (passerelle-node serve, or the app) until the invite is used."
            );
        }
        result.map(|()| ExitCode::SUCCESS)
    }
    .await;
    drop(handle);
    node.shutdown().await;
    result
}

/// Network options from the command line and the environment.
fn net_options(cli: &Cli) -> NetOptions {
    // `--bind` already reads PASSERELLE_BIND (and rejects a bad one).
    NetOptions {
        bind: cli.bind,
        mdns: !cli.no_mdns && NetOptions::mdns_from_env(),
    }
}

fn hex_key(addr: &passerelle_core::EndpointAddr) -> String {
    hex::encode(addr.id.as_bytes())
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

async fn apply(
    out: &mut String,
    handle: &Handle,
    community: &CommunityId,
    command: Command,
) -> Result<()> {
    let outcome = handle.apply(community, command).await?;
    outln!(out, "{}", outcome.id);
    Ok(())
}

pub(crate) async fn dispatch(
    handle: &Handle,
    command: Sub,
    out: &mut String,
    err: &mut String,
) -> Result<()> {
    match command {
        Sub::Init { name, .. } => {
            let profile = handle.set_display_name(&name).await?;
            outln!(
                err,
                "Bienvenue, {} ! Data directory: {}",
                profile.display_name,
                handle.data_dir().display()
            );
            outln!(out, "{}", handle.device_key());
        }
        Sub::Id => outln!(out, "{}", handle.device_key()),
        Sub::Demo { size: None, .. } => outln!(out, "{}", handle.load_example().await?),
        Sub::Demo {
            size: Some(size),
            seed,
        } => {
            let started = std::time::Instant::now();
            let (id, changes) = handle.generate_community(size.plan(), seed).await?;
            outln!(
                err,
                "Generated a {} community: {changes} changes in {:.1} s",
                size.as_str(),
                started.elapsed().as_secs_f64()
            );
            outln!(out, "{id}");
        }
        Sub::Community { command } => match command {
            CommunityCmd::Create { name, description } => {
                outln!(
                    out,
                    "{}",
                    handle
                        .create_community(&name, description.as_deref().unwrap_or(""))
                        .await?
                );
            }
            CommunityCmd::List { json } => {
                output::communities(out, &handle.communities().await?, json)
            }
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
                apply(
                    out,
                    handle,
                    &c,
                    Command::Ideas(IdeaCommand::Vote { idea: ItemId(idea) }),
                )
                .await?;
            }
            IdeaCmd::List { community: c, json } => {
                let c = community(handle, &c).await?;
                output::ideas(out, &*handle.view(&c).await?, json);
            }
        },
        Sub::Workshop { command } => workshop::run(handle, command, out).await?,
        Sub::Moderate { command } => moderate::run(handle, command, out).await?,
        Sub::Device { command } => device::run(handle, command, out, err).await?,
        Sub::Backup { command } => match command {
            device::BackupCmd::Create {
                out: file,
                passphrase,
            } => device::create_backup(handle, &file, passphrase, err).await?,
            device::BackupCmd::Restore { .. } => {
                bail!(
                    "this data directory already holds a device; restore into a new one (--data-dir)"
                )
            }
        },
        Sub::Place { command } => place::run(handle, command, out).await?,
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
                    out,
                    handle,
                    &c,
                    Command::Savoirs(SavoirsCommand::AddSheet {
                        id,
                        title,
                        sections,
                    }),
                )
                .await?;
            }
            SheetCmd::List { community: c, json } => {
                let c = community(handle, &c).await?;
                output::sheets(out, &*handle.view(&c).await?, json);
            }
        },
        Sub::Post { command } => match command {
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
                apply(
                    out,
                    handle,
                    &c,
                    Command::Fil(FilCommand::AddComment { post, id, text }),
                )
                .await?;
            }
        },
        Sub::Refused { command } => match command {
            RefusedCmd::List { community: c, json } => {
                let c = community(handle, &c).await?;
                let refused = handle.refused_changes(&c).await?;
                output::refused(out, &*handle.view(&c).await?, &refused, json);
            }
        },
        Sub::Members { command } => match command {
            MembersCmd::List { community: c, json } => {
                let c = community(handle, &c).await?;
                output::members(out, &*handle.view(&c).await?, json);
            }
            MembersCmd::Remove { community: c, key } => {
                let c = community(handle, &c).await?;
                let member = handle.remove_member_by_key(&c, &key).await?;
                outln!(out, "{member}");
            }
            MembersCmd::Role {
                community: c,
                member,
                role,
            } => moderate::set_role(handle, &c, &member, role, out).await?,
        },
        Sub::Bundle { command } => match command {
            BundleCmd::Export {
                community: c,
                out: file,
            } => {
                let c = community(handle, &c).await?;
                let size = handle.export_bundle(&c, &file).await?;
                outln!(err, "wrote {} ({size} bytes)", file.display());
            }
            BundleCmd::Import { file } => {
                let import = handle.import_bundle(&file).await?;
                outln!(out, "{}", import.community);
                outln!(
                    err,
                    "{}",
                    match (import.added, import.changed) {
                        (true, _) => "community added from the bundle",
                        (false, true) => "changes merged from the bundle",
                        (false, false) => "nothing new in the bundle",
                    }
                );
                if import.refused > 0 {
                    outln!(
                        err,
                        "refused {} change(s) of the bundle: not signed by their device, or written by a device that is not a member; they were not kept",
                        import.refused
                    );
                }
            }
        },
        Sub::Invite {
            community: c,
            expires,
            qr,
        } => {
            let c = community(handle, &c).await?;
            let ticket = handle.invite(&c, expires).await?;
            if let Some(path) = qr {
                ticket
                    .write_qr_png(&path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                outln!(err, "QR code written to {}", path.display());
            }
            outln!(out, "{ticket}");
        }
        Sub::Join { ticket } => {
            let ticket = Ticket::decode(&ticket)?;
            let id = handle.join(&ticket).await?;
            outln!(out, "{id}");
        }
        Sub::Sync {
            peer,
            timeout,
            json,
        } => {
            let timeout = Duration::from_secs(timeout.max(1));
            let summary = match peer {
                Some(peer) => {
                    let addr = match Ticket::decode(&peer) {
                        Ok(ticket) => ticket.addr,
                        Err(TicketError::NotATicket) => handle.lookup_peer(&peer)?,
                        Err(e) => return Err(e.into()),
                    };
                    let key = hex_key(&addr);
                    match handle.sync_with(addr, timeout).await {
                        Ok(stats) => SyncSummary {
                            peers: 1,
                            bytes_sent: stats.bytes_sent,
                            bytes_received: stats.bytes_received,
                            messages: stats.messages_sent + stats.messages_received,
                            duration_ms: stats.duration_ms,
                            failed: Vec::new(),
                        },
                        Err(e) => SyncSummary {
                            failed: vec![(key, e.to_string())],
                            ..Default::default()
                        },
                    }
                }
                None => handle.sync_all(Duration::from_secs(3), timeout).await?,
            };
            output::sync_summary(out, &summary, json);
            for c in handle.communities().await? {
                output::ignored(err, &c.name, &*handle.view(&c.id).await?);
            }
            if summary.peers == 0 {
                let reasons: Vec<String> = summary
                    .failed
                    .iter()
                    .map(|(peer, e)| format!("{}…: {e}", &peer[..8.min(peer.len())]))
                    .collect();
                bail!(
                    "synced with no one{}",
                    if reasons.is_empty() {
                        " (no known or nearby member; use --peer TICKET)".to_owned()
                    } else {
                        format!(": {}", reasons.join("; "))
                    }
                );
            }
        }
        Sub::Serve => bail!("this data directory is already being served"),
        Sub::Match { community: c, json } => {
            let c = community(handle, &c).await?;
            let view = handle.view(&c).await?;
            output::matches(out, &view, &handle.matches(&c).await?, json);
        }
        Sub::Search {
            community: c,
            query,
            json,
        } => {
            let c = community(handle, &c).await?;
            output::hits(out, &handle.search(&c, &query).await?, json);
        }
        Sub::Export {
            community: c,
            format,
            what,
            from,
            to,
            out: file,
            lang,
        } => {
            let c = community(handle, &c).await?;
            let whole = match format {
                args::Format::Json => Some(ExportFormat::Json),
                args::Format::Automerge => Some(ExportFormat::Automerge),
                _ => None,
            };
            if let Some(whole) = whole {
                if what.is_some() {
                    bail!("json and automerge export the whole community; leave out --what");
                }
                let Some(file) = file else {
                    bail!("say where to write it: --out FILE");
                };
                handle.export(&c, whole, &file).await?;
                outln!(err, "exported to {}", file.display());
                return Ok(());
            }
            let view = handle.view(&c).await?;
            let text = exports::render(&view, format, what, (from, to), &lang)?;
            match file {
                Some(file) => {
                    std::fs::write(&file, text)
                        .with_context(|| format!("cannot write {}", file.display()))?;
                    outln!(err, "exported to {}", file.display());
                }
                None => out.push_str(&text),
            }
        }
        Sub::Import {
            community: c,
            format,
            what,
            json,
            file,
        } => {
            let c = community(handle, &c).await?;
            let kind = exports::import_kind(format, what)?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let report = handle.import(&c, kind, &bytes).await?;
            output::import_report(out, &report, json);
            outln!(
                err,
                "{} imported, {} skipped from {}",
                report.imported.len(),
                report.skipped.len(),
                file.display()
            );
        }
    }
    Ok(())
}
