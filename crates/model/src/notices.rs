//! What concerns a member, to tell them even when the window shows another
//! screen: a reply to their échange, a message in a group they belong to, a
//! comment on their post, an event they said yes to starting within a day,
//! an unsettled booking conflict on a place they are the referent of.
//!
//! Pure: the app compares two views of a community (before and after a
//! peer's changes came) with [`arrived`], and asks [`due`] from time to time.
//! A member's own writing never concerns them. Each notice has a `key` that
//! names it for good, so the app tells it once.

use std::collections::BTreeMap;

use crate::entities::RsvpAnswer;
use crate::ids::{ItemId, MemberId, Timestamp};
use crate::view::CommunityView;

/// What a notice is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoticeKind {
    /// Someone answered my échange.
    Reply,
    /// A message in one of my groups.
    GroupMessage,
    /// A comment on my post.
    Comment,
    /// An event I said yes to starts within a day.
    EventSoon,
    /// Two bookings of a place I am the referent of overlap.
    BookingConflict,
}

impl NoticeKind {
    /// Every kind, in the order settings list them.
    pub const ALL: [NoticeKind; 5] = [
        NoticeKind::Reply,
        NoticeKind::GroupMessage,
        NoticeKind::Comment,
        NoticeKind::EventSoon,
        NoticeKind::BookingConflict,
    ];
}

/// One thing to tell a member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// What it is about.
    pub kind: NoticeKind,
    /// Names this notice for good (the reply's, message's or comment's id;
    /// the event and its start; the conflict's bookings).
    pub key: String,
    /// The échange, group, post, event or place concerned.
    pub item: ItemId,
    /// Its title or name (a post's first line).
    pub title: String,
    /// Who wrote what arrived, by display name, if someone did.
    pub from: Option<String>,
}

/// How long before an event a member who said yes to it is told.
pub const EVENT_NOTICE: Timestamp = 24 * 3_600_000;

/// What `now` holds that `before` did not and that concerns `me`.
pub fn arrived(me: &MemberId, before: &CommunityView, now: &CommunityView) -> Vec<Notice> {
    let name = |id: &MemberId| {
        now.community
            .members
            .iter()
            .find(|m| &m.id == id)
            .map(|m| m.display_name.clone())
    };
    let mut out = Vec::new();
    if !std::sync::Arc::ptr_eq(&before.exchanges, &now.exchanges) {
        let old: BTreeMap<&ItemId, _> = before.exchanges.iter().map(|e| (&e.id, e)).collect();
        for e in now.exchanges.iter().filter(|e| &e.author == me) {
            let known = old.get(&e.id).map(|o| &o.replies);
            for (id, reply) in &e.replies {
                if &reply.author != me && !known.is_some_and(|k| k.contains_key(id)) {
                    out.push(Notice {
                        kind: NoticeKind::Reply,
                        key: format!("reply:{id}"),
                        item: e.id.clone(),
                        title: e.title.clone(),
                        from: name(&reply.author),
                    });
                }
            }
        }
    }
    if !std::sync::Arc::ptr_eq(&before.community, &now.community) {
        let old: BTreeMap<&ItemId, _> =
            before.community.groups.iter().map(|g| (&g.id, g)).collect();
        let mine = now
            .community
            .groups
            .iter()
            .filter(|g| g.members.contains_key(&me.0));
        for g in mine {
            let known = old.get(&g.id).map(|o| &o.thread);
            for (id, message) in &g.thread {
                if &message.author != me && !known.is_some_and(|k| k.contains_key(id)) {
                    out.push(Notice {
                        kind: NoticeKind::GroupMessage,
                        key: format!("message:{id}"),
                        item: g.id.clone(),
                        title: g.name.clone(),
                        from: name(&message.author),
                    });
                }
            }
        }
    }
    if !std::sync::Arc::ptr_eq(&before.posts, &now.posts) {
        let old: BTreeMap<&ItemId, _> = before.posts.iter().map(|p| (&p.id, p)).collect();
        for p in now.posts.iter().filter(|p| &p.author == me) {
            let known = old.get(&p.id).map(|o| &o.comments);
            for (id, comment) in &p.comments {
                if &comment.author != me && !known.is_some_and(|k| k.contains_key(id)) {
                    out.push(Notice {
                        kind: NoticeKind::Comment,
                        key: format!("comment:{id}"),
                        item: p.id.clone(),
                        title: first_line(p.text.as_str()),
                        from: name(&comment.author),
                    });
                }
            }
        }
    }
    out
}

/// What is due at `now` for `me`: events they said yes to that start within
/// [`EVENT_NOTICE`], and unsettled conflicts on the places they are the
/// referent of.
pub fn due(me: &MemberId, view: &CommunityView, now: Timestamp) -> Vec<Notice> {
    let mut out = Vec::new();
    for e in view.events.iter() {
        let coming = e.start > now && e.start - now <= EVENT_NOTICE;
        let going = e
            .rsvps
            .get(&me.0)
            .is_some_and(|r| r.answer == RsvpAnswer::Yes);
        if coming && going && e.moderation.is_none() {
            out.push(Notice {
                kind: NoticeKind::EventSoon,
                key: format!("event:{}:{}", e.id, e.start),
                item: e.id.clone(),
                title: e.title.clone(),
                from: None,
            });
        }
    }
    let referent_of = view.community.actors.iter().filter(|a| {
        a.booking
            .as_ref()
            .is_some_and(|b| b.referent.as_ref() == Some(me))
    });
    for place in referent_of {
        for conflict in view.place_schedule(&place.id).conflicts {
            let bookings: Vec<String> = (conflict.winners.iter())
                .chain(&conflict.losers)
                .map(ToString::to_string)
                .collect();
            out.push(Notice {
                kind: NoticeKind::BookingConflict,
                key: format!("conflict:{}", bookings.join(",")),
                item: place.id.clone(),
                title: place.name.clone(),
                from: None,
            });
        }
    }
    out
}

/// A post's first line, as its title.
fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let line = line.trim();
    match line.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_owned(),
    }
}
