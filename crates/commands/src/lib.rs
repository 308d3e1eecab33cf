//! `passerelle-node`: the headless, scriptable face of a Passerelle node.
//!
//! Every command opens the data directory, does one thing and exits. Results
//! go to stdout (`add` commands print the new id and nothing else; listings
//! take `--json`), errors to stderr in plain words with a non-zero exit code.

mod actor;
mod args;
mod attach;
mod communities;
pub mod control;
mod device;
mod event;
mod exchange;
mod exports;
mod group;
mod hint;
mod idea;
mod members;
mod moderate;
mod output;
mod place;
mod post;
mod serve;
mod sheet;
mod status;
mod sync;
mod workshop;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use data_encoding::HEXLOWER;
use passerelle_core::model::{Command, CommunityId};
use passerelle_core::{CoreError, Handle, NetOptions, Node, NodeConfig, Passphrase};

use args::{Cli, Sub};
use output::outln;

/// Runs `passerelle-node` with the process's arguments.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    logging();
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
            output::print_both("", &format!("{}\n", hint::report(&e)));
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, filtered by `PASSERELLE_LOG` (default: warnings). Under
/// systemd (`JOURNAL_STREAM` names stderr), straight to the journal with
/// each record's level and fields, or else to stderr without the time
/// and colours the journal adds itself.
fn logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_env("PASSERELLE_LOG")
            .unwrap_or_else(|_| "warn".into())
    };
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        if let Ok(journal) = tracing_journald::layer() {
            let journal = journal.with_syslog_identifier("passerelle-node".to_owned());
            tracing_subscriber::registry()
                .with(filter())
                .with(journal)
                .init();
            return;
        }
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(filter())
            .without_time()
            .with_ansi(false)
            .init();
        return;
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter())
        .init();
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
                command: communities::CommunityCmd::Create { .. }
            }
            | Sub::Device {
                command: device::DeviceCmd::Link { .. }
            }
    );
    // Checking a bundle needs no device, and touches none.
    if let Sub::Bundle {
        command: sync::BundleCmd::Verify { file, json },
    } = &cli.command
    {
        let (mut out, mut err) = (String::new(), String::new());
        let result = sync::verify(file, *json, &mut out, &mut err).await;
        output::print_both(&out, &err);
        return result.map(|()| ExitCode::SUCCESS);
    }
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
    let cli_was_serve = matches!(cli.command, Sub::Serve { .. });
    let networked = matches!(
        cli.command,
        Sub::Invite { .. }
            | Sub::Join { .. }
            | Sub::Serve { .. }
            | Sub::Sync { .. }
            | Sub::Device {
                command: device::DeviceCmd::Add { .. } | device::DeviceCmd::Link { .. }
            }
            | Sub::Attach {
                command: attach::AttachCmd::Get { .. }
            }
    );
    let result = async {
        if networked {
            handle.start_network(net_options(&cli)).await?;
        }
        if let Sub::Serve { backup_dir, keep } = &cli.command {
            let backups = backup_dir.clone().map(|dir| (dir, usize::from(*keep)));
            return serve::run(&handle, backups).await.map(|()| ExitCode::SUCCESS);
        }
        let is_invite = matches!(cli.command, Sub::Invite { .. });
        let (mut out, mut err) = (String::new(), String::new());
        let result = dispatch(&handle, cli.command, &mut out, &mut err).await;
        output::print_both(&out, &err);
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
    if cli_was_serve {
        // Everything held is written: a service manager may stop waiting.
        println!("{}", serde_json::json!({"event": "stopped"}));
    }
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
    HEXLOWER.encode(addr.id.as_bytes())
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
        Sub::Community { command } => communities::run(handle, command, out).await?,
        Sub::Exchange { command } => exchange::run(handle, command, out).await?,
        Sub::Event { command } => event::run(handle, command, out).await?,
        Sub::Idea { command } => idea::run(handle, command, out).await?,
        Sub::Workshop { command } => workshop::run(handle, command, out).await?,
        Sub::Moderate { command } => moderate::run(handle, command, out).await?,
        Sub::Device { command } => device::run(handle, command, out, err).await?,
        Sub::Backup { command } => device::backup(handle, command, err).await?,
        Sub::Place { command } => place::run(handle, command, out).await?,
        Sub::Actor { command } => actor::run(handle, command, out).await?,
        Sub::Group { command } => group::run(handle, command, out).await?,
        Sub::Sheet { command } => sheet::run(handle, command, out).await?,
        Sub::Post { command } => post::run(handle, command, out).await?,
        Sub::Attach { command } => attach::run(handle, command, out).await?,
        Sub::Storage { free, json } => attach::storage(handle, free, json, out).await?,
        Sub::Refused { command } => sync::refused(handle, command, out).await?,
        Sub::Members { command } => members::run(handle, command, out).await?,
        Sub::Bundle { command } => sync::bundle(handle, command, out, err).await?,
        Sub::Invite {
            community: c,
            expires,
            qr,
        } => {
            let c = community(handle, &c).await?;
            sync::invite(handle, &c, (expires, qr), out, err).await?;
        }
        Sub::Join { ticket } => sync::join(handle, &ticket, out).await?,
        Sub::Sync {
            peer,
            timeout,
            json,
        } => sync::sync(handle, (peer, timeout), json, out, err).await?,
        Sub::Serve { .. } => bail!("this data directory is already being served"),
        Sub::Status { json } => status::run(handle, json, out).await?,
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
            let request = exports::ExportRequest {
                format,
                what,
                period: (from, to),
                file,
                lang,
            };
            exports::export(handle, &c, request, out, err).await?;
        }
        Sub::Import {
            community: c,
            format,
            what,
            json,
            file,
        } => {
            let c = community(handle, &c).await?;
            exports::import(handle, &c, (format, what), (&file, json), out, err).await?;
        }
    }
    Ok(())
}
