//! One sync session over one bi-stream: hello, then Automerge sync messages
//! both ways until the peers are in sync (a one-off sync) or until either
//! side leaves (a live session).
//!
//! Reading runs in its own task and hands whole frames over a channel, so
//! waiting for a local change never cancels a read half-way through a frame.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use iroh::endpoint::{Connection, RecvStream, SendStream};
use tokio::sync::{broadcast, mpsc};

use crate::limits::{HELLO_TIMEOUT, IDLE_TIMEOUT, LINGER, live_idle_timeout};
use crate::wire::{
    self, CommunityDigest, FrameError, MAX_FRAME, MAX_HELLO_FRAME, MAX_PROOFS_FRAME, SyncFrame,
    code,
};
use crate::{Replica, SessionId, SessionStats};

/// Protocol revision sent in `Hello`.
const VERSION: u16 = 3;

/// The first revision whose changes carry their devices' signatures
/// (`docs/PROTOCOL.md`): older peers are refused, since they would neither
/// send signatures nor read them.
const SIGNED_SINCE: u16 = 3;

/// The first revision that exchanges a `Summary` after `Hello`.
const SUMMARY_SINCE: u16 = 2;

/// How the data of a sync message carrying signed changes starts
/// (docs/PROTOCOL.md, *Signed changes*).
const SIGNED_FILE: &[u8] = b"PSIGN1";

/// Most sync messages handed to the node at once.
const MAX_BATCH: usize = 64;

/// A frame as the reader task hands it over, with its size on the wire.
type Frame = Result<(SyncFrame, usize), FrameError>;

/// What the session loop reacts to.
enum Input {
    /// A frame from the peer, or `None` when the reader stopped.
    Frame(Option<Frame>),
    /// A community changed on this node (or announcements were missed).
    Changed(Result<String, broadcast::error::RecvError>),
    /// The peer was silent too long.
    Idle,
}

/// What the two `Hello`s settled, for the rest of the handshake.
struct Greeting {
    /// The communities this side named.
    mine: BTreeSet<String>,
    /// The communities the peer named.
    theirs: BTreeSet<String>,
    /// Those of the peer's communities that this node holds.
    held: BTreeSet<String>,
    /// Held communities this side did not name: the peer is asked to prove
    /// it was admitted to them.
    unknown: Vec<String>,
    /// Both sides send a `Summary` (both speak a revision that has them).
    summaries: bool,
}

/// How long a session lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Until both sides hold the same changes; then it ends.
    UntilSynced,
    /// Until either side leaves; local edits are sent as they happen.
    Live,
}

/// Why a session ended early.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// This device shares nothing with the peer (it is not a member).
    #[error("not a member of any community here")]
    NotAMember,
    /// The peer closed the connection with a code.
    #[error("the peer closed the connection: {0}")]
    Closed(String),
    /// Nothing in common to sync.
    #[error("no community in common")]
    NothingShared,
    /// The peer sent something wrong.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// This device did not take what the peer sent.
    #[error("protocol error: {0}")]
    NotTaken(crate::ReceiveError),
    /// The peer went silent.
    #[error("the peer stopped answering")]
    Timeout,
    /// A live session exchanged no change for a while; it ended to free
    /// its slot (either side dials again when it has something new).
    #[error("no change to exchange for a while")]
    Idle,
    /// The peer's device brought as much as one meeting may; the rest
    /// comes at the next one.
    #[error("enough for this meeting: the rest comes at the next one")]
    Enough,
    /// One side runs a Passerelle too old to sync with the other.
    #[error(
        "the other device runs an older version of Passerelle, which does not sign its changes: update Passerelle on that device, then sync again"
    )]
    Outdated,
}

pub struct Session<'a, R: Replica> {
    pub replica: &'a R,
    pub conn: &'a Connection,
    pub id: SessionId,
    /// What [`Replica::open_session`] returned for this session: the
    /// communities to sync with the peer.
    pub mine: Vec<String>,
    pub peer: String,
    pub mode: Mode,
    /// The side that opened the stream and speaks first.
    pub initiator: bool,
    pub stats: SessionStats,
    /// When a change last went one way or the other (live idle limit).
    pub last_change: Instant,
    /// The node said the peer brought as much as one session may.
    pub enough: bool,
}

impl<R: Replica> Session<'_, R> {
    /// Runs the session.
    pub async fn run(
        &mut self,
        mut send: SendStream,
        recv: RecvStream,
        mut changes: broadcast::Receiver<String>,
    ) -> Result<(), SessionError> {
        let started = Instant::now();
        let result = self.exchange(&mut send, recv, &mut changes).await;
        self.stats.duration_ms = started.elapsed().as_millis() as u64;
        result
    }

    async fn exchange(
        &mut self,
        send: &mut SendStream,
        mut recv: RecvStream,
        changes: &mut broadcast::Receiver<String>,
    ) -> Result<(), SessionError> {
        let (frames_tx, mut frames) = mpsc::channel(8);
        let (admitted_tx, admitted) = tokio::sync::oneshot::channel::<()>();
        let reader = tokio::spawn(async move {
            // The handshake (Hello, Summary, Prove) is read before the peer
            // is known to be a member: a stranger may not make the node
            // buffer more than 64 KiB per frame, nor more than one proof of
            // at most `MAX_PROOFS_FRAME`. Sync messages are read only once
            // the session has found a community shared with the peer.
            let mut admitted = Some(admitted);
            for index in 0usize.. {
                let max = match index {
                    0..=2 => MAX_HELLO_FRAME,
                    3 => MAX_PROOFS_FRAME,
                    _ => MAX_FRAME,
                };
                if index == 4
                    && let Some(admitted) = admitted.take()
                    && admitted.await.is_err()
                {
                    break;
                }
                let frame = wire::read::<SyncFrame>(&mut recv, max).await;
                let end = frame.is_err();
                if frames_tx.send(frame).await.is_err() || end {
                    break;
                }
            }
        });
        let result = self.converse(send, &mut frames, changes, admitted_tx).await;
        reader.abort();
        result
    }

    async fn next(
        &mut self,
        frames: &mut mpsc::Receiver<Frame>,
    ) -> Result<SyncFrame, SessionError> {
        match tokio::time::timeout(HELLO_TIMEOUT, frames.recv()).await {
            Err(_) => Err(self.fail(code::TIMEOUT, SessionError::Timeout)),
            Ok(None) => Err(self.closed()),
            Ok(Some(Err(e))) => Err(self.frame_error(e)),
            Ok(Some(Ok((frame, n)))) => {
                self.stats.bytes_received += n as u64;
                Ok(frame)
            }
        }
    }

    fn out_of_order(&self, expected: &str) -> SessionError {
        self.fail(
            code::PROTOCOL,
            SessionError::Protocol(format!("expected {expected}")),
        )
    }

    /// The whole conversation after the reader task starts: the handshake,
    /// the proofs, the first messages, then sync messages until the end.
    /// `admitted` lets the reader take in sync messages, once the peer
    /// shares a community with this side.
    async fn converse(
        &mut self,
        send: &mut SendStream,
        frames: &mut mpsc::Receiver<Frame>,
        changes: &mut broadcast::Receiver<String>,
        admitted: tokio::sync::oneshot::Sender<()>,
    ) -> Result<(), SessionError> {
        let greeting = self.greet(send, frames).await?;
        let (their_summary, proved) = self.prove(send, frames, &greeting).await?;
        let active = self.admit(&greeting.theirs, &proved, admitted).await?;
        let first = self
            .replica
            .first_messages(self.id, active.iter().cloned().collect(), their_summary)
            .await;
        self.send_all(send, first).await?;
        if self.synced(&active).await {
            // The summaries showed every document equal.
            return self.finish(send, frames).await;
        }
        self.message_loop(send, frames, changes, active).await
    }

    /// The `Hello` each way. The dialler speaks first; the acceptor says
    /// nothing until it knows the dialler is, or may prove to be, a member,
    /// and neither side says more to a peer too old to check signatures.
    async fn greet(
        &mut self,
        send: &mut SendStream,
        frames: &mut mpsc::Receiver<Frame>,
    ) -> Result<Greeting, SessionError> {
        let mine: BTreeSet<String> = std::mem::take(&mut self.mine).into_iter().collect();
        let hello = |communities: &BTreeSet<String>| SyncFrame::Hello {
            version: VERSION,
            communities: communities.iter().cloned().collect(),
        };
        if self.initiator {
            self.write(send, &hello(&mine)).await?;
        }
        let (their_version, theirs): (u16, BTreeSet<String>) = match self.next(frames).await? {
            SyncFrame::Hello {
                version,
                communities,
            } => (version, communities.into_iter().collect()),
            _ => return Err(self.out_of_order("hello")),
        };
        if their_version < SIGNED_SINCE {
            // Not one byte of a community to a peer that cannot check them.
            self.conn.close(code::OUTDATED, b"update Passerelle");
            return Err(SessionError::Outdated);
        }
        // Both sides know both revisions now, so both know whether
        // summaries are exchanged.
        let summaries = their_version >= SUMMARY_SINCE;
        let held: BTreeSet<String> = self
            .replica
            .held(theirs.iter().cloned().collect())
            .await
            .into_iter()
            .collect();
        let unknown: Vec<String> = held.difference(&mine).cloned().collect();
        if !self.initiator {
            if mine.is_empty() && unknown.is_empty() {
                // The membership gate: not one byte of any community.
                self.conn.close(code::NOT_A_MEMBER, b"not a member");
                return Err(SessionError::NotAMember);
            }
            self.write(send, &hello(&mine)).await?;
        }
        Ok(Greeting {
            mine,
            theirs,
            held,
            unknown,
            summaries,
        })
    }

    /// After the `Hello`s: each side sends its `Summary` (when both speak
    /// a revision that has them) and its `Prove`, then reads the peer's,
    /// answers with `Proofs` and hands the peer's proofs to the node.
    /// Returns the peer's summary and the communities the peer asked this
    /// side to prove, among those this side named.
    async fn prove(
        &mut self,
        send: &mut SendStream,
        frames: &mut mpsc::Receiver<Frame>,
        greeting: &Greeting,
    ) -> Result<(Vec<CommunityDigest>, BTreeSet<String>), SessionError> {
        let Greeting {
            mine,
            theirs,
            held,
            unknown,
            summaries,
        } = greeting;
        if *summaries {
            // Only communities both named: each counts the other as a member.
            let both = mine.intersection(theirs).cloned().collect();
            let communities = self.replica.summary(self.id, both).await;
            self.write(send, &SyncFrame::Summary { communities })
                .await?;
        }
        // The communities this side asks the peer to prove.
        let mut wanted: BTreeSet<String> = unknown.iter().cloned().collect();
        self.write(
            send,
            &SyncFrame::Prove {
                communities: unknown.clone(),
            },
        )
        .await?;
        let their_summary = if *summaries {
            match self.next(frames).await? {
                SyncFrame::Summary { communities } => communities,
                _ => return Err(self.out_of_order("summary")),
            }
        } else {
            Vec::new()
        };
        let asked = match self.next(frames).await? {
            SyncFrame::Prove { communities } => communities,
            _ => return Err(self.out_of_order("prove")),
        };
        let asked: Vec<String> = asked.into_iter().filter(|c| mine.contains(c)).collect();
        let proved: BTreeSet<String> = asked.iter().cloned().collect();
        let proofs = self.replica.proofs(self.id, asked).await;
        self.write(send, &SyncFrame::Proofs { proofs }).await?;
        match self.next(frames).await? {
            SyncFrame::Proofs { proofs } => {
                // One proof per community this side asked about, no more:
                // each costs a pass of the gate.
                for (community, data) in proofs {
                    if wanted.remove(&community) && held.contains(&community) {
                        self.replica.accept_proof(self.id, community, data).await;
                    }
                }
            }
            _ => return Err(self.out_of_order("proofs")),
        }
        Ok((their_summary, proved))
    }

    /// Once the proofs are in: the communities to sync are those the node
    /// shares with the peer that either the peer named or this side proved.
    /// With none, the session ends; with some, the reader may take in sync
    /// messages and the node hears that the peer is connected.
    async fn admit(
        &mut self,
        theirs: &BTreeSet<String>,
        proved: &BTreeSet<String>,
        admitted: tokio::sync::oneshot::Sender<()>,
    ) -> Result<BTreeSet<String>, SessionError> {
        let shared: BTreeSet<String> = self.replica.shared(self.id).await.into_iter().collect();
        let active: BTreeSet<String> = shared
            .into_iter()
            .filter(|c| theirs.contains(c) || proved.contains(c))
            .collect();
        if active.is_empty() {
            self.conn.close(code::NOTHING_SHARED, b"nothing shared");
            return Err(SessionError::NothingShared);
        }
        let _ = admitted.send(());
        self.replica.event(crate::NetEvent::PeerConnected {
            peer: self.peer.clone(),
            incoming: !self.initiator,
            communities: active.iter().cloned().collect(),
        });
        Ok(active)
    }

    /// Whether a one-off sync is over: both sides hold the same changes of
    /// every community still shared. A live session is never over here.
    async fn synced(&self, active: &BTreeSet<String>) -> bool {
        self.mode == Mode::UntilSynced
            && self
                .replica
                .in_sync(self.id, active.iter().cloned().collect())
                .await
    }

    /// Sync messages both ways, until the peer leaves, falls silent, a
    /// one-off sync is in sync, or an error ends the session.
    async fn message_loop(
        &mut self,
        send: &mut SendStream,
        frames: &mut mpsc::Receiver<Frame>,
        changes: &mut broadcast::Receiver<String>,
        mut active: BTreeSet<String>,
    ) -> Result<(), SessionError> {
        // Announcements of changes this session's own batches caused, per
        // community, still to come: the batch was answered already.
        let mut own: HashMap<String, usize> = HashMap::new();
        // A frame read while gathering a batch, handled next.
        let mut ahead: Option<Frame> = None;
        // A live session lasts while changes flow one way or the other
        // (QUIC's own idle timeout notices a vanished peer sooner).
        let live_idle = live_idle_timeout();
        self.last_change = Instant::now();
        loop {
            match self
                .next_input(frames, changes, &mut ahead, live_idle)
                .await
            {
                Input::Idle if self.mode == Mode::Live => {
                    return Err(self.fail(code::IDLE, SessionError::Idle));
                }
                Input::Idle => return Err(self.fail(code::TIMEOUT, SessionError::Timeout)),
                Input::Frame(None) => return Err(self.closed()),
                Input::Frame(Some(Err(FrameError::End))) => {
                    // The peer has said all it will: finish our side.
                    let _ = send.finish();
                    return Ok(());
                }
                Input::Frame(Some(Err(e))) => return Err(self.frame_error(e)),
                Input::Frame(Some(Ok((frame, n)))) => {
                    self.stats.bytes_received += n as u64;
                    let SyncFrame::Sync(message) = frame else {
                        return Err(self.out_of_order("sync messages"));
                    };
                    self.on_messages(send, message, frames, &mut ahead, &mut active, &mut own)
                        .await?;
                    if self.synced(&active).await {
                        return self.finish(send, frames).await;
                    }
                }
                Input::Changed(changed) => {
                    self.on_change(send, changed, &mut active, &mut own).await?;
                }
            }
        }
    }

    /// What the message loop reacts to next: a frame read ahead while
    /// gathering a batch, else whichever comes first of a frame, a local
    /// change, and the idle limit. A one-off sync waits `IDLE_TIMEOUT` for
    /// each frame; a live session waits until `live_idle` has passed since
    /// the last change either way.
    async fn next_input(
        &self,
        frames: &mut mpsc::Receiver<Frame>,
        changes: &mut broadcast::Receiver<String>,
        ahead: &mut Option<Frame>,
        live_idle: Duration,
    ) -> Input {
        if let Some(frame) = ahead.take() {
            return Input::Frame(Some(frame));
        }
        let idle = match self.mode {
            Mode::UntilSynced => IDLE_TIMEOUT,
            Mode::Live => live_idle.saturating_sub(self.last_change.elapsed()),
        };
        // Frames first: local changes are looked at when the peer is quiet.
        tokio::select! {
            biased;
            frame = tokio::time::timeout(idle, frames.recv()) => match frame {
                Err(_) => Input::Idle,
                Ok(frame) => Input::Frame(frame),
            },
            changed = changes.recv() => Input::Changed(changed),
        }
    }

    /// A batch: the message just read and whatever else has arrived, so
    /// their changes reach the disk together.
    fn gather(
        &mut self,
        first: crate::SyncMessage,
        frames: &mut mpsc::Receiver<Frame>,
        ahead: &mut Option<Frame>,
    ) -> Vec<crate::SyncMessage> {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match frames.try_recv() {
                Ok(Ok((SyncFrame::Sync(message), n))) => {
                    self.stats.bytes_received += n as u64;
                    batch.push(message);
                }
                Ok(other) => {
                    *ahead = Some(other);
                    break;
                }
                Err(_) => break,
            }
        }
        self.stats.messages_received += batch.len() as u64;
        batch
    }

    /// Hands batches to the node (which writes what each brings before
    /// anything is answered), as long as more messages have arrived, then
    /// answers each document they touched, once.
    async fn on_messages(
        &mut self,
        send: &mut SendStream,
        first: crate::SyncMessage,
        frames: &mut mpsc::Receiver<Frame>,
        ahead: &mut Option<Frame>,
        active: &mut BTreeSet<String>,
        own: &mut HashMap<String, usize>,
    ) -> Result<(), SessionError> {
        let mut touched: Vec<(String, u8)> = Vec::new();
        let mut taken = 0;
        let mut next = Some(first);
        while let Some(message) = next.take() {
            let batch = self.gather(message, frames, ahead);
            taken += batch.len();
            for doc in self.on_batch(batch, active, own).await? {
                if !touched.contains(&doc) {
                    touched.push(doc);
                }
            }
            // What arrived meanwhile is taken in before answering: the
            // answers then say everything at once, and go out once per
            // document.
            if ahead.is_none() && taken < MAX_BATCH {
                match frames.try_recv() {
                    Ok(Ok((SyncFrame::Sync(message), n))) => {
                        self.stats.bytes_received += n as u64;
                        next = Some(message);
                    }
                    Ok(other) => *ahead = Some(other),
                    Err(_) => {}
                }
            }
        }
        // One answer at a time: the first leaves while the next is built.
        for (community, doc) in touched {
            if !active.contains(&community) {
                continue;
            }
            if let Some(answer) = self.replica.answer(self.id, community, doc).await {
                self.send_all(send, vec![answer]).await?;
            }
        }
        if self.enough {
            // What was kept is answered (the peer knows we hold it); the
            // rest waits for the next meeting.
            let _ = send.finish();
            let _ = tokio::time::timeout(LINGER, async {
                while let Some(Ok((_, n))) = frames.recv().await {
                    self.stats.bytes_received += n as u64;
                }
            })
            .await;
            self.conn.close(
                code::ENOUGH,
                b"enough for this meeting: the rest comes at the next one",
            );
            return Err(SessionError::Enough);
        }
        Ok(())
    }

    /// Hands a batch to the node, which writes what it brings; returns the
    /// documents it touched.
    async fn on_batch(
        &mut self,
        mut batch: Vec<crate::SyncMessage>,
        active: &mut BTreeSet<String>,
        own: &mut HashMap<String, usize>,
    ) -> Result<Vec<(String, u8)>, SessionError> {
        // Messages for a community not shared (any more) are ignored:
        // nothing is sent back.
        batch.retain(|m| active.contains(&m.community));
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let received = match self.replica.receive(self.id, batch).await {
            Ok(received) => received,
            Err(e) => return Err(self.fail(code::PROTOCOL, SessionError::NotTaken(e))),
        };
        if !received.announced.is_empty() {
            self.last_change = Instant::now();
            // The batch may have changed who is a member.
            self.refresh(active).await?;
        }
        self.enough |= received.enough;
        for community in received.announced {
            *own.entry(community).or_default() += 1;
        }
        Ok(received.touched)
    }

    /// A community changed on this node: sends what the peer lacks of it.
    /// Announcements caused by this session's own batches are skipped, as
    /// many as there were: those batches were answered already (and the
    /// announcements of one community are interchangeable, each asking for
    /// the same messages).
    async fn on_change(
        &mut self,
        send: &mut SendStream,
        changed: Result<String, broadcast::error::RecvError>,
        active: &mut BTreeSet<String>,
        own: &mut HashMap<String, usize>,
    ) -> Result<(), SessionError> {
        let community = match changed {
            Ok(c) => Some(c),
            Err(broadcast::error::RecvError::Lagged(_)) => {
                // Missed some: look at everything shared.
                own.clear();
                None
            }
            Err(broadcast::error::RecvError::Closed) => {
                self.conn.close(code::SHUTDOWN, b"shutting down");
                return Err(SessionError::Closed("local node stopped".into()));
            }
        };
        if let Some(community) = &community {
            if !active.contains(community) {
                return Ok(());
            }
            if let Some(count) = own.get_mut(community).filter(|n| **n > 0) {
                *count -= 1;
                return Ok(());
            }
        }
        // Membership may have changed: ask again before sending.
        self.refresh(active).await?;
        let which: Vec<String> = match community {
            Some(c) if active.contains(&c) => vec![c],
            _ => active.iter().cloned().collect(),
        };
        let messages = self.replica.generate(self.id, which).await;
        if !messages.is_empty() {
            self.last_change = Instant::now();
        }
        self.send_all(send, messages).await
    }

    /// Keeps only the communities still shared with the peer; closes the
    /// session when none is left.
    async fn refresh(&mut self, active: &mut BTreeSet<String>) -> Result<(), SessionError> {
        let now: BTreeSet<String> = self.replica.shared(self.id).await.into_iter().collect();
        active.retain(|c| now.contains(c));
        if active.is_empty() {
            self.conn.close(code::NOT_A_MEMBER, b"no longer a member");
            return Err(SessionError::NotAMember);
        }
        Ok(())
    }

    /// Ends a one-off sync: finish our stream, let the peer finish its own,
    /// then close.
    async fn finish(
        &mut self,
        send: &mut SendStream,
        frames: &mut mpsc::Receiver<Frame>,
    ) -> Result<(), SessionError> {
        let _ = send.finish();
        let _ = tokio::time::timeout(LINGER, async {
            while let Some(Ok((_, n))) = frames.recv().await {
                self.stats.bytes_received += n as u64;
            }
        })
        .await;
        self.conn.close(code::DONE, b"in sync");
        Ok(())
    }

    async fn send_all(
        &mut self,
        send: &mut SendStream,
        messages: Vec<crate::SyncMessage>,
    ) -> Result<(), SessionError> {
        for message in messages {
            if message.data.starts_with(SIGNED_FILE) {
                // It carries changes (with their signatures).
                self.last_change = Instant::now();
            }
            self.write(send, &SyncFrame::Sync(message)).await?;
            self.stats.messages_sent += 1;
        }
        Ok(())
    }

    async fn write(
        &mut self,
        send: &mut SendStream,
        frame: &SyncFrame,
    ) -> Result<(), SessionError> {
        match wire::write(send, frame).await {
            Ok(n) => {
                self.stats.bytes_sent += n as u64;
                Ok(())
            }
            Err(_) => Err(self.closed()),
        }
    }

    fn fail(&self, code: iroh::endpoint::VarInt, error: SessionError) -> SessionError {
        self.conn.close(code, error.to_string().as_bytes());
        error
    }

    fn frame_error(&self, error: FrameError) -> SessionError {
        match error {
            FrameError::Io(_) | FrameError::End => self.closed(),
            e => {
                let code = e.close_code();
                self.fail(code, SessionError::Protocol(e.to_string()))
            }
        }
    }

    /// The error for a connection the peer closed (with its reason).
    fn closed(&self) -> SessionError {
        match self.conn.close_reason() {
            Some(iroh::endpoint::ConnectionError::ApplicationClosed(close)) => {
                if close.error_code == code::NOT_A_MEMBER {
                    SessionError::NotAMember
                } else if close.error_code == code::NOTHING_SHARED {
                    SessionError::NothingShared
                } else if close.error_code == code::OUTDATED {
                    SessionError::Outdated
                } else if close.error_code == code::IDLE {
                    SessionError::Idle
                } else if close.error_code == code::ENOUGH {
                    SessionError::Enough
                } else {
                    SessionError::Closed(String::from_utf8_lossy(&close.reason).into_owned())
                }
            }
            Some(other) => SessionError::Closed(other.to_string()),
            None => SessionError::Closed("stream ended".into()),
        }
    }
}
