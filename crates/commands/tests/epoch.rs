//! Communities made before signed changes, brought under them by their
//! admin's signed epoch, and community ids bound to their creator's key:
//! real `passerelle-node` processes syncing over loopback, real bundles.
//!
//! The histories of earlier versions are built here with the model's own
//! code (`passerelle_demo::example_community_legacy`, `CommunityDocs::create`) and
//! given to a data directory by a node started in this process
//! (`Handle::add_community_docs`), as an upgraded device finds them on disk.
//! A forger's bundle is exported by the forger's own node.

use std::path::Path;

use passerelle_core::{Node, NodeConfig};
use passerelle_model::layout::Genesis;
use passerelle_model::{
    Author, Command, CommunityDocs, CommunityId, DeviceKey, DocKind, ExchangeCommand, ExchangeKind,
    ExchangeMode, ItemId, MemberCommand, MemberId, Role,
};
use passerelle_tests::exchange_titles as titles;
use passerelle_tests::{Server, add_offer, device, list, node, ok, setup, sync_with};
use serde_json::Value;

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

/// The bundle `dir` exports of community `c`.
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

/// Imports a bundle: (exit code, stderr).
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

fn members(dir: &Path, c: &str) -> Vec<Value> {
    list(dir, &["members", "list", "--community", c])
}

/// An offer written by `device` into a copy of `docs`, under its own actor
/// (signed only if a node of that device keeps it).
fn offer_by(docs: &CommunityDocs, device: &DeviceKey, title: &str) -> CommunityDocs {
    let mut docs = docs.clone();
    docs.set_actor(&device.actor());
    docs.apply(
        &Author {
            device: device.clone(),
        },
        Command::Exchanges(ExchangeCommand::AddExchange {
            id: ItemId::from_parts(now_ms(), random()),
            kind: ExchangeKind::Offer,
            title: title.into(),
            description: String::new(),
            category: "bricolage".into(),
            mode: ExchangeMode::Don,
            place: None,
        }),
        now_ms(),
    )
    .unwrap();
    docs
}

/// The example community of an earlier version, made by `admin` (Alice),
/// with `others` listed as plain members.
fn legacy_community(admin: &DeviceKey, others: &[&DeviceKey]) -> CommunityDocs {
    let mut rng = random;
    let mut docs = passerelle_demo::example_community_legacy(
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
            Command::Members(MemberCommand::AddMember {
                id: MemberId::from_parts(now_ms(), random()),
                display_name: format!("Membre {i}"),
                role: Role::Membre,
                device: (*device).clone(),
                device_label: "portable".into(),
            }),
            now_ms(),
        )
        .unwrap();
    }
    docs
}

/// A member device of the example community other than Alice's and Bruno's
/// (one of the made-up members: no node holds its key).
fn made_up_member(docs: &mut CommunityDocs, not: &[&DeviceKey]) -> DeviceKey {
    let view = passerelle_model::ViewCache::default().view(docs).unwrap();
    view.community
        .members
        .iter()
        .flat_map(|m| m.devices.keys())
        .map(|k| DeviceKey(k.clone()))
        .find(|k| !not.contains(&k))
        .unwrap()
}

#[test]
fn a_legacy_community_is_migrated_by_its_admin_then_refuses_unsigned_changes() {
    setup!();
    let (_ta, a) = device("Alice");
    let (_tb, b) = device("Bruno");
    let (_tc, c_dir) = device("Chantal");
    let (_tm, m) = device("Mallory");
    let scratch = tempfile::tempdir().unwrap();
    let alice = DeviceKey(ok(&a, &["id"]));
    let bruno = DeviceKey(ok(&b, &["id"]));
    let chantal = DeviceKey(ok(&c_dir, &["id"]));
    let mut legacy = legacy_community(&alice, &[&bruno, &chantal]);
    let marion = made_up_member(&mut legacy, &[&alice, &bruno, &chantal]);

    // Chantal's device holds the community as an earlier version left it.
    // It is no admin's: it writes no epoch.
    let c = keep(&c_dir, legacy.clone());
    let members_before = members(&c_dir, &c);
    let titles_before = titles(&c_dir, &c);

    // Before any epoch, an unsigned change under Marion's actor (a made-up
    // member: nobody holds her key) passes, as it always did.
    assert_eq!(keep(&m, offer_by(&legacy, &marion, "Avant l'époque")), c);
    let bundle = export(&m, &c, &scratch.path().join("early.bundle"));
    let (code, stderr) = import(&c_dir, &bundle);
    assert_eq!(code, Some(0));
    assert!(!stderr.contains("refused"), "{stderr}");
    assert!(titles(&c_dir, &c).contains(&"Avant l'époque".to_owned()));

    // Bruno's device held it too, with an offer of its own that Alice's
    // device has not seen, written before it upgraded.
    keep(&b, offer_by(&legacy, &bruno, "Vélo à prêter (Bruno)"));

    // Alice's device (an admin's) opens the community: it writes the
    // epoch, and every view stays as it was.
    keep(&a, legacy.clone());
    assert_eq!(members(&a, &c), members_before, "the epoch changes no view");
    assert_eq!(titles(&a, &c), titles_before, "the epoch changes no view");
    let server = Server::start(&a);
    add_offer(&a, &c, "Signé après l'époque");

    // Bruno syncs: Alice's signed writing passes, and so does Bruno's
    // earlier unsigned offer on Alice's device, which holds the epoch (his
    // device signed its own latest change: it vouches for the earlier ones).
    let summary = sync_with(&b, &server.ticket());
    assert_eq!(summary["peers"], 1, "{summary}");
    let on_b = titles(&b, &c);
    assert!(
        on_b.contains(&"Signé après l'époque".to_owned()),
        "{on_b:?}"
    );
    let on_a = titles(&a, &c);
    assert!(
        on_a.contains(&"Vélo à prêter (Bruno)".to_owned()),
        "{on_a:?}"
    );

    // After the epoch, the same kind of forgery in a bundle is refused.
    let (_tm2, m2) = device("Mallory");
    let held = export(&a, &c, &scratch.path().join("held.bundle"));
    let current = read_docs(&held, &c);
    keep(&m2, offer_by(&current, &marion, "Après l'époque"));
    let bundle = export(&m2, &c, &scratch.path().join("late.bundle"));
    let (code, stderr) = import(&b, &bundle);
    assert_eq!(code, Some(0));
    assert!(stderr.contains("not signed by its device"), "{stderr}");
    assert!(!titles(&b, &c).contains(&"Après l'époque".to_owned()));
    drop(server);
}

/// The documents of a bundle (this version's format), read with the
/// model's own loader.
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

#[test]
fn a_forged_genesis_in_a_bundle_is_refused_and_a_real_join_works() {
    setup!();
    let (_ta, a) = device("Alice");
    let (_tv, v) = device("Victor");
    let (_tm, m) = device("Mallory");
    let scratch = tempfile::tempdir().unwrap();
    let c = ok(&a, &["demo"]);
    let alice = DeviceKey(ok(&a, &["id"]));
    assert!(CommunityId(c.clone()).is_bound_to(&alice));
    let victor = DeviceKey(ok(&v, &["id"]));
    let mallory = DeviceKey(ok(&m, &["id"]));

    // Mallory's own signed community under the real community's id,
    // listing Victor, exported by her node (every change signed by it).
    let now = now_ms();
    let creator = passerelle_model::Member {
        id: MemberId::from_parts(now, random()),
        display_name: "Mallory".into(),
        role: Role::Admin,
        devices: [(
            mallory.0.clone(),
            passerelle_model::Device {
                added_at: now,
                label: "portable".into(),
                revoked: None,
            },
        )]
        .into(),
        skills: vec![],
        languages: vec![],
        joined_at: now,
        removed_at: None,
    };
    let mut genesis = Genesis::new(
        "Échange de savoirs",
        "",
        creator,
        &mallory,
        now,
        &mut random,
    )
    .unwrap();
    genesis.id = CommunityId(c.clone());
    let mut forged = CommunityDocs::create_signed(genesis, &mallory.actor()).unwrap();
    forged
        .apply(
            &Author {
                device: mallory.clone(),
            },
            Command::Members(MemberCommand::AddMember {
                id: MemberId::from_parts(now, random()),
                display_name: "Victor".into(),
                role: Role::Membre,
                device: victor.clone(),
                device_label: "portable".into(),
            }),
            now,
        )
        .unwrap();
    assert_eq!(keep(&m, forged), c);
    let bundle = export(&m, &c, &scratch.path().join("forged.bundle"));
    let (code, stderr) = import(&v, &bundle);
    assert_ne!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("the start of another community under its id"),
        "{stderr}"
    );
    assert!(list(&v, &["community", "list"]).is_empty());

    // The real community: joined with an invite, its genesis checked.
    let server = Server::start(&a);
    ok(&v, &["join", &ok(&a, &["invite", "--community", &c])]);
    let held = list(&v, &["community", "list"]);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(titles(&v, &c), titles(&a, &c));
    drop(server);
}
