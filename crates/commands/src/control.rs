//! The control socket: while one process serves a data directory (`serve`),
//! every other `passerelle-node` command on that directory is carried out by
//! it, so two processes never write the same store.
//!
//! Protocol (Unix socket `<data>/control.sock`, one request per connection):
//! the client writes one JSON line `{"args": [...], "cwd": "..."}`; the
//! server answers one JSON line `{"code": N, "stdout": "...", "stderr": "..."}`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use passerelle_core::{DataDir, Handle};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::args::{Cli, Sub};
use crate::sheet::SheetCmd;
use crate::sync::BundleCmd;

/// Largest request accepted (a command line).
const MAX_REQUEST: usize = 1024 * 1024;

#[derive(Serialize, Deserialize)]
struct Request {
    args: Vec<String>,
    cwd: PathBuf,
    /// The backup's passphrase, read here for `backup create`: the serving
    /// process has no terminal and not this process's environment.
    #[serde(default)]
    passphrase: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Reply {
    code: u8,
    stdout: String,
    stderr: String,
}

/// Sends this process's command line to the serving process and relays its answer.
pub async fn forward(dir: &Path) -> Result<ExitCode> {
    let path = DataDir::control_socket_of(dir);
    let mut stream = UnixStream::connect(&path).await.with_context(|| {
        format!(
            "the data directory {} is in use by another Passerelle process (the app?) that does not take commands; close it first",
            dir.display()
        )
    })?;
    let args: Vec<String> = std::env::args().collect();
    let passphrase = match Cli::try_parse_from(&args).map(|c| c.command) {
        Ok(Sub::Backup {
            command: crate::device::BackupCmd::Create { .. },
        }) => Some(crate::device::backup_passphrase(true)?.as_str().to_owned()),
        _ => None,
    };
    let request = Request {
        args,
        cwd: std::env::current_dir().unwrap_or_default(),
        passphrase,
    };
    let mut line = serde_json::to_vec(&request)?;
    line.push(b'\n');
    stream.write_all(&line).await?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).await?;
    let reply: Reply = serde_json::from_str(&answer)
        .context("the serving process closed the connection without answering")?;
    crate::output::print_both(&reply.stdout, &reply.stderr);
    Ok(ExitCode::from(reply.code))
}

/// Accepts commands for `handle` until the returned task is aborted.
pub fn listen(handle: Handle, dir: &Path) -> Result<tokio::task::JoinHandle<()>> {
    let path = DataDir::control_socket_of(dir);
    // We hold the data directory's lock: a socket file left here is stale.
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)
        .with_context(|| format!("cannot listen on {}", path.display()))?;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // Until this, the socket has the umask's mode (all users' with a
    // permissive one): connections are also checked to come from its
    // owner, the user who made it.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let owner = std::fs::symlink_metadata(&path)?.uid();
    Ok(tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of file descriptors, say: keep listening.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            if !stream.peer_cred().is_ok_and(|c| c.uid() == owner) {
                continue;
            }
            let handle = handle.clone();
            tokio::spawn(async move {
                if let Err(e) = serve_one(&handle, stream).await {
                    tracing::warn!("control socket: {e:#}");
                }
            });
        }
    }))
}

async fn serve_one(handle: &Handle, stream: UnixStream) -> Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(tokio::io::AsyncReadExt::take(read, MAX_REQUEST as u64));
    reader.read_line(&mut line).await?;
    let reply = match serde_json::from_str::<Request>(&line) {
        Ok(request) => execute(handle, request).await,
        Err(e) => Reply {
            code: 2,
            stdout: String::new(),
            stderr: format!("error: malformed control request: {e}\n"),
        },
    };
    let mut bytes = serde_json::to_vec(&reply)?;
    bytes.push(b'\n');
    write.write_all(&bytes).await?;
    Ok(())
}

async fn execute(handle: &Handle, request: Request) -> Reply {
    let cli = match Cli::try_parse_from(&request.args) {
        Ok(cli) => cli,
        Err(e) => {
            return Reply {
                code: 2,
                stdout: String::new(),
                stderr: e.to_string(),
            };
        }
    };
    let mut command = cli.command;
    absolutize(&mut command, &request.cwd);
    if let Sub::Backup {
        command: crate::device::BackupCmd::Create { passphrase, .. },
    } = &mut command
    {
        *passphrase = request.passphrase.map(passerelle_core::Passphrase::from);
    }
    let (mut out, mut err) = (String::new(), String::new());
    let result = async {
        if let Sub::Serve { .. } = command {
            bail!(
                "this data directory is already served by process {}",
                std::process::id()
            );
        }
        crate::dispatch(handle, command, &mut out, &mut err).await
    }
    .await;
    let code = match result {
        Ok(()) => 0,
        Err(e) => {
            err.push_str(&crate::hint::report(&e));
            err.push('\n');
            1
        }
    };
    Reply {
        code,
        stdout: out,
        stderr: err,
    }
}

/// Resolves the client's relative paths against its working directory.
fn absolutize(command: &mut Sub, cwd: &Path) {
    let fix = |p: &mut PathBuf| {
        if p.is_relative() {
            *p = cwd.join(&*p);
        }
    };
    match command {
        Sub::Export { out: Some(out), .. } => fix(out),
        Sub::Import { file, .. } => fix(file),
        Sub::Attach {
            command: crate::attach::AttachCmd::Add { file, .. },
        } => fix(file),
        Sub::Attach {
            command: crate::attach::AttachCmd::Get { out, .. },
        } => fix(out),
        Sub::Invite { qr: Some(qr), .. } => fix(qr),
        Sub::Device {
            command: crate::device::DeviceCmd::Add { qr: Some(qr), .. },
        } => fix(qr),
        Sub::Backup {
            command: crate::device::BackupCmd::Create { out, .. },
        } => fix(out),
        Sub::Bundle {
            command: BundleCmd::Export { out, .. },
        } => fix(out),
        Sub::Bundle {
            command: BundleCmd::Import { file } | BundleCmd::Verify { file, .. },
        } => fix(file),
        Sub::Sheet {
            command:
                SheetCmd::Add {
                    body_file: Some(file),
                    ..
                },
        } => fix(file),
        _ => {}
    }
}
