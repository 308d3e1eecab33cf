//! What the model's test files share: devices with real keys, members, and
//! the gate called as a receiving device calls it. Each file uses a part.
#![allow(dead_code)]

use automerge::{AutoCommit, Change, ChangeHash};
use passerelle_model::gate::{self, Authority, Incoming, Ledger, Writers};
use passerelle_model::layout::Genesis;
use passerelle_model::signing::Signed;
use passerelle_model::{
    Author, CommunityId, Device, DeviceKey, DocumentId, DocumentIds, Member, MemberId, Role,
    defaults,
};

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

/// The start of the community "Quartier" (fixed ids), made by `creator`.
pub fn genesis(creator: Member) -> Genesis {
    Genesis {
        id: CommunityId("01GENESIS".into()),
        community_doc: DocumentId::from_random(1),
        collections: DocumentIds {
            exchanges: DocumentId::from_random(2),
            agenda: DocumentId::from_random(3),
            ideas: DocumentId::from_random(4),
            savoirs: DocumentId::from_random(5),
            fil: DocumentId::from_random(6),
        },
        name: "Quartier".into(),
        description: String::new(),
        categories: defaults::default_categories(),
        themes: defaults::default_themes(),
        creator,
        now: 0,
        discovery_secret: "00".repeat(32),
    }
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

/// The secret of the tests' invites.
pub const SECRET: [u8; 16] = [7; 16];

/// What an invite stores: a stand-in for its secret's hash, or for a
/// pairing ticket the key derived from [`SECRET`].
pub fn invite_hash(pairing: bool) -> String {
    if pairing {
        passerelle_model::pairing::use_key(&SECRET)
    } else {
        "h".repeat(64)
    }
}

/// What the device admitting `device` presents for `invite`: the hash, or
/// for a pairing ticket the proof made with [`SECRET`].
pub fn invite_proof(pairing: bool, invite: &str, device: &DeviceKey) -> String {
    if pairing {
        passerelle_model::pairing::prove_use(&SECRET, invite, device.as_str())
    } else {
        "h".repeat(64)
    }
}

/// A signed community: Marion (admin, device 1) created it; Ana (membre,
/// device 2) and Bea (membre, device 3) added by Marion.
pub fn community() -> passerelle_model::CommunityDocs {
    let (marion, ana, bea) = (dev(1), dev(2), dev(3));
    let mut docs = passerelle_model::CommunityDocs::create_signed(
        genesis(member("01MARION", "Marion", Role::Admin, &marion.key)),
        &marion.key.actor(),
    )
    .unwrap();
    for (id, name, who) in [("01ANA", "Ana", &ana), ("01BEA", "Bea", &bea)] {
        add_member(&mut docs, &marion, id, name, who);
    }
    docs
}

/// `by` adds member `id` with `who`'s device, as a membre.
pub fn add_member(
    docs: &mut passerelle_model::CommunityDocs,
    by: &Dev,
    id: &str,
    name: &str,
    who: &Dev,
) {
    use passerelle_model::{Command, MemberCommand};
    docs.apply(
        &by.author(),
        Command::Members(MemberCommand::AddMember {
            id: MemberId(id.into()),
            display_name: name.into(),
            role: Role::Membre,
            device: who.key.clone(),
            device_label: String::new(),
        }),
        1,
    )
    .unwrap();
}

/// The map at `obj[key]` (the test fails if it is none).
pub fn map(doc: &AutoCommit, obj: &automerge::ObjId, key: &str) -> automerge::ObjId {
    use automerge::{ObjType, ReadDoc, Value};
    match doc.get(obj, key).unwrap() {
        Some((Value::Object(ObjType::Map), id)) => id,
        other => panic!("no map at {key}: {other:?}"),
    }
}

/// The community document's `members`.
pub fn members(doc: &AutoCommit) -> automerge::ObjId {
    map(doc, &automerge::ROOT, "members")
}

/// One change written by `who`'s actor on a fork of `doc` (a modified app).
pub fn write(doc: &AutoCommit, who: &Dev, f: impl FnOnce(&mut AutoCommit)) -> Change {
    let mut fork = doc.clone().fork();
    fork.set_actor(who.key.actor());
    f(&mut fork);
    fork.commit();
    fork.get_last_local_change().unwrap()
}
