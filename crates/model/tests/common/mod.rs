//! What the model's test files share: devices with real keys, members, and
//! the gate called as a receiving device calls it. Each file uses a part.
#![allow(dead_code)]

use automerge::{AutoCommit, Change, ChangeHash};
use passerelle_model::gate::{self, Authority, Incoming, Ledger, Writers};
use passerelle_model::signing::Signed;
use passerelle_model::{Author, Device, DeviceKey, Member, MemberId, Role};

/// A device with a real key, made from a byte: it signs its changes.
pub struct Dev {
    pub secret: [u8; 32],
    pub key: DeviceKey,
}

/// Device number `n` (its secret key is `n` repeated).
pub fn dev(n: u8) -> Dev {
    let secret = [n; 32];
    let key = Signed::with_secret(&secret, ChangeHash([0; 32])).device();
    Dev { secret, key }
}

impl Dev {
    /// The device as the author of commands.
    pub fn author(&self) -> Author {
        Author {
            device: self.key.clone(),
        }
    }

    /// Its signature over a change.
    pub fn sign(&self, hash: ChangeHash) -> Signed {
        Signed::with_secret(&self.secret, hash)
    }
}

/// A device key made of one character (no secret: it cannot sign).
pub fn key(c: char) -> DeviceKey {
    DeviceKey(c.to_string().repeat(64))
}

/// A member with one device.
pub fn member(id: &str, name: &str, role: Role, device: &DeviceKey) -> Member {
    Member {
        id: MemberId(id.into()),
        display_name: name.into(),
        role,
        devices: [(
            device.0.clone(),
            Device {
                added_at: 0,
                label: "portable".into(),
                revoked: None,
            },
        )]
        .into(),
        skills: vec![],
        languages: vec![],
        joined_at: 0,
        removed_at: None,
    }
}

/// Community-document changes received with these signatures.
pub fn receive(
    into: &mut AutoCommit,
    ledger: &mut Ledger,
    changes: Vec<Change>,
    sigs: &[Signed],
) -> gate::Merged {
    gate::merge(
        into,
        ledger,
        Authority::Community,
        Incoming::from_changes(changes),
        sigs,
    )
    .expect("no panic")
}

/// One collection change received, judged by `writers`.
pub fn receive_collection(
    doc: &mut AutoCommit,
    writers: &Writers,
    change: Change,
    sigs: &[Signed],
) -> gate::Merged {
    gate::merge(
        doc,
        &mut Ledger::default(),
        Authority::Collection(writers),
        Incoming::from_changes([change]),
        sigs,
    )
    .expect("no panic")
}
