//! Identifiers and time, as they are stored in documents.
//!
//! Every id is a string in the document so that any Automerge implementation
//! can read it. Item ids are ULIDs: unique without coordination and sortable by
//! creation time, which gives lists a stable, merge-friendly order.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC. Always passed in, never read here.
pub type Timestamp = i64;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as stored in the document.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        // Stored as a plain string, so other Automerge implementations see no wrapper.
        impl autosurgeon::Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: autosurgeon::Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                reconciler.str(&self.0)
            }
        }

        impl autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
                Ok(Self(s.to_owned()))
            }
        }
    };
}

string_id!(
    /// A list item: an échange, an event, an idea, a reply, a section...
    ItemId
);
string_id!(
    /// A member of a community (a person, who may use several devices).
    MemberId
);
string_id!(
    /// A community. Also names its directory on disk.
    CommunityId
);
string_id!(
    /// One Automerge document of a community.
    DocumentId
);
string_id!(
    /// A device's public key (the iroh `EndpointId`, hex-encoded).
    DeviceKey
);

impl DeviceKey {
    /// The Automerge actor this device writes its changes under, derived from
    /// its key: every device can tell which device wrote an operation, and so
    /// which member (see `admission`), without any record to keep in step.
    pub fn actor(&self) -> automerge::ActorId {
        let mut hasher = blake3::Hasher::new_derive_key("passerelle 2026 device actor");
        hasher.update(self.0.as_bytes());
        automerge::ActorId::from(&hasher.finalize().as_bytes()[..16])
    }

    /// The key's 32 bytes; `None` unless it is 64 hex characters.
    pub fn bytes(&self) -> Option<[u8; 32]> {
        let hex = self.0.as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        let mut out = [0u8; 32];
        for (i, pair) in hex.chunks_exact(2).enumerate() {
            out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Some(out)
    }
}

impl ItemId {
    /// A new ULID from a time and 80 bits of randomness supplied by the caller.
    pub fn from_parts(now: Timestamp, random: u128) -> Self {
        let ms = u64::try_from(now).unwrap_or(0);
        Self(ulid::Ulid::from_parts(ms, random).to_string())
    }
}

impl MemberId {
    /// A new member id, built like an [`ItemId`].
    pub fn from_parts(now: Timestamp, random: u128) -> Self {
        Self(ItemId::from_parts(now, random).0)
    }
}

impl CommunityId {
    /// A new community id, built like an [`ItemId`].
    pub fn from_parts(now: Timestamp, random: u128) -> Self {
        Self(ItemId::from_parts(now, random).0)
    }

    /// The id of a community created by device `creator` at `now`: a ULID
    /// whose 80 random bits are the first 80 bits of BLAKE3 over
    /// [`COMMUNITY_ID_DOMAIN`], the creator's 32 key bytes and the
    /// millisecond time (8 bytes, big-endian). The id proves which device
    /// key created the community ([`crate::layout::check_genesis`]); `None`
    /// if the key is not 64 hex characters.
    pub fn bound(now: Timestamp, creator: &DeviceKey) -> Option<Self> {
        let ms = u64::try_from(now).unwrap_or(0);
        Some(Self(
            ulid::Ulid::from_parts(ms, bound_bits(creator, ms)?).to_string(),
        ))
    }

    /// Whether this id is the one device `creator` makes ([`CommunityId::bound`]).
    pub fn is_bound_to(&self, creator: &DeviceKey) -> bool {
        let Ok(ulid) = ulid::Ulid::from_string(&self.0) else {
            return false;
        };
        bound_bits(creator, ulid.timestamp_ms()) == Some(ulid.random())
    }

    /// Whether this string could be a community id (and is safe as a directory name).
    pub fn is_well_formed(s: &str) -> bool {
        ulid::Ulid::from_string(s).is_ok()
    }
}

/// The prefix of what a bound community id hashes.
pub const COMMUNITY_ID_DOMAIN: &[u8; 28] = b"passerelle/community-id/v1:\0";

/// The 80 bits of a community id bound to `creator` at `ms`.
fn bound_bits(creator: &DeviceKey, ms: u64) -> Option<u128> {
    let key = creator.bytes()?;
    let mut hasher = blake3::Hasher::new();
    hasher.update(COMMUNITY_ID_DOMAIN);
    hasher.update(&key);
    hasher.update(&ms.to_be_bytes());
    let mut bits = [0u8; 16];
    bits[6..].copy_from_slice(&hasher.finalize().as_bytes()[..10]);
    Some(u128::from_be_bytes(bits))
}

impl DocumentId {
    /// A new document id from 128 random bits supplied by the caller.
    pub fn from_random(random: u128) -> Self {
        Self(format!("{random:032x}"))
    }

    /// Whether this string could be a document id (and is safe as a directory name).
    pub fn is_well_formed(s: &str) -> bool {
        s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
    }
}
