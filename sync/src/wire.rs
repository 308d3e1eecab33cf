//! What travels on a stream: length-prefixed postcard frames, and the codes a
//! connection is closed with. docs/PROTOCOL.md describes both.

use iroh::endpoint::{RecvStream, SendStream, VarInt};
use serde::{Deserialize, Serialize};

/// The largest frame accepted. A first sync of a five-year community fits
/// well within it; anything bigger is hostile or broken.
pub const MAX_FRAME: usize = 32 * 1024 * 1024;

/// The largest first frame (a `Hello`, read before the membership gate):
/// about 2,000 community ids.
pub const MAX_HELLO_FRAME: usize = 64 * 1024;

/// The largest `Proofs` frame, read before the peer is known to be a
/// member: the community document of a large community (a five-year one's
/// is about 1 MiB, see docs/PERFORMANCE.md) fits.
pub const MAX_PROOFS_FRAME: usize = 4 * 1024 * 1024;

/// The largest invite frame (a join request is a few hundred bytes).
pub const MAX_INVITE_FRAME: usize = 4 * 1024;

/// A frame of `passerelle/sync/1`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum SyncFrame {
    /// First frame each way: the communities the sender will sync with the
    /// receiver (those the receiver is a member of, in the sender's copy,
    /// and any it is joining through the receiver).
    Hello {
        /// Protocol revision within `sync/1`.
        version: u16,
        /// Community ids.
        communities: Vec<String>,
    },
    /// Second frame each way: communities the peer named that this side
    /// holds, but where its copy does not (yet) list the peer as a member.
    Prove {
        /// Community ids.
        communities: Vec<String>,
    },
    /// Third frame each way: for each community asked about where the sender
    /// does count the asker as a member, the `save()` of its community
    /// document, so the asker can see who admitted the sender.
    Proofs {
        /// (community id, community document).
        proofs: Vec<(String, Vec<u8>)>,
    },
    /// An Automerge sync message for one document of one community.
    Sync(SyncMessage),
    /// Sent after `Hello` (before `Prove`) when both sides' `Hello` say
    /// revision 2 or later: what the sender's documents hold, for the
    /// communities both sides named. A document whose digest equals the
    /// receiver's is already in sync and gets no sync message.
    Summary {
        /// One entry per community.
        communities: Vec<CommunityDigest>,
    },
}

/// What each document of one community holds, in a `Summary`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityDigest {
    /// Community id.
    pub community: String,
    /// The [`heads_digest`] of each document, by document number.
    pub docs: Vec<HeadsDigest>,
}

/// A digest of a document's heads: equal on two devices exactly when they
/// hold the same changes of that document (short of a 128-bit collision).
pub type HeadsDigest = [u8; 16];

/// The digest of a document's heads (32-byte Automerge change hashes, in
/// any order): the first 16 bytes of the BLAKE3 hash of the heads sorted
/// and concatenated. A document not held has no heads.
pub fn heads_digest(heads: impl IntoIterator<Item = [u8; 32]>) -> HeadsDigest {
    let mut heads: Vec<[u8; 32]> = heads.into_iter().collect();
    heads.sort_unstable();
    let mut hasher = blake3::Hasher::new();
    for head in &heads {
        hasher.update(head);
    }
    let mut digest = [0; 16];
    digest.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    digest
}

/// An Automerge sync message addressed to one document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncMessage {
    /// Community id.
    pub community: String,
    /// Which document of the community (0 community, 1 échanges, 2 agenda,
    /// 3 ideas, 4 savoirs, 5 fil).
    pub doc: u8,
    /// The encoded `automerge::sync::Message`; since revision 3, preceded
    /// by the signatures of the changes it carries when it carries some
    /// (`PSIGN1`, see docs/PROTOCOL.md).
    pub data: Vec<u8>,
}

/// The only frame a joiner sends on `passerelle/invite/1`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JoinRequest {
    /// The community to join.
    pub community: String,
    /// The invite's id.
    pub invite: String,
    /// The one-time secret from the ticket.
    pub secret: [u8; 16],
    /// How the joiner wants to be called.
    pub display_name: String,
}

/// The admitting device's answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum JoinReply {
    /// Admitted: sync may start.
    Admitted {
        /// The community's name, for the joiner's messages.
        name: String,
    },
    /// Refused, with a code (`unknown`, `expired`, `revoked`, `used`,
    /// `rate_limited`, `not_here`, `failed`).
    Refused {
        /// Why.
        code: String,
        /// In words.
        message: String,
    },
}

/// Application close codes (QUIC `CONNECTION_CLOSE` error codes).
pub mod code {
    use super::VarInt;
    /// Normal end of a session.
    pub const DONE: VarInt = VarInt::from_u32(0);
    /// The remote is not a member of any community this node holds.
    pub const NOT_A_MEMBER: VarInt = VarInt::from_u32(1);
    /// A frame did not decode, or came out of order.
    pub const PROTOCOL: VarInt = VarInt::from_u32(2);
    /// A frame was larger than allowed.
    pub const TOO_LARGE: VarInt = VarInt::from_u32(3);
    /// The remote was too slow.
    pub const TIMEOUT: VarInt = VarInt::from_u32(4);
    /// Too many connections at once.
    pub const BUSY: VarInt = VarInt::from_u32(5);
    /// Too many failed invite attempts.
    pub const RATE_LIMITED: VarInt = VarInt::from_u32(6);
    /// The node is shutting down.
    pub const SHUTDOWN: VarInt = VarInt::from_u32(7);
    /// Both sides are members but share no community.
    pub const NOTHING_SHARED: VarInt = VarInt::from_u32(8);
    /// The peer's protocol revision is too old (changes without signatures).
    pub const OUTDATED: VarInt = VarInt::from_u32(9);
    /// A live session exchanged no change for [`crate::limits`]'s live idle
    /// time: ended to free its slot; either side dials again when it has
    /// something new.
    pub const IDLE: VarInt = VarInt::from_u32(10);
    /// The peer's member brought as much as one meeting may: the rest
    /// comes at the next one.
    pub const ENOUGH: VarInt = VarInt::from_u32(11);
}

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The stream ended cleanly before a frame started.
    #[error("the stream ended")]
    End,
    /// The frame is larger than allowed.
    #[error("frame of {0} bytes exceeds the limit")]
    TooLarge(usize),
    /// The frame does not decode.
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// The connection failed.
    #[error("connection error: {0}")]
    Io(String),
}

impl FrameError {
    /// The close code this error calls for.
    pub fn close_code(&self) -> VarInt {
        match self {
            FrameError::End | FrameError::Io(_) => code::DONE,
            FrameError::TooLarge(_) => code::TOO_LARGE,
            FrameError::Malformed(_) => code::PROTOCOL,
        }
    }
}

/// Encodes a frame with its 4-byte big-endian length prefix.
pub fn encode<T: Serialize>(frame: &T) -> Vec<u8> {
    let body = postcard::to_stdvec(frame).expect("frames always serialise");
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// Writes a frame; returns the bytes written.
pub async fn write<T: Serialize>(send: &mut SendStream, frame: &T) -> Result<usize, FrameError> {
    let bytes = encode(frame);
    send.write_all(&bytes)
        .await
        .map_err(|e| FrameError::Io(e.to_string()))?;
    Ok(bytes.len())
}

/// Reads one frame of at most `max` bytes; returns it and the bytes read.
pub async fn read<T: for<'de> Deserialize<'de>>(
    recv: &mut RecvStream,
    max: usize,
) -> Result<(T, usize), FrameError> {
    let mut len = [0u8; 4];
    match recv.read_exact(&mut len).await {
        Ok(()) => {}
        Err(iroh::endpoint::ReadExactError::FinishedEarly(0)) => return Err(FrameError::End),
        Err(e) => return Err(FrameError::Io(e.to_string())),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(FrameError::TooLarge(len));
    }
    let mut body = vec![0u8; len];
    recv.read_exact(&mut body)
        .await
        .map_err(|e| FrameError::Io(e.to_string()))?;
    let frame = decode(&body)?;
    Ok((frame, 4 + len))
}

/// Decodes a frame body (without its length prefix).
pub fn decode<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, FrameError> {
    postcard::from_bytes(body).map_err(|e| FrameError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let frame = SyncFrame::Sync(SyncMessage {
            community: "01C".into(),
            doc: 3,
            data: vec![1, 2, 3],
        });
        let bytes = encode(&frame);
        assert_eq!(
            u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize,
            bytes.len() - 4
        );
        match decode::<SyncFrame>(&bytes[4..]).unwrap() {
            SyncFrame::Sync(m) => assert_eq!(m.data, vec![1, 2, 3]),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn heads_digests_ignore_order_and_tell_heads_apart() {
        let (a, b) = ([1u8; 32], [2u8; 32]);
        assert_eq!(heads_digest([a, b]), heads_digest([b, a]));
        assert_ne!(heads_digest([a]), heads_digest([a, b]));
        assert_ne!(heads_digest([]), heads_digest([a]));
    }

    #[test]
    fn a_summary_is_a_new_variant_so_revision_one_frames_decode_unchanged() {
        // Revision 1 peers never receive a Summary; their frames keep their
        // variant numbers.
        let hello = encode(&SyncFrame::Hello {
            version: 1,
            communities: vec!["01C".into()],
        });
        assert_eq!(hello[4], 0);
        let summary = encode(&SyncFrame::Summary {
            communities: vec![CommunityDigest {
                community: "01C".into(),
                docs: vec![[7; 16]; 6],
            }],
        });
        assert_eq!(summary[4], 4);
        match decode::<SyncFrame>(&summary[4..]).unwrap() {
            SyncFrame::Summary { communities } => assert_eq!(communities[0].docs.len(), 6),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for body in [&[][..], &[255, 255, 255], &[1, 200, 200, 200, 200, 200]] {
            assert!(decode::<SyncFrame>(body).is_err());
        }
    }
}
