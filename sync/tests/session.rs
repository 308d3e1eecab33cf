//! Sync sessions between two real iroh endpoints on loopback, each backed
//! by an in-memory replica (`common`): convergence, the membership gate,
//! the in-sync summary, and what a hostile peer's frames get.

mod common;

use std::time::{Duration, Instant};

use automerge::AutoCommit;
use iroh::endpoint::{ConnectionError, RecvStream, SendStream};
use passerelle_sync::wire::{self, MAX_FRAME, MAX_HELLO_FRAME, SyncFrame, code};
use passerelle_sync::{NetError, NetEvent, Rejection, SYNC_ALPN, SessionError, SyncMessage};

use common::{DOCS, Device, TEST_LIMIT, genesis, keys, write_keys};

const COMMUNITY: &str = "01COMMUNITY";

/// Long enough for a session on a busy machine; a one-off sync that does
/// not notice it is in sync ends only after `IDLE_TIMEOUT` (15 s).
const SESSION_LIMIT: Duration = Duration::from_secs(20);

/// Two devices, members of one community in each other's copy, whose
/// documents share a genesis and then diverged: each wrote its own keys
/// (and both wrote `name`), and only `a` holds document 1's changes.
fn diverged(a: &Device, b: &Device) {
    let mut a_docs = vec![genesis("Quartier"), genesis("Échanges")];
    let mut b_docs: Vec<AutoCommit> = a_docs.iter_mut().map(|d| d.fork()).collect();
    b_docs[1] = AutoCommit::new();
    write_keys(&mut a_docs[0], "a", 20);
    write_keys(&mut b_docs[0], "b", 30);
    write_keys(&mut a_docs[1], "offer", 5);
    {
        use automerge::transaction::Transactable;
        a_docs[0]
            .put(automerge::ROOT, "name", "Quartier A")
            .unwrap();
        b_docs[0]
            .put(automerge::ROOT, "name", "Quartier B")
            .unwrap();
    }
    let members = [a.key.as_str(), b.key.as_str()];
    a.replica.hold(COMMUNITY, &members, a_docs);
    b.replica.hold(COMMUNITY, &members, b_docs);
}

async fn bounded<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_LIMIT, test)
        .await
        .expect("the test finishes in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diverged_replicas_meet_once_and_end_with_the_same_heads() {
    bounded(async {
        let (a, b) = (Device::new(), Device::new());
        diverged(&a, &b);
        assert_ne!(a.replica.heads(COMMUNITY), b.replica.heads(COMMUNITY));
        let (net_a, net_b) = (a.start().await, b.start().await);

        let started = Instant::now();
        let stats = net_b
            .sync_once(net_a.addr(), SESSION_LIMIT)
            .await
            .expect("the session ends cleanly");
        let took = started.elapsed();

        // The one-off side ended because it saw both sides in sync, not
        // because the peer went silent (that takes 15 s and is an error).
        assert!(took < Duration::from_secs(10), "took {took:?}");
        assert_eq!(a.replica.heads(COMMUNITY), b.replica.heads(COMMUNITY));
        let expected: usize = 1 + 20 + 30;
        for replica in [&a.replica, &b.replica] {
            let root = replica.read(COMMUNITY, 0, keys);
            assert_eq!(root.len(), expected, "{root:?}");
            assert!(root.contains("a19") && root.contains("b29"));
            assert_eq!(replica.read(COMMUNITY, 1, keys).len(), 1 + 5);
        }
        assert!(stats.messages_sent > 0 && stats.messages_received > 0);
        // The accepting side (a live session) ended with the dialler,
        // cleanly, and its figures mirror the dialler's.
        let ended = a
            .replica
            .event(
                SESSION_LIMIT,
                |e| matches!(e, NetEvent::PeerDisconnected { peer, .. } if *peer == b.key),
            )
            .await
            .expect("the accepting side ends too");
        let NetEvent::PeerDisconnected {
            stats: theirs,
            error,
            ..
        } = ended
        else {
            unreachable!()
        };
        assert_eq!(error, None);
        assert_eq!(theirs.messages_received, stats.messages_sent);
        assert_eq!(theirs.bytes_received, stats.bytes_sent);
        // Only the community both named was synced.
        assert_eq!(
            a.replica.seen().opened,
            vec![(b.key.clone(), vec![COMMUNITY.to_owned()])]
        );
        println!("diverged sync: {took:?}, {stats:?}");
        net_a.shutdown().await;
        net_b.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_is_not_a_member_gets_nothing() {
    bounded(async {
        let a = Device::new();
        let mut docs = vec![genesis("Quartier"), genesis("Échanges")];
        write_keys(&mut docs[0], "secret", 10);
        a.replica.hold(COMMUNITY, &[a.key.as_str()], docs);
        let heads_a = a.replica.heads(COMMUNITY);
        let net_a = a.start().await;

        // An outsider whose own copy of the community lists `a` as a
        // member: it names the community, `a` asks it to prove it was
        // admitted, refuses the proof, and ends the session.
        let outsider = Device::new();
        let mut theirs = vec![genesis("Quartier"), AutoCommit::new()];
        write_keys(&mut theirs[0], "intruder", 5);
        outsider
            .replica
            .hold(COMMUNITY, &[a.key.as_str(), outsider.key.as_str()], theirs);
        let heads_outsider = outsider.replica.heads(COMMUNITY);
        let net_outsider = outsider.start().await;
        let refused = net_outsider.sync_once(net_a.addr(), SESSION_LIMIT).await;
        assert!(
            matches!(&refused, Err(NetError::Session { .. })),
            "{refused:?}"
        );
        let seen_a = a.replica.seen();
        assert_eq!(seen_a.opened, vec![(outsider.key.clone(), vec![])]);
        assert_eq!(seen_a.proofs_offered, vec![COMMUNITY.to_owned()]);
        assert!(
            seen_a.received.is_empty(),
            "nothing of the outsider's reached the replica"
        );
        assert_eq!(a.replica.heads(COMMUNITY), heads_a);
        let reason = a
            .replica
            .event(SESSION_LIMIT, |e| matches!(e, NetEvent::Refused { peer, .. } if *peer == outsider.key))
            .await;
        assert!(
            matches!(&reason, Some(NetEvent::Refused { reason, .. }) if *reason == Rejection::Session(SessionError::NothingShared)),
            "{reason:?}"
        );
        let seen_outsider = outsider.replica.seen();
        assert!(seen_outsider.received.is_empty());
        assert_eq!(outsider.replica.heads(COMMUNITY), heads_outsider);
        let closed = seen_outsider.closed.last().copied().unwrap_or_default();
        assert_eq!(closed.messages_received, 0);
        assert!(
            closed.bytes_received < 100,
            "only handshake frames, without community data: {closed:?}"
        );

        // A stranger naming nothing `a` holds is closed NOT_A_MEMBER
        // before `a` has sent a single byte.
        let stranger = Device::new();
        let net_stranger = stranger.start().await;
        let refused = net_stranger.sync_once(net_a.addr(), SESSION_LIMIT).await;
        match &refused {
            Err(NetError::Session { source, .. }) => {
                assert_eq!(source.to_string(), "not a member of any community here");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let closed = stranger.replica.seen().closed;
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].bytes_received, 0, "{closed:?}");
        assert!(a.replica.seen().received.is_empty());
        assert_eq!(a.replica.heads(COMMUNITY), heads_a);
        for net in [net_a, net_outsider, net_stranger] {
            net.shutdown().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meeting_again_in_sync_exchanges_only_the_summary() {
    bounded(async {
        let (a, b) = (Device::new(), Device::new());
        diverged(&a, &b);
        let (net_a, net_b) = (a.start().await, b.start().await);
        let first = net_b.sync_once(net_a.addr(), SESSION_LIMIT).await.unwrap();
        assert_eq!(a.replica.heads(COMMUNITY), b.replica.heads(COMMUNITY));
        let received_before = a.replica.seen().received.len();

        // Already in sync: the summaries match, no sync message either way.
        let started = Instant::now();
        let again = net_b.sync_once(net_a.addr(), SESSION_LIMIT).await.unwrap();
        let took = started.elapsed();
        assert_eq!((again.messages_sent, again.messages_received), (0, 0));
        assert!(
            again.bytes_sent + again.bytes_received < 1024,
            "{again:?} (first meeting: {first:?})"
        );
        assert_eq!(a.replica.seen().received.len(), received_before);
        println!("in sync: {took:?}, {again:?}; first meeting: {first:?}");

        // One document changed since: only that one is synced.
        a.replica
            .edit(COMMUNITY, 1, |doc| write_keys(doc, "new", 1));
        let received_before = b.replica.seen().received.len();
        let third = net_b.sync_once(net_a.addr(), SESSION_LIMIT).await.unwrap();
        assert!(third.messages_received > 0);
        assert_eq!(a.replica.heads(COMMUNITY), b.replica.heads(COMMUNITY));
        let brought: Vec<u8> = b.replica.seen().received[received_before..]
            .iter()
            .map(|m| m.doc)
            .collect();
        assert!(
            !brought.is_empty() && brought.iter().all(|doc| *doc == 1),
            "{brought:?}"
        );
        assert!(b.replica.read(COMMUNITY, 1, keys).contains("new0"));
        net_a.shutdown().await;
        net_b.shutdown().await;
    })
    .await;
}

/// The close code and reason a connection ended with, as its peer gave them.
async fn closed_with(conn: &iroh::endpoint::Connection) -> (u64, String) {
    match tokio::time::timeout(SESSION_LIMIT, conn.closed()).await {
        Ok(ConnectionError::ApplicationClosed(close)) => (
            close.error_code.into_inner(),
            String::from_utf8_lossy(&close.reason).into_owned(),
        ),
        other => panic!("expected an application close, got {other:?}"),
    }
}

/// Speaks the handshake by hand as a member naming `community`: no
/// summary, nothing to prove. Returns the peer's handshake frames.
async fn handshake(
    send: &mut SendStream,
    recv: &mut RecvStream,
    community: &str,
) -> Vec<SyncFrame> {
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
        wire::write(send, &frame).await.unwrap();
    }
    let mut frames = Vec::new();
    for _ in 0..4 {
        frames.push(wire::read::<SyncFrame>(recv, MAX_FRAME).await.unwrap().0);
    }
    assert!(matches!(
        frames.as_slice(),
        [
            SyncFrame::Hello { .. },
            SyncFrame::Summary { .. },
            SyncFrame::Prove { .. },
            SyncFrame::Proofs { .. }
        ]
    ));
    frames
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_are_refused_and_the_node_keeps_serving() {
    bounded(async {
        let (a, b) = (Device::new(), Device::new());
        diverged(&a, &b);
        let net_a = a.start().await;
        // `b`'s key, spoken by hand: a member sending what it should not.
        let bare = common::bare_endpoint(b.secret.clone()).await;
        let dial = || async {
            let conn = bare.connect(net_a.addr(), SYNC_ALPN).await.unwrap();
            let (send, recv) = conn.open_bi().await.unwrap();
            (conn, send, recv)
        };
        // A first frame longer than a Hello may be: TOO_LARGE, before the
        // membership gate reads anything.
        let (conn, mut send, _recv) = dial().await;
        send.write_all(&((MAX_HELLO_FRAME + 1) as u32).to_be_bytes())
            .await
            .unwrap();
        let (code_, reason) = closed_with(&conn).await;
        assert_eq!(code_, code::TOO_LARGE.into_inner(), "{reason}");
        assert!(reason.contains("exceeds the limit"), "{reason}");

        // A body that is no frame: PROTOCOL.
        let (conn, mut send, _recv) = dial().await;
        send.write_all(&[0, 0, 0, 3, 255, 255, 255]).await.unwrap();
        let (code_, reason) = closed_with(&conn).await;
        assert_eq!(code_, code::PROTOCOL.into_inner(), "{reason}");
        assert!(reason.contains("malformed frame"), "{reason}");

        // After the handshake, a sync frame over MAX_FRAME: TOO_LARGE.
        let (conn, mut send, mut recv) = dial().await;
        handshake(&mut send, &mut recv, COMMUNITY).await;
        send.write_all(&((MAX_FRAME + 1) as u32).to_be_bytes())
            .await
            .unwrap();
        let (code_, reason) = closed_with(&conn).await;
        assert_eq!(code_, code::TOO_LARGE.into_inner(), "{reason}");

        // A message for a community the session does not sync is ignored
        // (never handed to the replica, never answered), the session goes
        // on: a real message is answered. A document number the protocol
        // does not define is a protocol error.
        let (conn, mut send, mut recv) = dial().await;
        handshake(&mut send, &mut recv, COMMUNITY).await;
        for _ in 0..DOCS {
            // The first message of each of the community's documents.
            let (frame, _) = wire::read::<SyncFrame>(&mut recv, MAX_FRAME).await.unwrap();
            assert!(
                matches!(&frame, SyncFrame::Sync(m) if m.community == COMMUNITY),
                "{frame:?}"
            );
        }
        let mut empty = AutoCommit::new();
        let hello = {
            use automerge::sync::SyncDoc;
            let mut state = automerge::sync::State::new();
            empty
                .sync()
                .generate_sync_message(&mut state)
                .unwrap()
                .encode()
        };
        let message = |community: &str, doc: u8| {
            SyncFrame::Sync(SyncMessage {
                community: community.to_owned(),
                doc,
                data: hello.clone(),
            })
        };
        wire::write(&mut send, &message("01ELSEWHERE", 0))
            .await
            .unwrap();
        wire::write(&mut send, &message(COMMUNITY, 1))
            .await
            .unwrap();
        let (answer, _) = wire::read::<SyncFrame>(&mut recv, MAX_FRAME).await.unwrap();
        assert!(
            matches!(&answer, SyncFrame::Sync(m) if m.community == COMMUNITY && m.doc == 1),
            "{answer:?}"
        );
        wire::write(&mut send, &message(COMMUNITY, 9))
            .await
            .unwrap();
        let (code_, reason) = closed_with(&conn).await;
        assert_eq!(code_, code::PROTOCOL.into_inner(), "{reason}");
        assert!(reason.contains("no document number 9"), "{reason}");
        let received = a.replica.seen().received;
        assert!(
            received.iter().all(|m| m.community == COMMUNITY),
            "{received:?}"
        );
        assert_eq!(received.iter().filter(|m| m.doc == 9).count(), 1);

        // Each was reported with its reason, and `a` still serves members.
        let errors: Vec<String> = a
            .replica
            .events(
                SESSION_LIMIT,
                4,
                |e| matches!(e, NetEvent::PeerDisconnected { peer, .. } if *peer == b.key),
            )
            .await
            .into_iter()
            .filter_map(|e| match e {
                NetEvent::PeerDisconnected { error, .. } => {
                    Some(error.map(|e| e.to_string()).unwrap_or_default())
                }
                _ => None,
            })
            .collect();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(
            errors.iter().all(|e| e.starts_with("protocol error")),
            "{errors:?}"
        );
        bare.close().await;
        let net_b = b.start().await;
        net_b.sync_once(net_a.addr(), SESSION_LIMIT).await.unwrap();
        assert_eq!(a.replica.heads(COMMUNITY), b.replica.heads(COMMUNITY));
        net_a.shutdown().await;
        net_b.shutdown().await;
    })
    .await;
}
