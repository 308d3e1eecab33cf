//! Forgeries against a real `passerelle-node serve` over real iroh endpoints
//! on loopback (protocol revision 3, signed changes): a member writing under
//! the admin's actor, a stranger proving a membership it does not have, a
//! crafted offline bundle, and a DEFLATE bomb in a sync message. Each test
//! prints its figures (`eprintln!`) and checks that a legitimate member
//! still syncs afterwards.
//!
//! The attacker is a raw iroh endpoint built here, writing hand-made frames
//! (4-byte big-endian length + postcard body, docs/PROTOCOL.md); where it
//! must be a member it becomes one the honest way, with an invite. Forged
//! changes are written with Passerelle's own command code on a copy of the
//! real community document, under another actor than the author's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use automerge::{AutoCommit, ChangeHash};
use data_encoding::{HEXLOWER, HEXLOWER_PERMISSIVE};
use iroh::endpoint::{Connection, ConnectionError, PortmapperConfig, presets};
use iroh::{Endpoint, RelayMode, SecretKey};
use passerelle_model::layout::new_doc;
use passerelle_model::signing::{Signatures, Signed, wrap_file};
use passerelle_model::{
    Author, Command, CommunityCommand, CommunityDocs, CommunityId, DeviceKey, DocKind,
    MemberCommand, MemberId, Role,
};
use passerelle_sync::wire::{self, MAX_FRAME, SyncFrame, code};
use passerelle_sync::{EndpointAddr, INVITE_ALPN, JoinReply, JoinRequest, SYNC_ALPN, SyncMessage};
use passerelle_tests::{Server, device, list, node, ok, setup, sync_with};
use serde_json::Value;

/// The entries of a `Proofs` frame: (community id, signed community document).
type Proofs = Vec<(String, Vec<u8>)>;
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A bare iroh endpoint on loopback with a fresh key: the attacker's
/// device, and its secret key (to sign what it writes).
async fn raw_endpoint() -> (Endpoint, SecretKey) {
    let secret = SecretKey::generate();
    let endpoint = Endpoint::builder(presets::Minimal)
        .secret_key(secret.clone())
        .relay_mode(RelayMode::Disabled)
        .portmapper_config(PortmapperConfig::Disabled)
        .clear_ip_transports()
        .bind_addr("127.0.0.1:0")
        .unwrap()
        .bind()
        .await
        .unwrap();
    (endpoint, secret)
}

/// The device key (hex) of a secret key, as members list it.
fn key_hex(secret: &SecretKey) -> String {
    HEXLOWER.encode(secret.public().as_bytes())
}

/// The close code a connection ends with, and how long it took to end.
async fn closed_with(conn: &Connection, within: Duration) -> (Option<u64>, Duration) {
    let started = Instant::now();
    let reason = tokio::time::timeout(within, conn.closed()).await;
    let code = match reason {
        Ok(ConnectionError::ApplicationClosed(close)) => Some(close.error_code.into_inner()),
        Ok(other) => {
            eprintln!("(connection ended: {other})");
            None
        }
        Err(_) => None,
    };
    (code, started.elapsed())
}

/// The node under attack (A, the admin, serving the example community), a
/// legitimate member (B, not serving) and what is needed to reach A.
struct Scene {
    _ta: tempfile::TempDir,
    a: PathBuf,
    server: Server,
    _tb: tempfile::TempDir,
    b: PathBuf,
    community: String,
    addr: EndpointAddr,
    /// A's device key: the admin's.
    admin: String,
    /// Scratch space for exports and bundles.
    scratch: tempfile::TempDir,
}

impl Scene {
    fn new() -> Scene {
        let (_ta, a) = device("Alice");
        let community = ok(&a, &["demo"]);
        let admin = ok(&a, &["id"]);
        let server = Server::start(&a);
        let (_tb, b) = device("Bruno");
        ok(
            &b,
            &["join", &ok(&a, &["invite", "--community", &community])],
        );
        let addr = passerelle_core::Ticket::decode(&server.ticket())
            .unwrap()
            .addr;
        Scene {
            _ta,
            a,
            server,
            _tb,
            b,
            community,
            addr,
            admin,
            scratch: tempfile::tempdir().unwrap(),
        }
    }

    /// A new invite of the community, as (invite id, secret).
    fn invite(&self) -> (String, [u8; 16]) {
        let ticket = passerelle_core::Ticket::decode(&ok(
            &self.a,
            &["invite", "--community", &self.community],
        ))
        .unwrap();
        let invite = ticket.invite.unwrap();
        (invite.invite, invite.secret)
    }

    fn members(&self, dir: &Path) -> Vec<Value> {
        list(dir, &["members", "list", "--community", &self.community])
    }

    /// The community document as `dir` holds it (`export --format automerge`).
    fn community_doc(&self, dir: &Path) -> AutoCommit {
        let out = self
            .scratch
            .path()
            .join(format!("export-{}", rand::random::<u32>()));
        let out_s = out.to_str().unwrap();
        ok(
            dir,
            &[
                "export",
                "--community",
                &self.community,
                "--format",
                "automerge",
                "--out",
                out_s,
            ],
        );
        let bytes = std::fs::read(out.join("community.automerge")).unwrap();
        let mut doc = new_doc();
        doc.load_incremental(&bytes).unwrap();
        doc
    }

    /// B adds an item and syncs with A: A must get it. Returns the time taken.
    fn member_still_syncs(&self, label: &str) -> Duration {
        let title = format!("Preuve de service {label}");
        let args = [
            "exchange",
            "add",
            "--community",
            &self.community,
            "--kind",
            "offer",
            "--title",
            &title,
            "--category",
            "bricolage",
        ];
        ok(&self.b, &args);
        let started = Instant::now();
        let summary = sync_with(&self.b, &self.server.ticket());
        let took = started.elapsed();
        assert_eq!(summary["peers"], 1, "the member could not sync: {summary}");
        assert_eq!(heads(&self.a), heads(&self.b));
        took
    }
}

fn heads(dir: &Path) -> Value {
    let all = list(dir, &["community", "list"]);
    all[0]["heads"].clone()
}

/// Presents an invite on `passerelle/invite/1` from `endpoint`.
async fn present(
    endpoint: &Endpoint,
    addr: &EndpointAddr,
    community: &str,
    invite: &str,
    secret: [u8; 16],
) -> Option<JoinReply> {
    let conn = endpoint.connect(addr.clone(), INVITE_ALPN).await.unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    let request = JoinRequest {
        community: community.into(),
        invite: invite.into(),
        secret,
        display_name: "Mallory".into(),
    };
    send.write_all(&wire::encode(&request)).await.unwrap();
    let _ = send.finish();
    let reply = wire::read::<JoinReply>(&mut recv, wire::MAX_INVITE_FRAME).await;
    conn.close(code::DONE, b"bye");
    reply.ok().map(|(r, _)| r)
}

/// A raw endpoint that joined the community with a real invite.
async fn member(scene: &Scene) -> (Endpoint, SecretKey) {
    let invite = scene.invite();
    let (endpoint, secret) = raw_endpoint().await;
    let reply = present(
        &endpoint,
        &scene.addr,
        &scene.community,
        &invite.0,
        invite.1,
    )
    .await;
    assert!(
        matches!(reply, Some(JoinReply::Admitted { .. })),
        "{reply:?}"
    );
    (endpoint, secret)
}

type Frames = tokio::sync::mpsc::UnboundedReceiver<(SyncFrame, usize)>;

/// Opens a sync session as the dialler, writes `frames`, and hands back
/// the node's frames as they come.
async fn open(
    endpoint: &Endpoint,
    addr: &EndpointAddr,
    frames: Vec<SyncFrame>,
) -> (Connection, iroh::endpoint::SendStream, Frames) {
    let conn = endpoint.connect(addr.clone(), SYNC_ALPN).await.unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    for frame in frames {
        // The node may close while we still write.
        if send.write_all(&wire::encode(&frame)).await.is_err() {
            break;
        }
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(frame) = wire::read::<SyncFrame>(&mut recv, MAX_FRAME).await {
            if tx.send(frame).is_err() {
                break;
            }
        }
    });
    (conn, send, rx)
}

/// A member's session through the handshake (revision 3, an empty summary,
/// nothing to prove).
async fn handshake(
    endpoint: &Endpoint,
    scene: &Scene,
) -> (Connection, iroh::endpoint::SendStream, Frames) {
    open(
        endpoint,
        &scene.addr,
        vec![
            SyncFrame::Hello {
                version: 3,
                communities: vec![scene.community.clone()],
            },
            SyncFrame::Summary {
                communities: vec![],
            },
            SyncFrame::Prove {
                communities: vec![],
            },
            SyncFrame::Proofs { proofs: vec![] },
        ],
    )
    .await
}

/// Waits until the node has sent its first sync message (the handshake is
/// over on its side).
async fn past_handshake(frames: &mut Frames) {
    loop {
        let (frame, _) = tokio::time::timeout(Duration::from_secs(10), frames.recv())
            .await
            .expect("the node answers the handshake")
            .expect("the node keeps the connection open");
        if matches!(frame, SyncFrame::Sync(_)) {
            return;
        }
    }
}

/// Every frame still coming, until the stream ends or `within` passes.
async fn rest(frames: &mut Frames, within: Duration) -> Vec<(SyncFrame, usize)> {
    let deadline = tokio::time::Instant::now() + within;
    let mut out = Vec::new();
    while let Ok(Some(frame)) = tokio::time::timeout_at(deadline, frames.recv()).await {
        out.push(frame);
    }
    out
}

/// An encoded Automerge sync message, made by hand.
fn message(heads: Vec<ChangeHash>, changes: Vec<Vec<u8>>) -> Vec<u8> {
    let mut heads = heads;
    heads.sort();
    automerge::sync::Message {
        heads,
        need: vec![],
        have: vec![],
        changes: changes.into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    }
    .encode()
}

fn sync_frame(community: &str, doc: u8, data: Vec<u8>) -> SyncFrame {
    SyncFrame::Sync(SyncMessage {
        community: community.into(),
        doc,
        data,
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Runs a command on a copy of a community document with Passerelle's own
/// command code, as `author` (which must be a member) but written under
/// `actor`'s Automerge actor: the change a modified app would make. Returns
/// the document after it and the new change(s).
fn forge(
    doc: &AutoCommit,
    community: &str,
    author: &str,
    actor: &str,
    command: Command,
) -> (AutoCommit, Vec<automerge::Change>) {
    let mut docs = CommunityDocs::from_docs(
        CommunityId(community.to_owned()),
        BTreeMap::from([(DocKind::Community, doc.clone())]),
    )
    .unwrap();
    docs.set_actor(&DeviceKey(actor.to_owned()).actor());
    let before = docs.doc_mut(DocKind::Community).unwrap().get_heads();
    docs.apply(
        &Author {
            device: DeviceKey(author.to_owned()),
        },
        command,
        now_ms(),
    )
    .unwrap();
    let mut doc = docs.doc_mut(DocKind::Community).unwrap().clone();
    let changes = doc.get_changes(&before);
    assert!(!changes.is_empty());
    for c in &changes {
        assert_eq!(c.actor_id(), &DeviceKey(actor.to_owned()).actor());
    }
    (doc, changes)
}

/// The highest sequence number an actor has in a document.
fn max_seq(doc: &mut AutoCommit, actor: &automerge::ActorId) -> u64 {
    doc.get_changes(&[])
        .iter()
        .filter(|c| c.actor_id() == actor)
        .map(|c| c.seq())
        .max()
        .unwrap_or(0)
}

fn member_with_key<'a>(members: &'a [Value], key: &str) -> Option<&'a Value> {
    members.iter().find(|m| {
        m["devices"]
            .as_object()
            .is_some_and(|d| d.contains_key(key))
    })
}

/// Waits for `changes_refused` events of the community until `count`
/// changes are counted or `within` passes; returns the events.
fn refused_events(
    server: &mut Server,
    community: &str,
    count: u64,
    within: Duration,
) -> Vec<Value> {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    let mut total = 0;
    // Events already seen count too.
    for e in server
        .seen
        .iter()
        .filter(|e| e["event"] == "changes_refused")
    {
        total += e["count"].as_u64().unwrap_or(0);
        seen.push(e.clone());
    }
    while total < count {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let c = community.to_owned();
        let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            server
                .wait_for("changes_refused", left, |e| e["community"] == c.as_str())
                .0
        }));
        match got {
            Ok(e) => {
                total += e["count"].as_u64().unwrap_or(0);
                seen.push(e);
            }
            Err(_) => break,
        }
    }
    seen
}

// ---------------------------------------------------------------------------
// 1. A member writes under the admin's actor.

#[test]
fn a_member_cannot_write_under_the_admins_actor() {
    setup!();
    let mut scene = Scene::new();
    let rt = runtime();
    let (mallory, secret) = rt.block_on(member(&scene));
    let mallory_key = key_hex(&secret);
    let c = scene.community.clone();
    let members_before = scene.members(&scene.a);
    let mallory_id = member_with_key(&members_before, &mallory_key).expect("Mallory joined")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bruno_key = ok(&scene.b, &["id"]);
    let name_before = list(&scene.a, &["community", "list"])[0]["name"].clone();

    // What Mallory's copy holds (she synced it as a member).
    let mut real = scene.community_doc(&scene.a);
    let admin_actor = DeviceKey(scene.admin.clone()).actor();
    let admin_seq = max_seq(&mut real, &admin_actor);

    // Three forgeries under the admin's actor and its next number.
    let (_, renamed) = forge(
        &real,
        &c,
        &scene.admin,
        &scene.admin,
        Command::Community(CommunityCommand::UpdateCommunity {
            name: Some("Communauté piratée".into()),
            description: None,
        }),
    );
    let (_, promoted) = forge(
        &real,
        &c,
        &scene.admin,
        &scene.admin,
        Command::Members(MemberCommand::SetRole {
            member: MemberId(mallory_id.clone()),
            role: Role::Admin,
        }),
    );
    let (_, renamed_again) = forge(
        &real,
        &c,
        &scene.admin,
        &scene.admin,
        Command::Community(CommunityCommand::UpdateCommunity {
            name: Some("Communauté volée".into()),
            description: None,
        }),
    );
    let forged: Vec<automerge::Change> = [&renamed, &promoted, &renamed_again]
        .into_iter()
        .map(|v| {
            assert_eq!(v.len(), 1);
            assert_eq!(v[0].seq(), admin_seq + 1);
            v[0].clone()
        })
        .collect();
    let hashes: Vec<ChangeHash> = forged.iter().map(|c| c.hash()).collect();
    let mallory_secret = secret.to_bytes();
    // (a) signed with Mallory's own key.
    let mut by_mallory = Signatures::default();
    by_mallory.keep(
        forged[0].seq(),
        Signed::with_secret(&mallory_secret, forged[0].hash()),
    );
    let a = wrap_file(
        &by_mallory,
        &message(vec![hashes[0]], vec![forged[0].raw_bytes().to_vec()]),
    );
    // (b) no signatures at all (plain Automerge bytes).
    let b = message(vec![hashes[1]], vec![forged[1].raw_bytes().to_vec()]);
    // (c) a record that names the admin's key, with Mallory's signature.
    let mut claimed = Signed::with_secret(&mallory_secret, forged[2].hash());
    claimed
        .key
        .copy_from_slice(&HEXLOWER_PERMISSIVE.decode(scene.admin.as_bytes()).unwrap());
    let mut by_admin_claimed = Signatures::default();
    by_admin_claimed.keep(forged[2].seq(), claimed);
    let cc = wrap_file(
        &by_admin_claimed,
        &message(vec![hashes[2]], vec![forged[2].raw_bytes().to_vec()]),
    );

    let started = Instant::now();
    let (back, code) = rt.block_on(async {
        let (conn, mut send, mut frames) = handshake(&mallory, &scene).await;
        past_handshake(&mut frames).await;
        for data in [a, b, cc] {
            send.write_all(&wire::encode(&sync_frame(&c, 0, data)))
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let back = rest(&mut frames, Duration::from_secs(2)).await;
        let code = conn.close_reason().map(|r| format!("{r}"));
        conn.close(code::DONE, b"bye");
        (back, code)
    });
    let events = refused_events(&mut scene.server, &c, 3, Duration::from_secs(15));
    let refused: u64 = events
        .iter()
        .map(|e| e["count"].as_u64().unwrap_or(0))
        .sum();
    eprintln!(
        "forge: 3 changes under the admin's actor (seq {}) sent in {:?}; {} frames back, connection {:?}; changes_refused events: {events:?}",
        admin_seq + 1,
        started.elapsed(),
        back.len(),
        code
    );
    assert!(!events.is_empty(), "serve printed no changes_refused event");
    assert_eq!(refused, 3, "{events:?}");

    // Nothing of it on the node.
    let mut held = scene.community_doc(&scene.a);
    for h in &hashes {
        assert!(held.get_change_by_hash(h).is_none(), "the node kept {h}");
    }
    assert_eq!(max_seq(&mut held, &admin_actor), admin_seq);
    assert_eq!(
        list(&scene.a, &["community", "list"])[0]["name"],
        name_before
    );
    let members = scene.members(&scene.a);
    assert_eq!(
        member_with_key(&members, &mallory_key).unwrap()["role"],
        "membre"
    );

    // The admin writes for real: the same actor, the same number.
    ok(
        &scene.a,
        &[
            "members",
            "role",
            "--community",
            &c,
            &bruno_key,
            "animateur",
        ],
    );
    let mut held = scene.community_doc(&scene.a);
    let real_change = held
        .get_changes(&[])
        .into_iter()
        .find(|ch| ch.actor_id() == &admin_actor && ch.seq() == admin_seq + 1)
        .expect("the admin's real change");
    assert!(!hashes.contains(&real_change.hash()));
    // The other member gets it.
    let summary = sync_with(&scene.b, &scene.server.ticket());
    assert_eq!(summary["peers"], 1, "{summary}");
    let mut at_b = scene.community_doc(&scene.b);
    assert!(at_b.get_change_by_hash(&real_change.hash()).is_some());
    for h in &hashes {
        assert!(at_b.get_change_by_hash(h).is_none(), "B got {h}");
    }
    let members_b = scene.members(&scene.b);
    assert_eq!(
        member_with_key(&members_b, &bruno_key).unwrap()["role"],
        "animateur"
    );
    assert_eq!(heads(&scene.a), heads(&scene.b));
    eprintln!(
        "forge: the admin's real change {} (seq {}) reached the other member; Bruno is {}",
        real_change.hash(),
        real_change.seq(),
        member_with_key(&members_b, &bruno_key).unwrap()["role"]
    );
    drop(rt);
    let took = scene.member_still_syncs("après la contrefaçon");
    eprintln!("forge: a member synced right after, in {took:?}");
}

// ---------------------------------------------------------------------------
// 1b. A member's device signs two versions of one change (equivocation).

/// A change by `secret`'s device on top of `doc`, setting a root key of the
/// community document (content the rules ignore; only the gate matters).
fn own_change(doc: &AutoCommit, secret: &SecretKey, value: &str) -> automerge::Change {
    use automerge::transaction::Transactable;
    let mut copy = doc.clone();
    copy.set_actor(DeviceKey(key_hex(secret)).actor());
    copy.put(automerge::ROOT, "note", value).unwrap();
    copy.get_last_local_change().unwrap()
}

/// A sync message carrying `change`, signed by `secret`.
fn signed_message(secret: &SecretKey, change: &automerge::Change) -> Vec<u8> {
    let mut signatures = Signatures::default();
    signatures.keep(
        change.seq(),
        Signed::with_secret(&secret.to_bytes(), change.hash()),
    );
    wrap_file(
        &signatures,
        &message(vec![change.hash()], vec![change.raw_bytes().to_vec()]),
    )
}

#[test]
fn an_equivocation_is_kept_as_evidence_and_never_served() {
    setup!();
    let mut scene = Scene::new();
    let rt = runtime();
    let (mallory, secret) = rt.block_on(member(&scene));
    let c = scene.community.clone();
    let real = scene.community_doc(&scene.a);
    // Two versions of Mallory's first change: one number, two contents.
    let first = own_change(&real, &secret, "version 1");
    let second = own_change(&real, &secret, "version 2");
    assert_eq!((first.seq(), second.seq()), (1, 1));
    assert_ne!(first.hash(), second.hash());
    // And a forgery under the admin's actor, unsigned.
    let admin_actor = DeviceKey(scene.admin.clone()).actor();
    let mut forged_doc = real.clone();
    forged_doc.set_actor(admin_actor.clone());
    automerge::transaction::Transactable::put(&mut forged_doc, automerge::ROOT, "note", "x")
        .unwrap();
    let forged = forged_doc.get_last_local_change().unwrap();
    // An unsigned change under a number the admin's device already used:
    // refused as a second version, but no proof against the admin.
    let mut whole = real.clone();
    let admin_last = whole
        .get_changes(&[])
        .into_iter()
        .filter(|ch| ch.actor_id() == &admin_actor)
        .max_by_key(|ch| ch.seq())
        .expect("the admin wrote the example");
    assert!(
        admin_last.seq() >= 2,
        "the admin's device wrote more than once"
    );
    let mut framing_doc = whole.fork_at(admin_last.deps()).unwrap();
    framing_doc.set_actor(admin_actor.clone());
    automerge::transaction::Transactable::put(&mut framing_doc, automerge::ROOT, "note", "y")
        .unwrap();
    let framing = framing_doc.get_last_local_change().unwrap();
    assert_eq!(framing.seq(), admin_last.seq());

    rt.block_on(async {
        let (conn, mut send, mut frames) = handshake(&mallory, &scene).await;
        past_handshake(&mut frames).await;
        let data = signed_message(&secret, &first);
        send.write_all(&wire::encode(&sync_frame(&c, 0, data)))
            .await
            .unwrap();
        scene
            .server
            .wait_for("received", Duration::from_secs(15), |e| {
                e["community"] == c.as_str()
            });
        for data in [
            signed_message(&secret, &second),
            message(vec![forged.hash()], vec![forged.raw_bytes().to_vec()]),
            message(vec![framing.hash()], vec![framing.raw_bytes().to_vec()]),
        ] {
            send.write_all(&wire::encode(&sync_frame(&c, 0, data)))
                .await
                .unwrap();
        }
        let events = refused_events(&mut scene.server, &c, 3, Duration::from_secs(15));
        let count: u64 = events.iter().map(|e| e["count"].as_u64().unwrap()).sum();
        assert_eq!(count, 3, "{events:?}");
        conn.close(code::DONE, b"bye");
    });

    // Kept aside, with its reason; the equivocation with its evidence.
    let kept = list(&scene.a, &["refused", "list", "--community", &c]);
    eprintln!("equivocation: refused list: {kept:#?}");
    assert_eq!(kept.len(), 3, "{kept:?}");
    let equivocation = kept
        .iter()
        .find(|r| r["code"] == "equivocation")
        .expect("the equivocation is listed");
    assert_eq!(equivocation["hash"], second.hash().to_string());
    assert_eq!(equivocation["writer"], key_hex(&secret));
    assert_eq!(equivocation["from"], key_hex(&secret));
    assert_eq!(equivocation["doc"], "community");
    let evidence = &equivocation["evidence"];
    assert_eq!(evidence["held"], first.hash().to_string());
    assert_eq!(evidence["seq"], 1);
    assert_eq!(evidence["change"], HEXLOWER.encode(second.raw_bytes()));
    assert_eq!(evidence["signature"]["hash"], second.hash().to_string());
    assert_eq!(evidence["signature"]["key"], key_hex(&secret));
    let unsigned = kept.iter().find(|r| r["code"] == "unsigned").unwrap();
    assert_eq!(unsigned["hash"], forged.hash().to_string());
    assert!(unsigned.get("evidence").is_none());
    // The unsigned second version under the admin's number frames no one.
    let reused = kept.iter().find(|r| r["code"] == "reused_number").unwrap();
    assert_eq!(reused["hash"], framing.hash().to_string());
    assert!(reused.get("evidence").is_none());
    assert_eq!(
        kept.iter().filter(|r| r["code"] == "equivocation").count(),
        1,
        "{kept:?}"
    );
    let text = ok(&scene.a, &["refused", "list", "--community", &c]);
    assert!(text.contains("EQUIVOCATION"), "{text}");
    assert_eq!(text.matches("EQUIVOCATION").count(), 1, "{text}");

    // Never stored, never served: a third device gets the first version only.
    let mut held = scene.community_doc(&scene.a);
    assert!(held.get_change_by_hash(&first.hash()).is_some());
    assert!(held.get_change_by_hash(&second.hash()).is_none());
    assert!(held.get_change_by_hash(&forged.hash()).is_none());
    let summary = sync_with(&scene.b, &scene.server.ticket());
    assert_eq!(summary["peers"], 1, "{summary}");
    let mut at_b = scene.community_doc(&scene.b);
    assert!(at_b.get_change_by_hash(&first.hash()).is_some());
    assert!(at_b.get_change_by_hash(&second.hash()).is_none());
    assert!(at_b.get_change_by_hash(&forged.hash()).is_none());
    assert!(at_b.get_change_by_hash(&framing.hash()).is_none());
    assert_eq!(heads(&scene.a), heads(&scene.b));
    // The other device keeps no refused change: it was sent none.
    let at_b_refused = list(&scene.b, &["refused", "list", "--community", &c]);
    assert!(at_b_refused.is_empty(), "{at_b_refused:?}");
    drop(rt);
}

// ---------------------------------------------------------------------------
// Bundles, as crates/core/src/bundle.rs writes them.

const BUNDLE_MAGIC: &[u8] = b"PASSERELLE-BUNDLE\x02";

/// (community, [(kind, signed file)]) of a bundle, its hash checked.
fn read_bundle(bytes: &[u8]) -> (String, Vec<(String, Vec<u8>)>) {
    assert!(bytes.starts_with(BUNDLE_MAGIC));
    let (content, trailer) = bytes.split_at(bytes.len() - 32);
    assert_eq!(
        blake3_ref::hash(content),
        trailer,
        "this file's BLAKE3 agrees with the node's"
    );
    postcard::from_bytes(&content[BUNDLE_MAGIC.len()..]).unwrap()
}

fn write_bundle(community: &str, docs: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut bytes = BUNDLE_MAGIC.to_vec();
    bytes.extend(postcard::to_stdvec(&(community, docs)).unwrap());
    let hash = blake3_ref::hash(&bytes);
    bytes.extend_from_slice(&hash);
    bytes
}

/// A member's bundle export of the community: (bundle bytes, the community
/// document's signatures and save).
fn exported_bundle(scene: &Scene, dir: &Path) -> (Vec<u8>, Signatures, Vec<u8>) {
    let out = scene
        .scratch
        .path()
        .join(format!("bundle-{}", rand::random::<u32>()));
    ok(
        dir,
        &[
            "bundle",
            "export",
            "--community",
            &scene.community,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(&out).unwrap();
    let (community, docs) = read_bundle(&bytes);
    assert_eq!(community, scene.community);
    let (_, file) = docs
        .iter()
        .find(|(k, _)| k == "community")
        .expect("a community document");
    let (sigs, save) = passerelle_model::signing::unwrap_file(file).unwrap();
    (bytes.clone(), sigs, save.to_vec())
}

/// The real community document plus a change by `stranger` (under its own
/// actor, signed with its key) listing itself as an admin: returns the
/// signed file (signatures, then `save()`) and the change's hash.
fn stranger_lists_itself(
    scene: &Scene,
    sigs: &Signatures,
    save: &[u8],
    stranger: &SecretKey,
) -> (Vec<u8>, ChangeHash) {
    let mut real = new_doc();
    real.load_incremental(save).unwrap();
    let key = key_hex(stranger);
    let (mut doc, changes) = forge(
        &real,
        &scene.community,
        &scene.admin,
        &key,
        Command::Members(MemberCommand::AddMember {
            id: MemberId::from_parts(now_ms(), rand::random()),
            display_name: "Mallory".into(),
            role: Role::Admin,
            device: DeviceKey(key.clone()),
            device_label: "portable".into(),
        }),
    );
    let last = changes.last().unwrap();
    let mut sigs = sigs.clone();
    sigs.keep(
        last.seq(),
        Signed::with_secret(&stranger.to_bytes(), last.hash()),
    );
    (wrap_file(&sigs, &doc.save()), last.hash())
}

/// A whole community document of the stranger's own making, with the real
/// community's id, listing only the stranger (changes without
/// dependencies, signed).
fn stranger_genesis(community: &str, stranger: &SecretKey) -> Vec<u8> {
    use passerelle_model::layout::Genesis;
    let key = key_hex(stranger);
    let now = now_ms();
    let creator = passerelle_model::Member {
        id: MemberId::from_parts(now, rand::random()),
        display_name: "Mallory".into(),
        role: Role::Admin,
        devices: [(
            key.clone(),
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
    let device = DeviceKey(key.clone());
    let mut genesis = Genesis::new("Fausse communauté", "", creator, &device, now, &mut || {
        rand::random()
    })
    .unwrap();
    genesis.id = CommunityId(community.to_owned());
    let mut docs = CommunityDocs::create_signed(genesis, &DeviceKey(key).actor()).unwrap();
    let doc = docs.doc_mut(DocKind::Community).unwrap();
    let mut sigs = Signatures::default();
    for ch in doc.get_changes(&[]) {
        sigs.keep(
            ch.seq(),
            Signed::with_secret(&stranger.to_bytes(), ch.hash()),
        );
    }
    wrap_file(&sigs, &doc.save())
}

/// CPU time (user + system) a process has used so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of the line: the 12th and 13th after the name and state.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_millis(ticks * 1000 / hz)
}

/// A field of /proc/<pid>/status, in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn frame_name(frame: &SyncFrame) -> &'static str {
    match frame {
        SyncFrame::Hello { .. } => "Hello",
        SyncFrame::Prove { .. } => "Prove",
        SyncFrame::Proofs { .. } => "Proofs",
        SyncFrame::Sync(_) => "Sync",
        SyncFrame::Summary { .. } => "Summary",
    }
}

/// What a stranger got from a session: (frames by name, total bytes, any
/// document bytes at all, close code).
async fn stranger_session(
    endpoint: &Endpoint,
    scene: &Scene,
    proofs: Vec<(String, Vec<u8>)>,
) -> (Vec<&'static str>, usize, bool, Option<u64>) {
    let (conn, _send, mut frames) = open(
        endpoint,
        &scene.addr,
        vec![
            SyncFrame::Hello {
                version: 3,
                communities: vec![scene.community.clone()],
            },
            SyncFrame::Summary {
                communities: vec![],
            },
            SyncFrame::Prove {
                communities: vec![],
            },
            SyncFrame::Proofs { proofs },
        ],
    )
    .await;
    let got = rest(&mut frames, Duration::from_secs(15)).await;
    let code = closed_with(&conn, Duration::from_secs(2)).await.0;
    conn.close(code::DONE, b"bye");
    let bytes = got.iter().map(|(_, n)| n).sum();
    let documents = got.iter().any(|(f, _)| match f {
        SyncFrame::Sync(_) => true,
        SyncFrame::Proofs { proofs } => !proofs.is_empty(),
        SyncFrame::Summary { communities } => !communities.is_empty(),
        _ => false,
    });
    (
        got.iter().map(|(f, _)| frame_name(f)).collect(),
        bytes,
        documents,
        code,
    )
}

// ---------------------------------------------------------------------------
// 2. A stranger proves a membership it does not have.

#[test]
fn a_stranger_cannot_prove_itself_a_member() {
    setup!();
    let scene = Scene::new();
    let rt = runtime();
    let pid = scene.server.pid();
    let c = scene.community.clone();
    let members_before = scene.members(&scene.a);
    let heads_before = heads(&scene.a);
    let (stranger, secret) = rt.block_on(raw_endpoint());
    // The real community document, from a member's bundle.
    let (_, sigs, save) = exported_bundle(&scene, &scene.b);
    let (proof, forged) = stranger_lists_itself(&scene, &sigs, &save, &secret);
    let genesis = stranger_genesis(&c, &secret);

    let mut cases: Vec<(&str, Proofs)> = vec![
        (
            "the real document plus a change listing the stranger",
            vec![(c.clone(), proof.clone())],
        ),
        (
            "a document of its own making with the community's id",
            vec![(c.clone(), genesis)],
        ),
    ];
    // The flood: 100,000 entries for the community, the forged proof first.
    let mut flood = vec![(c.clone(), proof.clone())];
    flood.extend(std::iter::repeat_n((c.clone(), Vec::new()), 99_999));
    cases.push(("100,000 proofs in one frame", flood));
    // Past the Proofs frame limit.
    let big = std::iter::repeat_n((c.clone(), vec![0u8; 64]), 100_000).collect();
    cases.push(("100,000 proofs of 64 bytes (over 4 MiB)", big));

    let mut total_bytes = 0;
    for (name, proofs) in cases {
        let size = wire::encode(&SyncFrame::Proofs {
            proofs: proofs.clone(),
        })
        .len();
        let cpu_before = cpu_time(pid);
        let started = Instant::now();
        let (frames, bytes, documents, code) =
            rt.block_on(stranger_session(&stranger, &scene, proofs));
        let cpu = cpu_time(pid).saturating_sub(cpu_before);
        total_bytes += bytes;
        eprintln!(
            "stranger: {name} (Proofs frame of {size} bytes): node sent {frames:?} = {bytes} bytes, documents: {documents}, closed with {code:?} after {:?}; node CPU {cpu:?}",
            started.elapsed()
        );
        assert!(!documents, "{name}: the stranger got document bytes");
        assert!(!frames.contains(&"Sync"), "{name}");
        assert!(
            code == Some(code::NOTHING_SHARED.into_inner())
                || code == Some(code::TOO_LARGE.into_inner()),
            "{name}: {code:?}"
        );
        assert!(cpu < Duration::from_secs(1), "{name}: {cpu:?}");
        let members = scene.members(&scene.a);
        assert_eq!(members, members_before, "{name}");
        assert!(member_with_key(&members, &key_hex(&secret)).is_none());
        let mut held = scene.community_doc(&scene.a);
        assert!(held.get_change_by_hash(&forged).is_none(), "{name}");
        assert_eq!(heads(&scene.a), heads_before, "{name}");
    }
    eprintln!("stranger: {total_bytes} bytes sent to the stranger in all, none of a document");
    drop(rt);
    let took = scene.member_still_syncs("après l'étranger");
    eprintln!("stranger: a member synced right after, in {took:?}");
}

// ---------------------------------------------------------------------------
// 3. A crafted bundle.

#[test]
fn a_crafted_bundle_does_not_list_a_stranger() {
    setup!();
    let scene = Scene::new();
    let c = scene.community.clone();
    let (original, sigs, save) = exported_bundle(&scene, &scene.b);
    let (_, docs) = read_bundle(&original);
    let members_before = scene.members(&scene.b);
    let heads_before = heads(&scene.b);
    let (_, stranger) = runtime().block_on(raw_endpoint());
    let stranger_key = key_hex(&stranger);

    let (file, forged) = stranger_lists_itself(&scene, &sigs, &save, &stranger);
    let crafted: Vec<(String, Vec<u8>)> = docs
        .iter()
        .map(|(k, d)| {
            if k == "community" {
                (k.clone(), file.clone())
            } else {
                (k.clone(), d.clone())
            }
        })
        .collect();
    let genesis = stranger_genesis(&c, &stranger);
    let own: Vec<(String, Vec<u8>)> = vec![("community".into(), genesis)];
    let mut results = Vec::new();
    for (name, docs) in [
        (
            "the real bundle plus a change listing the stranger",
            crafted,
        ),
        ("a community document of the stranger's own making", own),
    ] {
        let path = scene
            .scratch
            .path()
            .join(format!("crafted-{}.bundle", results.len()));
        std::fs::write(&path, write_bundle(&c, &docs)).unwrap();
        let out = node(&scene.b, &["bundle", "import", path.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let refused_lines = stderr
            .lines()
            .filter(|l| l.contains("refused change"))
            .count();
        eprintln!(
            "bundle: {name}: import exit {:?}, stdout {stdout:?}, stderr {stderr:?} ({refused_lines} refused-change lines)",
            out.status.code()
        );
        assert!(
            refused_lines >= 1,
            "{name}: the import did not report a refusal"
        );
        let members = scene.members(&scene.b);
        assert_eq!(members, members_before, "{name}");
        assert!(member_with_key(&members, &stranger_key).is_none(), "{name}");
        assert_eq!(heads(&scene.b), heads_before, "{name}");
        let mut held = scene.community_doc(&scene.b);
        assert!(held.get_change_by_hash(&forged).is_none(), "{name}");
        // The data directory still opens.
        let listed = list(&scene.b, &["community", "list"]);
        assert_eq!(listed.len(), 1);
        results.push((name, out.status.code(), refused_lines));
    }
    eprintln!("bundle: {results:?}");
    // Kept aside with their reason, as coming from a bundle.
    let kept = list(&scene.b, &["refused", "list", "--community", &c]);
    eprintln!("bundle: {} refused changes kept aside", kept.len());
    assert!(
        kept.iter()
            .any(|r| r["from"] == "bundle" && r["hash"] == forged.to_string().as_str()),
        "{kept:?}"
    );
    let took = scene.member_still_syncs("après le paquet forgé");
    eprintln!("bundle: a member synced right after, in {took:?}");
}

// ---------------------------------------------------------------------------
// 4. A DEFLATE bomb in a member's sync message.

/// A raw DEFLATE stream of `mib` MiB of zeros (about 1 KiB per MiB): one
/// MiB of zeros compressed once by zlib at level 9 with a sync flush (made
/// with Python's zlib), repeated, then an empty final block.
fn zeros(mib: usize) -> Vec<u8> {
    let mut segment = HEXLOWER_PERMISSIVE
        .decode("ecc13101000000c2a0f54f6d085fa0".as_bytes())
        .unwrap();
    segment.extend(std::iter::repeat_n(0u8, 1016));
    segment.extend(
        HEXLOWER_PERMISSIVE
            .decode("3e030000ffff".as_bytes())
            .unwrap(),
    );
    assert_eq!(segment.len(), 1037);
    let mut stream = segment.repeat(mib);
    stream.extend([0x03, 0x00]);
    stream
}

fn uleb(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// An Automerge chunk around `body` (checksum left wrong, as in
/// crates/model/src/bounds.rs).
fn chunk(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0x85, 0x6f, 0x4a, 0x83];
    out.extend([0; 4]);
    out.push(kind);
    uleb(&mut out, body.len() as u64);
    out.extend(body);
    out
}

fn column_meta(out: &mut Vec<u8>, columns: &[(u32, usize)]) {
    uleb(out, columns.len() as u64);
    for (spec, len) in columns {
        uleb(out, u64::from(*spec));
        uleb(out, *len as u64);
    }
}

/// A document chunk whose one op column is the compressed `stream`.
fn document_bomb(stream: &[u8]) -> Vec<u8> {
    let mut body = vec![1, 16];
    body.extend([7; 16]);
    body.push(0);
    column_meta(&mut body, &[]);
    column_meta(&mut body, &[((2 << 4) | 3 | 8, stream.len())]);
    body.extend(stream);
    chunk(0, &body)
}

/// A bundle chunk whose one change column is the compressed `stream`.
fn bundle_bomb(stream: &[u8]) -> Vec<u8> {
    let mut body = vec![0, 0];
    column_meta(&mut body, &[((1 << 4) | 1 | 8, stream.len())]);
    body.extend(stream);
    column_meta(&mut body, &[]);
    chunk(3, &body)
}

#[test]
fn a_deflate_bomb_in_a_sync_message_is_refused_within_memory() {
    setup!();
    let mut scene = Scene::new();
    let rt = runtime();
    let (mallory, _) = rt.block_on(member(&scene));
    let pid = scene.server.pid();
    let c = scene.community.clone();
    let heads_before = heads(&scene.a);
    let hwm_before = status_kib(pid, "VmHWM:");
    let stream = zeros(4096);
    eprintln!(
        "bomb: a {} byte DEFLATE stream that inflates to 4 GiB; node VmHWM {hwm_before} KiB before",
        stream.len()
    );
    let cases: Vec<(&str, u8, Vec<u8>)> = vec![
        (
            "a compressed change chunk, community document",
            0,
            chunk(2, &stream),
        ),
        ("a compressed change chunk, échanges", 1, chunk(2, &stream)),
        ("a document chunk's op column", 0, document_bomb(&stream)),
        ("a bundle chunk's change column", 2, bundle_bomb(&stream)),
    ];
    for (name, doc, bomb) in cases {
        let claimed = vec![ChangeHash(rand::random())];
        let data = wrap_file(&Signatures::default(), &message(claimed, vec![bomb]));
        let started = Instant::now();
        let cpu_before = cpu_time(pid);
        let (code, back) = rt.block_on(async {
            let (conn, mut send, mut frames) = handshake(&mallory, &scene).await;
            past_handshake(&mut frames).await;
            let _ = send
                .write_all(&wire::encode(&sync_frame(&c, doc, data)))
                .await;
            let back = rest(&mut frames, Duration::from_secs(20)).await;
            let code = closed_with(&conn, Duration::from_secs(2)).await.0;
            conn.close(code::DONE, b"bye");
            (code, back.len())
        });
        let cpu = cpu_time(pid).saturating_sub(cpu_before);
        // Why the node ended the session.
        let (ended, _) = scene
            .server
            .wait_for("peer_disconnected", Duration::from_secs(10), |e| {
                !e["error"].is_null()
            });
        let hwm = status_kib(pid, "VmHWM:");
        let rss = status_kib(pid, "VmRSS:");
        eprintln!(
            "bomb: {name}: closed with {code:?} after {:?} ({back} frames back); node CPU {cpu:?}, VmHWM {hwm} KiB, VmRSS {rss} KiB",
            started.elapsed()
        );
        let mut server_alive = std::process::Command::new("kill")
            .args(["-0", &pid.to_string()])
            .status()
            .unwrap()
            .success();
        server_alive &= std::fs::metadata(format!("/proc/{pid}")).is_ok();
        assert!(server_alive, "{name}: the node died");
        eprintln!("bomb: {name}: the node says: {}", ended["error"]);
        assert_eq!(code, Some(code::PROTOCOL.into_inner()), "{name}");
        assert!(
            ended["error"]
                .as_str()
                .unwrap()
                .contains("inflate to more than"),
            "{name}: {ended}"
        );
        assert!(hwm < 512 * 1024, "{name}: VmHWM {hwm} KiB");
        assert_eq!(heads(&scene.a), heads_before, "{name}");
    }
    drop(rt);
    let took = scene.member_still_syncs("après la bombe");
    eprintln!(
        "bomb: a member synced right after, in {took:?}; node VmHWM {} KiB at the end",
        status_kib(pid, "VmHWM:")
    );
}

// ---------------------------------------------------------------------------

/// BLAKE3 (unkeyed, 32-byte output) after the specification's reference
/// implementation, for the trailer of a bundle (this crate does not depend
/// on `blake3`). Checked against a vector and against a real bundle.
mod blake3_ref {
    const IV: [u32; 8] = [
        0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB,
        0x5BE0CD19,
    ];
    const PERMUTATION: [usize; 16] = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
    const CHUNK_START: u32 = 1;
    const CHUNK_END: u32 = 2;
    const PARENT: u32 = 4;
    const ROOT: u32 = 8;
    const CHUNK: usize = 1024;

    #[allow(clippy::too_many_arguments)]
    fn g(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize, x: u32, y: u32) {
        s[a] = s[a].wrapping_add(s[b]).wrapping_add(x);
        s[d] = (s[d] ^ s[a]).rotate_right(16);
        s[c] = s[c].wrapping_add(s[d]);
        s[b] = (s[b] ^ s[c]).rotate_right(12);
        s[a] = s[a].wrapping_add(s[b]).wrapping_add(y);
        s[d] = (s[d] ^ s[a]).rotate_right(8);
        s[c] = s[c].wrapping_add(s[d]);
        s[b] = (s[b] ^ s[c]).rotate_right(7);
    }

    fn round(s: &mut [u32; 16], m: &[u32; 16]) {
        g(s, 0, 4, 8, 12, m[0], m[1]);
        g(s, 1, 5, 9, 13, m[2], m[3]);
        g(s, 2, 6, 10, 14, m[4], m[5]);
        g(s, 3, 7, 11, 15, m[6], m[7]);
        g(s, 0, 5, 10, 15, m[8], m[9]);
        g(s, 1, 6, 11, 12, m[10], m[11]);
        g(s, 2, 7, 8, 13, m[12], m[13]);
        g(s, 3, 4, 9, 14, m[14], m[15]);
    }

    fn compress(cv: &[u32; 8], block: &[u32; 16], counter: u64, len: u32, flags: u32) -> [u32; 16] {
        let mut s = [
            cv[0],
            cv[1],
            cv[2],
            cv[3],
            cv[4],
            cv[5],
            cv[6],
            cv[7],
            IV[0],
            IV[1],
            IV[2],
            IV[3],
            counter as u32,
            (counter >> 32) as u32,
            len,
            flags,
        ];
        let mut m = *block;
        for r in 0..7 {
            round(&mut s, &m);
            if r < 6 {
                let mut p = [0; 16];
                for i in 0..16 {
                    p[i] = m[PERMUTATION[i]];
                }
                m = p;
            }
        }
        for i in 0..8 {
            s[i] ^= s[i + 8];
            s[i + 8] ^= cv[i];
        }
        s
    }

    fn words(bytes: &[u8]) -> [u32; 16] {
        let mut padded = [0u8; 64];
        padded[..bytes.len()].copy_from_slice(bytes);
        let mut out = [0; 16];
        for (i, w) in out.iter_mut().enumerate() {
            *w = u32::from_le_bytes(padded[4 * i..4 * i + 4].try_into().unwrap());
        }
        out
    }

    struct Output {
        cv: [u32; 8],
        block: [u32; 16],
        counter: u64,
        len: u32,
        flags: u32,
    }

    impl Output {
        fn chaining(&self) -> [u32; 8] {
            let s = compress(&self.cv, &self.block, self.counter, self.len, self.flags);
            s[..8].try_into().unwrap()
        }

        fn root(&self) -> [u8; 32] {
            let s = compress(&self.cv, &self.block, 0, self.len, self.flags | ROOT);
            let mut out = [0; 32];
            for i in 0..8 {
                out[4 * i..4 * i + 4].copy_from_slice(&s[i].to_le_bytes());
            }
            out
        }
    }

    fn chunk(bytes: &[u8], index: u64) -> Output {
        let blocks: Vec<&[u8]> = if bytes.is_empty() {
            vec![&[]]
        } else {
            bytes.chunks(64).collect()
        };
        let mut cv = IV;
        let last = blocks.len() - 1;
        for (i, block) in blocks.iter().enumerate() {
            let flags = if i == 0 { CHUNK_START } else { 0 };
            if i == last {
                return Output {
                    cv,
                    block: words(block),
                    counter: index,
                    len: block.len() as u32,
                    flags: flags | CHUNK_END,
                };
            }
            let s = compress(&cv, &words(block), index, 64, flags);
            cv = s[..8].try_into().unwrap();
        }
        unreachable!()
    }

    fn subtree(bytes: &[u8], first: u64) -> Output {
        if bytes.len() <= CHUNK {
            return chunk(bytes, first);
        }
        // The left subtree: the largest power of two of whole chunks that
        // leaves at least one byte to the right.
        let chunks = bytes.len().div_ceil(CHUNK);
        let left = 1usize << (usize::BITS - 1 - (chunks - 1).leading_zeros());
        let (l, r) = bytes.split_at(left * CHUNK);
        let mut block = [0; 16];
        block[..8].copy_from_slice(&subtree(l, first).chaining());
        block[8..].copy_from_slice(&subtree(r, first + left as u64).chaining());
        Output {
            cv: IV,
            block,
            counter: 0,
            len: 64,
            flags: PARENT,
        }
    }

    pub fn hash(bytes: &[u8]) -> [u8; 32] {
        subtree(bytes, 0).root()
    }

    #[test]
    fn known_vectors() {
        assert_eq!(
            data_encoding::HEXLOWER.encode(&hash(b"")),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
        assert_eq!(
            data_encoding::HEXLOWER.encode(&hash(b"abc")),
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
    }
}
