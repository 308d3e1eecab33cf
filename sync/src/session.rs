//! One sync session over one bi-stream: hello, then Automerge sync messages
//! both ways until the peers are in sync (a one-off sync) or until either
//! side leaves (a live session).
//!
//! Reading runs in its own task and hands whole frames over a channel, so
//! waiting for a local change never cancels a read half-way through a frame.

use std::collections::BTreeSet;
use std::time::Instant;

use iroh::endpoint::{Connection, RecvStream, SendStream};
use tokio::sync::{broadcast, mpsc};

use crate::limits::{HELLO_TIMEOUT, IDLE_TIMEOUT, LINGER};
use crate::wire::{self, FrameError, MAX_FRAME, SyncFrame, code};
use crate::{Replica, SessionId, SessionStats};

/// Protocol revision sent in `Hello`.
const VERSION: u16 = 1;

/// How long a session lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Until both sides hold the same changes; then it ends.
    UntilSynced,
    /// Until either side leaves; local edits are sent as they happen.
    Live,
}

/// Why a session ended early.
#[derive(Debug, thiserror::Error)]
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
    /// The peer went silent.
    #[error("the peer stopped answering")]
    Timeout,
}

pub struct Session<'a, R: Replica> {
    pub replica: &'a R,
    pub conn: &'a Connection,
    pub id: SessionId,
    pub peer: String,
    pub mode: Mode,
    /// The side that opened the stream and speaks first.
    pub initiator: bool,
    pub stats: SessionStats,
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
        let reader = tokio::spawn(async move {
            loop {
                let frame = wire::read::<SyncFrame>(&mut recv, MAX_FRAME).await;
                let end = frame.is_err();
                if frames_tx.send(frame).await.is_err() || end {
                    break;
                }
            }
        });
        let result = self.converse(send, &mut frames, changes).await;
        reader.abort();
        result
    }

    async fn next(
        &mut self,
        frames: &mut mpsc::Receiver<Result<(SyncFrame, usize), FrameError>>,
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

    async fn converse(
        &mut self,
        send: &mut SendStream,
        frames: &mut mpsc::Receiver<Result<(SyncFrame, usize), FrameError>>,
        changes: &mut broadcast::Receiver<String>,
    ) -> Result<(), SessionError> {
        let mine: BTreeSet<String> = self
            .replica
            .open_session(self.id, self.peer.clone())
            .await
            .into_iter()
            .collect();
        let hello = |communities: &BTreeSet<String>| SyncFrame::Hello {
            version: VERSION,
            communities: communities.iter().cloned().collect(),
        };
        // The dialler speaks first; the acceptor says nothing until it knows
        // the dialler is, or may prove to be, a member.
        if self.initiator {
            self.write(send, &hello(&mine)).await?;
        }
        let theirs: BTreeSet<String> = match self.next(frames).await? {
            SyncFrame::Hello { communities, .. } => communities.into_iter().collect(),
            _ => return Err(self.out_of_order("hello")),
        };
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
        self.write(
            send,
            &SyncFrame::Prove {
                communities: unknown,
            },
        )
        .await?;
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
                for (community, data) in proofs {
                    if held.contains(&community) {
                        self.replica.accept_proof(self.id, community, data).await;
                    }
                }
            }
            _ => return Err(self.out_of_order("proofs")),
        }
        let mine: BTreeSet<String> = self.replica.shared(self.id).await.into_iter().collect();
        let mut active: BTreeSet<String> = mine
            .into_iter()
            .filter(|c| theirs.contains(c) || proved.contains(c))
            .collect();
        if active.is_empty() {
            self.conn.close(code::NOTHING_SHARED, b"nothing shared");
            return Err(SessionError::NothingShared);
        }
        self.replica.event(crate::NetEvent::PeerConnected {
            peer: self.peer.clone(),
            incoming: !self.initiator,
            communities: active.iter().cloned().collect(),
        });
        let first = self
            .replica
            .generate(self.id, active.iter().cloned().collect())
            .await;
        self.send_all(send, first).await?;

        loop {
            let idle = match self.mode {
                Mode::UntilSynced => IDLE_TIMEOUT,
                // QUIC's own idle timeout notices a vanished peer.
                Mode::Live => std::time::Duration::from_secs(24 * 3600),
            };
            tokio::select! {
                frame = tokio::time::timeout(idle, frames.recv()) => {
                    let frame = match frame {
                        Err(_) => return Err(self.fail(code::TIMEOUT, SessionError::Timeout)),
                        Ok(None) => return Err(self.closed()),
                        Ok(Some(Err(FrameError::End))) => {
                            // The peer has said all it will: finish our side.
                            let _ = send.finish();
                            return Ok(());
                        }
                        Ok(Some(Err(e))) => return Err(self.frame_error(e)),
                        Ok(Some(Ok(frame))) => frame,
                    };
                    let (frame, n) = frame;
                    self.stats.bytes_received += n as u64;
                    let SyncFrame::Sync(message) = frame else {
                        return Err(self.out_of_order("sync messages"));
                    };
                    self.stats.messages_received += 1;
                    if !active.contains(&message.community) {
                        // Not shared (any more): ignore it, send nothing back.
                        continue;
                    }
                    match self.replica.receive(self.id, message).await {
                        Ok(replies) => self.send_all(send, replies).await?,
                        Err(e) => return Err(self.fail(code::PROTOCOL, SessionError::Protocol(e))),
                    }
                    if self.mode == Mode::UntilSynced
                        && self.replica.in_sync(self.id, active.iter().cloned().collect()).await
                    {
                        return self.finish(send, frames).await;
                    }
                }
                changed = changes.recv() => {
                    let community = match changed {
                        Ok(c) => c,
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            // Missed some: look at everything shared.
                            String::new()
                        }
                        Err(broadcast::error::RecvError::Closed) => {
                            self.conn.close(code::SHUTDOWN, b"shutting down");
                            return Err(SessionError::Closed("local node stopped".into()));
                        }
                    };
                    if !community.is_empty() && !active.contains(&community) {
                        continue;
                    }
                    // Membership may have changed: ask again before sending.
                    let now: BTreeSet<String> = self.replica.shared(self.id).await.into_iter().collect();
                    active.retain(|c| now.contains(c));
                    if active.is_empty() {
                        self.conn.close(code::NOT_A_MEMBER, b"no longer a member");
                        return Err(SessionError::NotAMember);
                    }
                    let which: Vec<String> = if community.is_empty() || !active.contains(&community) {
                        active.iter().cloned().collect()
                    } else {
                        vec![community]
                    };
                    let messages = self.replica.generate(self.id, which).await;
                    self.send_all(send, messages).await?;
                }
            }
        }
    }

    /// Ends a one-off sync: finish our stream, let the peer finish its own,
    /// then close.
    async fn finish(
        &mut self,
        send: &mut SendStream,
        frames: &mut mpsc::Receiver<Result<(SyncFrame, usize), FrameError>>,
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
                } else {
                    SessionError::Closed(String::from_utf8_lossy(&close.reason).into_owned())
                }
            }
            Some(other) => SessionError::Closed(other.to_string()),
            None => SessionError::Closed("stream ended".into()),
        }
    }
}
