//! `passerelle-node members ...`: the members of a community, removing one
//! and changing roles (the role change itself is `moderate.rs`'s).

use anyhow::Result;
use clap::Subcommand;
use passerelle_core::Handle;
use passerelle_core::model::Role;

use crate::args::parse;
use crate::output::{self, outln};
use crate::{community, moderate};

#[derive(Subcommand, Debug)]
pub enum MembersCmd {
    /// Lists members, their roles and device keys.
    List {
        #[arg(long)]
        community: String,
        #[arg(long)]
        json: bool,
    },
    /// Removes the member owning a device key; their devices are no longer served.
    Remove {
        #[arg(long)]
        community: String,
        #[arg(long)]
        key: String,
    },
    /// Changes a member's role (admins); prints the member id.
    Role {
        #[arg(long)]
        community: String,
        /// A member id or one of their device keys.
        member: String,
        /// membre, animateur or admin
        #[arg(value_parser = parse::<Role>)]
        role: Role,
    },
}

/// Runs one `members` subcommand.
pub(crate) async fn run(handle: &Handle, command: MembersCmd, out: &mut String) -> Result<()> {
    match command {
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
    }
    Ok(())
}
