//! What to type next: the command-line hints `passerelle-node` adds to the
//! node's errors when it prints them. The node's own messages name no
//! command or option, so the app can say them in its own words.

use std::io::ErrorKind;

use passerelle_core::{BackupError, CoreError, NetError};

/// An error as `passerelle-node` prints it: `error: ` and its chain, then
/// the hint in parentheses when the node's error has one.
pub fn report(e: &anyhow::Error) -> String {
    let core = e.chain().find_map(|c| c.downcast_ref::<CoreError>());
    match core.and_then(hint) {
        Some(hint) => format!("error: {e:#} ({hint})"),
        None => format!("error: {e:#}"),
    }
}

/// The command or option that helps with `e`, if there is one.
pub fn hint(e: &CoreError) -> Option<&'static str> {
    match e {
        CoreError::NotADirectory(_) => Some("choose another path with --data-dir"),
        CoreError::NoProfile => Some("passerelle-node init --name NAME"),
        CoreError::UnknownCommunity(_) => Some("see: passerelle-node community list"),
        CoreError::Sealed(_) => Some("PASSERELLE_PASSPHRASE, or type it when asked"),
        CoreError::Io { cause, .. } if cause.kind() == ErrorKind::ReadOnlyFilesystem => {
            Some("--data-dir")
        }
        CoreError::Backup(BackupError::HoldsIdentity(_) | BackupError::IntoEncrypted(_)) => {
            Some("--data-dir")
        }
        CoreError::Net(NetError::NotArrived) => Some("passerelle-node sync"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hint_follows_the_node_s_message_even_under_context() {
        let e = anyhow::Error::from(CoreError::NoProfile).context("creating the community");
        assert_eq!(
            report(&e),
            "error: creating the community: choose your name first (passerelle-node init --name NAME)"
        );
        let plain = anyhow::anyhow!("synced with no one");
        assert_eq!(report(&plain), "error: synced with no one");
    }
}
