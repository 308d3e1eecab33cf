//! `passerelle-node device ...` and `backup ...`: one member on several
//! devices (pairing tickets, the list of a member's devices, revoking a lost
//! one) and the personal backup of this device's identity and settings.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use passerelle_core::model::{
    Command, CommunityId, CommunityView, DeviceKey, Member, MemberCommand, MemberId,
};
use passerelle_core::{Handle, Passphrase, Ticket};
use serde_json::json;

use crate::output::{outln, print_json};

#[derive(Subcommand, Debug)]
pub enum DeviceCmd {
    /// Prints a one-time pairing ticket: the device that links with it
    /// becomes one of your devices (or, with --for, one of that member's:
    /// animateurs and admins re-link a member who lost their device).
    Add {
        #[arg(long)]
        community: String,
        /// A name for the new device ("portable", "ordinateur du centre"),
        /// put in the link command this prints (the new device names itself).
        #[arg(long, default_value = "")]
        label: String,
        /// The member the device is for: their id, a device key of theirs
        /// or their name (animateurs and admins; default: you).
        #[arg(long = "for", value_name = "MEMBER")]
        member: Option<String>,
        /// How long the ticket stays valid: short by default, since whoever
        /// holds it acts as the member.
        #[arg(long, default_value = "15m", value_parser = crate::args::duration)]
        expires: Duration,
        /// Also write the ticket as a QR code image.
        #[arg(long, value_name = "FILE.png")]
        qr: Option<PathBuf>,
    },
    /// Links this device to your member with a pairing ticket; prints the
    /// community id. Run it on the new device (no `init` needed).
    Link {
        /// The pairing ticket (PASSERELLE1...).
        ticket: String,
        /// A name for this device.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Lists a member's devices: active or revoked, label, when added.
    List {
        #[arg(long)]
        community: String,
        /// Whose devices (default: yours).
        #[arg(long)]
        member: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revokes a device (lost, stolen, replaced): it is no longer served and
    /// can no longer act. Your own, or any member's for animateurs and admins.
    Revoke {
        #[arg(long)]
        community: String,
        /// The device's key.
        key: String,
        /// The member it belongs to (checked; default: its owner).
        #[arg(long)]
        member: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum BackupCmd {
    /// Writes this device's identity and settings (not the communities'
    /// content, which comes back by syncing) to a file sealed with a
    /// passphrase (PASSERELLE_PASSPHRASE, or asked).
    Create {
        #[arg(long)]
        out: PathBuf,
        /// Read by the process that forwards the command to a serving one.
        #[arg(skip)]
        passphrase: Option<Passphrase>,
    },
    /// Restores a backup into a new, empty data directory, when the old
    /// device is gone for good. Then sync once with a member.
    Restore {
        /// The backup file.
        file: PathBuf,
    },
}

pub async fn run(
    handle: &Handle,
    command: DeviceCmd,
    out: &mut String,
    err: &mut String,
) -> Result<()> {
    match command {
        DeviceCmd::Add {
            community,
            label,
            member,
            expires,
            qr,
        } => {
            let c = crate::community(handle, &community).await?;
            let view = handle.view(&c).await?;
            let member = match member {
                Some(m) => find_member(&view, &m)?.id.clone(),
                None => me(handle, &view)?.id.clone(),
            };
            let ticket = handle.invite_for(&c, Some(member.clone()), expires).await?;
            if let Some(path) = qr {
                ticket
                    .write_qr_png(&path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                outln!(err, "QR code written to {}", path.display());
            }
            let label = match label.trim() {
                "" => String::new(),
                l => format!(" --label '{}'", l.replace('\'', "")),
            };
            outln!(
                err,
                "Pairing ticket for {} ({}), valid {} min, usable once. On the new device: passerelle-node device link TICKET{label}",
                view.member_name(&member),
                member,
                expires.as_secs() / 60
            );
            outln!(out, "{ticket}");
        }
        DeviceCmd::Link { ticket, label } => {
            let ticket = Ticket::decode(&ticket)?;
            let label = if label.trim().is_empty() {
                default_label()
            } else {
                label
            };
            let id = handle.link_device(&ticket, &label).await?;
            let view = handle.view(&id).await?;
            if let Some(m) = view.member_for_device(handle.device_key()) {
                outln!(
                    err,
                    "This device is now one of {}'s devices in {}",
                    m.display_name,
                    view.community.name
                );
            }
            outln!(out, "{id}");
        }
        DeviceCmd::List {
            community,
            member,
            json,
        } => {
            let c = crate::community(handle, &community).await?;
            let view = handle.view(&c).await?;
            let m = match member {
                Some(m) => find_member(&view, &m)?,
                None => me(handle, &view)?,
            };
            list(out, m, handle.device_key(), json);
        }
        DeviceCmd::Revoke {
            community,
            key,
            member,
        } => {
            let c = crate::community(handle, &community).await?;
            let view = handle.view(&c).await?;
            let device = DeviceKey(key.trim().to_owned());
            let owner = view
                .member_for_device(&device)
                .ok_or_else(|| anyhow!("no member has a device with key {}", device.as_str()))?;
            if let Some(m) = member {
                let given = find_member(&view, &m)?;
                if given.id != owner.id {
                    bail!(
                        "device {} belongs to {} ({}), not to {}; nothing was revoked",
                        short(device.as_str()),
                        owner.display_name,
                        owner.id,
                        given.display_name
                    );
                }
            }
            let member = owner.id.clone();
            revoke(handle, &c, member, device, out).await?;
        }
    }
    Ok(())
}

async fn revoke(
    handle: &Handle,
    c: &CommunityId,
    member: MemberId,
    device: DeviceKey,
    out: &mut String,
) -> Result<()> {
    let outcome = handle
        .apply(
            c,
            Command::Members(MemberCommand::RevokeDevice { member, device }),
        )
        .await?;
    outln!(out, "{}", outcome.id);
    Ok(())
}

/// This device's member.
fn me<'a>(handle: &Handle, view: &'a CommunityView) -> Result<&'a Member> {
    view.member_for_device(handle.device_key())
        .ok_or_else(|| anyhow!("this device is not a member of {}", view.community.name))
}

/// A member by id, by one of their device keys, or by name (unique).
fn find_member<'a>(view: &'a CommunityView, given: &str) -> Result<&'a Member> {
    let given = given.trim();
    let members = &view.community.members;
    if let Some(m) = members.iter().find(|m| m.id.as_str() == given) {
        return Ok(m);
    }
    if let Some(m) = view.member_for_device(&DeviceKey(given.to_owned())) {
        return Ok(m);
    }
    let named: Vec<&Member> = members
        .iter()
        .filter(|m| m.display_name.to_lowercase() == given.to_lowercase())
        .collect();
    match named.as_slice() {
        [m] => Ok(m),
        [] => bail!("no member '{given}' (give a member id, a device key or a name)"),
        _ => bail!("several members are called '{given}'; give the member id"),
    }
}

fn list(out: &mut String, member: &Member, this: &DeviceKey, json: bool) {
    if json {
        let devices: Vec<_> = member
            .devices
            .iter()
            .map(|(key, d)| {
                json!({
                    "key": key,
                    "member": member.id,
                    "label": d.label,
                    "added_at": d.added_at,
                    "active": d.is_active(),
                    "revoked_at": d.revoked.as_ref().map(|r| r.at),
                    "revoked_by": d.revoked.as_ref().map(|r| r.by.clone()),
                    "this_device": key == this.as_str(),
                })
            })
            .collect();
        return print_json(out, &devices);
    }
    outln!(out, "{} ({})", member.display_name, member.id);
    for (key, d) in &member.devices {
        outln!(
            out,
            "  {key}  {:<8} {:<20} added {}{}",
            if d.is_active() { "active" } else { "revoked" },
            if d.label.is_empty() { "-" } else { &d.label },
            date(d.added_at),
            if key == this.as_str() {
                "  (this device)"
            } else {
                ""
            }
        );
    }
}

fn date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn short(key: &str) -> &str {
    key.get(..12).unwrap_or(key)
}

/// The machine's name, as a default device label.
fn default_label() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| "nouvel appareil".into())
}

/// Runs one `backup` subcommand on a started node (`restore` runs before
/// any node starts, see `restore_backup`).
pub(crate) async fn backup(handle: &Handle, command: BackupCmd, err: &mut String) -> Result<()> {
    match command {
        BackupCmd::Create {
            out: file,
            passphrase,
        } => create_backup(handle, &file, passphrase, err).await,
        BackupCmd::Restore { .. } => {
            bail!("this data directory already holds a device; restore into a new one (--data-dir)")
        }
    }
}

/// Writes a backup of this device.
pub async fn create_backup(
    handle: &Handle,
    file: &Path,
    passphrase: Option<Passphrase>,
    err: &mut String,
) -> Result<()> {
    let passphrase = match passphrase {
        Some(p) => p,
        None => backup_passphrase(true)?,
    };
    let communities = handle.create_backup(file, &passphrase).await?;
    outln!(
        err,
        "Backup written to {} ({} communities). Keep it and its passphrase apart; restore it only if this device is gone for good.",
        file.display(),
        communities.len()
    );
    Ok(())
}

/// Restores a backup into `dir`, before any node runs there.
pub fn restore_backup(dir: &Path, file: &Path) -> Result<()> {
    let passphrase = backup_passphrase(false)?;
    let restored = passerelle_core::restore_backup(dir, file, passphrase.as_str())?;
    println!("{}", restored.device);
    eprintln!(
        "Restored device {} ({}) into {}. Its communities come back at the first sync with a member: passerelle-node sync --peer TICKET",
        short(restored.device.as_str()),
        restored.display_name.as_deref().unwrap_or("no name"),
        dir.display()
    );
    for c in &restored.communities {
        eprintln!("  {}  {}", c.id, c.name);
    }
    Ok(())
}

/// The backup's passphrase: PASSERELLE_PASSPHRASE, or asked (twice for a new one).
pub fn backup_passphrase(new: bool) -> Result<Passphrase> {
    if let Ok(p) = std::env::var("PASSERELLE_PASSPHRASE") {
        return Ok(Passphrase::from(p));
    }
    if !std::io::stdin().is_terminal() {
        bail!("give the backup's passphrase in PASSERELLE_PASSPHRASE (no terminal to ask it on)");
    }
    let prompt = if new {
        "Passphrase for the backup (8 characters or more): "
    } else {
        "Passphrase of the backup: "
    };
    let first = rpassword::prompt_password(prompt).context("cannot read the passphrase")?;
    if new {
        let again = rpassword::prompt_password("The same passphrase again: ")
            .context("cannot read the passphrase")?;
        if again != first {
            bail!("the two passphrases differ; no backup was written");
        }
    }
    Ok(Passphrase::from(first))
}
