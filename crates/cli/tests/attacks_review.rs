//! Review of the signed epoch on real nodes: a member's crafted bundle
//! that first undoes the admin's epoch with an ordinary signed change of
//! its own device, then carries writing under another device's actor
//! without a signature. Real `passerelle-node` processes, real bundles.
//! Attacks the nodes hold against are plain tests; attacks that still work
//! assert the safe outcome and are `#[ignore = "open: ..."]`.

use std::path::Path;

use automerge::transaction::Transactable;
use automerge::{ObjId, ROOT, ReadDoc};
use passerelle_core::{Node, NodeConfig};
use passerelle_model::{
    Author, Command, CommunityDocs, CommunityId, DeviceKey, DocKind, ExchangeKind, ExchangeMode,
    ItemId, MemberId, Role,
};
use passerelle_tests::{device, list, node, ok, setup};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn random() -> u128 {
    rand::random()
}

/// Keeps `docs` in the data directory `dir`, as its node would find them.
fn keep(dir: &Path, docs: CommunityDocs) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let node = Node::start(NodeConfig::new(dir)).unwrap();
        let id = node.handle().add_community_docs(docs).await.unwrap();
        node.shutdown().await;
        id.0
    })
}

fn export(dir: &Path, c: &str, out: &Path) -> std::path::PathBuf {
    ok(
        dir,
        &[
            "bundle",
            "export",
            "--community",
            c,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    out.to_owned()
}

fn import(dir: &Path, bundle: &Path) -> (Option<i32>, String) {
    let out = node(dir, &["bundle", "import", bundle.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!(
        "import into {}: {:?} {stderr}",
        dir.display(),
        out.status.code()
    );
    (out.status.code(), stderr)
}

fn titles(dir: &Path, c: &str) -> Vec<String> {
    list(dir, &["exchange", "list", "--community", c])
        .iter()
        .map(|e| e["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// An offer written by `device` into `docs`, under its own actor.
fn offer_by(docs: &mut CommunityDocs, device: &DeviceKey, title: &str) {
    docs.set_actor(&device.actor());
    docs.apply(
        &Author {
            device: device.clone(),
        },
        Command::AddExchange {
            id: ItemId::from_parts(now_ms(), random()),
            kind: ExchangeKind::Offer,
            title: title.into(),
            description: String::new(),
            category: "bricolage".into(),
            mode: ExchangeMode::Don,
            place: None,
        },
        now_ms(),
    )
    .unwrap();
}

/// The example community of an earlier version, made by `admin` (Alice),
/// with `others` listed as plain members.
fn legacy_community(admin: &DeviceKey, others: &[&DeviceKey]) -> CommunityDocs {
    let mut rng = random;
    let mut docs = passerelle_model::demo::example_community_legacy(
        &admin.actor(),
        (admin, "Alice"),
        now_ms(),
        &mut rng,
    )
    .unwrap();
    docs.set_actor(&admin.actor());
    for (i, device) in others.iter().enumerate() {
        docs.apply(
            &Author {
                device: admin.clone(),
            },
            Command::AddMember {
                id: MemberId::from_parts(now_ms(), random()),
                display_name: format!("Membre {i}"),
                role: Role::Membre,
                device: (*device).clone(),
                device_label: "portable".into(),
            },
            now_ms(),
        )
        .unwrap();
    }
    docs
}

/// The documents of a bundle, read with the model's own loader.
fn read_docs(bundle: &Path, c: &str) -> CommunityDocs {
    #[derive(serde::Deserialize)]
    struct Body {
        community: String,
        docs: Vec<(String, Vec<u8>)>,
    }
    let bytes = std::fs::read(bundle).unwrap();
    let magic = b"PASSERELLE-BUNDLE\x02".len();
    let body: Body = postcard::from_bytes(&bytes[magic..bytes.len() - 32]).unwrap();
    assert_eq!(body.community, c);
    let mut docs = std::collections::BTreeMap::new();
    for (kind, file) in body.docs {
        let kind = DocKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .unwrap();
        let mut doc = None;
        passerelle_model::layout::load_signed_file(&mut doc, &file).unwrap();
        docs.insert(kind, doc.unwrap());
    }
    CommunityDocs::from_docs(CommunityId(c.to_owned()), docs).unwrap()
}

fn map(doc: &automerge::AutoCommit, obj: &ObjId, key: &str) -> ObjId {
    match doc.get(obj, key).unwrap() {
        Some((_, id)) => id,
        None => panic!("no {key}"),
    }
}

/// Alice (admin) migrates a legacy community; Bruno's device takes her
/// epoch; Mallory (membre) writes `undo` with her own device (signed by her
/// node), then an offer under Alice's actor without a signature, and gives
/// Bruno a bundle of it. Returns whether Bruno's device shows the offer.
fn forged_offer_reaches_bruno(undo: impl FnOnce(&mut automerge::AutoCommit, &str)) -> bool {
    setup!();
    let (_ta, a) = device("Alice");
    let (_tb, b) = device("Bruno");
    let (_tm, m) = device("Mallory");
    let scratch = tempfile::tempdir().unwrap();
    let alice = DeviceKey(ok(&a, &["id"]));
    let bruno = DeviceKey(ok(&b, &["id"]));
    let mallory = DeviceKey(ok(&m, &["id"]));
    let legacy = legacy_community(&alice, &[&bruno, &mallory]);
    let alice_member = {
        let view = passerelle_model::ViewCache::default()
            .view(&mut legacy.clone())
            .unwrap();
        view.community
            .members
            .iter()
            .find(|x| x.devices.contains_key(alice.as_str()))
            .unwrap()
            .id
            .0
            .clone()
    };

    // Alice's device opens it and writes the epoch; Bruno's takes it.
    let c = keep(&a, legacy.clone());
    assert_eq!(keep(&b, legacy), c);
    let held = export(&a, &c, &scratch.path().join("held.bundle"));
    let (code, _) = import(&b, &held);
    assert_eq!(code, Some(0));
    // Control: an unsigned offer under Alice's actor is refused now.
    let mut current = read_docs(&held, &c);
    assert!(
        !passerelle_model::epoch::read(current.community()).is_empty(),
        "the epoch is there"
    );

    // Mallory's modified app: her own change, then the forgery.
    current.set_actor(&mallory.actor());
    let community = current.doc_mut(DocKind::Community).unwrap();
    undo(community, &alice_member);
    community.commit();
    offer_by(&mut current, &alice, "Offre forgée au nom d'Alice");
    assert_eq!(keep(&m, current), c);
    let crafted = export(&m, &c, &scratch.path().join("crafted.bundle"));
    let (code, stderr) = import(&b, &crafted);
    eprintln!("crafted bundle into Bruno's device: {code:?} {stderr}");
    titles(&b, &c).contains(&"Offre forgée au nom d'Alice".to_owned())
}

/// Control: with the epoch left alone, the forgery in the bundle is refused.
#[test]
fn an_unsigned_offer_under_the_admins_actor_is_refused_after_the_epoch() {
    assert!(!forged_offer_reaches_bruno(|_, _| {}));
}

#[test]
#[ignore = "open: a membre's signed deletion of `signed_since` (epoch.rs reads the current value) lets unsigned writing under the admin's actor into collections, through a bundle"]
fn a_membre_deleting_the_epoch_cannot_bring_in_unsigned_writing() {
    assert!(!forged_offer_reaches_bruno(|d, _| {
        d.delete(ROOT, passerelle_model::epoch::FIELD).unwrap()
    }));
}

#[test]
#[ignore = "open: a membre's forged `role` on the admin's entry (epoch.rs reads roles as written) voids the epoch; unsigned writing under the admin's actor comes in"]
fn a_membre_forging_the_admins_demotion_cannot_bring_in_unsigned_writing() {
    assert!(!forged_offer_reaches_bruno(|d, admin| {
        let members = map(d, &ROOT, "members");
        let entry = map(d, &members, admin);
        d.put(&entry, "role", "membre").unwrap();
    }));
}
