//! Telling members what concerns them (see `passerelle_model::notices`),
//! even when the window shows another screen: a desktop notification, and
//! a count beside the screen where it is.
//!
//! Notifications go through a [`Notifier`]: the desktop's in the app, a
//! [`Recorder`] in tests. Each notice is told once: the keys already told are
//! kept in `<data>/notified.json` (the latest [`KEEP`]), so a restart does
//! not tell again that an event starts tomorrow.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use passerelle_core::model::notices::{self, Notice, NoticeKind};
use passerelle_core::model::{CommunityId, CommunityView, MemberId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::i18n::Lang;
use crate::views::Screen;

/// Where notifications go.
pub trait Notifier: Send + Sync {
    /// Shows one notification.
    fn show(&self, title: &str, body: &str);
}

/// The desktop's notifications (freedesktop on Linux), shown from a thread
/// of their own: the desktop may be slow to answer, or absent.
pub struct Desktop {
    queue: Mutex<mpsc::Sender<(String, String)>>,
}

impl Desktop {
    /// Starts the thread that shows notifications.
    pub fn start() -> Desktop {
        let (queue, shown) = mpsc::channel::<(String, String)>();
        let spawned = std::thread::Builder::new()
            .name("passerelle-notify".into())
            .spawn(move || {
                let mut failed = false;
                for (title, body) in shown {
                    let result = notify_rust::Notification::new()
                        .appname("Passerelle")
                        // The icon the package installs (none elsewhere).
                        .icon("org.passerelle.Passerelle")
                        .summary(&title)
                        .body(&body)
                        .show();
                    if let Err(e) = result
                        && !std::mem::replace(&mut failed, true)
                    {
                        tracing::info!("desktop notifications unavailable: {e}");
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("no desktop notifications: {e}");
        }
        Desktop {
            queue: Mutex::new(queue),
        }
    }
}

impl Notifier for Desktop {
    fn show(&self, title: &str, body: &str) {
        let queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let _ = queue.send((title.to_owned(), body.to_owned()));
    }
}

/// Keeps the notifications shown, for tests to read.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<(String, String)>>>);

impl Recorder {
    /// Every notification shown so far, as (title, body).
    pub fn shown(&self) -> Vec<(String, String)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Notifier for Recorder {
    fn show(&self, title: &str, body: &str) {
        let mut shown = self.0.lock().unwrap_or_else(|e| e.into_inner());
        shown.push((title.to_owned(), body.to_owned()));
    }
}

/// Which kinds of notice the member wants told (all of them by default).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NotifyPrefs {
    /// Kinds turned off.
    pub off: Vec<String>,
}

impl NotifyPrefs {
    /// Whether this kind is told.
    pub fn wants(&self, kind: NoticeKind) -> bool {
        !self.off.iter().any(|k| k == name(kind))
    }

    /// Turns a kind on or off.
    pub fn set(&mut self, kind: NoticeKind, on: bool) {
        self.off.retain(|k| k != name(kind));
        if !on {
            self.off.push(name(kind).to_owned());
        }
    }
}

/// A kind's name in `app.json`.
fn name(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Reply => "reply",
        NoticeKind::GroupMessage => "group_message",
        NoticeKind::Comment => "comment",
        NoticeKind::EventSoon => "event_soon",
        NoticeKind::BookingConflict => "booking_conflict",
    }
}

/// The screen where a notice's item is.
pub fn screen_of(kind: NoticeKind) -> Screen {
    match kind {
        NoticeKind::Reply => Screen::Exchanges,
        NoticeKind::GroupMessage => Screen::Groups,
        NoticeKind::Comment => Screen::Feed,
        NoticeKind::EventSoon | NoticeKind::BookingConflict => Screen::Agenda,
    }
}

/// How many told keys are kept.
pub const KEEP: usize = 2_000;

/// How often what is due is looked at.
const DUE_EVERY: Timestamp = 60_000;

/// What was told, and the counts beside the screens.
pub struct Notifications {
    notifier: Arc<dyn Notifier>,
    file: PathBuf,
    /// Keys told, oldest first.
    told: VecDeque<String>,
    told_set: HashSet<String>,
    /// Notices not yet looked at, per community and screen.
    badges: HashMap<CommunityId, BTreeMap<Screen, usize>>,
    /// When `due` was last asked, per community.
    due_checked: HashMap<CommunityId, Timestamp>,
}

impl Notifications {
    /// The notifications of the data directory `data_dir`, shown by `notifier`.
    pub fn new(data_dir: &Path, notifier: Arc<dyn Notifier>) -> Self {
        let file = data_dir.join("notified.json");
        let told: VecDeque<String> = std::fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Self {
            notifier,
            file,
            told_set: told.iter().cloned().collect(),
            told,
            badges: HashMap::new(),
            due_checked: HashMap::new(),
        }
    }

    /// What arrived from a peer between two views of `community`.
    pub fn arrived(
        &mut self,
        community: &CommunityId,
        me: &MemberId,
        (before, now): (&CommunityView, &CommunityView),
        (prefs, lang): (&NotifyPrefs, Lang),
    ) {
        let found = notices::arrived(me, before, now);
        self.tell(community, found, prefs, lang);
    }

    /// What is due in `view` at `now` (looked at once a minute at most).
    pub fn due(
        &mut self,
        community: &CommunityId,
        me: &MemberId,
        (view, now): (&CommunityView, Timestamp),
        (prefs, lang): (&NotifyPrefs, Lang),
    ) {
        let last = self.due_checked.get(community).copied();
        if last.is_some_and(|at| now - at < DUE_EVERY && now >= at) {
            return;
        }
        self.due_checked.insert(community.clone(), now);
        let found = notices::due(me, view, now);
        self.tell(community, found, prefs, lang);
    }

    /// The count beside `screen` for `community`.
    pub fn badge(&self, community: &CommunityId, screen: Screen) -> usize {
        self.badges
            .get(community)
            .and_then(|b| b.get(&screen))
            .copied()
            .unwrap_or(0)
    }

    /// The member opened `screen`: its count goes.
    pub fn looked_at(&mut self, community: &CommunityId, screen: Screen) {
        if let Some(b) = self.badges.get_mut(community) {
            b.remove(&screen);
        }
    }

    fn tell(
        &mut self,
        community: &CommunityId,
        found: Vec<Notice>,
        prefs: &NotifyPrefs,
        lang: Lang,
    ) {
        let mut told_any = false;
        for notice in found {
            if !prefs.wants(notice.kind) || self.told_set.contains(&notice.key) {
                continue;
            }
            let (title, body) = lang.notify().describe(&notice);
            self.notifier.show(title, &body);
            *self
                .badges
                .entry(community.clone())
                .or_default()
                .entry(screen_of(notice.kind))
                .or_default() += 1;
            self.told_set.insert(notice.key.clone());
            self.told.push_back(notice.key);
            told_any = true;
        }
        while self.told.len() > KEEP {
            if let Some(old) = self.told.pop_front() {
                self.told_set.remove(&old);
            }
        }
        if told_any {
            self.save();
        }
    }

    fn save(&self) {
        let bytes = serde_json::to_vec(&self.told).expect("a list of keys serialises");
        if let Err(e) = passerelle_core::write_atomic(&self.file, &bytes, false) {
            tracing::warn!("could not keep the notifications told: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use passerelle_core::model::ItemId;

    fn reply(key: &str) -> Notice {
        Notice {
            kind: NoticeKind::Reply,
            key: key.into(),
            item: ItemId("01VELO".into()),
            title: "Réparer mon vélo".into(),
            from: Some("Ana".into()),
        }
    }

    #[test]
    fn a_notice_is_told_once_even_after_a_restart_and_not_when_turned_off() {
        let dir = tempfile::tempdir().unwrap();
        let community = CommunityId("01QUARTIER".into());
        let told = Recorder::default();
        let prefs = NotifyPrefs::default();
        let mut n = Notifications::new(dir.path(), Arc::new(told.clone()));
        n.tell(
            &community,
            vec![reply("reply:1"), reply("reply:1")],
            &prefs,
            Lang::Fr,
        );
        assert_eq!(
            told.shown(),
            [(
                "Nouvelle réponse".to_owned(),
                "Ana a répondu à « Réparer mon vélo »".to_owned()
            )]
        );
        assert_eq!(n.badge(&community, Screen::Exchanges), 1);
        n.looked_at(&community, Screen::Exchanges);
        assert_eq!(n.badge(&community, Screen::Exchanges), 0);

        // Started again: what was told is not told again.
        let mut n = Notifications::new(dir.path(), Arc::new(told.clone()));
        n.tell(&community, vec![reply("reply:1")], &prefs, Lang::En);
        assert_eq!(told.shown().len(), 1);

        // Replies turned off: neither told nor counted.
        let mut off = NotifyPrefs::default();
        off.set(NoticeKind::Reply, false);
        assert!(!off.wants(NoticeKind::Reply) && off.wants(NoticeKind::Comment));
        n.tell(&community, vec![reply("reply:2")], &off, Lang::Fr);
        assert_eq!(told.shown().len(), 1);
        assert_eq!(n.badge(&community, Screen::Exchanges), 0);
        n.tell(&community, vec![reply("reply:3")], &prefs, Lang::En);
        assert_eq!(told.shown()[1].1, "Ana replied to “Réparer mon vélo”");
    }

    #[test]
    fn the_told_keys_kept_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let community = CommunityId("01QUARTIER".into());
        let mut n = Notifications::new(dir.path(), Arc::new(Recorder::default()));
        let many = (0..KEEP + 10)
            .map(|i| reply(&format!("reply:{i}")))
            .collect();
        n.tell(&community, many, &NotifyPrefs::default(), Lang::Fr);
        let kept: Vec<String> =
            serde_json::from_slice(&std::fs::read(dir.path().join("notified.json")).unwrap())
                .unwrap();
        assert_eq!(kept.len(), KEEP);
        assert_eq!(kept[0], "reply:10", "the oldest go first");
    }
}
