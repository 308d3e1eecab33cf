//! Hostile peers against a real `passerelle-node serve` over real iroh
//! endpoints on loopback: oversized and malformed frames, slow and silent
//! peers, connection floods, invite brute force, and crafted Automerge sync
//! messages from a member. Each test prints its figures (`eprintln!`) and
//! checks that a legitimate member still syncs afterwards.
//!
//! The attacker is a raw iroh endpoint built here, writing hand-made frames
//! (4-byte big-endian length + postcard body, docs/PROTOCOL.md). It becomes
//! a member the honest way, by presenting an invite on `passerelle/invite/1`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use iroh::endpoint::{Connection, ConnectionError, PortmapperConfig, RecvStream, presets};
use iroh::{Endpoint, RelayMode, SecretKey};
use passerelle_sync::wire::{self, MAX_FRAME, SyncFrame, code};
use passerelle_sync::{EndpointAddr, INVITE_ALPN, JoinReply, JoinRequest, SYNC_ALPN, SyncMessage};
use passerelle_tests::{Server, device, list, ok, setup, sync_with};
use serde_json::Value;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A bare iroh endpoint on loopback with a fresh key: the attacker's device.
async fn raw_endpoint() -> Endpoint {
    Endpoint::builder(presets::Minimal)
        .secret_key(SecretKey::generate())
        .relay_mode(RelayMode::Disabled)
        .portmapper_config(PortmapperConfig::Disabled)
        .clear_ip_transports()
        .bind_addr("127.0.0.1:0")
        .unwrap()
        .bind()
        .await
        .unwrap()
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

/// Reads every frame the node sends until the stream ends or the connection
/// closes; returns their total size on the wire.
async fn drain(mut recv: RecvStream) -> usize {
    let mut total = 0;
    while let Ok((_, n)) = wire::read::<SyncFrame>(&mut recv, MAX_FRAME).await {
        total += n;
    }
    total
}

/// The node under attack (A, serving the example community), a legitimate
/// member (B) and the data it needs to check that A keeps serving.
struct Scene {
    _ta: tempfile::TempDir,
    a: PathBuf,
    server: Server,
    _tb: tempfile::TempDir,
    b: PathBuf,
    community: String,
    addr: EndpointAddr,
}

impl Scene {
    fn new() -> Scene {
        let (_ta, a) = device("Alice");
        let community = ok(&a, &["demo"]);
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
        }
    }

    fn heads(&self) -> Value {
        heads(&self.a)
    }

    /// A new invite of the community, as (invite id, secret).
    fn invite(&self, args: &[&str]) -> (String, [u8; 16]) {
        let mut all = vec!["invite", "--community", &self.community];
        all.extend_from_slice(args);
        let ticket = passerelle_core::Ticket::decode(&ok(&self.a, &all)).unwrap();
        let invite = ticket.invite.unwrap();
        (invite.invite, invite.secret)
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

/// Presents an invite on `passerelle/invite/1` from `endpoint`; returns the
/// reply, or the close code if the node closed without one.
async fn present(
    endpoint: &Endpoint,
    addr: &EndpointAddr,
    community: &str,
    invite: &str,
    secret: [u8; 16],
) -> Result<JoinReply, Option<u64>> {
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
    match reply {
        Ok((reply, _)) => Ok(reply),
        Err(_) => Err(closed_with(&conn, Duration::from_secs(1)).await.0),
    }
}

fn refusal(reply: &Result<JoinReply, Option<u64>>) -> String {
    match reply {
        Ok(JoinReply::Refused { code, .. }) => code.clone(),
        Ok(JoinReply::Admitted { .. }) => "admitted".into(),
        Err(code) => format!("closed {code:?}"),
    }
}

/// A raw endpoint that joined the community with a real invite: a member
/// device the node will sync with, driven by hand.
async fn member(scene: &Scene, invite: (String, [u8; 16])) -> Endpoint {
    let endpoint = raw_endpoint().await;
    let reply = present(
        &endpoint,
        &scene.addr,
        &scene.community,
        &invite.0,
        invite.1,
    )
    .await;
    assert!(matches!(reply, Ok(JoinReply::Admitted { .. })), "{reply:?}");
    endpoint
}

/// A sync session as the dialler, through the handshake (an empty summary,
/// nothing to prove); returns the connection, the send stream and the
/// node's frames as they come.
async fn handshake(
    endpoint: &Endpoint,
    scene: &Scene,
) -> (
    Connection,
    iroh::endpoint::SendStream,
    tokio::sync::mpsc::UnboundedReceiver<(SyncFrame, usize)>,
) {
    let conn = endpoint
        .connect(scene.addr.clone(), SYNC_ALPN)
        .await
        .unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    for frame in [
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
    ] {
        send.write_all(&wire::encode(&frame)).await.unwrap();
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

/// Waits until the node has sent its first sync messages (the handshake is
/// over on its side); returns how many frames and bytes came.
async fn past_handshake(
    frames: &mut tokio::sync::mpsc::UnboundedReceiver<(SyncFrame, usize)>,
) -> (usize, usize) {
    let (mut count, mut bytes) = (0, 0);
    loop {
        let (frame, n) = tokio::time::timeout(Duration::from_secs(10), frames.recv())
            .await
            .expect("the node answers the handshake")
            .expect("the node keeps the connection open");
        count += 1;
        bytes += n;
        if matches!(frame, SyncFrame::Sync(_)) {
            return (count, bytes);
        }
    }
}

/// Writes `bytes` on a fresh sync connection from `endpoint`; returns the
/// close code, how long the node took to close, and the bytes it sent.
async fn send_raw(
    endpoint: &Endpoint,
    addr: &EndpointAddr,
    bytes: Vec<u8>,
) -> (Option<u64>, Duration, usize) {
    let conn = endpoint.connect(addr.clone(), SYNC_ALPN).await.unwrap();
    let (mut send, recv) = conn.open_bi().await.unwrap();
    let reader = tokio::spawn(drain(recv));
    // The node may close while we still write: that is the point.
    let _ = send.write_all(&bytes).await;
    let (code, took) = closed_with(&conn, Duration::from_secs(20)).await;
    (code, took, reader.await.unwrap())
}

/// An encoded Automerge sync message, made by hand.
fn message(
    heads: Vec<automerge::ChangeHash>,
    need: Vec<automerge::ChangeHash>,
    have: Vec<automerge::sync::Have>,
    changes: Vec<Vec<u8>>,
) -> Vec<u8> {
    automerge::sync::Message {
        heads,
        need,
        have,
        changes: changes.into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    }
    .encode()
}

fn frame(frame: &SyncFrame) -> Vec<u8> {
    wire::encode(frame)
}

fn sync_frame(community: &str, doc: u8, data: Vec<u8>) -> Vec<u8> {
    frame(&SyncFrame::Sync(SyncMessage {
        community: community.into(),
        doc,
        data,
    }))
}

#[test]
fn oversized_and_malformed_frames_close_the_connection_and_the_node_keeps_serving() {
    setup!();
    let scene = Scene::new();
    let invite = scene.invite(&[]);
    let rt = runtime();
    let mallory = rt.block_on(member(&scene, invite));
    let before = scene.heads();
    rt.block_on(async {
        let c = scene.community.clone();
        let hello = frame(&SyncFrame::Hello {
            version: 3,
            communities: vec![c.clone()],
        });
        let after_handshake = |extra: Vec<u8>| {
            let mut bytes = hello.clone();
            bytes.extend(frame(&SyncFrame::Summary {
                communities: vec![],
            }));
            bytes.extend(frame(&SyncFrame::Prove {
                communities: vec![],
            }));
            bytes.extend(frame(&SyncFrame::Proofs { proofs: vec![] }));
            bytes.extend(extra);
            bytes
        };
        let too_long = ((MAX_FRAME + 1) as u32).to_be_bytes().to_vec();
        let cases: Vec<(&str, Vec<u8>, u64)> = vec![
            ("length MAX_FRAME + 1 first", too_long.clone(), 3),
            ("length u32::MAX first", u32::MAX.to_be_bytes().to_vec(), 3),
            (
                "length MAX_FRAME + 1 after the handshake",
                after_handshake(too_long),
                3,
            ),
            ("garbage body first", vec![0, 0, 0, 3, 255, 255, 255], 2),
            (
                "an unknown variant first",
                vec![0, 0, 0, 2, 9, 0],
                2,
            ),
            (
                "Sync instead of Hello",
                sync_frame(&c, 0, vec![]),
                2,
            ),
            (
                "Prove instead of Summary",
                [
                    hello.clone(),
                    frame(&SyncFrame::Prove {
                        communities: vec![],
                    }),
                ]
                .concat(),
                2,
            ),
            (
                "a second Hello after the handshake",
                after_handshake(hello.clone()),
                2,
            ),
            (
                "Sync for document 6",
                after_handshake(sync_frame(&c, 6, message(vec![], vec![], vec![], vec![]))),
                2,
            ),
            (
                "Sync for document 255",
                after_handshake(sync_frame(&c, 255, vec![0x42])),
                2,
            ),
            (
                "undecodable Automerge message",
                after_handshake(sync_frame(&c, 1, vec![0x42, 0xff, 0xff, 0xff, 0xff])),
                2,
            ),
            (
                "empty Automerge message",
                after_handshake(sync_frame(&c, 0, vec![])),
                2,
            ),
        ];
        for (name, bytes, expected) in cases {
            let (code, took, received) = send_raw(&mallory, &scene.addr, bytes).await;
            eprintln!(
                "malformed: {name}: closed with {code:?} after {took:?}, {received} bytes sent to the attacker"
            );
            assert_eq!(code, Some(expected), "{name}");
            assert!(took < Duration::from_secs(5), "{name}: {took:?}");
        }
    });
    // Before the membership gate, a stranger may not make the node buffer
    // more than a Hello: a 1 MiB first frame is refused at its length.
    rt.block_on(async {
        let stranger = raw_endpoint().await;
        let mut big = ((1 << 20) as u32).to_be_bytes().to_vec();
        big.extend(vec![0; 1 << 20]);
        let (code, took, received) = send_raw(&stranger, &scene.addr, big).await;
        eprintln!(
            "malformed: a stranger's 1 MiB first frame: closed with {code:?} after {took:?}, {received} bytes sent to it"
        );
        assert_eq!(code, Some(3));
        assert_eq!(received, 0);
    });
    assert_eq!(scene.heads(), before, "no frame changed anything");
    let took = scene.member_still_syncs("après les trames malformées");
    eprintln!("malformed: a member synced right after, in {took:?}");
}

/// A Bloom filter as Automerge encodes it: entries, bits per entry, probes,
/// then the bits (as many bytes as entries × bits per entry / 8).
fn bloom(entries: u32, bits_per_entry: u32, probes: u32, fill: u8) -> automerge::sync::BloomFilter {
    fn leb(mut n: u64, out: &mut Vec<u8>) {
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
    let mut bytes = Vec::new();
    leb(entries.into(), &mut bytes);
    leb(bits_per_entry.into(), &mut bytes);
    leb(probes.into(), &mut bytes);
    let len = (u64::from(entries) * u64::from(bits_per_entry)).div_ceil(8);
    bytes.extend(std::iter::repeat_n(fill, len as usize));
    automerge::sync::BloomFilter::try_from(&bytes[..]).unwrap()
}

fn random_hashes(n: usize) -> Vec<automerge::ChangeHash> {
    // Automerge encodes hash lists sorted.
    let mut hashes: Vec<_> = (0..n)
        .map(|_| automerge::ChangeHash(rand::random()))
        .collect();
    hashes.sort();
    hashes
}

fn have(bloom: automerge::sync::BloomFilter) -> Vec<automerge::sync::Have> {
    vec![automerge::sync::Have {
        last_sync: vec![],
        bloom,
    }]
}

#[test]
fn crafted_automerge_messages_from_a_member_cost_bounded_work() {
    setup!();
    let scene = Scene::new();
    let invites: Vec<_> = (0..1).map(|_| scene.invite(&[])).collect();
    let rt = runtime();
    let mallory = rt.block_on(member(&scene, invites[0].clone()));
    let before = scene.heads();
    let c = scene.community.clone();
    // (what, the encoded message, how many times per document, the close
    // code expected: none when the node answers and keeps the session).
    let garbage_changes: Vec<Vec<u8>> = (0..2_000)
        .map(|i| {
            let mut change = vec![0x85, 0x6f, 0x4a, 0x83]; // a change chunk's magic
            change.extend((0..64).map(|j| (i * 31 + j) as u8));
            change
        })
        .collect();
    let cases: Vec<(&str, Vec<u8>, usize, Option<u64>)> = vec![
        (
            "a Bloom filter of all ones (claims every change)",
            message(
                random_hashes(1),
                vec![],
                have(bloom(10_000, 10, 7, 0xff)),
                vec![],
            ),
            1,
            None,
        ),
        (
            "a Bloom filter with zero bits per entry",
            message(vec![], vec![], have(bloom(1, 0, 7, 0)), vec![]),
            1,
            Some(2),
        ),
        (
            "a Bloom filter of 2^32 - 1 probes",
            message(vec![], vec![], have(bloom(16, 8, u32::MAX, 0xff)), vec![]),
            1,
            Some(2),
        ),
        (
            "9 Bloom filters",
            message(
                vec![],
                vec![],
                vec![have(bloom(16, 10, 7, 0x55)).remove(0); 9],
                vec![],
            ),
            1,
            Some(2),
        ),
        (
            "50 000 random heads",
            message(random_hashes(50_000), vec![], vec![], vec![]),
            1,
            None,
        ),
        (
            "50 000 random needs",
            message(random_hashes(1), random_hashes(50_000), vec![], vec![]),
            1,
            None,
        ),
        (
            "2 000 garbage changes",
            message(random_hashes(1), vec![], vec![], garbage_changes),
            1,
            // The gate reads every change before Automerge does: bytes that
            // are not changes end the session.
            Some(2),
        ),
        (
            "random heads and needs, repeated",
            message(
                random_hashes(20),
                random_hashes(20),
                have(bloom(100, 10, 7, 0xff)),
                vec![],
            ),
            2_000,
            None,
        ),
    ];
    for (name, data, times, expected) in cases {
        let started = Instant::now();
        let (code, received) = rt.block_on(async {
            let (conn, mut send, mut frames) = handshake(&mallory, &scene).await;
            past_handshake(&mut frames).await;
            for doc in 0..6u8 {
                for _ in 0..times {
                    let bytes = sync_frame(&c, doc, data.clone());
                    if send.write_all(&bytes).await.is_err() {
                        break;
                    }
                }
            }
            let _ = send.finish();
            let mut received = 0;
            while let Ok(Some((_, n))) =
                tokio::time::timeout(Duration::from_secs(10), frames.recv()).await
            {
                received += n;
            }
            let code = closed_with(&conn, Duration::from_secs(1)).await.0;
            conn.close(code::DONE, b"bye");
            (code, received)
        });
        eprintln!(
            "crafted: {name} ({} bytes) × {times} × 6 documents: {received} bytes back, ended with {code:?}, in {:?}",
            data.len(),
            started.elapsed()
        );
        assert_eq!(code, expected, "{name}");
        assert!(started.elapsed() < Duration::from_secs(15), "{name}");
        assert_eq!(scene.heads(), before, "{name}");
    }
    let took = scene.member_still_syncs("après les messages forgés");
    eprintln!("crafted: a member synced right after, in {took:?}");
}

#[test]
fn invite_brute_force_is_rate_limited_and_the_real_ticket_still_admits() {
    setup!();
    let scene = Scene::new();
    let used = scene.invite(&[]);
    let expired = scene.invite(&["--expires", "1s"]);
    let target = scene.invite(&[]);
    let real = scene.invite(&[]);
    let (addr, c) = (scene.addr.clone(), scene.community.clone());
    let rt = runtime();
    rt.block_on(async {
        let try_once = |endpoint: Endpoint, invite: String, secret: [u8; 16]| {
            let (addr, c) = (addr.clone(), c.clone());
            async move { refusal(&present(&endpoint, &addr, &c, &invite, secret).await) }
        };
        // A used ticket and an expired one are refused.
        let first = raw_endpoint().await;
        assert_eq!(try_once(first, used.0.clone(), used.1).await, "admitted");
        let replay = try_once(raw_endpoint().await, used.0.clone(), used.1).await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let late = try_once(raw_endpoint().await, expired.0.clone(), expired.1).await;
        eprintln!("invites: replayed ticket → {replay}, expired ticket → {late}");
        assert_eq!(replay, "used");
        assert_eq!(late, "expired");
        let mut failures = 2; // every refusal but rate_limited counts

        // One key tries forged secrets for a real invite id.
        let one = raw_endpoint().await;
        let mut answers = Vec::new();
        for i in 0..8u8 {
            answers.push(try_once(one.clone(), target.0.clone(), [i; 16]).await);
        }
        eprintln!("invites: one key, 8 forged secrets → {answers:?}");
        assert_eq!(answers[..5], ["unknown"; 5]);
        assert_eq!(answers[5..], ["rate_limited"; 3]);
        // Limited, even its correct secret is not looked at.
        assert_eq!(
            try_once(one.clone(), target.0.clone(), target.1).await,
            "rate_limited"
        );
        failures += 5;

        // Many keys, five tries each, until the total limit is reached.
        let started = Instant::now();
        let mut keys = 1;
        let mut codes = std::collections::BTreeMap::<String, usize>::new();
        while failures < 50 {
            let endpoint = raw_endpoint().await;
            keys += 1;
            for i in 0..5u8 {
                let code = try_once(endpoint.clone(), target.0.clone(), [100 + i; 16]).await;
                *codes.entry(code).or_default() += 1;
                failures += 1;
            }
        }
        let fresh = try_once(raw_endpoint().await, target.0.clone(), [7; 16]).await;
        eprintln!(
            "invites: {keys} keys, {failures} refused attempts in all (flood of 5 per key took {:?}): {codes:?}; then a fresh key's forged secret → {fresh}",
            started.elapsed()
        );
        // 7 failures came before; the 50th is answered rate_limited already.
        assert_eq!(codes.get("unknown"), Some(&42));
        assert_eq!(codes.get("rate_limited"), Some(&3));
        assert_eq!(fresh, "rate_limited");

        // The real ticket, from a new device, after the flood.
        let newcomer = raw_endpoint().await;
        let admitted = try_once(newcomer, real.0.clone(), real.1).await;
        eprintln!("invites: the real ticket after the flood → {admitted}");
        assert_eq!(admitted, "admitted");
    });
    let took = scene.member_still_syncs("après la force brute");
    eprintln!("invites: a member synced right after, in {took:?}");
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Opens `count` sync connections from each endpoint and starts a frame on
/// each (one byte of its length), so every accepted one sits in the
/// handshake; returns them and how many the node closed as busy.
async fn flood(
    endpoints: &[Endpoint],
    addr: &EndpointAddr,
    count: usize,
) -> (Vec<Connection>, usize) {
    let mut opening = Vec::new();
    for endpoint in endpoints {
        for _ in 0..count {
            let (endpoint, addr) = (endpoint.clone(), addr.clone());
            opening.push(tokio::spawn(async move {
                let conn = endpoint.connect(addr, SYNC_ALPN).await.ok()?;
                if let Ok((mut send, _recv)) = conn.open_bi().await {
                    let _ = send.write_all(&[0]).await;
                    // Keep the stream open: dropping it would reset it.
                    std::mem::forget((send, _recv));
                }
                Some(conn)
            }));
        }
    }
    let mut conns = Vec::new();
    for task in opening {
        if let Some(conn) = task.await.unwrap() {
            conns.push(conn);
        }
    }
    // Busy connections are closed at once, held ones only after
    // HELLO_TIMEOUT (10 s): two seconds tell them apart.
    let closes: Vec<_> = conns
        .iter()
        .map(|conn| {
            let conn = conn.clone();
            tokio::spawn(async move { closed_with(&conn, Duration::from_secs(2)).await.0 })
        })
        .collect();
    let mut busy = 0;
    for close in closes {
        if close.await.unwrap() == Some(code::BUSY.into_inner()) {
            busy += 1;
        }
    }
    (conns, busy)
}

fn peer_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("peers")).map_or(0, |d| d.count())
}

#[test]
fn a_connection_flood_is_refused_beyond_the_caps_and_members_still_get_through() {
    setup!();
    let scene = Scene::new();
    let rt = runtime();
    let pid = scene.server.pid();
    let rss_before = rss_kib(pid);
    let files_before = peer_files(&scene.a);

    // One key, 80 connections.
    let one = rt.block_on(raw_endpoint());
    let (conns, busy) = rt.block_on(flood(std::slice::from_ref(&one), &scene.addr, 80));
    let held = conns.len() - busy;
    let during = Instant::now();
    let summary = sync_with(&scene.b, &scene.server.ticket());
    eprintln!(
        "flood: one key, {} connections: {busy} refused busy, {held} held; a member's sync during the flood: peers {} in {:?}",
        conns.len(),
        summary["peers"],
        during.elapsed()
    );
    assert_eq!(summary["peers"], 1, "{summary}");
    // MAX_SESSIONS_PER_PEER.
    assert_eq!(held, 4);
    for conn in &conns {
        conn.close(code::DONE, b"bye");
    }

    // Twenty keys, four connections each.
    let many: Vec<Endpoint> = rt.block_on(async {
        let mut all = Vec::new();
        for _ in 0..20 {
            all.push(raw_endpoint().await);
        }
        all
    });
    let (conns, busy) = rt.block_on(flood(&many, &scene.addr, 4));
    let held = conns.len() - busy;
    let rss_during = rss_kib(pid);
    let during = Instant::now();
    let summary = sync_with(&scene.b, &scene.server.ticket());
    eprintln!(
        "flood: 20 keys × 4 connections: {busy} refused busy, {held} held; node RSS {rss_before} KiB before, {rss_during} KiB during; a member's sync during the flood: peers {} in {:?}",
        summary["peers"],
        during.elapsed()
    );
    assert_eq!(summary["peers"], 1, "{summary}");
    // MAX_STRANGER_SESSIONS: the other 32 of the 64 stay free for members.
    assert_eq!(held, 32);
    for conn in &conns {
        conn.close(code::DONE, b"bye");
    }
    // Strangers that do say Hello are refused at the gate, as before.
    let refused = rt.block_on(async {
        let mut codes = Vec::new();
        for endpoint in many.iter().take(5) {
            let hello = frame(&SyncFrame::Hello {
                version: 3,
                communities: vec!["01JDEVINETTE".into()],
            });
            let (code, _, received) = send_raw(endpoint, &scene.addr, hello).await;
            codes.push((code, received));
        }
        codes
    });
    eprintln!(
        "flood: 5 strangers saying Hello after the flood → (close code, bytes sent): {refused:?}"
    );
    assert!(refused.iter().all(|r| *r == (Some(1), 0)), "{refused:?}");
    drop(rt);
    let took = scene.member_still_syncs("après l'inondation");
    let files_after = peer_files(&scene.a);
    eprintln!(
        "flood: a member synced after the flood in {took:?}; sync-state files {files_before} before, {files_after} after"
    );
    assert!(
        rss_during < rss_before + 64 * 1024,
        "{rss_before} → {rss_during} KiB"
    );
    // Throwaway keys leave nothing on disk.
    assert_eq!(files_after, files_before);
}

#[test]
fn silent_and_stalled_peers_are_dropped_by_the_timeouts_without_blocking_members() {
    setup!();
    let scene = Scene::new();
    let invite = scene.invite(&[]);
    let rt = runtime();
    let mallory = rt.block_on(member(&scene, invite));
    let hello_timeout = Duration::from_secs(10);
    let (addr, c) = (scene.addr.clone(), scene.community.clone());
    let started = Instant::now();
    let watch = |name: &'static str, conn: Connection| {
        tokio::spawn(async move {
            let (code, took) = closed_with(&conn, Duration::from_secs(15)).await;
            eprintln!("slow: {name}: closed with {code:?} after {took:?}");
            (name, code, took, conn)
        })
    };
    let stalls = rt.block_on(async {
        let stranger = raw_endpoint().await;
        let mut stalls = Vec::new();
        // Connects and opens no stream.
        let conn = stranger.connect(addr.clone(), SYNC_ALPN).await.unwrap();
        stalls.push(watch("a stranger that opens no stream", conn));
        // Presents no invite.
        let conn = stranger.connect(addr.clone(), INVITE_ALPN).await.unwrap();
        let (mut send, recv) = conn.open_bi().await.unwrap();
        send.write_all(&[0]).await.unwrap();
        std::mem::forget((send, recv));
        stalls.push(watch("a stranger that stops inside its join request", conn));
        // Stops inside the length of its Hello.
        let conn = mallory.connect(addr.clone(), SYNC_ALPN).await.unwrap();
        let (mut send, recv) = conn.open_bi().await.unwrap();
        send.write_all(&[0, 0]).await.unwrap();
        std::mem::forget((send, recv));
        stalls.push(watch("a member that stops inside its Hello", conn));
        // Says Hello, then nothing.
        let conn = mallory.connect(addr.clone(), SYNC_ALPN).await.unwrap();
        let (mut send, recv) = conn.open_bi().await.unwrap();
        let hello = SyncFrame::Hello {
            version: 3,
            communities: vec![c.clone()],
        };
        send.write_all(&wire::encode(&hello)).await.unwrap();
        let answered = tokio::spawn(drain(recv));
        std::mem::forget(send);
        stalls.push(watch("a member that stops after its Hello", conn));
        // Goes through the handshake, then stops inside a sync frame: a
        // live session, which the node keeps (QUIC keeps it alive while the
        // peer's endpoint runs). It takes one of the peer's four slots.
        let conn = mallory.connect(addr.clone(), SYNC_ALPN).await.unwrap();
        let (mut send, recv) = conn.open_bi().await.unwrap();
        for frame in [
            hello,
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
        send.write_all(&[0, 0, 1]).await.unwrap();
        let live_answered = tokio::spawn(drain(recv));
        std::mem::forget(send);
        (stalls, answered, stranger, (conn, live_answered))
    });
    // Meanwhile a member syncs as usual.
    let took = scene.member_still_syncs("pendant les silences");
    eprintln!("slow: a member synced during the stalls in {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let (stalls, answered, _stranger, (live, _live_answered)) = stalls;
    rt.block_on(async {
        for stall in stalls {
            let (name, code, took, _conn) = stall.await.unwrap();
            assert_eq!(code, Some(4), "{name}");
            assert!(
                took >= hello_timeout - Duration::from_millis(500)
                    && took < hello_timeout + Duration::from_secs(2),
                "{name}: {took:?}"
            );
        }
        // The node answered the Hello (its Hello, Summary, Prove), no more.
        let bytes = answered.await.unwrap();
        eprintln!("slow: the member that stopped after its Hello received {bytes} bytes");
        assert!(bytes < 1024, "{bytes}");
    });
    eprintln!(
        "slow: all stalls dropped {:?} after they began",
        started.elapsed()
    );
    eprintln!(
        "slow: a member stalled inside a sync frame after the handshake (live): still connected after {:?}: {}",
        started.elapsed(),
        live.close_reason().is_none()
    );
    assert!(live.close_reason().is_none());
}
