//! Limits of one meeting, against a real `passerelle-node serve` over real
//! iroh endpoints on loopback: a live session where nothing is exchanged
//! ends (`IDLE`) and the devices meet again as soon as one has something
//! new; a member's device that writes more than one meeting may bring sees
//! the excess refused and the session closed (`ENOUGH`), what came before
//! kept, and the rest accepted at the next meeting.
//!
//! The limits are lowered for the tests through the environment of the
//! serving node: `PASSERELLE_LIVE_IDLE_SECS` (600 s otherwise) and
//! `PASSERELLE_MAX_GROWTH_OPS` (200,000 otherwise). The modified peer is a
//! raw iroh endpoint writing hand-made frames (docs/PROTOCOL.md), a member
//! the honest way, with an invite.

use std::path::Path;
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, Change};
use data_encoding::HEXLOWER;
use iroh::endpoint::{Connection, ConnectionError, PortmapperConfig, presets};
use iroh::{Endpoint, RelayMode, SecretKey};
use passerelle_model::DeviceKey;
use passerelle_model::signing::{Signatures, Signed, wrap_file};
use passerelle_sync::wire::{self, MAX_FRAME, SyncFrame, code};
use passerelle_sync::{EndpointAddr, INVITE_ALPN, JoinReply, JoinRequest, SYNC_ALPN, SyncMessage};
use passerelle_tests::{Server, device, list, node_cmd, ok, setup};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// `serve` on `dir` with these variables set.
fn serve_with(dir: &Path, vars: &[(&str, &str)]) -> Server {
    let mut cmd = node_cmd(dir, &["serve"]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    Server::start_with(cmd, dir)
}

fn addr(server: &Server) -> EndpointAddr {
    passerelle_core::Ticket::decode(&server.ticket())
        .unwrap()
        .addr
}

/// A raw endpoint on loopback that joined `community` with a real invite
/// of the device at `dir` (served by `server`).
async fn member(dir: &Path, server: &Server, community: &str) -> (Endpoint, SecretKey) {
    let ticket =
        passerelle_core::Ticket::decode(&ok(dir, &["invite", "--community", community])).unwrap();
    let invite = ticket.invite.unwrap();
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
    let conn = endpoint.connect(addr(server), INVITE_ALPN).await.unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    let request = JoinRequest {
        community: community.into(),
        invite: invite.invite,
        secret: invite.secret,
        display_name: "Mallory".into(),
    };
    send.write_all(&wire::encode(&request)).await.unwrap();
    let _ = send.finish();
    let reply = wire::read::<JoinReply>(&mut recv, wire::MAX_INVITE_FRAME).await;
    conn.close(code::DONE, b"bye");
    assert!(
        matches!(reply, Ok((JoinReply::Admitted { .. }, _))),
        "{reply:?}"
    );
    (endpoint, secret)
}

type Frames = tokio::sync::mpsc::UnboundedReceiver<(SyncFrame, usize)>;

/// A member's session through the handshake (revision 3, an empty summary,
/// nothing to prove), once the node has sent its first sync message.
async fn session(
    endpoint: &Endpoint,
    server: &Server,
    community: &str,
) -> (Connection, iroh::endpoint::SendStream, Frames) {
    let conn = endpoint.connect(addr(server), SYNC_ALPN).await.unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    for frame in [
        SyncFrame::Hello {
            version: 3,
            communities: vec![community.to_owned()],
        },
        SyncFrame::Summary {
            communities: vec![],
        },
        SyncFrame::Prove {
            communities: vec![],
        },
        SyncFrame::Proofs { proofs: vec![] },
    ] {
        send.write_all(&wire::encode(&frame)).await.unwrap();
    }
    let (tx, mut frames) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(frame) = wire::read::<SyncFrame>(&mut recv, MAX_FRAME).await {
            if tx.send(frame).is_err() {
                break;
            }
        }
    });
    loop {
        let (frame, _) = tokio::time::timeout(Duration::from_secs(10), frames.recv())
            .await
            .expect("the node answers the handshake")
            .expect("the node keeps the connection open");
        if matches!(frame, SyncFrame::Sync(_)) {
            return (conn, send, frames);
        }
    }
}

/// The close code a connection ends with, and when, from `since`.
async fn closed_with(
    conn: &Connection,
    since: Instant,
    within: Duration,
) -> (Option<u64>, Duration) {
    let code = match tokio::time::timeout(within, conn.closed()).await {
        Ok(ConnectionError::ApplicationClosed(close)) => Some(close.error_code.into_inner()),
        _ => None,
    };
    (code, since.elapsed())
}

/// A sync message frame for the community document.
fn sync_frame(community: &str, data: Vec<u8>) -> Vec<u8> {
    wire::encode(&SyncFrame::Sync(SyncMessage {
        community: community.into(),
        doc: 0,
        data,
    }))
}

/// An encoded sync message with these heads and changes.
fn message(heads: Vec<automerge::ChangeHash>, changes: Vec<Vec<u8>>) -> Vec<u8> {
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

/// A sync message carrying `change`, signed by `secret`.
fn signed(secret: &SecretKey, change: &Change) -> Vec<u8> {
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

/// The community document as `dir` holds it (`export --format automerge`).
fn community_doc(dir: &Path, community: &str) -> AutoCommit {
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("export");
    ok(
        dir,
        &[
            "export",
            "--community",
            community,
            "--format",
            "automerge",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(out.join("community.automerge")).unwrap();
    let mut doc = passerelle_model::layout::new_doc();
    doc.load_incremental(&bytes).unwrap();
    doc
}

// ---------------------------------------------------------------------------

#[test]
fn an_idle_live_session_is_closed_and_devices_meet_again_when_something_is_new() {
    setup!();
    let (_ta, a) = device("Alice");
    let community = ok(&a, &["demo"]);
    let idle = [("PASSERELLE_LIVE_IDLE_SECS", "2")];
    let mut server = serve_with(&a, &idle);
    let rt = runtime();

    // (a) A modified peer holds a live session and sends only empty
    // messages (no change, no new heads): it is closed all the same.
    let (code, after) = rt.block_on(async {
        let (mallory, _) = member(&a, &server, &community).await;
        let (conn, mut send, _frames) = session(&mallory, &server, &community).await;
        let started = Instant::now();
        let noise = async {
            for _ in 0..40 {
                let empty = sync_frame(&community, message(vec![], vec![]));
                if send.write_all(&empty).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        };
        let ((code, after), ()) =
            tokio::join!(closed_with(&conn, started, Duration::from_secs(15)), noise);
        (code, after)
    });
    eprintln!(
        "idle: a peer sending empty messages every 250 ms closed with {code:?} after {after:?}"
    );
    assert_eq!(code, Some(code::IDLE.into_inner()), "closed as idle");
    assert!(
        after >= Duration::from_millis(1_900) && after < Duration::from_secs(8),
        "{after:?}"
    );

    // (b) Two real devices in a live session: closed when idle, and
    // together again as soon as one of them has something new.
    let (_tb, b) = device("Bruno");
    ok(
        &b,
        &["join", &ok(&a, &["invite", "--community", &community])],
    );
    let b_key = ok(&b, &["id"]);
    let mut b_server = serve_with(&b, &idle);
    let (_, connected) = b_server.wait_for("peer_connected", Duration::from_secs(15), |_| true);
    let (ended, at) = b_server.wait_for("peer_disconnected", Duration::from_secs(15), |_| true);
    eprintln!(
        "idle: B's live session with A ended after {:?}: {ended}",
        at - connected
    );
    // A normal end (no error), after the idle time.
    assert!(ended["error"].is_null(), "{ended}");
    let lasted = ended["duration_ms"].as_u64().unwrap();
    assert!((1_900..8_000).contains(&lasted), "{ended}");
    // Nothing new: B does not dial again.
    let quiet = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        b_server.wait_for("peer_connected", Duration::from_secs(3), |_| true)
    }));
    assert!(quiet.is_err(), "B dialled again with nothing new");
    // Something new on B: it dials A at once, and A receives it.
    let started = Instant::now();
    ok(
        &b,
        &[
            "exchange",
            "add",
            "--community",
            &community,
            "--kind",
            "offer",
            "--title",
            "Cours de guitare",
            "--category",
            "bricolage",
        ],
    );
    server.wait_for("received", Duration::from_secs(15), |e| {
        e["peer"] == b_key.as_str()
    });
    eprintln!(
        "idle: B's new échange reached A {:?} after it was written",
        started.elapsed()
    );
    let titles: Vec<String> = list(&a, &["exchange", "list", "--community", &community])
        .iter()
        .map(|e| e["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(titles.iter().any(|t| t == "Cours de guitare"), "{titles:?}");

    // (c) That session ends idle too; now the accepting side has something
    // new: A dials B (where B's connection came from) and B receives it.
    let a_key = ok(&a, &["id"]);
    let started = Instant::now();
    server.wait_for("peer_disconnected", Duration::from_secs(15), |e| {
        e["peer"] == b_key.as_str()
    });
    eprintln!(
        "idle: the second session ended after {:?}",
        started.elapsed()
    );
    let started = Instant::now();
    ok(
        &a,
        &[
            "exchange",
            "add",
            "--community",
            &community,
            "--kind",
            "need",
            "--title",
            "Aide pour un dossier CAF",
            "--category",
            "demarches",
        ],
    );
    b_server.wait_for("received", Duration::from_secs(15), |e| {
        e["peer"] == a_key.as_str()
    });
    eprintln!(
        "idle: A's new échange reached B {:?} after it was written",
        started.elapsed()
    );
    let titles: Vec<String> = list(&b, &["exchange", "list", "--community", &community])
        .iter()
        .map(|e| e["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        titles.iter().any(|t| t == "Aide pour un dossier CAF"),
        "{titles:?}"
    );
    drop(rt);
    b_server.stop();
    server.stop();
}

/// `n` changes by `secret`'s device on top of `doc`, each writing `ops`
/// root keys of the community document (content the rules ignore).
fn own_changes(doc: &AutoCommit, secret: &SecretKey, n: usize, ops: usize) -> Vec<Change> {
    let mut copy = doc.clone();
    copy.set_actor(DeviceKey(HEXLOWER.encode(secret.public().as_bytes())).actor());
    (0..n)
        .map(|i| {
            for k in 0..ops {
                copy.put(automerge::ROOT, format!("note-{i}-{k}"), i as i64)
                    .unwrap();
            }
            copy.get_last_local_change().unwrap()
        })
        .collect()
}

#[test]
fn a_device_writing_more_than_a_meeting_allows_is_stopped_and_the_rest_comes_next_time() {
    setup!();
    let (_ta, a) = device("Alice");
    let community = ok(&a, &["demo"]);
    // 50 operations per meeting: five changes of ten.
    let server = serve_with(&a, &[("PASSERELLE_MAX_GROWTH_OPS", "50")]);
    let rt = runtime();
    let (mallory, secret) = rt.block_on(member(&a, &server, &community));
    let real = community_doc(&a, &community);
    let changes = own_changes(&real, &secret, 8, 10);

    // First meeting: all eight, one message each.
    let (code, after) = rt.block_on(async {
        let (conn, mut send, _frames) = session(&mallory, &server, &community).await;
        let started = Instant::now();
        for c in &changes {
            if send
                .write_all(&sync_frame(&community, signed(&secret, c)))
                .await
                .is_err()
            {
                break;
            }
        }
        closed_with(&conn, started, Duration::from_secs(15)).await
    });
    eprintln!("growth: 8 changes of 10 operations sent; closed with {code:?} after {after:?}");
    assert_eq!(code, Some(code::ENOUGH.into_inner()), "closed politely");
    let mut held = community_doc(&a, &community);
    let kept: Vec<bool> = changes
        .iter()
        .map(|c| held.get_change_by_hash(&c.hash()).is_some())
        .collect();
    assert_eq!(kept, [true, true, true, true, true, false, false, false]);
    let refused = list(&a, &["refused", "list", "--community", &community]);
    let held_back: Vec<&str> = refused
        .iter()
        .filter(|r| r["code"] == "growth_limit")
        .map(|r| r["hash"].as_str().unwrap())
        .collect();
    assert_eq!(held_back.len(), 3, "{refused:?}");
    assert!(held_back.contains(&changes[5].hash().to_string().as_str()));

    // The next meeting takes the rest.
    let code = rt.block_on(async {
        let (conn, mut send, _frames) = session(&mallory, &server, &community).await;
        for c in &changes[5..] {
            send.write_all(&sync_frame(&community, signed(&secret, c)))
                .await
                .unwrap();
        }
        let mut held;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            held = community_doc(&a, &community);
            if held.get_change_by_hash(&changes[7].hash()).is_some() || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let code = conn.close_reason().map(|r| r.to_string());
        conn.close(code::DONE, b"bye");
        code
    });
    let mut held = community_doc(&a, &community);
    for c in &changes {
        assert!(
            held.get_change_by_hash(&c.hash()).is_some(),
            "{} missing",
            c.seq()
        );
    }
    assert_eq!(code, None, "the second meeting stayed open");
    eprintln!("growth: the 3 changes held back came at the next meeting");
    drop(rt);
    server.stop();
}
