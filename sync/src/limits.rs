//! Limits that keep a node serving its members whatever others send it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Sessions a node runs at once; further connections are closed as busy.
pub const MAX_SESSIONS: usize = 64;
/// Connections one device key may hold at once (sync and invite together):
/// a flood from one key takes no more.
pub const MAX_SESSIONS_PER_PEER: usize = 4;
/// Of [`MAX_SESSIONS`], how many may go to devices that are a member of no
/// community here (joiners, members admitted elsewhere, strangers): the
/// others stay free for members, whatever strangers open.
pub const MAX_STRANGER_SESSIONS: usize = 32;
/// Time a peer has to send its first frame.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// In a session that should end once in sync, the longest silence allowed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(15);
/// In a live session, the longest time with no change exchanged either way
/// (no received batch that brought changes, no local change sent) before
/// it is closed with `IDLE`, freeing its slot: a peer that keeps the
/// connection alive with empty messages does not hold it for ever. Ten
/// minutes: two members at the same table who stop typing for a while lose
/// nothing, since either side dials again as soon as it has something new
/// (`net.rs`, `keep` and `redial_on_change`), and a reconnection costs
/// about 350 bytes when nothing changed.
pub const LIVE_IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// [`LIVE_IDLE_TIMEOUT`], or the number of seconds in
/// `PASSERELLE_LIVE_IDLE_SECS` (for tests, so that they run in seconds).
pub fn live_idle_timeout() -> Duration {
    std::env::var("PASSERELLE_LIVE_IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(LIVE_IDLE_TIMEOUT, Duration::from_secs)
}

/// Time given to the other side to read our last frames before closing.
pub const LINGER: Duration = Duration::from_secs(2);
/// Failed invite attempts allowed per peer within [`WINDOW`].
pub const INVITE_FAILURES_PER_PEER: u32 = 5;
/// Failed invite attempts allowed from everyone within [`WINDOW`].
pub const INVITE_FAILURES_TOTAL: u32 = 50;
/// The window over which invite failures are counted.
pub const WINDOW: Duration = Duration::from_secs(600);
/// First reconnection delay; it doubles up to [`MAX_BACKOFF`].
pub const MIN_BACKOFF: Duration = Duration::from_secs(1);
/// Longest reconnection delay.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Counts failed invite attempts, per peer and in total.
///
/// A peer over its own limit is refused without its secret being looked
/// at. Past the total limit, secrets are still checked: a right one admits
/// (a 128-bit secret is not guessed, and strangers must not be able to
/// block every join), a wrong one is answered `rate_limited`, whatever the
/// reason.
#[derive(Default)]
pub struct InviteLimiter {
    per_peer: HashMap<[u8; 32], (Instant, u32)>,
    total: Option<(Instant, u32)>,
}

impl InviteLimiter {
    /// Whether this peer may try an invite now.
    pub fn allowed(&mut self, peer: [u8; 32], now: Instant) -> bool {
        match self.per_peer.get(&peer) {
            Some(e) if now.duration_since(e.0) < WINDOW => e.1 < INVITE_FAILURES_PER_PEER,
            _ => true,
        }
    }

    /// Whether everyone together has failed too often lately.
    pub fn flooded(&self, now: Instant) -> bool {
        self.total
            .is_some_and(|t| now.duration_since(t.0) < WINDOW && t.1 >= INVITE_FAILURES_TOTAL)
    }

    /// Records a failed attempt.
    pub fn failed(&mut self, peer: [u8; 32], now: Instant) {
        let bump = |slot: &mut (Instant, u32)| {
            if now.duration_since(slot.0) >= WINDOW {
                *slot = (now, 0);
            }
            slot.1 += 1;
        };
        bump(self.per_peer.entry(peer).or_insert((now, 0)));
        bump(self.total.get_or_insert((now, 0)));
        // Forget old entries so a flood of identities cannot grow the map forever.
        if self.per_peer.len() > 4096 {
            self.per_peer
                .retain(|_, e| now.duration_since(e.0) < WINDOW);
        }
    }
}

/// The next reconnection delay after `current`.
pub fn next_backoff(current: Duration) -> Duration {
    (current * 2).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_is_stopped_after_its_failures_others_are_not() {
        let mut limiter = InviteLimiter::default();
        let now = Instant::now();
        for _ in 0..INVITE_FAILURES_PER_PEER {
            assert!(limiter.allowed([1; 32], now));
            limiter.failed([1; 32], now);
        }
        assert!(!limiter.allowed([1; 32], now));
        assert!(limiter.allowed([2; 32], now));
        assert!(limiter.allowed([1; 32], now + WINDOW));
    }

    #[test]
    fn a_flood_of_failures_is_noticed_but_does_not_stop_new_peers() {
        let mut limiter = InviteLimiter::default();
        let now = Instant::now();
        assert!(!limiter.flooded(now));
        for i in 0..INVITE_FAILURES_TOTAL {
            limiter.failed([i as u8; 32], now);
        }
        assert!(limiter.flooded(now));
        // A new peer is still heard: its secret decides.
        assert!(limiter.allowed([255; 32], now));
        assert!(!limiter.flooded(now + WINDOW));
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        assert_eq!(next_backoff(MIN_BACKOFF), Duration::from_secs(2));
        assert_eq!(next_backoff(MAX_BACKOFF), MAX_BACKOFF);
    }
}
