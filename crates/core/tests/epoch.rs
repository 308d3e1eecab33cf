//! A node opening communities an earlier version left on disk (plain
//! Automerge files, no signatures, a genesis without `signed`): it signs its
//! own earlier writing, and an admin's device writes the signed epoch once,
//! leaving every view as it was.

use std::collections::BTreeMap;
use std::path::Path;

use automerge::{AutoCommit, ChangeHash};
use passerelle_core::model::gate::{self, Authority, Incoming, Ledger, Reason, Writers};
use passerelle_core::model::signing::{Signed, unwrap_file};
use passerelle_core::model::{
    Author, Command, CommunityDocs, CommunityId, DeviceKey, DocKind, ExchangeCommand, ExchangeKind,
    ExchangeMode, ItemId, MemberCommand, MemberId, Role, ViewCache, epoch,
};
use passerelle_core::{Handle, Node, NodeConfig};

const NOW: i64 = 1_780_000_000_000;

fn counter(seed: u128) -> impl FnMut() -> u128 {
    let mut n = seed;
    move || {
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        n
    }
}

/// Starts a node on `data` (a new one gets a name), runs `f`, stops it.
async fn with_node<T>(data: &Path, f: impl AsyncFnOnce(&Handle) -> T) -> T {
    let node = Node::start(NodeConfig::new(data)).unwrap();
    let h = node.handle();
    h.set_display_name("Chantal").await.unwrap();
    let out = f(&h).await;
    drop(h);
    node.shutdown().await;
    out
}

/// Writes `docs` as an earlier version kept them: one plain Automerge
/// snapshot per document.
fn leave_on_disk(data: &Path, docs: &mut CommunityDocs) -> CommunityId {
    let id = docs.id().clone();
    for (kind, doc) in docs.docs_mut() {
        let dir = data
            .join("communities")
            .join(id.as_str())
            .join(kind.as_str());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("0123456789abcdef.snapshot"), doc.save()).unwrap();
    }
    id
}

/// The example community of an earlier version, by `admin`, listing
/// `member` as a plain member.
fn legacy(admin: &DeviceKey, member: &DeviceKey) -> CommunityDocs {
    let mut docs = passerelle_demo::example_community_legacy(
        &admin.actor(),
        (admin, "Alice"),
        NOW,
        &mut counter(3),
    )
    .unwrap();
    docs.set_actor(&admin.actor());
    docs.apply(
        &Author {
            device: admin.clone(),
        },
        Command::Members(MemberCommand::AddMember {
            id: MemberId::from_parts(NOW, 77),
            display_name: "Chantal".into(),
            role: Role::Membre,
            device: member.clone(),
            device_label: String::new(),
        }),
        NOW,
    )
    .unwrap();
    docs
}

fn offer_by(docs: &mut CommunityDocs, device: &DeviceKey, title: &str) {
    docs.set_actor(&device.actor());
    docs.apply(
        &Author {
            device: device.clone(),
        },
        Command::Exchanges(ExchangeCommand::AddExchange {
            id: ItemId::from_parts(NOW, 99),
            kind: ExchangeKind::Offer,
            title: title.into(),
            description: String::new(),
            category: "bricolage".into(),
            mode: ExchangeMode::Don,
            place: None,
        }),
        NOW + 1,
    )
    .unwrap();
}

/// Each document of a bundle: its signatures and its Automerge bytes.
fn bundle_docs(path: &Path) -> BTreeMap<String, (Vec<Signed>, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    let magic = b"PASSERELLE-BUNDLE\x02".len();
    let (_, docs): (String, Vec<(String, Vec<u8>)>) =
        postcard::from_bytes(&bytes[magic..bytes.len() - 32]).unwrap();
    docs.into_iter()
        .map(|(kind, file)| {
            let (sigs, automerge) = unwrap_file(&file).unwrap();
            (kind, (sigs.iter().copied().collect(), automerge.to_vec()))
        })
        .collect()
}

fn shown(docs: &mut CommunityDocs) -> String {
    let v = ViewCache::default().view(docs).unwrap();
    format!(
        "{:?}",
        (
            &v.community,
            &v.exchanges,
            &v.events,
            &v.ideas,
            &v.sheets,
            &v.posts
        )
    )
}

#[tokio::test]
async fn a_member_signs_its_earlier_writing_when_it_opens_a_legacy_community() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let me = with_node(&data, async |h| h.device_key().clone()).await;
    let admin_secret = [5u8; 32];
    let admin = Signed::with_secret(&admin_secret, ChangeHash([0; 32])).device();
    let base = legacy(&admin, &me);
    // This device wrote an offer before it upgraded; the admin never saw it.
    let mut mine = base.clone();
    offer_by(&mut mine, &me, "Écrit avant la mise à jour");
    let id = leave_on_disk(&data, &mut mine);

    let out = tmp.path().join("c.bundle");
    with_node(&data, async |h| {
        h.export_bundle(&id, &out, false).await.unwrap();
    })
    .await;
    let docs = bundle_docs(&out);
    let (sigs, exchanges) = &docs["exchanges"];
    assert!(
        sigs.iter().any(|s| s.device() == me && s.verify()),
        "the node signed its own earlier writing: {sigs:?}"
    );
    let (_, community) = &docs["community"];
    assert!(
        epoch::read(&AutoCommit::load(community).unwrap(), &[]).is_empty(),
        "a member's device writes no epoch"
    );

    // The admin's device writes the epoch on what it holds, without that
    // offer; it then takes the offer with its signature, not without.
    let mut held = base.clone();
    held.set_actor(&admin.actor());
    epoch::write(&mut held, NOW + 2).unwrap();
    let mut ledger = Ledger::default();
    let writers = Writers::of(held.doc_mut(DocKind::Community).unwrap(), &mut ledger);
    let received = |sigs: &[Signed]| {
        let mut copy = held.doc(DocKind::Exchanges).unwrap().clone();
        assert!(writers.requires_signatures(&mut copy));
        gate::merge(
            &mut copy,
            &mut Ledger::default(),
            Authority::Collection(&writers),
            Incoming::read([exchanges.as_slice()]).unwrap(),
            sigs,
        )
        .unwrap()
    };
    let merged = received(sigs);
    assert_eq!((merged.applied, merged.refused.len()), (1, 0), "{merged:?}");
    let merged = received(&[]);
    assert_eq!(merged.applied, 0);
    assert_eq!(merged.refused[0].reason, Reason::Unsigned);
}

#[tokio::test]
async fn an_admins_device_writes_the_epoch_once_and_views_stay_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let me = with_node(&data, async |h| h.device_key().clone()).await;
    let other = DeviceKey("ab".repeat(32));
    let mut docs = legacy(&me, &other);
    let before = shown(&mut docs);
    let id = leave_on_disk(&data, &mut docs);

    let out = tmp.path().join("c.bundle");
    for round in 0..2 {
        with_node(&data, async |h| {
            h.export_bundle(&id, &out, false).await.unwrap();
        })
        .await;
        let files = bundle_docs(&out);
        let mut opened = BTreeMap::new();
        for (kind, (_, bytes)) in &files {
            let kind = DocKind::ALL
                .into_iter()
                .find(|k| k.as_str() == kind)
                .unwrap();
            opened.insert(kind, AutoCommit::load(bytes).unwrap());
        }
        let mut opened = CommunityDocs::from_docs(id.clone(), opened).unwrap();
        let community = opened.doc_mut(DocKind::Community).unwrap();
        let epochs = epoch::heads(community, &[], DocKind::Community);
        assert_eq!(epochs.len(), 1, "round {round}: one epoch, written once");
        assert!(gate::requires_signatures(community));
        assert_eq!(
            epoch::read(community, &[]).len(),
            DocKind::ALL.len(),
            "every document listed"
        );
        // The epoch is this device's change, and its signature came along.
        let (sigs, _) = &files["community"];
        let head = community.get_heads()[0];
        assert!(sigs.iter().any(|s| s.hash == head && s.device() == me));
        assert_eq!(shown(&mut opened), before, "round {round}: views unchanged");
    }
}
