//! The proof that a pairing invite was used by someone holding its secret.
//!
//! Every device holds a community's invites, so a value stored in the
//! invite cannot prove knowledge of the secret: any member could present
//! it. A pairing invite (which adds a device to an existing member, so
//! whoever uses it acts as that member) stores instead a public key
//! derived from the secret ([`use_key`]); its use writes, with `used_by`,
//! a signature by that key over the invite and the device it lists
//! ([`prove_use`]). Only a device that was given the secret can make it,
//! and it lists that device only; every device checks it
//! ([`verify_use`]) before listing the device under the member.

use automerge::ChangeHash;

use crate::signing::Signed;

/// What the key derived from an invite's secret is for.
const KEY_CONTEXT: &str = "passerelle 2026 pairing invite use key v1";
/// What the key signs, before the invite and the device.
const USE_DOMAIN: &[u8] = b"passerelle/pairing-use/v1\0";

fn seed(secret: &[u8; 16]) -> [u8; 32] {
    blake3::derive_key(KEY_CONTEXT, secret)
}

/// The message signed for the use of `invite` by `device`.
fn message(invite: &str, device: &str) -> ChangeHash {
    let mut h = blake3::Hasher::new();
    h.update(USE_DOMAIN);
    h.update(&(invite.len() as u64).to_be_bytes());
    h.update(invite.as_bytes());
    h.update(device.as_bytes());
    ChangeHash(*h.finalize().as_bytes())
}

/// The public key a pairing invite stores for `secret` (hex, 64 characters).
pub fn use_key(secret: &[u8; 16]) -> String {
    Signed::with_secret(&seed(secret), message("", ""))
        .device()
        .0
}

/// The proof, made with `secret`, that `invite` admits `device` (hex).
pub fn prove_use(secret: &[u8; 16], invite: &str, device: &str) -> String {
    hex(&Signed::with_secret(&seed(secret), message(invite, device)).sig)
}

/// Whether `proof` was made with the secret whose key is `key`, for the
/// use of `invite` by `device`.
pub fn verify_use(key: &str, invite: &str, device: &str, proof: &str) -> bool {
    let (Some(key), Some(sig)) = (unhex::<32>(key), unhex::<64>(proof)) else {
        return false;
    };
    Signed {
        hash: message(invite, device),
        key,
        sig,
    }
    .verify()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_holds_for_its_secret_invite_and_device_only() {
        let key = use_key(&[1; 16]);
        let proof = prove_use(&[1; 16], "inv", "dev");
        assert!(verify_use(&key, "inv", "dev", &proof));
        assert!(!verify_use(&key, "inv", "other", &proof));
        assert!(!verify_use(&key, "other", "dev", &proof));
        assert!(!verify_use(&use_key(&[2; 16]), "inv", "dev", &proof));
        assert!(!verify_use(&key, "inv", "dev", "zz"));
    }
}
